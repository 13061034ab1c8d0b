/* bgclient: the local file: size, bounded reads hashed on the way, rewind
 * for a retry, a file that shrinks or grows, stdin as a pipe, and the
 * errors that give exit code 3.  Compiled as C++. */
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.hpp"
#include "tool_hasher.hpp"
#include "tool_signal.hpp"
#include "tool_source.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;

namespace {

// Reads everything in "bufsize" pieces; returns the bytes (and checks that
// no read went past bufsize).
std::string drain(Source &s, std::size_t bufsize)
{
    std::string out;
    std::vector<char> buf(bufsize);
    for (;;) {
        ssize_t n = s.read(buf.data(), buf.size());
        ck_assert_msg(n >= 0, "read failed: %s", s.error().c_str());
        ck_assert(static_cast<std::size_t>(n) <= bufsize);
        if (n == 0) {
            return out;
        }
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
}

}  // namespace

START_TEST(regular_file_hashed_and_rewound)
{
    std::string data = ck_pattern(3 * 1024 * 1024 + 17);
    CkTempFile f(data);
    std::string err;
    auto s = Source::open(f.path, err);
    ck_assert_msg(s != nullptr, "%s", err.c_str());
    ck_assert_int_eq(s->size(), static_cast<std::int64_t>(data.size()));
    ck_assert(s->rewindable());
    ck_assert_sstr_eq(s->name(), f.path.c_str());

    ck_assert(drain(*s, 65536) == data);
    ck_assert(s->eof());
    ck_assert_uint_eq(s->bytes_read(), data.size());
    std::string expect = bigupload::sha256_hex(data.data(), data.size());
    ck_assert_sstr_eq(s->digest_hex(), expect.c_str());

    /* a retry reads it all again, with a fresh hash */
    ck_assert(s->rewind());
    ck_assert_uint_eq(s->bytes_read(), 0);
    ck_assert(!s->eof());
    ck_assert(drain(*s, 2 * 1024 * 1024) == data);
    ck_assert_sstr_eq(s->digest_hex(), expect.c_str());

    /* rewound half-way through, too */
    ck_assert(s->rewind());
    char buf[1000];
    ck_assert_int_eq(s->read(buf, sizeof(buf)), 1000);
    ck_assert(s->rewind());
    ck_assert(drain(*s, 4096) == data);
    ck_assert_sstr_eq(s->digest_hex(), expect.c_str());
}
END_TEST

START_TEST(empty_file)
{
    CkTempFile f("");
    std::string err;
    auto s = Source::open(f.path, err);
    ck_assert(s != nullptr);
    ck_assert_int_eq(s->size(), 0);
    char buf[16];
    ck_assert_int_eq(s->read(buf, sizeof(buf)), 0);
    ck_assert(s->eof());
    ck_assert_sstr_eq(s->digest_hex(),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(grows_and_shrinks)
{
    std::string data = ck_pattern(100000);
    CkTempFile f(data);
    std::string err;

    /* growing after open: the size seen at open is what is sent */
    auto s = Source::open(f.path, err);
    ck_assert(s != nullptr);
    FILE *app = std::fopen(f.path.c_str(), "ab");
    std::fputs("more bytes", app);
    std::fclose(app);
    ck_assert(drain(*s, 65536) == data);

    /* shrinking: an error, not a short upload */
    auto t = Source::open(f.path, err);
    ck_assert(t != nullptr);
    char buf[65536];
    ck_assert_int_eq(t->read(buf, sizeof(buf)), 65536);
    ck_assert(truncate(f.path.c_str(), 70000) == 0);
    ck_assert_int_eq(t->read(buf, sizeof(buf)), 70000 - 65536);
    ck_assert_int_eq(t->read(buf, sizeof(buf)), -1);
    ck_assert(t->failed());
    ck_assert(!t->interrupted());
    ck_assert_msg(t->error().find("shrank while being read (ended after 70000 of 100010 bytes)")
                      != std::string::npos,
                  "%s", t->error().c_str());
}
END_TEST

START_TEST(open_errors)
{
    std::string err;
    ck_assert(Source::open("/nonexistent/bgclient/file", err) == nullptr);
    ck_assert_sstr_eq(err, "cannot open '/nonexistent/bgclient/file': No such file or directory");

    err.clear();
    ck_assert(Source::open("/tmp", err) == nullptr);
    ck_assert_sstr_eq(err, "cannot upload '/tmp': it is a directory");

    if (geteuid() != 0) { /* root reads anything */
        CkTempFile f("secret");
        chmod(f.path.c_str(), 0);
        err.clear();
        ck_assert(Source::open(f.path, err) == nullptr);
        ck_assert(err.find("Permission denied") != std::string::npos);
    }
}
END_TEST

START_TEST(stdin_pipe)
{
    std::string data = ck_pattern(50000);
    int p[2];
    ck_assert(pipe(p) == 0);
    ck_assert(write(p[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    close(p[1]);

    int saved = dup(STDIN_FILENO);
    dup2(p[0], STDIN_FILENO);
    close(p[0]);

    std::string err;
    auto s = Source::open("-", err);
    ck_assert(s != nullptr);
    ck_assert_sstr_eq(s->name(), "(stdin)");
    ck_assert_int_eq(s->size(), -1);
    ck_assert(!s->rewindable());
    ck_assert(drain(*s, 4096) == data);
    ck_assert(s->eof());
    ck_assert(!s->rewind());
    std::string expect = bigupload::sha256_hex(data.data(), data.size());
    ck_assert_sstr_eq(s->digest_hex(), expect.c_str());
    s.reset();

    dup2(saved, STDIN_FILENO);
    close(saved);
}
END_TEST

START_TEST(stdin_regular_file)
{
    /* "bgclient url - /x < file": a known size, from where stdin stands */
    std::string data = ck_pattern(10000);
    CkTempFile f(data);
    int fd = open(f.path.c_str(), O_RDONLY);
    ck_assert(lseek(fd, 1000, SEEK_SET) == 1000);
    int saved = dup(STDIN_FILENO);
    dup2(fd, STDIN_FILENO);
    close(fd);

    std::string err;
    auto s = Source::open("-", err);
    ck_assert(s != nullptr);
    ck_assert_int_eq(s->size(), 9000);
    ck_assert(s->rewindable());
    ck_assert(drain(*s, 4096) == data.substr(1000));
    ck_assert(s->rewind());
    ck_assert(drain(*s, 4096) == data.substr(1000));
    s.reset();

    dup2(saved, STDIN_FILENO);
    close(saved);
}
END_TEST

START_TEST(interrupted_read)
{
    CkTempFile f(ck_pattern(1000));
    std::string err;
    auto s = Source::open(f.path, err);
    ck_assert(s != nullptr);
    set_interrupted_for_tests(true);
    char buf[100];
    ssize_t n = s->read(buf, sizeof(buf));
    set_interrupted_for_tests(false);
    ck_assert_int_eq(n, -1);
    ck_assert(s->interrupted());
    ck_assert(!s->failed());
}
END_TEST

START_TEST(background_hasher)
{
    std::string data = ck_pattern(5 * 4096 + 123);
    std::string expect = bigupload::sha256_hex(data.data(), data.size());

    /* small slots: pieces bigger than a slot, the ring wrapping many times */
    BackgroundHasher h(bigupload::DigestAlg::sha256, 4096, 2);
    const std::size_t pieces[] = {0, 1, 4095, 4096, 4097, 3 * 4096 + 5};
    for (std::size_t piece : pieces) {
        for (std::size_t off = 0; off < data.size(); off += piece ? piece : data.size()) {
            std::size_t n = std::min(piece ? piece : data.size(), data.size() - off);
            h.update(data.data() + off, n);
        }
        ck_assert_msg(h.final_hex() == expect, "piece size %zu", piece);
    }

    /* final_hex restarts the hash; reset drops what was queued */
    ck_assert_sstr_eq(h.final_hex(), bigupload::sha256_hex("", 0));
    h.update("junk", 4);
    h.reset();
    h.update(data.data(), data.size());
    ck_assert_sstr_eq(h.final_hex(), expect);

    /* destroyed with work queued: joins cleanly */
    {
        BackgroundHasher d(bigupload::DigestAlg::sha256, 1024, 3);
        d.update(data.data(), data.size());
    }
}
END_TEST

/* A file that grows or is modified while it is sent: its stamp (size,
 * mtime) tells, and the warning says what the upload holds (issue 17.4). */
START_TEST(changed_while_sent)
{
    std::string data = ck_pattern(100000);
    CkTempFile f(data);
    std::string err;
    auto s = Source::open(f.path, err);
    ck_assert(s != nullptr);
    FileStamp before = s->stamp_at_open();
    ck_assert_int_eq(before.size, 100000);
    FileStamp same = s->stamp_now();
    ck_assert_int_eq(same.size, before.size);
    ck_assert(same.mtime_ns == before.mtime_ns);
    ChangeContext done;
    done.completed = true;
    done.resumable = true;
    done.bytes = 100000;
    ck_assert_sstr_eq(change_warning("./f.bin", before, same, done), "");

    /* grows */
    FILE *app = std::fopen(f.path.c_str(), "ab");
    std::fputs("more", app);
    std::fclose(app);
    FileStamp grown = s->stamp_now();
    ck_assert_int_eq(grown.size, 100004);
    ck_assert_sstr_eq(change_warning("./f.bin", before, grown, done),
                      "warning: './f.bin' changed while it was being sent (its size went from"
                      " 100000 to 100004 bytes): the upload holds the 100000 bytes read from it as"
                      " they were read, not the file as it is now (send it again with --overwrite)");

    /* modified in place: the same size, another mtime */
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    ck_assert(utimensat(AT_FDCWD, f.path.c_str(), ts, 0) == 0);
    FileStamp touched = s->stamp_now();
    touched.size = before.size;
    ck_assert(touched.mtime_ns != before.mtime_ns);
    ck_assert_sstr_eq(change_warning("./f.bin", before, touched, done),
                      "warning: './f.bin' changed while it was being sent (its modification time"
                      " changed): the upload holds the 100000 bytes read from it as they were"
                      " read, not the file as it is now (send it again with --overwrite)");

    /* a resumable upload that did not complete: the next run has another key */
    ChangeContext broken;
    broken.resumable = true;
    ck_assert_sstr_eq(change_warning("./f.bin", before, grown, broken),
                      "warning: './f.bin' changed while it was being sent (its size went from"
                      " 100000 to 100004 bytes): its next run derives another upload key from it,"
                      " so what the server kept of this one is not continued (the rerun says so;"
                      " --restart discards it)");
    ck_assert_sstr_eq(change_warning("./f.bin", before, grown, ChangeContext()),
                      "warning: './f.bin' changed while it was being sent (its size went from"
                      " 100000 to 100004 bytes)");

    /* nothing to compare for a pipe, or when fstat failed */
    ck_assert_sstr_eq(change_warning("(stdin)", FileStamp(), FileStamp(), done), "");
    ck_assert_sstr_eq(change_warning("./f.bin", before, FileStamp(), done), "");
}
END_TEST

START_TEST(stdin_pipe_has_no_stamp)
{
    int p[2];
    ck_assert(pipe(p) == 0);
    int saved = dup(STDIN_FILENO);
    dup2(p[0], STDIN_FILENO);
    std::string err;
    auto s = Source::open("-", err);
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(p[0]);
    close(p[1]);
    ck_assert(s != nullptr);
    ck_assert_int_eq(s->stamp_at_open().size, -1);
    ck_assert_int_eq(s->stamp_now().size, -1);
}
END_TEST

Suite *client_source_suite(void);

Suite *client_source_suite(void)
{
    Suite *s = suite_create("client_source");
    TCase *tc = tcase_create("source");
    tcase_add_test(tc, regular_file_hashed_and_rewound);
    tcase_add_test(tc, empty_file);
    tcase_add_test(tc, grows_and_shrinks);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, stdin_pipe);
    tcase_add_test(tc, stdin_regular_file);
    tcase_add_test(tc, interrupted_read);
    tcase_add_test(tc, background_hasher);
    tcase_add_test(tc, changed_while_sent);
    tcase_add_test(tc, stdin_pipe_has_no_stamp);
    suite_add_tcase(s, tc);
    return s;
}
