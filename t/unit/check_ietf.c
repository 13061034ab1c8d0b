/* The IETF resumable-upload draft, interop versions 3 to 8: every trait of
 * the version table checked against the draft text it comes from, and the
 * answer builders against the drafts' own examples.  "-05 8.4" is section 8.4
 * of draft-ietf-httpbis-resumable-upload-05 (interop 6); the drafts are in
 * httpwg/http-extensions under the tags draft-ietf-httpbis-resumable-upload-NN. */
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/ietf.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;
using namespace bigupload::ietf;

namespace {

const VersionTraits &v(int interop)
{
    const VersionTraits *t = traits_for(interop);
    ck_assert_ptr_nonnull(t);
    return *t;
}

/* one header's value, "<absent>" when missing, "<twice>" when repeated */
std::string hv(const Headers &h, const std::string &name)
{
    std::string found = "<absent>";
    for (const auto &kv : h) {
        if (kv.first == name) {
            if (found != "<absent>") {
                return "<twice>";
            }
            found = kv.second;
        }
    }
    return found;
}

}  // namespace

/* "Draft Version Identification" of each draft: its interop version */
START_TEST(test_versions)
{
    static const struct {
        int interop;
        const char *drafts;
    } rows[] = {
        { 3, "-01" }, { 4, "-02" }, { 5, "-03" }, { 6, "-04, -05" },
        { 7, "-06, -07, -08" }, { 8, "-09, -10, -11" },
    };
    for (const auto &r : rows) {
        ck_assert_int_eq(v(r.interop).interop, r.interop);
        ck_assert_sstr_eq(v(r.interop).drafts, r.drafts);
    }
    ck_assert_ptr_null(traits_for(2));       /* -00 */
    ck_assert_ptr_null(traits_for(9));
    ck_assert_ptr_null(traits_for(0));

    /* "The Upload-Draft-Interop-Version field value is an Integer" */
    int n = 0;
    ck_assert(parse_interop_version("8", n).ok());
    ck_assert_int_eq(n, 8);
    ck_assert(parse_interop_version("3;grease=1", n).ok());
    ck_assert_int_eq(n, 3);
    ck_assert(parse_interop_version("9", n).error == FieldError::unsupported_version);
    ck_assert_int_eq(n, 9);
    ck_assert(parse_interop_version("2", n).error == FieldError::unsupported_version);
    ck_assert(parse_interop_version("-6", n).error == FieldError::unsupported_version);
    ck_assert(parse_interop_version("999999999999999", n).error == FieldError::unsupported_version);
    ck_assert_int_eq(n, -1);
    ck_assert(parse_interop_version("\"8\"", n).error == FieldError::wrong_type);
    ck_assert(parse_interop_version("8.0", n).error == FieldError::wrong_type);
    ck_assert(parse_interop_version("", n).error == FieldError::syntax);
    ck_assert(parse_interop_version("8, 7", n).error == FieldError::syntax);
}
END_TEST

/* -01 9.2 "Upload-Incomplete"; -02 8.2 "Upload-Complete" replaces it; both
 * sf-boolean.  A PATCH without it: -01 6 (only "?1" keeps it open), -02..-05
 * 6 ("MUST be set to false if ... not the end", complete "only if ... true"),
 * -06 4.4.1 / -09 4.4.1 ("The request MUST include the Upload-Complete") */
