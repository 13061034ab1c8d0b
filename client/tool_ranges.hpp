// The ranges of a resumable upload, sent with PUT + Upload-Key +
// Content-Range over up to N connections at once (libcurl's multi
// interface; with --http2 too, each range on its own connection).  The
// request that completes the upload gets the server's JSON answer; every
// other one gets 204.  The progress counts bytes the server has taken across
// all connections, on top of what it held before.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/range.hpp"
#include "tool_args.hpp"
#include "tool_filehash.hpp"
#include "tool_outcome.hpp"
#include "tool_progress.hpp"
#include "tool_resume.hpp"
#include "tool_source.hpp"

namespace bgclient {

struct Exchange;

// One piece's request in another dialect than the native one (tus's PATCH).
struct PieceRequest {
    std::string method;                // "PUT", "PATCH"
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string error;                 // when it cannot be built (the file failed)
};

// What a piece's answer means.
enum class PieceVerdict {
    acked,      // the server took the piece; more follow (the native 204)
    completed,  // this answer completes the upload (the native 201/200)
    failed,     // anything else: the attempt failed with this answer
};

struct RangeJob {
    const Config *cfg = nullptr;
    Source *src = nullptr;                     // read with read_at
    std::string key;                           // Upload-Key
    std::uint64_t size = 0;                    // the file's size (the total)
    std::vector<bigupload::ByteRange> pieces;  // one request each, in this order
    std::uint64_t held = 0;                    // bytes the server holds already
    unsigned parallel = 1;                     // connections at once
    double deadline = 0;                       // now_seconds() to stop at; 0: none
    FileHasher *hasher = nullptr;              // told how far the reads got
    // The native dialect: each request started once the hasher has the
    // whole file's digest declares it (Repr-Digest in this algorithm), so
    // that the server refuses to store a file without it.
    DigestChoice declare;

    // Another dialect: builds each piece's request (false: it cannot, with
    // PieceRequest::error) and judges its answer.  Unset: the native PUT +
    // Upload-Key + Content-Range to cfg->target_url.
    std::function<bool(const bigupload::ByteRange &, PieceRequest &)> request;
    std::function<PieceVerdict(const bigupload::ByteRange &, const Exchange &)> judge;
};

struct RangeResult {
    AttemptResult res;        // the completing request's, or the failing one's
    bool completed = false;   // a request got the final 2xx (not 204)
    bool failed = false;      // a request failed (res says how); no other
                              // completed (those in flight were let finish)
    bool declared = false;    // a request carried the file's Repr-Digest
    std::uint64_t acked = 0;  // bytes of pieces answered 204 in this attempt
    std::uint64_t done = 0;   // bytes the server had taken at the end (for the meter)
};

RangeResult send_ranges(const RangeJob &job, ProgressMeter &meter, unsigned attempt);

}  // namespace bgclient
