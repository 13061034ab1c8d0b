// Command-line parsing into a Config.  No libcurl here: everything is
// validated before a transfer starts, and every mistake is a usage error
// (exit code 2) with a one-line message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tool_digest.hpp"
#include "tool_protocol.hpp"

namespace bgclient {

enum class ProgressMode { automatic, bar, plain, none };
enum class HttpVersion { automatic, http1_1, http2 };

struct Config {
    // positionals
    std::string url;          // upload location, scheme included ("http://" added when missing)
    std::string file_path;    // "-" is standard input; empty with --status
    std::string remote_path;  // always starts with "/"; "dir/" gets the file's name appended
    std::string target_url;   // url + remote_path, percent-encoded: what is PUT

    // request
    std::vector<std::string> headers;  // -H, in order
    std::string user;                  // -u user:password
    bool have_user = false;
    std::string bearer;                // --oauth2-bearer
    bool insecure = false;             // -k
    std::string cacert;                // --cacert
    HttpVersion http_version = HttpVersion::automatic;
    std::uint64_t limit_rate = 0;      // bytes/s, 0 = unlimited
    long connect_timeout_ms = 0;       // 0 = libcurl's default
    long max_time_ms = 0;              // 0 = no limit (whole run, retries included)
    unsigned retries = 3;
    bool overwrite = false;
    // --digest: the algorithm the upload is verified with (nullopt: none)
    DigestChoice digest = bigupload::DigestAlg::sha256;

    // resumable uploads (regular files; standard input is one plain PUT)
    bool resume = true;              // --no-resume: one plain PUT, nothing kept on failure
    unsigned parallel = 1;           // -j: connections at once
    std::uint64_t chunk_size = 0;    // --chunk-size; 0: whole gaps with -j 1, else 64 MiB
    bool restart = false;            // --restart: discard the server's partial first
    bool status = false;             // --status: print what the server holds, upload nothing
    Protocol protocol = Protocol::native;  // --protocol (tool_protocol)
    int ietf_version = 0;            // --ietf-version: the draft's interop version, 3 to 8
                                     // (0 while parsing: not given; then 8)

    // output
    bool json = false;
    bool quiet = false;
    bool verbose = false;
    ProgressMode progress = ProgressMode::automatic;
};

enum class ArgAction { run, help, version, error };

struct ArgResult {
    ArgAction action = ArgAction::error;
    Config config;
    std::string error;  // for ArgAction::error: the message, without "bgclient: "
};

ArgResult parse_args(int argc, const char *const *argv);

// The exit code for a parse result that stops bgclient before any transfer:
// exit_usage for an error, exit_ok for --help and --version.
int exit_code_for(const ArgResult &r);
ArgResult parse_args(const std::vector<std::string> &args);  // args without argv[0]

// "2.5" -> 2500, "10" -> 10000; at most 3 decimals; false on junk, sign,
// or more than max_seconds.
bool parse_seconds_ms(const std::string &s, long max_seconds, long &ms);

// The remote path as it will be PUT: "/" prepended when missing, and the
// file's name appended when it ends with "/" (as "curl -T file url/" does).
// false with a message when it is empty, names a directory for stdin, or is
// not a valid bigupload path ("..", "//", ...).
bool make_remote_path(const std::string &given, const std::string &file_path,
                      std::string &out, std::string &error);

}  // namespace bgclient
