// What bgclient prints on stdout: the success line, or with --json one
// object for the final result (success or failure).
#pragma once

#include <cstdint>
#include <string>

namespace bgclient {

struct Report {
    int exit_code = 0;
    std::string message;        // error text (empty on success)
    std::string file;           // as given ("(stdin)" for -)
    std::string url;            // what was PUT, credentials redacted
    long status = 0;            // final HTTP status, 0 when none
    std::string server_error;   // the server's JSON "error" code
    std::uint64_t size = 0;     // the file's size (from a pipe: bytes read)
    std::string digest_alg = "sha256";  // --digest's name ("none": nothing verified)
    std::string digest;         // of the bytes sent, in digest_alg (empty when none were)
    std::string server_digest;  // the server's, in digest_alg
    std::string server_path;
    std::string location;
    std::string response;       // a bigupload_pass backend's answer body
    std::string http_version;
    double elapsed = 0;         // seconds of the last attempt
    std::int64_t sent = -1;     // bytes the last attempt sent (-1: size): for the rate
    std::int64_t resumed_at = -1; // bytes the server held when the last attempt began
    unsigned attempts = 0;
    bool already = false;       // the server held this very file: nothing was sent
    std::string protocol;       // "tus" (--protocol, auto's choice); "" for the native dialect
    // how the upload was verified: the algorithm's name (the server's digest
    // in it is ours), "server" (the server checked the Repr-Digest sent),
    // "none" (--digest none; tus: no digest from the server); tus also
    // "checksum" (tool_tus)
    std::string verified;
};

// "uploaded big.iso -> http://h/up/big.iso (2.71 GiB, 112 MiB/s, sha256 <hex>)",
// ("crc64nvme <hex>" with --digest crc64nvme; "sha256 <hex>, checked by the
// server" when the server reported another algorithm and checked ours;
// "not verified: --digest none"),
// over tus "uploaded big.iso -> http://h/up/big.iso over tus (...)",
// or when the server held it already
// "already uploaded big.iso -> http://h/up/big.iso (2.71 GiB, sha256 matches: <hex>)"
std::string success_line(const Report &r);

// One JSON object, no newline.
std::string report_json(const Report &r);

}  // namespace bgclient
