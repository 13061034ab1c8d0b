#include "tool_tus_proto.hpp"

#include <algorithm>

#include "base/base64.hpp"
#include "base/path.hpp"
#include "proto/digest_fields.hpp"
#include "proto/tus.hpp"
#include "tool_exit.hpp"
#include "tool_url.hpp"

namespace bgclient {
namespace tus {

namespace {

std::string trim(const std::string &s)
{
    std::size_t a = 0, b = s.size();
    while (a < b && (s[a] == ' ' || s[a] == '\t')) {
        a++;
    }
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r' || s[b - 1] == '\n')) {
        b--;
    }
    return s.substr(a, b - a);
}

// "a, b,c" -> {"a", "b", "c"}; empty elements dropped (an HTTP list).
std::vector<std::string> split_list(const std::string &v)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= v.size()) {
        std::size_t comma = v.find(',', pos);
        std::string item = trim(v.substr(pos, comma == std::string::npos ? std::string::npos
                                                                         : comma - pos));
        if (!item.empty()) {
            out.push_back(item);
        }
        if (comma == std::string::npos) {
            break;
        }
        pos = comma + 1;
    }
    return out;
}

// RFC 3986 5.2.4, on a path.
std::string remove_dot_segments(const std::string &path)
{
    std::vector<std::string> out;
    std::size_t pos = path.empty() || path[0] != '/' ? 0 : 1;
    bool trailing = false;
    while (pos <= path.size()) {
        std::size_t slash = path.find('/', pos);
        std::string seg = path.substr(pos, slash == std::string::npos ? std::string::npos
                                                                      : slash - pos);
        trailing = false;
        if (seg == "..") {
            if (!out.empty()) {
                out.pop_back();
            }
            trailing = true;
        } else if (seg == ".") {
            trailing = true;
        } else {
            out.push_back(seg);
        }
        if (slash == std::string::npos) {
            break;
        }
        pos = slash + 1;
    }
    std::string r;
    for (const std::string &s : out) {
        r += "/" + s;
    }
    if (trailing || r.empty()) {
        r += "/";
    }
    return r;
}

// "http://h:1/a/b?q" -> scheme "http", authority "h:1", path "/a/b" (no
// query: bgclient's URLs have none).
struct UrlParts {
    std::string scheme, authority, path;
};

bool split_url(const std::string &url, UrlParts &p)
{
    std::size_t sep = url.find("://");
    if (sep == std::string::npos || sep == 0) {
        return false;
    }
    p.scheme = url.substr(0, sep);
    std::size_t a = sep + 3;
    std::size_t slash = url.find_first_of("/?#", a);
    p.authority = url.substr(a, slash == std::string::npos ? std::string::npos : slash - a);
    p.path = slash == std::string::npos ? "/" : url.substr(slash);
    std::size_t q = p.path.find_first_of("?#");
    if (q != std::string::npos) {
        p.path.resize(q);
    }
    if (p.path.empty()) {
        p.path = "/";
    }
    return !p.authority.empty();
}

