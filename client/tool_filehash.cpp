#include "tool_filehash.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <vector>

#include <pthread.h>
#include <unistd.h>

#include "digest.hpp"
#include "tool_signal.hpp"

namespace bgclient {

namespace {

constexpr std::size_t block = 1024 * 1024;

}  // namespace

FileHasher::FileHasher(int fd, std::int64_t start, std::uint64_t size, std::string name,
                       std::uint64_t window)
    : fd_(fd), start_(start), size_(size), name_(std::move(name)), window_(window)
{
    // Ctrl-C must reach the main thread, not this one (as BackgroundHasher).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    worker_ = std::thread([this] { run(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

FileHasher::~FileHasher()
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
}

void FileHasher::advance(std::uint64_t end)
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (end <= frontier_) {
            return;
        }
        frontier_ = end;
    }
    cv_.notify_all();
}

void FileHasher::set_held(const bigupload::RangeSet &held)
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        held_ = held;
    }
    cv_.notify_all();
}

bool FileHasher::may_read(std::uint64_t pos, std::uint64_t len)
{
    return pos + len <= frontier_ + window_ || held_.contains(pos, pos + len);
}

std::string FileHasher::wait_hex(std::string &error)
{
    std::unique_lock<std::mutex> lock(mu_);
    // whoever waits for the digest has sent everything it will send
    frontier_ = size_;
    cv_.notify_all();
    // a signal does not wake a condition variable: look every 100 ms
    while (!done_ && !bgclient::interrupted()) {
        cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (!done_) {
        error = "interrupted";
        return "";
    }
    error = error_;
    return hex_;
}

void FileHasher::run()
{
    bigupload::Sha256 sha;
    std::vector<char> buf(block);
    std::uint64_t pos = 0;
    std::string error;

    while (pos < size_) {
        std::uint64_t len = size_ - pos < block ? size_ - pos : block;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stop_ || may_read(pos, len); });
            if (stop_) {
                return;
            }
        }
        ssize_t r = pread(fd_, buf.data(), static_cast<std::size_t>(len),
                          start_ + static_cast<off_t>(pos));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            error = r == 0 ? "'" + name_ + "' shrank while being read (ended at byte "
                                 + std::to_string(pos) + " of " + std::to_string(size_) + ")"
                           : "cannot read '" + name_ + "': " + std::strerror(errno);
            break;
        }
        sha.update(buf.data(), static_cast<std::size_t>(r));
        pos += static_cast<std::uint64_t>(r);
        pos_.store(pos);
    }

    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    error_ = error;
    hex_ = error.empty() ? sha.final_hex() : std::string();
    cv_.notify_all();
}

}  // namespace bgclient
