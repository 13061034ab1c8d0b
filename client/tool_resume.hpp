// Resumable uploads, the pure part: what the server's answer to HEAD says it
// holds, which ranges are left to send and how they are cut into requests,
// and the lines bgclient prints about it.  No libcurl, no I/O: unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/range.hpp"
#include "tool_digest.hpp"

namespace bgclient {

// Default --chunk-size with -j N > 1 (with -j 1 each gap is one request).
constexpr std::uint64_t default_chunk_size = 64ull * 1024 * 1024;
constexpr std::uint64_t min_chunk_size = 64ull * 1024;
constexpr unsigned max_parallel = 16;

// The headers of a HEAD (or 204) answer that matter here, raw.
struct HeadAnswer {
    long status = 0;
    std::string upload_offset;   // Upload-Offset
    std::string upload_ranges;   // Upload-Ranges
    std::string upload_length;   // Upload-Length
    std::string content_length;  // Content-Length (a finished file)
    std::string repr_digest;     // Repr-Digest (a finished file, when known)
};

enum class HeldKind {
    nothing,      // 404: no partial upload there: start from zero
    partial,      // 204: a partial upload (ranges, length, offset)
    finished,     // 200: a finished file (HEAD without a key): size
    conflict,     // 409: the partial belongs to another upload key
    unsupported,  // 405, 501: the server has no resumable uploads
    other,        // anything else: an error, classified as for a PUT
    malformed,    // a 204 whose Upload-* headers do not parse: error says which
};

struct Held {
    HeldKind kind = HeldKind::other;
    bigupload::RangeSet ranges;            // partial: what the server holds
    std::optional<std::uint64_t> length;   // partial: the declared total, if any
    std::uint64_t offset = 0;              // partial: held from 0 without a gap
    std::optional<std::uint64_t> size;     // finished: Content-Length
    std::string sha256;                    // finished: from Repr-Digest, if sent
    ServerDigests digests;                 // finished: Repr-Digest's, every known algorithm
    std::string error;                     // malformed: what is wrong
};

Held parse_held(const HeadAnswer &a);

// The ranges of [0, size) the server does not hold, cut into pieces of at
// most "chunk" bytes (0: one piece per gap), in file order.
std::vector<bigupload::ByteRange> plan_pieces(const bigupload::RangeSet &held,
                                              std::uint64_t size, std::uint64_t chunk);

// The piece size for -j N, an optional --chunk-size (0: none) and the bytes
// still to send: the given size; else 0 (whole gaps) with -j 1; else the
// missing bytes shared among the N connections, at most default_chunk_size
// and at least 1 MiB (so that -j 4 uses 4 connections for a small file too).
std::uint64_t effective_chunk(unsigned parallel, std::uint64_t chunk_option,
                              std::uint64_t missing);

// "bytes 0-67108863/4294967296" for the piece [start, end) of a file.
std::string piece_content_range(const bigupload::ByteRange &piece, std::uint64_t size);

// "resuming at 1.20 GiB of 4.00 GiB"
std::string resume_message(std::uint64_t held, std::uint64_t size);

// The partial upload at url was declared with another length: "" when it
// matches (or none was declared), else the message (exit code 5).
std::string length_mismatch(const Held &h, std::uint64_t size, const std::string &url);

// The partial upload at url belongs to another key (exit code 5).
std::string conflict_message(const std::string &url);

// --status: "done: 4294967296" (with " (sha256 <hex>)", or the first digest
// Repr-Digest gave in another algorithm), "partial: 67108864 of 4294967296
// (0-67108863)" ("of unknown" without a declared length), "absent".
std::string status_line(const Held &h);

}  // namespace bgclient
