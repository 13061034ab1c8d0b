#include "tool_source.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool_signal.hpp"
#include "proto/native.hpp"

namespace bgclient {

namespace {

FileStamp stamp_of(const struct stat &st)
{
    FileStamp s;
    if (S_ISREG(st.st_mode)) {
        s.size = static_cast<std::int64_t>(st.st_size);
        s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000
                     + st.st_mtim.tv_nsec;
    }
    return s;
}

}  // namespace

std::string change_warning(const std::string &name, const FileStamp &before,
                           const FileStamp &after, const ChangeContext &ctx)
{
    if (before.size < 0 || after.size < 0
        || (before.size == after.size && before.mtime_ns == after.mtime_ns)) {
        return "";
    }
    std::string what = before.size != after.size
                           ? "its size went from " + std::to_string(before.size) + " to "
                                 + std::to_string(after.size) + " bytes"
                           : "its modification time changed";
    std::string w = "warning: '" + name + "' changed while it was being sent (" + what + ")";
    if (ctx.completed) {
        // as curl -T: the bytes read are what was sent; say so
        return w + ": the upload holds the " + std::to_string(ctx.bytes)
               + " bytes read from it as they were read, not the file as it is now"
                 " (send it again with --overwrite)";
    }
    if (ctx.resumable) {
        return w + ": its next run derives another upload key from it, so what the server"
                   " kept of this one is not continued (the rerun says so; --restart"
                   " discards it)";
    }
    return w;
}

FileStamp Source::stamp_now() const
{
    struct stat st;
    if (stamp_.size < 0 || fstat(fd_, &st) != 0) {
        return FileStamp();
    }
    return stamp_of(st);
}

std::unique_ptr<Source> Source::open(const std::string &path, std::string &error,
                                     std::optional<bigupload::DigestAlg> alg)
{
    std::unique_ptr<Source> s(new Source(alg));
    bool is_stdin = path == "-";

    s->name_ = is_stdin ? "(stdin)" : path;

    if (is_stdin) {
        s->fd_ = STDIN_FILENO;
    } else {
        s->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (s->fd_ < 0) {
            error = "cannot open '" + path + "': " + std::strerror(errno);
            return nullptr;
        }
        s->owns_fd_ = true;
    }

    struct stat st;
    if (fstat(s->fd_, &st) != 0) {
        error = "cannot read '" + s->name_ + "': " + std::strerror(errno);
        return nullptr;
    }

    if (S_ISDIR(st.st_mode)) {
        error = "cannot upload '" + s->name_ + "': it is a directory";
        return nullptr;
    }

    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
        // "bgclient url - /x < file" has a size and can be re-read too;
        // start where the descriptor is, as cat would.
        off_t here = lseek(s->fd_, 0, SEEK_CUR);
        off_t end = S_ISREG(st.st_mode) ? st.st_size : lseek(s->fd_, 0, SEEK_END);
        if (here < 0 || end < 0 || lseek(s->fd_, here, SEEK_SET) < 0) {
            error = "cannot read '" + s->name_ + "': " + std::strerror(errno);
            return nullptr;
        }
        s->start_ = here;
        s->size_ = end > here ? end - here : 0;
        s->rewindable_ = true;
        s->resumable_ = !is_stdin && S_ISREG(st.st_mode);
        s->mtime_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000
                       + st.st_mtim.tv_nsec;
        s->stamp_ = stamp_of(st);
        posix_fadvise(s->fd_, here, 0, POSIX_FADV_SEQUENTIAL);
    }

    // A file we may open but not read (EISDIR aside, e.g. a FUSE error or a
    // write-only device) fails here rather than after connecting.
    if (s->size_ != 0) {
        char probe;
        ssize_t n;
        if (s->rewindable_) {
            n = pread(s->fd_, &probe, 1, s->start_);
        } else {
            n = 0;  // a pipe: cannot peek without consuming
        }
        if (n < 0) {
            error = "cannot read '" + s->name_ + "': " + std::strerror(errno);
            return nullptr;
        }
    }

