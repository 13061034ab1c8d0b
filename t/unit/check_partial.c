/* Partials of resumable uploads on a real filesystem. */
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/digest.hpp"
#include "engine/resumable.hpp"
#include "proto/native.hpp"

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

static UploadRequest range(std::uint64_t a, std::uint64_t b,
                           std::optional<std::uint64_t> total)
{
    UploadRequest rq;
    rq.start = a;
    rq.end = b;
    rq.total = total;
    return rq;
}

/* the target of every upload here, and its partial in the store */
static Target target(std::optional<DigestAlg> alg = DigestAlg::sha256)
{
    Target t;
    t.root = root;
    t.remote_path = "/dir/f.bin";
    t.segments = {"dir", "f.bin"};
    t.digest = alg;
    return t;
}

static PartialStore partials(void)
{
    return PartialStore(root, StoreOptions());
}

static const std::string &id(void)
{
    static const std::string i = native_partial_id("/dir/f.bin");
    return i;
}

/* a request of key "key" for [a, b) */
static ResumableUpload *request(const char *key, const UploadRequest &rq)
{
    return new ResumableUpload(partials(), id(), key, target(), rq);
}

/* one request: open, write [a, b) of data, finish */
static Outcome put(const std::string &data, const char *key, std::uint64_t a,
                   std::uint64_t b, std::optional<std::uint64_t> total,
                   ResumableUpload **keep = nullptr)
{
    ResumableUpload *p = request(key, range(a, b, total));
    FsError e;
    Outcome o = p->open(100, e);
    if (o == Outcome::ok) {
        o = p->write(data.data() + a, b - a, 100, e);
    }
    if (o == Outcome::ok) {
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

    ck_assert(put(data, "k1", 0, 1000000, data.size()) == Outcome::incomplete);
    ck_assert_int_eq(access((root + "/dir/f.bin").c_str(), F_OK), -1);

    ResumableUpload *p = nullptr;
    ck_assert(put(data, "k1", 1000000, 3000000, data.size(), &p) == Outcome::created);
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

    ResumableUpload *p = nullptr;
    for (int k = 0; k < 4; k++) {
        int i = order[k];
        Outcome o = put(data, "k", i * c, (i + 1) * c, data.size(), k == 3 ? &p : nullptr);
        ck_assert(o == (k == 3 ? Outcome::created : Outcome::incomplete));
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
    std::vector<Outcome> got(9);

    /* a first request declares the length */
    ck_assert(put(data, "k", 0, 0, data.size()) == Outcome::incomplete);

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
        ck_assert(o == Outcome::created || o == Outcome::incomplete);
        created += o == Outcome::created;
    }
    ck_assert_int_eq(created, 1);
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_key_and_length_checks)
{
    std::string data = body(1000);
    FsError e;

    ck_assert(put(data, "owner", 0, 500, 1000) == Outcome::incomplete);
    ck_assert(put(data, "intruder", 500, 1000, 1000) == Outcome::key_mismatch);
    ck_assert(put(data, "owner", 500, 1000, 999) == Outcome::length_mismatch);
    ck_assert(put(data, "owner", 900, 1001, std::nullopt) == Outcome::beyond_length);

    /* the partial is intact and belongs to its owner */
    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, id(), "", target(), info, e) == Outcome::ok);
    ck_assert(info.found);
    ck_assert_sstr_eq(info.state.key, "owner");
    ck_assert_uint_eq(info.state.received.contiguous(), 500);
    ck_assert(query_partial(q, id(), "intruder", target(), info, e) == Outcome::key_mismatch);

    ck_assert(put(data, "owner", 500, 1000, 1000) == Outcome::created);
}
END_TEST

START_TEST(test_cancel_and_query)
{
    std::string data = body(1000);
    FsError e;
    PartialInfo info;

    PartialStore q = partials();
    ck_assert(query_partial(q, id(), "k", target(), info, e) == Outcome::not_found);
    ck_assert(q.cancel(id(), "k", e) == Outcome::not_found);

    ck_assert(put(data, "k", 0, 10, std::nullopt) == Outcome::incomplete);

    PartialStore c = partials();
    ck_assert(c.cancel(id(), "other", e) == Outcome::key_mismatch);
    ck_assert(c.cancel(id(), "k", e) == Outcome::ok);

    PartialStore q2 = partials();
    ck_assert(query_partial(q2, id(), "k", target(), info, e) == Outcome::not_found);
    ck_assert(!info.found);
}
END_TEST

