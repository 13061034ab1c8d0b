#include "proto/cors.hpp"

namespace bigupload {

namespace {

bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
           || c == '[' || c == ']' || c == ':' || c == '_';
}

bool allowed(const CorsPolicy &p, std::string_view origin, bool &any)
{
    any = false;
    if (origin.empty()) {
        return false;
    }
    for (const auto &o : p.origins) {
        if (o == "*") {
            any = true;
            return true;
        }
        if (o == origin) {
            return true;
        }
    }
    return false;
}

// "a, b,c": field names separated by commas and optional whitespace.
bool field_name_list(std::string_view v, std::string &out)
{
    out.clear();
    std::size_t i = 0;

    while (i < v.size()) {
        while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) {
            i++;
        }
        std::size_t start = i;
        while (i < v.size() && is_tchar(v[i])) {
            i++;
        }
        if (i == start) {
            return false;
        }
        if (!out.empty()) {
            out += ", ";
        }
        out.append(v.substr(start, i - start));
        while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) {
            i++;
        }
        if (i < v.size()) {
            if (v[i] != ',') {
                return false;
            }
            i++;
            if (i == v.size()) {
                return false;
            }
        }
    }
    return true;
}

// The origin headers both kinds of answer have.
void origin_headers(const CorsPolicy &p, std::string_view origin, bool any,
                    std::vector<HeaderField> &h)
{
    // "*" cannot go with credentials: the origin itself then
    if (any && !p.credentials) {
        h.emplace_back("Access-Control-Allow-Origin", "*");
    } else {
        h.emplace_back("Access-Control-Allow-Origin", std::string(origin));
        h.emplace_back("Vary", "Origin");
    }
    if (p.credentials) {
        h.emplace_back("Access-Control-Allow-Credentials", "true");
    }
}

}  // namespace

bool valid_cors_origin(std::string_view o)
{
    if (o == "*" || o == "null") {
        return true;
    }

    std::size_t sep = o.find("://");
    if (sep == std::string_view::npos || sep == 0) {
        return false;
    }
    for (std::size_t i = 0; i < sep; i++) {
        char c = o[i];
        bool ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+'
                                                       || c == '-' || c == '.'));
        if (!ok) {
            return false;
        }
    }

    std::string_view host = o.substr(sep + 3);
    if (host.empty()) {
        return false;
    }
    for (char c : host) {
        if (!is_host_char(c)) {
            return false;
        }
    }
    return host.back() != ':' && host.front() != ':';
}

const char *cors_exposed_headers()
{
    return "Location, Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata, "
           "Upload-Defer-Length, Upload-Concat, Upload-Complete, Upload-Ranges, "
           "Upload-Limit, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, "
           "Tus-Checksum-Algorithm, Repr-Digest";
}

const char *cors_allowed_methods()
{
    return "POST, PUT, PATCH, HEAD, DELETE, OPTIONS";
}

bool is_cors_preflight(const HttpRequest &rq)
{
    return rq.method == "OPTIONS" && rq.has("Origin")
           && rq.has("Access-Control-Request-Method");
}

std::vector<HeaderField> cors_headers(const CorsPolicy &p, std::string_view origin)
{
    std::vector<HeaderField> h;
    bool any;

    if (!allowed(p, origin, any)) {
        return h;
    }
    origin_headers(p, origin, any, h);
    h.emplace_back("Access-Control-Expose-Headers", cors_exposed_headers());
    return h;
}

std::vector<HeaderField> cors_preflight_headers(const CorsPolicy &p, std::string_view origin,
                                                std::string_view method,
                                                std::string_view request_headers)
{
    std::vector<HeaderField> h;
    bool any;
    std::string names;

    std::string_view methods = cors_allowed_methods();
    bool method_ok = false;
    for (std::size_t i = 0; i < methods.size();) {
        std::size_t end = methods.find(',', i);
        std::string_view m = methods.substr(i, end == std::string_view::npos ? end : end - i);
        // methods are case-sensitive (the browser uppercases the usual ones)
        if (m == method) {
            method_ok = true;
        }
        if (end == std::string_view::npos) {
            break;
        }
        i = end + 2;
    }

    if (!allowed(p, origin, any) || !method_ok || !field_name_list(request_headers, names)) {
        return h;
    }

    origin_headers(p, origin, any, h);
    h.emplace_back("Access-Control-Allow-Methods", cors_allowed_methods());
    if (!names.empty()) {
        h.emplace_back("Access-Control-Allow-Headers", names);
    }
    if (p.max_age > 0) {
        h.emplace_back("Access-Control-Max-Age", std::to_string(p.max_age));
    }
    return h;
}

}  // namespace bigupload
