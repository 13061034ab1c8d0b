/* tus 1.0.0 header parsing and formatting, from protocol.md (section names
 * are protocol.md's) and from what tus-js-client sends. */
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "proto/tus.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;
using namespace bigupload::tus;

/* "Tus-Resumable": another version is the 412 case */
START_TEST(test_resumable)
{
    ck_assert(resumable_supported("1.0.0"));
    for (const char *v : { "0.2.2", "1.0", "1.0.0 ", " 1.0.0", "1.0.1", "1.0.0,0.2.2", "" }) {
        ck_assert_msg(!resumable_supported(v), "\"%s\"", v);
    }
    ck_assert_sstr_eq(format_versions(), "1.0.0");
}
END_TEST

/* "Upload-Offset" / "Upload-Length": "a non-negative integer" */
START_TEST(test_numbers)
{
    std::uint64_t v = 1;
    ck_assert(parse_offset("0", v) == NumberError::none);
    ck_assert_uint_eq(v, 0);
    ck_assert(parse_length("100", v) == NumberError::none);
    ck_assert_uint_eq(v, 100);
    ck_assert(parse_length("9223372036854775807", v) == NumberError::none);
    ck_assert_uint_eq(v, 9223372036854775807ull);
    ck_assert(parse_offset("007", v) == NumberError::none);
    ck_assert_uint_eq(v, 7);

    static const struct {
        const char *value;
        NumberError error;
    } bad[] = {
        { "", NumberError::empty },
        { "9223372036854775808", NumberError::overflow },
        { "99999999999999999999999", NumberError::overflow },
        { "-1", NumberError::not_digits },
        { "+1", NumberError::not_digits },
        { "1.0", NumberError::not_digits },
        { "1e3", NumberError::not_digits },
        { " 1", NumberError::not_digits },
        { "1 ", NumberError::not_digits },
        { "0x10", NumberError::not_digits },
        { "1,2", NumberError::not_digits },
    };
    for (const auto &b : bad) {
        v = 42;
        ck_assert_msg(parse_offset(b.value, v) == b.error, "\"%s\"", b.value);
        ck_assert_msg(parse_length(b.value, v) == b.error, "\"%s\"", b.value);
        ck_assert_uint_eq(v, 42);
    }

    /* "Upload-Defer-Length": "Its value MUST be 1" */
    ck_assert(defer_length_valid("1"));
    for (const char *d : { "0", "01", "true", "", "1 " }) {
        ck_assert_msg(!defer_length_valid(d), "\"%s\"", d);
    }
}
END_TEST

/* "Upload-Metadata", with protocol.md's example and tus-js-client's form */
START_TEST(test_metadata)
{
    Metadata m;
    MetadataStatus st =
        parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential", m);
    ck_assert(st.ok());
    ck_assert_uint_eq(m.size(), 2);
    ck_assert_sstr_eq(m[0].key, "filename");
    ck_assert_sstr_eq(m[0].value, "world_domination_plan.pdf");
    ck_assert_sstr_eq(m[1].key, "is_confidential");
    ck_assert_sstr_eq(m[1].value, "");
    ck_assert_sstr_eq(*find_metadata(m, "filename"), "world_domination_plan.pdf");
    ck_assert_ptr_null(find_metadata(m, "filetype"));
    ck_assert_sstr_eq(*format_metadata(m),
                      "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential");

    /* tus-js-client: `${key} ${Base64.encode(value)}` joined by ","; binary
     * values survive; OWS around commas (HTTP list syntax) is accepted; an
     * empty value may keep its space */
    st = parse_metadata("filename ZmlsZS50eHQ=, filetype dGV4dC9wbGFpbg==,\tbin AP8=,e ", m);
    ck_assert(st.ok());
    ck_assert_uint_eq(m.size(), 4);
    ck_assert_sstr_eq(m[1].value, "text/plain");
    ck_assert(m[2].value == std::string("\0\xff", 2));
    ck_assert_sstr_eq(m[3].key, "e");
    ck_assert_sstr_eq(m[3].value, "");
    ck_assert_sstr_eq(*format_metadata(m), "filename ZmlsZS50eHQ=,filetype dGV4dC9wbGFpbg==,bin AP8=,e");
    Metadata again;
    ck_assert(parse_metadata(*format_metadata(m), again).ok());
    ck_assert(again == m);

    /* keys are any visible ASCII but "," */
    ck_assert(parse_metadata("a.b-c_d:e/f=g YQ==", m).ok());
    ck_assert_sstr_eq(m[0].key, "a.b-c_d:e/f=g");

    ck_assert(!format_metadata({}));
    ck_assert(!format_metadata({ { "a b", "x" } }));
    ck_assert(!format_metadata({ { "", "x" } }));
}
END_TEST

