/* Upload resources (records of finished uploads, query, termination) and
 * concatenations of parts, on a real filesystem. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "engine/concat.hpp"
#include "engine/resource.hpp"
#include "engine/resumable.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

static std::string root;

static void setup(void)
{
    root = ck_make_temp_dir("check_concat");
}

static void teardown(void)
{
    ck_remove_tree(root);
}

static std::string body(std::size_t n, unsigned seed)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i++) {
        s[i] = (char) ((i * 131 + i / 7 + seed * 17) & 0xff);
    }
    return s;
}

static PartialStore store(void)
{
    return PartialStore(root, StoreOptions());
}

static Target file(const char *remote, std::vector<std::string> segments)
{
    Target t;
    t.root = root;
    t.remote_path = remote;
    t.segments = std::move(segments);
    return t;
}

static Target none(void)
{
    Target t;
    t.root = root;
    return t;
}

static Creation tus(bool part, bool record)
{
    Creation c;
    c.protocol = "tus";
    c.part = part;
    c.record = record;
    return c;
}

/* a tus upload of "data" in one request: created, then appended */
static std::string upload(const std::string &data, bool part, Target t, std::int64_t now = 10)
{
    std::string id = PartialStore::new_id();
    FsError e;

    UploadRequest c;
    c.total = data.size();
    c.end = 0;
    c.append = true;
    Target j = none();
    j.digest = t.digest;    /* the append's bigupload_digest: the same */
    ResumableUpload create(store(), id, "", std::move(t), c, Bind::create, tus(part, !part));
    ck_assert(create.open(now, e) == Outcome::ok);
    ck_assert(create.finish(true, false, now, e)
              == (data.empty() ? (part ? Outcome::kept : Outcome::created) : Outcome::incomplete));

    if (!data.empty()) {
        UploadRequest a;
        a.append = true;
        a.end = data.size();
        ResumableUpload patch(store(), id, "", j, a, Bind::join, tus(false, true));
        ck_assert(patch.open(now, e) == Outcome::ok);
        ck_assert(patch.write(data.data(), data.size(), now, e) == Outcome::ok);
        ck_assert(patch.finish(true, false, now, e) == (part ? Outcome::kept : Outcome::created));
    }
    return id;
}

static bool exists(const std::string &rel)
{
    return access((root + "/" + rel).c_str(), F_OK) == 0;
}

/* a finished upload leaves a record: HEAD finds it done, PATCH cannot write */
START_TEST(test_record)
{
    std::string data = body(3000, 1);
    std::string id = upload(data, false, file("/d/f.bin", {"d", "f.bin"}));
    FsError e;

    ck_assert(ck_slurp(root + "/d/f.bin") == data);
    ck_assert(!exists(".bigupload/" + id + ".data"));
    ck_assert(exists(".bigupload/" + id + ".state"));

    PartialStore s = store();
    ResourceInfo info;
    ck_assert(query_resource(s, id, "tus", 3600, 20, info, e) == Outcome::ok);
    ck_assert(info.state.finished);
    ck_assert_sstr_eq(info.state.path, "/d/f.bin");
    ck_assert_uint_eq(*info.state.length, 3000);
    ck_assert(info.target.exists);
    ck_assert_sstr_eq(info.target.digest.hex(), sha256_hex(data.data(), data.size()));

    /* the status lists no partial for it */
    std::vector<PartialListing> l;
    ck_assert(s.list(3600, l, e));
    ck_assert(l.empty());

    /* nothing more to write */
    UploadRequest a;
    a.append = true;
    a.start = 3000;
    a.end = 3000;
    ResumableUpload more(store(), id, "", none(), a, Bind::join, tus(false, true));
    ck_assert(more.open(30, e) == Outcome::finished);
    ck_assert(more.state().finished);

    /* another file at the target: no digest of it is this upload's */
    { std::ofstream f(root + "/d/f.bin", std::ios::trunc); f << "other"; }
    ck_assert(query_resource(s, id, "tus", 3600, 20, info, e) == Outcome::ok);
    ck_assert(!info.target.exists);
    ck_assert(!info.target.digest.known());

    /* terminated: the record goes, the file stays */
    ck_assert(terminate_resource(s, id, "tus", 3600, 20, info, e) == Outcome::ok);
    ck_assert(info.state.finished);
    ck_assert(!exists(".bigupload/" + id + ".state"));
    ck_assert(exists("d/f.bin"));
    ck_assert(query_resource(s, id, "tus", 3600, 20, info, e) == Outcome::not_found);
    ck_assert(terminate_resource(s, id, "tus", 3600, 20, info, e) == Outcome::not_found);
    ck_assert(!exists(".bigupload/" + id + ".lock"));
}
END_TEST

