/* bgclient: what an attempt's result means (exit code, message, retry),
 * the server's JSON, the success line and --json output, and the
 * "bytes the server has taken" measure.  Compiled as C++. */
#include <cerrno>
#include <cstring>
#include <set>
#include <string>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "tool_exit.hpp"
#include "base/digest.hpp"
#include "tool_outcome.hpp"
#include "tool_output.hpp"
#include "tool_transfer.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;

namespace {

const char *sha_a = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const char *sha_b = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

OutcomeInput input(bool overwrite = false)
{
    OutcomeInput in;
    in.url = "http://127.0.0.1:8083/upload/a/b.bin";
    in.overwrite = overwrite;
    in.local_digest = sha_a;
    in.local_size = 4;
    in.now = 784111777;
    return in;
}

AttemptResult answer(long status, const std::string &body, const std::string &reason = "")
{
    AttemptResult r;
    r.status = status;
    r.body = body;
    r.reason = reason;
    r.sent = 4;
    return r;
}

std::string ok_body(const char *sha, unsigned long long size = 4)
{
    return std::string("{\"path\": \"/a/b.bin\", \"size\": ") + std::to_string(size)
           + ", \"sha256\": \"" + sha + "\"}";
}

bool has(const std::string &s, const char *needle)
{
    return s.find(needle) != std::string::npos;
}

// A successful report of a 3 GiB file whose sha256 the server confirmed.
Report big_iso_report(long status, double elapsed)
{
    Report r;
    r.file = "./big.iso";
    r.url = "http://127.0.0.1:8083/upload/isos/big.iso";
    r.status = status;
    r.size = 3ull << 30;
    r.elapsed = elapsed;
    r.digest = sha_a;
    r.server_digest = sha_a;
    r.http_version = "HTTP/1.1";
    r.attempts = 1;
    return r;
}

void check_one_line(const Outcome &o)
{
    ck_assert_msg(o.message.find('\n') == std::string::npos, "multi-line: %s", o.message.c_str());
    ck_assert_msg(o.message.find('\r') == std::string::npos, "CR in: %s", o.message.c_str());
}

}  // namespace

START_TEST(exit_codes_distinct)
{
    const int codes[] = {exit_ok, exit_internal, exit_usage, exit_local_file, exit_transport,
                         exit_refused, exit_server, exit_integrity, exit_interrupted};
    std::set<int> seen;
    std::set<std::string> names;
    for (int c : codes) {
        seen.insert(c);
        names.insert(exit_code_name(c));
    }
    ck_assert_uint_eq(seen.size(), 9);
    ck_assert_uint_eq(names.size(), 9);
    ck_assert_int_eq(exit_usage, 2);
    ck_assert_int_eq(exit_local_file, 3);
    ck_assert_int_eq(exit_transport, 4);
    ck_assert_int_eq(exit_refused, 5);
    ck_assert_int_eq(exit_server, 6);
    ck_assert_int_eq(exit_integrity, 7);
    ck_assert_int_eq(exit_interrupted, 130);
}
END_TEST

START_TEST(server_reply)
{
    ServerReply r = parse_server_reply(ok_body(sha_a, 1ull << 40));
    ck_assert(r.json);
    ck_assert_sstr_eq(r.path, "/a/b.bin");
    ck_assert_sstr_eq(r.sha256, sha_a);
    ck_assert(r.size && *r.size == (1ull << 40));

    r = parse_server_reply("{\"error\": \"exists\", \"message\": \"/a/b.bin exists\"}");
    ck_assert(r.json);
    ck_assert_sstr_eq(r.error, "exists");
    ck_assert_sstr_eq(r.message, "/a/b.bin exists");
    ck_assert(!r.size);

    ck_assert(!parse_server_reply("<html><body>413 Request Entity Too Large</body></html>").json);
    ck_assert(!parse_server_reply("").json);
    ck_assert(!parse_server_reply("[1, 2]").json);
    ck_assert(!parse_server_reply("{\"size\": -1}").size);
    ck_assert(!parse_server_reply("{\"size\": \"4\"}").size);
    ck_assert(parse_server_reply("{\"sha256\": 5}").sha256.empty());
}
END_TEST

