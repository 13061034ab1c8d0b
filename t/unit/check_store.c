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
#include "engine/upload.hpp"

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

static OpenOutcome open_file(TargetFile &f, std::vector<std::string> segs,
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

    ck_assert(open_file(f, {"a", "b", "c.bin"}, opt, {}, e) == OpenOutcome::ok);
    ck_assert(f.has_temp());
    ck_assert_int_eq(temp_files(root + "/a/b"), 1);

    /* half-written data is never visible at the target */
    ck_assert(f.write_at("hello ", 6, 0, e));
    ck_assert_int_eq(access((root + "/a/b/c.bin").c_str(), F_OK), -1);
    ck_assert(f.write_at("world", 5, 6, e));

    ck_assert(f.commit(false, true, e) == CommitOutcome::created);
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

    ck_assert(open_file(f, {"x.bin"}, {}, {}, e) == OpenOutcome::ok);
    ck_assert(f.write_at("new", 3, 0, e));

    /* someone else finishes first */
    spit(root + "/x.bin", "old");

    ck_assert(f.commit(false, false, e) == CommitOutcome::exists);
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

    ck_assert(open_file(f, {"x.bin"}, opt, {}, e) == OpenOutcome::ok);
    ck_assert(f.write_at("new", 3, 0, e));
    ck_assert(f.commit(true, false, e) == CommitOutcome::replaced);
    ck_assert_sstr_eq(ck_slurp(root + "/x.bin").c_str(), "new");
    ck_assert_int_eq(temp_files(root), 0);
}
END_TEST

START_TEST(test_exists_without_overwrite)
{
    TargetFile f;
    FsError e;

    spit(root + "/x.bin", "old");
    ck_assert(open_file(f, {"x.bin"}, {}, {}, e) == OpenOutcome::exists);
    ck_assert(!f.has_temp());

    mkdir((root + "/d").c_str(), 0700);
    StoreOptions opt;
    opt.overwrite = true;
    ck_assert(open_file(f, {"d"}, opt, {}, e) == OpenOutcome::is_directory);
}
END_TEST

START_TEST(test_symlink_escape_refused)
{
    TargetFile f;
    FsError e;
    char outside[] = "/tmp/check_store_out.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(outside));

    ck_assert_int_eq(symlink(outside, (root + "/link").c_str()), 0);

    ck_assert(open_file(f, {"link", "evil.bin"}, {}, {}, e) == OpenOutcome::error);
    ck_assert_int_eq(e.err, ELOOP);
    ck_assert_sstr_eq(e.op.c_str(), "openat");
    ck_assert_int_eq(access((std::string(outside) + "/evil.bin").c_str(), F_OK), -1);
    ck_assert_int_eq(temp_files(outside), 0);

    /* deeper: a symlink in the middle of the path */
    mkdir((root + "/a").c_str(), 0700);
    ck_assert_int_eq(symlink(outside, (root + "/a/l").c_str()), 0);
    ck_assert(open_file(f, {"a", "l", "b", "evil.bin"}, {}, {}, e) == OpenOutcome::error);
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
    ck_assert(open_file(f, {"file", "x.bin"}, {}, {}, e) == OpenOutcome::error);
    ck_assert_int_eq(e.err, ENOTDIR);
}
END_TEST

START_TEST(test_create_dirs_off)
{
    TargetFile f;
    FsError e;
    StoreOptions opt;
    opt.create_dirs = false;

    ck_assert(open_file(f, {"missing", "x.bin"}, opt, {}, e) == OpenOutcome::error);
    ck_assert_int_eq(e.err, ENOENT);
    ck_assert_int_eq(access((root + "/missing").c_str(), F_OK), -1);
}
END_TEST

START_TEST(test_missing_root_is_created)
{
    TargetFile f;
    FsError e;
    std::string deep = root + "/users/alice";

    ck_assert(f.open(deep, {"x.bin"}, {}, {}, e) == OpenOutcome::ok);
    ck_assert(f.commit(false, false, e) == CommitOutcome::created);
    ck_assert_int_eq(access((deep + "/x.bin").c_str(), F_OK), 0);
}
END_TEST

