/* Remote path decoding and validation, with an attack corpus. */
#include <string>
#include <vector>

#include "base/path.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using bigupload::PathError;

static PathError parse(const char *raw)
{
    std::vector<std::string> segs;
    return bigupload::parse_remote_path(raw, segs);
}

START_TEST(test_accepts_plain_paths)
{
    std::vector<std::string> segs;

    ck_assert(bigupload::parse_remote_path("/a/b/c.iso", segs) == PathError::ok);
    ck_assert_uint_eq(segs.size(), 3);
    ck_assert_sstr_eq(segs[0].c_str(), "a");
    ck_assert_sstr_eq(segs[2].c_str(), "c.iso");

    ck_assert(bigupload::parse_remote_path("/x", segs) == PathError::ok);
    ck_assert_uint_eq(segs.size(), 1);

    /* dots inside names are fine */
    ck_assert(parse("/a/..b/c..") == PathError::ok);
    ck_assert(parse("/.hidden") == PathError::ok);
    ck_assert(parse("/a/.../b") == PathError::ok);
}
END_TEST

START_TEST(test_decodes_once)
{
    std::vector<std::string> segs;

    ck_assert(bigupload::parse_remote_path("/a%20b/%41.txt", segs) == PathError::ok);
    ck_assert_sstr_eq(segs[0].c_str(), "a b");
    ck_assert_sstr_eq(segs[1].c_str(), "A.txt");

    /* %252e decodes to the literal "%2e", not to "." */
    ck_assert(bigupload::parse_remote_path("/%252e%252e/x", segs) == PathError::ok);
    ck_assert_sstr_eq(segs[0].c_str(), "%2e%2e");

    /* "+" is not a space in a path */
    ck_assert(bigupload::parse_remote_path("/a+b", segs) == PathError::ok);
    ck_assert_sstr_eq(segs[0].c_str(), "a+b");

    /* %2F becomes a separator after decoding */
    ck_assert(bigupload::parse_remote_path("/a%2Fb", segs) == PathError::ok);
    ck_assert_uint_eq(segs.size(), 2);
}
END_TEST

static const struct {
    const char *raw;
    PathError   expect;
} corpus[] = {
    { "/..", PathError::dot_segment },
    { "/../etc/passwd", PathError::dot_segment },
    { "/a/../../etc/passwd", PathError::dot_segment },
    { "/a/./b", PathError::dot_segment },
    { "/.", PathError::dot_segment },
    { "/%2e%2e/etc/passwd", PathError::dot_segment },
    { "/%2E%2E/x", PathError::dot_segment },
    { "/.%2e/x", PathError::dot_segment },
    { "/a/%2e/b", PathError::dot_segment },
    { "/a%2F..%2Fb", PathError::dot_segment },
    { "/a/b/..", PathError::dot_segment },
    { "/a//b", PathError::empty_segment },
    { "//etc/passwd", PathError::empty_segment },
    { "/a%2F%2Fb", PathError::empty_segment },
    { "", PathError::empty_segment },
    { "/a%00b", PathError::nul },
    { "/a%5cb", PathError::backslash },
    { "/a\\b", PathError::backslash },
    { "/..\\..\\windows", PathError::backslash },
    { "/a%zz", PathError::bad_escape },
    { "/a%2", PathError::bad_escape },
    { "/a%", PathError::bad_escape },
    { "a/b", PathError::not_absolute },
    { "%2fa", PathError::ok },
    { "/", PathError::collection },
    { "/dir/", PathError::collection },
    { "/../", PathError::dot_segment },
    { "/a//", PathError::empty_segment },
    { "/a///", PathError::empty_segment },
    { "//", PathError::empty_segment },
    { "///", PathError::empty_segment },
    { "//a/", PathError::empty_segment },
    { "/a/../", PathError::dot_segment },
    { "/a/../////", PathError::dot_segment },
    { "/.bigupload-x//", PathError::reserved },
    { "/a%2F", PathError::collection },
    { "/.bigupload-0123456789abcdef", PathError::reserved },
    { "/a/.bigupload-x/b", PathError::reserved },
};

START_TEST(test_attack_corpus)
{
    const char *raw = corpus[_i].raw;
    PathError got = parse(raw);

    ck_assert_msg(got == corpus[_i].expect, "\"%s\": got %s (%s)", raw,
                  bigupload::path_error_code(got),
                  bigupload::path_error_message(got));
}
END_TEST

