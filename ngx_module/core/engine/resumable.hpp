// A resumable upload: the requests of one upload write into a partial of the
// store (partial_store.hpp), each recording what it wrote, in any order, from
// any connection, process or server sharing the store; the request that
// completes it moves the file into place.
//
// One object per request.  open() binds the request to its partial (making
// it when the request may) and checks key, length and range; the bytes are
// written at their offsets (and hashed when the request begins at 0); every
// "checkpoint" bytes, and at the end, what the request holds is recorded in
// the state under the partial's lock.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/digest.hpp"
#include "engine/fd.hpp"
#include "engine/partial_store.hpp"
#include "engine/upload.hpp"

namespace bigupload {

// How a request may bind to its partial.
enum class Bind {
    join_or_create,      // the native dialect: the request names the upload
    join,                // the partial must exist (an append to a resource)
    create,              // the partial must not exist yet (a creation)
};

// What a creation (Bind::create) records about the upload besides its target;
// for Bind::join, "protocol" and "record" say what the upload must be and
// what to do once it completes.
struct Creation {
    std::string protocol;                    // "tus", "ietf"; a join finds only an
                                             // upload of this protocol (when not "")
    std::string metadata;                    // the dialect's metadata, as sent
    bool part = false;                       // kept, not moved into place, once complete;
                                             // it has no target of its own
    std::string concat;                      // a concatenation's description (concat.hpp)
    // once complete and in place, the state stays as a record of the
    // finished upload (UploadState::finished) until it expires, for the
    // dialect's requests about it; otherwise it is removed
    bool record = false;

    // the algorithms the client wants the finished file's digest in
    // (Want-Repr-Digest), besides bigupload_digest's; the digests it
    // declares for the file go in UploadRequest::expect
    std::vector<DigestAlg> repr_want{};

    // Creation{protocol, metadata, part} as before "concat" and "record"
    // came (no aggregate: that would leave them uninitialised to -Wextra)
    Creation(std::string protocol_ = std::string(), std::string metadata_ = std::string(),
             bool part_ = false)
        : protocol(std::move(protocol_)), metadata(std::move(metadata_)), part(part_) {}
};

class ResumableUpload final : public Upload {
public:
    // "target.segments" may be empty for Bind::join: the target is then the
    // one the partial's state names.
    ResumableUpload(PartialStore store, std::string id, std::string key, Target target,
                    UploadRequest rq, Bind bind = Bind::join_or_create,
                    Creation creation = Creation())
        : store_(std::move(store)), id_(std::move(id)), key_(std::move(key)),
          target_(std::move(target)), rq_(std::move(rq)), bind_(bind),
          creation_(std::move(creation)) {}

    // ok, or: key_mismatch, length_mismatch, beyond_length, offset_mismatch
    // (an append elsewhere than where the upload ends), too_many_ranges (a
    // range far from those held, past max_ranges), corrupt, not_found
    // (Bind::join: none, one of another protocol, or one idle for longer
    // than rq.max_idle), finished (Bind::join: only the record of a finished
    // upload is left), exists (Bind::create, or a file at the target with
    // overwrite off), precondition_failed, is_directory, error.  A part
    // (Creation::part) has no target: none is resolved.
    Outcome open(std::int64_t now, FsError &e) override;

    bool hashing() const override { return digest_.has_value() || !checks_.empty(); }
    void hash(const void *data, std::size_t len) override;
    Outcome write_at(const void *data, std::size_t len, std::uint64_t offset,
                     std::int64_t now, FsError &e) override;
    bool splices() const override { return true; }
    Outcome splice(int pipe, std::size_t len, std::int64_t now, FsError &e) override;
    bool hash_spliced(std::size_t len, FsError &e) override;

    // Records what this request wrote (only bytes both written and hashed,
    // when hashing; nothing when a digest check of its body fails:
    // digest_mismatch).  When the ranges then cover the length, the file is
    // hashed (unless this request's own hash covers it), moved into place
    // and the partial removed: created or replaced (kept for a part of a
    // concatenation).  Otherwise incomplete; or completed_elsewhere,
    // cancelled, length_mismatch, exists, error.
    Outcome finish(bool body_complete, bool durable, std::int64_t now,
                   FsError &e) override;

    // finish() of a request that failed: what it holds is kept; without
    // "keep", the partial is removed (with its key: only its own).
    Outcome abort(bool keep, bool durable, std::int64_t now, FsError &e) override;

    bool pending() const override { return opened_ && !finished_; }
    bool resumable() const override { return true; }
    std::uint64_t offset() const override { return rq_.start; }
    std::uint64_t written() const override { return written_; }
    std::optional<std::uint64_t> length() const override { return state_.length; }
    std::uint64_t size() const override { return size_; }
    const FileDigest &digest() const override { return result_; }

    // Whether finishing fell back to hashing the whole file because the
    // saved digest state was unusable (damaged, of another algorithm).
    bool digest_fell_back() const override { return fell_back_; }

    std::uint64_t digest_read_back() const override { return read_back_; }

    // Once this request recorded its bytes: hashing forward what became
    // contiguous behind the frontier (a hash, not a CRC), when there is.
    Background background() const override;

