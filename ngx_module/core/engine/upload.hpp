// The upload engine's one interface: what the nginx glue drives for every
// kind of upload, whichever protocol asked for it.  A plain upload (one
// request, atomic or nothing: plain.hpp) and a resumable one (a partial kept
// across requests: resumable.hpp) implement it; the front-ends choose which,
// the glue never does.
//
// Every method but the accessors blocks and runs on a worker thread, one at
// a time, except hash() and write_at() (or hash_spliced() and splice()),
// which may run alongside each other (two pool tasks of one request: the
// hash of one buffer while an earlier one is written, or of spliced bytes
// while the next are spliced).  None logs: failures come back as an Outcome, and an
// FsError for Outcome::error, to be logged and answered on the event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
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
    // the whole file's digests as the client declares them (Repr-Digest of
    // a resumable upload), checked when it completes (file_digest_mismatch)
    std::vector<DigestCheck> expect;
    // when it completes the upload: the algorithms, besides bigupload_digest's, whose
    // digest of the whole file it wants (Want-Repr-Digest)
    std::vector<DigestAlg> repr_want{};
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
    // the finished file's digest (bigupload_digest); none: not computed
    std::optional<DigestAlg> digest = DigestAlg::sha256;
};

// A file an upload stored: where it is and its digest.
struct StoredFile {
    std::string path;
    FileDigest digest;
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

    // Whether splice() may take the request's bytes: they go to one file as
    // they come (the zero-copy body path); a form's are parsed, and may not.
    virtual bool splices() const { return false; }

    // write_at() of the request's next "len" bytes, waiting in the pipe
    // "pipe": spliced into the file.  Whatever the outcome, the pipe may
    // still hold some of them.
    virtual Outcome splice(int pipe, std::size_t len, std::int64_t now, FsError &e)
    {
        (void) pipe, (void) len, (void) now, (void) e;
        throw std::logic_error("this upload takes no spliced bytes");
    }

    // hash() of the request's next "len" bytes that splice() put in the file,
    // from the file's pages (map_range): behind the writes, and alongside
    // the next splice().  False with "e" set when the file cannot be mapped.
    virtual bool hash_spliced(std::size_t len, FsError &e)
    {
        (void) len, (void) e;
        throw std::logic_error("this upload takes no spliced bytes");
    }

    // The body ended ("body_complete": all of it arrived).  Completes the
    // upload when it has every byte: created / replaced; else incomplete.
    virtual Outcome finish(bool body_complete, bool durable, std::int64_t now,
                           FsError &e) = 0;

    // The request failed: a plain upload removes its temp file, a resumable
    // one keeps what it holds ("keep"), or, when the upload can never be
    // valid (its body is over the size limit), is removed whole.
    virtual Outcome abort(bool keep, bool durable, std::int64_t now, FsError &e) = 0;

    // Whether open() succeeded and neither finish() nor abort() ran since:
    // abort() has work to do.
    virtual bool pending() const = 0;

    virtual bool resumable() const = 0;

    // Offset of this request's first byte, and its bytes written so far.
    virtual std::uint64_t offset() const = 0;
    virtual std::uint64_t written() const = 0;

    // The length declared for the upload, when it is known.
    virtual std::optional<std::uint64_t> length() const = 0;

    // The finished file: size, digest (as bigupload_digest chose), where
    // it is.
    virtual std::uint64_t size() const = 0;
    virtual const FileDigest &digest() const = 0;
    virtual const std::string &target_path() const = 0;

    // The finished file's sha256 in hex, "" when another digest (or none)
    // was chosen.
    std::string sha256() const
    {
        const FileDigest &d = digest();
        return d.alg == DigestAlg::sha256 ? d.hex() : std::string();
    }

    // The files a completed upload stored (bigupload_pass_cleanup removes
    // them): one for a plain or resumable upload, one per file of a form.
    virtual std::vector<StoredFile> stored() const
    {
        return {StoredFile{target_path(), digest()}};
    }
    // The remote path it goes to ("" while unknown: an upload resource
    // learns it from its state in open()).
    virtual std::string remote_path() const { return std::string(); }

    // A file only this request knows of, that a dead worker would leave
    // behind ("" when none): the status zone remembers it for the reaper.
    virtual std::string temp_path() const { return std::string(); }

    // Removes right now, without a thread, what only this request knows of
    // (a worker exiting fast).  Never throws.
    virtual void discard() noexcept {}

    // Whether the finished file's digest had to be computed from the whole
    // file because a saved digest state could not be used.
    virtual bool digest_fell_back() const { return false; }

    // Bytes of the file read back to finish its digest: those no request
    // hashed as they arrived (0 for a plain upload, always).
    virtual std::uint64_t digest_read_back() const { return 0; }

    // Work that may go on after the request has ended, on the thread pool
    // and owned by no request (hashing behind the frontier); run again
    // while it returns true.  Empty when there is none.
    using Background = std::function<bool(FsError &)>;
    virtual Background background() const { return Background(); }
};

}  // namespace bigupload