START_TEST(test_relative_root_refused)
{
    TargetFile f;
    FsError e;

    ck_assert(f.open("relative/store", {"x.bin"}, {}, {}, e) == OpenOutcome::error);
    ck_assert_int_eq(e.err, EINVAL);
    ck_assert_int_eq(access("relative", F_OK), -1);
    ck_assert(f.open("", {"x.bin"}, {}, {}, e) == OpenOutcome::error);
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
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == OpenOutcome::precondition_failed);

    /* If-Match: * against a missing file */
    ck_assert(parse_preconditions("*", "", pre));
    ck_assert(open_file(f, {"y.bin"}, opt, pre, e) == OpenOutcome::precondition_failed);

    /* If-Match with the current entity tag */
    struct stat st;
    ck_assert_int_eq(stat((root + "/x.bin").c_str(), &st), 0);
    std::string tag = etag_for(st.st_mtime, st.st_size);
    ck_assert(parse_preconditions(("\"nope\", " + tag).c_str(), "", pre));
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == OpenOutcome::ok);
    f.abort();

    ck_assert(parse_preconditions("\"nope\"", "", pre));
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == OpenOutcome::precondition_failed);

    /* a weak tag never matches If-Match */
    ck_assert(parse_preconditions(("W/" + tag).c_str(), "", pre));
    ck_assert(open_file(f, {"x.bin"}, opt, pre, e) == OpenOutcome::precondition_failed);

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
    ck_assert_sstr_eq(etag_for(0x5f5e100, 0x10).c_str(), "\"5f5e100-10\"");
}
END_TEST

START_TEST(test_destructor_removes_temp)
{
    {
        TargetFile f;
        FsError e;
        ck_assert(open_file(f, {"x.bin"}, {}, {}, e) == OpenOutcome::ok);
        ck_assert(f.write_at("abc", 3, 0, e));
        ck_assert_int_eq(temp_files(root), 1);
    }
    ck_assert_int_eq(temp_files(root), 0);
    ck_assert_int_eq(access((root + "/x.bin").c_str(), F_OK), -1);
}
END_TEST

START_TEST(test_upload_hashes_what_it_writes)
{
    Upload u(root, {"h.bin"}, StoreOptions(), Preconditions());
    FsError e;

    ck_assert(u.open(e) == OpenOutcome::ok);
    ck_assert(u.append("ab", 2, e));
    ck_assert(u.append("c", 1, e));
    ck_assert(u.commit(false, e) == CommitOutcome::created);
    ck_assert_uint_eq(u.size(), 3);
    ck_assert_sstr_eq(u.sha256().c_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_sstr_eq(ck_slurp(root + "/h.bin").c_str(), "abc");
}
END_TEST

START_TEST(test_remembered_sha256)
{
    Upload u(root, {"m.bin"}, StoreOptions(), Preconditions());
    FsError e;

    ck_assert(u.open(e) == OpenOutcome::ok);
    ck_assert(u.append("abc", 3, e));
    ck_assert(u.commit(false, e) == CommitOutcome::created);

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
    Upload u(root, {"r.bin"}, StoreOptions(), Preconditions());
    FsError e;
    const char *abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    ck_assert(u.open(e) == OpenOutcome::ok);
    ck_assert(u.append("abc", 3, e));
    ck_assert(u.commit(false, e) == CommitOutcome::created);

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
    Upload u(root, {"p.bin"}, StoreOptions(), Preconditions());
    FsError e;
    bool ok = true;

    ck_assert(u.open(e) == OpenOutcome::ok);

    /* the two halves of append() on two threads, each in order */
    std::thread hasher([&] {
        for (std::size_t off = 0; off < data.size(); off += 65536) {
            u.hash(data.data() + off, std::min<std::size_t>(65536, data.size() - off));
        }
    });
    for (std::size_t off = 0; off < data.size(); off += 100000) {
        ok = ok && u.write(data.data() + off,
                           std::min<std::size_t>(100000, data.size() - off), e);
    }
    hasher.join();

    ck_assert(ok);
    ck_assert_uint_eq(u.hashed(), data.size());
    ck_assert(u.commit(false, e) == CommitOutcome::created);
    ck_assert_uint_eq(u.size(), data.size());
    ck_assert_sstr_eq(u.sha256(), sha256_hex(data.data(), data.size()));
    ck_assert(ck_slurp(root + "/p.bin") == data);
}
END_TEST

START_TEST(test_upload_refuses_commit_with_unhashed_bytes)
{
    Upload u(root, {"u.bin"}, StoreOptions(), Preconditions());
    FsError e;
    bool thrown = false;

    ck_assert(u.open(e) == OpenOutcome::ok);
    u.hash("ab", 2);
    ck_assert(u.write("abc", 3, e));

    try {
        u.commit(false, e);
    } catch (const std::logic_error &) {
        thrown = true;
    }

    ck_assert(thrown);
    ck_assert_int_eq(access((root + "/u.bin").c_str(), F_OK), -1);
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
    tcase_add_test(tc, test_destructor_removes_temp);
    tcase_add_test(tc, test_upload_hashes_what_it_writes);
    tcase_add_test(tc, test_remembered_sha256);
    tcase_add_test(tc, test_remove_if_same);
    tcase_add_test(tc, test_upload_hash_and_write_alongside);
    tcase_add_test(tc, test_upload_refuses_commit_with_unhashed_bytes);
    suite_add_tcase(s, tc);

    return s;
}
