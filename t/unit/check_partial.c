/* Partials of resumable uploads on a real filesystem. */
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/digest.hpp"
#include "engine/partial.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

static std::string root;

static void setup(void)
{
    root = ck_make_temp_dir("check_partial");
}

static void teardown(void)
{
    ck_remove_tree(root);
}

static std::string body(std::size_t n)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i++) {
        s[i] = (char) ((i * 131 + i / 7) & 0xff);
    }
    return s;
}

static ResumableRequest range(const char *key, std::uint64_t a, std::uint64_t b,
                              std::optional<std::uint64_t> total)
{
    ResumableRequest rq;
    rq.key = key;
    rq.start = a;
    rq.end = b;
    rq.total = total;
    return rq;
}

/* one request: begin, write [a, b) of data, finish */
static PartialOutcome put(const std::string &data, const char *key, std::uint64_t a,
                          std::uint64_t b, std::optional<std::uint64_t> total,
                          Partial **keep = nullptr)
{
    Partial *p = new Partial(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(),
                             Preconditions());
    FsError e;
    PartialOutcome o = p->begin(range(key, a, b, total), 100, e);
    if (o == PartialOutcome::ok) {
        o = p->write(data.data() + a, b - a, 100, e);
    }
    if (o == PartialOutcome::ok) {
        o = p->finish(true, false, 100, e);
    }
    if (keep) {
        *keep = p;
    } else {
        delete p;
    }
    return o;
}

