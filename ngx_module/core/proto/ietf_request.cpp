#include "proto/ietf_request.hpp"

#include <algorithm>

#include "base/path.hpp"
#include "engine/partial_store.hpp"
#include "proto/digest_fields.hpp"
#include "proto/form.hpp"

namespace bigupload {
namespace ietf {

namespace {

// A singleton field: absent (true, not present), or its one value, which
// may be empty (the field's parser says what an empty value is).
bool single(const HttpRequest &rq, const char *name, std::string_view &v, bool &present,
            RequestRefusal &why)
{
    Got g = one_field(rq, name, v, why, Error::ietf_bad_header, true);
    present = g == Got::one;
    return g != Got::bad;
}

// Reads the singleton field "name" and, when it is there, hands its value to
// "parse", which takes it or refuses it: false when the request is refused.
template <class Parse>
bool when_present(const HttpRequest &rq, const char *name, RequestRefusal &why, Parse parse)
{
    std::string_view v;
    bool present;
    if (!single(rq, name, v, present, why)) {
        return false;
    }
    return !present || parse(v);
}

bool field_refusal(RequestRefusal &why, const char *name, std::string_view v,
                   const FieldStatus &st)
{
    std::string detail = std::string(name) + " is " + field_error_message(st.error);
    if (st.error == FieldError::syntax) {
        detail += std::string(" (") + sfv::error_message(st.syntax.error) + ")";
    }
    return refuse(why, Error::ietf_bad_header, name, v, detail);
}

// An Integer field (Upload-Offset, Upload-Length), when present.
bool integer_field(const HttpRequest &rq, const char *name, std::optional<std::uint64_t> &out,
                   RequestRefusal &why)
{
    return when_present(rq, name, why, [&](std::string_view v) {
        std::uint64_t n = 0;
        FieldStatus st = parse_offset(v, n);
        if (!st.ok()) {
            return field_refusal(why, name, v, st);
        }
        out = n;
        return true;
    });
}

// The version's completeness field, when present; the other version's
// field is refused (a v3 client speaks Upload-Incomplete only).
bool complete_field(const HttpRequest &rq, const VersionTraits &t, std::optional<bool> &out,
                    RequestRefusal &why)
{
    const char *other = t.complete_inverted ? "Upload-Complete" : "Upload-Incomplete";
    std::string_view ov;
    if (rq.single(other, ov) != HttpRequest::Field::absent) {
        return refuse(why, Error::ietf_bad_header, other, ov,
                      std::string(other) + " is not a field of interop version "
                          + std::to_string(t.interop) + ", " + t.complete_field + " is");
    }

    return when_present(rq, t.complete_field, why, [&](std::string_view v) {
        bool complete = false;
        FieldStatus st = parse_complete(t, v, complete);
        if (!st.ok()) {
            return field_refusal(why, t.complete_field, v, st);
        }
        out = complete;
        return true;
    });
}

// Content-Digest / Repr-Digest: the members whose algorithm we have; a
// member of a known algorithm with a digest of the wrong length is refused.
bool digest_field(const HttpRequest &rq, const char *name, std::vector<DigestCheck> &out,
                  RequestRefusal &why)
{
    return when_present(rq, name, why, [&](std::string_view v) {
        std::vector<DigestMember> members;
        DigestFieldStatus st = parse_digest_field(v, members);
        if (!st.ok()) {
            return refuse(why, Error::ietf_bad_header, name, v,
                          std::string(name) + " is malformed: "
                              + digest_field_error_message(st.error));
        }
        for (const auto &m : members) {
            std::optional<DigestAlg> alg = digest_from_field_key(m.algorithm);
            if (!alg) {
                continue;              // RFC 9530: unknown algorithms are ignored
            }
            if (m.bytes.size() != digest_size(*alg)) {
                return refuse(why, Error::ietf_bad_header, name, v,
                              std::string(name) + ": a " + m.algorithm + " digest is "
                                  + std::to_string(digest_size(*alg)) + " bytes, not "
                                  + std::to_string(m.bytes.size()));
            }
            out.push_back(DigestCheck{*alg, m.bytes});
        }
        return true;
    });
}

bool want_field(const HttpRequest &rq, std::vector<DigestAlg> &out, RequestRefusal &why)
{
    return when_present(rq, "Want-Repr-Digest", why, [&](std::string_view v) {
        std::vector<DigestPreference> prefs;
        DigestFieldStatus st = parse_want_digest_field(v, prefs);
        if (!st.ok()) {
            return refuse(why, Error::ietf_bad_header, "Want-Repr-Digest", v,
                          std::string("Want-Repr-Digest is malformed: ")
                              + digest_field_error_message(st.error));
        }
        // most wanted first; equal weights keep the client's order
        std::stable_sort(prefs.begin(), prefs.end(),
                         [](const DigestPreference &a, const DigestPreference &b) {
                             return a.weight > b.weight;
                         });
        for (const auto &p : prefs) {
            std::optional<DigestAlg> alg = digest_from_field_key(p.algorithm);
            if (p.weight > 0 && alg && std::find(out.begin(), out.end(), *alg) == out.end()) {
                out.push_back(*alg);
            }
        }
        return true;
    });
}

bool disposition(const HttpRequest &rq, Request &out, RequestRefusal &why)
{
    return when_present(rq, "Content-Disposition", why, [&](std::string_view v) {
        std::string type;
        FormPart part;
        if (parse_content_disposition(v, type, part) != FormError::ok) {
            return refuse(why, Error::ietf_bad_header, "Content-Disposition", v,
                          "Content-Disposition is malformed");
        }
        if (part.is_file()) {
            out.has_filename = true;
            out.filename = part.preferred_filename();
        }
        return true;
    });
}

// The length this request indicates, checked against its own content.
bool length_of(const HttpRequest &rq, const VersionTraits &t, Request &out,
               std::optional<std::uint64_t> upload_length, RequestRefusal &why)
{
    LengthIndicators in;
    in.upload_length = upload_length;
    in.content_length = out.content_length;
    in.complete = out.complete;
    in.offset = out.offset;

    std::uint64_t length = 0;
    switch (deduce_length(t, in, std::nullopt, length)) {
    case LengthOutcome::unknown:
        break;
    case LengthOutcome::known:
        out.length = length;
        break;
    case LengthOutcome::inconsistent:
        return refuse(why, Error::ietf_inconsistent_length,
                      upload_length ? "Upload-Length" : "Content-Length",
                      upload_length ? std::to_string(*upload_length)
                                    : std::to_string(rq.content_length),
                      "the request's length indicators disagree (Upload-Length, "
                      "Content-Length with the upload complete, Upload-Offset)");
    }
    return true;
}

bool creation(const HttpRequest &rq, const VersionTraits &t, Request &out, RequestRefusal &why)
{
    std::optional<bool> complete;
    if (!complete_field(rq, t, complete, why)) {
        return false;
    }
    if (!complete) {
        return refuse(why, Error::ietf_needs_complete, t.complete_field, {},
                      std::string("a creation needs ") + t.complete_field);
    }
    out.complete = *complete;

    std::optional<std::uint64_t> offset;
    if (!integer_field(rq, "Upload-Offset", offset, why)) {
        return false;
    }
    if (offset && (t.creation_refuses_offset || *offset != 0)) {
        return refuse(why, Error::ietf_bad_header, "Upload-Offset", std::to_string(*offset),
                      t.creation_refuses_offset
                          ? "a creation carries no Upload-Offset in this interop version"
                          : "a creation's Upload-Offset can only be 0");
    }

    std::optional<std::uint64_t> upload_length;
    if (t.upload_length && !integer_field(rq, "Upload-Length", upload_length, why)) {
        return false;
    }

    return length_of(rq, t, out, upload_length, why)
           && digest_field(rq, "Content-Digest", out.content_digests, why)
           && digest_field(rq, "Repr-Digest", out.repr_digests, why)
           && want_field(rq, out.want_repr, why)
           && disposition(rq, out, why);
}

bool append(const HttpRequest &rq, const VersionTraits &t, Request &out, RequestRefusal &why)
{
    std::string_view v;
    if (t.patch_media_type
        && (rq.single("Content-Type", v) != HttpRequest::Field::one || !is_partial_upload(v)))
    {
        return refuse(why, Error::ietf_media_type, "Content-Type", v);
    }

    std::optional<std::uint64_t> offset;
    if (!integer_field(rq, "Upload-Offset", offset, why)) {
        return false;
    }
    if (!offset) {
        return refuse(why, Error::ietf_bad_header, "Upload-Offset", {},
                      "an append needs Upload-Offset");
    }
    out.offset = *offset;

    std::optional<bool> complete;
    if (!complete_field(rq, t, complete, why)) {
        return false;
    }
    if (!complete) {
        switch (t.append_without_complete) {
        case AbsentComplete::completes:
            complete = true;
            break;
        case AbsentComplete::continues:
            complete = false;
            break;
        case AbsentComplete::refused:
            return refuse(why, Error::ietf_needs_complete, t.complete_field, {},
                          std::string("an append needs ") + t.complete_field);
        }
    }
    out.complete = *complete;

    std::optional<std::uint64_t> upload_length;
    if (t.upload_length && !integer_field(rq, "Upload-Length", upload_length, why)) {
        return false;
    }

    return length_of(rq, t, out, upload_length, why)
           && digest_field(rq, "Content-Digest", out.content_digests, why)
           && want_field(rq, out.want_repr, why);
}

// v3-6: offset retrieval and cancellation carry none of the upload fields
bool bare(const HttpRequest &rq, const VersionTraits &t, RequestRefusal &why)
{
    if (!t.refuses_upload_fields) {
        return true;
    }
    const char *fields[] = {"Upload-Offset", t.complete_field,
                            t.upload_length ? "Upload-Length" : nullptr};
    for (const char *f : fields) {
        std::string_view v;
        if (f && rq.single(f, v) != HttpRequest::Field::absent) {
            return refuse(why, Error::ietf_bad_header, f, v,
                          std::string(f) + " is not allowed on " + std::string(rq.method)
                              + " in this interop version");
        }
    }
    return true;
}

}  // namespace

bool parse_request(const HttpRequest &rq, bool resource, Request &out, RequestRefusal &why)
{
    out = Request();
    why = RequestRefusal();

    std::string_view v;
    if (rq.single("Upload-Draft-Interop-Version", v) != HttpRequest::Field::one) {
        return refuse(why, Error::ietf_bad_header, "Upload-Draft-Interop-Version", v,
                      "Upload-Draft-Interop-Version is missing or given more than once");
    }
    int version = 0;
    FieldStatus st = parse_interop_version(v, version);
    if (st.error == FieldError::unsupported_version) {
        return refuse(why, Error::ietf_unsupported_version, "Upload-Draft-Interop-Version", v);
    }
    if (!st.ok()) {
        return field_refusal(why, "Upload-Draft-Interop-Version", v, st);
    }
    out.traits = traits_for(version);
    const VersionTraits &t = *out.traits;

    if (rq.content_length >= 0) {
        out.content_length = static_cast<std::uint64_t>(rq.content_length);
    } else if (!rq.chunked && !rq.streamed) {
        out.content_length = 0;              // no framing: no content
    }

    if (rq.method == "OPTIONS") {
        out.op = Op::options;
        return true;
    }

    if (!resource) {
        if (rq.method != "POST" && rq.method != "PUT" && rq.method != "PATCH") {
            return refuse(why, Error::ietf_method, {}, rq.method);
        }
        out.op = Op::create;
        return creation(rq, t, out, why);
    }

    if (rq.method == "HEAD") {
        out.op = Op::query;
        return bare(rq, t, why);
    }
    if (rq.method == "DELETE") {
        out.op = Op::cancel;
        return bare(rq, t, why);
    }
    if (rq.method == "PATCH") {
        out.op = Op::append;
        return append(rq, t, out, why);
    }
    return refuse(why, Error::ietf_method, {}, rq.method);
}

std::string resource_path(std::string_view location_prefix, std::string_view id)
{
    std::string p(location_prefix);
    if (p.empty() || p.back() != '/') {
        p += '/';
    }
    p += temp_prefix;
    p += '/';
    p += id;
    return p;
}

std::string resource_id(std::string_view uri_path, std::string_view location_prefix)
{
    std::string base = resource_path(location_prefix, "");
    if (uri_path.size() <= base.size() || uri_path.substr(0, base.size()) != base) {
        return std::string();
    }
    // exactly what PartialStore::new_id() makes: 32 hex digits (a native
    // partial's id, 40 digits derived from its path, is never reachable)
    std::string_view id = uri_path.substr(base.size());
    if (id.size() != 32 || !PartialStore::valid_id(id)
        || id.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    {
        return std::string();
    }
    return std::string(id);
}

bool valid_filename(std::string_view name)
{
    std::vector<std::string> segments;
    return !name.empty() && name.find('/') == std::string_view::npos
           && split_remote_path("/" + std::string(name), segments) == PathError::ok;
}

}  // namespace ietf
}  // namespace bigupload
