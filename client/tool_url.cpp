#include "tool_url.hpp"

#include <cctype>

namespace bgclient {

bool normalize_url(const std::string &in, std::string &out, std::string &error)
{
    if (in.empty()) {
        error = "empty URL";
        return false;
    }

    for (unsigned char c : in) {
        if (c <= 0x20 || c == 0x7f) {
            error = "URL contains a space or control character: '" + in + "'";
            return false;
        }
    }

    std::string url = in;
    std::string::size_type sep = url.find("://");

    if (sep == std::string::npos) {
        url = "http://" + url;
        sep = 4;
    } else {
        std::string scheme = ascii_lower(url.substr(0, sep));
        if (scheme != "http" && scheme != "https") {
            error = "unsupported URL scheme '" + url.substr(0, sep)
                    + "' (use http:// or https://)";
            return false;
        }
        url = scheme + url.substr(sep);
    }

    if (url.find_first_of("?#") != std::string::npos) {
        error = "the upload URL must not have a query or fragment: '" + in + "'";
        return false;
    }

    std::string::size_type host_start = sep + 3;
    std::string::size_type host_end = url.find('/', host_start);
    std::string authority = url.substr(host_start, host_end == std::string::npos
                                                       ? std::string::npos
                                                       : host_end - host_start);
    std::string::size_type at = authority.rfind('@');
    std::string hostport = at == std::string::npos ? authority : authority.substr(at + 1);

    if (hostport.empty() || hostport[0] == ':') {
        error = "URL has no host: '" + redact_url(in) + "'";
        return false;
    }

    out = url;
    return true;
}

std::string redact_url(const std::string &url)
{
    std::string::size_type sep = url.find("://");
    std::string::size_type start = sep == std::string::npos ? 0 : sep + 3;
    std::string::size_type end = url.find('/', start);
    if (end == std::string::npos) {
        end = url.size();
    }

    std::string::size_type at = url.rfind('@', end);
    if (at == std::string::npos || at < start) {
        return url;
    }

    std::string::size_type colon = url.find(':', start);
    if (colon == std::string::npos || colon > at) {
        return url;  // user name only
    }

    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string ascii_lower(std::string s)
{
    for (char &c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

}  // namespace bgclient
