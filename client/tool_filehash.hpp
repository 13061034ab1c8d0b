// The sha256 of a whole file for a resumable or parallel upload: the bytes
// go out as ranges, in any order, and some were sent by an earlier run, so
// they cannot be hashed on their way out as a plain PUT's are.  A thread
// reads the file once, in order (pread: the senders' reads are not
// disturbed), and hashes it while the ranges are being sent.
//
// It does not run far ahead of the senders through bytes they have yet to
// send (at most "window" bytes past the furthest byte read for sending), so
// that a file larger than the page cache is read from disk once, not twice;
// bytes the server already holds are hashed at full speed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "base/range.hpp"

namespace bgclient {

class FileHasher {
public:
    static constexpr std::uint64_t default_window = 256ull * 1024 * 1024;

    // Starts hashing [0, size) of fd (at offset "start" in it).
    FileHasher(int fd, std::int64_t start, std::uint64_t size, std::string name,
               std::uint64_t window = default_window);
    ~FileHasher();  // stops the thread
    FileHasher(const FileHasher &) = delete;
    FileHasher &operator=(const FileHasher &) = delete;

    // The senders have read up to "end" (exclusive): the hasher may go on.
    void advance(std::uint64_t end);
    // Ranges the server holds, which nobody sends: hashed without waiting.
    void set_held(const bigupload::RangeSet &held);

    // Waits until the file is hashed: its digest, or "" with "error" set
    // (a read error, the file shrank, or an interrupt).
    std::string wait_hex(std::string &error);

    // Bytes hashed so far (for tests).
    std::uint64_t hashed() const { return pos_.load(); }

private:
    void run();
    bool may_read(std::uint64_t pos, std::uint64_t len);

    int fd_;
    std::int64_t start_;
    std::uint64_t size_;
    std::string name_;
    std::uint64_t window_;

    std::mutex mu_;
    std::condition_variable cv_;
    bigupload::RangeSet held_;
    std::uint64_t frontier_ = 0;
    bool stop_ = false;
    bool done_ = false;
    std::string hex_;
    std::string error_;
    std::atomic<std::uint64_t> pos_{0};
    std::thread worker_;
};

}  // namespace bgclient
