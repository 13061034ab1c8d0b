/* The native dialect: request parsing, refusals, answer headers, keys. */
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "proto/media_type.hpp"
#include "proto/native.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

/* a request: method, Content-Length (-1: none), header lines */
static HttpRequest req(const char *method, std::int64_t cl,
                       std::vector<std::pair<std::string_view, std::string_view>> fields = {})
{
    HttpRequest r;
    r.method = method;
    r.content_length = cl;
    r.fields = std::move(fields);
    return r;
}

static NativeRefusal refused(const HttpRequest &r)
{
    NativeRequest nr;
    NativeRefusal why;
    ck_assert(!parse_native(r, nr, why));
    ck_assert(why.error != Error::none);
    return why;
}

static NativeRequest parsed(const HttpRequest &r)
{
    NativeRequest nr;
    NativeRefusal why;
    ck_assert_msg(parse_native(r, nr, why), "refused: %s %s", error_info(why.error).code,
                  why.detail.c_str());
    return nr;
}

START_TEST(test_plain_and_methods)
{
    NativeRequest nr = parsed(req("PUT", 10));
    ck_assert(nr.op == NativeOp::upload);
    ck_assert(nr.key.empty());
    ck_assert(nr.range.completes);
    ck_assert(!nr.range.total);

    ck_assert(parsed(req("POST", 0)).op == NativeOp::upload);
    ck_assert(parsed(req("HEAD", -1)).op == NativeOp::query);
    ck_assert(parsed(req("DELETE", -1)).op == NativeOp::cancel);
    ck_assert(refused(req("GET", -1)).error == Error::method_not_allowed);
    ck_assert(refused(req("PATCH", 5)).error == Error::method_not_allowed);

    /* harmless upload headers on a whole file */
    nr = parsed(req("PUT", 10, {{"Upload-Offset", "0"}, {"Upload-Complete", "?1"},
                                {"Upload-Length", "10"}}));
    ck_assert(nr.range.total && *nr.range.total == 10);
}
END_TEST

START_TEST(test_resumable)
{
    NativeRequest nr = parsed(req("PUT", 100, {{"Upload-Key", "k1"},
                                               {"Content-Range", "bytes 100-199/300"}}));
    ck_assert_sstr_eq(nr.key, "k1");
    ck_assert_uint_eq(nr.range.start, 100);
    ck_assert_uint_eq(*nr.range.end, 200);
    ck_assert_uint_eq(*nr.range.total, 300);
    ck_assert(!nr.range.completes);

    /* an append that completes: its length is the end */
    nr = parsed(req("PUT", 50, {{"upload-key", "k1"}, {"Upload-Offset", "100"}}));
    ck_assert_uint_eq(nr.range.start, 100);
    ck_assert_uint_eq(*nr.range.end, 150);
    ck_assert(nr.range.completes);
    ck_assert_uint_eq(*nr.range.total, 150);

    /* more follows, of unknown length (chunked) */
    HttpRequest r = req("PUT", -1, {{"Upload-Key", "k1"}, {"Upload-Complete", "?0"}});
    r.chunked = true;
    nr = parsed(r);
    ck_assert(!nr.range.completes);
    ck_assert(!nr.range.end);

    /* only the length: "bytes *\/300" with an empty body */
    nr = parsed(req("PUT", 0, {{"Upload-Key", "k1"}, {"Content-Range", "bytes */300"}}));
    ck_assert_uint_eq(*nr.range.total, 300);

    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "k"}, {"Content-Range", "bytes 0-9"}}))
              .error == Error::bad_content_range);
    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "k"},
                                      {"Content-Range", "bytes 5-2/10"}}))
              .error == Error::range_not_satisfiable);
    NativeRefusal why = refused(req("PUT", 9, {{"Upload-Key", "k"},
                                               {"Content-Range", "bytes 0-9/10"}}));
    ck_assert(why.error == Error::range_length_mismatch);
    ck_assert_int_eq(why.bytes, 9);
    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "k"}, {"Upload-Offset", "x"}}))
              .error == Error::bad_upload_header);
    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "k"}, {"Upload-Length", "5"}}))
              .error == Error::upload_range_beyond);
}
END_TEST

