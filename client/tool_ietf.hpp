// --protocol ietf: an upload with the IETF resumable-upload draft, in the
// interop version --ietf-version says (8 by default), to any server of the
// draft.  The first attempt is an optimistic creation: the whole file in one
// PUT with the completeness field true.  The server names the upload
// resource in its "104 Upload Resumption Supported" before it reads the
// body, so a connection broken even during that first request is resumed:
// the next attempt asks the resource for its offset (HEAD) and appends the
// rest (PATCH), in pieces no larger than the Upload-Limit's
// max-append-size (and --chunk-size).  README "bgclient", "--protocol ietf".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tool_args.hpp"
#include "tool_outcome.hpp"
#include "tool_progress.hpp"
#include "tool_source.hpp"

namespace bgclient {

// What the attempts of one upload learn about its upload resource.
struct IetfSession {
    std::string resource;                      // its absolute URL, once named
    std::optional<std::uint64_t> max_append;   // Upload-Limit max-append-size
    std::optional<std::uint64_t> max_size;     // Upload-Limit max-size
};

struct IetfResult {
    AttemptResult r;             // the last exchange's (the final answer, when complete)
    bool fatal = false;          // stop: fatal_code, fatal_message
    int fatal_code = 0;
    std::string fatal_message;
    std::string local_digest;    // of the whole file, once the upload completed
    std::uint64_t done = 0;      // bytes the server holds
    std::int64_t sent = 0;       // bytes this attempt sent
    std::int64_t resumed_at = -1;// where this attempt resumed (-1: a creation)
};

// One attempt: the creation while no upload resource is known, else HEAD
// and the appends.  timeout_ms: what --max-time leaves (0: none).
IetfResult ietf_attempt(const Config &cfg, Source &src, IetfSession &s, ProgressMeter &meter,
                        long timeout_ms, unsigned attempt);

// --- pure helpers (unit-tested) ------------------------------------------------

// "location" (a path, or absolute) as an absolute URL against "base"; "" when
// it cannot be resolved.
std::string ietf_resolve(const std::string &base, const std::string &location);

// The request headers of a creation (offset 0) or an append in "version":
// Upload-Draft-Interop-Version, the completeness field, Upload-Length (from
// interop 6), Upload-Offset and Content-Type: application/partial-upload for
// an append (the media type from interop 6).
std::vector<std::string> ietf_request_headers(int version, bool append, std::uint64_t offset,
                                              bool complete, std::uint64_t length);

// The bytes of the next append: what is left, at most --chunk-size (0: no
// limit) and the server's max-append-size.
std::uint64_t ietf_piece(std::uint64_t left, std::uint64_t chunk_size,
                         std::optional<std::uint64_t> max_append);

// Reads Upload-Limit into the session (ignored when malformed, as the draft
// says a client may).
void ietf_take_limits(int version, const std::string &value, IetfSession &s);

}  // namespace bgclient