START_TEST(test_unknown_length_completes)
{
    std::string data = body(5000);
    FsError e;
    UploadRequest rq;
    rq.completes = true;
    ResumableUpload p(partials(), id(), "k", target(), rq);

    ck_assert(p.open(1, e) == Outcome::ok);
    ck_assert(p.write(data.data(), 2000, 1, e) == Outcome::ok);
    /* broken off: what was written is kept */
    ck_assert(p.finish(false, false, 1, e) == Outcome::incomplete);

    rq.start = 2000;
    ResumableUpload p2(partials(), id(), "k", target(), rq);
    ck_assert(p2.open(2, e) == Outcome::ok);
    ck_assert(p2.write(data.data() + 2000, 3000, 2, e) == Outcome::ok);
    ck_assert(p2.finish(true, true, 2, e) == Outcome::created);
    ck_assert_sstr_eq(p2.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_corrupt_state_is_refused_and_cancellable)
{
    std::string data = body(100);
    FsError e;

    ck_assert(put(data, "k", 0, 10, 100) == Outcome::incomplete);

    /* damage the state file */
    std::string dir = root + "/.bigupload";
    std::string cmd = "for f in '" + dir + "'/*.state; do printf 'x' >> \"$f\"; done";
    ck_assert_int_eq(system(cmd.c_str()), 0);

    ck_assert(put(data, "k", 10, 100, 100) == Outcome::corrupt);

    PartialStore c = partials();
    ck_assert(c.cancel(id(), "", e) == Outcome::ok);
    ck_assert(put(data, "k", 0, 100, 100) == Outcome::created);
}
END_TEST

START_TEST(test_sweep)
{
    std::string data = body(100);
    FsError e;

    ck_assert(put(data, "k", 0, 10, 100) == Outcome::incomplete);   /* updated = 100 */

    ck_assert_int_eq(partials().sweep(150, 100, e), 0);   /* young */
    ck_assert_int_eq(partials().sweep(250, 100, e), 1);   /* stale */

    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, id(), "k", target(), info, e) == Outcome::not_found);
    ck_assert_int_eq(PartialStore(root + "/missing", StoreOptions()).sweep(250, 100, e), 0);
}
END_TEST

START_TEST(test_list)
{
    std::string data = body(100);
    std::vector<PartialListing> out;
    FsError e;

    /* no partial directory yet: an empty listing, not an error */
    ck_assert(partials().list(3600, out, e));
    ck_assert_int_eq(out.size(), 0);

    ck_assert(put(data, "k", 0, 10, 100) == Outcome::incomplete);   /* updated = 100 */
    ck_assert(put(data, "k", 50, 60, 100) == Outcome::incomplete);

    ck_assert(partials().list(3600, out, e));
    ck_assert_int_eq(out.size(), 1);
    ck_assert_sstr_eq(out[0].path, "/dir/f.bin");
    ck_assert_int_eq(out[0].offset, 10);
    ck_assert_int_eq(out[0].received, 20);
    ck_assert(out[0].length && *out[0].length == 100);
    ck_assert_int_eq(out[0].expires, out[0].updated + 3600);

    /* once complete, nothing is listed */
    ck_assert(put(data, "k", 10, 100, 100) == Outcome::created);
    out.clear();
    ck_assert(partials().list(3600, out, e));
    ck_assert_int_eq(out.size(), 0);
}
END_TEST

START_TEST(test_target_exists)
{
    std::string data = body(100);

    mkdir((root + "/dir").c_str(), 0700);
    { std::ofstream f(root + "/dir/f.bin"); f << "old"; }

    ck_assert(put(data, "k", 0, 100, 100) == Outcome::exists);
    ck_assert(ck_slurp(root + "/dir/f.bin") == "old");
}
END_TEST

/* the contiguous bytes the state file claims */
static std::uint64_t claimed(const char *key)
{
    PartialStore q = partials();
    PartialInfo info;
    FsError e;

    if (query_partial(q, id(), key, target(), info, e) != Outcome::ok) {
        return (std::uint64_t) -1;
    }
    return info.state.received.contiguous();
}