START_TEST(test_completeness)
{
    ck_assert_sstr_eq(v(3).complete_field, "Upload-Incomplete");
    ck_assert(v(3).complete_inverted);
    ck_assert(v(3).append_without_complete == AbsentComplete::completes);
    for (int i = 4; i <= 8; i++) {
        ck_assert_sstr_eq(v(i).complete_field, "Upload-Complete");
        ck_assert(!v(i).complete_inverted);
    }
    for (int i = 4; i <= 6; i++) {
        ck_assert(v(i).append_without_complete == AbsentComplete::continues);
    }
    ck_assert(v(7).append_without_complete == AbsentComplete::refused);
    ck_assert(v(8).append_without_complete == AbsentComplete::refused);

    bool complete = false;
    ck_assert(parse_complete(v(3), "?1", complete).ok());
    ck_assert(!complete);                               /* Upload-Incomplete: ?1 */
    ck_assert(parse_complete(v(3), "?0", complete).ok());
    ck_assert(complete);
    ck_assert(parse_complete(v(8), "?1", complete).ok());
    ck_assert(complete);
    ck_assert(parse_complete(v(8), "?0;x", complete).ok());
    ck_assert(!complete);
    ck_assert(parse_complete(v(8), "1", complete).error == FieldError::wrong_type);
    ck_assert(parse_complete(v(8), "true", complete).error == FieldError::wrong_type);
    ck_assert(parse_complete(v(8), "?", complete).error == FieldError::syntax);
    ck_assert(parse_complete(v(8), "", complete).error == FieldError::syntax);

    ck_assert_sstr_eq(format_complete(v(3), false), "?1");
    ck_assert_sstr_eq(format_complete(v(3), true), "?0");
    ck_assert_sstr_eq(format_complete(v(4), false), "?0");
    ck_assert_sstr_eq(format_complete(v(8), true), "?1");
}
END_TEST

/* -01 9.1 Upload-Offset "sf-integer"; -05 8.4 Upload-Length "an Integer";
 * -09 4.1.1/4.1.3 "a non-negative Integer" */
START_TEST(test_offset_and_length)
{
    std::uint64_t n = 0;
    ck_assert(parse_offset("100", n).ok());
    ck_assert_uint_eq(n, 100);
    ck_assert(parse_length("0", n).ok());
    ck_assert_uint_eq(n, 0);
    ck_assert(parse_offset("999999999999999", n).ok());
    ck_assert_uint_eq(n, 999999999999999ull);
    ck_assert(parse_offset("25;x=?0", n).ok());
    ck_assert_uint_eq(n, 25);

    ck_assert(parse_offset("-1", n).error == FieldError::negative);
    ck_assert(parse_length("-0", n).ok());
    ck_assert(parse_offset("1.5", n).error == FieldError::wrong_type);
    ck_assert(parse_offset("?1", n).error == FieldError::wrong_type);
    ck_assert(parse_offset(":AA==:", n).error == FieldError::wrong_type);
    ck_assert(parse_offset("1000000000000000", n).error == FieldError::syntax);
    ck_assert(parse_offset("1 2", n).error == FieldError::syntax);
    ck_assert(parse_offset("0x10", n).error == FieldError::syntax);
    ck_assert(parse_length("", n).error == FieldError::syntax);

    ck_assert_sstr_eq(*format_integer(0), "0");
    ck_assert_sstr_eq(*format_integer(999999999999999ull), "999999999999999");
    ck_assert(!format_integer(1000000000000000ull));
}
END_TEST

/* creation: -01 4 / -05 4 "The request MUST NOT include the Upload-Offset";
 * the length from "?1" + Content-Length since -02 4; Upload-Length since -05
 * 4 and 8.4; -06 4.1.3 both indicators "MUST match" */
START_TEST(test_creation_traits)
{
    const bool refuses_offset[] = { true, true, true, true, false, false };
    const bool cl_is_length[] = { false, true, true, true, true, true };
    const bool upload_length[] = { false, false, false, true, true, true };
    const bool carry_offset[] = { true, true, true, true, false, false };   /* -06 4.4.2 */
    const Need creation_limit[] = { Need::none, Need::none, Need::none, Need::may,
                                    Need::should, Need::must };   /* -04 4, -06 4.2.2, -09 4.2.2 */
    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(v(i).creation_refuses_offset == refuses_offset[i - 3], "v%d", i);
        ck_assert_msg(v(i).content_length_is_length == cl_is_length[i - 3], "v%d", i);
        ck_assert_msg(v(i).upload_length == upload_length[i - 3], "v%d", i);
        ck_assert_msg(v(i).answers_carry_offset == carry_offset[i - 3], "v%d", i);
        ck_assert_msg(v(i).creation_limit == creation_limit[i - 3], "v%d", i);
    }
}
END_TEST