/* an id is found only by its own protocol, and not once it expired */
START_TEST(test_resource_protocol_and_expiry)
{
    std::string id = PartialStore::new_id();
    FsError e;

    UploadRequest c;
    c.total = 100;
    Creation ietf;
    ietf.protocol = "ietf";
    ResumableUpload create(store(), id, "", file("/x", {"x"}), c, Bind::create, ietf);
    ck_assert(create.open(1000, e) == Outcome::ok);
    ck_assert(create.finish(true, false, 1000, e) == Outcome::incomplete);

    PartialStore s = store();
    ResourceInfo info;
    ck_assert(query_resource(s, id, "tus", 0, 1000, info, e) == Outcome::not_found);
    ck_assert(info.state.path.empty());
    ck_assert(terminate_resource(s, id, "tus", 0, 1000, info, e) == Outcome::not_found);
    ck_assert(exists(".bigupload/" + id + ".state"));

    UploadRequest a;
    a.append = true;
    ResumableUpload wrong(store(), id, "", none(), a, Bind::join, tus(false, true));
    ck_assert(wrong.open(1000, e) == Outcome::not_found);

    /* an id that is not there leaves nothing, not even its lock file */
    std::string nobody = PartialStore::new_id();
    ResumableUpload none_there(store(), nobody, "", none(), a, Bind::join, tus(false, true));
    ck_assert(none_there.open(1000, e) == Outcome::not_found);
    ck_assert(!exists(".bigupload/" + nobody + ".lock"));

    ck_assert(query_resource(s, id, "ietf", 60, 1060, info, e) == Outcome::ok);
    ck_assert(!info.state.finished);
    /* idle for longer than allowed: gone, before any sweep */
    ck_assert(query_resource(s, id, "ietf", 60, 1061, info, e) == Outcome::not_found);
    a.max_idle = 60;
    ResumableUpload late(store(), id, "", none(), a, Bind::join, ietf);
    ck_assert(late.open(1061, e) == Outcome::not_found);
    ResumableUpload soon(store(), id, "", none(), a, Bind::join, ietf);
    ck_assert(soon.open(1060, e) == Outcome::ok);

    /* a native partial (keyed) is no resource */
    ck_assert(query_resource(s, "abc", "", 0, 1, info, e) == Outcome::not_found);
}
END_TEST

/* records expire with the sweep but are not counted as expired partials */
START_TEST(test_record_swept)
{
    std::string done = upload(body(10, 2), false, file("/a", {"a"}), 100);
    std::string part = upload(body(10, 3), true, none(), 100);
    FsError e;

    PartialStore s = store();
    ck_assert(exists(".bigupload/" + part + ".state"));
    ck_assert(exists(".bigupload/" + part + ".data"));
    ck_assert_int_eq(s.sweep(150, 60, e), 0);
    ck_assert(exists(".bigupload/" + part + ".state"));
    ck_assert(exists(".bigupload/" + done + ".state"));
    ck_assert_int_eq(s.sweep(200, 60, e), 1);
    ck_assert(!exists(".bigupload/" + done + ".state"));
    ck_assert(!exists(".bigupload/" + part + ".state"));
    ck_assert(exists("a"));
}
END_TEST

