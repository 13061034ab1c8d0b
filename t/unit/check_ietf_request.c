/* The IETF draft's requests as a whole (proto/ietf_request): which
 * operation, version, completeness, offset, length and digests a request
 * carries, and why one is refused, for the interop versions whose texts
 * differ; the upload resources' URLs; a Content-Disposition filename.
 * Compiled as C++. */
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "proto/ietf_request.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;
using namespace bigupload::ietf;

namespace {

HttpRequest rq(const char *method, std::vector<std::pair<std::string_view, std::string_view>> f,
               std::int64_t content_length = -1)
{
    HttpRequest r;
    r.method = method;
    r.content_length = content_length;
    r.fields = std::move(f);
    return r;
}

Request ok(const HttpRequest &r, bool resource)
{
    Request out;
    RequestRefusal why;
    ck_assert_msg(parse_request(r, resource, out, why), "refused: %s %s", why.header.c_str(),
                  why.detail.c_str());
    return out;
}

RequestRefusal refused(const HttpRequest &r, bool resource)
{
    Request out;
    RequestRefusal why;
    ck_assert_msg(!parse_request(r, resource, out, why), "accepted");
    return why;
}

}  // namespace

START_TEST(test_creation)
{
    /* -09 4.2: "?1" with Content-Length is the length */
    Request r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"}},
                      100), false);
    ck_assert(r.op == Op::create);
    ck_assert_int_eq(r.traits->interop, 8);
    ck_assert(r.complete);
    ck_assert(r.length && *r.length == 100);

    /* "?0" with Upload-Length */
    r = ok(rq("PUT", {{"Upload-Draft-Interop-Version", "6"}, {"Upload-Complete", "?0"},
                      {"Upload-Length", "5000"}}, 10), false);
    ck_assert(!r.complete);
    ck_assert(r.length && *r.length == 5000);

    /* v3 speaks Upload-Incomplete, inverted */
    r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "3"}, {"Upload-Incomplete", "?1"}}, 7),
           false);
    ck_assert(!r.complete);
    ck_assert(!r.length);

    /* v5 has no Upload-Length: ignored */
    r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "5"}, {"Upload-Complete", "?0"},
                      {"Upload-Length", "99"}}, 7), false);
    ck_assert(!r.length);

    /* chunked: the length is unknown */
    HttpRequest c = rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"}});
    c.chunked = true;
    r = ok(c, false);
    ck_assert(!r.length && !r.content_length);

    /* no framing: no content */
    r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?0"}}), false);
    ck_assert(r.content_length && *r.content_length == 0);
}
END_TEST

START_TEST(test_creation_refusals)
{
    RequestRefusal w;

    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"}}, 1), false);
    ck_assert(w.error == Error::ietf_needs_complete);
    ck_assert_sstr_eq(w.header, "Upload-Complete");

    /* the other version's field */
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "3"}, {"Upload-Complete", "?1"}}, 1),
                false);
    ck_assert(w.error == Error::ietf_bad_header);
    ck_assert_sstr_eq(w.header, "Upload-Complete");

    /* -01..-05: a creation MUST NOT carry Upload-Offset; -06 on: only 0 */
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "6"}, {"Upload-Complete", "?1"},
                            {"Upload-Offset", "0"}}, 1), false);
    ck_assert_sstr_eq(w.header, "Upload-Offset");
    ok(rq("POST", {{"Upload-Draft-Interop-Version", "7"}, {"Upload-Complete", "?1"},
                   {"Upload-Offset", "0"}}, 1), false);
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "7"}, {"Upload-Complete", "?1"},
                            {"Upload-Offset", "5"}}, 1), false);
    ck_assert_sstr_eq(w.header, "Upload-Offset");

    /* the two length indicators disagree */
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                            {"Upload-Length", "101"}}, 100), false);
    ck_assert(w.error == Error::ietf_inconsistent_length);

    /* malformed, repeated, unknown version */
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "1"}}, 1),
                false);
    ck_assert(w.error == Error::ietf_bad_header);
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                            {"Upload-Complete", "?1"}}, 1), false);
    ck_assert(w.error == Error::ietf_bad_header);
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "9"}, {"Upload-Complete", "?1"}}, 1),
                false);
    ck_assert(w.error == Error::ietf_unsupported_version);
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "x"}, {"Upload-Complete", "?1"}}, 1),
                false);
    ck_assert(w.error == Error::ietf_bad_header);

    /* a target takes no HEAD in the draft */
    w = refused(rq("HEAD", {{"Upload-Draft-Interop-Version", "8"}}), false);
    ck_assert(w.error == Error::ietf_method);
}
END_TEST