START_TEST(test_deduce_length)
{
    std::uint64_t len = 0;

    /* -09 4.1.3 (1): "?1" + Content-Length; (2) Upload-Length; both must match */
    ck_assert(deduce_length(v(8), { 100, 100, true, 0 }, std::nullopt, len) == LengthOutcome::known);
    ck_assert_uint_eq(len, 100);
    ck_assert(deduce_length(v(8), { 100, 50, true, 0 }, std::nullopt, len)
              == LengthOutcome::inconsistent);
    ck_assert(deduce_length(v(8), { std::nullopt, 100, true, 0 }, std::nullopt, len)
              == LengthOutcome::known);
    ck_assert(deduce_length(v(8), { 100, 25, false, 0 }, std::nullopt, len) == LengthOutcome::known);
    ck_assert_uint_eq(len, 100);
    ck_assert(deduce_length(v(8), { std::nullopt, 25, false, 0 }, std::nullopt, len)
              == LengthOutcome::unknown);
    /* an append: offset + Content-Length; "If multiple requests include
     * indicators, their indicated values MUST match" */
    ck_assert(deduce_length(v(8), { std::nullopt, 75, true, 25 }, 100, len) == LengthOutcome::known);
    ck_assert(deduce_length(v(8), { std::nullopt, 70, true, 25 }, 100, len)
              == LengthOutcome::inconsistent);
    ck_assert(deduce_length(v(8), { 200, std::nullopt, false, 25 }, 100, len)
              == LengthOutcome::inconsistent);
    ck_assert(deduce_length(v(8), { std::nullopt, std::nullopt, false, 25 }, 100, len)
              == LengthOutcome::known);
    /* a request that goes past the length, or starts past it */
    ck_assert(deduce_length(v(8), { std::nullopt, 80, false, 25 }, 100, len)
              == LengthOutcome::inconsistent);
    ck_assert(deduce_length(v(8), { 10, std::nullopt, false, 25 }, std::nullopt, len)
              == LengthOutcome::inconsistent);
    ck_assert(deduce_length(v(8), { std::nullopt, UINT64_MAX, true, 1 }, std::nullopt, len)
              == LengthOutcome::inconsistent);

    /* v3 has neither rule; v4-5 only the Content-Length one (-02 4) */
    ck_assert(deduce_length(v(3), { 100, 100, true, 0 }, std::nullopt, len) == LengthOutcome::unknown);
    ck_assert(deduce_length(v(5), { 50, 100, true, 0 }, std::nullopt, len) == LengthOutcome::known);
    ck_assert_uint_eq(len, 100);
    ck_assert(deduce_length(v(5), { 100, std::nullopt, false, 0 }, std::nullopt, len)
              == LengthOutcome::unknown);
}
END_TEST

/* 104: -01 4 "MAY send an informational response ... Location ... MUST";
 * -03 4: "one or more", later ones "MUST NOT" have Location, "MAY contain
 * the Upload-Offset"; -04 4 / -06 4.2.2 Upload-Limit "MAY"; -09 4.2.2
 * "MUST include the Upload-Limit ... if existing"; each draft's "Draft
 * Version Identification": the 104 "MUST also" carry the interop version */
