#include "proto/native.hpp"

#include "base/digest.hpp"
#include "proto/digest_fields.hpp"
#include "base/range.hpp"
#include "base/size.hpp"
#include "report/response.hpp"
#include "proto/media_type.hpp"

namespace bigupload {

namespace {

// off_t's range: every offset and length must fit the file system's
constexpr std::uint64_t max_off = 0x7fffffffffffffffULL;

// The body's framing: Content-Length, or none known yet (chunked, HTTP/2).
std::optional<std::uint64_t> body_length(const HttpRequest &rq)
{
    if (rq.content_length >= 0) {
        return static_cast<std::uint64_t>(rq.content_length);
    }
    return std::nullopt;
}

// Content-Range on a resumable request (RFC 9110 14.4 as a request header).
bool parse_content_range_field(const HttpRequest &rq, std::string_view v, UploadRequest &out,
                               NativeRefusal &why)
{
    ContentRange cr;
    ContentRangeError err = parse_content_range(v, cr);

    if (err == ContentRangeError::ok && !cr.has_range && rq.content_length != 0) {
        err = ContentRangeError::syntax;
    }

    if (err != ContentRangeError::ok) {
        return refuse(why, error_for_content_range(err), "Content-Range", v,
                      content_range_error_message(err));
    }

    if (cr.has_range && rq.content_length != static_cast<std::int64_t>(cr.range.size())) {
        why.bytes = rq.content_length;
        return refuse(why, Error::range_length_mismatch, "Content-Range", v);
    }

    out.start = cr.has_range ? cr.range.start : 0;
    out.end = cr.has_range ? cr.range.end : 0;
    if (cr.total_known) {
        out.total = cr.total;
    }
    // a range is complete when the ranges held cover the total
    out.completes = false;
    return true;
}

bool parse_count_field(std::string_view v, std::uint64_t &out)
{
    auto n = parse_count(v, 0, max_off);
    if (!n) {
        return false;
    }
    out = *n;
    return true;
}

// The resumable headers of a request with an Upload-Key.
bool parse_resumable(const HttpRequest &rq, UploadRequest &out, NativeRefusal &why)
{
    std::string_view cr, offset, length, complete;

    Got g_cr = one_field(rq, "Content-Range", cr, why, Error::bad_content_range);
    Got g_off = one_field(rq, "Upload-Offset", offset, why, Error::bad_upload_header);
    Got g_len = one_field(rq, "Upload-Length", length, why, Error::bad_upload_header);
    Got g_cpl = one_field(rq, "Upload-Complete", complete, why, Error::bad_upload_header);

    if (g_cr == Got::bad || g_off == Got::bad || g_len == Got::bad || g_cpl == Got::bad) {
        return false;
    }

    if (g_cr == Got::one) {
        // two ways of saying where the bytes go: one of them, not both
        for (auto [name, g] : {std::pair<const char *, Got>{"Upload-Offset", g_off},
                               {"Upload-Length", g_len}, {"Upload-Complete", g_cpl}}) {
            if (g == Got::one) {
                return refuse(why, Error::bad_upload_header, name, "",
                              std::string(name) + " contradicts Content-Range: send one of them");
            }
        }
        return parse_content_range_field(rq, cr, out, why);
    }

    if (g_off == Got::one && !parse_count_field(offset, out.start)) {
        return refuse(why, Error::bad_upload_header, "Upload-Offset", offset);
    }

    if (g_len == Got::one) {
        std::uint64_t n;
        if (!parse_count_field(length, n)) {
            return refuse(why, Error::bad_upload_header, "Upload-Length", length);
        }
        out.total = n;
    }

    if (g_cpl == Got::absent || complete == "?1") {
        out.completes = true;
    } else if (complete != "?0") {
        return refuse(why, Error::bad_upload_header, "Upload-Complete", complete);
    }

    if (auto cl = body_length(rq)) {
        if (*cl > max_off - out.start) {
            return refuse(why, Error::bad_upload_header, "Upload-Offset", offset);
        }
        out.end = out.start + *cl;
    }

    if (!out.total && out.completes && out.end) {
        // a body of known length that ends the upload declares its length
        out.total = out.end;
    }

    if (out.total && ((out.end && *out.end > *out.total) || out.start > *out.total
                      || (out.completes && out.end && *out.end != *out.total)))
    {
        return refuse(why, Error::upload_range_beyond, "Upload-Length", length);
    }

    return true;
}

// A request without an Upload-Key is a plain upload of the whole file: the
// headers that would make it a part of one are refused, not ignored.
bool check_plain(const HttpRequest &rq, UploadRequest &out, NativeRefusal &why)
{
    std::string_view v;

    if (rq.has("Content-Range")) {
        rq.single("Content-Range", v);
        return refuse(why, Error::needs_upload_key, "Content-Range", v,
                      "Content-Range needs an Upload-Key: without one this would be stored "
                      "as the whole file");
    }

    Got g = one_field(rq, "Upload-Offset", v, why, Error::bad_upload_header);
    if (g == Got::bad) {
        return false;
    }
    if (g == Got::one) {
        std::uint64_t n;
        if (!parse_count_field(v, n)) {
            return refuse(why, Error::bad_upload_header, "Upload-Offset", v);
        }
        if (n != 0) {
            return refuse(why, Error::needs_upload_key, "Upload-Offset", v,
                          "Upload-Offset needs an Upload-Key: without one this would be stored "
                          "as the whole file");
        }
    }

    g = one_field(rq, "Upload-Complete", v, why, Error::bad_upload_header);
    if (g == Got::bad) {
        return false;
    }
    if (g == Got::one && v != "?1") {
        if (v != "?0") {
            return refuse(why, Error::bad_upload_header, "Upload-Complete", v);
        }
        return refuse(why, Error::needs_upload_key, "Upload-Complete", v,
                      "Upload-Complete: ?0 needs an Upload-Key: without one the part would be "
                      "stored as the whole file");
    }

    g = one_field(rq, "Upload-Length", v, why, Error::bad_upload_header);
    if (g == Got::bad) {
        return false;
    }
    if (g == Got::one) {
        std::uint64_t n;
        if (!parse_count_field(v, n)) {
            return refuse(why, Error::bad_upload_header, "Upload-Length", v);
        }
        auto cl = body_length(rq);
        if (cl && *cl != n) {
            return refuse(why, Error::needs_upload_key, "Upload-Length", v,
                          "Upload-Length differs from the body's length: a part of a file "
                          "needs an Upload-Key");
        }
        // a body of unknown length must come to exactly this
        out.total = n;
    }

    out.completes = true;
    return true;
}

// A digest field (RFC 9530) as checks: the members of the algorithms the
// module computes; the others are ignored, as the RFC says.
bool parse_digests(const HttpRequest &rq, std::string_view name,
                   std::vector<DigestCheck> &out, NativeRefusal &why)
{
    std::string_view v;
    std::vector<DigestMember> members;

    switch (rq.single(name, v)) {
    case HttpRequest::Field::absent:
        return true;
    case HttpRequest::Field::repeated:
        return refuse(why, Error::bad_digest_field, name, v,
                      std::string(name) + " is given more than once");
    case HttpRequest::Field::one:
        break;
    }

    DigestFieldStatus st = parse_digest_field(v, members);
    if (!st.ok()) {
        return refuse(why, Error::bad_digest_field, name, v);
    }

    for (const auto &m : members) {
        auto alg = digest_from_field_key(m.algorithm);
        if (!alg) {
            continue;
        }
        if (m.bytes.size() != digest_size(*alg)) {
            return refuse(why, Error::bad_digest_field, name, v,
                          std::string(name) + ": a " + m.algorithm + " digest of the wrong length");
        }
        out.push_back(DigestCheck{*alg, m.bytes});
    }

    return true;
}

}  // namespace

bool parse_native(const HttpRequest &rq, NativeRequest &out, NativeRefusal &why)
{
    out = NativeRequest();
    why = NativeRefusal();

    if (rq.method == "PUT" || rq.method == "POST") {
        out.op = NativeOp::upload;
    } else if (rq.method == "HEAD") {
        out.op = NativeOp::query;
    } else if (rq.method == "DELETE") {
        out.op = NativeOp::cancel;
    } else {
        return refuse(why, Error::method_not_allowed);
    }

    // the dialects this one is not: refused until their front-end serves them
    std::string_view v;
    if (rq.has("Tus-Resumable")) {
        rq.single("Tus-Resumable", v);
        return refuse(why, Error::protocol_not_enabled, "Tus-Resumable", v, "tus");
    }
    if (rq.has("Upload-Draft-Interop-Version")) {
        rq.single("Upload-Draft-Interop-Version", v);
        return refuse(why, Error::protocol_not_enabled, "Upload-Draft-Interop-Version", v,
                      "resumable-upload draft");
    }

    // an HTML form's body is an envelope, not the file: refused (the form
    // front-end is what serves forms).  A form is always POSTed; curl's
    // "-X PUT --data-binary" labels raw bytes x-www-form-urlencoded, and a
    // PUT of them stays an upload of those bytes.
    // Two Content-Types leave it open whether the body is a form: refused.
    HttpRequest::Field ct = out.op == NativeOp::upload ? rq.single("Content-Type", v)
                                                       : HttpRequest::Field::absent;
    if (ct == HttpRequest::Field::repeated) {
        return refuse(why, Error::bad_upload_header, "Content-Type", v,
                      "Content-Type is given more than once");
    }
    if (ct == HttpRequest::Field::one) {
        std::string type = media_type(v);
        if (type == "multipart/form-data"
            || (type == "application/x-www-form-urlencoded" && rq.method == "POST"))
        {
            return refuse(why, Error::unsupported_media_type, "Content-Type", type);
        }
    }

    switch (rq.single("Upload-Key", v)) {
    case HttpRequest::Field::absent:
        break;
    case HttpRequest::Field::repeated:
        return refuse(why, Error::bad_upload_key, "Upload-Key", v,
                      "Upload-Key is given more than once");
    case HttpRequest::Field::one:
        if (!valid_upload_key(v)) {
            return refuse(why, Error::bad_upload_key, "Upload-Key", v);
        }
        out.key = std::string(v);
        break;
    }

    if (out.op != NativeOp::upload) {
        return true;
    }

    // the body's digest, and the file's: for a plain upload one and the same
    if (!parse_digests(rq, "Content-Digest", out.range.checks, why)
        || !parse_digests(rq, "Repr-Digest",
                          out.key.empty() ? out.range.checks : out.range.expect, why))
    {
        return false;
    }

    if (!out.key.empty()) {
        return parse_resumable(rq, out.range, why);
    }

    return check_plain(rq, out.range, why);
}

std::string native_partial_id(std::string_view remote_path)
{
    return sha256_hex(remote_path.data(), remote_path.size()).substr(0, 40);
}

std::vector<HeaderField> native_progress_headers(const UploadState &st, std::time_t expires)
{
    std::vector<HeaderField> h;

    h.emplace_back("Upload-Offset", std::to_string(st.received.contiguous()));
    h.emplace_back("Upload-Ranges", st.received.to_string());
    if (st.length) {
        h.emplace_back("Upload-Length", std::to_string(*st.length));
    }
    h.emplace_back("Upload-Expires", http_date(expires));
    h.emplace_back("Upload-Complete", "?0");

    return h;
}

std::vector<HeaderField> native_complete_headers(std::uint64_t size, const FileDigest &d)
{
    std::vector<HeaderField> h;

    h.emplace_back("Upload-Offset", std::to_string(size));
    h.emplace_back("Upload-Complete", "?1");

    std::string rd = repr_digest(d);
    if (!rd.empty()) {
        h.emplace_back("Repr-Digest", rd);
    }

    return h;
}

std::vector<HeaderField> native_complete_headers(std::uint64_t size, const std::string &sha256)
{
    auto raw = from_hex(sha256);
    FileDigest d;
    if (raw && raw->size() == 32) {
        d = FileDigest{DigestAlg::sha256, *raw};
    }
    return native_complete_headers(size, d);
}

std::string derive_upload_key(std::uint64_t size, std::int64_t mtime_ns,
                              std::string_view head, std::string_view tail)
{
    Sha256 h;
    std::string meta = "bigupload-key-v1 " + std::to_string(size) + " "
                       + std::to_string(mtime_ns) + "\n";

    h.update(meta.data(), meta.size());
    h.update(head.data(), head.size());
    h.update(tail.data(), tail.size());

    // 128 bits are plenty to tell files apart
    return h.final_hex().substr(0, 32);
}

}  // namespace bigupload