START_TEST(test_metadata_refuses)
{
    static const struct {
        const char *value;
        MetadataError error;
        std::size_t pair;
    } bad[] = {
        { "", MetadataError::empty, 0 },
        { "  ", MetadataError::empty, 0 },
        { "a YQ==,,b", MetadataError::empty_element, 1 },
        { "a YQ==,", MetadataError::empty_element, 1 },
        { ",a YQ==", MetadataError::empty_element, 0 },
        { "a YQ==, ,b", MetadataError::empty_element, 1 },
        { "a\tb YQ==", MetadataError::bad_key, 0 },
        { "a\xc3\xa9 YQ==", MetadataError::bad_key, 0 },
        { "a\x7f YQ==", MetadataError::bad_key, 0 },
        { "a  YQ==", MetadataError::bad_separator, 0 },
        { "ok YQ==,a YQ== YQ==", MetadataError::bad_separator, 1 },
        { "a YQ", MetadataError::bad_base64, 0 },                  /* padding required */
        { "a YR==", MetadataError::bad_base64, 0 },                /* non-zero pad bits */
        { "a Y!==", MetadataError::bad_base64, 0 },
        { "a YQ==\t", MetadataError::none, 0 },                    /* OWS before the end */
        { "a Y\tQ==", MetadataError::bad_base64, 0 },
        { "a 4pyTIMOgIGxhIG1vZGU", MetadataError::bad_base64, 0 },  /* unpadded */
        { "a YQ==,b,a Yg==", MetadataError::duplicate_key, 2 },
    };
    for (const auto &b : bad) {
        Metadata m;
        MetadataStatus st = parse_metadata(b.value, m);
        ck_assert_msg(st.error == b.error, "\"%s\": %s", b.value, metadata_error_message(st.error));
        if (b.error != MetadataError::none) {
            ck_assert_msg(st.pair == b.pair, "\"%s\": pair %zu", b.value, st.pair);
            ck_assert_uint_eq(m.size(), 0);
        }
    }

    /* the size bound is on the whole value */
    std::string big = "k " + std::string(4000, 'A');
    Metadata m;
    ck_assert(parse_metadata(big, m).ok());
    ck_assert(parse_metadata(big + ",x", m, big.size()).error == MetadataError::too_large);
    ck_assert(parse_metadata(big + std::string(100, 'A'), m).error == MetadataError::too_large);
}
END_TEST

