#include "proto/ietf.hpp"

#include <climits>

#include <nlohmann/json.hpp>

#include "proto/media_type.hpp"

namespace bigupload {
namespace ietf {

namespace {

// The table, one row per interop version, in the order of VersionTraits'
// members.  The comments cite the draft ("-05") and section each value comes
// from; an unmentioned value is the same as in the row above for the same
// reason.  What the texts leave open (which 2xx to use, how v3-5 refuse an
// append to a complete upload) is chosen in the builders below, and said there.
const VersionTraits table[] = {
    {
        3, "-01",
        // -01 9.2 "Upload-Incomplete"; 6 "Upload Appending Procedure": only
        // "?1" keeps an upload open, so an absent field completes it
        "Upload-Incomplete", true, AbsentComplete::completes,
        // -01 4: "MUST NOT include the Upload-Offset header"; no Content-Length
        // rule yet; 4/6: "MUST send the Upload-Offset header ... success ... or
        // failure"; no Upload-Limit
        true, false, false, true, Need::none,
        // -01 4: the server "MAY send" one 104 with Location; 4.1 "SHOULD
        // send"; no progress 104s
        Need::should, false, Need::none,
        // -01 5: "MUST send back a 204"; "MUST reject ... with Upload-Offset or
        // Upload-Incomplete ... 400"
        HeadStatus::only_204, true, false, Need::none,
        // -01 6: no media type; "201 (Created) ... Upload-Incomplete set to true"
        false, 201, false, false, false,
        // -01 7: "MUST send back a 204"
        true,
        false, LifetimeKey::none, false, false,
        false, false, false,
        false, false,
        // -01 4: "If the request is valid ... the server MUST include the Location
        // header in the response and set to the upload URL" (every answer)
        true,
    },
    {
        4, "-02",
        // -02 8.2 "Upload-Complete"; 6: "MUST be set to false if ... not the
        // end", absent is not "?1" (5: complete "only if" received with true)
        "Upload-Complete", false, AbsentComplete::continues,
        // -02 4: "MUST NOT include the Upload-Offset"; "Upload-Complete ... true
        // and a valid Content-Length ... final size"
        true, true, false, true, Need::none,
        Need::should, false, Need::none,
        // -02 5: "MUST respond with a 204"
        HeadStatus::only_204, true, false, Need::none,
        false, 201, false, false, false,
        true,
        false, LifetimeKey::none, false, false,
        false, false, false,
        false, false,
        // -02 4: "the server MUST include the Location header field in the
        // response and set its value to the URL of the upload resource"
        true,
    },
    {
        5, "-03",
        "Upload-Complete", false, AbsentComplete::continues,
        true, true, false, true, Need::none,
        // -03 4: "one or more informational responses ... MAY contain the
        // Upload-Offset" (and 6 for appends)
        Need::should, true, Need::none,
        // -03 5: "204 (No Content) or 200 (OK)"
        HeadStatus::status_200_or_204, true, false, Need::none,
        false, 201, false, false, false,
        true,
        false, LifetimeKey::none, false, false,
        false, false, false,
        false, false,
        // -03 4: "the server MUST include the Location header field in the
        // response and set its value to the URL of the upload resource"
        true,
    },
    {
        6, "-04, -05",
        "Upload-Complete", false, AbsentComplete::continues,
        // -05 4 / 8.4: Upload-Length; -04 4: "MAY indicate such a limit ...
        // Upload-Limit ... in the informational or final response"
        true, true, true, true, Need::may,
        Need::should, true, Need::may,
        // -05 5: 200/204, 400 also for Upload-Length, "MUST include the
        // Upload-Length ... if one was recorded", "MAY include the Upload-Limit"
        HeadStatus::status_200_or_204, true, true, Need::may,
        // -04 6: "PATCH method with the application/partial-upload media type";
        // still "201 (Created)" for an incomplete append
        true, 201, false, false, false,
        true,
        // -04 8.2 Upload-Limit with "expires"; -05 8.2: OPTIONS "MUST include
        // the Upload-Limit", "min-size=0" when there are no limits
        true, LifetimeKey::expires, true, false,
        // -04 10.1, 10.2 (-05 likewise); no inconsistent-length yet
        true, true, false,
        // -04 14 "Integrity Digests"; -05 15.1 Want-Repr-Digest
        true, true,
        // -05 4: "the server MUST include the Location header field in the
        // response and set its value to the URL of the upload resource"
        true,
    },
    {
        7, "-06, -07, -08",
        // -06 4.4.1: "The request MUST include the Upload-Complete header field"
        "Upload-Complete", false, AbsentComplete::refused,
        // -06 4.2.2: nothing forbids Upload-Offset on creation; answers need
        // Upload-Offset only on a 409 (4.4.2); "SHOULD include the Upload-Limit"
        false, true, true, false, Need::should,
        // -06 4.2.2: "The interim response MAY include the Upload-Limit"
        Need::should, true, Need::may,
        // -06 4.3.2: "A successful response", Upload-Length "if known",
        // Upload-Limit "MAY"; no 400 rule for HEAD or DELETE any more
        HeadStatus::any_2xx, false, true, Need::may,
        // -06 4.4.2: "2xx (Successful)" (the example: 204); "MUST include the
        // Upload-Complete header field with a true value"; "any response,
        // successful or not, MUST include ... false"; -08 4.4.2: exceeding the
        // length also means "marking the upload resource invalid"
        true, 204, true, true, true,
        // -06 4.5.2: "MUST respond with a 204 (No Content)"
        true,
        // -06 4.1.4: "max-age"; OPTIONS "MUST include the Upload-Limit"
        true, LifetimeKey::max_age, true, false,
        // -06 6.1-6.3
        true, true, true,
        true, true,
        // -06 4.2.2: a complete upload is answered by "the targeted resource
        // processing the representation"; Location only for "?0"
        false,
    },
    {
        8, "-09, -10, -11",
        "Upload-Complete", false, AbsentComplete::refused,
        // -09 4.2.2: the ?0 answer "MUST include the Upload-Limit header field
        // ... if existing"
        false, true, true, false, Need::must,
        // -09 4.2.2: the 104 "MUST include the Upload-Limit header field ... if
        // existing"; -09 4.4.2: progress 104s on appends "SHOULD"
        Need::should, true, Need::must,
        // -09 4.3.2: "MUST indicate the limits in the Upload-Limit header field"
        HeadStatus::any_2xx, false, true, Need::must,
        // -09 4.4.2 still requires Upload-Complete: ?0 on every answer not
        // completing the upload; -10 lifted it; sent, it satisfies both
        true, 204, true, true, true,
        // -09 "Remove requirement for 204 status code for DELETE responses"
        false,
        // -10/-11 4.1.4: OPTIONS "MUST include the Accept-Patch" (reverted after
        // -11, sending it stays harmless); Upload-Limit "SHOULD" there
        true, LifetimeKey::max_age, true, true,
        // -09..-11 7.1-7.3 (the editor's copy after -11 drops completed-upload)
        true, true, true,
        true, true,
        false,
    },
};

// bytes a header value can carry: VCHAR and SP (no CR, LF or controls)
bool header_safe(std::string_view v)
{
    for (char c : v) {
        unsigned char u = (unsigned char) c;
        if (u < 0x20 || u == 0x7f) {
            return false;
        }
    }
    return true;
}

FieldStatus parse_integer_item(std::string_view value, std::int64_t &out)
{
    FieldStatus st;
    sfv::Item item;
    st.syntax = sfv::parse_item(value, item);
    if (!st.syntax.ok()) {
        st.error = FieldError::syntax;
        return st;
    }
    const sfv::Integer *i = std::get_if<sfv::Integer>(&item.bare);
    if (i == nullptr) {
        st.error = FieldError::wrong_type;
        return st;
    }
    out = i->value;
    return st;
}

FieldStatus parse_non_negative(std::string_view value, std::uint64_t &out)
{
    std::int64_t v = 0;
    FieldStatus st = parse_integer_item(value, v);
    if (st.ok()) {
        if (v < 0) {
            st.error = FieldError::negative;
        } else {
            out = (std::uint64_t) v;
        }
    }
    return st;
}

bool add_integer(Headers &h, const char *name, std::uint64_t v)
{
    std::optional<std::string> s = format_integer(v);
    if (!s) {
        return false;
    }
    h.emplace_back(name, std::move(*s));
    return true;
}

void add_complete(Headers &h, const VersionTraits &t, bool complete)
{
    h.emplace_back(t.complete_field, format_complete(t, complete));
}

// Upload-Limit where the version has it and "need" asks for it: when limits
// are given, or always for "always_when_must" and a MUST (HEAD in v8).
bool add_limit(Headers &h, const VersionTraits &t, Need need, const Limits *limits,
               bool always_when_must)
{
    if (!t.upload_limit || need == Need::none) {
        return true;
    }
    if (limits == nullptr && !(always_when_must && need == Need::must)) {
        return true;
    }
    std::optional<std::string> v = format_limit(t, limits ? *limits : Limits());
    if (!v) {
        return false;
    }
    h.emplace_back("Upload-Limit", std::move(*v));
    return true;
}

bool add_interop(Headers &h, const VersionTraits &t)
{
    return add_integer(h, "Upload-Draft-Interop-Version", (std::uint64_t) t.interop);
}

}  // namespace

const VersionTraits *traits_for(int interop)
{
    for (const auto &t : table) {
        if (t.interop == interop) {
            return &t;
        }
    }
    return nullptr;
}

const char *field_error_message(FieldError e)
{
    switch (e) {
    case FieldError::none: return "ok";
    case FieldError::syntax: return "not a structured-field item";
    case FieldError::wrong_type: return "a value of the wrong type";
    case FieldError::negative: return "a negative value";
    case FieldError::unsupported_version: return "an interop version not served (3 to 8 are)";
    }
    return "unknown error";
}

FieldStatus parse_interop_version(std::string_view value, int &version)
{
    std::int64_t v = 0;
    FieldStatus st = parse_integer_item(value, v);
    if (st.ok()) {
        version = v < INT_MIN || v > INT_MAX ? -1 : (int) v;
        if (traits_for(version) == nullptr) {
            st.error = FieldError::unsupported_version;
        }
    }
    return st;
}

FieldStatus parse_offset(std::string_view value, std::uint64_t &out)
{
    return parse_non_negative(value, out);
}

FieldStatus parse_length(std::string_view value, std::uint64_t &out)
{
    return parse_non_negative(value, out);
}

FieldStatus parse_complete(const VersionTraits &t, std::string_view value, bool &complete)
{
    FieldStatus st;
    sfv::Item item;
    st.syntax = sfv::parse_item(value, item);
    if (!st.syntax.ok()) {
        st.error = FieldError::syntax;
        return st;
    }
    const sfv::Boolean *b = std::get_if<sfv::Boolean>(&item.bare);
    if (b == nullptr) {
        st.error = FieldError::wrong_type;
        return st;
    }
    complete = t.complete_inverted ? !b->value : b->value;
    return st;
}

std::string format_complete(const VersionTraits &t, bool complete)
{
    return (t.complete_inverted ? !complete : complete) ? "?1" : "?0";
}

std::optional<std::string> format_integer(std::uint64_t v)
{
    if (v > (std::uint64_t) sfv::max_integer) {
        return std::nullopt;
    }
    return std::to_string(v);
}

bool is_partial_upload(std::string_view content_type)
{
    return media_type_is(content_type, "application/partial-upload");
}

LengthOutcome deduce_length(const VersionTraits &t, const LengthIndicators &in,
                            std::optional<std::uint64_t> recorded, std::uint64_t &length)
{
    std::optional<std::uint64_t> from_field;
    std::optional<std::uint64_t> from_content;

    if (t.upload_length && in.upload_length) {
        from_field = in.upload_length;
    }
    if (t.content_length_is_length && in.complete && in.content_length) {
        if (*in.content_length > UINT64_MAX - in.offset) {
            return LengthOutcome::inconsistent;
        }
        from_content = in.offset + *in.content_length;
    }
    if (from_field && from_content && *from_field != *from_content) {
        return LengthOutcome::inconsistent;
    }

    std::optional<std::uint64_t> l = from_field ? from_field : from_content;
    if (l && recorded && *l != *recorded) {
        return LengthOutcome::inconsistent;
    }
    if (!l) {
        l = recorded;
    }
    if (!l) {
        return LengthOutcome::unknown;
    }
    if (*l < in.offset
        || (in.content_length && *in.content_length > *l - in.offset)) {
        return LengthOutcome::inconsistent;      // the request itself goes past it
    }
    length = *l;
    return LengthOutcome::known;
}

std::optional<std::string> format_limit(const VersionTraits &t, const Limits &l)
{
    if (!t.upload_limit) {
        return std::nullopt;
    }
    const struct {
        const char *key;
        const std::optional<std::uint64_t> &v;
    } members[] = {
        {"max-size", l.max_size},
        {"min-size", l.min_size},
        {"max-append-size", l.max_append_size},
        {"min-append-size", l.min_append_size},
        {t.lifetime_key == LifetimeKey::expires ? "expires" : "max-age", l.lifetime},
    };

    sfv::Dictionary d;
    for (const auto &m : members) {
        if (m.v) {
            if (*m.v > (std::uint64_t) sfv::max_integer) {
                return std::nullopt;
            }
            sfv::set(d, m.key, sfv::Item{sfv::Integer{(std::int64_t) *m.v}, {}});
        }
    }
    if (d.empty()) {
        sfv::set(d, "min-size", sfv::Item{sfv::Integer{0}, {}});
    }
    return sfv::serialize_dictionary(d);
}

FieldStatus parse_limit(const VersionTraits &t, std::string_view value, Limits &out)
{
    FieldStatus st;
    sfv::Dictionary d;
    out = Limits();
    if (!t.upload_limit) {
        st.error = FieldError::unsupported_version;
        return st;
    }
    st.syntax = sfv::parse_dictionary(value, d);
    if (!st.syntax.ok()) {
        st.error = FieldError::syntax;
        return st;
    }

    const char *lifetime = t.lifetime_key == LifetimeKey::expires ? "expires" : "max-age";
    for (const auto &m : d) {
        std::optional<std::uint64_t> *slot =
            m.first == "max-size" ? &out.max_size
            : m.first == "min-size" ? &out.min_size
            : m.first == "max-append-size" ? &out.max_append_size
            : m.first == "min-append-size" ? &out.min_append_size
            : m.first == lifetime ? &out.lifetime : nullptr;
        if (slot == nullptr) {
            continue;                               // unknown keys are ignored
        }
        const sfv::BareItem *bare = sfv::bare_of(m.second);
        const sfv::Integer *i = bare ? std::get_if<sfv::Integer>(bare) : nullptr;
        if (i == nullptr || i->value < 0) {
            st.error = i == nullptr ? FieldError::wrong_type : FieldError::negative;
            out = Limits();
            return st;
        }
        *slot = (std::uint64_t) i->value;
    }
    return st;
}

const char *problem_type_uri(Problem p)
{
    switch (p) {
    case Problem::mismatching_upload_offset:
        return "https://iana.org/assignments/http-problem-types#mismatching-upload-offset";
    case Problem::completed_upload:
        return "https://iana.org/assignments/http-problem-types#completed-upload";
    case Problem::inconsistent_upload_length:
        return "https://iana.org/assignments/http-problem-types#inconsistent-upload-length";
    }
    return "about:blank";
}

const char *problem_title(Problem p)
{
    switch (p) {
    case Problem::mismatching_upload_offset: return "Mismatching Upload Offset";
    case Problem::completed_upload: return "Upload Is Completed";
    case Problem::inconsistent_upload_length: return "Inconsistent Upload Length Values";
    }
    return "";
}

bool version_defines(const VersionTraits &t, Problem p)
{
    switch (p) {
    case Problem::mismatching_upload_offset: return t.problem_mismatching_offset;
    case Problem::completed_upload: return t.problem_completed_upload;
    case Problem::inconsistent_upload_length: return t.problem_inconsistent_length;
    }
    return false;
}

std::string problem_json(Problem p, int status, std::string_view detail,
                         std::optional<std::uint64_t> expected_offset,
                         std::optional<std::uint64_t> provided_offset)
{
    nlohmann::ordered_json j;
    j["type"] = problem_type_uri(p);
    j["title"] = problem_title(p);
    j["status"] = status;
    if (!detail.empty()) {
        j["detail"] = std::string(detail);
    }
    if (p == Problem::mismatching_upload_offset) {
        if (expected_offset) {
            j["expected-offset"] = *expected_offset;
        }
        if (provided_offset) {
            j["provided-offset"] = *provided_offset;
        }
    }
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::optional<Headers> interim_creation_headers(const VersionTraits &t, std::string_view location,
                                                const Limits *limits)
{
    Headers h;
    if (location.empty() || !header_safe(location) || !add_interop(h, t)) {
        return std::nullopt;
    }
    h.emplace_back("Location", std::string(location));
    if (!add_limit(h, t, t.interim_limit, limits, false)) {
        return std::nullopt;
    }
    return h;
}

std::optional<Headers> interim_progress_headers(const VersionTraits &t, std::uint64_t offset)
{
    Headers h;
    if (!t.interim_progress || !add_interop(h, t) || !add_integer(h, "Upload-Offset", offset)) {
        return std::nullopt;
    }
    return h;
}

std::string http11_interim(const Headers &h)
{
    std::string out = "HTTP/1.1 104 Upload Resumption Supported\r\n";
    for (const auto &kv : h) {
        out += kv.first;
        out += ": ";
        out += kv.second;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

std::optional<Answer> head_answer(const VersionTraits &t, const UploadState &s,
                                  const Limits *limits)
{
    Answer a;
    a.status = 204;                 // allowed by every version's HeadStatus
    if (!add_integer(a.headers, "Upload-Offset", s.offset)) {
        return std::nullopt;
    }
    add_complete(a.headers, t, s.complete);
    if (t.head_length && s.length && !add_integer(a.headers, "Upload-Length", *s.length)) {
        return std::nullopt;
    }
    if (!add_limit(a.headers, t, t.head_limit, limits, true)) {
        return std::nullopt;
    }
    a.headers.emplace_back("Cache-Control", "no-store");
    return a;
}

std::optional<Answer> creation_incomplete_answer(const VersionTraits &t, std::string_view location,
                                                 std::uint64_t offset, const Limits *limits)
{
    Answer a;
    a.status = 201;
    if (location.empty() || !header_safe(location)) {
        return std::nullopt;
    }
    a.headers.emplace_back("Location", std::string(location));
    add_complete(a.headers, t, false);
    // required in v3-6, the acknowledgement of what was received in all
    if (!add_integer(a.headers, "Upload-Offset", offset)
        || !add_limit(a.headers, t, t.creation_limit, limits, false)) {
        return std::nullopt;
    }
    return a;
}

std::optional<Answer> append_incomplete_answer(const VersionTraits &t, std::uint64_t offset)
{
    Answer a;
    a.status = t.append_incomplete_status;
    add_complete(a.headers, t, false);
    if (!add_integer(a.headers, "Upload-Offset", offset)) {
        return std::nullopt;
    }
    return a;
}

std::optional<Headers> completion_headers(const VersionTraits &t, std::uint64_t offset)
{
    Headers h;
    // the completeness field is required on a completing append from v7 on
    // and allowed everywhere else; Upload-Offset is required in v3-6
    add_complete(h, t, true);
    if (!add_integer(h, "Upload-Offset", offset)) {
        return std::nullopt;
    }
    return h;
}

std::optional<Answer> refusal_answer(const VersionTraits &t, Refusal r, const UploadState &s,
                                     bool has_content)
{
    Answer a;
    a.status = 400;
    bool offset = t.answers_carry_offset;
    bool incomplete = t.failure_says_incomplete;
    std::optional<Problem> problem;

    switch (r) {
    case Refusal::mismatching_offset:
        // 409 with the correct Upload-Offset in every version
        a.status = 409;
        offset = true;
        problem = Problem::mismatching_upload_offset;
        break;
    case Refusal::completed_append:
        // v8 (-10, -11): content on a complete upload is an inconsistent length
        problem = t.interop >= 8 && has_content ? Problem::inconsistent_upload_length
                                                : Problem::completed_upload;
        incomplete = false;
        break;
    case Refusal::inconsistent_length:
        offset = false;      // the resource is not (or no longer) active
        problem = Problem::inconsistent_upload_length;
        break;
    case Refusal::length_exceeded:
        offset = offset && !t.exceeding_length_invalidates;
        problem = Problem::inconsistent_upload_length;
        break;
    }

    if (offset && !add_integer(a.headers, "Upload-Offset", s.offset)) {
        return std::nullopt;
    }
    if (r == Refusal::completed_append) {
        add_complete(a.headers, t, s.complete);
    } else if (incomplete) {
        add_complete(a.headers, t, false);
    }
    if (problem && version_defines(t, *problem)) {
        a.problem = problem;
    }
    return a;
}

}  // namespace ietf
}  // namespace bigupload
