// The durable state of a resumable upload, kept beside its partial file:
// which client key it belongs to, the declared length, the ranges received.
// A text format with its own checksum, so that a truncated or damaged state
// file is recognised as such instead of being trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/range.hpp"

namespace bigupload {

struct UploadState {
    std::string key;                        // client-chosen upload key; "" for an
                                            // upload whose id is its secret
    std::string path;                       // remote path, for operators
    std::optional<std::uint64_t> length;    // declared total, if known
    RangeSet received;                      // ranges written and synced
    std::int64_t created = 0;               // unix seconds
    std::int64_t updated = 0;               // unix seconds, last activity

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
