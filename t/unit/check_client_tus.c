/* bgclient --protocol tus|auto, the pure parts: the creation URL and name
 * (tool_tus_proto), Upload-Metadata, Location resolution, the OPTIONS
 * offer, the checksum choice, the offset answers, the parts of a parallel
 * upload, the outcome of tus's answers; the state file (tool_tus_state):
 * its directory, name, text, damaged files, save/load/remove; --protocol
 * and what auto picks (tool_protocol).  C++. */
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "base/range.hpp"
#include "tool_args.hpp"
#include "tool_exit.hpp"
#include "tool_outcome.hpp"
#include "tool_output.hpp"
#include "tool_protocol.hpp"
#include "tool_tus_proto.hpp"
#include "tool_tus_state.hpp"

#include <check.h>
#include "check_cxx.h"

using namespace bgclient;
using bigupload::ByteRange;
using bigupload::DigestAlg;

namespace {

std::string resolved(const char *base, const char *loc)
{
    auto r = tus::resolve_location(base, loc);
    return r ? *r : std::string("(none)");
}

std::string parts_text(const std::vector<ByteRange> &v)
{
    std::string s;
    for (const ByteRange &r : v) {
        s += (s.empty() ? "" : " ") + std::to_string(r.start) + "-" + std::to_string(r.end);
    }
    return s;
}

tus::Entry sample_entry()
{
    tus::Entry e;
    e.endpoint = "http://h:8083/upload/isos/";
    e.name = "big iso\n.iso";
    e.key = "5d41402abc4b2a76b9719d911017c592";
    e.size = 4294967296ull;
    e.url = "http://h:8083/upload/.tus/0123abcd";
    return e;
}

AttemptResult answer(long status, const char *repr_digest = "", const char *body = "")
{
    AttemptResult r;
    r.status = status;
    r.repr_digest = repr_digest;
    r.body = body;
    return r;
}

const char *const sha_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const char *const repr_abc = "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:";

}  // namespace

START_TEST(creation_url_and_name)
{
    tus::Target t = tus::creation_target("http://h/files", "/x.bin");
    ck_assert_sstr_eq(t.creation_url, "http://h/files/");
    ck_assert_sstr_eq(t.name, "x.bin");
    t = tus::creation_target("http://h/files/", "/isos/big.iso");
    ck_assert_sstr_eq(t.creation_url, "http://h/files/isos/");
    ck_assert_sstr_eq(t.name, "big.iso");
    t = tus::creation_target("https://h:8443", "/a b/c/d é.txt");
    ck_assert_sstr_eq(t.creation_url, "https://h:8443/a%20b/c/");
    ck_assert_sstr_eq(t.name, "d é.txt");  /* the metadata carries the bytes, not an escape */
}
END_TEST

START_TEST(metadata)
{
    ck_assert_sstr_eq(tus::metadata_value("big.iso"), "filename YmlnLmlzbw==");
    ck_assert_sstr_eq(tus::metadata_value("a b,c"), "filename YSBiLGM=");
    ck_assert_sstr_eq(tus::metadata_value("é"), "filename w6k=");
}
END_TEST

START_TEST(locations)
{
    const char *base = "http://h:1/files/isos/";
    ck_assert_sstr_eq(resolved(base, "http://o:2/up/ab12"), "http://o:2/up/ab12");
    ck_assert_sstr_eq(resolved(base, "HTTPS://o/x"), "https://o/x");
    ck_assert_sstr_eq(resolved(base, "//o:3/up/1"), "http://o:3/up/1");
    ck_assert_sstr_eq(resolved(base, "/files/ab12"), "http://h:1/files/ab12");
    ck_assert_sstr_eq(resolved(base, "ab12"), "http://h:1/files/isos/ab12");
    ck_assert_sstr_eq(resolved(base, "../ab12"), "http://h:1/files/ab12");
    ck_assert_sstr_eq(resolved(base, "./a/./b/../c"), "http://h:1/files/isos/a/c");
    ck_assert_sstr_eq(resolved(base, "/a/../../b"), "http://h:1/b");
    ck_assert_sstr_eq(resolved(base, "ab12?x=1"), "http://h:1/files/isos/ab12?x=1");
    ck_assert_sstr_eq(resolved("http://h/files", "ab"), "http://h/ab");
    ck_assert_sstr_eq(resolved(base, "  /t  "), "http://h:1/t");
    /* refused: empty, a space or control character inside, no base */
    ck_assert_sstr_eq(resolved(base, ""), "(none)");
    ck_assert_sstr_eq(resolved(base, "/a b"), "(none)");
    ck_assert_sstr_eq(resolved(base, "/a\x01"), "(none)");
    ck_assert_sstr_eq(resolved(base, "//"), "(none)");
    ck_assert_sstr_eq(resolved("not a url", "/a"), "(none)");
}
END_TEST

