// The store: where uploads land.  Every function here is a blocking syscall
// sequence meant to run on a worker thread; none logs.  Failures come back as
// an FsError naming the operation, the path and errno, for the caller to log
// and map (errmap.hpp) on its own thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "engine/fd.hpp"
#include "engine/outcome.hpp"

namespace bigupload {

struct FsError {
    int err = 0;             // errno, 0 when the step succeeded
    std::string op;          // "openat", "mkdirat", "pwrite", ...
    std::string path;        // path the operation was about

    explicit operator bool() const { return err != 0; }
};

// What the client asked about an existing target (RFC 9110 preconditions).
struct Preconditions {
    bool if_none_match_any = false;  // If-None-Match: *
    bool if_match_any = false;       // If-Match: *
    std::vector<std::string> if_match_etags;  // If-Match: "a", "b"
    std::vector<std::string> if_none_match_etags;  // If-None-Match: "a"
};

// Why a request's preconditions were refused: the field, the offending
// line, and what is wrong with it (for the client and the log).
// (static texts and a view into the caller's value, so that they live as
// long as the request's headers do)
struct PreconditionRefusal {
    const char *header = "";     // "If-Match" or "If-None-Match"
    std::string_view value;      // the value refused
    const char *detail = "";     // "If-Match is empty", ...
};

// Fills "pre" from a request's If-Match and If-None-Match (nullopt: the
// header is absent; nginx refuses one given twice).  Each is "*" alone or a
// list of entity-tags (RFC 9110 8.8.3, 13.1.1; empty list elements
// allowed); an empty value, a "*" in a list, an element that is not exactly
// [W/]"etagc*" or no tag at all is refused (false, and "why" says which).
bool parse_preconditions(std::optional<std::string_view> if_match,
                         std::optional<std::string_view> if_none_match, Preconditions &pre,
                         PreconditionRefusal &why);

// The same, an empty value being an absent header.
bool parse_preconditions(std::string_view if_match, std::string_view if_none_match,
                         Preconditions &pre);

struct StoreOptions {
    bool create_dirs = true;
    bool overwrite = false;
    mode_t file_mode = 0600;
    mode_t dir_mode = 0700;
};

// nginx-style entity tag of a file: "<mtime hex>-<size hex>" in quotes.
std::string etag_for(std::int64_t mtime, std::int64_t size);

// Directory mode that goes with a file mode: x wherever r is (like dav_access).
mode_t dir_mode_for(mode_t file_mode);

// An FsError for "op" on "path" from the current errno.
FsError fs_error(const char *op, const std::string &path);

// pwrite()s all of [data, data + len) at "offset", over short writes and
// EINTR; false with errno set otherwise.
bool pwrite_all(int fd, const void *data, std::size_t len, std::uint64_t offset);

// Splices "len" bytes waiting in the pipe "pipe" into "fd" at "offset"
// (splice(2): from the pipe's pages into the page cache, not through this
// process's memory), over short splices and EINTR; false with errno set
// otherwise (EIO when the pipe runs dry first).
bool splice_all(int pipe, int fd, std::size_t len, std::uint64_t offset);

// Hands [offset, offset + len) of "fd" to "sink" through a read-only mapping
// of the file's pages (what was just written is in the page cache: no copy),
// in pieces of at most 4 MiB; false with errno set when a mapping fails.
bool map_range(int fd, std::uint64_t offset, std::uint64_t len,
               const std::function<void(const char *, std::size_t)> &sink);

// pread()s [offset, offset + len) of "fd" in pieces of "buf.size()" bytes,
// handing each to "sink" (which may stop the reading by returning false),
// over short reads and EINTR; false with errno set otherwise (EIO for a file
// shorter than that).
bool read_range(int fd, std::uint64_t offset, std::uint64_t len, std::vector<char> &buf,
                const std::function<bool(const char *, std::size_t)> &sink);

// Opens the store root (absolute; created like "mkdir -p" when allowed).
int open_store_root(const std::string &root, const StoreOptions &opt, FsError &e);

// Opens (creating when allowed) directory "name" below "dfd" without
// following a symlink (ELOOP); "path" is its full path, for errors.
int open_subdir(int dfd, const std::string &name, const std::string &path,
                bool create, mode_t mode, FsError &e);

// Opens the directory that holds the target "segments" (all but the last
// one, walked with O_NOFOLLOW from the root); its path goes to "dir_path".
int open_target_dir(const std::string &root, const std::vector<std::string> &segments,
                    const StoreOptions &opt, std::string &dir_path, FsError &e);

// Whether an upload may go to "name" in "dir_fd": preconditions, overwrite,
// directories.  ok, precondition_failed, exists, is_directory or error.
Outcome check_target(int dir_fd, const std::string &name, const std::string &path,
                         const StoreOptions &opt, const Preconditions &pre, FsError &e);

// Renames "from" to "to" (relative to their directories) without replacing
// an existing file unless "may_replace": created, replaced, exists or error.
Outcome move_into_place(int from_dir, const std::string &from, int to_dir,
                              const std::string &to, const std::string &to_path,
                              bool may_replace, FsError &e);

// One upload's file: a unique temp file beside the target, written at
// increasing offsets, then atomically renamed into place (or removed).
// A stored file's digest, remembered in an extended attribute together with
// the size and mtime it belongs to, so that HEAD can report it without
// reading the file: "user.bigupload.sha256" ("<hex> <stamp>", as earlier
// versions wrote it) for sha256, "user.bigupload.digest" ("<alg> <hex>
// <stamp>") for the others.  Best effort: on a filesystem without user
// xattrs nothing is remembered.
void remember_digest(int fd, const FileDigest &d);

// The digest remembered for the open file; none when none was, or when the
// file was changed since (its size or mtime differ).
FileDigest remembered_digest(int fd);

// The same for sha256 in hex (what earlier versions and their tests use).
void remember_sha256(int fd, const std::string &hex);
std::string remembered_sha256(int fd);

// Removes the file at "path" if it is still the one whose digest was
// remembered as "d" (another upload may have replaced it since); on a
// filesystem without user xattrs, removes it.  True when removed.
bool remove_if_same(const std::string &path, const FileDigest &d);
bool remove_if_same(const std::string &path, const std::string &sha256_hex);

// What is at a target now: a regular file's size and remembered sha256.
struct TargetInfo {
    bool exists = false;
    std::uint64_t size = 0;
    FileDigest digest;                       // none when not remembered
};

// Looks at the target "segments" below "root" without creating anything or
// following a symlink; a missing file (or directory) is not an error.
TargetInfo probe_target(const std::string &root, const std::vector<std::string> &segments,
                        const StoreOptions &opt);

class TargetFile {
public:
    TargetFile() = default;
    ~TargetFile();                       // closes fds; removes an uncommitted temp
    TargetFile(const TargetFile &) = delete;
    TargetFile &operator=(const TargetFile &) = delete;

