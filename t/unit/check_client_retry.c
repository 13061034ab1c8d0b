/* bgclient: backoff schedule (deterministic with a fixed random source),
 * Retry-After parsing, and which statuses are retried.  Compiled as C++. */
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "tool_retry.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;

namespace {

bool near(double a, double b)
{
    return std::fabs(a - b) < 1e-9;
}

// Replays "values" in a loop.
std::function<double()> fixed_rng(std::vector<double> values)
{
    auto i = std::make_shared<std::size_t>(0);
    return [values, i] { return values[(*i)++ % values.size()]; };
}

const std::time_t rfc_example = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

}  // namespace

START_TEST(schedule_min_jitter)
{
    Backoff b({}, fixed_rng({0.0}));
    /* base 1 s doubling, capped at 60 s, jitter factor 0.5 */
    const double expected[] = {0.5, 1, 2, 4, 8, 16, 30, 30, 30};
    for (unsigned n = 1; n <= 9; n++) {
        double d = b.delay(n);
        ck_assert_msg(near(d, expected[n - 1]), "retry %u: %f", n, d);
    }
}
END_TEST

START_TEST(schedule_max_jitter)
{
    Backoff b({}, fixed_rng({0.75}));
    const double expected[] = {0.875, 1.75, 3.5, 7, 14, 28, 52.5, 52.5};
    for (unsigned n = 1; n <= 8; n++) {
        double d = b.delay(n);
        ck_assert_msg(near(d, expected[n - 1]), "retry %u: %f", n, d);
    }
}
END_TEST

START_TEST(schedule_sequence)
{
    /* the jitter follows the random source, call by call */
    Backoff b({}, fixed_rng({0.0, 0.5, 0.9}));
    ck_assert(near(b.delay(1), 0.5));   /* 1 * 0.5 */
    ck_assert(near(b.delay(2), 1.5));   /* 2 * 0.75 */
    ck_assert(near(b.delay(3), 3.8));   /* 4 * 0.95 */
    ck_assert(near(b.delay(4), 4.0));   /* 8 * 0.5 */
}
END_TEST

START_TEST(schedule_policy_and_edges)
{
    BackoffPolicy p;
    p.base = 0.1;
    p.factor = 3;
    p.cap = 1;
    Backoff b(p, fixed_rng({0.0}));
    ck_assert(near(b.delay(1), 0.05));
    ck_assert(near(b.delay(2), 0.15));
    ck_assert(near(b.delay(3), 0.45));
    ck_assert(near(b.delay(4), 0.5)); /* capped at 1, halved */

    Backoff big({}, fixed_rng({0.0}));
    ck_assert(near(big.delay(100000), 30)); /* no overflow to inf */
    ck_assert(near(big.delay(0), 0.5));     /* 0 is treated as the first */

    /* a misbehaving random source is clamped into [0, 1) */
    Backoff odd({}, fixed_rng({1.5, -3, std::numeric_limits<double>::quiet_NaN()}));
    double d = odd.delay(1);
    ck_assert(d >= 0.5 && d < 1.0);
    ck_assert(near(odd.delay(1), 0.5));
    ck_assert(near(odd.delay(1), 0.5));
}
END_TEST

START_TEST(schedule_retry_after)
{
    Backoff b({}, fixed_rng({0.0}));
    ck_assert(near(b.delay(1, 7.0), 7.0));           /* the server's wish wins */
    ck_assert(near(b.delay(6, 7.0), 16.0));          /* unless backoff is longer */
    ck_assert(near(b.delay(1, std::nullopt), 0.5));
    ck_assert(near(b.delay(1, 0.0), 0.5));
}
END_TEST

START_TEST(schedule_default_rng)
{
    Backoff b;
    for (int k = 0; k < 200; k++) {
        for (unsigned n = 1; n <= 8; n++) {
            double step = std::min(60.0, std::pow(2.0, n - 1));
            double d = b.delay(n);
            ck_assert_msg(d >= 0.5 * step && d < step, "retry %u: %f", n, d);
        }
    }
}
END_TEST

START_TEST(retry_after_seconds)
{
    ck_assert(near(*parse_retry_after("120", 0), 120));
    ck_assert(near(*parse_retry_after(" 5 ", 0), 5));
    ck_assert(near(*parse_retry_after("0", 0), 0));
    ck_assert(near(*parse_retry_after("5\r\n", 0), 5));
    ck_assert(!parse_retry_after("", 0));
    ck_assert(!parse_retry_after("-1", 0));
    ck_assert(!parse_retry_after("1.5", 0));
    ck_assert(!parse_retry_after("5s", 0));
    ck_assert(!parse_retry_after("abc", 0));
    ck_assert(!parse_retry_after("99999999999999999999", 0));
}
END_TEST

START_TEST(retry_after_dates)
{
    ck_assert_int_eq(*parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), rfc_example);
    ck_assert_int_eq(*parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), rfc_example);
    ck_assert_int_eq(*parse_http_date("Sun Nov  6 08:49:37 1994"), rfc_example);
    ck_assert_int_eq(*parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    ck_assert_int_eq(*parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800);
    ck_assert_int_eq(*parse_http_date("Tue, 19 Jan 2038 03:14:08 GMT"), 2147483648LL);
    ck_assert_int_eq(*parse_http_date("Friday, 01-Jan-21 00:00:00 GMT"), 1609459200);

    ck_assert(!parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT"));
    ck_assert(!parse_http_date("Sun, 31 Nov 1994 08:49:37 GMT"));
    ck_assert(!parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT"));
    ck_assert(!parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
    ck_assert(!parse_http_date("Sun, 6 Nov 1994 08:49:37 GMT"));
    ck_assert(!parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT junk"));
    ck_assert(!parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
    ck_assert(!parse_http_date("06 Nov 1994 08:49:37 GMT"));

    /* a date is the time left from "now"; past dates mean "now" */
    ck_assert(near(*parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", rfc_example), 60));
    ck_assert(near(*parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example + 100), 0));
    ck_assert(near(*parse_retry_after("Sun Nov  6 09:49:37 1994", rfc_example), 3600));
    ck_assert(!parse_retry_after("Sun, 06 Nov 1994", rfc_example));
}
END_TEST

START_TEST(retryable_statuses)
{
    for (long s : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) {
        ck_assert_msg(status_retryable(s, false), "%ld", s);
    }
    for (long s : {200L, 201L, 301L, 400L, 401L, 403L, 404L, 405L, 409L, 411L, 412L,
                   413L, 414L, 501L, 505L, 507L}) {
        ck_assert_msg(!status_retryable(s, false), "%ld", s);
    }
    /* disk full: only when the server says when to come back */
    ck_assert(status_retryable(507, true));
    ck_assert(!status_retryable(413, true));
}
END_TEST

Suite *client_retry_suite(void);

Suite *client_retry_suite(void)
{
    Suite *s = suite_create("client_retry");
    TCase *tc = tcase_create("retry");
    tcase_add_test(tc, schedule_min_jitter);
    tcase_add_test(tc, schedule_max_jitter);
    tcase_add_test(tc, schedule_sequence);
    tcase_add_test(tc, schedule_policy_and_edges);
    tcase_add_test(tc, schedule_retry_after);
    tcase_add_test(tc, schedule_default_rng);
    tcase_add_test(tc, retry_after_seconds);
    tcase_add_test(tc, retry_after_dates);
    tcase_add_test(tc, retryable_statuses);
    suite_add_tcase(s, tc);
    return s;
}
