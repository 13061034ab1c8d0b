/* The store: temp file, no-clobber commit, symlink refusal, preconditions. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/xattr.h>

#include "base/digest.hpp"
#include "engine/store.hpp"
#include "engine/outcome.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

static std::string root;

static void setup(void)
{
    root = ck_make_temp_dir("check_store");
}

static void teardown(void)
{
    ck_remove_tree(root);
}

static void spit(const std::string &p, const std::string &data)
{
    std::ofstream f(p, std::ios::binary);
    f << data;
}

/* names in a directory that start with ".bigupload" */
static int temp_files(const std::string &dir)
{
    int n = 0;
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) {
        return 0;
    }
    while (struct dirent *e = readdir(d)) {
        if (std::string(e->d_name).rfind(".bigupload", 0) == 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static Outcome open_file(TargetFile &f, std::vector<std::string> segs,
                             StoreOptions opt, Preconditions pre, FsError &e)
{
    return f.open(root, segs, opt, pre, e);
}

START_TEST(test_create_write_commit)
{
    TargetFile f;
    FsError e;
    StoreOptions opt;
    opt.file_mode = 0640;
    opt.dir_mode = dir_mode_for(0640);

    ck_assert(open_file(f, {"a", "b", "c.bin"}, opt, {}, e) == Outcome::ok);
    ck_assert(f.has_temp());
    ck_assert_int_eq(temp_files(root + "/a/b"), 1);

    /* half-written data is never visible at the target */
    ck_assert(f.write_at("hello ", 6, 0, e));
    ck_assert_int_eq(access((root + "/a/b/c.bin").c_str(), F_OK), -1);
    ck_assert(f.write_at("world", 5, 6, e));

    ck_assert(f.commit(false, true, e) == Outcome::created);
    ck_assert_sstr_eq(ck_slurp(root + "/a/b/c.bin").c_str(), "hello world");
    ck_assert_int_eq(temp_files(root + "/a/b"), 0);

    struct stat st;
    ck_assert_int_eq(stat((root + "/a/b/c.bin").c_str(), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(stat((root + "/a/b").c_str(), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0750);
}
END_TEST

START_TEST(test_no_clobber_when_target_appears)
{
    TargetFile f;
    FsError e;

    ck_assert(open_file(f, {"x.bin"}, {}, {}, e) == Outcome::ok);
    ck_assert(f.write_at("new", 3, 0, e));

    /* someone else finishes first */
    spit(root + "/x.bin", "old");

    ck_assert(f.commit(false, false, e) == Outcome::exists);
    ck_assert_sstr_eq(ck_slurp(root + "/x.bin").c_str(), "old");

    f.abort();
    ck_assert_int_eq(temp_files(root), 0);
}
END_TEST

START_TEST(test_overwrite_replaces)
{
    TargetFile f;
    FsError e;
    StoreOptions opt;
    opt.overwrite = true;

    spit(root + "/x.bin", "old");

    ck_assert(open_file(f, {"x.bin"}, opt, {}, e) == Outcome::ok);
    ck_assert(f.write_at("new", 3, 0, e));
    ck_assert(f.commit(true, false, e) == Outcome::replaced);
    ck_assert_sstr_eq(ck_slurp(root + "/x.bin").c_str(), "new");
    ck_assert_int_eq(temp_files(root), 0);
}
END_TEST

START_TEST(test_exists_without_overwrite)
{
    TargetFile f;
    FsError e;

    spit(root + "/x.bin", "old");
    ck_assert(open_file(f, {"x.bin"}, {}, {}, e) == Outcome::exists);
    ck_assert(!f.has_temp());

    mkdir((root + "/d").c_str(), 0700);
    StoreOptions opt;
    opt.overwrite = true;
    ck_assert(open_file(f, {"d"}, opt, {}, e) == Outcome::is_directory);
}
END_TEST

START_TEST(test_symlink_escape_refused)
{
    TargetFile f;
    FsError e;
    char outside[] = "/tmp/check_store_out.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(outside));

    ck_assert_int_eq(symlink(outside, (root + "/link").c_str()), 0);

    ck_assert(open_file(f, {"link", "evil.bin"}, {}, {}, e) == Outcome::error);
    ck_assert_int_eq(e.err, ELOOP);
    ck_assert_sstr_eq(e.op.c_str(), "openat");
    ck_assert_int_eq(access((std::string(outside) + "/evil.bin").c_str(), F_OK), -1);
    ck_assert_int_eq(temp_files(outside), 0);

    /* deeper: a symlink in the middle of the path */
    mkdir((root + "/a").c_str(), 0700);
    ck_assert_int_eq(symlink(outside, (root + "/a/l").c_str()), 0);
    ck_assert(open_file(f, {"a", "l", "b", "evil.bin"}, {}, {}, e) == Outcome::error);
    ck_assert_int_eq(e.err, ELOOP);
    ck_assert_int_eq(access((std::string(outside) + "/b").c_str(), F_OK), -1);

    rmdir(outside);
}
END_TEST

START_TEST(test_file_as_directory)
{
    TargetFile f;
    FsError e;

    spit(root + "/file", "x");
    ck_assert(open_file(f, {"file", "x.bin"}, {}, {}, e) == Outcome::error);
    ck_assert_int_eq(e.err, ENOTDIR);
}
END_TEST

START_TEST(test_create_dirs_off)
{
    TargetFile f;
    FsError e;
    StoreOptions opt;
    opt.create_dirs = false;

    ck_assert(open_file(f, {"missing", "x.bin"}, opt, {}, e) == Outcome::error);
    ck_assert_int_eq(e.err, ENOENT);
    ck_assert_int_eq(access((root + "/missing").c_str(), F_OK), -1);
}
END_TEST

START_TEST(test_missing_root_is_created)
{
    TargetFile f;
    FsError e;
    std::string deep = root + "/users/alice";

    ck_assert(f.open(deep, {"x.bin"}, {}, {}, e) == Outcome::ok);
    ck_assert(f.commit(false, false, e) == Outcome::created);
    ck_assert_int_eq(access((deep + "/x.bin").c_str(), F_OK), 0);
}
END_TEST

START_TEST(test_relative_root_refused)
{
    TargetFile f;
    FsError e;

    ck_assert(f.open("relative/store", {"x.bin"}, {}, {}, e) == Outcome::error);
    ck_assert_int_eq(e.err, EINVAL);
    ck_assert_int_eq(access("relative", F_OK), -1);
    ck_assert(f.open("", {"x.bin"}, {}, {}, e) == Outcome::error);
    ck_assert_int_eq(e.err, EINVAL);
}
END_TEST

START_TEST(test_preconditions)
{
    TargetFile f;
    FsError e;
    StoreOptions opt;
    opt.overwrite = true;
    Preconditions pre;

    /* If-None-Match: * against an existing file */
    spit(root + "/x.bin", "old");
    ck_assert(parse_preconditions("", "*", pre));
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == Outcome::precondition_failed);

    /* If-Match: * against a missing file */
    ck_assert(parse_preconditions("*", "", pre));
    ck_assert(open_file(f, {"y.bin"}, opt, pre, e) == Outcome::precondition_failed);

    /* If-Match with the current entity tag */
    struct stat st;
    ck_assert_int_eq(stat((root + "/x.bin").c_str(), &st), 0);
    std::string tag = etag_for(st.st_mtime, st.st_size);
    ck_assert(parse_preconditions(("\"nope\", " + tag).c_str(), "", pre));
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == Outcome::ok);
    f.abort();

    ck_assert(parse_preconditions("\"nope\"", "", pre));
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == Outcome::precondition_failed);

    /* a weak tag never matches If-Match */
    ck_assert(parse_preconditions(("W/" + tag).c_str(), "", pre));
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == Outcome::precondition_failed);

    ck_assert_int_eq(temp_files(root), 0);
}
END_TEST

START_TEST(test_parse_preconditions)
{
    Preconditions pre;

    ck_assert(parse_preconditions("", "", pre));
    ck_assert(!pre.if_match_any && !pre.if_none_match_any);
    ck_assert(parse_preconditions(" \"a\" , W/\"b\"", "", pre));
    ck_assert_uint_eq(pre.if_match_etags.size(), 2);
    ck_assert_sstr_eq(pre.if_match_etags[1].c_str(), "W/\"b\"");
    ck_assert(!parse_preconditions("a", "", pre));
    ck_assert(!parse_preconditions("\"a", "", pre));
    ck_assert(!parse_preconditions("", ",", pre));
    /* strict (RFC 9110 13.1.1): "*" alone, tags separated by commas, etagc
       inside the quotes (all accepted before: found by fuzz_preconditions) */
    ck_assert(parse_preconditions(" * ", "", pre) && pre.if_match_any);
    ck_assert(parse_preconditions(", \"a\",, W/\"b\" ,", "", pre));
    ck_assert_uint_eq(pre.if_match_etags.size(), 2);
    ck_assert(parse_preconditions("\"\x80\xff\"", "", pre));      /* obs-text */
    ck_assert(parse_preconditions("\"a,b\"", "", pre));             /* a comma inside */
    ck_assert_sstr_eq(pre.if_match_etags[0].c_str(), "\"a,b\"");
    ck_assert(!parse_preconditions("*, \"a\"", "", pre));
    ck_assert(!parse_preconditions("\"a\", *", "", pre));
    ck_assert(!parse_preconditions("\"a\"\"b\"", "", pre));
    ck_assert(!parse_preconditions("\"a\" \"b\"", "", pre));
    ck_assert(!parse_preconditions("\"a b\"", "", pre));
    ck_assert(!parse_preconditions("\"a\x01\"", "", pre));
    ck_assert(!parse_preconditions("w/\"a\"", "", pre));
    ck_assert(!parse_preconditions("", "\"a\"x", pre));
    ck_assert_sstr_eq(etag_for(0x5f5e100, 0x10).c_str(), "\"5f5e100-10\"");
}
END_TEST

/* A present but empty header is refused, not taken for an absent one, and
   a refusal says which header and why. */
START_TEST(test_parse_precondition_refusals)
{
    typedef std::optional<std::string_view> Field;
    Preconditions pre;
    PreconditionRefusal why;

    ck_assert(parse_preconditions(std::nullopt, Field(" W/\"b\", \"c\""), pre, why));
    ck_assert(!pre.if_none_match_any && !pre.if_match_any && pre.if_match_etags.empty());
    ck_assert_uint_eq(pre.if_none_match_etags.size(), 2);
    ck_assert_sstr_eq(pre.if_none_match_etags[0].c_str(), "W/\"b\"");
    ck_assert_sstr_eq(pre.if_none_match_etags[1].c_str(), "\"c\"");
    ck_assert(parse_preconditions(Field("*"), Field("*"), pre, why));
    ck_assert(pre.if_match_any && pre.if_none_match_any);
    ck_assert(pre.if_match_etags.empty() && pre.if_none_match_etags.empty());

    struct {
        Field im, inm;
        const char *header, *value, *detail;
    } bad[] = {
        {Field(""), std::nullopt, "If-Match", "", "If-Match is empty"},
        {Field("\"a\""), Field(" "), "If-None-Match", " ", "If-None-Match is empty"},
        {Field("*, *"), std::nullopt, "If-Match", "*, *",
         "If-Match is \"*\" alone or entity-tags, not both"},
        {std::nullopt, Field("\"a\", *"), "If-None-Match", "\"a\", *",
         "If-None-Match is \"*\" alone or entity-tags, not both"},
        {Field(", ,"), std::nullopt, "If-Match", ", ,", "If-Match has no entity-tag"},
        {Field("\"a\" x"), std::nullopt, "If-Match", "\"a\" x",
         "If-Match is not a list of entity-tags (\"tag\", W/\"tag\")"},
        {Field("\"a\""), Field("\"b"), "If-None-Match", "\"b",
         "If-None-Match is not a list of entity-tags (\"tag\", W/\"tag\")"},
    };
    for (const auto &b : bad) {
        ck_assert(!parse_preconditions(b.im, b.inm, pre, why));
        ck_assert_sstr_eq(why.header, b.header);
        ck_assert_sstr_eq(std::string(why.value).c_str(), b.value);
        ck_assert_sstr_eq(why.detail, b.detail);
    }
}
END_TEST

START_TEST(test_destructor_removes_temp)
{
    {
        TargetFile f;
        FsError e;
        ck_assert(open_file(f, {"x.bin"}, {}, {}, e) == Outcome::ok);
        ck_assert(f.write_at("abc", 3, 0, e));
        ck_assert_int_eq(temp_files(root), 1);
    }
    ck_assert_int_eq(temp_files(root), 0);
    ck_assert_int_eq(access((root + "/x.bin").c_str(), F_OK), -1);
}
END_TEST

Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_create_write_commit);
    tcase_add_test(tc, test_no_clobber_when_target_appears);
    tcase_add_test(tc, test_overwrite_replaces);
    tcase_add_test(tc, test_exists_without_overwrite);
    tcase_add_test(tc, test_symlink_escape_refused);
    tcase_add_test(tc, test_file_as_directory);
    tcase_add_test(tc, test_create_dirs_off);
    tcase_add_test(tc, test_missing_root_is_created);
    tcase_add_test(tc, test_relative_root_refused);
    tcase_add_test(tc, test_preconditions);
    tcase_add_test(tc, test_parse_preconditions);
    tcase_add_test(tc, test_parse_precondition_refusals);
    tcase_add_test(tc, test_destructor_removes_temp);
    suite_add_tcase(s, tc);

    return s;
}
