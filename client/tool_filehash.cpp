#include "tool_filehash.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <vector>

#include <pthread.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.hpp"
#include "tool_signal.hpp"

namespace bgclient {

namespace {

constexpr std::size_t block = 1024 * 1024;

// A file mapped for hashing may be truncated by someone else: reading a page
// past its new end raises SIGBUS in the hashing thread, which then jumps
// back and reports the file as shrunk instead of dying.
thread_local sigjmp_buf *bus_jump = nullptr;

extern "C" void on_sigbus(int sig)
{
    if (bus_jump != nullptr) {
        siglongjmp(*bus_jump, 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void catch_sigbus()
{
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa;
        std::memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_sigbus;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, nullptr);
    });

    // a blocked SIGBUS from a fault would kill the process outright
    sigset_t bus;
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &bus, nullptr);
}

// Hashes [p, p + len) of a mapping; false when the file shrank under it.
bool hash_mapped(bigupload::Digest &sha, const char *p, std::size_t len)
{
    sigjmp_buf jump;
    if (sigsetjmp(jump, 1) != 0) {
        bus_jump = nullptr;
        return false;
    }
    bus_jump = &jump;
    sha.update(p, len);
    bus_jump = nullptr;
    return true;
}

}  // namespace

MapWindow::MapWindow(int fd, std::int64_t end, std::uint64_t window)
    : fd_(fd), end_(end > 0 ? static_cast<std::uint64_t>(end) : 0), window_(window)
{
    long page = sysconf(_SC_PAGESIZE);
    page_ = page > 0 ? static_cast<std::uint64_t>(page) : 4096;
    if (window_ < 2 * page_) {
        window_ = 2 * page_;
    }
    window_ -= window_ % page_;
}

MapWindow::~MapWindow()
{
    release();
}

void MapWindow::release()
{
    if (base_ != nullptr) {
        munmap(base_, len_);
        base_ = nullptr;
        len_ = 0;
    }
}

const char *MapWindow::map(std::uint64_t offset, std::size_t len)
{
    if (failed_ || len == 0 || offset + len > end_) {
        return nullptr;
    }
    if (base_ == nullptr || offset < off_ || offset + len > off_ + len_) {
        // the pages behind are given back (munmap): the process holds at
        // most one window of the file, however large the file is
        release();
        std::uint64_t off = offset - offset % page_;
        std::uint64_t n = end_ - off < window_ ? end_ - off : window_;
        if (offset + len > off + n) {
            n = offset + len - off;  // a read wider than the window
        }
        void *m = mmap(nullptr, static_cast<std::size_t>(n), PROT_READ, MAP_SHARED, fd_,
                       static_cast<off_t>(off));
        if (m == MAP_FAILED) {
            failed_ = true;
            return nullptr;
        }
        madvise(m, static_cast<std::size_t>(n), MADV_SEQUENTIAL);
        base_ = static_cast<char *>(m);
        off_ = off;
        len_ = static_cast<std::size_t>(n);
        maps_++;
    }
    return base_ + (offset - off_);
}

FileHasher::FileHasher(int fd, std::int64_t start, std::uint64_t size, std::string name,
                       std::optional<bigupload::DigestAlg> alg, std::uint64_t window)
    : fd_(fd), start_(start), size_(size), name_(std::move(name)), alg_(alg), window_(window)
{
    if (!alg_) {
        done_ = true;  // --digest none: nothing to read
        return;
    }
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
    if (worker_.joinable()) {
        worker_.join();
    }
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

std::string FileHasher::ready_hex()
{
    std::lock_guard<std::mutex> lock(mu_);
    return done_ && error_.empty() ? hex_ : std::string();
}

void FileHasher::run()
{
    bigupload::Digest sha(*alg_);
    std::vector<char> buf;
    std::uint64_t pos = 0;
    std::string error;
    MapWindow win(fd_, start_ + static_cast<std::int64_t>(size_));

    if (size_ == 0 || !win.usable()) {
        buf.resize(block);
    } else {
        catch_sigbus();
    }

    while (pos < size_) {
        std::uint64_t len = size_ - pos < block ? size_ - pos : block;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stop_ || may_read(pos, len); });
            if (stop_) {
                return;
            }
        }
        const std::uint64_t at = static_cast<std::uint64_t>(start_) + pos;
        const char *p = buf.empty() ? win.map(at, static_cast<std::size_t>(len)) : nullptr;
        if (p == nullptr && buf.empty()) {
            buf.resize(block);  // cannot be mapped (any more): pread from here on
        }
        ssize_t r;
        if (p != nullptr) {
            // a mapping reads zeros, not an error, up to the end of the page
            // that holds the end of a shorter file: check its size first
            struct stat st;
            bool whole = fstat(fd_, &st) == 0
                         && static_cast<std::uint64_t>(st.st_size) >= at + len;
            r = whole && hash_mapped(sha, p, static_cast<std::size_t>(len))
                ? static_cast<ssize_t>(len) : 0;
        } else {
            r = pread(fd_, buf.data(), static_cast<std::size_t>(len), static_cast<off_t>(at));
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r > 0) {
                sha.update(buf.data(), static_cast<std::size_t>(r));
            }
        }
        if (r <= 0) {
            error = r == 0 ? "'" + name_ + "' shrank while being read (ended at byte "
                                 + std::to_string(pos) + " of " + std::to_string(size_) + ")"
                           : "cannot read '" + name_ + "': " + std::strerror(errno);
            break;
        }
        pos += static_cast<std::uint64_t>(r);
        pos_.store(pos);
    }
    win.release();

    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    error_ = error;
    hex_ = error.empty() ? bigupload::to_hex(sha.final()) : std::string();
    cv_.notify_all();
}

}  // namespace bgclient