/* "Checksum": protocol.md's example, and the three ways to fail */
START_TEST(test_checksum)
{
    const std::vector<ChecksumAlgorithm> ours = { { "sha1", 20 }, { "md5", 16 },
                                                  { "sha256", 32 }, { "crc32", 4 } };
    Checksum c;
    ck_assert(parse_checksum("sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ours, c) == ChecksumError::none);
    ck_assert_sstr_eq(c.algorithm, "sha1");
    ck_assert_uint_eq(c.bytes.size(), 20);
    /* the sha1 of the example's body, "hello world" */
    ck_assert(c.bytes == std::string("\x2a\xae\x6c\x35\xc9\x4f\xcf\xb4\x15\xdb\xe9\x5f\x40\x8b"
                                     "\x9c\xe9\x1e\xe8\x46\xed", 20));

    std::string sha256 = "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=";   /* of "hello world" */
    ck_assert(parse_checksum("sha256 " + sha256, ours, c) == ChecksumError::none);
    ck_assert_sstr_eq(c.algorithm, "sha256");
    ck_assert(c.bytes.size() == 32);

    static const struct {
        const char *value;
        ChecksumError error;
    } bad[] = {
        { "sha3 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ChecksumError::unsupported_algorithm },
        { "sha-1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ChecksumError::unsupported_algorithm },
        { "md5 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ChecksumError::wrong_length },
        { "crc32 AAAAAAAA", ChecksumError::wrong_length },
        { "SHA1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ChecksumError::malformed },   /* uppercase */
        { "sha1", ChecksumError::malformed },
        { "sha1 ", ChecksumError::malformed },
        { " Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ChecksumError::malformed },
        { "sha1  Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ChecksumError::malformed },
        { "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0", ChecksumError::malformed },   /* unpadded */
        { "sha1 Kq5sNclPz7QV2-lfQIuc6R7oRu0=", ChecksumError::malformed },  /* base64url */
        { "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0= x", ChecksumError::malformed },
        { "sha1,md5 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", ChecksumError::malformed },
        { "", ChecksumError::malformed },
    };
    for (const auto &b : bad) {
        ck_assert_msg(parse_checksum(b.value, ours, c) == b.error, "\"%s\": %s", b.value,
                      checksum_error_message(parse_checksum(b.value, ours, c)));
    }
}
END_TEST

/* "Concatenation": protocol.md's example and tus-js-client's `final;${urls.join(' ')}` */
START_TEST(test_concat)
{
    Concat c;
    ck_assert(parse_concat("partial", c) == ConcatError::none);
    ck_assert(!c.final);
    ck_assert_sstr_eq(*format_concat(c), "partial");

    ck_assert(parse_concat("final;/files/a /files/b", c) == ConcatError::none);
    ck_assert(c.final);
    ck_assert(c.urls == (std::vector<std::string>{ "/files/a", "/files/b" }));
    ck_assert_sstr_eq(*format_concat(c), "final;/files/a /files/b");

    ck_assert(parse_concat("final;https://tus.example.org/files/a", c) == ConcatError::none);
    ck_assert_uint_eq(c.urls.size(), 1);

    static const struct {
        const char *value;
        ConcatError error;
    } bad[] = {
        { "", ConcatError::malformed },
        { "Partial", ConcatError::malformed },
        { "partial;x", ConcatError::malformed },
        { "final", ConcatError::malformed },
        { "final /a", ConcatError::malformed },
        { "final;", ConcatError::no_urls },
        { "final; /a", ConcatError::empty_url },
        { "final;/a  /b", ConcatError::empty_url },
        { "final;/a ", ConcatError::empty_url },
        { "final;/a\t/b", ConcatError::bad_url },
        { "final;/\xc3\xa9", ConcatError::bad_url },
    };
    for (const auto &b : bad) {
        ck_assert_msg(parse_concat(b.value, c) == b.error, "\"%s\": %s", b.value,
                      concat_error_message(parse_concat(b.value, c)));
        ck_assert(!c.final && c.urls.empty());
    }
    ck_assert(parse_concat("final;/a /b /c", c, 2) == ConcatError::too_many);
    ck_assert(parse_concat("final;/a /b", c, 2) == ConcatError::none);

    ck_assert(!format_concat(Concat{ true, {} }));
    ck_assert(!format_concat(Concat{ true, { "/a b" } }));
}
END_TEST

START_TEST(test_concat_url_path)
{
    static const struct {
        const char *url;
        const char *path;     /* nullptr: none */
    } v[] = {
        { "/files/a", "/files/a" },
        { "https://tus.example.org/files/a", "/files/a" },
        { "http://127.0.0.1:8083/upload/.tus/x", "/upload/.tus/x" },
        { "//tus.example.org/files/a", "/files/a" },
        { "HTTPS://h/x", "/x" },
        { "files/a", nullptr },
        { "../a", nullptr },
        { "https://h", nullptr },
        { "https://h/x?y=1", nullptr },
        { "/x#f", nullptr },
        { "1http://h/x", nullptr },
        { "://h/x", nullptr },
        { "", nullptr },
    };
    for (const auto &x : v) {
        std::optional<std::string_view> p = concat_url_path(x.url);
        if (x.path == nullptr) {
            ck_assert_msg(!p, "\"%s\" gave a path", x.url);
        } else {
            ck_assert_msg(p && *p == x.path, "\"%s\"", x.url);
        }
    }
}
END_TEST

START_TEST(test_method_override)
{
    ck_assert(*parse_method_override("PATCH") == Method::patch);
    ck_assert(*parse_method_override("DELETE") == Method::delete_);
    ck_assert(*parse_method_override("HEAD") == Method::head);
    ck_assert_sstr_eq(method_name(*parse_method_override("OPTIONS")), "OPTIONS");
    for (const char *m : { "patch", "Patch", "PATCH ", "", "TRACE", "CONNECT", "PROPFIND" }) {
        ck_assert_msg(!parse_method_override(m), "\"%s\"", m);
    }
}
END_TEST

START_TEST(test_answer_headers)
{
    Extensions e;
    ck_assert_sstr_eq(format_extensions(e), "");
    e.creation = e.expiration = true;
    ck_assert_sstr_eq(format_extensions(e), "creation,expiration");   /* protocol.md's OPTIONS */
    e = Extensions{ true, true, true, true, true, true, true, true, true };
    ck_assert_sstr_eq(format_extensions(e),
                      "creation,creation-with-upload,creation-defer-length,expiration,checksum,"
                      "checksum-trailer,termination,concatenation,concatenation-unfinished");

    ck_assert_sstr_eq(*format_checksum_algorithms({ "md5", "sha1", "crc32" }), "md5,sha1,crc32");
    ck_assert(!format_checksum_algorithms({}));
    ck_assert(!format_checksum_algorithms({ "SHA1" }));
    ck_assert(!format_checksum_algorithms({ "sha1", "a,b" }));
    ck_assert(!format_checksum_algorithms({ "sha 1" }));

    ck_assert(is_patch_content_type("application/offset+octet-stream"));
    ck_assert(is_patch_content_type("Application/Offset+Octet-Stream"));
    ck_assert(is_patch_content_type("application/offset+octet-stream; charset=binary"));
    ck_assert(!is_patch_content_type("application/octet-stream"));
    ck_assert(!is_patch_content_type("application/offset+octet-streams"));
    ck_assert(!is_patch_content_type(""));
}
END_TEST

Suite *tus_suite(void)
{
    Suite *s = suite_create("tus");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_resumable);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_metadata);
    tcase_add_test(tc, test_metadata_refuses);
    tcase_add_test(tc, test_checksum);
    tcase_add_test(tc, test_concat);
    tcase_add_test(tc, test_concat_url_path);
    tcase_add_test(tc, test_method_override);
    tcase_add_test(tc, test_answer_headers);
    suite_add_tcase(s, tc);

    return s;
}
