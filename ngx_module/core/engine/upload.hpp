// One upload as the front ends (plain PUT today; resumable, tus and the IETF
// draft later) see it: a target in the store, bytes appended in order and
// hashed on the way, then committed atomically or aborted.  Every method but
// the accessors blocks and runs on a worker thread; at most one runs at a time,
// but for hash() and write(), which may run alongside each other.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "engine/store.hpp"

namespace bigupload {

class Upload {
public:
    Upload(std::string root, std::vector<std::string> segments, StoreOptions opt,
           Preconditions pre)
        : root_(std::move(root)), segments_(std::move(segments)), opt_(opt),
          pre_(std::move(pre)) {}

    OpenOutcome open(FsError &e) { return file_.open(root_, segments_, opt_, pre_, e); }

    // Hashes and writes the next bytes of the body.
    bool append(const void *data, std::size_t len, FsError &e)
    {
        hash(data, len);
        return write(data, len, e);
    }

    // append() in two halves, for a pipeline: hash() sees the body in order
    // on one thread while write() stores the same bytes, in order too, on
    // another.  At most one call of each runs at a time; commit() only once
    // both have seen every byte.
    void hash(const void *data, std::size_t len)
    {
        hash_.update(data, len);
        hashed_ += len;
    }

    bool write(const void *data, std::size_t len, FsError &e)
    {
        if (!file_.write_at(data, len, size_, e)) {
            return false;
        }
        size_ += len;
        return true;
    }

    CommitOutcome commit(bool durable, FsError &e)
    {
        if (hashed_ != size_) {
            // a digest of other bytes than the file's must never be answered
            throw std::logic_error("upload committed with hashed != written bytes");
        }

        sha256_ = hash_.final_hex();
        file_.remember(sha256_);
        bool may_replace = opt_.overwrite && !pre_.if_none_match_any;
        return file_.commit(may_replace, durable, e);
    }

    void abort() { file_.abort(); }

    std::uint64_t size() const { return size_; }
    std::uint64_t hashed() const { return hashed_; }
    const std::string &sha256() const { return sha256_; }
    const TargetFile &file() const { return file_; }

private:
    std::string root_;
    std::vector<std::string> segments_;
    StoreOptions opt_;
    Preconditions pre_;
    TargetFile file_;
    Sha256 hash_;
    std::uint64_t size_ = 0;        // written
    std::uint64_t hashed_ = 0;
    std::string sha256_;
};

}  // namespace bigupload