START_TEST(test_append)
{
    Request r = ok(rq("PATCH", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?0"},
                                {"Upload-Offset", "10"},
                                {"Content-Type", "application/partial-upload"}}, 5), true);
    ck_assert(r.op == Op::append);
    ck_assert_int_eq(r.offset, 10);
    ck_assert(!r.complete && !r.length);

    /* "?1" + Content-Length: the length is the offset plus the content */
    r = ok(rq("PATCH", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                        {"Upload-Offset", "10"}, {"Content-Type", "application/partial-upload"}},
              5), true);
    ck_assert(r.length && *r.length == 15);

    /* absent completeness: v3 completes, v4-6 continue, v7 refuses */
    r = ok(rq("PATCH", {{"Upload-Draft-Interop-Version", "3"}, {"Upload-Offset", "0"}}, 5), true);
    ck_assert(r.complete);
    r = ok(rq("PATCH", {{"Upload-Draft-Interop-Version", "4"}, {"Upload-Offset", "0"}}, 5), true);
    ck_assert(!r.complete);
    RequestRefusal w = refused(rq("PATCH", {{"Upload-Draft-Interop-Version", "7"},
                                            {"Upload-Offset", "0"},
                                            {"Content-Type", "application/partial-upload"}}, 5),
                               true);
    ck_assert(w.error == Error::ietf_needs_complete);

    /* the media type from v6 on */
    w = refused(rq("PATCH", {{"Upload-Draft-Interop-Version", "6"}, {"Upload-Offset", "0"}}, 5),
                true);
    ck_assert(w.error == Error::ietf_media_type);
    ok(rq("PATCH", {{"Upload-Draft-Interop-Version", "5"}, {"Upload-Offset", "0"}}, 5), true);

    /* Upload-Offset is required */
    w = refused(rq("PATCH", {{"Upload-Draft-Interop-Version", "5"}, {"Upload-Complete", "?0"}}, 5),
                true);
    ck_assert_sstr_eq(w.header, "Upload-Offset");
    w = refused(rq("PATCH", {{"Upload-Draft-Interop-Version", "5"}, {"Upload-Offset", "-1"}}, 5),
                true);
    ck_assert_sstr_eq(w.header, "Upload-Offset");

    /* an upload resource takes no POST */
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"}}, 5), true);
    ck_assert(w.error == Error::ietf_method);
}
END_TEST

START_TEST(test_query_and_cancel)
{
    ck_assert(ok(rq("HEAD", {{"Upload-Draft-Interop-Version", "8"}}), true).op == Op::query);
    ck_assert(ok(rq("DELETE", {{"Upload-Draft-Interop-Version", "8"}}), true).op == Op::cancel);
    ck_assert(ok(rq("OPTIONS", {{"Upload-Draft-Interop-Version", "8"}}), false).op == Op::options);

    /* -01..-05: no upload fields on HEAD or DELETE (400); -06 on: allowed */
    RequestRefusal w = refused(rq("HEAD", {{"Upload-Draft-Interop-Version", "6"},
                                           {"Upload-Length", "3"}}), true);
    ck_assert_sstr_eq(w.header, "Upload-Length");
    w = refused(rq("DELETE", {{"Upload-Draft-Interop-Version", "3"},
                              {"Upload-Incomplete", "?0"}}), true);
    ck_assert_sstr_eq(w.header, "Upload-Incomplete");
    ok(rq("HEAD", {{"Upload-Draft-Interop-Version", "7"}, {"Upload-Offset", "3"}}), true);
}
END_TEST

