#include "proto/tus_request.hpp"

#include "base/path.hpp"
#include "proto/digest_fields.hpp"
#include "proto/media_type.hpp"

namespace bigupload {
namespace tus {

namespace {

constexpr std::string_view patch_type = "application/offset+octet-stream";

bool number_field(std::string_view name, std::string_view v, std::uint64_t &out, Refusal &why)
{
    NumberError e = parse_length(v, out);
    if (e != NumberError::none) {
        return refuse(why, Error::tus_bad_header, name, v,
                      std::string(name) + " is " + number_error_message(e));
    }
    return true;
}

bool is_hex_lower(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// The first element of a comma list (X-Forwarded-*: the client's proxy first).
std::string_view first_element(std::string_view v)
{
    return trim(v.substr(0, v.find(',')));
}

bool valid_host(std::string_view h)
{
    if (h.empty() || h.size() > 255) {
        return false;
    }
    for (char c : h) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                  || c == '-' || c == '.' || c == ':' || c == '[' || c == ']' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// The last two segments of a path: ".bigupload" and what follows.
bool resource_tail(std::string_view path, std::string_view &last)
{
    std::size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    last = path.substr(slash + 1);

    std::string_view before = path.substr(0, slash);
    std::size_t prev = before.rfind('/');
    std::string_view seg = prev == std::string_view::npos ? before : before.substr(prev + 1);

    return seg == resource_segment;
}

bool parse_checksum_field(const HttpRequest &rq, Request &out, Refusal &why)
{
    std::string_view v;
    Got g = one_field(rq, "Upload-Checksum", v, why, Error::tus_bad_header);

    if (g == Got::bad) {
        return false;
    }
    if (g == Got::absent) {
        return true;
    }

    Checksum c;
    ChecksumError e = parse_checksum(v, checksum_algorithms(), c);
    if (e != ChecksumError::none) {
        std::string detail = checksum_error_message(e);
        if (e == ChecksumError::unsupported_algorithm) {
            detail += " (Tus-Checksum-Algorithm: sha1,sha256,md5,crc32)";
        }
        return refuse(why, Error::tus_bad_header, "Upload-Checksum", v, detail);
    }
    out.checksum = std::move(c);
    return true;
}

bool parse_create(const HttpRequest &rq, Request &out, Refusal &why)
{
    std::string_view concat, length, defer, metadata, offset;

    Got g_concat = one_field(rq, "Upload-Concat", concat, why, Error::tus_bad_header);
    if (g_concat == Got::bad) {
        return false;
    }
    if (g_concat == Got::one) {
        Concat c;
        ConcatError e = parse_concat(concat, c);
        if (e != ConcatError::none) {
            return refuse(why, Error::tus_bad_header, "Upload-Concat", concat,
                          concat_error_message(e));
        }
        out.concat_raw = std::string(concat);
        if (c.final) {
            out.final_concat = std::move(c);
        } else {
            out.partial = true;
        }
    }

    Got g_len = one_field(rq, "Upload-Length", length, why, Error::tus_bad_header);
    if (g_len == Got::bad) {
        return false;
    }
    Got g_defer = one_field(rq, "Upload-Defer-Length", defer, why, Error::tus_bad_header);
    if (g_defer == Got::bad) {
        return false;
    }

    out.body = rq.content_length > 0 || rq.chunked || rq.streamed;

    if (out.final_concat) {
        // its length is the sum of its parts', its bytes theirs
        if (g_len == Got::one || g_defer == Got::one) {
            const char *h = g_len == Got::one ? "Upload-Length" : "Upload-Defer-Length";
            return refuse(why, Error::tus_bad_header, h, g_len == Got::one ? length : defer,
                          std::string("a final upload (Upload-Concat: final) takes no ") + h);
        }
        if (out.body) {
            return refuse(why, Error::tus_bad_header, "Upload-Concat", concat,
                          "a final upload (Upload-Concat: final) has no body");
        }

    } else if (g_len == Got::one && g_defer == Got::one) {
        return refuse(why, Error::tus_bad_header, "Upload-Defer-Length", defer,
                      "Upload-Length and Upload-Defer-Length contradict each other: send one");

    } else if (g_len == Got::one) {
        std::uint64_t n;
        if (!number_field("Upload-Length", length, n, why)) {
            return false;
        }
        out.length = n;

    } else if (g_defer == Got::one) {
        if (!defer_length_valid(defer)) {
            return refuse(why, Error::tus_bad_header, "Upload-Defer-Length", defer,
                          "Upload-Defer-Length must be 1");
        }
        out.defer_length = true;

    } else {
        return refuse(why, Error::tus_bad_header, "Upload-Length", "",
                      "a creation needs Upload-Length, or Upload-Defer-Length: 1");
    }

    Got g_meta = one_field(rq, "Upload-Metadata", metadata, why, Error::tus_bad_header);
    if (g_meta == Got::bad) {
        return false;
    }
    if (g_meta == Got::one) {
        MetadataStatus st = parse_metadata(metadata, out.metadata);
        if (!st.ok()) {
            std::string detail = metadata_error_message(st.error);
            if (st.error != MetadataError::too_large && st.error != MetadataError::empty) {
                detail += " (pair " + std::to_string(st.pair + 1) + ")";
            }
            return refuse(why, Error::tus_bad_header, "Upload-Metadata", metadata, detail);
        }
        out.metadata_raw = std::string(metadata);
    }

    // a creation's bytes start at 0: any other offset is not understood
    Got g_off = one_field(rq, "Upload-Offset", offset, why, Error::tus_bad_header);
    if (g_off == Got::bad) {
        return false;
    }
    if (g_off == Got::one && offset != "0") {
        return refuse(why, Error::tus_bad_header, "Upload-Offset", offset,
                      "a creation's bytes start at Upload-Offset 0");
    }

    if (out.body) {
        std::string_view type;
        rq.single("Content-Type", type);
        if (!media_type_is(type, patch_type)) {
            return refuse(why, Error::tus_media_type, "Content-Type", type);
        }
    }

    return out.final_concat ? true : parse_checksum_field(rq, out, why);
}

bool parse_patch(const HttpRequest &rq, Request &out, Refusal &why)
{
    std::string_view type, offset, length;

    if (rq.single("Content-Type", type) != HttpRequest::Field::one
        || !media_type_is(type, patch_type))
    {
        return refuse(why, Error::tus_media_type, "Content-Type", type);
    }

    Got g_off = one_field(rq, "Upload-Offset", offset, why, Error::tus_bad_header);
    if (g_off == Got::bad) {
        return false;
    }
    if (g_off == Got::absent) {
        return refuse(why, Error::tus_bad_header, "Upload-Offset", "",
                      "a PATCH needs Upload-Offset");
    }
    if (!number_field("Upload-Offset", offset, out.offset, why)) {
        return false;
    }

    // the length of an upload created with Upload-Defer-Length
    Got g_len = one_field(rq, "Upload-Length", length, why, Error::tus_bad_header);
    if (g_len == Got::bad) {
        return false;
    }
    if (g_len == Got::one) {
        std::uint64_t n;
        if (!number_field("Upload-Length", length, n, why)) {
            return false;
        }
        out.length = n;
    }

    return parse_checksum_field(rq, out, why);
}

}  // namespace

const std::vector<ChecksumAlgorithm> &checksum_algorithms()
{
    static const std::vector<ChecksumAlgorithm> algs = {
        {"sha1", digest_size(DigestAlg::sha1)},
        {"sha256", digest_size(DigestAlg::sha256)},
        {"md5", digest_size(DigestAlg::md5)},
        {"crc32", digest_size(DigestAlg::crc32)},
    };
    return algs;
}

std::optional<DigestAlg> checksum_digest(std::string_view algorithm)
{
    for (const auto &a : checksum_algorithms()) {
        if (a.name == algorithm) {
            return digest_from_name(algorithm);
        }
    }
    return std::nullopt;
}

Extensions served_extensions()
{
    Extensions e;
    e.creation = true;
    e.creation_with_upload = true;
    e.creation_defer_length = true;
    e.expiration = true;
    e.checksum = true;
    e.termination = true;
    e.concatenation = true;
    return e;
}

bool valid_upload_id(std::string_view id)
{
    if (id.size() != 32) {
        return false;
    }
    for (char c : id) {
        if (!is_hex_lower(c)) {
            return false;
        }
    }
    return true;
}

UrlKind classify_path(std::string_view path, std::string &id)
{
    std::string_view last;

    id.clear();
    if (!resource_tail(path, last)) {
        return UrlKind::creation;
    }
    if (!valid_upload_id(last)) {
        return UrlKind::bad_upload;
    }
    id = std::string(last);
    return UrlKind::upload;
}

std::optional<std::string> upload_id_of_url(std::string_view url)
{
    if (url.find_first_of("?#") != std::string_view::npos) {
        return std::nullopt;
    }

    std::string_view path = url;
    if (auto p = concat_url_path(url)) {
        path = *p;
    }

    std::string decoded;
    if (percent_decode(path, decoded) != PathError::ok || decoded.empty()) {
        return std::nullopt;
    }

    std::string_view last;
    // a relative "…/.bigupload/<id>" or ".bigupload/<id>" counts too
    std::string rooted = decoded[0] == '/' ? decoded : "/" + decoded;
    if (!resource_tail(rooted, last) || !valid_upload_id(last)) {
        return std::nullopt;
    }
    return std::string(last);
}

std::string resource_url(UrlMode mode, const RequestOrigin &o, std::string_view path)
{
    if (mode == UrlMode::relative) {
        return std::string(path);
    }

    std::string_view scheme = o.scheme;
    std::string_view host = o.host;

    if (mode == UrlMode::forwarded) {
        std::string_view p = first_element(o.forwarded_proto);
        if (iequals(p, "http") || iequals(p, "https")) {
            scheme = iequals(p, "https") ? "https" : "http";
        }
        std::string_view h = first_element(o.forwarded_host);
        if (valid_host(h)) {
            host = h;
        }
    }

    if (host.empty() || scheme.empty()) {
        return std::string(path);
    }

    std::string url(scheme);
    url += "://";
    url += host;
    url += path;
    return url;
}

bool parse_request(const HttpRequest &rq, std::string_view path, Request &out, Refusal &why)
{
    out = Request();
    why = Refusal();

    std::string_view override_v;
    Got g = one_field(rq, "X-HTTP-Method-Override", override_v, why, Error::tus_bad_header);
    if (g == Got::bad) {
        return false;
    }

    std::optional<Method> m = parse_method_override(g == Got::one ? override_v : rq.method);
    if (g == Got::one && !m) {
        return refuse(why, Error::tus_bad_header, "X-HTTP-Method-Override", override_v,
                      "X-HTTP-Method-Override names no method tus knows");
    }

    std::string id;
    UrlKind kind = classify_path(path, id);
    std::string allow = kind == UrlKind::creation ? "POST, OPTIONS"
                                                  : "HEAD, PATCH, DELETE, OPTIONS";

    if (m && *m == Method::options) {
        // discovery: the version header is to be ignored
        out.op = Op::options;
        out.method = *m;
        return true;
    }

    std::string_view version;
    HttpRequest::Field f = rq.single("Tus-Resumable", version);
    if (f != HttpRequest::Field::one || !resumable_supported(version)) {
        return refuse(why, Error::tus_version, "Tus-Resumable", version,
                      f == HttpRequest::Field::absent ? "a tus request needs Tus-Resumable: 1.0.0"
                                                      : "");
    }

    if (kind == UrlKind::bad_upload) {
        return refuse(why, Error::tus_not_found);
    }

    bool allowed = m && (kind == UrlKind::creation
                         ? *m == Method::post
                         : (*m == Method::head || *m == Method::patch
                            || *m == Method::delete_));
    if (!allowed) {
        refuse(why, Error::tus_method, "", g == Got::one ? override_v : rq.method);
        why.allow = allow;
        return false;
    }

    out.method = *m;
    out.id = std::move(id);

    switch (*m) {
    case Method::post:
        out.op = Op::create;
        return parse_create(rq, out, why);
    case Method::patch:
        out.op = Op::patch;
        return parse_patch(rq, out, why);
    case Method::head:
        out.op = Op::head;
        return true;
    default:
        out.op = Op::terminate;
        return true;
    }
}

bool creation_filename(const Metadata &m, std::string &name, std::string &why)
{
    const std::string *v = find_metadata(m, "filename");

    if (v == nullptr || v->empty()) {
        why = "a creation POST to a directory needs the file's name as Upload-Metadata "
              "\"filename\"";
        return false;
    }

    if (v->find('/') != std::string::npos) {
        why = "the Upload-Metadata \"filename\" must be a name, without \"/\"";
        return false;
    }

    std::vector<std::string> segments;
    PathError e = split_remote_path("/" + *v, segments);
    if (e != PathError::ok) {
        why = std::string("the Upload-Metadata \"filename\" is no valid file name: ")
              + path_error_message(e);
        return false;
    }

    name = *v;
    return true;
}

UploadRequest upload_request(const Request &t, std::int64_t content_length,
                             std::int64_t max_idle)
{
    UploadRequest u;

    u.start = t.op == Op::patch ? t.offset : 0;
    if (content_length >= 0) {
        u.end = u.start + static_cast<std::uint64_t>(content_length);
    }
    u.total = t.length;
    u.append = true;
    u.completes = false;
    u.max_idle = max_idle;

    if (t.checksum) {
        if (auto alg = checksum_digest(t.checksum->algorithm)) {
            u.checks.push_back(DigestCheck{*alg, t.checksum->bytes});
        }
    }

    return u;
}

std::vector<HeaderField> options_headers(std::uint64_t max_size)
{
    std::vector<std::string_view> names;
    for (const auto &a : checksum_algorithms()) {
        names.push_back(a.name);
    }

    std::vector<HeaderField> h = {
        {"Tus-Version", format_versions()},
        {"Tus-Extension", format_extensions(served_extensions())},
    };
    if (max_size) {
        h.emplace_back("Tus-Max-Size", std::to_string(max_size));
    }
    h.emplace_back("Tus-Checksum-Algorithm", *format_checksum_algorithms(names));
    return h;
}

std::vector<HeaderField> progress_headers(const UploadState &st, std::time_t expires)
{
    return {
        {"Upload-Offset", std::to_string(st.received.contiguous())},
        {"Upload-Expires", http_date(expires)},
    };
}

std::vector<HeaderField> complete_headers(std::uint64_t size, const FileDigest &d)
{
    std::vector<HeaderField> h = {
        {"Upload-Offset", std::to_string(size)},
        {"Upload-Length", std::to_string(size)},
    };
    std::string rd = repr_digest(d);
    if (!rd.empty()) {
        h.emplace_back("Repr-Digest", rd);
    }
    return h;
}

std::vector<HeaderField> head_headers(const UploadState &st, std::time_t expires,
                                      const FileDigest &d)
{
    std::vector<HeaderField> h = {{"Cache-Control", "no-store"}};

    h.emplace_back("Upload-Offset", std::to_string(st.finished && st.length
                                                   ? *st.length
                                                   : st.received.contiguous()));
    if (st.length) {
        h.emplace_back("Upload-Length", std::to_string(*st.length));
    } else {
        h.emplace_back("Upload-Defer-Length", "1");
    }
    if (!st.metadata.empty()) {
        h.emplace_back("Upload-Metadata", st.metadata);
    }
    if (st.part) {
        h.emplace_back("Upload-Concat", "partial");
    } else if (!st.concat.empty()) {
        h.emplace_back("Upload-Concat", st.concat);
    }
    if (!st.finished) {
        h.emplace_back("Upload-Expires", http_date(expires));
    } else {
        std::string rd = repr_digest(d);
        if (!rd.empty()) {
            h.emplace_back("Repr-Digest", rd);
        }
    }
    return h;
}

std::vector<std::pair<std::string, std::string>> notice_metadata(std::string_view raw)
{
    std::vector<std::pair<std::string, std::string>> out;
    Metadata m;

    if (!raw.empty() && parse_metadata(raw, m).ok()) {
        for (auto &e : m) {
            out.emplace_back(std::move(e.key), std::move(e.value));
        }
    }
    return out;
}

}  // namespace tus
}  // namespace bigupload
