/* bgclient, resumable uploads: the HEAD answer (tool_resume), the plan of
 * ranges and their Content-Range, the messages and the --status line; the
 * new options (-j, --chunk-size, --restart, --status, --no-resume); the
 * file's upload key and positional reads (tool_source); the whole-file
 * hasher (tool_filehash); a 409 key mismatch in the outcome.  C++. */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.hpp"
#include "base/range.hpp"
#include "tool_args.hpp"
#include "tool_filehash.hpp"
#include "tool_outcome.hpp"
#include "tool_output.hpp"
#include "tool_resume.hpp"
#include "tool_source.hpp"
#include "proto/native.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;
using bigupload::ByteRange;
using bigupload::RangeSet;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

HeadAnswer answer(long status, const char *offset = "", const char *ranges = "",
                  const char *length = "", const char *clen = "")
{
    HeadAnswer a;
    a.status = status;
    a.upload_offset = offset;
    a.upload_ranges = ranges;
    a.upload_length = length;
    a.content_length = clen;
    return a;
}

std::string pieces_text(const std::vector<ByteRange> &v)
{
    std::string s;
    for (const ByteRange &r : v) {
        s += (s.empty() ? "" : " ") + std::to_string(r.start) + "+" + std::to_string(r.size());
    }
    return s;
}

void expect_usage(std::vector<std::string> args, const char *needle)
{
    ArgResult r = parse_args(args);
    ck_assert_msg(r.action == ArgAction::error, "accepted");
    ck_assert_msg(r.error.find(needle) != std::string::npos, "message '%s' lacks '%s'",
                  r.error.c_str(), needle);
}

}  // namespace

/* --- the HEAD answer ------------------------------------------------------ */

START_TEST(held_statuses)
{
    ck_assert(parse_held(answer(404)).kind == HeldKind::nothing);
    ck_assert(parse_held(answer(409)).kind == HeldKind::conflict);
    ck_assert(parse_held(answer(405)).kind == HeldKind::unsupported);
    ck_assert(parse_held(answer(501)).kind == HeldKind::unsupported);
    ck_assert(parse_held(answer(503)).kind == HeldKind::other);
    ck_assert(parse_held(answer(403)).kind == HeldKind::other);
    ck_assert(parse_held(answer(0)).kind == HeldKind::other);

    Held f = parse_held(answer(200, "", "", "", "4294967296"));
    ck_assert(f.kind == HeldKind::finished);
    ck_assert(f.size && *f.size == 4294967296ull);
    ck_assert_sstr_eq(status_line(f), "done: 4294967296");
    ck_assert(!parse_held(answer(200, "", "", "", "junk")).size);
}
END_TEST

START_TEST(held_partial)
{
    Held h = parse_held(answer(204, "67108864", "0-67108863,134217728-201326591", "4294967296"));
    ck_assert(h.kind == HeldKind::partial);
    ck_assert_uint_eq(h.offset, 67108864);
    ck_assert(h.length && *h.length == 4294967296ull);
    ck_assert_uint_eq(h.ranges.total(), 2 * 67108864ull);
    ck_assert_sstr_eq(status_line(h),
                      "partial: 67108864 of 4294967296 (0-67108863,134217728-201326591)");

    /* spaces around values; no declared length */
    Held u = parse_held(answer(204, " 10 ", " 0-9 ", ""));
    ck_assert(u.kind == HeldKind::partial);
    ck_assert(!u.length);
    ck_assert_sstr_eq(status_line(u), "partial: 10 of unknown (0-9)");

    /* a server that sends only the offset */
    Held o = parse_held(answer(204, "1048576"));
    ck_assert(o.kind == HeldKind::partial);
    ck_assert_sstr_eq(o.ranges.to_string(), "0-1048575");

    /* nothing held yet, only declared */
    Held z = parse_held(answer(204, "0", "", "100"));
    ck_assert(z.kind == HeldKind::partial);
    ck_assert(z.ranges.empty());
    ck_assert_sstr_eq(status_line(z), "partial: 0 of 100 (nothing held)");

    /* ranges that do not start at 0: offset 0 */
    Held g = parse_held(answer(204, "0", "100-199", "1000"));
    ck_assert(g.kind == HeldKind::partial);
    ck_assert_uint_eq(g.offset, 0);
}
END_TEST

