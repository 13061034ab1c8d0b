/* A form's upload: a multipart body fed in pieces becomes files in a
 * directory, all or nothing, and its fields; every refusal leaves nothing. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include "base/digest.hpp"
#include "proto/form_upload.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

static std::string root;

static void setup(void)
{
    root = ck_make_temp_dir("check_form_upload");
}

static void teardown(void)
{
    ck_remove_tree(root);
}

static void ck_write_file(const std::string &path, const std::string &content)
{
    std::ofstream f(path, std::ios::binary);
    f << content;
    ck_assert(f.good());
}

static const char *B = "XyZ";

/* a part: a field, or a file when "filename" is not null */
static std::string part(const char *name, const char *filename, const std::string &data)
{
    std::string s = std::string("--") + B + "\r\nContent-Disposition: form-data; name=\"" + name
                    + "\"";
    if (filename) {
        s += std::string("; filename=\"") + filename + "\"\r\nContent-Type: text/plain";
    }
    return s + "\r\n\r\n" + data + "\r\n";
}

static std::string close_delim(void)
{
    return std::string("--") + B + "--\r\n";
}

/* the request's directory "/<dir>/" ("" for the store itself) */
static Target dir(const char *d, bool overwrite = false)
{
    Target t;
    t.root = root;
    t.remote_path = *d ? std::string("/") + d + "/" : std::string("/");
    if (*d) {
        t.segments = {d};
    }
    t.opt.overwrite = overwrite;
    return t;
}

/* feeds "body" in pieces of "piece" bytes, then finishes */
static Outcome run(FormUpload &u, const std::string &body, std::size_t piece = 7)
{
    FsError e;

    Outcome o = u.open(0, e);
    if (o != Outcome::ok) {
        return o;
    }
    for (std::size_t at = 0; at < body.size(); at += piece) {
        std::string copy = body.substr(at, piece);   /* the buffer goes away */
        o = u.write_at(copy.data(), copy.size(), at, 0, e);
        if (o != Outcome::ok) {
            u.abort(false, false, 0, e);
            return o;
        }
    }
    o = u.finish(true, false, 0, e);
    if (o != Outcome::created && o != Outcome::replaced && u.pending()) {
        u.abort(false, false, 0, e);
    }
    return o;
}

/* every name below "d", recursively, "" when none */
static std::set<std::string> tree(const std::string &d, const std::string &prefix = "")
{
    std::set<std::string> out;
    DIR *dp = opendir(d.c_str());
    if (dp == nullptr) {
        return out;
    }
    while (struct dirent *de = readdir(dp)) {
        std::string n = de->d_name;
        if (n == "." || n == "..") {
            continue;
        }
        out.insert(prefix + n);
        if (de->d_type == DT_DIR) {
            for (const auto &s : tree(d + "/" + n, prefix + n + "/")) {
                out.insert(s);
            }
        }
    }
    closedir(dp);
    return out;
}

START_TEST(test_three_files_and_fields)
{
    std::string a = ck_pattern(100000, 1), c = "";
    std::string body = part("title", nullptr, "Holiday") + part("f", "a.bin", a)
                       + part("f", "b.txt", "bee") + part("tag", nullptr, "x")
                       + part("f", "c.txt", c) + close_delim();

    /* any cut of the body gives the same files */
    for (std::size_t piece : {1, 5, 7, 4096, 1 << 20}) {
        ck_remove_tree(root);
        ck_assert_int_eq(mkdir(root.c_str(), 0700), 0);

        FormUpload u(dir("d"), B, FormUploadLimits());
        ck_assert(run(u, body, piece) == Outcome::created);

        ck_assert_uint_eq(u.files().size(), 3);
        ck_assert_sstr_eq(u.files()[0].remote_path, "/d/a.bin");
        ck_assert_sstr_eq(u.files()[0].field, "f");
        ck_assert_sstr_eq(u.files()[0].content_type, "text/plain");
        ck_assert_sstr_eq(u.files()[0].upload->sha256(), sha256_hex(a.data(), a.size()));
        ck_assert_uint_eq(u.files()[0].upload->size(), a.size());
        ck_assert_sstr_eq(u.files()[1].upload->sha256(), sha256_hex("bee", 3));
        ck_assert_uint_eq(u.files()[2].upload->size(), 0);
        ck_assert_uint_eq(u.size(), a.size() + 3);
        ck_assert(u.files()[2].outcome == Outcome::created);

        ck_assert_sstr_eq(ck_slurp(root + "/d/a.bin"), a);
        ck_assert_sstr_eq(ck_slurp(root + "/d/b.txt"), "bee");
        ck_assert_sstr_eq(ck_slurp(root + "/d/c.txt"), "");
        ck_assert_uint_eq(tree(root).size(), 4);   /* d and its three files */

        ck_assert_uint_eq(u.fields().size(), 2);
        ck_assert_sstr_eq(u.fields()[0].name, "title");
        ck_assert_sstr_eq(u.fields()[0].value, "Holiday");
        ck_assert_sstr_eq(u.fields()[1].name, "tag");
        ck_assert_sstr_eq(u.fields()[1].value, "x");

        ck_assert_uint_eq(u.stored().size(), 3);
        ck_assert_sstr_eq(u.stored()[1].path, root + "/d/b.txt");
        ck_assert(!u.pending());
    }
}
END_TEST

