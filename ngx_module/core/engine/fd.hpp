// File descriptors owned by an object: closed when it goes, on every path.
// A held fcntl lock is such a descriptor too (closing it releases the lock),
// so no early return can leak a descriptor or keep a lock.
#pragma once

#include <unistd.h>

#include <cerrno>

namespace bigupload {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }

    Fd(Fd &&o) noexcept : fd_(o.release()) {}
    Fd &operator=(Fd &&o) noexcept
    {
        if (this != &o) {
            reset(o.release());
        }
        return *this;
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ != -1; }

    int release()
    {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

    // Closes the descriptor held (keeping errno) and takes "fd".
    void reset(int fd = -1)
    {
        if (fd_ != -1) {
            int err = errno;
            ::close(fd_);
            errno = err;
        }
        fd_ = fd;
    }

    // Closes and reports close()'s own failure (for data whose last write
    // may be reported only there).
    bool close()
    {
        int fd = release();
        return fd == -1 || ::close(fd) == 0;
    }

private:
    int fd_ = -1;
};

}  // namespace bigupload
