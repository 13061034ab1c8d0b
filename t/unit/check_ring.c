/* The ring's bookkeeping: filling, the two lanes, freeing in order. */
#include <stdexcept>

#include "engine/ring.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

START_TEST(test_fill_and_free)
{
    Ring r;
    std::size_t i;

    r.reset(3);
    ck_assert(r.empty());
    ck_assert_int_eq(r.filling(), 0);

    r.push();
    r.push();
    ck_assert_int_eq(r.count(), 2);
    ck_assert_int_eq(r.filling(), 2);

    /* a buffer is free only once both lanes are done with it */
    ck_assert(!r.pop(i));
    r.hashed_more(2);
    ck_assert(!r.pop(i));
    r.written_more(1);
    ck_assert(r.pop(i));
    ck_assert_int_eq(i, 0);
    ck_assert(!r.pop(i));
    ck_assert_int_eq(r.hashed(), 1);
    ck_assert_int_eq(r.written(), 0);

    /* the ring wraps around */
    r.push();
    r.push();
    ck_assert(r.full());
    ck_assert_int_eq(r.at(0), 1);
    ck_assert_int_eq(r.at(2), 0);

    bool thrown = false;
    try {
        r.push();
    } catch (const std::logic_error &) {
        thrown = true;
    }
    ck_assert(thrown);
}
END_TEST

START_TEST(test_lanes)
{
    Ring r;
    std::size_t i;

    r.reset(4);
    r.push();
    r.push();

    /* a request that is not hashed: every data buffer counts as hashed */
    r.hash_none();
    ck_assert_int_eq(r.hashed(), 2);

    /* one lane that hashes and writes */
    Ring s;
    s.reset(4);
    s.push();
    s.written_more(1);
    s.hashed_with_writes();
    ck_assert(s.pop(i));
    ck_assert(s.empty());

    /* a lane never gets past the data */
    bool thrown = false;
    try {
        r.written_more(3);
    } catch (const std::logic_error &) {
        thrown = true;
    }
    ck_assert(thrown);
}
END_TEST

Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_fill_and_free);
    tcase_add_test(tc, test_lanes);
    suite_add_tcase(s, tc);

    return s;
}
