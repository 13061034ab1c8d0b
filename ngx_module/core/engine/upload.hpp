// The upload engine's one interface: what the nginx glue drives for every
// kind of upload, whichever protocol asked for it.  A plain upload (one
// request, atomic or nothing: plain.hpp) and a resumable one (a partial kept
// across requests: resumable.hpp) implement it; the front-ends choose which,
// the glue never does.
//
// Every method but the accessors blocks and runs on a worker thread, one at
// a time, except hash() and write_at(), which may run alongside each other
// (two pool tasks of one request: the hash of one buffer while an earlier
// one is written).  None logs: failures come back as an Outcome, and an
// FsError for Outcome::error, to be logged and answered on the event loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "engine/outcome.hpp"
#include "engine/store.hpp"

namespace bigupload {

// A digest the client sent for a request's body (tus Upload-Checksum, RFC
// 9530 Content-Digest), to be checked once the body is in.
struct DigestCheck {
    DigestAlg alg;
    std::string expected;                    // raw bytes
};

// What one request asks of an upload: where its bytes go.
struct UploadRequest {
    std::uint64_t start = 0;                 // offset of the request's first byte
    std::optional<std::uint64_t> end;        // one past its last byte, when known
    std::optional<std::uint64_t> total;      // the upload's length, when declared
    bool completes = false;                  // the body ends the upload
    // an append: it must start where the bytes held from 0 end
    // (offset_mismatch otherwise), as tus and the IETF draft want
    bool append = false;
    // the body's digests to check: a mismatch discards its bytes
    // (digest_mismatch), nothing of it is recorded or stored
    std::vector<DigestCheck> checks;
    // an upload without activity for longer (seconds) is gone (not_found),
    // as the expiry sweep would have it; 0: no such check
    std::int64_t max_idle = 0;
};

// Where a finished upload goes: a remote path below a store root.
struct Target {
    std::string root;                        // the store (absolute)
    std::string remote_path;                 // "/a/b.bin"
    std::vector<std::string> segments;       // {"a", "b.bin"}
    StoreOptions opt;
    Preconditions pre;
};

class Upload {
public:
    virtual ~Upload() = default;

    // Prepares the target and the file the bytes go to.
    virtual Outcome open(std::int64_t now, FsError &e) = 0;

    // Whether hash() must see this request's bytes (in order).
    virtual bool hashing() const = 0;
    virtual void hash(const void *data, std::size_t len) = 0;

    // Writes bytes of this request at "offset" in the upload; the offsets of
    // one request follow each other without a gap.
    virtual Outcome write_at(const void *data, std::size_t len, std::uint64_t offset,
                             std::int64_t now, FsError &e) = 0;

    // hash() and write_at() of the request's next bytes, in one call.
    Outcome write(const void *data, std::size_t len, std::int64_t now, FsError &e)
    {
        if (hashing()) {
            hash(data, len);
        }
        return write_at(data, len, offset() + written(), now, e);
    }

    // The body ended ("body_complete": all of it arrived).  Completes the
    // upload when it has every byte: created / replaced; else incomplete.
    virtual Outcome finish(bool body_complete, bool durable, std::int64_t now,
                           FsError &e) = 0;

    // The request failed: a plain upload removes its temp file, a resumable
    // one keeps what it holds.
    virtual Outcome abort(bool durable, std::int64_t now, FsError &e) = 0;

    // Whether open() succeeded and neither finish() nor abort() ran since:
    // abort() has work to do.
    virtual bool pending() const = 0;

    virtual bool resumable() const = 0;

    // Offset of this request's first byte, and its bytes written so far.
    virtual std::uint64_t offset() const = 0;
    virtual std::uint64_t written() const = 0;

    // The length declared for the upload, when it is known.
    virtual std::optional<std::uint64_t> length() const = 0;

    // The finished file: size, sha256 (hex), where it is.
    virtual std::uint64_t size() const = 0;
    virtual const std::string &sha256() const = 0;
    virtual const std::string &target_path() const = 0;

    // The remote path it goes to ("" while unknown: an upload resource
    // learns it from its state in open()).
    virtual std::string remote_path() const { return std::string(); }

    // A file only this request knows of, that a dead worker would leave
    // behind ("" when none): the status zone remembers it for the reaper.
    virtual std::string temp_path() const { return std::string(); }

    // Removes right now, without a thread, what only this request knows of
    // (a worker exiting fast).  Never throws.
    virtual void discard() noexcept {}
};

}  // namespace bigupload