START_TEST(test_empty_file_input_is_no_file)
{
    /* a browser's empty file input: filename="" and no data */
    std::string body = part("f", "", "") + part("g", "x.txt", "x") + close_delim();
    FormUpload u(dir(""), B, FormUploadLimits());

    ck_assert(run(u, body) == Outcome::created);
    ck_assert_uint_eq(u.files().size(), 1);
    ck_assert_sstr_eq(ck_slurp(root + "/x.txt"), "x");

    /* only empty inputs: no file at all */
    FormUpload v(dir("e"), B, FormUploadLimits());
    ck_assert(run(v, part("f", "", "") + close_delim()) == Outcome::refused);
    ck_assert(v.refusal().error == Error::form_no_file);

    /* an unnamed file part that holds data is refused */
    FormUpload w(dir("e"), B, FormUploadLimits());
    ck_assert(run(w, part("f", "", "data") + close_delim()) == Outcome::refused);
    ck_assert(w.refusal().error == Error::form_unnamed_data);
}
END_TEST

/* each refusal leaves nothing: not the file being written, not the files of
 * the same form before it */
START_TEST(test_refusals_leave_nothing)
{
    std::string ok = part("f", "first.txt", "one");
    struct {
        std::string body;
        Error error;
        const char *value;
    } cases[] = {
        { ok + part("f", "../evil.txt", "x") + close_delim(), Error::form_bad_filename,
          "../evil.txt" },
        { ok + part("f", "a/../../b", "x") + close_delim(), Error::form_bad_filename,
          "a/../../b" },
        { ok + part("f", "/etc/passwd", "x") + close_delim(), Error::form_bad_filename,
          "/etc/passwd" },
        { ok + part("f", "C:\\x.txt", "x") + close_delim(), Error::form_bad_filename,
          "C:\\x.txt" },
        { ok + part("f", ".bigupload-x", "x") + close_delim(), Error::form_bad_filename,
          ".bigupload-x" },
        { ok + part("f", "first.txt", "again") + close_delim(), Error::form_duplicate_file,
          "first.txt" },
        /* the boundary inside a file's data, then garbage */
        { ok + "--" + B + "garbage\r\n" + close_delim(), Error::bad_form, "form_bad_delimiter" },
        /* a part without its end */
        { ok + part("f", "second.txt", "two").substr(0, 60), Error::bad_form,
          "form_truncated" },
        /* no close delimiter at all */
        { ok, Error::bad_form, "form_truncated" },
        /* huge headers */
        { ok + "--" + B + "\r\nX-Pad: " + std::string(9000, 'p') + "\r\n\r\n",
          Error::bad_form, "form_headers_too_long" },
    };

    for (const auto &c : cases) {
        ck_remove_tree(root);
        ck_assert_int_eq(mkdir(root.c_str(), 0700), 0);

        FormUpload u(dir("d"), B, FormUploadLimits());
        ck_assert_msg(run(u, c.body) == Outcome::refused, "%s", c.value);
        ck_assert_msg(u.refusal().error == c.error, "%s", c.value);
        ck_assert_sstr_eq(u.refusal().value, c.value);
        ck_assert(!u.pending());
        /* the directory, empty */
        ck_assert_msg(tree(root) == std::set<std::string>{"d"}, "%s leaves files", c.value);
    }
}
END_TEST

START_TEST(test_sub_directories_of_a_directory_input)
{
    /* <input webkitdirectory> sends names with "/" */
    std::string body = part("f", "album/one.txt", "1") + part("f", "album/sub/two.txt", "2")
                       + close_delim();
    FormUpload u(dir("d"), B, FormUploadLimits());

    ck_assert(run(u, body) == Outcome::created);
    ck_assert_sstr_eq(ck_slurp(root + "/d/album/one.txt"), "1");
    ck_assert_sstr_eq(ck_slurp(root + "/d/album/sub/two.txt"), "2");
}
END_TEST