START_TEST(test_interim)
{
    const bool progress[] = { false, false, true, true, true, true };
    const Need limit[] = { Need::none, Need::none, Need::none, Need::may, Need::may, Need::must };
    for (int i = 3; i <= 8; i++) {
        ck_assert(v(i).interim_creation == Need::should);
        ck_assert_msg(v(i).interim_progress == progress[i - 3], "v%d", i);
        ck_assert_msg(v(i).interim_limit == limit[i - 3], "v%d", i);
    }

    /* -01 4's example */
    std::string loc = "https://example.com/upload/b530ce8ff";
    ck_assert(*interim_creation_headers(v(3), loc, nullptr)
              == (Headers{ { "Upload-Draft-Interop-Version", "3" }, { "Location", loc } }));
    Limits l;
    l.max_size = 1000000000;
    /* v5 has no Upload-Limit: none is sent even when given */
    ck_assert(*interim_creation_headers(v(5), loc, &l)
              == (Headers{ { "Upload-Draft-Interop-Version", "5" }, { "Location", loc } }));
    /* -06 4.2.4 example A's first 104 (as in -07) */
    ck_assert(*interim_creation_headers(v(7), loc, &l)
              == (Headers{ { "Upload-Draft-Interop-Version", "7" }, { "Location", loc },
                           { "Upload-Limit", "max-size=1000000000" } }));

    /* -03 4's progress example */
    ck_assert(!interim_progress_headers(v(3), 50));
    ck_assert(!interim_progress_headers(v(4), 50));
    ck_assert(*interim_progress_headers(v(5), 50)
              == (Headers{ { "Upload-Draft-Interop-Version", "5" }, { "Upload-Offset", "50" } }));

    ck_assert_sstr_eq(http11_interim(*interim_progress_headers(v(8), 23456789)),
                      "HTTP/1.1 104 Upload Resumption Supported\r\n"
                      "Upload-Draft-Interop-Version: 8\r\nUpload-Offset: 23456789\r\n\r\n");

    /* a location that cannot be a header value */
    ck_assert(!interim_creation_headers(v(8), "/u/x\r\nSet-Cookie: a=b", nullptr));
    ck_assert(!interim_creation_headers(v(8), "", nullptr));
    ck_assert(!interim_progress_headers(v(8), 1000000000000000ull));
}
END_TEST

/* HEAD: -01 5 / -02 5 "MUST send back a 204"; -03 5 "204 (No Content) or
 * 200 (OK)"; -06 4.3.2 "A successful response"; -01..-05 5 "MUST reject ...
 * 400"; -05 5 Upload-Length "if one was recorded", -06 4.3.2 "if known";
 * Upload-Limit -04 5 "MAY", -09 4.3.2 "MUST" */
START_TEST(test_head)
{
    const HeadStatus status[] = { HeadStatus::only_204, HeadStatus::only_204,
                                  HeadStatus::status_200_or_204, HeadStatus::status_200_or_204,
                                  HeadStatus::any_2xx, HeadStatus::any_2xx };
    const bool refuses[] = { true, true, true, true, false, false };
    const bool length[] = { false, false, false, true, true, true };
    const Need limit[] = { Need::none, Need::none, Need::none, Need::may, Need::may, Need::must };
    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(v(i).head_status == status[i - 3], "v%d", i);
        ck_assert_msg(v(i).refuses_upload_fields == refuses[i - 3], "v%d", i);
        ck_assert_msg(v(i).head_length == length[i - 3], "v%d", i);
        ck_assert_msg(v(i).head_limit == limit[i - 3], "v%d", i);
    }

    /* -01 5's example */
    Answer a = *head_answer(v(3), UploadState{ 100, false, 500 }, nullptr);
    ck_assert_int_eq(a.status, 204);
    ck_assert(a.headers == (Headers{ { "Upload-Offset", "100" }, { "Upload-Incomplete", "?1" },
                                     { "Cache-Control", "no-store" } }));
    /* -02 5's example */
    a = *head_answer(v(4), UploadState{ 100, false, std::nullopt }, nullptr);
    ck_assert(a.headers == (Headers{ { "Upload-Offset", "100" }, { "Upload-Complete", "?0" },
                                     { "Cache-Control", "no-store" } }));
    /* -06 4.3.3's example A */
    Limits l;
    l.lifetime = 3600;
    a = *head_answer(v(7), UploadState{ 100, false, 500 }, &l);
    ck_assert(a.headers == (Headers{ { "Upload-Offset", "100" }, { "Upload-Complete", "?0" },
                                     { "Upload-Length", "500" }, { "Upload-Limit", "max-age=3600" },
                                     { "Cache-Control", "no-store" } }));
    /* ... and B: a complete upload */
    a = *head_answer(v(7), UploadState{ 500, true, 500 }, nullptr);
    ck_assert_sstr_eq(hv(a.headers, "Upload-Complete"), "?1");
    ck_assert_sstr_eq(hv(a.headers, "Upload-Limit"), "<absent>");
    /* -11 4.3.3's example A; in v6 the lifetime key is "expires" */
    a = *head_answer(v(8), UploadState{ 25000000, false, 100000000 }, &l);
    ck_assert_sstr_eq(hv(a.headers, "Upload-Offset"), "25000000");
    ck_assert_sstr_eq(hv(a.headers, "Upload-Length"), "100000000");
    ck_assert_sstr_eq(hv(a.headers, "Upload-Limit"), "max-age=3600");
    a = *head_answer(v(6), UploadState{ 25000000, false, 100000000 }, &l);
    ck_assert_sstr_eq(hv(a.headers, "Upload-Limit"), "expires=3600");
    /* v8 "MUST indicate the limits": none applying is "min-size=0" */
    a = *head_answer(v(8), UploadState{ 0, false, std::nullopt }, nullptr);
    ck_assert_sstr_eq(hv(a.headers, "Upload-Limit"), "min-size=0");
    ck_assert_sstr_eq(hv(a.headers, "Upload-Length"), "<absent>");
    /* v5 has no Upload-Length nor Upload-Limit */
    a = *head_answer(v(5), UploadState{ 1, false, 9 }, &l);
    ck_assert_sstr_eq(hv(a.headers, "Upload-Length"), "<absent>");
    ck_assert_sstr_eq(hv(a.headers, "Upload-Limit"), "<absent>");
}
END_TEST

