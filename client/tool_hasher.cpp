#include "tool_hasher.hpp"

#include <csignal>
#include <cstring>

#include <pthread.h>

namespace bgclient {

BackgroundHasher::BackgroundHasher(std::optional<bigupload::DigestAlg> alg, std::size_t block,
                                   std::size_t slots)
    : enabled_(alg.has_value()), digest_(alg.value_or(bigupload::DigestAlg::sha256)),
      block_(block == 0 ? 1 : block), slots_(slots < 2 ? 2 : slots)
{
    // the slots are allocated when first used: a resumable upload, whose
    // FileHasher hashes the file, never uses them

    // Ctrl-C must reach the main thread (its poll() wakes up), not this one.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    worker_ = std::thread([this] { run(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

BackgroundHasher::~BackgroundHasher()
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    work_.notify_all();
    worker_.join();
}

void BackgroundHasher::update(const void *data, std::size_t len)
{
    const char *p = static_cast<const char *>(data);

    while (enabled_ && len > 0) {
        std::unique_lock<std::mutex> lock(mu_);
        done_.wait(lock, [this] { return queued_ < slots_.size(); });

        Slot &s = slots_[(head_ + queued_) % slots_.size()];
        lock.unlock();

        // the slot is ours until it is queued: fill it (allocated the first
        // time) without the lock
        if (s.data.empty()) {
            s.data.resize(block_);
        }
        std::size_t n = len < s.data.size() ? len : s.data.size();
        std::memcpy(s.data.data(), p, n);
        s.len = n;

        lock.lock();
        queued_++;
        lock.unlock();
        work_.notify_one();

        p += n;
        len -= n;
    }
}

void BackgroundHasher::wait_idle(std::unique_lock<std::mutex> &lock)
{
    done_.wait(lock, [this] { return queued_ == 0; });
}

std::string BackgroundHasher::final_hex()
{
    std::unique_lock<std::mutex> lock(mu_);
    wait_idle(lock);
    std::string raw = digest_.final();
    return enabled_ ? bigupload::to_hex(raw) : std::string();
}

void BackgroundHasher::reset()
{
    std::unique_lock<std::mutex> lock(mu_);
    wait_idle(lock);
    digest_.reset();
}

void BackgroundHasher::run()
{
    std::unique_lock<std::mutex> lock(mu_);

    for (;;) {
        work_.wait(lock, [this] { return stop_ || queued_ > 0; });
        if (queued_ == 0) {
            return;  // stop, nothing left
        }

        Slot &s = slots_[head_];
        lock.unlock();
        digest_.update(s.data.data(), s.len);
        lock.lock();

        head_ = (head_ + 1) % slots_.size();
        queued_--;
        done_.notify_all();
    }
}

}  // namespace bgclient