START_TEST(held_malformed)
{
    const HeadAnswer bad[] = {
        answer(204),                                     /* no Upload-* at all */
        answer(204, "x"),                                /* offset junk */
        answer(204, "-1"),
        answer(204, "99999999999999999999"),             /* overflow */
        answer(204, "10", "0-9", "abc"),                 /* length junk */
        answer(204, "10", "5-1"),                        /* start > end */
        answer(204, "10", "0-9,5-20"),                   /* overlapping */
        answer(204, "10", "0-9,"),                       /* trailing comma */
        answer(204, "20", "0-9"),                        /* offset disagrees */
        answer(204, "10", "0-9,50-99", "60"),            /* beyond the length */
    };
    for (const HeadAnswer &a : bad) {
        Held h = parse_held(a);
        ck_assert_msg(h.kind == HeldKind::malformed, "accepted offset '%s' ranges '%s' length '%s'",
                      a.upload_offset.c_str(), a.upload_ranges.c_str(), a.upload_length.c_str());
        ck_assert(!h.error.empty());
    }
    ck_assert_sstr_eq(parse_held(answer(204, "x")).error, "the server sent a bad Upload-Offset 'x'");
    /* the server's control characters never reach the terminal (an escape
       sequence in a header; found by fuzz_client_resume) */
    ck_assert_sstr_eq(parse_held(answer(204, "5\x15")).error,
                      "the server sent a bad Upload-Offset '5'");
    ck_assert_sstr_eq(parse_held(answer(204, "", "\x1b[2J0-9")).error,
                      "the server sent a bad Upload-Ranges ' [2J0-9'");
    ck_assert_sstr_eq(parse_held(answer(204, "1", "0-9", "\x1b]0;x\x07")).error,
                      "the server sent a bad Upload-Length ' ]0;x'");
    ck_assert_sstr_eq(status_line(parse_held(answer(204))), "");
}
END_TEST

/* --- the plan --------------------------------------------------------------- */

START_TEST(plan_whole_gaps)
{
    RangeSet none;
    ck_assert_sstr_eq(pieces_text(plan_pieces(none, 100, 0)), "0+100");

    RangeSet held;
    held.add(0, 30);
    held.add(50, 60);
    ck_assert_sstr_eq(pieces_text(plan_pieces(held, 100, 0)), "30+20 60+40");

    held.add(0, 100);
    ck_assert(plan_pieces(held, 100, 0).empty());
    ck_assert(plan_pieces(none, 0, 0).empty());
}
END_TEST

START_TEST(plan_chunks)
{
    RangeSet none;
    ck_assert_sstr_eq(pieces_text(plan_pieces(none, 100, 30)), "0+30 30+30 60+30 90+10");
    ck_assert_sstr_eq(pieces_text(plan_pieces(none, 90, 30)), "0+30 30+30 60+30");
    ck_assert_sstr_eq(pieces_text(plan_pieces(none, 10, 30)), "0+10");

    /* chunks start at each gap, never cross held bytes */
    RangeSet held;
    held.add(25, 40);
    held.add(90, 95);
    ck_assert_sstr_eq(pieces_text(plan_pieces(held, 100, 20)), "0+20 20+5 40+20 60+20 80+10 95+5");

    /* every byte not held, once, in order */
    RangeSet h2;
    h2.add(7 * MiB, 9 * MiB + 3);
    std::vector<ByteRange> p = plan_pieces(h2, 300 * MiB + 17, 64 * MiB);
    RangeSet all = h2;
    std::uint64_t last_end = 0;
    for (const ByteRange &r : p) {
        ck_assert(r.size() > 0 && r.size() <= 64 * MiB);
        ck_assert(r.start >= last_end);
        ck_assert(!h2.overlaps(r.start, r.end));
        last_end = r.end;
        all.add(r);
    }
    ck_assert(all.covers(300 * MiB + 17));
    ck_assert_uint_eq(all.total(), 300 * MiB + 17);

    /* 5 GiB: offsets past 4 GiB */
    std::vector<ByteRange> big = plan_pieces(RangeSet(), 5ull << 30, 64 * MiB);
    ck_assert_uint_eq(big.size(), 80);
    ck_assert_uint_eq(big.back().end, 5ull << 30);
}
END_TEST