START_TEST(test_limits)
{
    FormUploadLimits l;

    l.max_file = 10;
    {
        FormUpload u(dir("d"), B, l);
        ck_assert(run(u, part("f", "small", std::string(10, 's')) + close_delim())
                  == Outcome::created);
    }
    {
        FormUpload u(dir("d"), B, l);
        ck_assert(run(u, part("f", "ok", "1") + part("f", "big", std::string(11, 'b'))
                         + close_delim())
                  == Outcome::refused);
        ck_assert(u.refusal().error == Error::form_file_too_large);
        ck_assert_int_eq(u.refusal().limit, 10);
        ck_assert_sstr_eq(u.refusal().value, "big");
        ck_assert_int_eq(access((root + "/d/ok").c_str(), F_OK), -1);
    }

    l = FormUploadLimits();
    l.max_files = 2;
    {
        FormUpload u(dir("m"), B, l);
        ck_assert(run(u, part("f", "1", "") + part("f", "2", "") + part("f", "3", "")
                         + close_delim())
                  == Outcome::refused);
        ck_assert(u.refusal().error == Error::form_too_many_files);
    }

    l = FormUploadLimits();
    l.max_fields = 10;   /* names and values: "ab" + "12345678" fits */
    {
        FormUpload u(dir("k"), B, l);
        ck_assert(run(u, part("ab", nullptr, "12345678") + part("f", "x", "") + close_delim())
                  == Outcome::created);
    }
    {
        FormUpload u(dir("k2"), B, l);
        ck_assert(run(u, part("ab", nullptr, "123456789") + part("f", "x", "")
                         + close_delim())
                  == Outcome::refused);
        ck_assert(u.refusal().error == Error::form_fields_too_large);
    }

    l = FormUploadLimits();
    std::string body = part("f", "x", std::string(100, 'x')) + close_delim();
    l.max_body = body.size();
    {
        FormUpload u(dir("b"), B, l);
        ck_assert(run(u, body) == Outcome::created);
    }
    l.max_body = body.size() - 1;
    {
        FormUpload u(dir("b2"), B, l);
        ck_assert(run(u, body) == Outcome::refused);
        ck_assert(u.refusal().error == Error::form_too_large);
        ck_assert_int_eq(access((root + "/b2/x").c_str(), F_OK), -1);
    }
}
END_TEST

START_TEST(test_exists_and_overwrite)
{
    std::string body = part("f", "new.txt", "n") + part("f", "old.txt", "replacement")
                       + close_delim();

    ck_assert_int_eq(mkdir((root + "/d").c_str(), 0700), 0);
    ck_write_file(root + "/d/old.txt", "old");

    /* overwrite off: the second file exists, the first is not kept */
    FormUpload u(dir("d"), B, FormUploadLimits());
    ck_assert(run(u, body) == Outcome::exists);
    ck_assert_int_eq(access((root + "/d/new.txt").c_str(), F_OK), -1);
    ck_assert_sstr_eq(ck_slurp(root + "/d/old.txt"), "old");
    ck_assert_uint_eq(tree(root).size(), 2);

    /* on: replaced, and the form as a whole created one */
    FormUpload v(dir("d", true), B, FormUploadLimits());
    ck_assert(run(v, body) == Outcome::created);
    ck_assert(v.files()[1].outcome == Outcome::replaced);
    ck_assert_sstr_eq(ck_slurp(root + "/d/old.txt"), "replacement");

    /* every file replaced: replaced */
    FormUpload w(dir("d", true), B, FormUploadLimits());
    ck_assert(run(w, body) == Outcome::replaced);
}
END_TEST

START_TEST(test_a_rename_that_fails_rolls_back)
{
    /* the second target appears while the form streams: the first file,
     * already renamed, goes again */
    std::string body = part("f", "one.txt", "1") + part("f", "two.txt", "2") + close_delim();
    FormUpload u(dir("d"), B, FormUploadLimits());
    FsError e;

    ck_assert(u.open(0, e) == Outcome::ok);
    ck_assert(u.write_at(body.data(), body.size(), 0, 0, e) == Outcome::ok);
    ck_write_file(root + "/d/two.txt", "theirs");
    ck_assert(u.finish(true, false, 0, e) == Outcome::appeared);
    ck_assert(!u.pending());
    ck_assert_int_eq(access((root + "/d/one.txt").c_str(), F_OK), -1);
    ck_assert_sstr_eq(ck_slurp(root + "/d/two.txt"), "theirs");
    ck_assert_uint_eq(u.stored().size(), 0);
    ck_assert_uint_eq(tree(root).size(), 2);
}
END_TEST

START_TEST(test_discard_and_non_ascii)
{
    /* a UTF-8 name is a name like any other */
    std::string name = "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt";
    std::string body = part("f", name.c_str(), "u") + close_delim();
    {
        FormUpload u(dir(""), B, FormUploadLimits());
        ck_assert(run(u, body) == Outcome::created);
        ck_assert_sstr_eq(ck_slurp(root + "/" + name), "u");
    }

    /* a worker that goes away: discard() removes the temp files at once */
    std::string half = part("f", "a", "1") + part("f", "b", "22");
    FormUpload v(dir("x"), B, FormUploadLimits());
    FsError e;
    ck_assert(v.open(0, e) == Outcome::ok);
    ck_assert(v.write_at(half.data(), half.size(), 0, 0, e) == Outcome::ok);
    ck_assert(!v.temp_path().empty());
    ck_assert_uint_eq(tree(root + "/x").size(), 2);
    v.discard();
    ck_assert_uint_eq(tree(root + "/x").size(), 0);
}
END_TEST

Suite *form_upload_suite(void)
{
    Suite *s = suite_create("form_upload");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_three_files_and_fields);
    tcase_add_test(tc, test_empty_file_input_is_no_file);
    tcase_add_test(tc, test_refusals_leave_nothing);
    tcase_add_test(tc, test_sub_directories_of_a_directory_input);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_exists_and_overwrite);
    tcase_add_test(tc, test_a_rename_that_fails_rolls_back);
    tcase_add_test(tc, test_discard_and_non_ascii);
    suite_add_tcase(s, tc);

    return s;
}
