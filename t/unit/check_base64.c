/* Base64 (RFC 4648 section 4): the test vectors of RFC 4648 section 10, and
 * the two decoding modes (strict for tus, lenient padding for RFC 9651). */
#include <string>

#include "base/base64.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

START_TEST(test_rfc4648_vectors)
{
    static const struct {
        const char *raw, *b64;
    } v[] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    for (const auto &x : v) {
        ck_assert_sstr_eq(base64_encode(x.raw), x.b64);
        ck_assert_sstr_eq(*base64_decode(x.b64, Base64Mode::strict), x.raw);
        ck_assert_sstr_eq(*base64_decode(x.b64, Base64Mode::lenient_padding), x.raw);
    }

    /* all 256 byte values, both ways */
    std::string all;
    for (int i = 0; i < 256; i++) {
        all.push_back((char) i);
    }
    std::string enc = base64_encode(all);
    ck_assert_uint_eq(enc.size(), 344);
    ck_assert_sstr_eq(enc.substr(0, 8), "AAECAwQF");
    ck_assert_sstr_eq(enc.substr(336), "/P3+/w==");
    ck_assert(*base64_decode(enc, Base64Mode::strict) == all);
}
END_TEST

START_TEST(test_strict_refuses)
{
    /* missing padding, non-zero pad bits (RFC 4648 3.2, 3.5), "=" inside,
     * too much padding, a lone character, whitespace, base64url */
    for (const char *s : { "Zg", "Zm8", "Zh==", "Zm9=", "Z===", "Zg=a", "Zg==Zg==", "Zm9v=",
                           "Z", "Zm9vY", "Zm9 v", "Zm9v\n", "_-8=", "Zm9v====", "=" }) {
        ck_assert_msg(!base64_decode(s, Base64Mode::strict), "\"%s\" accepted", s);
    }
}
END_TEST

START_TEST(test_lenient_padding)
{
    ck_assert_sstr_eq(*base64_decode("Zg", Base64Mode::lenient_padding), "f");
    ck_assert_sstr_eq(*base64_decode("Zm8", Base64Mode::lenient_padding), "fo");
    ck_assert_sstr_eq(*base64_decode("Zh==", Base64Mode::lenient_padding), "f");  /* pad bits */
    /* what stays refused: wrong amounts of padding, "=" inside, 4n+1 */
    for (const char *s : { "Zg=", "Zm8==", "Zm9v=", "Zg=a", "Z", "Zm9vY", "Zm 9v", "Zg==Zg==" }) {
        ck_assert_msg(!base64_decode(s, Base64Mode::lenient_padding), "\"%s\" accepted", s);
    }
}
END_TEST

Suite *base64_suite(void)
{
    Suite *s = suite_create("base64");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_rfc4648_vectors);
    tcase_add_test(tc, test_strict_refuses);
    tcase_add_test(tc, test_lenient_padding);
    suite_add_tcase(s, tc);

    return s;
}