/* deliverable 6 of the restructuring: what the dialect does not understand */
START_TEST(test_refuses_what_it_does_not_understand)
{
    NativeRefusal why = refused(req("PUT", 10, {{"Content-Range", "bytes 1000-1009/2000"}}));
    ck_assert(why.error == Error::needs_upload_key);
    ck_assert_sstr_eq(why.header, "Content-Range");
    ck_assert_int_eq(error_info(why.error).status, 400);

    why = refused(req("PUT", 10, {{"Upload-Offset", "1000"}}));
    ck_assert(why.error == Error::needs_upload_key);
    ck_assert_sstr_eq(why.header, "Upload-Offset");

    why = refused(req("PUT", 10, {{"Upload-Complete", "?0"}}));
    ck_assert(why.error == Error::needs_upload_key);
    ck_assert_sstr_eq(why.header, "Upload-Complete");

    why = refused(req("PUT", 10, {{"Upload-Length", "2000"}}));
    ck_assert(why.error == Error::needs_upload_key);
    ck_assert_sstr_eq(why.header, "Upload-Length");

    why = refused(req("POST", 0, {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "10"}}));
    ck_assert(why.error == Error::protocol_not_enabled);
    ck_assert_sstr_eq(why.header, "Tus-Resumable");
    ck_assert(refused(req("HEAD", -1, {{"Tus-Resumable", "1.0.0"}})).error
              == Error::protocol_not_enabled);
    ck_assert(refused(req("POST", 10, {{"Upload-Draft-Interop-Version", "6"},
                                       {"Upload-Complete", "?1"}})).error
              == Error::protocol_not_enabled);

    why = refused(req("POST", 300, {{"Content-Type",
                                     "multipart/form-data; boundary=----x"}}));
    ck_assert(why.error == Error::unsupported_media_type);
    ck_assert_int_eq(error_info(why.error).status, 415);
    ck_assert_sstr_eq(why.value, "multipart/form-data");
    ck_assert(refused(req("POST", 3, {{"content-type",
                                       "Application/X-WWW-Form-Urlencoded"}})).error
              == Error::unsupported_media_type);
    /* curl -X PUT --data-binary says urlencoded: a PUT is no form */
    parsed(req("PUT", 3, {{"Content-Type", "application/x-www-form-urlencoded"}}));
    ck_assert(refused(req("PUT", 3, {{"Content-Type", "multipart/form-data; boundary=b"}}))
              .error == Error::unsupported_media_type);
    /* other types are bytes like any */
    parsed(req("PUT", 3, {{"Content-Type", "application/octet-stream"}}));

    /* two Content-Types: which one is the body? Refused, in either order
       (only the first was looked at: found by fuzz_native) */
    why = refused(req("POST", 3, {{"Content-Type", "application/octet-stream"},
                                  {"Content-Type", "multipart/form-data; boundary=b"}}));
    ck_assert(why.error == Error::bad_upload_header);
    ck_assert_sstr_eq(why.header, "Content-Type");
    ck_assert_sstr_eq(why.detail, "Content-Type is given more than once");
    ck_assert(refused(req("PUT", 3, {{"Content-Type", "multipart/form-data; boundary=b"},
                                     {"content-type", "application/octet-stream"}})).error
              == Error::bad_upload_header);
}
END_TEST

/* the fault run's findings: empty, repeated, contradictory headers */
START_TEST(test_strict_headers)
{
    ck_assert(refused(req("PUT", 10, {{"Upload-Key", ""}})).error == Error::bad_upload_key);
    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "a"}, {"Upload-Key", "b"}})).error
              == Error::bad_upload_key);
    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "a b"}})).error == Error::bad_upload_key);

    NativeRefusal why = refused(req("PUT", 10, {{"Upload-Key", "k"}, {"Upload-Offset", ""}}));
    ck_assert(why.error == Error::bad_upload_header);
    ck_assert_sstr_eq(why.header, "Upload-Offset");

    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "k"}, {"Upload-Offset", "0"},
                                      {"Upload-Offset", "5"}})).error
              == Error::bad_upload_header);
    why = refused(req("PUT", 10, {{"Upload-Key", "k"}, {"Upload-Offset", "5"},
                                  {"Content-Range", "bytes 0-9/10"}}));
    ck_assert(why.error == Error::bad_upload_header);
    ck_assert_sstr_eq(why.header, "Upload-Offset");
    ck_assert(refused(req("PUT", 10, {{"Upload-Key", "k"}, {"Content-Range", ""}})).error
              == Error::bad_content_range);

    /* without a key too: an empty header is not "absent" */
    ck_assert(refused(req("PUT", 10, {{"Upload-Offset", ""}})).error
              == Error::bad_upload_header);
    ck_assert(refused(req("PUT", 10, {{"Upload-Complete", "?2"}})).error
              == Error::bad_upload_header);
}
END_TEST