START_TEST(success_and_integrity)
{
    Outcome o = classify(answer(201, ok_body(sha_a), "Created"), input());
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert(o.message.empty());

    /* the server may spell the digest in capitals */
    std::string upper = sha_a;
    for (char &c : upper) {
        c = static_cast<char>(toupper(c));
    }
    o = classify(answer(200, ok_body(upper.c_str())), input(true));
    ck_assert_int_eq(o.exit_code, exit_ok);

    o = classify(answer(201, ok_body(sha_b)), input());
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(has(o.message, "integrity mismatch") && has(o.message, sha_a) && has(o.message, sha_b));
    ck_assert(!o.retryable);
    check_one_line(o);

    o = classify(answer(201, ok_body(sha_a, 5)), input());
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(has(o.message, "sent 4 bytes, the server stored 5"));

    /* a plain WebDAV server: stored, but nothing to verify against */
    o = classify(answer(204, "", "No Content"), input());
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(has(o.message, "HTTP 204 No Content") && has(o.message, "no sha256"));
    o = classify(answer(201, "<html>Created</html>"), input());
    ck_assert_int_eq(o.exit_code, exit_integrity);
}
END_TEST

START_TEST(backend_answer)
{
    /* bigupload_pass: the backend's body, the module's Repr-Digest */
    AttemptResult r = answer(201, "{\"app\": \"got it\"}", "Created");
    r.repr_digest = bigupload::repr_digest_sha256(sha_a);
    Outcome o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert_sstr_eq(o.verified_digest, sha_a);
    ck_assert_sstr_eq(o.backend_response, "{\"app\": \"got it\"}");

    /* the module's own answer is not a backend's */
    o = classify(answer(201, ok_body(sha_a)), input());
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert(o.backend_response.empty());

    /* a digest of other bytes is a mismatch */
    r.repr_digest = bigupload::repr_digest_sha256(sha_b);
    o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(has(o.message, sha_b));

    /* neither a sha256 in the body nor a Repr-Digest: cannot be verified */
    r.repr_digest = "sha-512=:abc=:";
    o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(has(o.message, "no sha256"));
}
END_TEST

