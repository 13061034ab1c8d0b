/* Range-set algebra and Content-Range parsing (resumable uploads). */
#include <string>
#include <vector>

#include "base/range.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

START_TEST(test_add_merges)
{
    RangeSet s;

    s.add(10, 20);
    s.add(30, 40);
    ck_assert_sstr_eq(s.to_string(), "10-19,30-39");

    s.add(20, 30);                     /* adjacent on both sides */
    ck_assert_sstr_eq(s.to_string(), "10-39");

    s.add(0, 5);
    s.add(50, 60);
    s.add(3, 55);                      /* swallows everything in between */
    ck_assert_sstr_eq(s.to_string(), "0-59");

    s.add(70, 70);                     /* empty: no change */
    s.add(80, 75);
    ck_assert_sstr_eq(s.to_string(), "0-59");
    ck_assert_uint_eq(s.ranges().size(), 1);
}
END_TEST

START_TEST(test_out_of_order_fill)
{
    RangeSet s;
    const std::uint64_t chunk = 1 << 20;
    int order[] = { 7, 2, 0, 5, 1, 6, 3, 4 };

    for (int i : order) {
        ck_assert(!s.covers(8 * chunk));
        s.add(i * chunk, (i + 1) * chunk);
    }

    ck_assert(s.covers(8 * chunk));
    ck_assert_uint_eq(s.contiguous(), 8 * chunk);
    ck_assert_uint_eq(s.total(), 8 * chunk);
    ck_assert_uint_eq(s.ranges().size(), 1);
}
END_TEST

START_TEST(test_queries)
{
    RangeSet s;

    ck_assert_uint_eq(s.contiguous(), 0);
    ck_assert(s.covers(0));
    ck_assert(!s.covers(1));

    s.add(100, 200);
    ck_assert_uint_eq(s.contiguous(), 0);
    ck_assert(s.contains(100, 200));
    ck_assert(s.contains(150, 160));
    ck_assert(!s.contains(99, 150));
    ck_assert(!s.contains(150, 201));
    ck_assert(s.overlaps(199, 300));
    ck_assert(!s.overlaps(200, 300));
    ck_assert(!s.overlaps(0, 100));
    /* an empty or inverted [start, end) holds no byte (found by fuzz_range) */
    ck_assert(!s.overlaps(150, 150));
    ck_assert(!s.overlaps(150, 120));

    s.add(0, 50);
    ck_assert_uint_eq(s.contiguous(), 50);
    ck_assert_uint_eq(s.total(), 150);
    ck_assert_uint_eq(s.end(), 200);

    std::vector<ByteRange> g = s.gaps(300);
    ck_assert_uint_eq(g.size(), 2);
    ck_assert(g[0] == (ByteRange{50, 100}));
    ck_assert(g[1] == (ByteRange{200, 300}));

    g = s.gaps(120);
    ck_assert_uint_eq(g.size(), 1);
    ck_assert(g[0] == (ByteRange{50, 100}));
}
END_TEST

START_TEST(test_to_string_parse_round_trip)
{
    RangeSet s;
    s.add(0, 1048576);
    s.add(2097152, 3145728);
    s.add(5000000000ULL, 5000000001ULL);

    std::string text = s.to_string();
    ck_assert_sstr_eq(text, "0-1048575,2097152-3145727,5000000000-5000000000");

    auto back = RangeSet::parse(text);
    ck_assert(back.has_value());
    ck_assert(*back == s);

    ck_assert(RangeSet::parse("")->empty());
}
END_TEST

START_TEST(test_parse_rejects)
{
    const char *bad[] = {
        "5-4", "0-9,5-20", "0-9,10-20", "10-20,0-5", "a-b", "1-", "-1", "1-2,",
        ",1-2", "1-2;3-4", "99999999999999999999-1", "0-9223372036854775808",
        /* the last byte 2^63 - 1 would end at 2^63, past off_t (found by fuzz_range) */
        "0-9223372036854775807", "0-9,100-9223372036854775807",
    };

    for (const char *s : bad) {
        ck_assert_msg(!RangeSet::parse(s).has_value(), "accepted \"%s\"", s);
    }
}
END_TEST

