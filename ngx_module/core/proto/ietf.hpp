// The IETF resumable-upload draft (draft-ietf-httpbis-resumable-upload) in
// every interop version a client may send: 3 to 8.  One table row per version
// (VersionTraits, from the draft texts), the header parsers, and the
// builders of the answers' headers and application/problem+json bodies.
// No I/O: the glue sends what these return.
//
// Interop versions and the drafts that carry them ("Draft Version
// Identification" of each text; the number changes on breaking changes only):
//   3: -01   4: -02   5: -03   6: -04, -05   7: -06, -07, -08   8: -09, -10, -11
// Where drafts sharing a number differ, a row satisfies all of them when
// that is possible (a header one text requires and a later one merely stops
// requiring is sent); otherwise the last published text of the number wins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/sfv.hpp"

namespace bigupload {
namespace ietf {

constexpr int min_interop_version = 3;
constexpr int max_interop_version = 8;

// How strongly a draft asks for a header in an answer.
enum class Need { none, may, should, must };

// What a PATCH without the completeness header means.
enum class AbsentComplete {
    completes,        // v3: Upload-Incomplete absent = the upload ends with this request
    continues,        // v4-6: only "Upload-Complete: ?1" completes
    refused,          // v7+: the header is required (400)
};

// Which 2xx a successful HEAD may answer.
enum class HeadStatus {
    only_204,         // v3, v4
    status_200_or_204,// v5, v6
    any_2xx,          // v7+ ("a successful response")
};

// The Upload-Limit key of the upload resource's remaining lifetime.
enum class LifetimeKey { none, expires, max_age };

struct VersionTraits {
    int interop;
    const char *drafts;                     // "-04, -05"

    // completeness (v3 "Upload-Incomplete", v4+ "Upload-Complete", both sf-boolean)
    const char *complete_field;
    bool complete_inverted;                 // Upload-Incomplete: ?1 = not complete
    AbsentComplete append_without_complete;

    // upload creation
    bool creation_refuses_offset;           // a creation request MUST NOT carry Upload-Offset
    bool content_length_is_length;          // "?1" + Content-Length gives the length
    bool upload_length;                     // the Upload-Length field exists
    bool answers_carry_offset;              // every answer about an active upload has Upload-Offset
    Need creation_limit;                    // Upload-Limit on the "?0" creation answer

    // 104 (Upload Resumption Supported)
    Need interim_creation;                  // a 104 with Location once the resource exists
    bool interim_progress;                  // later 104s with Upload-Offset (creation and append)
    Need interim_limit;                     // Upload-Limit in the creation 104

    // offset retrieval (HEAD)
    HeadStatus head_status;
    bool refuses_upload_fields;             // 400 for HEAD/DELETE carrying Upload-Offset/-Complete(/-Length)
    bool head_length;                       // Upload-Length in the HEAD answer when known
    Need head_limit;

    // upload append (PATCH)
    bool patch_media_type;                  // Content-Type: application/partial-upload required
    int append_incomplete_status;           // a successful append that does not complete
    bool completion_says_complete;          // the completing answer has Upload-Complete: ?1
    bool failure_says_incomplete;           // a failed append's answer has Upload-Complete: ?0
    bool exceeding_length_invalidates;      // passing the known length kills the resource

    // cancellation (DELETE)
    bool delete_must_204;

    // Upload-Limit
    bool upload_limit;                      // the field exists
    LifetimeKey lifetime_key;
    bool options_limit;                     // OPTIONS answers Upload-Limit ("min-size=0" for none)
    bool options_accept_patch;              // OPTIONS answers Accept-Patch: application/partial-upload

    // problem types (RFC 9457)
    bool problem_mismatching_offset;
    bool problem_completed_upload;
    bool problem_inconsistent_length;

    // digests (RFC 9530)
    bool digests;                           // Repr-Digest / Content-Digest described
    bool want_repr_digest;                  // Want-Repr-Digest described

