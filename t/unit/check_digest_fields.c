/* RFC 9530 Digest Fields: the RFC's examples (sections 2, 3, 4) and the
 * members that refuse a field. */
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "base/digest.hpp"
#include "proto/digest_fields.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

namespace {

/* the values of RFC 9530 section 2's examples (the sha-512 is that of
 * {"hello": "world"} and a LF, the content of its Appendix A) */
const char sha256_b64[] = "d435Qo+nKZ+gLcUHn7GQtQ72hiBVAgqoLsZnZPiTGPk=";
const char sha512_b64[] =
    "YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==";

std::string raw(const char *b64) { return *base64_decode(b64, Base64Mode::strict); }

}  // namespace

START_TEST(test_parse_examples)
{
    std::vector<DigestMember> d;
    DigestFieldStatus st = parse_digest_field(std::string("sha-512=:") + sha512_b64 + ":", d);
    ck_assert(st.ok());
    ck_assert_uint_eq(d.size(), 1);
    ck_assert_sstr_eq(d[0].algorithm, "sha-512");
    ck_assert_uint_eq(d[0].bytes.size(), 64);
    ck_assert(d[0].bytes == raw(sha512_b64));

    /* several algorithms, in field order */
    st = parse_digest_field(std::string("sha-256=:") + sha256_b64 + ":,sha-512=:" + sha512_b64
                                + ":", d);
    ck_assert(st.ok());
    ck_assert_uint_eq(d.size(), 2);
    ck_assert_sstr_eq(d[0].algorithm, "sha-256");
    ck_assert(d[0].bytes == raw(sha256_b64));
    ck_assert(find_digest(d, "sha-512")->bytes == raw(sha512_b64));
    ck_assert_ptr_null(find_digest(d, "md5"));

    /* what the module sends today (base/digest) parses to the computed digest */
    std::string json = "{\"hello\": \"world\"}\n";
    st = parse_digest_field(repr_digest_sha256(sha256_hex(json.data(), json.size())), d);
    ck_assert(st.ok());
    ck_assert_uint_eq(d.size(), 1);
    ck_assert(d[0].bytes == raw("RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg="));

    /* parameters are ignored; unknown algorithms are kept as strings */
    st = parse_digest_field("unixsum=:AAAA:;x=1, new-alg=::", d);
    ck_assert(st.ok());
    ck_assert_uint_eq(d.size(), 2);
    ck_assert_sstr_eq(d[0].algorithm, "unixsum");
    ck_assert(d[0].bytes == std::string(3, '\0'));
    ck_assert_sstr_eq(d[1].algorithm, "new-alg");

    /* a repeated algorithm keeps its last value (RFC 9651 4.2.2) */
    st = parse_digest_field("sha-256=:AAAA:, sha-256=:/w==:", d);
    ck_assert(st.ok());
    ck_assert_uint_eq(d.size(), 1);
    ck_assert(d[0].bytes == "\xff");

    /* an empty field is no digest at all */
    ck_assert(parse_digest_field("", d).ok());
    ck_assert_uint_eq(d.size(), 0);
}
END_TEST

START_TEST(test_parse_refuses)
{
    std::vector<DigestMember> d;

    /* a member that is not a Byte Sequence refuses the whole field */
    static const struct {
        const char *value;
        DigestFieldError error;
        const char *member;
    } bad[] = {
        { "sha-256=:AAAA:, md5=1", DigestFieldError::not_bytes, "md5" },
        { "sha-256", DigestFieldError::not_bytes, "sha-256" },           /* Boolean true */
        { "sha-256=(:AAAA:)", DigestFieldError::not_bytes, "sha-256" },  /* Inner List */
        { "sha-256=\"AAAA\"", DigestFieldError::not_bytes, "sha-256" },
        { "sha-256=AAAA", DigestFieldError::not_bytes, "sha-256" },      /* a Token */
        { "sha-256=:AA A:", DigestFieldError::syntax, "" },
        { "SHA-256=:AAAA:", DigestFieldError::syntax, "" },
        { "sha-256=:AAAA:,", DigestFieldError::syntax, "" },
        /* the old RFC 3230 form */
        { "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", DigestFieldError::syntax, "" },
    };
    for (const auto &b : bad) {
        DigestFieldStatus st = parse_digest_field(b.value, d);
        ck_assert_msg(st.error == b.error, "\"%s\": %s", b.value,
                      digest_field_error_message(st.error));
        ck_assert_sstr_eq(st.member, b.member);
        ck_assert_uint_eq(d.size(), 0);
    }
    DigestFieldStatus st = parse_digest_field("sha-256=:AA A:", d);
    ck_assert(st.syntax.error == sfv::Error::byte_sequence_bad_char);
}
END_TEST