bool has_scheme(const std::string &s)
{
    std::size_t colon = s.find(':');
    if (colon == std::string::npos || colon == 0) {
        return false;
    }
    for (std::size_t i = 0; i < colon; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::optional<std::uint64_t> parse_number(const std::string &raw, bool &bad)
{
    std::string v = trim(raw);
    bad = false;
    if (v.empty()) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    if (bigupload::tus::parse_length(v, n) != bigupload::tus::NumberError::none) {
        bad = true;
        return std::nullopt;
    }
    return n;
}

}  // namespace

Target creation_target(const std::string &url, const std::string &remote_path)
{
    Target t;
    std::size_t slash = remote_path.rfind('/');
    std::string dir = slash == std::string::npos ? "/" : remote_path.substr(0, slash + 1);
    t.name = slash == std::string::npos ? remote_path : remote_path.substr(slash + 1);
    t.creation_url = bigupload::join_url(url, dir);
    return t;
}

std::string metadata_value(const std::string &name)
{
    bigupload::tus::Metadata m;
    m.push_back({"filename", name});
    return bigupload::tus::format_metadata(m).value_or("");
}

std::optional<std::string> resolve_location(const std::string &base, const std::string &location)
{
    std::string loc = trim(location);
    if (loc.empty()) {
        return std::nullopt;
    }
    for (unsigned char c : loc) {
        if (c <= 0x20 || c == 0x7f) {
            return std::nullopt;
        }
    }
    UrlParts b;
    if (!split_url(base, b)) {
        return std::nullopt;
    }
    if (has_scheme(loc)) {
        UrlParts l;
        if (!split_url(loc, l)) {
            return std::nullopt;
        }
        std::size_t q = loc.find_first_of("?#", loc.find("://") + 3);
        return ascii_lower(l.scheme) + "://" + l.authority + remove_dot_segments(l.path)
               + (q == std::string::npos ? std::string() : loc.substr(q));
    }
    std::string suffix;
    std::size_t q = loc.find_first_of("?#");
    if (q != std::string::npos) {
        suffix = loc.substr(q);
        loc.resize(q);
    }
    if (loc.compare(0, 2, "//") == 0) {
        std::size_t slash = loc.find('/', 2);
        std::string authority = loc.substr(2, slash == std::string::npos ? std::string::npos
                                                                         : slash - 2);
        if (authority.empty()) {
            return std::nullopt;
        }
        std::string path = slash == std::string::npos ? "/" : loc.substr(slash);
        return b.scheme + "://" + authority + remove_dot_segments(path) + suffix;
    }
    std::string path;
    if (loc.empty()) {
        path = b.path;
    } else if (loc[0] == '/') {
        path = loc;
    } else {
        path = b.path.substr(0, b.path.rfind('/') + 1) + loc;
    }
    return b.scheme + "://" + b.authority + remove_dot_segments(path) + suffix;
}

bool Offer::has(const std::string &extension) const
{
    return std::find(extensions.begin(), extensions.end(), extension) != extensions.end();
}

Offer parse_offer(long status, const std::string &tus_version, const std::string &tus_extension,
                  const std::string &tus_max_size, const std::string &tus_checksum_algorithm)
{
    Offer o;
    o.versions = trim(tus_version);
    std::vector<std::string> versions = split_list(tus_version);
    bool v1 = std::find(versions.begin(), versions.end(), "1.0.0") != versions.end();
    o.tus = status >= 200 && status < 300 && v1;
    o.extensions = split_list(tus_extension);
    o.checksums = split_list(tus_checksum_algorithm);
    bool bad = false;
    o.max_size = parse_number(tus_max_size, bad);
    if (bad) {
        o.error = "the server sent a bad Tus-Max-Size '" + trim(tus_max_size) + "'";
    }
    return o;
}

std::optional<bigupload::DigestAlg> pick_checksum(const Offer &o)
{
    using bigupload::DigestAlg;
    if (!o.has("checksum")) {
        return std::nullopt;
    }
    static const DigestAlg preference[] = {DigestAlg::sha256, DigestAlg::sha512, DigestAlg::sha1,
                                           DigestAlg::md5,    DigestAlg::crc32c, DigestAlg::crc32};
    for (DigestAlg alg : preference) {
        std::string name = bigupload::digest_name(alg);
        if (std::find(o.checksums.begin(), o.checksums.end(), name) != o.checksums.end()) {
            return alg;
        }
    }
    return std::nullopt;
}

std::string checksum_value(bigupload::DigestAlg alg, const std::string &raw)
{
    return std::string(bigupload::digest_name(alg)) + " " + bigupload::base64_encode(raw);
}

UploadInfo parse_upload_info(const std::string &upload_offset, const std::string &upload_length)
{
    UploadInfo u;
    bool bad = false;
    std::optional<std::uint64_t> off = parse_number(upload_offset, bad);
    if (!off) {
        u.error = bad ? "the server sent a bad Upload-Offset '" + trim(upload_offset) + "'"
                      : "the server's answer has no Upload-Offset";
        return u;
    }
    u.length = parse_number(upload_length, bad);
    if (bad) {
        u.error = "the server sent a bad Upload-Length '" + trim(upload_length) + "'";
        return u;
    }
    if (u.length && *off > *u.length) {
        u.error = "the server's Upload-Offset " + std::to_string(*off)
                  + " is beyond its Upload-Length " + std::to_string(*u.length);
        return u;
    }
    u.offset = *off;
    u.ok = true;
    return u;
}

std::vector<bigupload::ByteRange> split_parts(std::uint64_t size, unsigned n)
{
    std::uint64_t most = size / min_part_size;
    std::uint64_t count = n < 1 ? 1 : n;
    if (count > most) {
        count = most < 1 ? 1 : most;
    }
    std::vector<bigupload::ByteRange> parts;
    std::uint64_t base = size / count, extra = size % count, start = 0;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t len = base + (i < extra ? 1 : 0);
        parts.push_back({start, start + len});
        start += len;
    }
    return parts;
}