START_TEST(test_hash_and_write_alongside)
{
    /* three checkpoints' worth, in pieces of two sizes, on two threads */
    std::string data = body(3 * ResumableUpload::checkpoint + 12345);
    ResumableUpload p(partials(), id(), "k", target(), range(0, data.size(), data.size()));
    FsError e;
    Outcome o = Outcome::ok;

    ck_assert(p.open(1, e) == Outcome::ok);
    ck_assert(p.hashing());

    std::thread hasher([&] {
        for (std::size_t off = 0; off < data.size(); off += 65536) {
            p.hash(data.data() + off, std::min<std::size_t>(65536, data.size() - off));
        }
    });
    for (std::size_t off = 0; off < data.size() && o == Outcome::ok; off += 1000000) {
        o = p.write_at(data.data() + off, std::min<std::size_t>(1000000, data.size() - off),
                       off, 1, e);
    }
    hasher.join();

    ck_assert(o == Outcome::ok);
    ck_assert(p.finish(true, false, 1, e) == Outcome::created);
    ck_assert_sstr_eq(p.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_state_claims_only_written_and_hashed)
{
    std::uint64_t cp = ResumableUpload::checkpoint;
    std::string data = body(2 * cp + 100);
    FsError e;

    {
        ResumableUpload p(partials(), id(), "k", target(), range(0, data.size(), data.size()));
        ck_assert(p.open(1, e) == Outcome::ok);

        /* written, not hashed yet: no checkpoint claims it */
        ck_assert(p.write_at(data.data(), cp + 10, 0, 1, e) == Outcome::ok);
        ck_assert_uint_eq(claimed("k"), 0);

        /* hashed, not written yet: neither */
        p.hash(data.data(), cp + 10);
        p.hash(data.data() + cp + 10, cp);
        ck_assert_uint_eq(claimed("k"), 0);

        /* the next write finds both far enough: the checkpoint claims what
         * is written, not what is only hashed */
        ck_assert(p.write_at(data.data() + cp + 10, 50, cp + 10, 1, e) == Outcome::ok);
        ck_assert_uint_eq(claimed("k"), cp + 60);

        /* broken off with the hash behind the writes: only the bytes that
         * are both are kept */
        ck_assert(p.write_at(data.data() + cp + 60, cp, cp + 60, 1, e) == Outcome::ok);
        ck_assert(p.finish(false, false, 1, e) == Outcome::incomplete);
        ck_assert_uint_eq(claimed("k"), 2 * cp + 10);
    }

    /* the rest completes it, hashed from the file */
    ResumableUpload *p = nullptr;
    ck_assert(put(data, "k", 2 * cp + 10, data.size(), data.size(), &p)
              == Outcome::created);
    ck_assert_sstr_eq(p->sha256(), sha256_hex(data.data(), data.size()));
    delete p;
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

START_TEST(test_not_hashing_claims_what_is_written)
{
    std::uint64_t cp = ResumableUpload::checkpoint;
    std::string data = body(cp + 1000);
    FsError e;

    /* the first range's digest is of another algorithm (bigupload_digest
     * changed): the next request cannot continue it */
    FsError e0;
    ResumableUpload first(partials(), id(), "k", target(DigestAlg::sha512),
                          range(0, 1000, data.size()));
    ck_assert(first.open(1, e0) == Outcome::ok);
    ck_assert(first.write(data.data(), 1000, 1, e0) == Outcome::ok);
    ck_assert(first.finish(true, false, 1, e0) == Outcome::incomplete);

    ResumableUpload p(partials(), id(), "k", target(), range(1000, data.size(), data.size()));
    ck_assert(p.open(1, e) == Outcome::ok);
    ck_assert(!p.hashing());

    /* a request that does not continue the hashed prefix hashes nothing:
     * written is held */
    ck_assert(p.write_at(data.data() + 1000, cp, 1000, 1, e) == Outcome::ok);
    ck_assert_uint_eq(claimed("k"), cp + 1000);
    ck_assert(p.finish(true, false, 1, e) == Outcome::created);
    ck_assert_sstr_eq(p.sha256(), sha256_hex(data.data(), data.size()));
}
END_TEST

/* a partial addressed by an id the store made up, its target in its state */
START_TEST(test_server_named)
{
    std::string data = body(3000);
    std::string sid = PartialStore::new_id();
    FsError e;

    ck_assert_int_eq(sid.size(), 32);
    ck_assert(PartialStore::valid_id(sid));
    ck_assert(sid != PartialStore::new_id());
    ck_assert(!PartialStore::valid_id("../x"));
    ck_assert(!PartialStore::valid_id(""));

    /* an append to an id that does not exist finds nothing */
    UploadRequest rq;
    rq.start = 0;
    ResumableUpload missing(partials(), sid, "", Target{root, "", {}, {}, {}}, rq, Bind::join);
    ck_assert(missing.open(1, e) == Outcome::not_found);

    /* created with its target and length, no key: the id is its secret */
    rq.total = 3000;
    rq.end = 1000;
    ResumableUpload c(partials(), sid, "", target(), rq, Bind::create);
    ck_assert(c.open(1, e) == Outcome::ok);
    ck_assert(c.write(data.data(), 1000, 1, e) == Outcome::ok);
    ck_assert(c.finish(true, false, 1, e) == Outcome::incomplete);

    /* the same id cannot be created twice */
    ResumableUpload again(partials(), sid, "", target(), rq, Bind::create);
    ck_assert(again.open(1, e) == Outcome::exists);

    /* appended to by id alone: the target comes from the state */
    UploadRequest rest;
    rest.start = 1000;
    rest.end = 3000;
    ResumableUpload a(partials(), sid, "", Target{root, "", {}, {}, {}}, rest, Bind::join);
    ck_assert(a.open(2, e) == Outcome::ok);
    ck_assert_sstr_eq(a.remote_path(), "/dir/f.bin");
    ck_assert(a.write(data.data() + 1000, 2000, 2, e) == Outcome::ok);
    ck_assert(a.finish(true, false, 2, e) == Outcome::created);
    ck_assert_sstr_eq(a.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);

    /* another store's partial of the same path has its own id */
    ck_assert(sid != id());
}
END_TEST

/* a state a damaged store or another program wrote names a bad target */
START_TEST(test_bad_target_in_state)
{
    FsError e;
    PartialStore s = partials();
    ck_assert(s.open(true, e));

    UploadState st;
    st.path = "/../escape";
    st.created = st.updated = 1;
    ck_assert(s.save("abc", st, e));

    UploadRequest rq;
    ResumableUpload a(partials(), "abc", "", Target{root, "", {}, {}, {}}, rq, Bind::join);
    ck_assert(a.open(1, e) == Outcome::corrupt);
}
END_TEST

/* the state file a previous version wrote (version 1, the id derived from
 * the path) is resumed as it was */
START_TEST(test_previous_layout_resumed)
{
    std::string data = body(2000);
    FsError e;

    ck_assert_int_eq(mkdir((root + "/.bigupload").c_str(), 0700), 0);
    std::string line = "{\"version\":1,\"key\":\"old\",\"path\":\"/dir/f.bin\","
                       "\"length\":2000,\"received\":\"0-999\",\"created\":1,"
                       "\"updated\":2}";
    std::string base = root + "/.bigupload/" + sha256_hex("/dir/f.bin", 10).substr(0, 40);
    { std::ofstream f(base + ".state", std::ios::binary);
      f << line << "\nsha256 " << sha256_hex(line.data(), line.size()) << "\n"; }
    { std::ofstream f(base + ".data", std::ios::binary); f << data.substr(0, 1000); }

    ResumableUpload *p = nullptr;
    ck_assert(put(data, "old", 1000, 2000, 2000, &p) == Outcome::created);
    ck_assert_sstr_eq(p->sha256(), sha256_hex(data.data(), data.size()));
    delete p;
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

/* tus and the IETF draft append: where the upload ends, or nowhere */
START_TEST(test_append_at_the_end_only)
{
    std::string data = body(3000);
    std::string sid = PartialStore::new_id();
    FsError e;

    UploadRequest c;
    c.total = 3000;
    c.end = 0;
    ResumableUpload create(partials(), sid, "", target(), c, Bind::create,
                           Creation{"tus", "filename Zi5iaW4=", false});
    ck_assert(create.open(1, e) == Outcome::ok);
    ck_assert(create.finish(true, false, 1, e) == Outcome::incomplete);

    UploadRequest a;
    a.append = true;
    a.start = 10;
    ResumableUpload wrong(partials(), sid, "", Target{root, "", {}, {}, {}}, a, Bind::join);
    ck_assert(wrong.open(2, e) == Outcome::offset_mismatch);
    ck_assert_uint_eq(wrong.state().received.contiguous(), 0);

    a.start = 0;
    a.end = 1000;
    ResumableUpload right(partials(), sid, "", Target{root, "", {}, {}, {}}, a, Bind::join);
    ck_assert(right.open(2, e) == Outcome::ok);
    ck_assert(right.write(data.data(), 1000, 2, e) == Outcome::ok);
    ck_assert(right.finish(true, false, 2, e) == Outcome::incomplete);

    /* what the creation recorded is there for HEAD */
    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, sid, "", Target(), info, e) == Outcome::ok);
    ck_assert_sstr_eq(info.state.protocol, "tus");
    ck_assert_sstr_eq(info.state.metadata, "filename Zi5iaW4=");
    ck_assert_uint_eq(info.state.received.contiguous(), 1000);

    /* a body past the length is refused before it is written */
    a.start = 1000;
    a.end.reset();
    ResumableUpload longer(partials(), sid, "", Target{root, "", {}, {}, {}}, a, Bind::join);
    ck_assert(longer.open(3, e) == Outcome::ok);
    ck_assert(longer.write(data.data(), 1000, 3, e) == Outcome::ok);
    std::string extra(1001, 'x');
    ck_assert(longer.write(extra.data(), extra.size(), 3, e) == Outcome::beyond_length);
}
END_TEST

/* a body whose digest is not the one sent with it leaves nothing */
START_TEST(test_digest_checks)
{
    std::string data = body(2000);
    FsError e;

    UploadRequest bad = range(0, 1000, 2000);
    bad.checks.push_back({DigestAlg::sha1, digest_of(DigestAlg::sha1, "other", 5)});
    ResumableUpload *p = request("k", bad);
    ck_assert(p->open(1, e) == Outcome::ok);
    ck_assert(p->hashing());
    ck_assert(p->write(data.data(), 1000, 1, e) == Outcome::ok);
    ck_assert(p->finish(true, false, 1, e) == Outcome::digest_mismatch);
    delete p;

    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, id(), "k", target(), info, e) == Outcome::ok);
    ck_assert(info.state.received.empty());

    /* with the right digests (two algorithms at once), the bytes count; a
     * range that does not start at 0 is checked too */
    UploadRequest good = range(1000, 2000, 2000);
    good.checks.push_back({DigestAlg::md5, digest_of(DigestAlg::md5, data.data() + 1000, 1000)});
    good.checks.push_back({DigestAlg::crc32, digest_of(DigestAlg::crc32, data.data() + 1000, 1000)});
    p = request("k", good);
    ck_assert(p->open(2, e) == Outcome::ok);
    ck_assert(p->hashing());
    ck_assert(p->write(data.data() + 1000, 1000, 2, e) == Outcome::ok);
    ck_assert(p->finish(true, false, 2, e) == Outcome::incomplete);
    delete p;

    UploadRequest first = range(0, 1000, 2000);
    first.checks.push_back({DigestAlg::sha256, digest_of(DigestAlg::sha256, data.data(), 1000)});
    p = request("k", first);
    ck_assert(p->open(3, e) == Outcome::ok);
    ck_assert(p->write(data.data(), 1000, 3, e) == Outcome::ok);
    ck_assert(p->finish(true, false, 3, e) == Outcome::created);
    ck_assert_sstr_eq(p->sha256(), sha256_hex(data.data(), data.size()));
    delete p;
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
}
END_TEST