START_TEST(test_want_digest)
{
    std::vector<DigestPreference> p;

    /* RFC 9530 section 4's examples */
    ck_assert(parse_want_digest_field("sha-256=1", p).ok());
    ck_assert(p == (std::vector<DigestPreference>{ { "sha-256", 1 } }));
    ck_assert(parse_want_digest_field("sha-512=3, sha-256=10, unixsum=0", p).ok());
    ck_assert(p == (std::vector<DigestPreference>{ { "sha-512", 3 }, { "sha-256", 10 },
                                                   { "unixsum", 0 } }));

    ck_assert_sstr_eq(*choose_digest_algorithm(p, { "sha-512", "sha-256" }), "sha-256");
    ck_assert_sstr_eq(*choose_digest_algorithm(p, { "sha-512", "crc32c" }), "sha-512");
    /* weight 0 is "not acceptable"; an unlisted one is not chosen either */
    ck_assert(!choose_digest_algorithm(p, { "unixsum", "crc32c" }));
    /* a tie goes to our first */
    ck_assert(parse_want_digest_field("sha-512=5, sha-256=5", p).ok());
    ck_assert_sstr_eq(*choose_digest_algorithm(p, { "sha-256", "sha-512" }), "sha-256");

    static const struct {
        const char *value;
        DigestFieldError error;
    } bad[] = {
        { "sha-256=11", DigestFieldError::weight_range },
        { "sha-256=-1", DigestFieldError::weight_range },
        { "sha-256=1.0", DigestFieldError::not_integer },
        { "sha-256", DigestFieldError::not_integer },
        { "sha-256=(1)", DigestFieldError::not_integer },
        { "sha-256=1, md5=:AA==:", DigestFieldError::not_integer },
        { "sha-256=1;", DigestFieldError::syntax },
    };
    for (const auto &b : bad) {
        DigestFieldStatus st = parse_want_digest_field(b.value, p);
        ck_assert_msg(st.error == b.error, "\"%s\": %s", b.value,
                      digest_field_error_message(st.error));
        ck_assert_uint_eq(p.size(), 0);
    }
    ck_assert(parse_want_digest_field("sha-256=10;q=1", p).ok());   /* parameters ignored */
}
END_TEST

START_TEST(test_format)
{
    std::vector<DigestMember> d = { { "sha-256", raw(sha256_b64) }, { "sha-512", raw(sha512_b64) } };
    std::string s = *format_digest_field(d);
    ck_assert_sstr_eq(s, std::string("sha-256=:") + sha256_b64 + ":, sha-512=:" + sha512_b64 + ":");

    std::vector<DigestMember> back;
    ck_assert(parse_digest_field(s, back).ok());
    ck_assert(back == d);

    ck_assert_sstr_eq(*format_digest_field({}), "");
    ck_assert(!format_digest_field({ { "SHA-256", "x" } }));
    ck_assert(!format_digest_field({ { "", "x" } }));

    ck_assert_sstr_eq(*format_want_digest_field({ { "sha-256", 10 }, { "md5", 0 } }),
                      "sha-256=10, md5=0");
    ck_assert(!format_want_digest_field({ { "sha-256", 11 } }));
    ck_assert(!format_want_digest_field({ { "sha 256", 1 } }));
}
END_TEST

Suite *digest_fields_suite(void)
{
    Suite *s = suite_create("digest_fields");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_parse_examples);
    tcase_add_test(tc, test_parse_refuses);
    tcase_add_test(tc, test_want_digest);
    tcase_add_test(tc, test_format);
    suite_add_tcase(s, tc);

    return s;
}
