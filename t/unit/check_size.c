/* Size parsing (with overflow) and human formatting. */
#include <cstdint>

#include "base/size.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

START_TEST(test_parse_size)
{
    ck_assert_uint_eq(*bigupload::parse_size("0"), 0);
    ck_assert_uint_eq(*bigupload::parse_size("123"), 123);
    ck_assert_uint_eq(*bigupload::parse_size("256k"), 256 * 1024);
    ck_assert_uint_eq(*bigupload::parse_size("256K"), 256 * 1024);
    ck_assert_uint_eq(*bigupload::parse_size("10m"), 10 * 1024 * 1024);
    ck_assert_uint_eq(*bigupload::parse_size("4G"), 4ULL << 30);
    ck_assert_uint_eq(*bigupload::parse_size("2t"), 2ULL << 40);
    ck_assert_uint_eq(*bigupload::parse_size("4GiB"), 4ULL << 30);
    ck_assert_uint_eq(*bigupload::parse_size("10MB"), 10ULL << 20);
    ck_assert_uint_eq(*bigupload::parse_size("7B"), 7);
}
END_TEST

START_TEST(test_parse_size_rejects)
{
    const char *bad[] = { "", "k", "-1", "+1", "1.5G", "12x", "1 G", "1GG",
                          "1Gx", " 1", "1k ", "0x10" };

    for (const char *s : bad) {
        ck_assert_msg(!bigupload::parse_size(s).has_value(), "accepted \"%s\"", s);
    }
}
END_TEST

START_TEST(test_parse_size_overflow)
{
    /* 2^63 - 1 is the largest off_t */
    ck_assert_uint_eq(*bigupload::parse_size("9223372036854775807"),
                      9223372036854775807ULL);
    ck_assert(!bigupload::parse_size("9223372036854775808").has_value());
    ck_assert(!bigupload::parse_size("99999999999999999999999").has_value());
    ck_assert_uint_eq(*bigupload::parse_size("8388607t"), 8388607ULL << 40);
    ck_assert(!bigupload::parse_size("8388608t").has_value());
    ck_assert(!bigupload::parse_size("9007199254740992k").has_value());
}
END_TEST

START_TEST(test_parse_count)
{
    ck_assert_uint_eq(*bigupload::parse_count("3", 0, 10), 3);
    ck_assert(!bigupload::parse_count("11", 0, 10).has_value());
    ck_assert(!bigupload::parse_count("0", 1, 10).has_value());
    ck_assert(!bigupload::parse_count("3k", 0, 10000).has_value());
    ck_assert(!bigupload::parse_count("", 0, 10).has_value());
}
END_TEST

START_TEST(test_format_size)
{
    ck_assert_sstr_eq(bigupload::format_size(0).c_str(), "0 B");
    ck_assert_sstr_eq(bigupload::format_size(1023).c_str(), "1023 B");
    ck_assert_sstr_eq(bigupload::format_size(1024).c_str(), "1.00 KiB");
    ck_assert_sstr_eq(bigupload::format_size(1536).c_str(), "1.50 KiB");
    ck_assert_sstr_eq(bigupload::format_size(12900000).c_str(), "12.3 MiB");
    ck_assert_sstr_eq(bigupload::format_size(4ULL << 30).c_str(), "4.00 GiB");
    ck_assert_sstr_eq(bigupload::format_size(5ULL << 40).c_str(), "5.00 TiB");
    ck_assert_sstr_eq(bigupload::format_size(1048575).c_str(), "1.00 MiB");
    ck_assert_sstr_eq(bigupload::format_size(500ULL << 20).c_str(), "500 MiB");
}
END_TEST

START_TEST(test_format_rate_duration)
{
    ck_assert_sstr_eq(bigupload::format_rate(0).c_str(), "0 B/s");
    ck_assert_sstr_eq(bigupload::format_rate(1048576.0 * 100).c_str(), "100 MiB/s");
    ck_assert_sstr_eq(bigupload::format_rate(-1).c_str(), "-");
    ck_assert_sstr_eq(bigupload::format_duration(0).c_str(), "00:00");
    ck_assert_sstr_eq(bigupload::format_duration(123).c_str(), "02:03");
    ck_assert_sstr_eq(bigupload::format_duration(3723).c_str(), "1:02:03");
    ck_assert_sstr_eq(bigupload::format_duration(-1).c_str(), "--:--");
}
END_TEST

Suite *size_suite(void)
{
    Suite *s = suite_create("size");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_parse_size);
    tcase_add_test(tc, test_parse_size_rejects);
    tcase_add_test(tc, test_parse_size_overflow);
    tcase_add_test(tc, test_parse_count);
    tcase_add_test(tc, test_format_size);
    tcase_add_test(tc, test_format_rate_duration);
    suite_add_tcase(s, tc);

    return s;
}