/* the creation answer to "?0": -01 4 "201 (Created) ... Upload-Incomplete
 * header set to true" (and Upload-Offset); -05 4's example B; -09 4.2.2
 * Location and Upload-Limit "MUST" */
START_TEST(test_creation_answer)
{
    std::string loc = "https://example.com/upload/b530ce8ff";
    Answer a = *creation_incomplete_answer(v(3), loc, 25, nullptr);
    ck_assert_int_eq(a.status, 201);
    ck_assert(a.headers == (Headers{ { "Location", loc }, { "Upload-Incomplete", "?1" },
                                     { "Upload-Offset", "25" } }));

    Limits l;
    l.max_size = 1000000000;
    a = *creation_incomplete_answer(v(6), loc, 25, &l);
    ck_assert(a.headers == (Headers{ { "Location", loc }, { "Upload-Complete", "?0" },
                                     { "Upload-Offset", "25" },
                                     { "Upload-Limit", "max-size=1000000000" } }));
    a = *creation_incomplete_answer(v(8), loc, 23456789, &l);
    ck_assert_int_eq(a.status, 201);
    ck_assert_sstr_eq(hv(a.headers, "Location"), loc);
    ck_assert_sstr_eq(hv(a.headers, "Upload-Limit"), "max-size=1000000000");
    ck_assert(!creation_incomplete_answer(v(8), "a\nb", 0, nullptr));
}
END_TEST

/* PATCH: -04 6 "PATCH method with the application/partial-upload media
 * type"; the incomplete answer -01..-05 6 "201 (Created)", -06 4.4.2 "2xx"
 * (204 in its examples); -06 4.4.2 "MUST include the Upload-Complete header
 * field with a true value" and "any response, successful or not, MUST
 * include ... false" (-09 still, lifted in -10); -08 4.4.2 "marking the
 * upload resource invalid" */