START_TEST(test_sequential_in_two_requests)
{
    std::string data = body(3000000);

    ck_assert(put(data, "k1", 0, 1000000, data.size()) == PartialOutcome::incomplete);
    ck_assert_int_eq(access((root + "/dir/f.bin").c_str(), F_OK), -1);

    Partial *p = nullptr;
    ck_assert(put(data, "k1", 1000000, 3000000, data.size(), &p) == PartialOutcome::created);
    ck_assert_sstr_eq(p->sha256(), sha256_hex(data.data(), data.size()));
    ck_assert_uint_eq(p->size(), data.size());
    delete p;

    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_out_of_order)
{
    std::string data = body(4 * 1000003);
    std::uint64_t c = 1000003;
    int order[] = { 3, 1, 0, 2 };

    Partial *p = nullptr;
    for (int k = 0; k < 4; k++) {
        int i = order[k];
        PartialOutcome o = put(data, "k", i * c, (i + 1) * c, data.size(), k == 3 ? &p : nullptr);
        ck_assert(o == (k == 3 ? PartialOutcome::created : PartialOutcome::incomplete));
    }

    ck_assert_sstr_eq(p->sha256(), sha256_hex(data.data(), data.size()));
    delete p;
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_parallel_threads)
{
    std::string data = body(8 * 262144 + 5);
    std::vector<std::thread> ts;
    std::vector<PartialOutcome> got(9);

    /* a first request declares the length */
    ck_assert(put(data, "k", 0, 0, data.size()) == PartialOutcome::incomplete);

    for (int i = 0; i < 9; i++) {
        ts.emplace_back([&, i] {
            std::uint64_t a = i * 262144ULL, b = std::min<std::uint64_t>(a + 262144, data.size());
            got[i] = put(data, "k", a, b, data.size());
        });
    }
    for (auto &t : ts) {
        t.join();
    }

    int created = 0;
    for (auto o : got) {
        ck_assert(o == PartialOutcome::created || o == PartialOutcome::incomplete);
        created += o == PartialOutcome::created;
    }
    ck_assert_int_eq(created, 1);
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_key_and_length_checks)
{
    std::string data = body(1000);
    FsError e;

    ck_assert(put(data, "owner", 0, 500, 1000) == PartialOutcome::incomplete);
    ck_assert(put(data, "intruder", 500, 1000, 1000) == PartialOutcome::key_mismatch);
    ck_assert(put(data, "owner", 500, 1000, 999) == PartialOutcome::length_mismatch);
    ck_assert(put(data, "owner", 900, 1001, std::nullopt) == PartialOutcome::beyond_length);

    /* the partial is intact and belongs to its owner */
    Partial q(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    PartialInfo info;
    ck_assert(q.query("", info, e) == PartialOutcome::ok);
    ck_assert(info.found);
    ck_assert_sstr_eq(info.state.key, "owner");
    ck_assert_uint_eq(info.state.received.contiguous(), 500);
    ck_assert(q.query("intruder", info, e) == PartialOutcome::key_mismatch);

    ck_assert(put(data, "owner", 500, 1000, 1000) == PartialOutcome::created);
}
END_TEST

START_TEST(test_cancel_and_query)
{
    std::string data = body(1000);
    FsError e;
    PartialInfo info;

    Partial q(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    ck_assert(q.query("k", info, e) == PartialOutcome::not_found);
    ck_assert(q.cancel("k", e) == PartialOutcome::not_found);

    ck_assert(put(data, "k", 0, 10, std::nullopt) == PartialOutcome::incomplete);

    Partial c(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    ck_assert(c.cancel("other", e) == PartialOutcome::key_mismatch);
    ck_assert(c.cancel("k", e) == PartialOutcome::ok);

    Partial q2(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    ck_assert(q2.query("k", info, e) == PartialOutcome::not_found);
    ck_assert(!info.found);
}
END_TEST

START_TEST(test_unknown_length_completes)
{
    std::string data = body(5000);
    Partial p(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    FsError e;
    ResumableRequest rq;
    rq.key = "k";
    rq.completes = true;

    ck_assert(p.begin(rq, 1, e) == PartialOutcome::ok);
    ck_assert(p.write(data.data(), 2000, 1, e) == PartialOutcome::ok);
    /* broken off: what was written is kept */
    ck_assert(p.finish(false, false, 1, e) == PartialOutcome::incomplete);

    Partial p2(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    rq.start = 2000;
    ck_assert(p2.begin(rq, 2, e) == PartialOutcome::ok);
    ck_assert(p2.write(data.data() + 2000, 3000, 2, e) == PartialOutcome::ok);
    ck_assert(p2.finish(true, true, 2, e) == PartialOutcome::created);
    ck_assert_sstr_eq(p2.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_corrupt_state_is_refused_and_cancellable)
{
    std::string data = body(100);
    FsError e;

    ck_assert(put(data, "k", 0, 10, 100) == PartialOutcome::incomplete);

    /* damage the state file */
    std::string dir = root + "/.bigupload";
    std::string cmd = "for f in '" + dir + "'/*.state; do printf 'x' >> \"$f\"; done";
    ck_assert_int_eq(system(cmd.c_str()), 0);

    ck_assert(put(data, "k", 10, 100, 100) == PartialOutcome::corrupt);

    Partial c(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    ck_assert(c.cancel("", e) == PartialOutcome::ok);
    ck_assert(put(data, "k", 0, 100, 100) == PartialOutcome::created);
}
END_TEST

START_TEST(test_sweep)
{
    std::string data = body(100);
    FsError e;

    ck_assert(put(data, "k", 0, 10, 100) == PartialOutcome::incomplete);   /* updated = 100 */

    ck_assert_int_eq(Partial::sweep(root, 150, 100, e), 0);   /* young */
    ck_assert_int_eq(Partial::sweep(root, 250, 100, e), 1);   /* stale */

    Partial q(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    PartialInfo info;
    ck_assert(q.query("k", info, e) == PartialOutcome::not_found);
    ck_assert_int_eq(Partial::sweep(root + "/missing", 250, 100, e), 0);
}
END_TEST

START_TEST(test_list)
{
    std::string data = body(100);
    std::vector<PartialListing> out;
    FsError e;

    /* no partial directory yet: an empty listing, not an error */
    ck_assert(Partial::list(root, 3600, out, e));
    ck_assert_int_eq(out.size(), 0);

    ck_assert(put(data, "k", 0, 10, 100) == PartialOutcome::incomplete);   /* updated = 100 */
    ck_assert(put(data, "k", 50, 60, 100) == PartialOutcome::incomplete);

    ck_assert(Partial::list(root, 3600, out, e));
    ck_assert_int_eq(out.size(), 1);
    ck_assert_sstr_eq(out[0].path, "/dir/f.bin");
    ck_assert_int_eq(out[0].offset, 10);
    ck_assert_int_eq(out[0].received, 20);
    ck_assert(out[0].length && *out[0].length == 100);
    ck_assert_int_eq(out[0].expires, out[0].updated + 3600);

    /* once complete, nothing is listed */
    ck_assert(put(data, "k", 10, 100, 100) == PartialOutcome::created);
    out.clear();
    ck_assert(Partial::list(root, 3600, out, e));
    ck_assert_int_eq(out.size(), 0);
}
END_TEST

START_TEST(test_target_exists)
{
    std::string data = body(100);

    mkdir((root + "/dir").c_str(), 0700);
    { std::ofstream f(root + "/dir/f.bin"); f << "old"; }

    ck_assert(put(data, "k", 0, 100, 100) == PartialOutcome::exists);
    ck_assert(ck_slurp(root + "/dir/f.bin") == "old");
}
END_TEST

/* the contiguous bytes the state file claims */
static std::uint64_t claimed(const char *key)
{
    Partial q(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    PartialInfo info;
    FsError e;

    if (q.query(key, info, e) != PartialOutcome::ok) {
        return (std::uint64_t) -1;
    }
    return info.state.received.contiguous();
}

START_TEST(test_hash_and_write_alongside)
{
    /* three checkpoints' worth, in pieces of two sizes, on two threads */
    std::string data = body(3 * Partial::checkpoint + 12345);
    Partial p(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    FsError e;
    PartialOutcome o = PartialOutcome::ok;

    ck_assert(p.begin(range("k", 0, data.size(), data.size()), 1, e) == PartialOutcome::ok);
    ck_assert(p.hashing());

    std::thread hasher([&] {
        for (std::size_t off = 0; off < data.size(); off += 65536) {
            p.hash(data.data() + off, std::min<std::size_t>(65536, data.size() - off));
        }
    });
    for (std::size_t off = 0; off < data.size() && o == PartialOutcome::ok; off += 1000000) {
        o = p.write_only(data.data() + off, std::min<std::size_t>(1000000, data.size() - off),
                         1, e);
    }
    hasher.join();

    ck_assert(o == PartialOutcome::ok);
    ck_assert(p.finish(true, false, 1, e) == PartialOutcome::created);
    ck_assert_sstr_eq(p.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_state_claims_only_written_and_hashed)
{
    std::uint64_t cp = Partial::checkpoint;
    std::string data = body(2 * cp + 100);
    FsError e;

    {
        Partial p(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
        ck_assert(p.begin(range("k", 0, data.size(), data.size()), 1, e) == PartialOutcome::ok);

        /* written, not hashed yet: no checkpoint claims it */
        ck_assert(p.write_only(data.data(), cp + 10, 1, e) == PartialOutcome::ok);
        ck_assert_uint_eq(claimed("k"), 0);

        /* hashed, not written yet: neither */
        p.hash(data.data(), cp + 10);
        p.hash(data.data() + cp + 10, cp);
        ck_assert_uint_eq(claimed("k"), 0);

        /* the next write finds both far enough: the checkpoint claims what
         * is written, not what is only hashed */
        ck_assert(p.write_only(data.data() + cp + 10, 50, 1, e) == PartialOutcome::ok);
        ck_assert_uint_eq(claimed("k"), cp + 60);

        /* broken off with the hash behind the writes: only the bytes that
         * are both are kept */
        ck_assert(p.write_only(data.data() + cp + 60, cp, 1, e) == PartialOutcome::ok);
        ck_assert(p.finish(false, false, 1, e) == PartialOutcome::incomplete);
        ck_assert_uint_eq(claimed("k"), 2 * cp + 10);
    }

    /* the rest completes it, hashed from the file */
    Partial *p = nullptr;
    ck_assert(put(data, "k", 2 * cp + 10, data.size(), data.size(), &p)
              == PartialOutcome::created);
    ck_assert_sstr_eq(p->sha256(), sha256_hex(data.data(), data.size()));
    delete p;
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_not_hashing_claims_what_is_written)
{
    std::uint64_t cp = Partial::checkpoint;
    std::string data = body(cp + 1000);
    FsError e;

    ck_assert(put(data, "k", 0, 1000, data.size()) == PartialOutcome::incomplete);

    Partial p(root, {"dir", "f.bin"}, "/dir/f.bin", StoreOptions(), Preconditions());
    ck_assert(p.begin(range("k", 1000, data.size(), data.size()), 1, e) == PartialOutcome::ok);
    ck_assert(!p.hashing());

    /* a request that does not begin at 0 hashes nothing: written is held */
    ck_assert(p.write_only(data.data() + 1000, cp, 1, e) == PartialOutcome::ok);
    ck_assert_uint_eq(claimed("k"), cp + 1000);
    ck_assert(p.finish(true, false, 1, e) == PartialOutcome::created);
    ck_assert_sstr_eq(p.sha256(), sha256_hex(data.data(), data.size()));
}
END_TEST

Suite *partial_suite(void)
{
    Suite *s = suite_create("partial");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sequential_in_two_requests);
    tcase_add_test(tc, test_out_of_order);
    tcase_add_test(tc, test_parallel_threads);
    tcase_add_test(tc, test_key_and_length_checks);
    tcase_add_test(tc, test_cancel_and_query);
    tcase_add_test(tc, test_unknown_length_completes);
    tcase_add_test(tc, test_corrupt_state_is_refused_and_cancellable);
    tcase_add_test(tc, test_sweep);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_target_exists);
    tcase_add_test(tc, test_hash_and_write_alongside);
    tcase_add_test(tc, test_state_claims_only_written_and_hashed);
    tcase_add_test(tc, test_not_hashing_claims_what_is_written);
    suite_add_tcase(s, tc);

    return s;
}