/* a refused path leaves no segments behind, wherever it is refused
   ("/a//b" left "a": found by fuzz_path) */
START_TEST(test_error_leaves_no_segments)
{
    const char *bad[] = { "/a//b", "/a/../b", "/a/.bigupload-x", "/a/b/", "/a%00b", "/a%zz" };

    for (const char *raw : bad) {
        std::vector<std::string> segs = { "stale" };
        ck_assert(bigupload::parse_remote_path(raw, segs) != PathError::ok);
        ck_assert_msg(segs.empty(), "\"%s\" left %zu segment(s)", raw, segs.size());
    }
}
END_TEST

/* a path of many trailing slashes: its inner part is split once ("/a" and
 * 4000 slashes cost 4000 scans of it before: found by fuzz_path's long run
 * as a unit slowing to 150 ms), with the same answers as one slash at a time */
START_TEST(test_trailing_slashes)
{
    std::string many = "/a" + std::string(4000, '/');
    ck_assert(parse(many.c_str()) == PathError::empty_segment);

    std::string root(4000, '/');
    ck_assert(parse(root.c_str()) == PathError::empty_segment);

    std::string dots = "/a/.." + std::string(3000, '/');
    ck_assert(parse(dots.c_str()) == PathError::dot_segment);

    std::string past = "/a" + std::string(5000, '/');
    ck_assert(parse(past.c_str()) == PathError::too_long);
}
END_TEST

START_TEST(test_length_limits)
{
    std::string longname = "/" + std::string(300, 'a');
    ck_assert(parse(longname.c_str()) == PathError::too_long);

    std::string deep;
    for (int i = 0; i < 2100; i++) {
        deep += "/ab";
    }
    ck_assert(parse(deep.c_str()) == PathError::too_long);

    std::string ok = "/" + std::string(255, 'a');
    ck_assert(parse(ok.c_str()) == PathError::ok);
}
END_TEST

START_TEST(test_error_codes_and_messages)
{
    ck_assert_sstr_eq(bigupload::path_error_code(PathError::collection), "is_collection");
    ck_assert_sstr_eq(bigupload::path_error_code(PathError::dot_segment), "bad_path");
    ck_assert_sstr_eq(bigupload::path_error_code(PathError::too_long), "path_too_long");
    ck_assert_ptr_nonnull(strstr(bigupload::path_error_message(PathError::nul), "NUL"));
}
END_TEST

START_TEST(test_encode_and_join)
{
    ck_assert_sstr_eq(bigupload::percent_encode_path("/a b/ü.txt").c_str(),
                     "/a%20b/%C3%BC.txt");
    ck_assert_sstr_eq(bigupload::join_url("http://h:1/upload", "/isos/big.iso").c_str(),
                     "http://h:1/upload/isos/big.iso");
    ck_assert_sstr_eq(bigupload::join_url("http://h:1/upload/", "isos/big.iso").c_str(),
                     "http://h:1/upload/isos/big.iso");
    ck_assert_sstr_eq(bigupload::join_url("http://example.com", "/uploads/example.zip").c_str(),
                     "http://example.com/uploads/example.zip");
    ck_assert_sstr_eq(bigupload::join_url("http://h", "/a?b#c").c_str(),
                     "http://h/a%3Fb%23c");

    /* what the client encodes, the server decodes back */
    std::vector<std::string> segs;
    std::string enc = bigupload::percent_encode_path("/we ird/n%me?.bin");
    ck_assert(bigupload::parse_remote_path(enc, segs) == PathError::ok);
    ck_assert_sstr_eq(segs[1].c_str(), "n%me?.bin");
}
END_TEST

Suite *path_suite(void)
{
    Suite *s = suite_create("path");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_accepts_plain_paths);
    tcase_add_test(tc, test_decodes_once);
    tcase_add_loop_test(tc, test_attack_corpus, 0,
                        (int) (sizeof(corpus) / sizeof(corpus[0])));
    tcase_add_test(tc, test_error_leaves_no_segments);
    tcase_add_test(tc, test_trailing_slashes);
    tcase_add_test(tc, test_length_limits);
    tcase_add_test(tc, test_error_codes_and_messages);
    tcase_add_test(tc, test_encode_and_join);
    suite_add_tcase(s, tc);

    return s;
}
