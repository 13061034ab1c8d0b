// The file being uploaded: opened before any network traffic (so that an
// unreadable file is exit code 3 at once), read straight into the caller's
// buffer (libcurl's upload buffer; memory independent of the file size), and
// hashed while it is read (a copy of each block goes to the hasher thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <sys/types.h>

#include "tool_hasher.hpp"

namespace bgclient {

class Source {
public:
    // "-" is standard input.  nullptr with "error" set when it cannot be read.
    static std::unique_ptr<Source> open(const std::string &path, std::string &error);
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

    // Digest of every byte read since the last rewind (call once, at the end).
    std::string sha256_hex() { return hash_.final_hex(); }

private:
    Source() = default;

    int fd_ = -1;
    bool owns_fd_ = false;
    std::string name_;
    std::int64_t size_ = -1;
    off_t start_ = 0;
    bool rewindable_ = false;
    std::uint64_t bytes_read_ = 0;
    bool eof_ = false;
    bool interrupted_ = false;
    std::string error_;
    BackgroundHasher hash_;  // hashes on another core while we send
};

}  // namespace bgclient