START_TEST(chunk_choice)
{
    /* -j 1: whole gaps */
    ck_assert_uint_eq(effective_chunk(1, 0, 4ull << 30), 0);
    /* -j N: big files in 64 MiB pieces */
    ck_assert_uint_eq(effective_chunk(4, 0, 4ull << 30), default_chunk_size);
    /* small ones shared among the connections (rounded up), >= 1 MiB */
    ck_assert_uint_eq(effective_chunk(4, 0, 40 * MiB), 10 * MiB);
    ck_assert_uint_eq(effective_chunk(4, 0, 40 * MiB + 1), 10 * MiB + 1);
    ck_assert_uint_eq(plan_pieces(RangeSet(), 40 * MiB + 1, effective_chunk(4, 0, 40 * MiB + 1)).size(), 4);
    ck_assert_uint_eq(effective_chunk(4, 0, 100), MiB);
    ck_assert_uint_eq(effective_chunk(4, 0, 0), MiB);
    /* --chunk-size wins */
    ck_assert_uint_eq(effective_chunk(1, 8 * MiB, 4ull << 30), 8 * MiB);
    ck_assert_uint_eq(effective_chunk(16, MiB, 100 * MiB), MiB);
}
END_TEST

START_TEST(content_range_of_piece)
{
    ck_assert_sstr_eq(piece_content_range({0, 67108864}, 4294967296ull),
                      "bytes 0-67108863/4294967296");
    ck_assert_sstr_eq(piece_content_range({4294967296ull, 5368709120ull}, 5368709120ull),
                      "bytes 4294967296-5368709119/5368709120");
    ck_assert_sstr_eq(piece_content_range({9, 10}, 10), "bytes 9-9/10");

    /* what we send, the core parses back */
    bigupload::ContentRange cr;
    ck_assert(bigupload::parse_content_range("bytes 30-49/100", cr) == bigupload::ContentRangeError::ok);
    ck_assert_sstr_eq(piece_content_range(cr.range, cr.total), "bytes 30-49/100");
}
END_TEST

/* --- messages --------------------------------------------------------------- */

START_TEST(messages)
{
    ck_assert_sstr_eq(resume_message(1288490189ull, 4294967296ull), "resuming at 1.20 GiB of 4.00 GiB");
    ck_assert_sstr_eq(resume_message(512, 1000), "resuming at 512 B of 1000 B");

    Held h = parse_held(answer(204, "10", "0-9", "100"));
    ck_assert_sstr_eq(length_mismatch(h, 100, "http://h/u/x"), "");
    ck_assert_sstr_eq(length_mismatch(h, 200, "http://h/u/x"),
                      "the partial upload at http://h/u/x is for 100 bytes, this file has 200"
                      " (use --restart to discard it and start over)");
    Held nolen = parse_held(answer(204, "10", "0-9"));
    ck_assert_sstr_eq(length_mismatch(nolen, 12345, "u"), "");

    std::string c = conflict_message("http://h/u/x");
    ck_assert(c.find("http://h/u/x") != std::string::npos);
    ck_assert(c.find("--restart") != std::string::npos);
    ck_assert(c.find('\n') == std::string::npos);

    ck_assert_sstr_eq(status_line(parse_held(answer(404))), "absent");
}
END_TEST

START_TEST(outcome_key_mismatch)
{
    AttemptResult r;
    r.status = 409;
    r.body = "{\"error\":\"upload_key_mismatch\",\"message\":\"another upload is in progress\"}";
    OutcomeInput in;
    in.url = "http://h/u/x";
    Outcome o = classify(r, in);
    ck_assert_int_eq(o.exit_code, 5);
    ck_assert(!o.retryable);
    ck_assert_sstr_eq(o.message, conflict_message("http://h/u/x"));

    /* "exists" stays what it was */
    r.body = "{\"error\":\"exists\"}";
    o = classify(r, in);
    ck_assert(o.message.find("already exists") != std::string::npos);
}
END_TEST