START_TEST(exists)
{
    Outcome o = classify(answer(409, "{\"error\": \"exists\", \"message\": \"target exists\"}", "Conflict"),
                         input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert_sstr_eq(o.message,
                     "remote file already exists: http://127.0.0.1:8083/upload/a/b.bin"
                     " (use --overwrite to replace it)");
    ck_assert(!o.retryable);

    o = classify(answer(412, "", "Precondition Failed"), input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(has(o.message, "already exists"));

    /* --overwrite, but the server keeps existing files */
    o = classify(answer(409, "{\"error\": \"exists\", \"message\": \"target already exists\"}"),
                 input(true));
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert_sstr_eq(o.message,
                      "remote file already exists and the server does not allow replacing it: "
                      "http://127.0.0.1:8083/upload/a/b.bin: target already exists");

    /* 409 without a JSON body: "exists" when we asked If-None-Match ... */
    o = classify(answer(409, "<html>409</html>"), input());
    ck_assert(has(o.message, "already exists"));
    /* ... but with --overwrite it is some other conflict */
    o = classify(answer(409, "{\"error\": \"is_collection\", \"message\": \"a directory is in the way\"}"),
                 input(true));
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert_sstr_eq(o.message,
                     "server refused the upload (HTTP 409 Conflict): a directory is in the way");
}
END_TEST

START_TEST(refused)
{
    Outcome o = classify(answer(413, "{\"error\": \"too_large\", \"message\": \"the file is larger than 1.00 GiB\"}",
                                "Request Entity Too Large"),
                         input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert_sstr_eq(o.message, "server refused the upload (HTTP 413 Request Entity Too Large):"
                                        " the file is larger than 1.00 GiB");
    ck_assert(!o.retryable);
    ck_assert_sstr_eq(o.reply.error, "too_large");

    /* HTTP/2 has no reason phrase: the standard one is used */
    o = classify(answer(403, "<html>forbidden</html>"), input());
    ck_assert_sstr_eq(o.message, "server refused the upload (HTTP 403 Forbidden)");

    o = classify(answer(401, ""), input());
    ck_assert(has(o.message, "HTTP 401 Unauthorized") && has(o.message, "-u user:password"));

    o = classify(answer(400, "{\"error\": \"bad_path\"}"), input());
    ck_assert(has(o.message, ": bad_path"));

    /* a multi-line server message becomes one line */
    o = classify(answer(400, "{\"message\": \"line one\\nline two\"}"), input());
    ck_assert(has(o.message, "line one line two"));
    check_one_line(o);

    o = classify(answer(408, ""), input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(o.retryable);

    AttemptResult r = answer(429, "");
    r.retry_after = "7";
    o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(o.retryable);
    ck_assert(o.retry_after && *o.retry_after == 7);

    r.retry_after = "Sun, 06 Nov 1994 08:50:37 GMT";
    o = classify(r, input());
    ck_assert(o.retry_after && *o.retry_after == 60);

    r.retry_after = "soon";
    o = classify(r, input());
    ck_assert(!o.retry_after);
    ck_assert(o.retryable);
}
END_TEST

START_TEST(server_errors)
{
    Outcome o = classify(answer(503, "", "Service Unavailable"), input());
    ck_assert_int_eq(o.exit_code, exit_server);
    ck_assert_sstr_eq(o.message, "server error (HTTP 503 Service Unavailable)");
    ck_assert(o.retryable);

    o = classify(answer(500, "{\"error\": \"io\", \"message\": \"write failed: Input/output error\"}"),
                 input());
    ck_assert_int_eq(o.exit_code, exit_server);
    ck_assert(has(o.message, "write failed: Input/output error"));
    ck_assert(o.retryable);

    o = classify(answer(507, "{\"error\": \"no_space\", \"message\": \"no space left on the store\"}"),
                 input());
    ck_assert_int_eq(o.exit_code, exit_server);
    ck_assert(has(o.message, "HTTP 507 Insufficient Storage") && has(o.message, "no space left"));
    ck_assert(!o.retryable);

    AttemptResult r = answer(507, "");
    r.retry_after = "30";
    ck_assert(classify(r, input()).retryable);

    o = classify(answer(501, ""), input());
    ck_assert_int_eq(o.exit_code, exit_server);
    ck_assert(!o.retryable);
}
END_TEST

START_TEST(transport)
{
    AttemptResult r;
    r.curl_code = CURLE_COULDNT_CONNECT;
    r.curl_error = "Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server";
    Outcome o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_transport);
    ck_assert_sstr_eq(o.message,
                     "upload to http://127.0.0.1:8083/upload/a/b.bin failed: Failed to connect to "
                     "127.0.0.1 port 9 after 0 ms: Couldn't connect to server");
    ck_assert(o.retryable);

    for (int c : {CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
                  CURLE_PARTIAL_FILE, CURLE_HTTP2}) {
        r.curl_code = c;
        ck_assert_msg(classify(r, input()).retryable, "code %d", c);
        ck_assert_int_eq(classify(r, input()).exit_code, exit_transport);
    }
    for (int c : {CURLE_COULDNT_RESOLVE_HOST, CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2_STREAM,
                  CURLE_PEER_FAILED_VERIFICATION, CURLE_UNSUPPORTED_PROTOCOL}) {
        r.curl_code = c;
        ck_assert_msg(!classify(r, input()).retryable, "code %d", c);
        ck_assert_int_eq(classify(r, input()).exit_code, exit_transport);
    }

    /* an early answer lost over HTTP/2: said, not retried */
    r.curl_code = CURLE_HTTP2_STREAM;
    r.curl_error = "Stream error in the HTTP/2 framing layer";
    ck_assert(has(classify(r, input()).message, "try --http1.1"));

    r.curl_code = CURLE_PEER_FAILED_VERIFICATION;
    r.curl_error = "SSL certificate problem: self-signed certificate";
    ck_assert(has(classify(r, input()).message, "--cacert"));

    /* no error text: libcurl's generic one */
    r.curl_code = CURLE_GOT_NOTHING;
    r.curl_error.clear();
    ck_assert(has(classify(r, input()).message, curl_easy_strerror(CURLE_GOT_NOTHING)));

    /* --max-time spent: not retried */
    r.curl_code = CURLE_OPERATION_TIMEDOUT;
    r.curl_error = "Operation timed out after 2000 milliseconds";
    r.deadline = true;
    o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_transport);
    ck_assert(!o.retryable);
    ck_assert(has(o.message, "--max-time"));

    /* the server answered early and closed while the body was going */
    AttemptResult early = answer(413, "{\"message\": \"too big\"}");
    early.curl_code = CURLE_SEND_ERROR;
    o = classify(early, input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(has(o.message, "too big"));

    /* but a 2xx status with a broken transfer is not a success */
    AttemptResult half = answer(201, ok_body(sha_a));
    half.curl_code = CURLE_RECV_ERROR;
    ck_assert_int_eq(classify(half, input()).exit_code, exit_transport);
}
END_TEST

START_TEST(local_and_interrupt)
{
    AttemptResult r;
    r.curl_code = CURLE_ABORTED_BY_CALLBACK;
    r.source_failed = true;
    r.source_error = "cannot read '/x': Input/output error";
    Outcome o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_local_file);
    ck_assert_sstr_eq(o.message, "cannot read '/x': Input/output error");
    ck_assert(!o.retryable);

    r.interrupted = true;
    o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_interrupted);
    ck_assert_sstr_eq(o.message, "interrupted");
    ck_assert(!o.retryable);
}
END_TEST

START_TEST(redirects)
{
    AttemptResult r = answer(301, "", "Moved Permanently");
    r.location = "http://127.0.0.1:8083/upload2/a/b.bin";
    Outcome o = classify(r, input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(has(o.message, "HTTP 301 Moved Permanently"));
    ck_assert(has(o.message, "Location: http://127.0.0.1:8083/upload2/a/b.bin"));
    ck_assert(!o.retryable);
}
END_TEST

START_TEST(one_line_text)
{
    ck_assert_sstr_eq(one_line("a\nb\tc\r"), "a b c");
    ck_assert_sstr_eq(one_line(std::string(400, 'x'), 10), "xxxxxxxxxx...");
}
END_TEST

START_TEST(success_output)
{
    Report r = big_iso_report(201, 24.0);
    r.server_path = "/isos/big.iso";
    r.location = "/upload/isos/big.iso";
    ck_assert_sstr_eq(success_line(r),
                     "uploaded ./big.iso -> http://127.0.0.1:8083/upload/isos/big.iso "
                     "(3.00 GiB, 128 MiB/s, sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)");

    nlohmann::json j = nlohmann::json::parse(report_json(r));
    ck_assert(j["ok"] == true);
    ck_assert(j["exit_code"] == 0);
    ck_assert(j["file"] == "./big.iso");
    ck_assert(j["url"] == r.url);
    ck_assert(j["status"] == 201);
    ck_assert(j["created"] == true);
    ck_assert(j["size"] == (3ull << 30));
    ck_assert(j["sha256"] == sha_a);
    ck_assert(j["server_sha256"] == sha_a);
    ck_assert(j["path"] == "/isos/big.iso");
    ck_assert(j["location"] == "/upload/isos/big.iso");
    ck_assert(j["bytes_per_second"] == 134217728);
    ck_assert(j["attempts"] == 1);
    ck_assert(!j.contains("error"));
    ck_assert(report_json(r).find('\n') == std::string::npos);
}
END_TEST

/* the server held this very file (HEAD: same size, same Repr-Digest):
 * nothing was sent, and the line and the JSON say so (issue 17.3) */
START_TEST(already_output)
{
    Report r = big_iso_report(200, 2.5);
    r.sent = 0;
    r.already = true;
    ck_assert_sstr_eq(success_line(r),
                     "already uploaded ./big.iso -> http://127.0.0.1:8083/upload/isos/big.iso "
                     "(3.00 GiB, sha256 matches: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)");
    nlohmann::json j = nlohmann::json::parse(report_json(r));
    ck_assert(j["ok"] == true);
    ck_assert(j["already"] == true);
    ck_assert(j["created"] == false);
    ck_assert(j["status"] == 200);
    ck_assert(j["size"] == (3ull << 30));
    ck_assert(j["sha256"] == sha_a);
    ck_assert(j["server_sha256"] == sha_a);
    ck_assert(j["bytes_per_second"] == 0);

    /* an upload that sent the file is not "already" */
    r.already = false;
    r.status = 201;
    r.sent = -1;
    j = nlohmann::json::parse(report_json(r));
    ck_assert(j["already"] == false);
    ck_assert(j["created"] == true);
    ck_assert(success_line(r).rfind("uploaded ./big.iso -> ", 0) == 0);

    /* a failure has neither */
    r.exit_code = exit_refused;
    r.message = "remote file already exists";
    j = nlohmann::json::parse(report_json(r));
    ck_assert(!j.contains("already") && !j.contains("created"));
}
END_TEST

START_TEST(error_output)
{
    Report r;
    r.exit_code = exit_refused;
    r.message = "remote file already exists: http://h/up/x (use --overwrite to replace it)";
    r.file = "caf\xe9.bin"; /* Latin-1: not valid UTF-8 */
    r.url = "http://h/up/x";
    r.status = 409;
    r.server_error = "exists";
    r.attempts = 1;
    std::string out = report_json(r);
    nlohmann::json j = nlohmann::json::parse(out);
    ck_assert(j["ok"] == false);
    ck_assert(j["exit_code"] == 5);
    ck_assert(j["error"] == "refused");
    ck_assert(j["message"] == r.message);
    ck_assert(j["server_error"] == "exists");
    ck_assert(j["status"] == 409);
    ck_assert(!j.contains("created"));
    ck_assert(!j.contains("sha256"));
    ck_assert(j["file"].get<std::string>().find("caf") == 0);

    /* a connect failure: the file's size, and no rate made of bytes that
     * were never sent (issue 17.7) */
    Report c;
    c.exit_code = exit_transport;
    c.message = "upload to http://h/up/x failed: Couldn't connect to server";
    c.file = "./big.iso";
    c.url = "http://h/up/x";
    c.size = 3000000;
    c.elapsed = 0.002;
    c.attempts = 1;
    j = nlohmann::json::parse(report_json(c));
    ck_assert(j["size"] == 3000000);
    ck_assert(j["bytes_per_second"] == 0);
    c.sent = 1000;
    c.elapsed = 0.5;
    j = nlohmann::json::parse(report_json(c));
    ck_assert(j["bytes_per_second"] == 2000);
}
END_TEST

/* Bytes the server has taken = written - unacknowledged: a receiver that
 * does not read holds the rest in the sender's queue. */
START_TEST(server_taken_counts_acknowledged)
{
    ck_assert_uint_eq(server_taken(1000, {}, 5000), 1000);
    ck_assert_uint_eq(server_taken(1000, {}, 600), 600); /* never past what was read */

    int lst = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert(lst >= 0);
    int small = 4096;
    setsockopt(lst, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    ck_assert(bind(lst, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
    ck_assert(listen(lst, 1) == 0);
    ck_assert(getsockname(lst, reinterpret_cast<sockaddr *>(&a), &alen) == 0);

    int snd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert(connect(snd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
    int rcv = accept(lst, nullptr, nullptr);
    ck_assert(rcv >= 0);
    fcntl(snd, F_SETFL, O_NONBLOCK);

    std::string chunk(64 * 1024, 'x');
    std::uint64_t written = 0;
    for (int i = 0; i < 200; i++) {
        ssize_t n = send(snd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        written += static_cast<std::uint64_t>(n);
    }
    ck_assert(written > 0);
    bool empty = true;
    std::uint64_t taken = server_taken(written, {snd}, written, &empty);
    ck_assert_msg(taken < written && !empty, "taken %llu of %llu",
                  static_cast<unsigned long long>(taken), static_cast<unsigned long long>(written));

    /* the receiver drains everything: all of it is taken */
    std::uint64_t got = 0;
    char buf[65536];
    while (got < written) {
        ssize_t n = recv(rcv, buf, sizeof(buf), 0);
        ck_assert(n > 0);
        got += static_cast<std::uint64_t>(n);
    }
    for (int i = 0; i < 100 && !empty; i++) {
        taken = server_taken(written, {snd}, written, &empty);
        usleep(10000);
    }
    ck_assert(empty);
    ck_assert_uint_eq(server_taken(written, {snd}, written), written);

    close(snd);
    close(rcv);
    close(lst);
}
END_TEST

/* nginx's own HTML 404/405/413 where no bigupload location is (issue 17.2):
 * the URL is the suspect, not a size limit */
START_TEST(not_an_upload_location)
{
    const char *url = "http://127.0.0.1:8083/upload/a/b.bin";
    Outcome o = classify(answer(413, "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n"
                                     "<body><center><h1>413 Request Entity Too Large</h1></center>"
                                     "<hr><center>nginx/1.22.1</center></body></html>\r\n",
                                "Request Entity Too Large"),
                         input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert(!o.retryable);
    ck_assert_sstr_eq(o.message, std::string(url)
                      + " does not look like an upload location: the server answered HTTP 413"
                        " Request Entity Too Large with a page of its own, not bigupload's JSON"
                        " (is it a bigupload location, or did a proxy in front of one refuse"
                        " the size?)");
    check_one_line(o);

    o = classify(answer(405, "<html><head><title>405 Not Allowed</title></head></html>", "Not Allowed"),
                 input());
    ck_assert_int_eq(o.exit_code, exit_refused);
    ck_assert_sstr_eq(o.message, std::string(url)
                      + " does not look like an upload location: the server answered HTTP 405"
                        " Not Allowed with a page of its own, not bigupload's JSON"
                        " (is it a bigupload location?)");

    /* HTTP/2: no reason phrase, an empty body (e.g. "return 404;") */
    o = classify(answer(404, ""), input(true));
    ck_assert_sstr_eq(o.message, std::string(url)
                      + " does not look like an upload location: the server answered HTTP 404"
                        " Not Found with a page of its own, not bigupload's JSON"
                        " (is it a bigupload location?)");

    /* the module's own 413 and 405 (JSON bodies) keep their reasons */
    o = classify(answer(413, "{\"error\": \"too_large\", \"message\": \"the file is larger than 1.00 GiB\"}",
                        "Request Entity Too Large"),
                 input());
    ck_assert_sstr_eq(o.message, "server refused the upload (HTTP 413 Request Entity Too Large):"
                                 " the file is larger than 1.00 GiB");
    o = classify(answer(405, "{\"error\": \"method_not_allowed\", \"message\": \"PUT and POST upload here\"}",
                        "Not Allowed"),
                 input());
    ck_assert_sstr_eq(o.message, "server refused the upload (HTTP 405 Not Allowed): PUT and POST upload here");
    o = classify(answer(404, "{\"error\": \"not_found\"}"), input());
    ck_assert_sstr_eq(o.message, "server refused the upload (HTTP 404 Not Found): not_found");

    /* other statuses without JSON are not guessed at */
    o = classify(answer(403, "<html>forbidden</html>"), input());
    ck_assert_sstr_eq(o.message, "server refused the upload (HTTP 403 Forbidden)");
}
END_TEST

Suite *client_outcome_suite(void);

Suite *client_outcome_suite(void)
{
    Suite *s = suite_create("client_outcome");
    TCase *tc = tcase_create("outcome");
    tcase_add_test(tc, exit_codes_distinct);
    tcase_add_test(tc, server_reply);
    tcase_add_test(tc, success_and_integrity);
    tcase_add_test(tc, backend_answer);
    tcase_add_test(tc, exists);
    tcase_add_test(tc, refused);
    tcase_add_test(tc, not_an_upload_location);
    tcase_add_test(tc, server_errors);
    tcase_add_test(tc, transport);
    tcase_add_test(tc, local_and_interrupt);
    tcase_add_test(tc, redirects);
    tcase_add_test(tc, one_line_text);
    tcase_add_test(tc, success_output);
    tcase_add_test(tc, error_output);
    tcase_add_test(tc, already_output);
    tcase_add_test(tc, server_taken_counts_acknowledged);
    suite_add_tcase(s, tc);
    return s;
}
