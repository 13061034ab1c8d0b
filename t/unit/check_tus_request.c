/* The tus front-end's pure logic: requests, URLs, file names, answers. */
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "base/digest.hpp"
#include "proto/tus_request.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;
using namespace bigupload::tus;

static const char id32[] = "0123456789abcdef0123456789abcdef";

/* a request: method, Content-Length (-1: none), header lines; Tus-Resumable
 * is added unless "bare" */
static HttpRequest req(const char *method, std::int64_t cl,
                       std::vector<std::pair<std::string_view, std::string_view>> fields = {},
                       bool bare = false)
{
    HttpRequest r;
    r.method = method;
    r.content_length = cl;
    r.fields = std::move(fields);
    if (!bare) {
        r.fields.emplace_back("Tus-Resumable", "1.0.0");
    }
    return r;
}

static Request parsed(const HttpRequest &r, const std::string &path)
{
    Request t;
    Refusal why;
    ck_assert_msg(parse_request(r, path, t, why), "refused: %s %s %s", error_info(why.error).code,
                  why.header.c_str(), why.detail.c_str());
    return t;
}

static Refusal refused(const HttpRequest &r, const std::string &path)
{
    Request t;
    Refusal why;
    ck_assert_msg(!parse_request(r, path, t, why), "accepted %s %s", std::string(r.method).c_str(),
                  path.c_str());
    ck_assert(why.error != Error::none);
    return why;
}

static std::string up(void)
{
    return std::string("/upload/.bigupload/") + id32;
}

START_TEST(test_urls)
{
    std::string id;
    ck_assert(classify_path(up(), id) == UrlKind::upload);
    ck_assert_sstr_eq(id, id32);
    ck_assert(classify_path("/.bigupload/0123456789abcdef0123456789abcdef", id) == UrlKind::upload);
    ck_assert(classify_path("/upload/d/.bigupload/0123456789abcdef0123456789abcdef", id)
              == UrlKind::upload);

    ck_assert(classify_path("/upload/a.bin", id) == UrlKind::creation);
    ck_assert(id.empty());
    ck_assert(classify_path("/upload/", id) == UrlKind::creation);
    ck_assert(classify_path("/upload/.bigupload", id) == UrlKind::creation);
    /* an upload URL that names no upload: not a creation URL either */
    for (const char *p : {"/upload/.bigupload/", "/upload/.bigupload/x",
                          "/upload/.bigupload/0123456789ABCDEF0123456789ABCDEF",
                          "/upload/.bigupload/0123456789abcdef0123456789abcde",
                          "/upload/.bigupload/0123456789abcdef0123456789abcdef0"}) {
        ck_assert_msg(classify_path(p, id) == UrlKind::bad_upload, "%s", p);
    }

    ck_assert(valid_upload_id(id32));
    ck_assert(!valid_upload_id(""));
    ck_assert(!valid_upload_id("0123456789abcdef0123456789abcdeg"));

    /* Upload-Concat URLs: absolute, host-relative, relative, encoded */
    std::string s = std::string("http://h:8/upload/.bigupload/") + id32;
    ck_assert_sstr_eq(*upload_id_of_url(s), id32);
    ck_assert_sstr_eq(*upload_id_of_url(std::string("https://h/x/.bigupload/") + id32), id32);
    ck_assert_sstr_eq(*upload_id_of_url(std::string("//h/x/.bigupload/") + id32), id32);
    ck_assert_sstr_eq(*upload_id_of_url(up()), id32);
    ck_assert_sstr_eq(*upload_id_of_url(std::string(".bigupload/") + id32), id32);
    ck_assert_sstr_eq(*upload_id_of_url(std::string("%2Ebigupload/") + id32), id32);
    ck_assert(!upload_id_of_url(s + "?x"));
    ck_assert(!upload_id_of_url(s + "#x"));
    ck_assert(!upload_id_of_url("http://h/upload/a.bin"));
    ck_assert(!upload_id_of_url("http://h"));
    ck_assert(!upload_id_of_url(""));
    ck_assert(!upload_id_of_url("%zz"));
    ck_assert(!upload_id_of_url(std::string("/upload/bigupload/") + id32));
}
END_TEST