    // Opens (creating when allowed) the store root and every directory of
    // "segments" but the last without following symlinks, evaluates the
    // preconditions against the target, and creates the temp file.
    Outcome open(const std::string &root, const std::vector<std::string> &segments,
                     const StoreOptions &opt, const Preconditions &pre, FsError &e);

    // Writes all of [data, data+len) at "offset" (loops over short writes).
    bool write_at(const void *data, std::size_t len, std::uint64_t offset, FsError &e);

    // Records the digest of what was written (see remember_digest).
    void remember(const FileDigest &d) { remember_digest(fd_.get(), d); }

    // Moves the temp file into place; never replaces when "may_replace" is
    // false.  With "durable", fsyncs the file before and its directory after.
    // created, replaced, exists (a file appeared there) or error.
    Outcome commit(bool may_replace, bool durable, FsError &e);

    // Closes and removes the temp file (idempotent).
    void abort();

    bool has_temp() const { return !tmp_name_.empty(); }
    // The temp file's descriptor (-1 when none), for a writer of its own
    // (copy_file_range) instead of write_at().
    int fd() const { return fd_.get(); }
    const std::string &temp_path() const { return tmp_path_; }
    const std::string &target_path() const { return target_path_; }

private:
    void close_all();

    Fd dir_fd_;
    Fd fd_;
    std::string name_;
    std::string tmp_name_;
    std::string tmp_path_;
    std::string target_path_;
    std::string dir_path_;
};

}  // namespace bigupload
