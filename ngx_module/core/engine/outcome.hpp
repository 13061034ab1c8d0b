// The one outcome type of the engine: every step of every kind of upload,
// and of the requests about one (HEAD, DELETE), comes out as one of these.
// The front-ends turn them into answers through the errors table
// (proto/errors.hpp).
#pragma once

namespace bigupload {

// How a step of an upload (or of a request about one) came out.
enum class Outcome {
    ok,
    incomplete,          // finish(): the upload needs more bytes
    created,             // finish(): stored as a new file
    replaced,            // finish(): replaced the target
    completed_elsewhere, // finish(): a request that ended alongside completed it
    not_found,           // no such partial (or nothing at the target)
    key_mismatch,        // the partial belongs to another key
    length_mismatch,     // a length other than the one declared before
    beyond_length,       // a range past the declared length
    offset_mismatch,     // an append that does not start where the upload ends
    body_length_mismatch,// the body's length differs from the length declared
    digest_mismatch,     // the body's digest differs from the one the client sent
    too_many_ranges,     // the upload would hold more separate ranges than allowed
    file_digest_mismatch,// the file's digest differs from the one the client declared
                     // (Repr-Digest; finish(): the partial is removed)
    kept,                // finish(): complete, and kept as a part of a concatenation
    finished,            // the upload is complete and in place: nothing more to write
    cancelled,           // the partial went away while this request wrote
    corrupt,             // its state cannot be trusted
    precondition_failed, // If-Match / If-None-Match
    exists,              // the target is there and may not be replaced
    appeared,            // finish(): a file appeared at the target meanwhile
    is_directory,        // the target is a directory
    refused,             // the upload refused its body for a reason of its
                         // dialect (a broken form): its front-end says which
    error,               // a syscall failed: see FsError
};

}  // namespace bigupload