START_TEST(offer)
{
    tus::Offer o = tus::parse_offer(204, "1.0.0,0.2.2", "creation, termination,checksum",
                                    "1073741824", "md5, sha1 ,sha256");
    ck_assert(o.tus);
    ck_assert(o.has("creation"));
    ck_assert(o.has("termination"));
    ck_assert(!o.has("concatenation"));
    ck_assert(!o.has("creat"));
    ck_assert(o.max_size && *o.max_size == 1073741824ull);
    ck_assert(o.error.empty());
    ck_assert(tus::pick_checksum(o) == DigestAlg::sha256);

    /* another version only, no header, a failed answer: not tus */
    ck_assert(!tus::parse_offer(204, "0.2.2", "creation", "", "").tus);
    ck_assert(!tus::parse_offer(204, "", "", "", "").tus);
    ck_assert(!tus::parse_offer(405, "1.0.0", "", "", "").tus);
    ck_assert(!tus::parse_offer(0, "1.0.0", "", "", "").tus);
    ck_assert(tus::parse_offer(200, " 1.0.0 ", "", "", "").tus);

    /* a bad Tus-Max-Size is an error, not a guess */
    ck_assert(!tus::parse_offer(204, "1.0.0", "", "10M", "").error.empty());
    ck_assert(!tus::parse_offer(204, "1.0.0", "", "-1", "").error.empty());
    ck_assert(!tus::parse_offer(204, "1.0.0", "", "99999999999999999999", "").error.empty());
    ck_assert(!tus::parse_offer(204, "1.0.0", "", "", "").max_size);
}
END_TEST

