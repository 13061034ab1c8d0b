// The digest (--digest) of a whole file for a resumable or parallel upload: the bytes
// go out as ranges, in any order, and some were sent by an earlier run, so
// they cannot be hashed on their way out as a plain PUT's are.  A thread
// reads the file once, in order (pread: the senders' reads are not
// disturbed), and hashes it while the ranges are being sent.
//
// It does not run far ahead of the senders through bytes they have yet to
// send (at most "window" bytes past the furthest byte read for sending), so
// that a file larger than the page cache is read from disk once, not twice;
// bytes the server already holds are hashed at full speed.  It reads the
// file through a MapWindow: straight from the page cache, holding at most
// 4 MiB of it mapped whatever the file's size.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/digest.hpp"
#include "base/range.hpp"

namespace bgclient {

// A sliding read-only mapping of a file: map() returns the bytes
// [offset, offset + len) from the page cache without copying them, mapping
// "window" bytes from there when they are not mapped yet and unmapping the
// window before.  So a reader going through a file of any size holds at
// most one window in its resident set (file-backed pages count in VmRSS,
// RssFile).  Measured on the 2-core machine, sha256 of a 1 GiB file in the
// page cache (scripts/bench-client has the end-to-end run):
//
//   whole-file mapping (before)   1220-1280 MiB/s   VmHWM 1030 MiB
//   16 MiB sliding window         1260-1270 MiB/s   VmHWM   22 MiB
//   8 MiB sliding window          1260-1270 MiB/s   VmHWM   14 MiB
//   4 MiB sliding window          1250-1270 MiB/s   VmHWM   10 MiB
//   (with MAP_POPULATE            1140-1230 MiB/s)
//   pread into 1 MiB, and with
//     posix_fadvise(DONTNEED)      875-930 MiB/s    VmHWM    7 MiB
//
// (VmHWM of the measuring process, 6.5 MiB without the file.)  The copy of
// pread costs 30% of the hash's speed; the window's mmap and munmap every
// 4 MiB cost nothing measurable.
class MapWindow {
public:
    static constexpr std::uint64_t default_window = 4ull * 1024 * 1024;

    // Bytes [0, end) of fd may be mapped.
    MapWindow(int fd, std::int64_t end, std::uint64_t window = default_window);
    ~MapWindow();
    MapWindow(const MapWindow &) = delete;
    MapWindow &operator=(const MapWindow &) = delete;

    // The bytes at "offset", or nullptr when they cannot be mapped (past
    // end, or mmap failed: then always nullptr, and the caller preads).
    const char *map(std::uint64_t offset, std::size_t len);
    // Unmaps the window.
    void release();

    bool usable() const { return !failed_ && end_ > 0; }
    std::size_t mapped() const { return len_; }
    unsigned maps() const { return maps_; }  // mmap calls so far (for tests)

private:
    int fd_;
    std::uint64_t end_;
    std::uint64_t window_;
    std::uint64_t page_ = 4096;
    char *base_ = nullptr;
    std::uint64_t off_ = 0;
    std::size_t len_ = 0;
    bool failed_ = false;
    unsigned maps_ = 0;
};

class FileHasher {
public:
    static constexpr std::uint64_t default_window = 256ull * 1024 * 1024;

    // Starts hashing [0, size) of fd (at offset "start" in it) with "alg";
    // without one (--digest none) nothing is read and the digest is "".
    FileHasher(int fd, std::int64_t start, std::uint64_t size, std::string name,
               std::optional<bigupload::DigestAlg> alg = bigupload::DigestAlg::sha256,
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
    // The digest when the whole file is hashed already, else "" (no wait).
    std::string ready_hex();

    // Bytes hashed so far (for tests).
    std::uint64_t hashed() const { return pos_.load(); }

private:
    void run();
    bool may_read(std::uint64_t pos, std::uint64_t len);

    int fd_;
    std::int64_t start_;
    std::uint64_t size_;
    std::string name_;
    std::optional<bigupload::DigestAlg> alg_;
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