START_TEST(report_of_resumed_upload)
{
    Report r;
    r.file = "big.iso";
    r.url = "http://h/u/big.iso";
    r.size = 4ull << 30;
    r.digest = "ab";
    r.elapsed = 10;
    r.attempts = 1;
    /* the rate counts what this run sent, not the whole file */
    r.sent = 1ll << 30;
    r.resumed_at = 3ll << 30;
    ck_assert_sstr_eq(success_line(r), "uploaded big.iso -> http://h/u/big.iso (4.00 GiB, 102 MiB/s, sha256 ab)");
    std::string j = report_json(r);
    ck_assert_msg(j.find("\"resumed_at\":3221225472") != std::string::npos, "%s", j.c_str());
    ck_assert_msg(j.find("\"bytes_per_second\":107374182") != std::string::npos, "%s", j.c_str());
    /* a plain PUT: as before */
    Report p = r;
    p.sent = -1;
    p.resumed_at = -1;
    ck_assert_sstr_eq(success_line(p), "uploaded big.iso -> http://h/u/big.iso (4.00 GiB, 410 MiB/s, sha256 ab)");
    ck_assert(report_json(p).find("resumed_at") == std::string::npos);
}
END_TEST

/* --- options ---------------------------------------------------------------- */

START_TEST(options)
{
    const char *u = "http://h/up";
    ArgResult r = parse_args(std::vector<std::string>{u, "f", "x"});
    ck_assert(r.action == ArgAction::run);
    ck_assert_uint_eq(r.config.parallel, 1);
    ck_assert_uint_eq(r.config.chunk_size, 0);
    ck_assert(r.config.resume && !r.config.restart && !r.config.status);

    r = parse_args(std::vector<std::string>{"-j", "4", "--chunk-size", "8M", "--restart", u, "f", "x"});
    ck_assert(r.action == ArgAction::run);
    ck_assert_uint_eq(r.config.parallel, 4);
    ck_assert_uint_eq(r.config.chunk_size, 8 * MiB);
    ck_assert(r.config.restart);

    r = parse_args(std::vector<std::string>{"-j16", "--parallel=2", u, "f", "x"});
    ck_assert_uint_eq(r.config.parallel, 2);

    r = parse_args(std::vector<std::string>{"--status", u, "/a/b.bin"});
    ck_assert(r.action == ArgAction::run);
    ck_assert(r.config.status);
    ck_assert_sstr_eq(r.config.target_url, "http://h/up/a/b.bin");
    ck_assert_sstr_eq(r.config.file_path, "");

    r = parse_args(std::vector<std::string>{"--no-resume", u, "f", "x"});
    ck_assert(r.action == ArgAction::run && !r.config.resume);

    expect_usage({"-j", "0", u, "f", "x"}, "bad --parallel '0': expected a number from 1 to 16");
    expect_usage({"-j", "17", u, "f", "x"}, "bad --parallel");
    expect_usage({"-j", "two", u, "f", "x"}, "bad --parallel");
    expect_usage({"--chunk-size", "1k", u, "f", "x"}, "bad --chunk-size '1k': expected a size of at least 64k");
    expect_usage({"--chunk-size", "x", u, "f", "x"}, "bad --chunk-size");
    expect_usage({"--status", u, "f", "x"}, "too many arguments for --status");
    expect_usage({"--status", u}, "missing arguments for --status");
    expect_usage({"--status", "--restart", u, "x"}, "--status uploads nothing");
    expect_usage({"--status", u, "dir/"}, "give a file name");
    expect_usage({"--restart", u, "-", "x"}, "--restart needs a file");
    expect_usage({"-j", "2", u, "-", "x"}, "--parallel needs a file");
    expect_usage({"--no-resume", "-j", "2", u, "f", "x"}, "--no-resume sends one plain PUT");
}
END_TEST