START_TEST(test_concatenation)
{
    std::string a = body(1500000, 4), b = body(777, 5), c;
    std::string pa = upload(a, true, none());
    std::string pb = upload(b, true, none());
    std::string pc = upload(c, true, none());
    std::string fid = PartialStore::new_id();
    FsError e;

    /* parts go nowhere, and are kept once complete */
    ck_assert(exists(".bigupload/" + pa + ".data"));

    Creation cr = tus(false, true);
    cr.metadata = "filename YWIuYmlu";
    cr.concat = "final;/u/.bigupload/" + pa + " /u/.bigupload/" + pb;
    ConcatUpload f(store(), fid, {pa, pb, pc, pa}, file("/d/ab.bin", {"d", "ab.bin"}), cr, 3600, 0);
    ck_assert(f.open(20, e) == Outcome::ok);
    ck_assert(!f.hashing());
    ck_assert(f.pending());
    ck_assert(!f.temp_path().empty());
    ck_assert_uint_eq(f.size(), 2 * a.size() + b.size());
    ck_assert(f.finish(true, false, 20, e) == Outcome::created);

    std::string whole = a + b + c + a;
    ck_assert(ck_slurp(root + "/d/ab.bin") == whole);
    ck_assert_sstr_eq(f.sha256(), sha256_hex(whole.data(), whole.size()));
    ck_assert_sstr_eq(f.remote_path(), "/d/ab.bin");
    /* every byte moved by the kernel (or shared); read to hash once, except
     * the first part, whose saved hash state the file's hash continues */
    ck_assert_uint_eq(f.stats().copied_by_kernel + f.stats().copied_by_user, whole.size());
    ck_assert_uint_eq(f.stats().hashed, whole.size() - a.size());
    ck_assert(!f.pending());

    /* the parts are spent (each once, no lock file left of the one named
     * twice); the final is recorded */
    ck_assert(!exists(".bigupload/" + pa + ".data"));
    ck_assert(!exists(".bigupload/" + pb + ".state"));
    ck_assert(!exists(".bigupload/" + pa + ".lock"));
    ck_assert(!exists(".bigupload/" + pc + ".lock"));
    PartialStore s = store();
    ResourceInfo info;
    ck_assert(query_resource(s, fid, "tus", 3600, 20, info, e) == Outcome::ok);
    ck_assert(info.state.finished);
    ck_assert_sstr_eq(info.state.concat, cr.concat);
    ck_assert_sstr_eq(info.state.metadata, "filename YWIuYmlu");
    ck_assert_uint_eq(*info.state.length, whole.size());
    ck_assert_sstr_eq(info.target.digest.hex(), f.sha256());

    /* a PATCH of the final finds it finished (the front-end's 403) */
    UploadRequest p;
    p.append = true;
    ResumableUpload patch(store(), fid, "", none(), p, Bind::join, tus(false, true));
    ck_assert(patch.open(21, e) == Outcome::finished);
    ck_assert_sstr_eq(patch.state().concat, cr.concat);

    /* and the spent parts cannot make another */
    ConcatUpload again(store(), PartialStore::new_id(), {pa}, file("/d/x", {"d", "x"}), cr, 0, 0);
    ck_assert(again.open(22, e) == Outcome::not_found);
    ck_assert_uint_eq(again.bad_part(), 0);
}
END_TEST

START_TEST(test_concatenation_refusals)
{
    std::string a = body(100, 6);
    std::string done = upload(a, true, none());
    std::string plain = upload(a, false, file("/p", {"p"}));
    FsError e;
    Creation cr = tus(false, true);

    /* an incomplete part */
    std::string half = PartialStore::new_id();
    UploadRequest c;
    c.total = 10;
    ResumableUpload create(store(), half, "", none(), c, Bind::create, tus(true, false));
    ck_assert(create.open(1, e) == Outcome::ok);
    ck_assert(create.finish(true, false, 1, e) == Outcome::incomplete);
    ConcatUpload f1(store(), PartialStore::new_id(), {done, half}, file("/f", {"f"}), cr, 0, 0);
    ck_assert(f1.open(2, e) == Outcome::incomplete);
    ck_assert_uint_eq(f1.bad_part(), 1);

    /* not a part, not there, of another protocol */
    ConcatUpload f2(store(), PartialStore::new_id(), {plain}, file("/f", {"f"}), cr, 0, 0);
    ck_assert(f2.open(2, e) == Outcome::not_found);
    ConcatUpload f3(store(), PartialStore::new_id(), {PartialStore::new_id()}, file("/f", {"f"}),
                    cr, 0, 0);
    ck_assert(f3.open(2, e) == Outcome::not_found);
    Creation other = cr;
    other.protocol = "ietf";
    ConcatUpload f4(store(), PartialStore::new_id(), {done}, file("/f", {"f"}), other, 0, 0);
    ck_assert(f4.open(2, e) == Outcome::not_found);

    /* more than bigupload_max_size */
    ConcatUpload f5(store(), PartialStore::new_id(), {done, done}, file("/f", {"f"}), cr, 0, 150);
    ck_assert(f5.open(2, e) == Outcome::beyond_length);

    /* the target: there already (overwrite off), or a precondition */
    ConcatUpload f6(store(), PartialStore::new_id(), {done}, file("/p", {"p"}), cr, 0, 0);
    ck_assert(f6.open(2, e) == Outcome::exists);
    Target t = file("/q", {"q"});
    t.pre.if_match_any = true;
    ConcatUpload f7(store(), PartialStore::new_id(), {done}, t, cr, 0, 0);
    ck_assert(f7.open(2, e) == Outcome::precondition_failed);

    /* a file appears at the target meanwhile: the parts stay */
    ConcatUpload f8(store(), PartialStore::new_id(), {done}, file("/r", {"r"}), cr, 0, 0);
    ck_assert(f8.open(2, e) == Outcome::ok);
    { std::ofstream o(root + "/r"); o << "first"; }
    ck_assert(f8.finish(true, false, 2, e) == Outcome::appeared);
    ck_assert(ck_slurp(root + "/r") == "first");
    ck_assert(exists(".bigupload/" + done + ".data"));
    f8.discard();

    /* a part that goes away between open and finish */
    ConcatUpload f9(store(), PartialStore::new_id(), {done}, file("/s", {"s"}), cr, 0, 0);
    ck_assert(f9.open(2, e) == Outcome::ok);
    PartialStore s = store();
    ResourceInfo info;
    ck_assert(terminate_resource(s, done, "tus", 0, 2, info, e) == Outcome::ok);
    ck_assert(f9.finish(true, false, 2, e) == Outcome::cancelled);
    ck_assert(!exists("s"));
    f9.abort(false, false, 2, e);
    ck_assert(!f9.pending());
}
END_TEST