START_TEST(test_append)
{
    const bool media[] = { false, false, false, true, true, true };
    const int status[] = { 201, 201, 201, 201, 204, 204 };
    const bool says[] = { false, false, false, false, true, true };
    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(v(i).patch_media_type == media[i - 3], "v%d", i);
        ck_assert_msg(v(i).append_incomplete_status == status[i - 3], "v%d", i);
        ck_assert_msg(v(i).completion_says_complete == says[i - 3], "v%d", i);
        ck_assert_msg(v(i).failure_says_incomplete == says[i - 3], "v%d", i);
        ck_assert_msg(v(i).exceeding_length_invalidates == says[i - 3], "v%d", i);
    }

    ck_assert(is_partial_upload("application/partial-upload"));
    ck_assert(is_partial_upload("application/Partial-Upload;x=y"));
    ck_assert(!is_partial_upload("application/offset+octet-stream"));
    ck_assert(!is_partial_upload("application/partial-uploads"));

    /* -01 6's example: 201 with upload-offset: 200 */
    Answer a = *append_incomplete_answer(v(3), 200);
    ck_assert_int_eq(a.status, 201);
    ck_assert(a.headers == (Headers{ { "Upload-Incomplete", "?1" }, { "Upload-Offset", "200" } }));
    /* -06 4.4.3's example A: 204 with Upload-Complete: ?0 */
    a = *append_incomplete_answer(v(7), 200);
    ck_assert_int_eq(a.status, 204);
    ck_assert_sstr_eq(hv(a.headers, "Upload-Complete"), "?0");

    ck_assert(*completion_headers(v(3), 200)
              == (Headers{ { "Upload-Incomplete", "?0" }, { "Upload-Offset", "200" } }));
    ck_assert(*completion_headers(v(8), 1234567890)
              == (Headers{ { "Upload-Complete", "?1" }, { "Upload-Offset", "1234567890" } }));
}
END_TEST

/* -01..-05 6 "MUST respond with a 409" and "MUST send the Upload-Offset ...
 * failure"; -04 10.1, -06 6.1 mismatching-upload-offset; -04 6 "already
 * complete ... MUST respond with a 400", -04 10.2; -06 6.3
 * inconsistent-upload-length; -10/-11 4.4.2: content on a complete upload
 * "MUST treat this as an inconsistent length failure" */
START_TEST(test_refusals)
{
    UploadState s{ 100, false, 500 };
    for (int i = 3; i <= 8; i++) {
        Answer a = *refusal_answer(v(i), Refusal::mismatching_offset, s);
        ck_assert_int_eq(a.status, 409);
        ck_assert_sstr_eq(hv(a.headers, "Upload-Offset"), "100");
        ck_assert_msg(a.problem.has_value() == (i >= 6), "v%d", i);
        ck_assert_sstr_eq(hv(a.headers, "Upload-Complete"), i >= 7 ? "?0" : "<absent>");
    }
    ck_assert(*refusal_answer(v(6), Refusal::mismatching_offset, s)->problem
              == Problem::mismatching_upload_offset);

    UploadState done{ 500, true, 500 };
    for (int i = 3; i <= 5; i++) {                 /* no text: a plain 400 */
        Answer a = *refusal_answer(v(i), Refusal::completed_append, done, true);
        ck_assert_int_eq(a.status, 400);
        ck_assert(!a.problem);
    }
    for (int i = 6; i <= 8; i++) {
        Answer a = *refusal_answer(v(i), Refusal::completed_append, done, false);
        ck_assert_int_eq(a.status, 400);
        ck_assert(*a.problem == Problem::completed_upload);
        /* the true state: never "?0" for a complete upload */
        ck_assert_sstr_eq(hv(a.headers, "Upload-Complete"), "?1");
    }
    ck_assert(*refusal_answer(v(7), Refusal::completed_append, done, true)->problem
              == Problem::completed_upload);
    ck_assert(*refusal_answer(v(8), Refusal::completed_append, done, true)->problem
              == Problem::inconsistent_upload_length);
    ck_assert_sstr_eq(hv(refusal_answer(v(3), Refusal::completed_append, done)->headers,
                         "Upload-Incomplete"), "?0");

    for (int i = 3; i <= 8; i++) {
        Answer a = *refusal_answer(v(i), Refusal::inconsistent_length, s);
        ck_assert_int_eq(a.status, 400);
        ck_assert_msg(a.problem.has_value() == (i >= 7), "v%d", i);
        ck_assert_sstr_eq(hv(a.headers, "Upload-Offset"), "<absent>");

        a = *refusal_answer(v(i), Refusal::length_exceeded, UploadState{ 500, false, 500 });
        ck_assert_int_eq(a.status, 400);
        /* v3-6 keep the upload, and say its offset; from v7 it is invalid */
        ck_assert_sstr_eq(hv(a.headers, "Upload-Offset"), i <= 6 ? "500" : "<absent>");
        ck_assert_msg(a.problem.has_value() == (i >= 7), "v%d", i);
    }
}
END_TEST

