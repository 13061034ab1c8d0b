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
#include <cstdint>
#include <string>

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
    // (an append elsewhere than where the upload ends), corrupt, not_found
    // (Bind::join: none, one of another protocol, or one idle for longer
    // than rq.max_idle), finished (Bind::join: only the record of a finished
    // upload is left), exists (Bind::create, or a file at the target with
    // overwrite off), precondition_failed, is_directory, error.  A part
    // (Creation::part) has no target: none is resolved.
    Outcome open(std::int64_t now, FsError &e) override;

    bool hashing() const override { return hashing_ || !checks_.empty(); }
    void hash(const void *data, std::size_t len) override;
    Outcome write_at(const void *data, std::size_t len, std::uint64_t offset,
                     std::int64_t now, FsError &e) override;

    // Records what this request wrote (only bytes both written and hashed,
    // when hashing; nothing when a digest check of its body fails:
    // digest_mismatch).  When the ranges then cover the length, the file is
    // hashed (unless this request's own hash covers it), moved into place
    // and the partial removed: created or replaced (kept for a part of a
    // concatenation).  Otherwise incomplete; or completed_elsewhere,
    // cancelled, length_mismatch, exists, error.
    Outcome finish(bool body_complete, bool durable, std::int64_t now,
                   FsError &e) override;

    // finish() of a request that failed: what it holds is kept.
    Outcome abort(bool durable, std::int64_t now, FsError &e) override
    {
        return finish(false, durable, now, e);
    }

    bool pending() const override { return opened_ && !finished_; }
    bool resumable() const override { return true; }
    std::uint64_t offset() const override { return rq_.start; }
    std::uint64_t written() const override { return written_; }
    std::optional<std::uint64_t> length() const override { return state_.length; }
    std::uint64_t size() const override { return size_; }
    const std::string &sha256() const override { return sha256_; }
    const std::string &target_path() const override { return target_path_; }

    const std::string &id() const { return id_; }
    std::string remote_path() const override { return target_.remote_path; }

    // The state as of the last open/write/finish.
    const UploadState &state() const { return state_; }

    // Bytes between two state updates while a body streams.
    static constexpr std::uint64_t checkpoint = 8u << 20;

private:
    Outcome resolve_target(FsError &e);
    // Locks and reloads the state of this request's upload (cancelled when
    // it is gone or belongs to another key now).
    Outcome relock(Fd &held, UploadState &st, FsError &e);
    Outcome record(std::int64_t now, FsError &e);
    // Bytes of this request that a state may claim: written, and hashed too
    // when hashing.
    std::uint64_t held() const;
    // Whether this request's body has the digests the client sent.
    bool checks_match();
    bool hash_file(FsError &e);

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

    UploadState state_;
    bool opened_ = false;
    bool finished_ = false;
    std::uint64_t written_ = 0;       // bytes of this request on disk
    std::atomic<std::uint64_t> hashed_{0};  // of its bytes, hashed (by another thread)
    std::uint64_t recorded_ = 0;      // of those held, in the state file
    bool hashing_ = false;
    Sha256 hash_;
    std::string sha256_;
    std::uint64_t size_ = 0;
};

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
