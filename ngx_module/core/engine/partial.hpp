// A resumable upload's partial, kept in the store under "<root>/.bigupload/":
// "<id>.data" holds the bytes at their offsets, "<id>.state" what has been
// received (upload_state.hpp), "<id>.lock" serialises every state update with
// an fcntl lock (which NFS honours, so several nginx servers may share the
// store).  Every method blocks and runs on a worker thread; none logs.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "report/status.hpp"
#include "engine/store.hpp"
#include "engine/upload_state.hpp"

namespace bigupload {

// What one request asks of the partial.
struct ResumableRequest {
    std::string key;
    std::uint64_t start = 0;                 // offset of the request's first byte
    std::optional<std::uint64_t> end;        // one past its last byte, when known
    std::optional<std::uint64_t> total;      // the upload's length, when declared
    bool completes = false;                  // Upload-Complete: ?1
};

enum class PartialOutcome {
    ok,
    incomplete,          // after finish(): more ranges are needed
    created,             // after finish(): stored as a new file
    replaced,            // after finish(): replaced the target
    not_found,           // no partial at this path
    key_mismatch,        // the partial belongs to another key
    length_mismatch,     // a total different from the declared one
    beyond_length,       // a range past the declared total
    cancelled,           // the partial was removed while this request wrote
    completed_elsewhere, // after finish(): a concurrent request completed it
    corrupt,             // the state file cannot be trusted
    precondition_failed, // as for a plain upload
    exists,
    is_directory,
    error,               // see FsError
};

struct PartialInfo {
    bool found = false;
    UploadState state;
    bool target_exists = false;       // a finished file is at the target path
    std::uint64_t target_size = 0;
    std::string target_sha256;        // when remembered (remember_sha256)
};

class Partial {
public:
    Partial(std::string root, std::vector<std::string> segments, std::string remote_path,
            StoreOptions opt, Preconditions pre)
        : root_(std::move(root)), segments_(std::move(segments)),
          remote_path_(std::move(remote_path)), opt_(opt), pre_(std::move(pre)) {}
    ~Partial();
    Partial(const Partial &) = delete;
    Partial &operator=(const Partial &) = delete;

    // Binds the request to the partial (creating it), checks key, length
    // and range, opens the data file.
    PartialOutcome begin(const ResumableRequest &rq, std::int64_t now, FsError &e);

    // Writes the request's next bytes (hashing them when it began at 0);
    // records the progress in the state every "checkpoint" bytes.
    PartialOutcome write(const void *data, std::size_t len, std::int64_t now, FsError &e);

    // write() in two halves, for a pipeline: hash() sees the request's bytes
    // in order on one thread while write_only() stores the same bytes, in
    // order too, on another; at most one call of each runs at a time.  The
    // state only ever claims bytes both written and hashed (when hashing):
    // write_only() records a checkpoint once enough of both are done, and
    // finish() wants both halves to have stopped.
    void hash(const void *data, std::size_t len);
    PartialOutcome write_only(const void *data, std::size_t len, std::int64_t now,
                              FsError &e);

    // Whether this request's bytes are hashed (it began at 0); without, hash()
    // need not be called.
    bool hashing() const { return hashing_; }

    // Records what this request wrote; "body_complete" when its whole body
    // arrived.  When the ranges then cover the total, the file is hashed
    // (unless the stream hash covers it), moved into place and the partial
    // removed: created or replaced.  Otherwise incomplete.
    PartialOutcome finish(bool body_complete, bool durable, std::int64_t now, FsError &e);

    // What the store holds for the path; a non-empty key must match.
    PartialOutcome query(const std::string &key, PartialInfo &info, FsError &e);

    // Removes the partial; a non-empty key must match (a corrupt state can
    // be removed by anyone).
    PartialOutcome cancel(const std::string &key, FsError &e);

    // The state as of the last begin/write/finish.
    const UploadState &state() const { return state_; }
    std::uint64_t written() const { return written_; }
    const std::string &sha256() const { return sha256_; }
    std::uint64_t size() const { return size_; }
    const std::string &target_path() const { return target_path_; }

    // Removes partials not updated for "max_age" seconds under "root"
    // (skipping those locked right now); returns how many were removed.
    static int sweep(const std::string &root, std::int64_t now, std::int64_t max_age,
                     FsError &e);

    // Appends what the partials under "root" hold (those whose state can be
    // read), each expiring "max_age" seconds after its last update.
    static bool list(const std::string &root, std::int64_t max_age,
                     std::vector<PartialListing> &out, FsError &e);

    // Bytes between two state updates while a body streams.
    static constexpr std::uint64_t checkpoint = 8u << 20;

private:
    bool open_dirs(bool create, FsError &e);
    bool lock(FsError &e);
    void unlock();
    PartialOutcome load(UploadState &st, bool &found, FsError &e);
    bool store(const UploadState &st, FsError &e);
    // Locks and reloads the state of this request's upload (cancelled when
    // it is gone or belongs to another key now).
    PartialOutcome relock(UploadState &st, FsError &e);
    PartialOutcome record(std::int64_t now, FsError &e);
    // Bytes of this request that a state may claim: written, and hashed too
    // when hashing.
    std::uint64_t held() const;
    bool hash_file(FsError &e);
    void remove_files();
    void close_data();

    std::string root_;
    std::vector<std::string> segments_;
    std::string remote_path_;
    StoreOptions opt_;
    Preconditions pre_;

    std::string id_;
    std::string pdir_path_;
    std::string target_path_;
    int pdir_fd_ = -1;       // <root>/.bigupload
    int target_dir_fd_ = -1;
    int lock_fd_ = -1;
    int data_fd_ = -1;

    ResumableRequest rq_;
    UploadState state_;
    std::uint64_t written_ = 0;       // bytes of this request on disk
    std::atomic<std::uint64_t> hashed_{0};  // of its bytes, hashed (by another thread)
    std::uint64_t recorded_ = 0;      // of those held, in the state file
    bool hashing_ = false;
    Sha256 hash_;
    std::string sha256_;
    std::uint64_t size_ = 0;
};

}  // namespace bigupload