    return s;
}

Source::~Source()
{
    if (owns_fd_ && fd_ >= 0) {
        ::close(fd_);
    }
}

bool Source::rewind()
{
    if (!rewindable_) {
        return false;
    }
    if (lseek(fd_, start_, SEEK_SET) < 0) {
        error_ = "cannot read '" + name_ + "' again: " + std::strerror(errno);
        return false;
    }
    hash_.reset();
    bytes_read_ = 0;
    eof_ = false;
    error_.clear();
    interrupted_ = false;
    return true;
}

ssize_t Source::read_at(char *buf, std::size_t n, std::uint64_t offset)
{
    if (size_ < 0 || offset >= static_cast<std::uint64_t>(size_)) {
        return 0;
    }
    std::uint64_t left = static_cast<std::uint64_t>(size_) - offset;
    if (n > left) {
        n = static_cast<std::size_t>(left);
    }
    for (;;) {
        ssize_t r = ::pread(fd_, buf, n, start_ + static_cast<off_t>(offset));
        if (r > 0) {
            return r;
        }
        if (r == 0) {
            error_ = "'" + name_ + "' shrank while being read (ended at byte "
                     + std::to_string(offset) + " of " + std::to_string(size_) + ")";
            return -1;
        }
        if (errno == EINTR) {
            if (bgclient::interrupted()) {
                interrupted_ = true;
                return -1;
            }
            continue;
        }
        error_ = "cannot read '" + name_ + "': " + std::strerror(errno);
        return -1;
    }
}

bool Source::upload_key(std::string &key)
{
    constexpr std::uint64_t mib = 1024 * 1024;
    std::uint64_t size = size_ > 0 ? static_cast<std::uint64_t>(size_) : 0;
    std::uint64_t head_len = size < mib ? size : mib;
    std::uint64_t tail_from = size > mib ? size - mib : 0;

    auto slurp = [this](std::uint64_t from, std::uint64_t len, std::string &out) {
        out.resize(static_cast<std::size_t>(len));
        std::uint64_t got = 0;
        while (got < len) {
            ssize_t r = read_at(&out[got], static_cast<std::size_t>(len - got), from + got);
            if (r <= 0) {
                if (r == 0) {
                    error_ = "'" + name_ + "' shrank while being read";
                }
                return false;
            }
            got += static_cast<std::uint64_t>(r);
        }
        return true;
    };

    std::string head, tail;
    if (!slurp(0, head_len, head) || !slurp(tail_from, size - tail_from, tail)) {
        return false;
    }
    key = bigupload::derive_upload_key(size, mtime_ns_, head, tail);
    return true;
}

ssize_t Source::read(char *buf, std::size_t n)
{
    if (size_ >= 0) {
        std::uint64_t left = static_cast<std::uint64_t>(size_) - bytes_read_;
        if (n > left) {
            n = static_cast<std::size_t>(left);
        }
        if (n == 0) {
            eof_ = true;
            return 0;
        }
    }

    for (;;) {
        if (bgclient::interrupted()) {
            interrupted_ = true;
            return -1;
        }

        ssize_t r = ::read(fd_, buf, n);

        if (r > 0) {
            hash_.update(buf, static_cast<std::size_t>(r));
            bytes_read_ += static_cast<std::uint64_t>(r);
            return r;
        }

        if (r == 0) {
            if (size_ >= 0 && bytes_read_ < static_cast<std::uint64_t>(size_)) {
                error_ = "'" + name_ + "' shrank while being read (ended after "
                         + std::to_string(bytes_read_) + " of "
                         + std::to_string(size_) + " bytes)";
                return -1;
            }
            eof_ = true;
            return 0;
        }

        if (errno == EINTR) {
            continue;  // the loop head sees a Ctrl-C
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // a non-blocking stdin: wait for data rather than fail
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, nullptr);
            continue;
        }

        error_ = "cannot read '" + name_ + "': " + std::strerror(errno);
        return -1;
    }
}

}  // namespace bgclient