/* DELETE: -01 7 / -05 7 "MUST respond with a 204", -06 4.5.2 "MUST respond
 * with a 204"; -09 changes: "Remove requirement for 204 status code" */
START_TEST(test_delete)
{
    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(v(i).delete_must_204 == (i <= 7), "v%d", i);
    }
}
END_TEST

/* Upload-Limit: -04 8.2 (with "expires"), -06 4.1.4 "max-age"; -05 8.2
 * OPTIONS "MUST include the Upload-Limit" and "min-size=0"; -10 4.1.4
 * Accept-Patch in OPTIONS; parsing: -04 8.2 "unrecognized keys MUST be
 * ignored", -10 4.1.4 "a known key but a value of unexpected type MUST
 * cause the entire Upload-Limit header field to be ignored" */
START_TEST(test_limits)
{
    const LifetimeKey key[] = { LifetimeKey::none, LifetimeKey::none, LifetimeKey::none,
                                LifetimeKey::expires, LifetimeKey::max_age, LifetimeKey::max_age };
    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(v(i).upload_limit == (i >= 6), "v%d", i);
        ck_assert_msg(v(i).lifetime_key == key[i - 3], "v%d", i);
        ck_assert_msg(v(i).options_limit == (i >= 6), "v%d", i);
        ck_assert_msg(v(i).options_accept_patch == (i == 8), "v%d", i);
    }

    Limits all;
    all.max_size = 1000000000;
    all.min_size = 0;
    all.max_append_size = 104857600;
    all.min_append_size = 1;
    all.lifetime = 86400;
    ck_assert(!format_limit(v(5), all));
    ck_assert_sstr_eq(*format_limit(v(6), all), "max-size=1000000000, min-size=0, "
                      "max-append-size=104857600, min-append-size=1, expires=86400");
    ck_assert_sstr_eq(*format_limit(v(8), all), "max-size=1000000000, min-size=0, "
                      "max-append-size=104857600, min-append-size=1, max-age=86400");
    ck_assert_sstr_eq(*format_limit(v(7), Limits()), "min-size=0");
    Limits huge;
    huge.max_size = 1000000000000000ull;
    ck_assert(!format_limit(v(8), huge));

    Limits back;
    ck_assert(parse_limit(v(8), *format_limit(v(8), all), back).ok());
    ck_assert(back == all);
    ck_assert(parse_limit(v(6), *format_limit(v(6), all), back).ok());
    ck_assert(back == all);

    /* unknown keys (and "max-age" in v6, "expires" in v7+) are ignored */
    ck_assert(parse_limit(v(8), "max-size=100, future=\"x\", expires=5, max-age=7", back).ok());
    ck_assert_uint_eq(*back.max_size, 100);
    ck_assert_uint_eq(*back.lifetime, 7);
    ck_assert(parse_limit(v(6), "max-age=7, expires=5", back).ok());
    ck_assert_uint_eq(*back.lifetime, 5);
    ck_assert(parse_limit(v(8), "max-size=?1", back).error == FieldError::wrong_type);
    ck_assert(!back.max_size);
    ck_assert(parse_limit(v(8), "max-append-size=1.5", back).error == FieldError::wrong_type);
    ck_assert(parse_limit(v(8), "min-size=(1)", back).error == FieldError::wrong_type);
    ck_assert(parse_limit(v(8), "max-size=-1", back).error == FieldError::negative);
    ck_assert(parse_limit(v(8), "max-size=1,", back).error == FieldError::syntax);
    ck_assert(parse_limit(v(5), "max-size=1", back).error == FieldError::unsupported_version);
}
END_TEST

/* -04 10, -06 6, -11 7 and their IANA registrations: the type URIs and
 * titles; RFC 9457 3.1 members */