START_TEST(test_digests)
{
    std::string sha = digest_of(DigestAlg::sha256, "abc", 3);
    std::string field = "sha-256=:" + to_base64(sha) + ":, unixsum=:AAA=:";

    Request r = ok(rq("PATCH", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                                {"Upload-Offset", "0"}, {"Content-Type", "application/partial-upload"},
                                {"Content-Digest", field}}, 3), true);
    ck_assert_int_eq(r.content_digests.size(), 1);     /* unixsum: unknown, ignored */
    ck_assert(r.content_digests[0].alg == DigestAlg::sha256);
    ck_assert(r.content_digests[0].expected == sha);

    r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?0"},
                       {"Repr-Digest", field}, {"Want-Repr-Digest", "sha-256=1, sha-512=9, md5=0"}}),
           false);
    ck_assert_int_eq(r.repr_digests.size(), 1);
    ck_assert_int_eq(r.want_repr.size(), 2);
    ck_assert(r.want_repr[0] == DigestAlg::sha512);    /* most wanted first */
    ck_assert(r.want_repr[1] == DigestAlg::sha256);

    /* a known algorithm with a digest of the wrong length; a malformed field */
    RequestRefusal w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"},
                                           {"Upload-Complete", "?1"},
                                           {"Content-Digest", "sha-256=:AAAA:"}}, 1), false);
    ck_assert_sstr_eq(w.header, "Content-Digest");
    w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                            {"Repr-Digest", "sha-256=abc"}}, 1), false);
    ck_assert_sstr_eq(w.header, "Repr-Digest");
}
END_TEST

START_TEST(test_disposition)
{
    Request r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                               {"Content-Disposition",
                                "inline; filename=\"a b.jpg\"; filename*=UTF-8''%C3%A9.jpg"}}, 1),
                   false);
    ck_assert(r.has_filename);
    ck_assert_sstr_eq(r.filename, "\xc3\xa9.jpg");      /* filename* wins */
    r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                       {"Content-Disposition", "attachment; filename=plain.txt"}}, 1), false);
    ck_assert_sstr_eq(r.filename, "plain.txt");
    r = ok(rq("POST", {{"Upload-Draft-Interop-Version", "8"}, {"Upload-Complete", "?1"},
                       {"Content-Disposition", "inline"}}, 1), false);
    ck_assert(!r.has_filename);
    RequestRefusal w = refused(rq("POST", {{"Upload-Draft-Interop-Version", "8"},
                                           {"Upload-Complete", "?1"},
                                           {"Content-Disposition", "inline; filename="}}, 1),
                               false);
    ck_assert_sstr_eq(w.header, "Content-Disposition");

    ck_assert(valid_filename("a.bin"));
    ck_assert(!valid_filename(""));
    ck_assert(!valid_filename("a/b"));
    ck_assert(!valid_filename(".."));
    ck_assert(!valid_filename(".bigupload-x"));
    ck_assert(!valid_filename("a\\b"));
}
END_TEST

START_TEST(test_resource_urls)
{
    std::string id = "0123456789abcdef0123456789abcdef";
    ck_assert_sstr_eq(resource_path("/upload/", id), "/upload/.bigupload/" + id);
    ck_assert_sstr_eq(resource_path("/upload", id), "/upload/.bigupload/" + id);
    ck_assert_sstr_eq(resource_id("/upload/.bigupload/" + id, "/upload/"), id);
    ck_assert_sstr_eq(resource_id("/upload/.bigupload/" + id, "/upload"), id);
    ck_assert_sstr_eq(resource_id("/upload/a/.bigupload/" + id, "/upload/"), "");
    ck_assert_sstr_eq(resource_id("/upload/.bigupload/" + id + "/x", "/upload/"), "");
    /* a native partial's id (40 digits, derived from its path) is none */
    ck_assert_sstr_eq(resource_id("/upload/.bigupload/" + id + "01234567", "/upload/"), "");
    ck_assert_sstr_eq(resource_id("/upload/.bigupload/0123456789ABCDEF0123456789abcdef",
                                  "/upload/"), "");
    ck_assert_sstr_eq(resource_id("/upload/x.bin", "/upload/"), "");
}
END_TEST

Suite *ietf_request_suite(void)
{
    Suite *s = suite_create("ietf_request");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_creation);
    tcase_add_test(tc, test_creation_refusals);
    tcase_add_test(tc, test_append);
    tcase_add_test(tc, test_query_and_cancel);
    tcase_add_test(tc, test_digests);
    tcase_add_test(tc, test_disposition);
    tcase_add_test(tc, test_resource_urls);
    suite_add_tcase(s, tc);

    return s;
}