START_TEST(checksum_choice)
{
    /* the strongest bgclient has, only with the extension */
    ck_assert(tus::pick_checksum(tus::parse_offer(204, "1.0.0", "checksum", "", "sha1,md5"))
              == DigestAlg::sha1);
    ck_assert(tus::pick_checksum(tus::parse_offer(204, "1.0.0", "checksum", "", "crc32"))
              == DigestAlg::crc32);
    ck_assert(!tus::pick_checksum(tus::parse_offer(204, "1.0.0", "creation", "", "sha1")));
    ck_assert(!tus::pick_checksum(tus::parse_offer(204, "1.0.0", "checksum", "", "SHA1,blake3")));
    ck_assert(!tus::pick_checksum(tus::parse_offer(204, "1.0.0", "checksum", "", "")));
    std::string raw = bigupload::digest_of(DigestAlg::sha1, "abc", 3);
    ck_assert_sstr_eq(tus::checksum_value(DigestAlg::sha1, raw), "sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
}
END_TEST

START_TEST(upload_info)
{
    tus::UploadInfo u = tus::parse_upload_info("1024", "4096");
    ck_assert(u.ok);
    ck_assert_uint_eq(u.offset, 1024);
    ck_assert(u.length && *u.length == 4096);
    u = tus::parse_upload_info("0", "");
    ck_assert(u.ok && !u.length);
    u = tus::parse_upload_info("", "10");
    ck_assert(!u.ok);
    ck_assert_sstr_eq(u.error, "the server's answer has no Upload-Offset");
    u = tus::parse_upload_info("+5", "10");
    ck_assert_sstr_eq(u.error, "the server sent a bad Upload-Offset '+5'");
    u = tus::parse_upload_info("5", "ten");
    ck_assert_sstr_eq(u.error, "the server sent a bad Upload-Length 'ten'");
    u = tus::parse_upload_info("11", "10");
    ck_assert_sstr_eq(u.error, "the server's Upload-Offset 11 is beyond its Upload-Length 10");
}
END_TEST

START_TEST(parts)
{
    const std::uint64_t MiB = 1024 * 1024;
    ck_assert_sstr_eq(parts_text(tus::split_parts(10, 4)), "0-10");
    ck_assert_sstr_eq(parts_text(tus::split_parts(2 * MiB - 1, 4)), "0-2097151");
    ck_assert_sstr_eq(parts_text(tus::split_parts(3 * MiB, 4)), "0-1048576 1048576-2097152 2097152-3145728");
    ck_assert_sstr_eq(parts_text(tus::split_parts(4 * MiB + 3, 4)),
                      "0-1048577 1048577-2097154 2097154-3145731 3145731-4194307");
    ck_assert_sstr_eq(parts_text(tus::split_parts(100 * MiB, 1)), "0-104857600");
    ck_assert_sstr_eq(parts_text(tus::split_parts(0, 4)), "0-0");
    ck_assert_sstr_eq(tus::concat_final_value({"/f/a", "http://h/f/b"}), "final;/f/a http://h/f/b");
}
END_TEST

START_TEST(outcomes)
{
    OutcomeInput in;
    in.url = "http://h/files/x.bin";
    in.local_digest = sha_abc;
    in.local_size = 3;
    tus::Facts done;
    done.completed = true;
    done.method = "PATCH";

    /* complete: Repr-Digest checked when sent, else unverified success */
    Outcome o = tus::classify(answer(204, repr_abc), in, done);
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert_sstr_eq(o.verified_digest, sha_abc);
    o = tus::classify(answer(204), in, done);
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert(o.verified_digest.empty());
    o = tus::classify(answer(204, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"), in, done);
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert_sstr_eq(o.message, std::string("integrity mismatch: sent sha256 ") + sha_abc
                                     + ", the server stored sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    tus::Facts patch;
    patch.method = "PATCH";
    patch.request_url = "http://h/files/ab12";
    o = tus::classify(answer(460), in, patch);
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(o.retryable);
    ck_assert_sstr_eq(o.message, "the server found the checksum of the bytes sent wrong (HTTP 460,"
                                 " to PATCH http://h/files/ab12): it discarded them");
    o = tus::classify(answer(409), in, patch);
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(o.retryable);
    ck_assert_sstr_eq(o.message, "the server's offset of http://h/files/ab12 moved (HTTP 409 Conflict to PATCH)");
    o = tus::classify(answer(423), in, patch);
    ck_assert(o.retryable);
    o = tus::classify(answer(503), in, patch);
    ck_assert_int_eq(o.exit_code, exit_server);
    ck_assert(o.retryable);

    tus::Facts post;
    post.method = "POST";
    post.request_url = "http://h/files/";
    o = tus::classify(answer(404, "", "Not found\n"), in, post);
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(!o.retryable);
    ck_assert_sstr_eq(o.message, "http://h/files/ does not take tus uploads: the server answered"
                                 " HTTP 404 Not Found to POST: Not found");
    o = tus::classify(answer(413), in, post);
    ck_assert_sstr_eq(o.message, "the server refused the file's size (HTTP 413 Content Too Large"
                                 " to POST http://h/files/)");
    /* bigupload's JSON refusal of an existing target: the native wording */
    o = tus::classify(answer(409, "", "{\"error\":\"exists\",\"message\":\"the file exists\"}"), in, post);
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert_sstr_eq(o.message, "remote file already exists: http://h/files/x.bin (use --overwrite to replace it)");
    /* a transport failure */
    AttemptResult t;
    t.curl_code = 7;
    t.curl_error = "Failed to connect";
    o = tus::classify(t, in, post);
    ck_assert_int_eq(o.exit_code, exit_transport);
    ck_assert(o.retryable);
}
END_TEST

START_TEST(state_dir_and_name)
{
    ck_assert_sstr_eq(tus::state_dir("/x/state", "/root"), "/x/state/bgclient");
    ck_assert_sstr_eq(tus::state_dir("relative", "/home/u/"), "/home/u/.local/state/bgclient");
    ck_assert_sstr_eq(tus::state_dir(nullptr, "/home/u"), "/home/u/.local/state/bgclient");
    ck_assert_sstr_eq(tus::state_dir("", "/"), "/.local/state/bgclient");
    ck_assert_sstr_eq(tus::state_dir(nullptr, nullptr), "");
    ck_assert_sstr_eq(tus::state_dir(nullptr, "relative"), "");

    std::string a = tus::entry_file_name("http://h/u/", "a", "k");
    ck_assert_uint_eq(a.size(), 36);
    ck_assert_sstr_eq(a.substr(0, 4), "tus-");
    ck_assert_sstr_eq(a, tus::entry_file_name("http://h/u/", "a", "k"));
    ck_assert(a != tus::entry_file_name("http://h/u/", "b", "k"));
    ck_assert(a != tus::entry_file_name("http://h/v/", "a", "k"));
    ck_assert(a != tus::entry_file_name("http://h/u/", "a", "k2"));
    /* the fields are separated: "ab"+"c" is not "a"+"bc" */
    ck_assert(tus::entry_file_name("e", "ab", "c") != tus::entry_file_name("e", "a", "bc"));
}
END_TEST

START_TEST(state_text)
{
    tus::Entry e = sample_entry();
    std::string text = tus::format_entry(e);
    ck_assert_sstr_eq(text.substr(0, text.rfind("sha256 ")),
                      "bgclient-tus-state 1\n"
                      "endpoint http://h:8083/upload/isos/\n"
                      "name big%20iso%0A.iso\n"
                      "key 5d41402abc4b2a76b9719d911017c592\n"
                      "size 4294967296\n"
                      "url http://h:8083/upload/.tus/0123abcd\n");
    tus::Entry back;
    std::string error;
    ck_assert_msg(tus::parse_entry(text, back, error), "%s", error.c_str());
    ck_assert(back == e);

    /* a parallel upload's parts, one not created yet */
    tus::Entry p = sample_entry();
    p.url.clear();
    p.size = 30;
    p.parts = {{0, 10, "/f/a"}, {10, 20, ""}, {20, 30, "/f/c"}};
    text = tus::format_entry(p);
    ck_assert(text.find("part 10 20 -\n") != std::string::npos);
    ck_assert_msg(tus::parse_entry(text, back, error), "%s", error.c_str());
    ck_assert(back == p);
}
END_TEST

START_TEST(state_text_damaged)
{
    tus::Entry back;
    std::string error;
    std::string text = tus::format_entry(sample_entry());
    /* truncated, edited, empty, without the checksum line */
    ck_assert(!tus::parse_entry(text.substr(0, text.size() - 5), back, error));
    std::string edited = text;
    edited[edited.find("0123abcd")] = '9';
    ck_assert(!tus::parse_entry(edited, back, error));
    ck_assert_sstr_eq(error, "checksum mismatch (truncated or edited)");
    ck_assert(!tus::parse_entry("", back, error));
    ck_assert(!tus::parse_entry(text.substr(0, text.rfind("sha256 ")), back, error));

    /* well checksummed, but not a valid entry: each refused */
    auto sealed = [](const std::string &body) {
        return body + "sha256 " + bigupload::sha256_hex(body.data(), body.size()) + "\n";
    };
    const char *head = "bgclient-tus-state 1\nendpoint http://h/u/\nname a\nkey k\n";
    ck_assert(tus::parse_entry(sealed(std::string(head) + "size 3\nurl /u/1\n"), back, error));
    ck_assert(!tus::parse_entry(sealed("bgclient-tus-state 2\nendpoint e\nname a\nkey k\nsize 3\n"), back, error));
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "url /u/1\n"), back, error));  /* no size */
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size 3\nsize 3\n"), back, error));
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size x\n"), back, error));
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size 3\nurl /a b\n"), back, error));
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size 3\ncolour red\n"), back, error));
    /* parts must be contiguous from 0 and cover the file; no url beside them */
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size 3\npart 1 3 /a\n"), back, error));
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size 3\npart 0 2 /a\n"), back, error));
    ck_assert_sstr_eq(error, "the parts do not cover the file");
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size 3\npart 0 3 /a extra\n"), back, error));
    ck_assert(!tus::parse_entry(sealed(std::string(head) + "size 3\nurl /u\npart 0 3 /a\n"), back, error));
    ck_assert(tus::parse_entry(sealed(std::string(head) + "size 3\npart 0 1 /a\npart 1 3 -\n"), back, error));
    ck_assert_uint_eq(back.parts.size(), 2);
}
END_TEST

START_TEST(state_store)
{
    std::string dir = ck_make_temp_dir("bgclient-tus-state");
    tus::StateStore store(dir + "/deep/bgclient");
    tus::Entry e = sample_entry(), got;
    std::string error;
    ck_assert(store.load(e.endpoint, e.name, e.key, got, error) == tus::StateStore::Found::absent);
    ck_assert_msg(store.save(e, error), "%s", error.c_str());
    struct stat st;
    ck_assert_int_eq(stat(store.path_of(e).c_str(), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat((dir + "/deep/bgclient").c_str(), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert(store.load(e.endpoint, e.name, e.key, got, error) == tus::StateStore::Found::found);
    ck_assert(got == e);
    /* another key, another file */
    ck_assert(store.load(e.endpoint, e.name, "other", got, error) == tus::StateStore::Found::absent);
    /* a damaged file is bad, not trusted */
    std::string path = store.path_of(e);
    { std::ofstream(path) << "garbage"; }
    ck_assert(store.load(e.endpoint, e.name, e.key, got, error) == tus::StateStore::Found::bad);
    ck_assert_msg(error.find("no checksum line") != std::string::npos, "%s", error.c_str());
    ck_assert(store.remove(e, error));
    ck_assert(store.remove(e, error));  /* gone already: fine */
    ck_assert(store.load(e.endpoint, e.name, e.key, got, error) == tus::StateStore::Found::absent);
    /* no directory: nothing kept, nothing fails */
    tus::StateStore none("");
    ck_assert(!none.usable());
    ck_assert(none.save(e, error));
    ck_assert(none.load(e.endpoint, e.name, e.key, got, error) == tus::StateStore::Found::absent);
    ck_remove_tree(dir);
}
END_TEST

START_TEST(protocol_option)
{
    Protocol p;
    ck_assert(parse_protocol("tus", p) && p == Protocol::tus);
    ck_assert(parse_protocol("auto", p) && p == Protocol::automatic);
    ck_assert(parse_protocol("native", p) && p == Protocol::native);
    ck_assert(parse_protocol("ietf", p) && p == Protocol::ietf);
    ck_assert(!parse_protocol("TUS", p));
    ck_assert(!parse_protocol("", p));
    ck_assert_str_eq(protocol_name(Protocol::automatic), "auto");

    ArgResult r = parse_args({"http://h/u", "f", "/x"});
    ck_assert(r.config.protocol == Protocol::native);  /* the default */
    r = parse_args({"--protocol=tus", "-j", "4", "http://h/u", "f", "/isos/"});
    ck_assert(r.action == ArgAction::run);
    ck_assert(r.config.protocol == Protocol::tus);
    ck_assert_sstr_eq(r.config.remote_path, "/isos/f");
    r = parse_args({"--protocol", "auto", "http://h/u", "-", "/x"});
    ck_assert(r.action == ArgAction::run);  /* auto with stdin: the native PUT */
    r = parse_args({"--protocol", "tus", "http://h/u", "-", "/x"});
    ck_assert(r.action == ArgAction::error);
    r = parse_args({"--protocol", "tus", "--status", "http://h/u", "/x"});
    ck_assert(r.action == ArgAction::error);
    r = parse_args({"--protocol", "tus", "--no-resume", "http://h/u", "f", "/x"});
    ck_assert(r.action == ArgAction::error);
    r = parse_args({"--protocol", "gopher", "http://h/u", "f", "/x"});
    ck_assert_sstr_eq(r.error, "bad --protocol 'gopher': expected native, tus, ietf or auto");
}
END_TEST

START_TEST(auto_choice)
{
    Discovery d;
    /* nothing offered: native (which falls back to a plain PUT by itself) */
    d.native.status = 405;
    ck_assert(choose_protocol(d) == Protocol::native);
    /* tus offered, no native dialect (405, or a tus server's 412/404) */
    d.tus_offered = true;
    ck_assert(choose_protocol(d) == Protocol::tus);
    d.native.status = 404;
    d.native_tus_resumable = true;
    ck_assert(!native_answers(d));
    ck_assert(choose_protocol(d) == Protocol::tus);
    d.native.status = 412;
    ck_assert(choose_protocol(d) == Protocol::tus);
    /* both: the native dialect answers (bigupload with its tus front-end) */
    d.native_tus_resumable = false;
    d.native.status = 404;
    ck_assert(native_answers(d));
    ck_assert(choose_protocol(d) == Protocol::native);
    d.native.status = 204;
    ck_assert(!native_answers(d));  /* a 204 without the native Upload-* headers */
    d.native.upload_offset = "0";
    ck_assert(native_answers(d));
    ck_assert(choose_protocol(d) == Protocol::native);
    /* ... unless an earlier tus run of this file is to be continued */
    d.tus_state = true;
    ck_assert(choose_protocol(d) == Protocol::tus);
    /* a state file but no tus offered any more: native */
    d.tus_offered = false;
    ck_assert(choose_protocol(d) == Protocol::native);
}
END_TEST

START_TEST(report_over_tus)
{
    Report r;
    r.file = "./big.iso";
    r.url = "http://h/u/big.iso";
    r.size = 3;
    r.digest = sha_abc;
    r.elapsed = 1;
    r.sent = 3;
    r.protocol = "tus";
    r.verified = "none";
    ck_assert_sstr_eq(success_line(r), std::string("uploaded ./big.iso -> http://h/u/big.iso over tus (3 B, 3 B/s, sha256 ")
                                           + sha_abc + ")");
    std::string j = report_json(r);
    ck_assert_msg(j.find("\"protocol\":\"tus\",\"verified\":\"none\"") != std::string::npos, "%s", j.c_str());
    r.protocol.clear();
    r.verified.clear();
    j = report_json(r);
    ck_assert_msg(j.find("protocol") == std::string::npos, "%s", j.c_str());
}
END_TEST

Suite *client_tus_suite(void);

Suite *client_tus_suite(void)
{
    Suite *s = suite_create("client_tus");
    TCase *tc = tcase_create("tus");
    tcase_add_test(tc, creation_url_and_name);
    tcase_add_test(tc, metadata);
    tcase_add_test(tc, locations);
    tcase_add_test(tc, offer);
    tcase_add_test(tc, checksum_choice);
    tcase_add_test(tc, upload_info);
    tcase_add_test(tc, parts);
    tcase_add_test(tc, outcomes);
    tcase_add_test(tc, state_dir_and_name);
    tcase_add_test(tc, state_text);
    tcase_add_test(tc, state_text_damaged);
    tcase_add_test(tc, state_store);
    tcase_add_test(tc, protocol_option);
    tcase_add_test(tc, auto_choice);
    tcase_add_test(tc, report_over_tus);
    suite_add_tcase(s, tc);
    return s;
}
