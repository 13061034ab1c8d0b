/* The ring's bookkeeping: filling, the two lanes, freeing in order; the
 * buffers' sizes following the upload's speed; a worker's spare buffers. */
#include <cstring>
#include <stdexcept>

#include "engine/buffer_pool.hpp"
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

/* fills the buffer being filled and hands it on */
static void fill(Ring &r) { r.push(); }

/* both lanes are done with every data buffer; they are freed */
static void drain(Ring &r)
{
    std::size_t i;

    r.hashed_more(r.count() - r.hashed());
    r.written_more(r.count() - r.written());
    while (r.pop(i)) {
    }
}

START_TEST(test_sizes_start_small)
{
    Ring r;

    r.reset(4, 1024 * 1024);
    ck_assert_uint_eq(r.buffer_size(), 16384);

    /* a configured size below the first one is the only size */
    Ring s;
    s.reset(4, 4096);
    ck_assert_uint_eq(s.buffer_size(), 4096);
    for (int k = 0; k < 4; k++) {
        fill(s);
    }
    ck_assert_uint_eq(s.buffer_size(), 4096);
    drain(s);
    s.waiting();
    ck_assert_uint_eq(s.buffer_size(), 4096);
}
END_TEST

START_TEST(test_sizes_grow_when_full)
{
    Ring r;
    std::size_t i;

    r.reset(4, 1024 * 1024);

    /* three full buffers that the lanes lag behind: no growth yet */
    fill(r);
    fill(r);
    fill(r);
    ck_assert_uint_eq(r.buffer_size(), 16384);

    /* the ring fills: the body comes faster than the lanes drain it */
    fill(r);
    ck_assert(r.full());
    ck_assert_uint_eq(r.buffer_size(), 32768);

    /* again and again, up to the configured size and no further */
    std::size_t expect = 32768;
    for (int round = 0; round < 8; round++) {
        r.hashed_more(1);
        r.written_more(1);
        ck_assert(r.pop(i));
        fill(r);
        expect = expect * 2 > 1024 * 1024 ? 1024 * 1024 : expect * 2;
        ck_assert_uint_eq(r.buffer_size(), expect);
    }
    ck_assert_uint_eq(r.buffer_size(), 1024 * 1024);

    /* a configured size that is no power of two is reached exactly */
    Ring s;
    s.reset(1, 100000);
    fill(s);
    ck_assert_uint_eq(s.buffer_size(), 32768);
    drain(s);
    fill(s);
    drain(s);
    fill(s);
    ck_assert_uint_eq(s.buffer_size(), 100000);
    drain(s);
    fill(s);
    ck_assert_uint_eq(s.buffer_size(), 100000);
}
END_TEST

START_TEST(test_sizes_shrink_when_waiting)
{
    Ring r;

    r.reset(4, 1024 * 1024);
    for (int k = 0; k < 4; k++) {
        fill(r);
    }
    drain(r);
    for (int k = 0; k < 4; k++) {
        fill(r);
    }
    ck_assert_uint_eq(r.buffer_size(), 65536);

    /* waiting with buffers still to write: nothing changes */
    r.waiting();
    ck_assert_uint_eq(r.buffer_size(), 65536);

    /* the first wait with an empty ring after a full one keeps the size
     * (a fast upload that only caught its breath) */
    drain(r);
    r.waiting();
    ck_assert_uint_eq(r.buffer_size(), 65536);

    /* a wait after a burst that did not fill the ring halves it */
    fill(r);
    drain(r);
    r.waiting();
    ck_assert_uint_eq(r.buffer_size(), 32768);
    r.waiting();
    ck_assert_uint_eq(r.buffer_size(), 16384);

    /* down to the first size, no further */
    r.waiting();
    ck_assert_uint_eq(r.buffer_size(), 16384);
}
END_TEST

START_TEST(test_sizes_slow_bursts)
{
    Ring r;

    /* a client that sends 64 KiB bursts with pauses: a burst of four
     * 16 KiB buffers may fill the ring once the lanes lag, but the size
     * never passes 32 KiB */
    r.reset(4, 1024 * 1024);
    for (int burst = 0; burst < 20; burst++) {
        std::size_t sent = 0;

        while (sent < 65536 && !r.full()) {
            sent += r.buffer_size();
            fill(r);
        }
        drain(r);
        while (sent < 65536) {
            sent += r.buffer_size();
            fill(r);
        }
        drain(r);
        r.waiting();
        ck_assert_uint_le(r.buffer_size(), 32768);
    }
}
END_TEST

START_TEST(test_sizes_idle_pushes)
{
    Ring r;

    /* partly filled buffers handed on while the client pauses, which the
     * lanes lag behind (a pool busy with many slow uploads): the ring fills,
     * which stops the reading, but the buffers do not grow */
    r.reset(4, 1024 * 1024);
    for (int k = 0; k < 4; k++) {
        r.push_idle();
    }
    ck_assert(r.full());
    ck_assert_uint_eq(r.buffer_size(), 16384);

    bool thrown = false;
    try {
        r.push_idle();
    } catch (const std::logic_error &) {
        thrown = true;
    }
    ck_assert(thrown);

    /* mixed with whole buffers, only a whole one that fills the ring counts */
    drain(r);
    r.push_idle();
    fill(r);
    fill(r);
    r.push_idle();
    ck_assert(r.full());
    ck_assert_uint_eq(r.buffer_size(), 16384);
    drain(r);
    r.push_idle();
    fill(r);
    fill(r);
    fill(r);
    ck_assert_uint_eq(r.buffer_size(), 32768);
}
END_TEST

START_TEST(test_pool)
{
    BufferPool pool(2);

    void *a = pool.take(16384);
    void *b = pool.take(16384);
    void *c = pool.take(16384);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    std::memset(a, 1, 16384);
    ck_assert_uint_eq(pool.held_bytes(), 3 * 16384);
    ck_assert_uint_eq(pool.spare_bytes(), 0);

    /* two are kept of a size, the third is freed */
    pool.give(a, 16384);
    pool.give(b, 16384);
    pool.give(c, 16384);
    ck_assert_uint_eq(pool.held_bytes(), 0);
    ck_assert_uint_eq(pool.spare_bytes(), 2 * 16384);

    /* a spare of the size asked for comes back, the last given first */
    void *d = pool.take(16384);
    ck_assert_ptr_eq(d, b);
    ck_assert_uint_eq(pool.spare_bytes(), 16384);

    /* another size is its own */
    void *e = pool.take(32768);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_ne(e, a);
    ck_assert_uint_eq(pool.spare_bytes(), 16384);
    ck_assert_uint_eq(pool.held_bytes(), 16384 + 32768);

    pool.give(e, 32768);
    pool.give(d, 16384);
    pool.give(nullptr, 16384);
    ck_assert_uint_eq(pool.spare_bytes(), 2 * 16384 + 32768);
    ck_assert_uint_eq(pool.held_bytes(), 0);

    /* none kept at all */
    BufferPool none(0);
    void *f = none.take(4096);
    none.give(f, 4096);
    ck_assert_uint_eq(none.spare_bytes(), 0);
}
END_TEST

Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_fill_and_free);
    tcase_add_test(tc, test_lanes);
    tcase_add_test(tc, test_sizes_start_small);
    tcase_add_test(tc, test_sizes_grow_when_full);
    tcase_add_test(tc, test_sizes_shrink_when_waiting);
    tcase_add_test(tc, test_sizes_slow_bursts);
    tcase_add_test(tc, test_sizes_idle_pushes);
    tcase_add_test(tc, test_pool);
    suite_add_tcase(s, tc);

    return s;
}