START_TEST(test_answer_headers)
{
    UploadState st;
    st.key = "k";
    st.length = 300;
    st.received.add(0, 100);
    st.received.add(200, 250);
    st.updated = 1795840000;

    std::vector<HeaderField> h = native_progress_headers(st, 1795840000 + 86400);
    ck_assert_int_eq(h.size(), 5);
    ck_assert_sstr_eq(h[0].first, "Upload-Offset");
    ck_assert_sstr_eq(h[0].second, "100");
    ck_assert_sstr_eq(h[1].second, "0-99,200-249");
    ck_assert_sstr_eq(h[2].first, "Upload-Length");
    ck_assert_sstr_eq(h[2].second, "300");
    ck_assert_sstr_eq(h[3].first, "Upload-Expires");
    ck_assert_sstr_eq(h[3].second, "Sun, 29 Nov 2026 04:26:40 GMT");
    ck_assert_sstr_eq(h[4].second, "?0");

    std::string hex = sha256_hex("abc", 3);
    h = native_complete_headers(3, hex);
    ck_assert_int_eq(h.size(), 3);
    ck_assert_sstr_eq(h[1].second, "?1");
    ck_assert_sstr_eq(h[2].first, "Repr-Digest");
    ck_assert_sstr_eq(h[2].second, repr_digest_sha256(hex));
    ck_assert_int_eq(native_complete_headers(3, "").size(), 2);
}
END_TEST

START_TEST(test_partial_id)
{
    /* the previous layout's id (sha256 of the path, 40 hex digits): the
     * partials it left are found again */
    std::string id = native_partial_id("/isos/big.iso");
    ck_assert_sstr_eq(id, sha256_hex("/isos/big.iso", 13).substr(0, 40));
    ck_assert(id != native_partial_id("/isos/big.is"));
}
END_TEST

START_TEST(test_http_helpers)
{
    HttpRequest r = req("PUT", 1, {{"A", "1"}, {"b", "2"}, {"a", "3"}});
    std::string_view v;

    ck_assert(r.single("B", v) == HttpRequest::Field::one);
    ck_assert_sstr_eq(std::string(v), "2");
    ck_assert(r.single("a", v) == HttpRequest::Field::repeated);
    ck_assert(r.single("c", v) == HttpRequest::Field::absent);
    ck_assert_int_eq(r.all("A").size(), 2);
    ck_assert(r.has_framing());
    ck_assert(!req("PUT", -1).has_framing());

    ck_assert_sstr_eq(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    ck_assert_sstr_eq(media_type(" Multipart/Form-Data ; boundary=x"), "multipart/form-data");
    ck_assert_sstr_eq(media_type(""), "");
}
END_TEST

START_TEST(test_derive_key)
{
    std::string head(1048576, 'h'), tail(1048576, 't');
    std::string k = derive_upload_key(4ULL << 30, 1795840000123456789LL, head, tail);

    ck_assert_uint_eq(k.size(), 32);
    ck_assert(valid_upload_key(k));
    ck_assert_sstr_eq(k, derive_upload_key(4ULL << 30, 1795840000123456789LL, head, tail));

    /* any change gives another key */
    ck_assert(k != derive_upload_key((4ULL << 30) + 1, 1795840000123456789LL, head, tail));
    ck_assert(k != derive_upload_key(4ULL << 30, 1795840000123456790LL, head, tail));
    tail[1048575] = 'x';
    ck_assert(k != derive_upload_key(4ULL << 30, 1795840000123456789LL, head, tail));
}
END_TEST

Suite *native_suite(void)
{
    Suite *s = suite_create("native");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_plain_and_methods);
    tcase_add_test(tc, test_resumable);
    tcase_add_test(tc, test_refuses_what_it_does_not_understand);
    tcase_add_test(tc, test_strict_headers);
    tcase_add_test(tc, test_answer_headers);
    tcase_add_test(tc, test_partial_id);
    tcase_add_test(tc, test_http_helpers);
    tcase_add_test(tc, test_derive_key);
    suite_add_tcase(s, tc);

    return s;
}
