// The durable state of a resumable upload, kept beside its partial file:
// which client key it belongs to, the declared length, the ranges received.
// A text format with its own checksum, so that a truncated or damaged state
// file is recognised as such instead of being trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/range.hpp"

namespace bigupload {

// The preconditions of the request that created an upload, applied when
// another request completes it (RFC 9110's, as for a plain PUT).
struct StoredPreconditions {
    bool if_none_match_any = false;
    bool if_match_any = false;
    std::vector<std::string> if_match;
    std::vector<std::string> if_none_match;

    bool empty() const
    {
        return !if_none_match_any && !if_match_any && if_match.empty()
               && if_none_match.empty();
    }
};

// A CRC of bytes held, [start, end).
struct CrcRange {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint64_t crc = 0;
    bool operator==(const CrcRange &o) const
    {
        return start == o.start && end == o.end && crc == o.crc;
    }
};

// The upload's digest as far as it got, so that finishing it reads back only
// what is not covered yet.  A hash (sha256, sha512): the running state of the
// bytes held from 0 without a gap, as far as it got (a request that continues
// the prefix continues hashing where it stopped).  A CRC: the CRCs of ranges
// held, which combine into the file's without reading.
struct PrefixDigest {
    std::string alg;                        // digest_name(): "sha256", "crc64nvme", …
    std::uint64_t hashed = 0;               // a hash: bytes it covers, from 0
    std::string saved;                      // a hash: Digest::save(), raw bytes
    std::vector<CrcRange> ranges;           // a CRC: sorted, disjoint, within what is held
};

struct UploadState {
    std::string key;                        // client-chosen upload key; "" for an
                                            // upload whose id is its secret
    std::string path;                       // the target's remote path
    std::optional<std::uint64_t> length;    // declared total, if known
    RangeSet received;                      // ranges written and synced
    std::int64_t created = 0;               // unix seconds
    std::int64_t updated = 0;               // unix seconds, last activity

    // Optional fields (absent in what earlier versions wrote, which read
    // the rest and ignore them):
    std::string protocol;                   // "native" (also when absent), "tus", "ietf"
    std::string metadata;                   // the dialect's metadata, as sent
    bool part = false;                      // a part of a later concatenation:
                                            // kept, not moved into place, when complete
    bool finished = false;                  // the file went into place: what is left
                                            // is a record of it (no data), kept for
                                            // the requests about it until it expires
    std::string concat;                     // a concatenation of parts: the dialect's
                                            // description of them, as sent (tus's
                                            // Upload-Concat "final;…")
    StoredPreconditions pre;
    std::optional<PrefixDigest> digest;
    // the whole file's digests the client declared: {digest_name(), raw}
    std::vector<std::pair<std::string, std::string>> expect;
    // the algorithms the client asked to be told the file's digest in
    // (Want-Repr-Digest at its creation): digest_name()s
    std::vector<std::string> repr_want;

    bool complete() const { return length && received.covers(*length); }
};

enum class StateError {
    ok,
    empty,          // zero bytes: the state was never written
    truncated,      // the checksum line is missing
    corrupt,        // checksum mismatch or not parseable
    bad_version,    // written by an incompatible version
    bad_field,      // a field is missing or out of range
};

const char *state_error_message(StateError e);

// A JSON object on the first line, "sha256 <hex of that line>" on the second.
std::string serialize_state(const UploadState &st);

StateError parse_state(std::string_view text, UploadState &out);

// Upload keys are 1 to 128 characters of [A-Za-z0-9._~+/=-].
bool valid_upload_key(std::string_view key);

}  // namespace bigupload
