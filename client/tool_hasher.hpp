// The file's digest (--digest) on a second core: update() copies the block into one of a few
// fixed buffers and returns; a worker thread hashes them in order.  Reading
// and sending (one core) then overlap with hashing (another), so the hash
// costs no throughput where a core is free.  Memory: slots * block bytes,
// allocated on first use.  Without an algorithm (--digest none) it hashes
// nothing and copies nothing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/digest.hpp"

namespace bgclient {

class BackgroundHasher {
public:
    explicit BackgroundHasher(std::optional<bigupload::DigestAlg> alg = bigupload::DigestAlg::sha256,
                              std::size_t block = 1024 * 1024, std::size_t slots = 3);
    ~BackgroundHasher();
    BackgroundHasher(const BackgroundHasher &) = delete;
    BackgroundHasher &operator=(const BackgroundHasher &) = delete;

    // Queues the bytes (copied); blocks only while every slot is queued.
    void update(const void *data, std::size_t len);
    // Waits for the queue, then the lowercase hex digest ("" without an
    // algorithm); the hash restarts.
    std::string final_hex();
    // Waits for the queue and restarts the hash.
    void reset();

private:
    struct Slot {
        std::vector<char> data;
        std::size_t len = 0;
    };

    void run();
    void wait_idle(std::unique_lock<std::mutex> &lock);

    bool enabled_;
    bigupload::Digest digest_;
    std::size_t block_;
    std::vector<Slot> slots_;
    std::size_t head_ = 0;    // next slot to hash
    std::size_t queued_ = 0;  // slots waiting or being hashed
    bool stop_ = false;
    std::mutex mu_;
    std::condition_variable work_;
    std::condition_variable done_;
    std::thread worker_;
};

}  // namespace bgclient