START_TEST(test_resource_url)
{
    RequestOrigin o{"http", "up.example:8080", "", ""};
    ck_assert_sstr_eq(resource_url(UrlMode::relative, o, "/u/.bigupload/x"), "/u/.bigupload/x");
    ck_assert_sstr_eq(resource_url(UrlMode::absolute, o, "/u/.bigupload/x"),
                      "http://up.example:8080/u/.bigupload/x");
    /* forwarded headers count only where the operator said so */
    o.forwarded_proto = "https";
    o.forwarded_host = "files.example.com";
    ck_assert_sstr_eq(resource_url(UrlMode::absolute, o, "/p"), "http://up.example:8080/p");
    ck_assert_sstr_eq(resource_url(UrlMode::forwarded, o, "/p"), "https://files.example.com/p");
    /* the first proxy's (the client's side) of a list */
    o.forwarded_proto = "HTTPS, http";
    o.forwarded_host = " a.example:443 , b";
    ck_assert_sstr_eq(resource_url(UrlMode::forwarded, o, "/p"), "https://a.example:443/p");
    /* malformed ones are not used */
    o.forwarded_proto = "javascript";
    o.forwarded_host = "evil.example/x";
    ck_assert_sstr_eq(resource_url(UrlMode::forwarded, o, "/p"), "http://up.example:8080/p");
    o.forwarded_host = "";
    o.forwarded_proto = "";
    ck_assert_sstr_eq(resource_url(UrlMode::forwarded, o, "/p"), "http://up.example:8080/p");
    /* without a Host (HTTP/1.0) only a relative URL is right */
    o.host = "";
    ck_assert_sstr_eq(resource_url(UrlMode::absolute, o, "/p"), "/p");
}
END_TEST

START_TEST(test_version_and_methods)
{
    /* OPTIONS needs no version, and ignores a wrong one */
    ck_assert(parsed(req("OPTIONS", -1, {}, true), "/upload/").op == Op::options);
    ck_assert(parsed(req("OPTIONS", -1, {{"Tus-Resumable", "0.2.2"}}, true), up()).op
              == Op::options);

    /* every other request needs 1.0.0 */
    Refusal w = refused(req("POST", 0, {{"Tus-Resumable", "0.2.2"}, {"Upload-Length", "1"}}, true),
                        "/upload/a");
    ck_assert(w.error == Error::tus_version);
    ck_assert_sstr_eq(w.value, "0.2.2");
    ck_assert(refused(req("HEAD", -1, {}, true), up()).error == Error::tus_version);
    ck_assert(refused(req("HEAD", -1, {{"Tus-Resumable", "1.0.0"}, {"Tus-Resumable", "1.0.0"}},
                          true), up()).error == Error::tus_version);
    ck_assert(error_info(Error::tus_version).status == 412);

    /* what each kind of URL takes */
    ck_assert(parsed(req("HEAD", -1), up()).op == Op::head);
    ck_assert_sstr_eq(parsed(req("HEAD", -1), up()).id, id32);
    ck_assert(parsed(req("DELETE", -1), up()).op == Op::terminate);
    Refusal m = refused(req("GET", -1), up());
    ck_assert(m.error == Error::tus_method);
    ck_assert_sstr_eq(m.allow, "HEAD, PATCH, DELETE, OPTIONS");
    m = refused(req("POST", 0, {{"Upload-Length", "1"}}), up());
    ck_assert(m.error == Error::tus_method);
    m = refused(req("PUT", 1), "/upload/a");
    ck_assert(m.error == Error::tus_method);
    ck_assert_sstr_eq(m.allow, "POST, OPTIONS");
    ck_assert(refused(req("HEAD", -1), "/upload/a").error == Error::tus_method);
    ck_assert(refused(req("PROPFIND", -1), up()).error == Error::tus_method);

    /* an upload URL naming no upload */
    ck_assert(refused(req("HEAD", -1), "/upload/.bigupload/zz").error == Error::tus_not_found);
    ck_assert(error_info(Error::tus_not_found).status == 404);

    /* X-HTTP-Method-Override is the method */
    Request t = parsed(req("POST", 5, {{"X-HTTP-Method-Override", "PATCH"},
                                       {"Content-Type", "application/offset+octet-stream"},
                                       {"Upload-Offset", "0"}}), up());
    ck_assert(t.op == Op::patch);
    ck_assert(t.method == Method::patch);
    ck_assert(parsed(req("POST", 0, {{"X-HTTP-Method-Override", "DELETE"}}), up()).op
              == Op::terminate);
    ck_assert(parsed(req("POST", 0, {{"X-HTTP-Method-Override", "OPTIONS"}}, true), up()).op
              == Op::options);
    ck_assert(refused(req("POST", 0, {{"X-HTTP-Method-Override", "patch"}}), up()).error
              == Error::tus_bad_header);
    ck_assert(refused(req("POST", 0, {{"X-HTTP-Method-Override", "PATCH"},
                                      {"X-HTTP-Method-Override", "PATCH"}}), up()).error
              == Error::tus_bad_header);
    ck_assert(refused(req("POST", 0, {{"X-HTTP-Method-Override", ""}}), up()).error
              == Error::tus_bad_header);
}
END_TEST