START_TEST(test_content_range_ok)
{
    ContentRange cr;

    ck_assert(parse_content_range("bytes 0-1048575/4294967296", cr) == ContentRangeError::ok);
    ck_assert(cr.has_range && cr.total_known);
    ck_assert_uint_eq(cr.range.start, 0);
    ck_assert_uint_eq(cr.range.end, 1048576);
    ck_assert_uint_eq(cr.total, 4294967296ULL);

    ck_assert(parse_content_range("bytes 100-199/*", cr) == ContentRangeError::ok);
    ck_assert(cr.has_range && !cr.total_known);
    ck_assert_uint_eq(cr.range.size(), 100);

    ck_assert(parse_content_range("bytes */5368709120", cr) == ContentRangeError::ok);
    ck_assert(!cr.has_range && cr.total_known);
    ck_assert_uint_eq(cr.total, 5368709120ULL);

    ck_assert(parse_content_range("  bytes 0-0/1 ", cr) == ContentRangeError::ok);
    ck_assert_uint_eq(cr.range.size(), 1);

    ck_assert_sstr_eq(format_content_range(cr), "bytes 0-0/1");
    ContentRange u;
    ck_assert(parse_content_range("bytes 5-9/*", u) == ContentRangeError::ok);
    ck_assert_sstr_eq(format_content_range(u), "bytes 5-9/*");
    ck_assert(parse_content_range("bytes */7", u) == ContentRangeError::ok);
    ck_assert_sstr_eq(format_content_range(u), "bytes */7");
}
END_TEST

static const struct {
    const char        *value;
    ContentRangeError  expect;
} bad_ranges[] = {
    { "bytes 10-5/100", ContentRangeError::start_after_end },
    { "bytes 0-100/100", ContentRangeError::beyond_total },
    { "bytes 50-60/10", ContentRangeError::beyond_total },
    { "bytes 0-99999999999999999999/*", ContentRangeError::overflow },
    { "bytes 99999999999999999999-1/*", ContentRangeError::overflow },
    { "bytes 0-1/99999999999999999999", ContentRangeError::overflow },
    { "bytes 0-9223372036854775807/*", ContentRangeError::overflow },
    { "bytes */*", ContentRangeError::no_total },
    { "bytes 0-1", ContentRangeError::syntax },
    { "bytes=0-1/2", ContentRangeError::syntax },
    { "items 0-1/2", ContentRangeError::syntax },
    { "bytes -1-2/3", ContentRangeError::syntax },
    { "bytes 1-2/3x", ContentRangeError::syntax },
    { "bytes 1-2/-3", ContentRangeError::syntax },
    { "bytes 1 - 2/3", ContentRangeError::syntax },
    { "", ContentRangeError::syntax },
    { "bytes ", ContentRangeError::syntax },
};

START_TEST(test_content_range_rejects)
{
    ContentRange cr;
    ContentRangeError got = parse_content_range(bad_ranges[_i].value, cr);

    ck_assert_msg(got == bad_ranges[_i].expect, "\"%s\": %s", bad_ranges[_i].value,
                  content_range_error_message(got));
}
END_TEST

Suite *range_suite(void)
{
    Suite *s = suite_create("range");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_add_merges);
    tcase_add_test(tc, test_out_of_order_fill);
    tcase_add_test(tc, test_queries);
    tcase_add_test(tc, test_to_string_parse_round_trip);
    tcase_add_test(tc, test_parse_rejects);
    tcase_add_test(tc, test_content_range_ok);
    tcase_add_loop_test(tc, test_content_range_rejects, 0,
                        (int) (sizeof(bad_ranges) / sizeof(bad_ranges[0])));
    suite_add_tcase(s, tc);

    return s;
}