    // Bytes the background hashes per run (a few hundred ms of one core).
    static constexpr std::uint64_t behind_budget = 256u << 20;
    const std::string &target_path() const override { return target_path_; }

    const std::string &id() const { return id_; }
    std::string remote_path() const override { return target_.remote_path; }

    // The state as of the last open/write/finish.
    const UploadState &state() const { return state_; }

    // Once complete: the file's digests in the algorithms its creation
    // wanted or this request's UploadRequest::repr_want asks for, raw (the
    // one of bigupload_digest is digest()).
    const std::vector<std::pair<DigestAlg, std::string>> &repr_digests() const
    {
        return repr_digests_;
    }

    // Bytes between two state updates while a body streams.
    static constexpr std::uint64_t checkpoint = 8u << 20;

    // The most separate ranges one upload may hold: its answers (Upload-Ranges)
    // and its state stay small enough for any client and for this module.
    static constexpr std::size_t max_ranges = 1024;

private:
    Outcome resolve_target(FsError &e);
    Outcome end_request(bool body_complete, bool durable, std::int64_t now, FsError &e);
    // Locks and reloads the state of this request's upload (cancelled when
    // it is gone or belongs to another key now).
    Outcome relock(Fd &held, UploadState &st, FsError &e);
    Outcome record(std::int64_t now, FsError &e);
    // write_at() and splice(): "put" writes [offset, offset + len) to the
    // data file (false with errno set, and the failed call's name in "op")
    Outcome put_at(std::size_t len, std::uint64_t offset, std::int64_t now, FsError &e,
                   const std::function<bool(const char *&op)> &put);
    // Bytes of this request that a state may claim: written, and hashed too
    // when hashing.
    std::uint64_t held() const;
    // Whether this request's body has the digests the client sent.
    bool checks_match();
    // Reads [from, to) of the data file into "d", or in order into "fn".
    bool read_into(Digest &d, std::uint64_t from, std::uint64_t to, FsError &e);
    bool read_range(std::uint64_t from, std::uint64_t to,
                    const std::function<void(const char *, std::size_t)> &fn, FsError &e);
    // The file's digest at completion: from the state's, reading back only
    // what it does not cover.
    bool complete_digest(const UploadState &st, FsError &e);
    // Records in "st" the digest of this request's first "held" bytes.
    void note_digest(UploadState &st, std::uint64_t held);
    bool snapshot_at(std::uint64_t n, std::string &saved);
    // What this request hashes, from the state it found.
    void start_digest(const UploadState &st);
    // Whether holding [start, end) too would make more than max_ranges.
    static bool too_many(const RangeSet &held, std::uint64_t start, std::uint64_t end);
    // The digests repr_digests() lists: result_ when its algorithm, else
    // read back (all of them in one pass).
    bool want_digests(const UploadState &st, FsError &e);

    PartialStore store_;
    std::string id_;
    std::string key_;
    Target target_;
    UploadRequest rq_;
    Bind bind_;
    Creation creation_;
    std::vector<Digest> checks_;       // of this request's body, for rq_.checks

    std::string target_path_;
    Fd target_dir_;
    Fd data_;
    Fd active_;                        // the partial's activity lock, while working

    UploadState state_;
    bool opened_ = false;
    bool finished_ = false;
    std::uint64_t written_ = 0;       // bytes of this request on disk
    std::atomic<std::uint64_t> hashed_{0};  // of its bytes, hashed (by another thread)
    std::uint64_t recorded_ = 0;      // of those held, in the state file
    // A CRC: the CRC of this request's first recorded_ bytes, which the
    // state holds (within a range it may have joined with its neighbours);
    // nullopt once a checkpoint could not record its CRC.
    std::optional<std::uint64_t> recorded_crc_;
    // The file's digest as this request computes it: a hash continuing the
    // prefix (from its start, or restored from the state), or the CRC of
    // this request's own bytes.  With a snapshot of its state at every
    // buffer's end, so that a checkpoint records the state of exactly the
    // bytes it claims.
    std::optional<Digest> digest_;
    std::mutex snap_mutex_;
    std::deque<std::pair<std::uint64_t, std::string>> snaps_;
    FileDigest result_;
    bool fell_back_ = false;
    std::uint64_t read_back_ = 0;
    std::uint64_t size_ = 0;
    std::vector<std::pair<DigestAlg, std::string>> repr_digests_;
};

// Hashing behind the frontier: advances the saved hash state of partial "id"
// over what has become contiguous since (what arrived out of order: read
// back from the page cache, once), by at most "budget" bytes; true when
// there is more to do.  A second caller at the same time does nothing.
bool hash_forward(PartialStore &store, const std::string &id, DigestAlg alg,
                  std::uint64_t budget, FsError &e);

// What the store holds for partial "id" (whose key must be "key" unless that
// is empty), and what is at its target: ok, not_found, key_mismatch,
// corrupt or error.
struct PartialInfo {
    bool found = false;
    UploadState state;
    TargetInfo target;                       // a finished file at the target
};

Outcome query_partial(PartialStore &store, const std::string &id, const std::string &key,
                      const Target &target, PartialInfo &info, FsError &e);

}  // namespace bigupload
