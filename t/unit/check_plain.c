/* A plain upload: hashed while written, committed atomically, or nothing. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <thread>

#include "base/digest.hpp"
#include "engine/plain.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

static std::string root;

static void setup(void)
{
    root = ck_make_temp_dir("check_plain");
}

static void teardown(void)
{
    ck_remove_tree(root);
}

/* a file of that name in the store's root */
static Target target(const char *name)
{
    Target t;
    t.root = root;
    t.remote_path = std::string("/") + name;
    t.segments = {name};
    return t;
}

START_TEST(test_upload_hashes_what_it_writes)
{
    PlainUpload u(target("h.bin"));
    FsError e;

    ck_assert(u.open(0, e) == Outcome::ok);
    ck_assert(u.write("ab", 2, 0, e) == Outcome::ok);
    ck_assert(u.write("c", 1, 0, e) == Outcome::ok);
    ck_assert(u.finish(true, false, 0, e) == Outcome::created);
    ck_assert_uint_eq(u.size(), 3);
    ck_assert_sstr_eq(u.sha256().c_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_sstr_eq(ck_slurp(root + "/h.bin").c_str(), "abc");
}
END_TEST

START_TEST(test_remembered_sha256)
{
    PlainUpload u(target("m.bin"));
    FsError e;

    ck_assert(u.open(0, e) == Outcome::ok);
    ck_assert(u.write("abc", 3, 0, e) == Outcome::ok);
    ck_assert(u.finish(true, false, 0, e) == Outcome::created);

    std::string path = root + "/m.bin";
    int fd = open(path.c_str(), O_RDWR);
    ck_assert_int_ne(fd, -1);

    /* a filesystem without user xattrs remembers nothing, and says so */
    bool xattrs = fsetxattr(fd, "user.probe", "1", 1, 0) == 0;
    ck_assert(xattrs || errno == ENOTSUP);

    if (xattrs) {
        ck_assert_sstr_eq(remembered_sha256(fd),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    } else {
        ck_assert_sstr_eq(remembered_sha256(fd), "");
    }

    /* changed since: forgotten */
    ck_assert_int_eq(pwrite(fd, "d", 1, 3), 1);
    ck_assert_sstr_eq(remembered_sha256(fd), "");

    /* a value that is not a digest is never reported */
    if (xattrs) {
        remember_sha256(fd, "not a digest");
        ck_assert_sstr_eq(remembered_sha256(fd), "");
        std::string bad = std::string(64, 'Z') + " 4 0.0";
        ck_assert_int_eq(fsetxattr(fd, "user.bigupload.sha256", bad.data(), bad.size(), 0), 0);
        ck_assert_sstr_eq(remembered_sha256(fd), "");
    }
    close(fd);
}
END_TEST

START_TEST(test_remove_if_same)
{
    PlainUpload u(target("r.bin"));
    FsError e;
    const char *abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    ck_assert(u.open(0, e) == Outcome::ok);
    ck_assert(u.write("abc", 3, 0, e) == Outcome::ok);
    ck_assert(u.finish(true, false, 0, e) == Outcome::created);

    std::string path = root + "/r.bin";
    int fd = open(path.c_str(), O_RDONLY);
    bool xattrs = fsetxattr(fd, "user.probe", "1", 1, 0) == 0;
    close(fd);

    if (xattrs) {
        /* replaced by another file since: left alone */
        ck_assert(!remove_if_same(path, std::string(64, '0')));
        ck_assert_int_eq(access(path.c_str(), F_OK), 0);
    }
    ck_assert(remove_if_same(path, abc));
    ck_assert_int_ne(access(path.c_str(), F_OK), 0);
    ck_assert(!remove_if_same(path, abc));   /* gone already */
}
END_TEST

START_TEST(test_upload_hash_and_write_alongside)
{
    std::string data = ck_pattern(3 * 1000003 + 17);
    PlainUpload u(target("p.bin"));
    FsError e;
    bool ok = true;

    ck_assert(u.open(0, e) == Outcome::ok);

    /* the two halves of append() on two threads, each in order */
    std::thread hasher([&] {
        for (std::size_t off = 0; off < data.size(); off += 65536) {
            u.hash(data.data() + off, std::min<std::size_t>(65536, data.size() - off));
        }
    });
    for (std::size_t off = 0; off < data.size(); off += 100000) {
        ok = ok && u.write_at(data.data() + off,
                              std::min<std::size_t>(100000, data.size() - off), off, 0, e)
                       == Outcome::ok;
    }
    hasher.join();

    ck_assert(ok);
    ck_assert_uint_eq(u.hashed(), data.size());
    ck_assert(u.finish(true, false, 0, e) == Outcome::created);
    ck_assert_uint_eq(u.size(), data.size());
    ck_assert_sstr_eq(u.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/p.bin") == data);
}
END_TEST

START_TEST(test_upload_refuses_commit_with_unhashed_bytes)
{
    PlainUpload u(target("u.bin"));
    FsError e;
    bool thrown = false;

    ck_assert(u.open(0, e) == Outcome::ok);
    u.hash("ab", 2);
    ck_assert(u.write_at("abc", 3, 0, 0, e) == Outcome::ok);

    try {
        u.finish(true, false, 0, e);
    } catch (const std::logic_error &) {
        thrown = true;
    }

    ck_assert(thrown);
    ck_assert_int_eq(access((root + "/u.bin").c_str(), F_OK), -1);
}
END_TEST

START_TEST(test_declared_length_is_checked)
{
    FsError e;

    {
        /* a body shorter than the length declared apart from its framing */
        PlainUpload u(target("short.bin"), 5);
        ck_assert(u.open(0, e) == Outcome::ok);
        ck_assert(u.write("abc", 3, 0, e) == Outcome::ok);
        ck_assert(u.finish(true, false, 0, e) == Outcome::body_length_mismatch);
        ck_assert(u.pending());
        ck_assert(u.abort(false, false, 0, e) == Outcome::ok);
        ck_assert(!u.pending());
    }
    ck_assert_int_eq(access((root + "/short.bin").c_str(), F_OK), -1);

    PlainUpload v(target("exact.bin"), 3);
    ck_assert(v.open(0, e) == Outcome::ok);
    ck_assert(v.write("abc", 3, 0, e) == Outcome::ok);
    ck_assert(v.finish(true, false, 0, e) == Outcome::created);
    ck_assert_sstr_eq(ck_slurp(root + "/exact.bin"), "abc");
}
END_TEST

START_TEST(test_appeared_meanwhile)
{
    FsError e;
    PlainUpload u(target("a.bin"));

    ck_assert(u.open(0, e) == Outcome::ok);
    ck_assert(u.write("new", 3, 0, e) == Outcome::ok);
    { std::ofstream f(root + "/a.bin"); f << "old"; }

    /* never clobbered: the other file stays, the temp file until abort() */
    ck_assert(u.finish(true, false, 0, e) == Outcome::appeared);
    ck_assert(!u.temp_path().empty());
    ck_assert(u.abort(false, false, 0, e) == Outcome::ok);
    ck_assert_sstr_eq(ck_slurp(root + "/a.bin"), "old");
}
END_TEST

START_TEST(test_written_in_order_only)
{
    FsError e;
    PlainUpload u(target("o.bin"));
    bool thrown = false;

    ck_assert(u.open(0, e) == Outcome::ok);
    try {
        u.write_at("x", 1, 5, 0, e);
    } catch (const std::logic_error &) {
        thrown = true;
    }
    ck_assert(thrown);
}
END_TEST

START_TEST(test_digest_checked)
{
    FsError e;

    {
        PlainUpload u(target("bad.bin"), std::nullopt,
                      {{DigestAlg::sha256, digest_of(DigestAlg::sha256, "abd", 3)}});
        ck_assert(u.open(0, e) == Outcome::ok);
        ck_assert(u.write("abc", 3, 0, e) == Outcome::ok);
        ck_assert(u.finish(true, false, 0, e) == Outcome::digest_mismatch);
        ck_assert(u.pending());
    }
    ck_assert_int_eq(access((root + "/bad.bin").c_str(), F_OK), -1);

    PlainUpload v(target("good.bin"), std::nullopt,
                  {{DigestAlg::crc64nvme, digest_of(DigestAlg::crc64nvme, "abc", 3)}});
    ck_assert(v.open(0, e) == Outcome::ok);
    ck_assert(v.write("abc", 3, 0, e) == Outcome::ok);
    ck_assert(v.finish(true, false, 0, e) == Outcome::created);
}
END_TEST

/* the zero-copy body path: bytes spliced from a pipe into the temp file are
 * hashed from its pages behind the splice, and stored as written ones are;
 * both kinds mix */
START_TEST(test_spliced_bytes)
{
    std::string data(700000, '\0');
    for (std::size_t i = 0; i < data.size(); i++) {
        data[i] = (char) (i * 7 + i / 4093);
    }

    PlainUpload u(target("s.bin"));
    FsError e;

    ck_assert(u.splices());
    ck_assert(u.open(0, e) == Outcome::ok);
    {
        CkPipe p(data.data(), 300001);
        Outcome o = u.splice(p.out(), 300001, 0, e);
        ck_assert_msg(o == Outcome::ok, "%s %s: %d", e.op.c_str(), e.path.c_str(), e.err);
    }
    ck_assert_uint_eq(u.hashed(), 0);
    ck_assert(u.hash_spliced(300001, e));
    ck_assert(u.write(data.data() + 300001, 99999, 0, e) == Outcome::ok);
    {
        CkPipe p(data.data() + 400000, 300000);
        ck_assert(u.splice(p.out(), 300000, 0, e) == Outcome::ok);
    }
    ck_assert(u.hash_spliced(300000, e));
    ck_assert_uint_eq(u.hashed(), data.size());
    ck_assert(u.finish(true, false, 0, e) == Outcome::created);
    ck_assert_sstr_eq(u.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/s.bin") == data);
}
END_TEST

/* a pipe that runs dry before "len": an error on the temp file, nothing
 * counted, nothing stored */
START_TEST(test_spliced_short_pipe)
{
    PlainUpload u(target("short.bin"));
    FsError e;

    ck_assert(u.open(0, e) == Outcome::ok);
    CkPipe p("abc", 3);
    close(p.fd[1]);
    p.fd[1] = open("/dev/null", O_WRONLY);
    ck_assert(u.splice(p.out(), 10, 0, e) == Outcome::error);
    ck_assert_int_eq(e.err, EIO);
    ck_assert_sstr_eq(e.op, "splice");
    ck_assert_sstr_eq(e.path, u.temp_path());
    ck_assert_uint_eq(u.written(), 0);
    ck_assert(u.abort(false, false, 0, e) == Outcome::ok);
    struct stat sb;
    ck_assert_int_ne(stat((root + "/short.bin").c_str(), &sb), 0);
}
END_TEST

Suite *plain_suite(void)
{
    Suite *s = suite_create("plain");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_upload_hashes_what_it_writes);
    tcase_add_test(tc, test_remembered_sha256);
    tcase_add_test(tc, test_remove_if_same);
    tcase_add_test(tc, test_upload_hash_and_write_alongside);
    tcase_add_test(tc, test_upload_refuses_commit_with_unhashed_bytes);
    tcase_add_test(tc, test_declared_length_is_checked);
    tcase_add_test(tc, test_appeared_meanwhile);
    tcase_add_test(tc, test_written_in_order_only);
    tcase_add_test(tc, test_digest_checked);
    tcase_add_test(tc, test_spliced_bytes);
    tcase_add_test(tc, test_spliced_short_pipe);
    suite_add_tcase(s, tc);

    return s;
}
