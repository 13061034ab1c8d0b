/* SHA-256 over OpenSSL EVP, streamed and one-shot. */
#include <string>

#include "base/digest.hpp"
#include "proto/digest_fields.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

START_TEST(test_known_vectors)
{
    ck_assert_sstr_eq(bigupload::sha256_hex("", 0).c_str(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_sstr_eq(bigupload::sha256_hex("abc", 3).c_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_streaming_equals_one_shot)
{
    std::string data;
    for (int i = 0; i < 100000; i++) {
        data.push_back((char) (i * 7 + 3));
    }

    bigupload::Sha256 h;
    for (std::size_t off = 0; off < data.size(); off += 4093) {
        h.update(data.data() + off, std::min<std::size_t>(4093, data.size() - off));
    }

    ck_assert_sstr_eq(h.final_hex().c_str(),
                     bigupload::sha256_hex(data.data(), data.size()).c_str());

    /* reusable after final */
    h.update("abc", 3);
    ck_assert_sstr_eq(h.final_hex().c_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_repr_digest)
{
    /* sha256("") in RFC 9530's form, and back */
    const char *hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const char *field = "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:";

    ck_assert_sstr_eq(bigupload::repr_digest_sha256(hex), field);
    ck_assert_sstr_eq(bigupload::sha256_from_repr_digest(field), hex);
    ck_assert_sstr_eq(bigupload::sha256_from_repr_digest(
                          std::string("sha-512=:abc=:, ") + field), hex);

    ck_assert_sstr_eq(bigupload::repr_digest_sha256("xyz"), "");
    ck_assert_sstr_eq(bigupload::repr_digest_sha256(std::string(64, 'g')), "");
    ck_assert_sstr_eq(bigupload::sha256_from_repr_digest("sha-256=:short=:"), "");
    ck_assert_sstr_eq(bigupload::sha256_from_repr_digest(""), "");
}
END_TEST

START_TEST(test_sha256_over_the_digest_class)
{
    /* the hex interface and the raw one are the same hash */
    const std::string data = ck_pattern(70000, 11);
    bigupload::Sha256 h;
    h.update(data.data(), 1000);
    h.update(data.data() + 1000, data.size() - 1000);
    ck_assert_sstr_eq(h.final_hex(),
                      bigupload::to_hex(bigupload::digest_of(bigupload::DigestAlg::sha256,
                                                             data.data(), data.size())));

    /* hex in either case gives the same field; "sha-256" is the registered key */
    const char *upper = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    ck_assert_sstr_eq(bigupload::repr_digest_sha256(upper),
                      "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    ck_assert_sstr_eq(bigupload::repr_digest_sha256(std::string(63, 'a') + "g"), "");
    ck_assert_sstr_eq(bigupload::repr_digest_sha256(std::string(66, 'a')), "");
}
END_TEST

Suite *digest_suite(void)
{
    Suite *s = suite_create("digest");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_known_vectors);
    tcase_add_test(tc, test_streaming_equals_one_shot);
    tcase_add_test(tc, test_repr_digest);
    tcase_add_test(tc, test_sha256_over_the_digest_class);
    suite_add_tcase(s, tc);

    return s;
}
