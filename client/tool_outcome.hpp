// What one attempt's result means: exit code, one-line message, and whether
// to try again.  Pure (no libcurl calls; only CURLcode numbers), so every
// error path is unit-tested.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include "tool_digest.hpp"

namespace bgclient {

// What the transfer reports about one attempt.
struct AttemptResult {
    int curl_code = 0;          // CURLcode (0: the exchange completed)
    std::string curl_error;     // libcurl's error text
    long status = 0;            // final HTTP status, 0 when none came
    std::string reason;         // reason phrase of the status line (HTTP/1)
    std::string body;           // first bytes of the response body
    std::string retry_after;    // Retry-After header, raw
    std::string location;       // Location header
    std::string repr_digest;    // Repr-Digest header (RFC 9530)
    std::string http_version;   // "HTTP/1.1", "HTTP/2"
    std::uint64_t sent = 0;     // body bytes read from the file and sent
    double elapsed = 0;         // seconds
    bool interrupted = false;   // Ctrl-C / SIGTERM
    bool source_failed = false; // the local file failed while being read
    std::string source_error;
    bool deadline = false;      // --max-time ran out
};

// The server's JSON answer, when it sent one.
struct ServerReply {
    bool json = false;
    std::string error;    // "exists", ...
    std::string message;
    std::string path;
    std::string sha256;
    ServerDigests digests;  // the members keyed by an algorithm's name
    std::optional<std::uint64_t> size;
    // bigupload's own success answer: {"path", "size"} and the digest keyed
    // by its algorithm's name ("sha256", "crc64nvme"; none with
    // bigupload_digest off) and nothing else; any other body came from a
    // bigupload_pass backend
    bool own_answer = false;
};

ServerReply parse_server_reply(const std::string &body);

struct OutcomeInput {
    std::string url;          // what was PUT, credentials redacted
    bool overwrite = false;
    DigestChoice alg = bigupload::DigestAlg::sha256;  // --digest
    std::string local_digest; // in alg, lowercase hex, of the bytes sent
    bool digest_sent = false; // a Repr-Digest of local_digest went with the upload
    std::uint64_t local_size = 0;
    std::time_t now = 0;      // for Retry-After dates
};

struct Outcome {
    int exit_code = 0;
    std::string message;                 // without "bgclient: "; empty on success
    bool retryable = false;
    std::optional<double> retry_after;   // seconds the server asked to wait
    ServerReply reply;
    std::string verified_digest;         // what the server confirmed storing (hex, in alg)
    // how the upload was verified: the algorithm's name (the server reported
    // the file's digest in it, equal to ours), "server" (the server reported
    // another algorithm only, and checked the Repr-Digest bgclient sent
    // before storing the file), "none" (--digest none); "" on failure
    std::string verified;
    std::string backend_response;        // a bigupload_pass backend's body
};

Outcome classify(const AttemptResult &r, const OutcomeInput &in);

// The server's digest (hex, in in.alg) against the file's: exit_ok with
// verified_digest, or exit_integrity with the message.
void compare_digest(const std::string &server_hex, const OutcomeInput &in, Outcome &o);

// A completed upload's digests (from the JSON answer and Repr-Digest)
// against the file's, as README "Integrity" says: one in in.alg is compared;
// only others are "server" when bgclient declared its digest (the server
// checked it), else exit_integrity; none at all is exit_integrity, unless
// bgclient declared its digest to bigupload's own answer.  --digest none
// verifies nothing.  "what" names the answer in messages ("HTTP 201 Created").
void verify_digests(const ServerDigests &server, bool own_answer, const std::string &what,
                    const OutcomeInput &in, Outcome &o);

// Transport failures worth retrying (connect, reset, timeout, empty reply).
bool curl_code_retryable(int curl_code);

// "Not Found" for 404, "" when unknown (HTTP/2 has no reason phrases).
const char *standard_reason(long status);

// The text as one printable line of at most max bytes.
std::string one_line(const std::string &s, std::size_t max = 300);

}  // namespace bgclient