/* a part of a concatenation is kept where it is once complete */
START_TEST(test_part_is_kept)
{
    std::string data = body(500);
    std::string sid = PartialStore::new_id();
    FsError e;

    UploadRequest c = range(0, 500, 500);
    ResumableUpload p(partials(), sid, "", target(), c, Bind::create, Creation{"tus", "", true});
    ck_assert(p.open(1, e) == Outcome::ok);
    ck_assert(p.write(data.data(), 500, 1, e) == Outcome::ok);
    ck_assert(p.finish(true, false, 1, e) == Outcome::kept);
    ck_assert_int_eq(access((root + "/dir/f.bin").c_str(), F_OK), -1);

    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, sid, "", Target(), info, e) == Outcome::ok);
    ck_assert(info.state.part);
    ck_assert(info.state.complete());
    ck_assert(ck_slurp(root + "/.bigupload/" + sid + ".data") == data);
}
END_TEST

/* the creation's preconditions hold when another request completes it */
START_TEST(test_creation_preconditions_kept)
{
    std::string data = body(100);
    std::string sid = PartialStore::new_id();
    FsError e;

    Target t = target();
    t.pre.if_none_match_any = true;
    UploadRequest c = range(0, 0, 100);
    ResumableUpload create(partials(), sid, "", t, c, Bind::create, Creation{"ietf", "", false});
    ck_assert(create.open(1, e) == Outcome::ok);
    ck_assert(create.finish(true, false, 1, e) == Outcome::incomplete);

    /* the file appears meanwhile: If-None-Match: * still refuses it */
    mkdir((root + "/dir").c_str(), 0700);
    { std::ofstream f(root + "/dir/f.bin"); f << "old"; }

    UploadRequest a;
    a.append = true;
    a.end = 100;
    StoreOptions replace;
    replace.overwrite = true;
    ResumableUpload last(partials(), sid, "", Target{root, "", {}, replace, {}}, a, Bind::join);
    ck_assert(last.open(2, e) == Outcome::precondition_failed);
    ck_assert(ck_slurp(root + "/dir/f.bin") == "old");
}
END_TEST