    // the final answer of a creation that completes the upload
    bool completion_location_is_upload;     // its Location is the upload resource's
};

// The row for an interop version, nullptr outside 3..8.
const VersionTraits *traits_for(int interop);

// --- request fields -----------------------------------------------------------

enum class FieldError {
    none,
    syntax,                 // not a structured-field Item: "syntax" says why
    wrong_type,             // not the Integer / Boolean the field is
    negative,               // an offset or length below 0
    unsupported_version,    // an interop version outside 3..8 (no 104 may be sent)
};

struct FieldStatus {
    FieldError error = FieldError::none;
    sfv::Status syntax;
    bool ok() const { return error == FieldError::none; }
};

const char *field_error_message(FieldError e);

// Item parameters are ignored (RFC 9651 2.3); the value must be the type.
// Upload-Draft-Interop-Version: "version" is set whenever the value is an
// Integer (-1 beyond the range of int), also for unsupported_version.
FieldStatus parse_interop_version(std::string_view value, int &version);
FieldStatus parse_offset(std::string_view value, std::uint64_t &out);      // Upload-Offset
FieldStatus parse_length(std::string_view value, std::uint64_t &out);      // Upload-Length
// The value of traits.complete_field, polarity applied: true = complete.
FieldStatus parse_complete(const VersionTraits &t, std::string_view value, bool &complete);

// The value of traits.complete_field for "complete" ("?1"/"?0", inverted in v3).
std::string format_complete(const VersionTraits &t, bool complete);

// An offset or length as sf-integer; nullopt above sfv::max_integer (~888 TiB).
std::optional<std::string> format_integer(std::uint64_t v);

// The PATCH Content-Type check of v6+.
bool is_partial_upload(std::string_view content_type);

// --- the length of an upload (v6+ "Length" / v4+ Content-Length rule) -------------

struct LengthIndicators {
    std::optional<std::uint64_t> upload_length;     // Upload-Length, if sent (and v6+)
    std::optional<std::uint64_t> content_length;    // Content-Length, if sent
    bool complete = false;                          // this request completes the upload
    std::uint64_t offset = 0;                       // where its content starts
};

enum class LengthOutcome {
    unknown,          // nothing says it (yet)
    known,            // "length" is set
    inconsistent,     // the indicators disagree with each other, the record, or the offset
};

// The upload's length from this request and what was recorded before.
LengthOutcome deduce_length(const VersionTraits &t, const LengthIndicators &in,
                            std::optional<std::uint64_t> recorded, std::uint64_t &length);

// --- Upload-Limit -----------------------------------------------------------------

struct Limits {
    std::optional<std::uint64_t> max_size;
    std::optional<std::uint64_t> min_size;
    std::optional<std::uint64_t> max_append_size;
    std::optional<std::uint64_t> min_append_size;
    std::optional<std::uint64_t> lifetime;          // seconds: "expires" (v6) / "max-age" (v7+)
    bool operator==(const Limits &o) const
    {
        return max_size == o.max_size && min_size == o.min_size
               && max_append_size == o.max_append_size && min_append_size == o.min_append_size
               && lifetime == o.lifetime;
    }
};

// "max-size=N, min-size=N, max-append-size=N, min-append-size=N, max-age=N"
// (only those set, in that order); "min-size=0" when none is set (an empty
// value would omit the field).  nullopt when the version has no Upload-Limit
// or a value is above sfv::max_integer.
std::optional<std::string> format_limit(const VersionTraits &t, const Limits &l);

// A client reading Upload-Limit: unknown keys are ignored; a known key whose
// value is not a non-negative Integer fails the whole field (-10 4.1.4).
FieldStatus parse_limit(const VersionTraits &t, std::string_view value, Limits &out);

// --- problem types (RFC 9457) ---------------------------------------------------

enum class Problem { mismatching_upload_offset, completed_upload, inconsistent_upload_length };

constexpr std::string_view problem_content_type = "application/problem+json";

const char *problem_type_uri(Problem p);    // "https://iana.org/assignments/http-problem-types#..."
const char *problem_title(Problem p);       // the registered title
bool version_defines(const VersionTraits &t, Problem p);

// {"type": ..., "title": ..., "status": N[, "detail": ...][, "expected-offset": N,
//  "provided-offset": N]} -- the offsets for mismatching-upload-offset only.
std::string problem_json(Problem p, int status, std::string_view detail = {},
                         std::optional<std::uint64_t> expected_offset = std::nullopt,
                         std::optional<std::uint64_t> provided_offset = std::nullopt);

// --- answers ----------------------------------------------------------------------

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Answer {
    int status = 0;
    Headers headers;
    std::optional<Problem> problem;   // when set: send problem_json() as the body
};

// What the engine knows of an upload resource.
struct UploadState {
    std::uint64_t offset = 0;
    bool complete = false;
    std::optional<std::uint64_t> length;
};

// Every builder returns nullopt when a number is above sfv::max_integer or
// the location holds a byte that cannot go into a header.

// The first 104 of a creation: Upload-Draft-Interop-Version, Location, and
// Upload-Limit where the version has it (pass nullptr for no limits).
std::optional<Headers> interim_creation_headers(const VersionTraits &t, std::string_view location,
                                                const Limits *limits);
// A progress 104: Upload-Draft-Interop-Version, Upload-Offset; nullopt for v3-4.
std::optional<Headers> interim_progress_headers(const VersionTraits &t, std::uint64_t offset);
// "HTTP/1.1 104 Upload Resumption Supported\r\n<headers>\r\n\r\n".
std::string http11_interim(const Headers &h);

// HEAD on an active upload: 204 with Upload-Offset, the completeness field,
// Upload-Length when known and the version has it, Upload-Limit where the
// version has it, Cache-Control: no-store.
std::optional<Answer> head_answer(const VersionTraits &t, const UploadState &s,
                                  const Limits *limits);

// A creation that does not complete ("?0", content fully received): 201,
// Location, the completeness field, Upload-Offset (v3-6), Upload-Limit.
std::optional<Answer> creation_incomplete_answer(const VersionTraits &t, std::string_view location,
                                                 std::uint64_t offset, const Limits *limits);

// A successful append that does not complete: 201 (v3-6) or 204, the
// completeness field, Upload-Offset (v3-6).
std::optional<Answer> append_incomplete_answer(const VersionTraits &t, std::uint64_t offset);

// Headers to add to the final answer of the request (creation or append)
// that completes the upload; that answer is otherwise the target's, as for a
// plain PUT.  The completeness field "true" (required on appends from v7 on)
// and Upload-Offset (required in v3-6).
std::optional<Headers> completion_headers(const VersionTraits &t, std::uint64_t offset);

// The refusals whose answer depends on the version.
enum class Refusal {
    mismatching_offset,   // PATCH with Upload-Offset != the offset: 409
    completed_append,     // PATCH on a complete upload
    inconsistent_length,  // length indicators disagree (deduce_length)
    length_exceeded,      // an append went past the known length
};

// The status, the headers (the correct Upload-Offset for a mismatch; the
// offset / completeness fields as the version wants on failures) and the
// problem type if the version defines one.  "has_content" matters for
// completed_append (v8: content is an inconsistent length).
std::optional<Answer> refusal_answer(const VersionTraits &t, Refusal r, const UploadState &s,
                                     bool has_content = false);

}  // namespace ietf
}  // namespace bigupload