START_TEST(test_creation)
{
    Request t = parsed(req("POST", 0, {{"Upload-Length", "100"},
                                       {"Upload-Metadata", "filename YS5iaW4=,is_confidential"}}),
                       "/upload/d/");
    ck_assert(t.op == Op::create);
    ck_assert_uint_eq(*t.length, 100);
    ck_assert(!t.defer_length && !t.partial && !t.final_concat && !t.body);
    ck_assert_sstr_eq(t.metadata_raw, "filename YS5iaW4=,is_confidential");
    ck_assert_uint_eq(t.metadata.size(), 2);
    ck_assert_sstr_eq(*find_metadata(t.metadata, "filename"), "a.bin");

    t = parsed(req("POST", -1, {{"Upload-Defer-Length", "1"}}), "/upload/a");
    ck_assert(t.defer_length && !t.length);

    /* creation-with-upload: the body's type, and its checksum */
    t = parsed(req("POST", 5, {{"Upload-Length", "5"},
                               {"Content-Type", "application/offset+octet-stream"},
                               {"Upload-Checksum", "sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00="}}),
               "/upload/a");
    ck_assert(t.body);
    ck_assert_sstr_eq(t.checksum->algorithm, "sha1");
    ck_assert(t.checksum->bytes == digest_of(DigestAlg::sha1, "hello", 5));
    ck_assert(parsed(req("POST", 5, {{"Upload-Length", "5"}, {"Upload-Offset", "0"},
                                     {"Content-Type", "Application/Offset+Octet-Stream; x=1"}}),
                     "/upload/a").body);
    Refusal w = refused(req("POST", 5, {{"Upload-Length", "5"}}), "/upload/a");
    ck_assert(w.error == Error::tus_media_type);
    ck_assert(refused(req("POST", 5, {{"Upload-Length", "5"},
                                      {"Content-Type", "application/octet-stream"}}),
                      "/upload/a").error == Error::tus_media_type);
    ck_assert_int_eq(error_info(Error::tus_media_type).status, 415);
    /* a chunked body is a body too */
    HttpRequest ch = req("POST", -1, {{"Upload-Defer-Length", "1"}});
    ch.chunked = true;
    ck_assert(refused(ch, "/upload/a").error == Error::tus_media_type);

    /* the length: one of the two ways, well-formed */
    struct { std::vector<std::pair<std::string_view, std::string_view>> f; const char *header; } bad[] = {
        { {}, "Upload-Length" },
        { {{"Upload-Length", "1"}, {"Upload-Defer-Length", "1"}}, "Upload-Defer-Length" },
        { {{"Upload-Defer-Length", "0"}}, "Upload-Defer-Length" },
        { {{"Upload-Defer-Length", "true"}}, "Upload-Defer-Length" },
        { {{"Upload-Length", "-1"}}, "Upload-Length" },
        { {{"Upload-Length", "1e9"}}, "Upload-Length" },
        { {{"Upload-Length", ""}}, "Upload-Length" },
        { {{"Upload-Length", "1"}, {"Upload-Length", "1"}}, "Upload-Length" },
        /* larger than an off_t */
        { {{"Upload-Length", "9223372036854775808"}}, "Upload-Length" },
        { {{"Upload-Length", "1"}, {"Upload-Offset", "5"}}, "Upload-Offset" },
        /* garbage metadata */
        { {{"Upload-Length", "1"}, {"Upload-Metadata", "filename !!!!"}}, "Upload-Metadata" },
        { {{"Upload-Length", "1"}, {"Upload-Metadata", "filename YQ"}}, "Upload-Metadata" },
        { {{"Upload-Length", "1"}, {"Upload-Metadata", "a YQ==,a YQ=="}}, "Upload-Metadata" },
        { {{"Upload-Length", "1"}, {"Upload-Metadata", "a,,b"}}, "Upload-Metadata" },
        { {{"Upload-Length", "1"}, {"Upload-Metadata", ""}}, "Upload-Metadata" },
        /* checksums: an unknown algorithm, a wrong length, not base64 */
        { {{"Upload-Length", "0"}, {"Upload-Checksum", "sha512 qvTGHdzF6KLavt4PO0gs2a6pQ00="}}, "Upload-Checksum" },
        { {{"Upload-Length", "0"}, {"Upload-Checksum", "md5 qvTGHdzF6KLavt4PO0gs2a6pQ00="}}, "Upload-Checksum" },
        { {{"Upload-Length", "0"}, {"Upload-Checksum", "sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00"}}, "Upload-Checksum" },
        { {{"Upload-Length", "0"}, {"Upload-Checksum", "SHA1 qvTGHdzF6KLavt4PO0gs2a6pQ00="}}, "Upload-Checksum" },
        /* concatenation */
        { {{"Upload-Length", "1"}, {"Upload-Concat", "partial;x"}}, "Upload-Concat" },
        { {{"Upload-Concat", "final;"}}, "Upload-Concat" },
        { {{"Upload-Concat", "final;/a  /b"}}, "Upload-Concat" },
        { {{"Upload-Concat", "final;/a"}, {"Upload-Length", "1"}}, "Upload-Length" },
        { {{"Upload-Concat", "final;/a"}, {"Upload-Defer-Length", "1"}}, "Upload-Defer-Length" },
    };
    for (const auto &b : bad) {
        Refusal r = refused(req("POST", 0, b.f), "/upload/a");
        ck_assert_msg(r.error == Error::tus_bad_header, "%s: %s", b.header, error_info(r.error).code);
        ck_assert_sstr_eq(r.header, b.header);
        ck_assert(!r.detail.empty());
    }
    w = refused(req("POST", 0, {{"Upload-Length", "0"},
                                {"Upload-Checksum", "sha512 qvTGHdzF6KLavt4PO0gs2a6pQ00="}}),
                "/upload/a");
    ck_assert(w.detail.find("unsupported checksum algorithm") == 0);
    ck_assert_int_eq(error_info(Error::tus_bad_header).status, 400);

    /* a final upload: no body */
    t = parsed(req("POST", 0, {{"Upload-Concat", std::string("final;/upload/.bigupload/") + id32
                                                  + " http://h/upload/.bigupload/" + id32}}),
               "/upload/d/");
    ck_assert(t.final_concat);
    ck_assert_uint_eq(t.final_concat->urls.size(), 2);
    ck_assert(!t.length);
    ck_assert(refused(req("POST", 3, {{"Upload-Concat", "final;/a"},
                                      {"Content-Type", "application/offset+octet-stream"}}),
                      "/upload/a").error == Error::tus_bad_header);

    t = parsed(req("POST", 0, {{"Upload-Concat", "partial"}, {"Upload-Length", "10"}}), "/upload/");
    ck_assert(t.partial);
    ck_assert_sstr_eq(t.concat_raw, "partial");
}
END_TEST