std::string concat_final_value(const std::vector<std::string> &urls)
{
    std::string v = "final;";
    for (std::size_t i = 0; i < urls.size(); i++) {
        v += (i ? " " : "") + urls[i];
    }
    return v;
}

Outcome classify(const AttemptResult &r, const OutcomeInput &in, const Facts &f)
{
    bool answered = !r.interrupted && !r.source_failed && r.status >= 200
                    && (r.curl_code == 0 || r.status >= 400);

    if (f.completed && answered && r.status < 300) {
        Outcome o;
        const ServerDigests server = digests_in_repr(r.repr_digest);
        const bigupload::FileDigest *d = in.alg ? server.find(*in.alg) : nullptr;
        if (d == nullptr) {
            o.exit_code = exit_ok;  // unverified: tus itself reports no digest
        } else {
            compare_digest(d->hex(), in, o);
        }
        return o;
    }

    if (!answered || r.status >= 500 || r.status < 400) {
        return bgclient::classify(r, in);
    }

    Outcome o;
    o.reply = parse_server_reply(r.body);
    o.exit_code = exit_refused;
    std::string status = "HTTP " + std::to_string(r.status);
    std::string reason = r.reason.empty() ? standard_reason(r.status) : r.reason;
    if (!reason.empty()) {
        status += " " + one_line(reason, 80);
    }
    std::string says = !o.reply.message.empty() ? ": " + one_line(o.reply.message)
                       : (!o.reply.json && !r.body.empty() && r.body.size() < 200)
                           ? ": " + one_line(r.body)
                           : std::string();

    switch (r.status) {
    case 460:
        o.exit_code = exit_integrity;
        o.message = "the server found the checksum of the bytes sent wrong (" + status
                    + ", to " + f.method + " " + f.request_url + "): it discarded them";
        o.retryable = true;
        return o;
    case 409:
        if (f.method == "PATCH") {
            o.message = "the server's offset of " + f.request_url + " moved (" + status
                        + " to PATCH)" + says;
            o.retryable = true;
            return o;
        }
        break;
    case 423:
        o.message = "the upload " + f.request_url + " is locked by another request (" + status
                    + ")";
        o.retryable = true;
        return o;
    case 404:
    case 405:
    case 410:
        if (!o.reply.json) {
            o.message = f.request_url + " does not take tus uploads: the server answered "
                        + status + " to " + f.method + says;
            return o;
        }
        break;
    case 413:
        o.message = "the server refused the file's size (" + status + " to " + f.method + " "
                    + f.request_url + ")" + says;
        return o;
    default:
        break;
    }
    return bgclient::classify(r, in);
}

}  // namespace tus
}  // namespace bgclient