/* --- the file: key and positional reads ------------------------------------ */

START_TEST(key_of_file)
{
    std::string data = ck_pattern(3 * MiB + 5);
    CkTempFile f(data);
    std::string err;
    auto s = Source::open(f.path, err);
    ck_assert(s);
    ck_assert(s->resumable());

    std::string key;
    ck_assert(s->upload_key(key));
    ck_assert_uint_eq(key.size(), 32);
    ck_assert(bigupload::valid_upload_key(key));
    ck_assert_sstr_eq(key, bigupload::derive_upload_key(data.size(), s->mtime_ns(),
                                                        data.substr(0, MiB),
                                                        data.substr(data.size() - MiB)));
    /* the same file again: the same key (no local state needed) */
    auto s2 = Source::open(f.path, err);
    std::string key2;
    ck_assert(s2->upload_key(key2));
    ck_assert_sstr_eq(key, key2);

    /* another mtime: another key */
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    ck_assert(utimensat(AT_FDCWD, f.path.c_str(), ts, 0) == 0);
    auto s3 = Source::open(f.path, err);
    std::string key3;
    ck_assert(s3->upload_key(key3));
    ck_assert_str_ne(key.c_str(), key3.c_str());

    /* a small file: head and tail are the whole file */
    CkTempFile small("hello");
    auto s4 = Source::open(small.path, err);
    std::string key4;
    ck_assert(s4->upload_key(key4));
    ck_assert_sstr_eq(key4, bigupload::derive_upload_key(5, s4->mtime_ns(), "hello", "hello"));
}
END_TEST

/* A file that grew (even by bytes after its last MiB's start) gets another
 * key: a resumable upload of the changed file never continues the old
 * one's partial (issue 17.4) */
START_TEST(key_of_grown_file)
{
    std::string data = ck_pattern(3 * MiB + 5);
    CkTempFile f(data);
    std::string err;
    auto s = Source::open(f.path, err);
    std::string key;
    ck_assert(s->upload_key(key));

    FILE *app = std::fopen(f.path.c_str(), "ab");
    std::fputs("x", app);
    std::fclose(app);
    /* the same mtime as before: the size alone changes the key */
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = s->mtime_ns() / 1000000000;
    ts[0].tv_nsec = ts[1].tv_nsec = s->mtime_ns() % 1000000000;
    ck_assert(utimensat(AT_FDCWD, f.path.c_str(), ts, 0) == 0);
    auto g = Source::open(f.path, err);
    ck_assert_int_eq(g->mtime_ns(), s->mtime_ns());
    std::string grown;
    ck_assert(g->upload_key(grown));
    ck_assert_str_ne(key.c_str(), grown.c_str());
    ck_assert_sstr_eq(grown, bigupload::derive_upload_key(data.size() + 1, g->mtime_ns(),
                                                          data.substr(0, MiB),
                                                          (data + "x").substr(data.size() + 1 - MiB)));

    /* the same size and mtime, one byte changed in the middle: the key is
     * the same (it reads the first and last MiB only), and the server's
     * sha256 check is what catches such a file */
    std::string mid = data;
    mid[2 * MiB] ^= 1;
    CkTempFile m(mid);
    CkTempFile o(data);
    ts[0].tv_sec = ts[1].tv_sec = 1600000000;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    ck_assert(utimensat(AT_FDCWD, m.path.c_str(), ts, 0) == 0);
    ck_assert(utimensat(AT_FDCWD, o.path.c_str(), ts, 0) == 0);
    std::string km, ko;
    ck_assert(Source::open(m.path, err)->upload_key(km));
    ck_assert(Source::open(o.path, err)->upload_key(ko));
    ck_assert_sstr_eq(km, ko);
}
END_TEST

