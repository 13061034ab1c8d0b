// tus 1.0.0 as a client speaks it, the pure part: where the creation POST
// goes and what it says, the server's offer (OPTIONS), an upload's offset
// (HEAD, PATCH answers), the checksum to send, the parts of a parallel
// upload (concatenation), and what a failed answer means.  No libcurl, no
// I/O: unit-tested.  The requests are tool_tus's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "base/range.hpp"
#include "tool_outcome.hpp"

namespace bgclient {
namespace tus {

constexpr const char *resumable_header = "Tus-Resumable: 1.0.0";
constexpr const char *patch_content_type = "Content-Type: application/offset+octet-stream";

// The smallest part of a parallel upload (a file smaller than two parts
// goes in one upload), and the default piece with the checksum extension
// (every PATCH's bytes are hashed before it is sent).
constexpr std::uint64_t min_part_size = 1024 * 1024;
constexpr std::uint64_t checksum_chunk_size = 64ull * 1024 * 1024;

// The creation URL and the name: <url> joined with <remote_path>'s
// directory, ending in "/" ("http://h/files" and "/isos/big.iso" give
// "http://h/files/isos/" and "big.iso"), percent-encoded as a PUT's would be.
struct Target {
    std::string creation_url;
    std::string name;
};
Target creation_target(const std::string &url, const std::string &remote_path);

// "filename <base64>": the Upload-Metadata value for a name.
std::string metadata_value(const std::string &name);

// A Location (absolute, scheme-relative, absolute-path or relative)
// resolved against the URL of the request it answered (RFC 3986, 5.2), dot
// segments removed.  nullopt for an empty one, or one with a space or
// control character.
std::optional<std::string> resolve_location(const std::string &base, const std::string &location);

// What the server's OPTIONS answer offers.
struct Offer {
    bool tus = false;                        // 2xx and Tus-Version lists 1.0.0
    std::string versions;                    // Tus-Version, as sent
    std::vector<std::string> extensions;     // Tus-Extension
    std::vector<std::string> checksums;      // Tus-Checksum-Algorithm
    std::optional<std::uint64_t> max_size;   // Tus-Max-Size
    std::string error;                       // a header that does not parse

    bool has(const std::string &extension) const;
};

Offer parse_offer(long status, const std::string &tus_version, const std::string &tus_extension,
                  const std::string &tus_max_size, const std::string &tus_checksum_algorithm);

// The algorithm for Upload-Checksum: the strongest bgclient has among those
// offered (sha256, sha512, sha1, md5, crc32c, crc32), when the server
// offers the checksum extension; nullopt otherwise.
std::optional<bigupload::DigestAlg> pick_checksum(const Offer &o);

// "sha256 <base64 of raw>"
std::string checksum_value(bigupload::DigestAlg alg, const std::string &raw);

// An upload's offset and length as HEAD or a PATCH answer reports them.
struct UploadInfo {
    bool ok = false;
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> length;  // absent while deferred
    std::string error;                    // !ok: what is wrong
};
UploadInfo parse_upload_info(const std::string &upload_offset, const std::string &upload_length);

// The parts of a parallel upload of "size" bytes over n connections: n
// contiguous ranges of nearly equal size, fewer when a part would be under
// min_part_size (one, the whole file, when it is under two of them).
std::vector<bigupload::ByteRange> split_parts(std::uint64_t size, unsigned n);

// "final;<url> <url> ...": the Upload-Concat of the final upload.
std::string concat_final_value(const std::vector<std::string> &urls);

// What the last request of an attempt was, for the outcome.
struct Facts {
    std::string method;           // "POST", "PATCH", "HEAD": the request that failed
    std::string request_url;      // its URL, credentials redacted
    bool completed = false;       // the server holds the whole file
};

// The outcome of an attempt: a completed upload is verified with the
// server's Repr-Digest (in --digest's algorithm) when it sent one (a mismatch is exit code
// 7), else it succeeds unverified (verified_digest empty: tus has no digest
// of its own); failures are classified as the native dialect's, except
// tus's own: 460 (checksum mismatch, retried, then exit 7), 409 on PATCH
// (the offset moved: retried), 423 (locked: retried), and 404, 405, 410,
// 413 without the native dialect's wording.
Outcome classify(const AttemptResult &r, const OutcomeInput &in, const Facts &f);

}  // namespace tus
}  // namespace bgclient