/* copy_range: by the kernel between regular files, by hand where it does
 * not take them (a character device), never padding a short source */
START_TEST(test_copy_range)
{
    std::string data = body(3 << 20, 7);
    CkTempFile in(data);
    std::string out_path = root + "/out";
    int in_fd = open(in.path.c_str(), O_RDONLY);
    int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert(in_fd >= 0 && out_fd >= 0);

    ConcatStats st;
    ck_assert(copy_range(in_fd, 100, out_fd, 5, data.size() - 100, st));
    ck_assert_uint_eq(st.copied_by_kernel + st.copied_by_user, data.size() - 100);
    std::string got = ck_slurp(out_path);
    ck_assert_uint_eq(got.size(), data.size() - 95);
    ck_assert(got.substr(0, 5) == std::string(5, '\0'));
    ck_assert(got.substr(5) == data.substr(100));

    /* copy_file_range refuses a device: read and write by hand */
    int zero = open("/dev/zero", O_RDONLY);
    ck_assert(zero >= 0);
    st = ConcatStats();
    ck_assert(copy_range(zero, 0, out_fd, 0, (1 << 20) + 5, st));
    ck_assert_uint_eq(st.copied_by_kernel, 0);
    ck_assert_uint_eq(st.copied_by_user, (1 << 20) + 5);
    ck_assert(ck_slurp(out_path).substr(0, (1 << 20) + 5) == std::string((1 << 20) + 5, '\0'));
    close(zero);

    /* a source shorter than asked fails, it does not pad */
    st = ConcatStats();
    ck_assert(!copy_range(in_fd, 0, out_fd, 0, data.size() + 1, st));
    close(out_fd);

    /* an append-only destination is refused (EBADF), not written wrong */
    out_fd = open(out_path.c_str(), O_WRONLY | O_APPEND);
    st = ConcatStats();
    ck_assert(!copy_range(in_fd, 0, out_fd, 0, 10, st));
    close(out_fd);
    close(in_fd);
}
END_TEST

/* with a CRC as bigupload_digest the parts' CRCs combine: the file's
 * digest needs no byte read back */
START_TEST(test_concat_crc_combines)
{
    std::string a = body(1000003, 6), b = body(65537, 7);
    Target pt = none();
    pt.digest = DigestAlg::crc64nvme;
    std::string pa = upload(a, true, pt);
    std::string pb = upload(b, true, pt);
    FsError e;

    Target t = file("/crc.bin", {"crc.bin"});
    t.digest = DigestAlg::crc64nvme;
    ConcatUpload f(store(), PartialStore::new_id(), {pb, pa}, t, tus(false, false), 3600, 0);
    ck_assert(f.open(20, e) == Outcome::ok);
    ck_assert(f.finish(true, false, 20, e) == Outcome::created);

    std::string whole = b + a;
    ck_assert(ck_slurp(root + "/crc.bin") == whole);
    ck_assert(f.digest().alg == DigestAlg::crc64nvme);
    ck_assert(f.digest().raw == digest_of(DigestAlg::crc64nvme, whole.data(), whole.size()));
    ck_assert_uint_eq(f.stats().hashed, 0);
}
END_TEST

Suite *concat_suite(void)
{
    Suite *s = suite_create("concat");
    TCase *tc = tcase_create("fs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_concat_crc_combines);
    tcase_add_test(tc, test_record);
    tcase_add_test(tc, test_resource_protocol_and_expiry);
    tcase_add_test(tc, test_record_swept);
    tcase_add_test(tc, test_concatenation);
    tcase_add_test(tc, test_concatenation_refusals);
    tcase_add_test(tc, test_copy_range);
    suite_add_tcase(s, tc);
    return s;
}
