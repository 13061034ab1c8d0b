// The file being uploaded: opened before any network traffic (so that an
// unreadable file is exit code 3 at once), read straight into the caller's
// buffer (libcurl's upload buffer; memory independent of the file size), and
// hashed while it is read (a copy of each block goes to the hasher thread).
// A resumable upload reads byte ranges instead (read_at, not hashed: the
// whole file is hashed by a FileHasher) and derives its upload key here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <sys/types.h>

#include "tool_hasher.hpp"

namespace bgclient {

// A regular file's size and modification time, to tell whether it changed
// while it was being sent.
struct FileStamp {
    std::int64_t size = -1;   // -1: not a regular file (nothing to compare)
    std::int64_t mtime_ns = 0;
};

// What happened to the upload of a file that changed, for the warning.
struct ChangeContext {
    bool completed = false;      // the upload succeeded (or was there already)
    bool resumable = false;      // sent as a resumable upload (it has a key)
    std::uint64_t bytes = 0;     // what the upload holds (the size at the start)
};

// "" when "after" is "before"; else the warning (without "bgclient: ") that
// the file changed while it was being sent and what the upload then holds.
std::string change_warning(const std::string &name, const FileStamp &before,
                           const FileStamp &after, const ChangeContext &ctx);

class Source {
public:
    // "-" is standard input.  nullptr with "error" set when it cannot be read.
    // What read() reads is hashed with "alg" (none: not hashed).
    static std::unique_ptr<Source> open(const std::string &path, std::string &error,
                                        std::optional<bigupload::DigestAlg> alg
                                        = bigupload::DigestAlg::sha256);
    ~Source();
    Source(const Source &) = delete;
    Source &operator=(const Source &) = delete;

    // "(stdin)" for standard input, else the path as given.
    const std::string &name() const { return name_; }
    // Bytes to send; -1 when unknown (a pipe): sent chunked.
    std::int64_t size() const { return size_; }
    // Regular files and block devices can be read again from the start
    // (for a retry); pipes cannot.
    bool rewindable() const { return rewindable_; }
    // A regular file named on the command line (not "-"): resumable.
    bool resumable() const { return resumable_; }
    int fd() const { return fd_; }
    // Modification time (ns since the epoch), for the upload key.
    std::int64_t mtime_ns() const { return mtime_ns_; }
    // Size and mtime of a regular file when it was opened, and now (size
    // -1 for anything else, or when fstat fails).
    const FileStamp &stamp_at_open() const { return stamp_; }
    FileStamp stamp_now() const;

    // Up to n bytes at "offset" (from the first byte to send), not hashed
    // and without moving the sequential position: > 0 bytes, 0 at size(),
    // -1 on error (error() says what, also for a file that shrank).
    ssize_t read_at(char *buf, std::size_t n, std::uint64_t offset);

    // The upload key of this file (see bigupload::derive_upload_key): its
    // size, mtime, and first and last MiB (the whole file when smaller).
    // false with error() set when it cannot be read.
    bool upload_key(std::string &key);

    // Back to the first byte, with a fresh hash.  false if not rewindable.
    bool rewind();

    // Up to n bytes into buf, hashed: > 0 bytes, 0 at the end, -1 on error
    // (error() says what; interrupted() when a signal stopped it).  Never
    // reads past size(): a file that grows is sent as it was when opened; a
    // file that shrinks is an error.
    ssize_t read(char *buf, std::size_t n);

    std::uint64_t bytes_read() const { return bytes_read_; }
    bool eof() const { return eof_; }
    bool failed() const { return !error_.empty(); }
    bool interrupted() const { return interrupted_; }
    const std::string &error() const { return error_; }

    // Lowercase hex digest (in open()'s algorithm; "" without one) of every
    // byte read since the last rewind (call once, at the end).
    std::string digest_hex() { return hash_.final_hex(); }

private:
    explicit Source(std::optional<bigupload::DigestAlg> alg) : hash_(alg) {}

    int fd_ = -1;
    bool owns_fd_ = false;
    std::string name_;
    std::int64_t size_ = -1;
    off_t start_ = 0;
    bool rewindable_ = false;
    bool resumable_ = false;
    std::int64_t mtime_ns_ = 0;
    FileStamp stamp_;
    std::uint64_t bytes_read_ = 0;
    bool eof_ = false;
    bool interrupted_ = false;
    std::string error_;
    BackgroundHasher hash_;  // hashes on another core while we send
};

}  // namespace bgclient
