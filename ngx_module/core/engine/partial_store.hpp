// The partials of one store: resumable uploads kept between requests in
// "<root>/.bigupload/", each under an id: "<id>.data" holds the bytes at
// their offsets, "<id>.state" what has been received (upload_state.hpp),
// "<id>.lock" serialises every update of the state with an fcntl lock (which
// NFS honours, so several nginx servers may share the store).
//
// A partial is addressed by its id alone; where it goes once complete (its
// target) is an attribute in its state.  A front-end derives the id from
// what its protocol names an upload by (the native dialect: the remote path,
// proto/native.hpp) or has the store make one up (new_id(): 128 random
// bits, for protocols whose uploads are server-named resources).
//
// Every method blocks and runs on a worker thread; none logs.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fd.hpp"
#include "engine/outcome.hpp"
#include "engine/store.hpp"
#include "engine/upload_state.hpp"
#include "report/status.hpp"

namespace bigupload {

class PartialStore {
public:
    PartialStore(std::string root, StoreOptions opt)
        : root_(std::move(root)), opt_(opt) {}

    // Opens "<root>/.bigupload", creating it (and the root) when "create";
    // false with e.err == ENOENT when it does not exist.
    bool open(bool create, FsError &e);

    // An id the store makes up: 32 hex digits of getrandom() (128 bits).
    static std::string new_id();
    // Ids are 1 to 64 characters of [0-9a-z]: they are file names.
    static bool valid_id(std::string_view id);

    const std::string &root() const { return root_; }
    const StoreOptions &options() const { return opt_; }
    int dir() const { return dir_.get(); }
    const std::string &dir_path() const { return dir_path_; }
    std::string path_of(const std::string &id, const char *suffix) const;

    // The lock of partial "id", held as long as the Fd lives; "wait" false
    // gives an empty Fd when another holds it.
    // Without "create", a partial without a lock file is gone: an empty Fd,
    // no error.
    Fd lock(const std::string &id, bool wait, FsError &e, bool create = true);

    // The activity lock of partial "id": held by a request for as long as
    // it works on the partial (a shared lock, which many requests may hold
    // at once), so that no sweep expires it meanwhile.
    Fd hold(const std::string &id, FsError &e);

    // The hasher's lock of partial "id" (hash_forward): an empty Fd when
    // another holds it.
    Fd lock_hasher(const std::string &id);

    // Reads the state: ok with "found", ok without (no state), corrupt (also
    // for one too large to be a state), or error.  Without the lock (a state
    // is replaced atomically) or with it.
    Outcome load(const std::string &id, UploadState &st, bool &found, FsError &e);

    // Replaces the state atomically (under the lock).
    bool save(const std::string &id, const UploadState &st, FsError &e);

    // Opens the data file (creating it with the store's file mode).
    Fd open_data(const std::string &id, FsError &e);

    // Removes every file of the partial; waiters on its lock notice.
    void remove(const std::string &id);

    // Removes the partial whose key is "key" (any key when empty; a
    // damaged state is removed whatever the key): ok, not_found,
    // key_mismatch or error.
    Outcome cancel(const std::string &id, const std::string &key, FsError &e);

    // The ids that have files here.
    bool ids(std::set<std::string> &out, FsError &e);

    // Appends what the partials hold (those whose state can be read; not the
    // records of finished uploads), each
    // expiring "max_age" seconds after its last activity.
    bool list(std::int64_t max_age, std::vector<PartialListing> &out, FsError &e);

    // Removes partials without activity for "max_age" seconds (skipping
    // those a request works on, or that are locked right now), and records
    // of finished uploads as old; returns how many partials.  One sweeper at
    // a time per
    // store, whichever process or server it runs in.
    int sweep(std::int64_t now, std::int64_t max_age, FsError &e);

private:
    std::string root_;
    StoreOptions opt_;
    Fd dir_;
    std::string dir_path_;
};

// Waits 1, 2, 4 ... 64 ms before the next look at a file a network
// filesystem's caches may show stale (ESTALE, or shorter than its state).
void pause_before_retry(int attempt);

}  // namespace bigupload