START_TEST(test_problems)
{
    ck_assert_sstr_eq(problem_type_uri(Problem::mismatching_upload_offset),
                      "https://iana.org/assignments/http-problem-types#mismatching-upload-offset");
    ck_assert_sstr_eq(problem_type_uri(Problem::completed_upload),
                      "https://iana.org/assignments/http-problem-types#completed-upload");
    ck_assert_sstr_eq(problem_type_uri(Problem::inconsistent_upload_length),
                      "https://iana.org/assignments/http-problem-types#inconsistent-upload-length");
    ck_assert_sstr_eq(problem_title(Problem::mismatching_upload_offset), "Mismatching Upload Offset");
    ck_assert_sstr_eq(problem_title(Problem::completed_upload), "Upload Is Completed");
    ck_assert_sstr_eq(problem_title(Problem::inconsistent_upload_length),
                      "Inconsistent Upload Length Values");
    ck_assert_sstr_eq(std::string(problem_content_type), "application/problem+json");

    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(version_defines(v(i), Problem::mismatching_upload_offset) == (i >= 6), "v%d", i);
        ck_assert_msg(version_defines(v(i), Problem::completed_upload) == (i >= 6), "v%d", i);
        ck_assert_msg(version_defines(v(i), Problem::inconsistent_upload_length) == (i >= 7),
                      "v%d", i);
    }

    /* -04 10.1's example: offset 100 expected, 200 provided */
    std::string body = problem_json(Problem::mismatching_upload_offset, 409, "", 100, 200);
    nlohmann::json j = nlohmann::json::parse(body);
    ck_assert_uint_eq(j.size(), 5);
    ck_assert_sstr_eq(j["type"].get<std::string>(),
                      "https://iana.org/assignments/http-problem-types#mismatching-upload-offset");
    ck_assert_sstr_eq(j["title"].get<std::string>(), "Mismatching Upload Offset");
    ck_assert_int_eq(j["status"].get<int>(), 409);
    ck_assert_uint_eq(j["expected-offset"].get<std::uint64_t>(), 100);
    ck_assert_uint_eq(j["provided-offset"].get<std::uint64_t>(), 200);
    ck_assert_sstr_eq(body.substr(0, 9), "{\"type\":\"");

    body = problem_json(Problem::completed_upload, 400, "upload \"x\" is already completed", 1, 2);
    j = nlohmann::json::parse(body);
    ck_assert_uint_eq(j.size(), 4);                      /* no offsets for this type */
    ck_assert_sstr_eq(j["detail"].get<std::string>(), "upload \"x\" is already completed");
    ck_assert(!j.contains("expected-offset"));
}
END_TEST

/* digests: -04 14 "Integrity Digests" (Repr-Digest, Content-Digest); -05
 * 15.1 Want-Repr-Digest */
START_TEST(test_digest_traits)
{
    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(v(i).digests == (i >= 6), "v%d", i);
        ck_assert_msg(v(i).want_repr_digest == (i >= 6), "v%d", i);
    }
}
END_TEST

/* -01..-05 4: every creation answer has Location set to the upload
 * resource, the completing one too; from -06 on the completing answer is the
 * target resource's own */
START_TEST(test_completion_location)
{
    for (int i = 3; i <= 8; i++) {
        ck_assert_msg(v(i).completion_location_is_upload == (i <= 6), "v%d", i);
    }
}
END_TEST

Suite *ietf_suite(void)
{
    Suite *s = suite_create("ietf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_versions);
    tcase_add_test(tc, test_completeness);
    tcase_add_test(tc, test_offset_and_length);
    tcase_add_test(tc, test_creation_traits);
    tcase_add_test(tc, test_deduce_length);
    tcase_add_test(tc, test_interim);
    tcase_add_test(tc, test_head);
    tcase_add_test(tc, test_creation_answer);
    tcase_add_test(tc, test_append);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_problems);
    tcase_add_test(tc, test_digest_traits);
    tcase_add_test(tc, test_completion_location);
    suite_add_tcase(s, tc);

    return s;
}