START_TEST(read_at)
{
    std::string data = ck_pattern(100000);
    CkTempFile f(data);
    std::string err;
    auto s = Source::open(f.path, err);
    char buf[4096];
    ck_assert_int_eq(s->read_at(buf, 10, 500), 10);
    ck_assert(std::string(buf, 10) == data.substr(500, 10));
    ck_assert_int_eq(s->read_at(buf, sizeof(buf), 99990), 10);  /* bounded by the size */
    ck_assert_int_eq(s->read_at(buf, sizeof(buf), 100000), 0);
    ck_assert_uint_eq(s->bytes_read(), 0);                      /* not the sequential position */

    /* the file shrinks: an error that says so */
    ck_assert(truncate(f.path.c_str(), 50000) == 0);
    ck_assert_int_eq(s->read_at(buf, 10, 60000), -1);
    ck_assert_msg(s->error().find("shrank") != std::string::npos, "%s", s->error().c_str());

    /* stdin is never resumable */
    auto in = Source::open("-", err);
    ck_assert(in && !in->resumable());
}
END_TEST

/* --- the whole-file hasher --------------------------------------------------- */

/* The sliding mapping: the bytes of any offset, never more than one window
 * mapped, remapped only when a read leaves it (issue 14.4) */
START_TEST(map_window)
{
    std::string data = ck_pattern(20 * MiB + 4000, 11);
    CkTempFile f(data);
    int fd = open(f.path.c_str(), O_RDONLY);
    ck_assert(fd >= 0);
    {
        MapWindow w(fd, static_cast<std::int64_t>(data.size()), 8 * MiB);
        ck_assert(w.usable());
        std::size_t most = 0;
        for (std::uint64_t at = 0; at < data.size(); at += MiB) {
            std::size_t n = data.size() - at < MiB ? data.size() - at : MiB;
            const char *p = w.map(at, n);
            ck_assert_ptr_nonnull(p);
            ck_assert_msg(std::string(p, n) == data.substr(at, n), "bytes at %llu",
                          static_cast<unsigned long long>(at));
            most = std::max(most, w.mapped());
        }
        ck_assert_uint_eq(most, 8 * MiB);
        ck_assert_uint_eq(w.maps(), 3);  /* 0-8, 8-16, 16-20 MiB */
        ck_assert_uint_eq(w.mapped(), 4 * MiB + 4000);

        /* an unaligned read across the window's end remaps at its page */
        const char *p = w.map(8 * MiB - 100, 300);
        ck_assert_ptr_nonnull(p);
        ck_assert(std::string(p, 300) == data.substr(8 * MiB - 100, 300));
        ck_assert_uint_eq(w.maps(), 4);
        /* past the end: nothing, and the window stays usable */
        ck_assert_ptr_null(w.map(data.size() - 10, 11));
        ck_assert(w.usable());
        w.release();
        ck_assert_uint_eq(w.mapped(), 0);
    }
    close(fd);

    /* a descriptor that cannot be mapped (a pipe): nullptr, and it stays so */
    int pp[2];
    ck_assert(pipe(pp) == 0);
    MapWindow pw(pp[0], 1000);
    ck_assert_ptr_null(pw.map(0, 10));
    ck_assert(!pw.usable());
    close(pp[0]);
    close(pp[1]);
}
END_TEST

/* Hashing a file holds at most a window of it in the resident set,
 * file-backed pages included: VmHWM, reset first through clear_refs, grows
 * by far less than the file (before, by the whole file: issue 14.4). */
START_TEST(file_hasher_bounded_rss)
{
    std::string data = ck_pattern(64 * MiB, 13);
    CkTempFile f(data);
    std::string want = bigupload::sha256_hex(data.data(), data.size());
    std::string().swap(data);  /* the copy in memory would count too */
    int fd = open(f.path.c_str(), O_RDONLY);
    ck_assert(fd >= 0);

    auto status_kib = [](const char *field) {
        std::string st = ck_slurp("/proc/self/status");
        std::size_t at = st.find(std::string("\n") + field + ":");
        ck_assert_msg(at != std::string::npos, "no %s", field);
        return std::strtoull(st.c_str() + at + std::strlen(field) + 2, nullptr, 10);
    };
    {
        std::ofstream clear("/proc/self/clear_refs");
        clear << "5";  /* resets VmHWM to the current VmRSS */
    }
    unsigned long long base = status_kib("VmHWM");
    ck_assert_uint_le(base, status_kib("VmRSS") + 1024);
    {
        FileHasher h(fd, 0, 64 * MiB, "f");
        std::string err;
        ck_assert_sstr_eq(h.wait_hex(err), want);
    }
    unsigned long long peak = status_kib("VmHWM");
    ck_assert_msg(peak - base <= 16 * 1024, "VmHWM grew by %llu KiB hashing 64 MiB",
                  peak - base);
    close(fd);
}
END_TEST