START_TEST(test_patch)
{
    const std::string_view type = "application/offset+octet-stream";
    Request t = parsed(req("PATCH", 10, {{"Content-Type", type}, {"Upload-Offset", "70"}}), up());
    ck_assert(t.op == Op::patch);
    ck_assert_uint_eq(t.offset, 70);
    ck_assert(!t.length);

    /* the deferred length, and a checksum */
    t = parsed(req("PATCH", 0, {{"Content-Type", type}, {"Upload-Offset", "70"},
                                {"Upload-Length", "70"},
                                {"Upload-Checksum", "crc32 AAAAAA=="},
                                /* tus-js-client sends it on every request of a part */
                                {"Upload-Concat", "partial"}}), up());
    ck_assert_uint_eq(*t.length, 70);
    ck_assert_sstr_eq(t.checksum->algorithm, "crc32");

    ck_assert(refused(req("PATCH", 10, {{"Upload-Offset", "0"}}), up()).error
              == Error::tus_media_type);
    ck_assert(refused(req("PATCH", 10, {{"Content-Type", "application/octet-stream"},
                                        {"Upload-Offset", "0"}}), up()).error
              == Error::tus_media_type);
    for (std::vector<std::pair<std::string_view, std::string_view>> f :
         std::vector<std::vector<std::pair<std::string_view, std::string_view>>>{
             {{"Content-Type", type}},
             {{"Content-Type", type}, {"Upload-Offset", "x"}},
             {{"Content-Type", type}, {"Upload-Offset", "-3"}},
             {{"Content-Type", type}, {"Upload-Offset", "1"}, {"Upload-Offset", "1"}},
             {{"Content-Type", type}, {"Upload-Offset", "1"}, {"Upload-Length", "z"}},
             {{"Content-Type", type}, {"Upload-Offset", "1"}, {"Upload-Checksum", "nope"}},
         }) {
        ck_assert(refused(req("PATCH", 1, f), up()).error == Error::tus_bad_header);
    }

    /* what the engine is asked */
    UploadRequest u = upload_request(t, 0, 3600);
    ck_assert_uint_eq(u.start, 70);
    ck_assert_uint_eq(*u.end, 70);
    ck_assert_uint_eq(*u.total, 70);
    ck_assert(u.append && !u.completes);
    ck_assert_int_eq(u.max_idle, 3600);
    ck_assert_uint_eq(u.checks.size(), 1);
    ck_assert(u.checks[0].alg == DigestAlg::crc32);
    ck_assert_uint_eq(u.checks[0].expected.size(), 4);

    t = parsed(req("PATCH", 10, {{"Content-Type", type}, {"Upload-Offset", "5"}}), up());
    u = upload_request(t, -1, 0);
    ck_assert_uint_eq(u.start, 5);
    ck_assert(!u.end && !u.total && u.checks.empty());

    /* a creation's bytes start at 0 */
    t = parsed(req("POST", 3, {{"Upload-Length", "9"},
                               {"Content-Type", type}}), "/upload/a");
    u = upload_request(t, 3, 0);
    ck_assert_uint_eq(u.start, 0);
    ck_assert_uint_eq(*u.end, 3);
    ck_assert_uint_eq(*u.total, 9);
}
END_TEST