/* the prefix's hash state is kept with the ranges: a request that continues
 * it hashes on, and completing reads nothing back */
START_TEST(test_prefix_hash_continues)
{
    std::string data = body(3000003);
    FsError e;

    ck_assert(put(data, "k", 0, 1000000, data.size()) == Outcome::incomplete);

    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, id(), "k", target(), info, e) == Outcome::ok);
    ck_assert(info.state.digest && info.state.digest->hashed == 1000000);
    ck_assert_sstr_eq(info.state.digest->alg, "sha256");

    ResumableUpload p(partials(), id(), "k", target(), range(1000000, 2000000, data.size()));
    ck_assert(p.open(2, e) == Outcome::ok);
    ck_assert(p.hashing());
    ck_assert(p.write(data.data() + 1000000, 1000000, 2, e) == Outcome::ok);
    ck_assert(p.finish(true, false, 2, e) == Outcome::incomplete);

    ResumableUpload *r = nullptr;
    ck_assert(put(data, "k", 2000000, data.size(), data.size(), &r) == Outcome::created);
    ck_assert_sstr_eq(r->sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(!r->digest_fell_back());
    delete r;
}
END_TEST

/* a damaged saved state is not trusted: the file is hashed from its start */
START_TEST(test_damaged_hash_state_falls_back)
{
    std::string data = body(200000);
    FsError e;

    ck_assert(put(data, "k", 0, 100000, data.size()) == Outcome::incomplete);

    PartialStore s = partials();
    ck_assert(s.open(false, e));
    UploadState st;
    bool found;
    ck_assert(s.load(id(), st, found, e) == Outcome::ok && found);
    st.digest->saved[5] ^= 0x7f;   /* a wrong algorithm byte: refused by restore() */
    ck_assert(s.save(id(), st, e));

    ResumableUpload *r = nullptr;
    ck_assert(put(data, "k", 100000, data.size(), data.size(), &r) == Outcome::created);
    ck_assert_sstr_eq(r->sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(r->digest_fell_back());
    delete r;
}
END_TEST

/* CRCs of ranges sent out of order combine: nothing is read back */
START_TEST(test_crc_ranges_combine)
{
    std::string data = body(4 * 1000003);
    std::uint64_t c = 1000003;
    int order[] = { 3, 1, 0, 2 };
    FsError e;

    for (DigestAlg alg : {DigestAlg::crc64nvme, DigestAlg::crc32c}) {
        ck_remove_tree(root);
        ck_assert_int_eq(mkdir(root.c_str(), 0700), 0);
        ResumableUpload *last = nullptr;

        for (int k = 0; k < 4; k++) {
            int i = order[k];
            ResumableUpload *p = new ResumableUpload(partials(), id(), "k", target(alg),
                                                     range(i * c, (i + 1) * c, data.size()));
            ck_assert(p->open(1, e) == Outcome::ok);
            ck_assert(p->hashing());
            ck_assert(p->write(data.data() + i * c, c, 1, e) == Outcome::ok);
            Outcome o = p->finish(true, false, 1, e);
            ck_assert(o == (k == 3 ? Outcome::created : Outcome::incomplete));
            if (k == 3) {
                last = p;
            } else {
                delete p;
            }
        }

        ck_assert(last->digest().alg == alg);
        ck_assert(last->digest().raw == digest_of(alg, data.data(), data.size()));
        ck_assert(!last->digest_fell_back());
        delete last;
    }
}
END_TEST

/* A request broken off after a checkpoint, continuing a range held with
 * its CRC: its checkpoint joins its bytes to that range, and its last
 * record must add only what came since, not drop the range it joined.
 * The upload then completes with nothing read back. */
START_TEST(test_crc_checkpoints_keep_neighbours)
{
    std::uint64_t cp = ResumableUpload::checkpoint;
    std::string data = body(3 * cp);
    std::uint64_t cut = 1000 + cp + 5000;
    FsError e;

    for (DigestAlg alg : {DigestAlg::crc64nvme, DigestAlg::crc32c}) {
        ck_remove_tree(root);
        ck_assert_int_eq(mkdir(root.c_str(), 0700), 0);

        {
            ResumableUpload p(partials(), id(), "k", target(alg), range(0, 1000, data.size()));
            ck_assert(p.open(1, e) == Outcome::ok);
            ck_assert(p.write(data.data(), 1000, 1, e) == Outcome::ok);
            ck_assert(p.finish(true, false, 1, e) == Outcome::incomplete);
        }
        {
            /* its range runs to the end; broken off at "cut", in pieces */
            ResumableUpload p(partials(), id(), "k", target(alg),
                              range(1000, data.size(), data.size()));
            ck_assert(p.open(1, e) == Outcome::ok);
            for (std::uint64_t off = 1000; off < cut; off += 65536) {
                std::size_t n = (std::size_t) std::min<std::uint64_t>(65536, cut - off);
                ck_assert(p.write(data.data() + off, n, 1, e) == Outcome::ok);
            }
            ck_assert(p.finish(false, false, 1, e) == Outcome::incomplete);
        }
        ck_assert_uint_eq(claimed("k"), cut);

        ResumableUpload last(partials(), id(), "k", target(alg),
                             range(cut, data.size(), data.size()));
        ck_assert(last.open(1, e) == Outcome::ok);
        ck_assert(last.write(data.data() + cut, data.size() - cut, 1, e) == Outcome::ok);
        ck_assert(last.finish(true, false, 1, e) == Outcome::created);
        ck_assert(last.digest().alg == alg);
        ck_assert(last.digest().raw == digest_of(alg, data.data(), data.size()));
        ck_assert_uint_eq(last.digest_read_back(), 0);
        ck_assert(ck_slurp(root + "/dir/f.bin") == data);
    }
}
END_TEST

/* Repr-Digest at creation: the whole file's digests, checked (and told,
 * with Want-Repr-Digest) once another request completes it; a mismatch
 * removes the upload, and nothing reaches the target */
START_TEST(test_repr_digest)
{
    std::string data = body(3000);
    FsError e;

    for (int good = 0; good <= 1; good++) {
        std::string sid = PartialStore::new_id();
        Creation c{"ietf", "", false};
        std::string sha512 = digest_of(DigestAlg::sha512, data.data(), data.size());
        if (!good) {
            sha512[5] ^= 1;
        }
        c.repr_want.push_back(DigestAlg::crc32c);

        UploadRequest first = range(0, 1000, 3000);
        first.expect.push_back(DigestCheck{DigestAlg::sha512, sha512});
        ResumableUpload a(partials(), sid, "", target(), first, Bind::create, c);
        ck_assert(a.open(1, e) == Outcome::ok);
        ck_assert(a.write(data.data(), 1000, 1, e) == Outcome::ok);
        ck_assert(a.finish(true, false, 1, e) == Outcome::incomplete);

        UploadRequest rest;
        rest.start = 1000;
        rest.end = 3000;
        rest.append = true;
        rest.repr_want.push_back(DigestAlg::md5);
        ResumableUpload b(partials(), sid, "", Target{root, "", {}, StoreOptions(), {}}, rest,
                          Bind::join);
        ck_assert(b.open(2, e) == Outcome::ok);
        ck_assert(b.write(data.data() + 1000, 2000, 2, e) == Outcome::ok);

        if (!good) {
            ck_assert(b.finish(true, false, 2, e) == Outcome::file_digest_mismatch);
            ck_assert_int_eq(access((root + "/dir/f.bin").c_str(), F_OK), -1);
            ck_assert_int_eq(access((root + "/.bigupload/" + sid + ".state").c_str(), F_OK), -1);
            continue;
        }

        ck_assert(b.finish(true, false, 2, e) == Outcome::created);
        ck_assert(ck_slurp(root + "/dir/f.bin") == data);
        const auto &d = b.repr_digests();
        ck_assert_int_eq(d.size(), 3);
        ck_assert(d[0].first == DigestAlg::sha512 && d[0].second == sha512);
        ck_assert(d[1].first == DigestAlg::crc32c
                  && d[1].second == digest_of(DigestAlg::crc32c, data.data(), data.size()));
        ck_assert(d[2].first == DigestAlg::md5
                  && d[2].second == digest_of(DigestAlg::md5, data.data(), data.size()));
        ck_assert_sstr_eq(b.sha256(), sha256_hex(data.data(), data.size()));
    }
}
END_TEST

/* bytes written again where a digest covered them: it is not trusted */
START_TEST(test_rewrite_invalidates)
{
    std::string data = body(3000);
    std::string other = data;
    other[10] ^= 1;
    FsError e;

    ck_assert(put(data, "k", 0, 2000, data.size()) == Outcome::incomplete);
    /* a range over what the prefix hash covers, with other bytes */
    ck_assert(put(other, "k", 5, 20, data.size()) == Outcome::incomplete);

    ResumableUpload *r = nullptr;
    ck_assert(put(data, "k", 2000, data.size(), data.size(), &r) == Outcome::created);
    ck_assert_sstr_eq(r->sha256(), sha256_hex(other.data(), other.size()));
    delete r;
    ck_assert(ck_slurp(root + "/dir/f.bin") == other);
}
END_TEST

/* hashing behind the frontier: what became contiguous is hashed forward
 * before the upload completes */
START_TEST(test_hash_forward)
{
    std::string data = body(5 * 1000000);
    FsError e;

    ck_assert(put(data, "k", 1000000, 4000000, data.size()) == Outcome::incomplete);
    ck_assert(put(data, "k", 0, 1000000, data.size()) == Outcome::incomplete);

    PartialStore s = partials();
    /* in pieces of at most 1.5 MB: more to do, then done */
    ck_assert(hash_forward(s, id(), DigestAlg::sha256, 1500000, e));
    ck_assert(hash_forward(s, id(), DigestAlg::sha256, 1500000, e) == false);

    PartialInfo info;
    ck_assert(query_partial(s, id(), "k", target(), info, e) == Outcome::ok);
    ck_assert(info.state.digest && info.state.digest->hashed == 4000000);

    ResumableUpload *r = nullptr;
    ck_assert(put(data, "k", 4000000, data.size(), data.size(), &r) == Outcome::created);
    ck_assert_sstr_eq(r->sha256(), sha256_hex(data.data(), data.size()));
    delete r;
}
END_TEST

/* hashing behind the frontier where the file is shorter than the state says
 * (another server's bytes this one's mount does not show yet, t/cluster/020):
 * nothing recorded, and no error to log (it logged a crit EIO) */
START_TEST(test_hash_forward_short_file)
{
    std::string data = body(4 * 1000000);
    FsError e;

    /* received: all of [0, 3 MB), of which the request hashed the first MB */
    ck_assert(put(data, "k", 1000000, 3000000, data.size()) == Outcome::incomplete);
    ck_assert(put(data, "k", 0, 1000000, data.size()) == Outcome::incomplete);

    PartialStore s = partials();
    FsError oe;
    ck_assert(s.open(false, oe));
    std::string path = s.path_of(id(), ".data");
    ck_assert_int_eq(truncate(path.c_str(), 2000000), 0);

    ck_assert(hash_forward(s, id(), DigestAlg::sha256, 4000000, e) == false);
    ck_assert_msg(e.err == 0, "an error to log: %s %s", e.op.c_str(), e.path.c_str());

    PartialInfo info;
    ck_assert(query_partial(s, id(), "k", target(), info, e) == Outcome::ok);
    ck_assert(info.state.digest && info.state.digest->hashed == 1000000);
}
END_TEST

/* [1 MB, 4 MB) of data received, not hashed (the prefix is missing), and
 * the data file cut at 2 MB as another server's mount would show it before
 * its caches learn of the rest; the data file's path */
static std::string short_partial(const std::string &data)
{
    FsError e;
    ck_assert(put(data, "k", 1000000, 4000000, data.size()) == Outcome::incomplete);

    PartialStore s = partials();
    ck_assert(s.open(false, e));
    std::string path = s.path_of(id(), ".data");
    ck_assert_int_eq(truncate(path.c_str(), 2000000), 0);
    return path;
}

/* the completion's read-back where the file is shorter than the state says
 * (another server wrote the rest, and this one's mount does not show it
 * yet): the file is opened again until the bytes appear, and the digest is
 * the whole file's */
START_TEST(test_read_back_waits_for_short_file)
{
    std::string data = body(4 * 1000000);
    std::string path = short_partial(data);

    /* the "other server's" bytes become visible 30 ms into the read-back */
    std::thread late([&data, path]() {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        std::ofstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(2000000);
        f.write(data.data() + 2000000, 2000000);
    });

    ResumableUpload *r = nullptr;
    Outcome o = put(data, "k", 0, 1000000, data.size(), &r);
    late.join();

    ck_assert_int_eq((int) o, (int) Outcome::created);
    ck_assert_sstr_eq(r->sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
    delete r;
}
END_TEST

/* ... and where the bytes never appear: the completion fails with EIO on
 * the data file, and the partial (every byte it holds) is kept */
START_TEST(test_read_back_short_file_fails)
{
    std::string data = body(4 * 1000000);
    FsError e;

    std::string path = short_partial(data);
    PartialStore s = partials();
    ck_assert(s.open(false, e));

    ResumableUpload p(partials(), id(), "k", target(), range(0, 1000000, data.size()));
    ck_assert(p.open(1, e) == Outcome::ok);
    ck_assert(p.write(data.data(), 1000000, 1, e) == Outcome::ok);
    ck_assert(p.finish(true, false, 1, e) == Outcome::error);
    ck_assert_int_eq(e.err, EIO);
    ck_assert_sstr_eq(e.op, "pread");
    ck_assert_sstr_eq(e.path, path);

    struct stat sb;
    ck_assert_int_ne(stat((root + "/dir/f.bin").c_str(), &sb), 0);
    PartialInfo info;
    ck_assert(query_partial(s, id(), "k", target(), info, e) == Outcome::ok);
    ck_assert(info.state.received.contiguous() == 4000000);
}
END_TEST

/* the zero-copy body path: spliced bytes of a resumable upload are hashed
 * from the data file, recorded at the checkpoints as written ones are, and
 * resumed from */
START_TEST(test_spliced_bytes)
{
    std::string data = body(3 * 1000000);
    FsError e;

    ResumableUpload a(partials(), id(), "k", target(), range(0, 2000000, data.size()));
    ck_assert(a.splices());
    ck_assert(a.open(1, e) == Outcome::ok);
    for (std::size_t off = 0; off < 2000000; off += 500000) {
        CkPipe p(data.data() + off, 500000);
        ck_assert(a.splice(p.out(), 500000, 1, e) == Outcome::ok);
        /* the hash behind the write: a checkpoint claims no more than it */
        ck_assert(a.hash_spliced(500000, e));
    }
    ck_assert(a.finish(true, false, 1, e) == Outcome::incomplete);

    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, id(), "k", target(), info, e) == Outcome::ok);
    ck_assert(info.state.received.contiguous() == 2000000);
    ck_assert(info.state.digest && info.state.digest->hashed == 2000000);

    ResumableUpload *r = nullptr;
    ck_assert(put(data, "k", 2000000, data.size(), data.size(), &r) == Outcome::created);
    ck_assert_sstr_eq(r->sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(r->digest_read_back() == 0);
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
    delete r;
}
END_TEST

/* spliced bytes the hash has not caught up with are not claimed: the state
 * holds what is both written and hashed */
START_TEST(test_spliced_unhashed_not_claimed)
{
    std::string data = body(2000000);
    FsError e;

    ResumableUpload a(partials(), id(), "k", target(), range(0, 1000000, data.size()));
    ck_assert(a.open(1, e) == Outcome::ok);
    CkPipe p(data.data(), 1000000);
    ck_assert(a.splice(p.out(), 1000000, 1, e) == Outcome::ok);
    ck_assert(a.hash_spliced(400000, e));
    ck_assert(a.finish(false, false, 1, e) == Outcome::incomplete);

    PartialStore q = partials();
    PartialInfo info;
    ck_assert(query_partial(q, id(), "k", target(), info, e) == Outcome::ok);
    ck_assert(info.state.received.contiguous() == 400000);
}
END_TEST

/* spliced bytes past the upload's length: refused before they reach the
 * file, and nothing held changes */
START_TEST(test_spliced_beyond_length)
{
    std::string data = body(1100);
    FsError e;

    ResumableUpload a(partials(), id(), "k", target(), range(0, 500, 1000));
    ck_assert(a.open(1, e) == Outcome::ok);
    CkPipe p(data.data(), 1100);
    ck_assert(a.splice(p.out(), 1100, 1, e) == Outcome::beyond_length);
    ck_assert_uint_eq(a.written(), 0);
}
END_TEST

/* bigupload_digest off: nothing hashed, no digest */
START_TEST(test_no_digest)
{
    std::string data = body(1000);
    FsError e;

    ResumableUpload p(partials(), id(), "k", target(std::nullopt), range(0, 1000, 1000));
    ck_assert(p.open(1, e) == Outcome::ok);
    ck_assert(!p.hashing());
    ck_assert(p.write_at(data.data(), 1000, 0, 1, e) == Outcome::ok);
    ck_assert(p.finish(true, false, 1, e) == Outcome::created);
    ck_assert(!p.digest().known());
    ck_assert(ck_slurp(root + "/dir/f.bin") == data);
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
    tcase_add_test(tc, test_repr_digest);
    tcase_add_test(tc, test_cancel_and_query);
    tcase_add_test(tc, test_unknown_length_completes);
    tcase_add_test(tc, test_corrupt_state_is_refused_and_cancellable);
    tcase_add_test(tc, test_sweep);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_target_exists);
    tcase_add_test(tc, test_hash_and_write_alongside);
    tcase_add_test(tc, test_state_claims_only_written_and_hashed);
    tcase_add_test(tc, test_not_hashing_claims_what_is_written);
    tcase_add_test(tc, test_server_named);
    tcase_add_test(tc, test_bad_target_in_state);
    tcase_add_test(tc, test_previous_layout_resumed);
    tcase_add_test(tc, test_append_at_the_end_only);
    tcase_add_test(tc, test_digest_checks);
    tcase_add_test(tc, test_part_is_kept);
    tcase_add_test(tc, test_creation_preconditions_kept);
    tcase_add_test(tc, test_prefix_hash_continues);
    tcase_add_test(tc, test_damaged_hash_state_falls_back);
    tcase_add_test(tc, test_crc_ranges_combine);
    tcase_add_test(tc, test_crc_checkpoints_keep_neighbours);
    tcase_add_test(tc, test_rewrite_invalidates);
    tcase_add_test(tc, test_hash_forward);
    tcase_add_test(tc, test_hash_forward_short_file);
    tcase_add_test(tc, test_read_back_waits_for_short_file);
    tcase_add_test(tc, test_read_back_short_file_fails);
    tcase_add_test(tc, test_spliced_bytes);
    tcase_add_test(tc, test_spliced_unhashed_not_claimed);
    tcase_add_test(tc, test_spliced_beyond_length);
    tcase_add_test(tc, test_no_digest);
    suite_add_tcase(s, tc);

    return s;
}