START_TEST(file_hasher)
{
    std::string data = ck_pattern(5 * MiB + 123, 7);
    CkTempFile f(data);
    int fd = open(f.path.c_str(), O_RDONLY);
    ck_assert(fd >= 0);
    std::string want = bigupload::sha256_hex(data.data(), data.size());

    {
        FileHasher h(fd, 0, data.size(), "f");
        std::string err;
        ck_assert_sstr_eq(h.wait_hex(err), want);
        ck_assert_sstr_eq(err, "");
    }

    /* throttled: it stops at the senders' frontier + window, unless held */
    {
        FileHasher h(fd, 0, data.size(), "f", bigupload::DigestAlg::sha256, MiB);
        usleep(200 * 1000);
        ck_assert_uint_le(h.hashed(), MiB);
        h.advance(2 * MiB);
        usleep(200 * 1000);
        ck_assert_uint_le(h.hashed(), 3 * MiB);
        ck_assert_uint_ge(h.hashed(), 2 * MiB);
        RangeSet held;
        held.add(0, data.size());
        h.set_held(held);
        std::string err;
        ck_assert_sstr_eq(h.wait_hex(err), want);
    }

    /* the file is shorter than announced: a clear error */
    {
        FileHasher h(fd, 0, data.size() + 10, "f.bin");
        std::string err;
        ck_assert_sstr_eq(h.wait_hex(err), "");
        ck_assert_msg(err.find("'f.bin' shrank") != std::string::npos, "%s", err.c_str());
    }

    /* truncated while being hashed: a clear error, not a crash (the file is
     * hashed through a mapping, where reading past the end is a SIGBUS) */
    {
        std::string big = ck_pattern(6 * MiB, 9);
        CkTempFile g(big);
        int gfd = open(g.path.c_str(), O_RDWR);
        ck_assert(gfd >= 0);
        FileHasher h(gfd, 0, big.size(), "g.bin", bigupload::DigestAlg::sha256, MiB);
        usleep(100 * 1000);
        ck_assert_int_eq(ftruncate(gfd, 2 * MiB + 100), 0);
        RangeSet held;
        held.add(0, big.size());
        h.set_held(held);
        std::string err;
        ck_assert_sstr_eq(h.wait_hex(err), "");
        ck_assert_msg(err.find("'g.bin' shrank") != std::string::npos, "%s", err.c_str());
        close(gfd);
    }

    /* destroyed while throttled: no hang */
    {
        FileHasher h(fd, 0, data.size(), "f", bigupload::DigestAlg::sha256, MiB);
    }
    close(fd);
}
END_TEST

Suite *client_resume_suite(void);

Suite *client_resume_suite(void)
{
    Suite *s = suite_create("client_resume");
    TCase *tc = tcase_create("resume");
    tcase_add_test(tc, held_statuses);
    tcase_add_test(tc, held_partial);
    tcase_add_test(tc, held_malformed);
    tcase_add_test(tc, plan_whole_gaps);
    tcase_add_test(tc, plan_chunks);
    tcase_add_test(tc, chunk_choice);
    tcase_add_test(tc, content_range_of_piece);
    tcase_add_test(tc, messages);
    tcase_add_test(tc, outcome_key_mismatch);
    tcase_add_test(tc, report_of_resumed_upload);
    tcase_add_test(tc, options);
    tcase_add_test(tc, key_of_file);
    tcase_add_test(tc, key_of_grown_file);
    tcase_add_test(tc, read_at);
    tcase_add_test(tc, map_window);
    tcase_add_test(tc, file_hasher_bounded_rss);
    tcase_add_test(tc, file_hasher);
    suite_add_tcase(s, tc);
    return s;
}