START_TEST(test_filename)
{
    std::string name, why;
    Metadata m{{"filename", "report 2026.pdf"}, {"filetype", "application/pdf"}};
    ck_assert(creation_filename(m, name, why));
    ck_assert_sstr_eq(name, "report 2026.pdf");

    for (const char *bad : {"", "..", ".", "a/b", "/x", ".bigupload-x", ".bigupload",
                            "a\\b"}) {
        Metadata b{{"filename", bad}};
        name = "unchanged";
        ck_assert_msg(!creation_filename(b, name, why), "\"%s\"", bad);
        ck_assert_sstr_eq(name, "unchanged");
        ck_assert(!why.empty());
    }
    Metadata nul{{"filename", std::string("a\0b", 3)}};
    ck_assert(!creation_filename(nul, name, why));
    Metadata longer{{"filename", std::string(300, 'x')}};
    ck_assert(!creation_filename(longer, name, why));
    ck_assert(why.find("too long") != std::string::npos);
    Metadata none{{"name", "a.bin"}};
    ck_assert(!creation_filename(none, name, why));
    ck_assert(why.find("filename") != std::string::npos);
}
END_TEST

START_TEST(test_answers)
{
    std::vector<HeaderField> h = options_headers(1073741824);
    ck_assert_uint_eq(h.size(), 4);
    ck_assert_sstr_eq(h[0].first, "Tus-Version");
    ck_assert_sstr_eq(h[0].second, "1.0.0");
    ck_assert_sstr_eq(h[1].second, "creation,creation-with-upload,creation-defer-length,"
                                   "expiration,checksum,termination,concatenation");
    ck_assert_sstr_eq(h[2].first, "Tus-Max-Size");
    ck_assert_sstr_eq(h[2].second, "1073741824");
    ck_assert_sstr_eq(h[3].first, "Tus-Checksum-Algorithm");
    ck_assert_sstr_eq(h[3].second, "sha1,sha256,md5,crc32");
    /* no limit: no Tus-Max-Size */
    ck_assert_uint_eq(options_headers(0).size(), 3);

    ck_assert(checksum_digest("sha1") == DigestAlg::sha1);
    ck_assert(checksum_digest("crc32") == DigestAlg::crc32);
    ck_assert(!checksum_digest("crc32c"));

    UploadState st;
    st.length = 100;
    st.received.add(0, 40);
    st.received.add(50, 60);
    st.updated = 1000;
    st.metadata = "filename YS5iaW4=";
    h = progress_headers(st, 1000 + 86400);
    ck_assert_uint_eq(h.size(), 2);
    ck_assert_sstr_eq(h[0].second, "40");
    ck_assert_sstr_eq(h[1].first, "Upload-Expires");
    ck_assert_sstr_eq(h[1].second, "Fri, 02 Jan 1970 00:16:40 GMT");

    h = head_headers(st, 1000 + 86400, FileDigest());
    std::vector<HeaderField> want = {
        {"Cache-Control", "no-store"}, {"Upload-Offset", "40"}, {"Upload-Length", "100"},
        {"Upload-Metadata", "filename YS5iaW4="}, {"Upload-Expires", "Fri, 02 Jan 1970 00:16:40 GMT"},
    };
    ck_assert(h == want);

    /* deferred, a part */
    UploadState d;
    d.part = true;
    h = head_headers(d, 0, FileDigest());
    want = {{"Cache-Control", "no-store"}, {"Upload-Offset", "0"}, {"Upload-Defer-Length", "1"},
            {"Upload-Concat", "partial"}, {"Upload-Expires", "Thu, 01 Jan 1970 00:00:00 GMT"}};
    ck_assert(h == want);

    /* finished: the length is the offset, the digest when known */
    std::string sha = sha256_hex("x", 1);
    FileDigest fd{DigestAlg::sha256, *from_hex(sha)};
    UploadState f;
    f.length = 11;
    f.received.add(0, 11);
    f.finished = true;
    f.concat = "final;/a /b";
    h = head_headers(f, 0, fd);
    want = {{"Cache-Control", "no-store"}, {"Upload-Offset", "11"}, {"Upload-Length", "11"},
            {"Upload-Concat", "final;/a /b"}, {"Repr-Digest", repr_digest_sha256(sha)}};
    ck_assert(h == want);

    h = complete_headers(11, fd);
    want = {{"Upload-Offset", "11"}, {"Upload-Length", "11"},
            {"Repr-Digest", repr_digest_sha256(sha)}};
    ck_assert(h == want);

    /* another bigupload_digest: its own Repr-Digest key */
    FileDigest crc{DigestAlg::crc64nvme, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8)};
    h = complete_headers(11, crc);
    ck_assert(h.back().second == "crc64nvme=:AQIDBAUGBwg=:");
    ck_assert(complete_headers(11, FileDigest()).size() == 2);

    auto md = notice_metadata("filename YS5iaW4=,flag");
    ck_assert_uint_eq(md.size(), 2);
    ck_assert_sstr_eq(md[0].second, "a.bin");
    ck_assert_sstr_eq(md[1].first, "flag");
    ck_assert(notice_metadata("").empty());
    ck_assert(notice_metadata("bad !").empty());
}
END_TEST

Suite *tus_request_suite(void)
{
    Suite *s = suite_create("tus_request");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_urls);
    tcase_add_test(tc, test_resource_url);
    tcase_add_test(tc, test_version_and_methods);
    tcase_add_test(tc, test_creation);
    tcase_add_test(tc, test_patch);
    tcase_add_test(tc, test_filename);
    tcase_add_test(tc, test_answers);
    suite_add_tcase(s, tc);
    return s;
}
