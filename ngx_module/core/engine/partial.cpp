#include "engine/partial.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string_view>

namespace bigupload {

namespace {

const char partial_dir[] = ".bigupload";

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// An open-file-description lock: unlike a classic fcntl lock it is not
// shared by the threads of one process (nginx's thread pool), and it is
// still an fcntl lock, which NFS honours.
bool ofd_lock(int fd, bool wait)
{
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;

    for (;;) {
        if (::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) {
            return true;
        }
        if (errno != EINTR) {
            return false;
        }
    }
}

// Opens and locks "name" in "dir", making sure the file locked is still the
// one linked there (another process may have removed it meanwhile).
int lock_file(int dir, const std::string &name, bool wait)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = ::openat(dir, name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd == -1) {
            return -1;
        }

        if (!ofd_lock(fd, wait)) {
            int err = errno;
            ::close(fd);
            errno = err;
            return -1;
        }

        struct stat a, b;
        if (::fstat(fd, &a) == 0 && ::fstatat(dir, name.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0
            && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        {
            return fd;
        }

        ::close(fd);
    }

    errno = EAGAIN;
    return -1;
}

bool read_all(int dir, const std::string &name, std::string &out, bool &missing)
{
    out.clear();
    missing = false;

    int fd = ::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        missing = errno == ENOENT;
        return missing;
    }

    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int err = errno;
            ::close(fd);
            errno = err;
            return n == 0;
        }
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > (1u << 20)) {
            ::close(fd);
            errno = EFBIG;
            return false;
        }
    }
}

bool write_all(int fd, const void *data, std::size_t len, std::uint64_t offset)
{
    return pwrite_all(fd, data, len, offset);
}

}  // namespace

Partial::~Partial()
{
    unlock();
    close_data();
    if (pdir_fd_ != -1) {
        ::close(pdir_fd_);
    }
    if (target_dir_fd_ != -1) {
        ::close(target_dir_fd_);
    }
}

void Partial::close_data()
{
    if (data_fd_ != -1) {
        ::close(data_fd_);
        data_fd_ = -1;
    }
}

bool Partial::open_dirs(bool create, FsError &e)
{
    if (pdir_fd_ != -1) {
        return true;
    }

    id_ = sha256_hex(remote_path_.data(), remote_path_.size()).substr(0, 40);

    StoreOptions o = opt_;
    o.create_dirs = o.create_dirs && create;

    int rfd = open_store_root(root_, o, e);
    if (rfd == -1) {
        return false;
    }

    pdir_path_ = root_ + "/" + partial_dir;
    pdir_fd_ = open_subdir(rfd, partial_dir, pdir_path_, create, 0700, e);
    ::close(rfd);

    return pdir_fd_ != -1;
}

bool Partial::lock(FsError &e)
{
    if (lock_fd_ != -1) {
        return true;
    }

    lock_fd_ = lock_file(pdir_fd_, id_ + ".lock", true);
    if (lock_fd_ == -1) {
        e = fs_error("fcntl", pdir_path_ + "/" + id_ + ".lock");
        return false;
    }

    return true;
}

void Partial::unlock()
{
    if (lock_fd_ != -1) {
        ::close(lock_fd_);
        lock_fd_ = -1;
    }
}

PartialOutcome Partial::load(UploadState &st, bool &found, FsError &e)
{
    std::string text;
    bool missing;

    found = false;

    if (!read_all(pdir_fd_, id_ + ".state", text, missing)) {
        e = fs_error("read", pdir_path_ + "/" + id_ + ".state");
        return PartialOutcome::error;
    }

    if (missing) {
        return PartialOutcome::ok;
    }

    if (parse_state(text, st) != StateError::ok) {
        return PartialOutcome::corrupt;
    }

    found = true;
    return PartialOutcome::ok;
}

bool Partial::store(const UploadState &st, FsError &e)
{
    std::string text = serialize_state(st);
    std::string tmp = id_ + ".state.tmp";
    std::string name = id_ + ".state";

    int fd = ::openat(pdir_fd_, tmp.c_str(),
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd != -1 && write_all(fd, text.data(), text.size(), 0)) {
        ::close(fd);

        // a crash leaves either the old state or the new one, never half
        if (::renameat(pdir_fd_, tmp.c_str(), pdir_fd_, name.c_str()) == -1) {
            e = fs_error("renameat", pdir_path_ + "/" + name);
            return false;
        }
        return true;
    }

    int err = errno;
    if (fd != -1) {
        ::close(fd);
        ::unlinkat(pdir_fd_, tmp.c_str(), 0);
    }

    // a full disk has no block for a new file, but the old state's block
    // takes the new one in place (the checksum catches a torn write)
    if (err == ENOSPC || err == EDQUOT) {
        fd = ::openat(pdir_fd_, name.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd != -1 && write_all(fd, text.data(), text.size(), 0)
            && ::ftruncate(fd, static_cast<off_t>(text.size())) == 0)
        {
            ::close(fd);
            return true;
        }
        if (fd != -1) {
            err = errno;
            ::close(fd);
        }
    }

    errno = err;
    e = fs_error("write", pdir_path_ + "/" + name);
    return false;
}

void Partial::remove_files()
{
    ::unlinkat(pdir_fd_, (id_ + ".data").c_str(), 0);
    ::unlinkat(pdir_fd_, (id_ + ".state").c_str(), 0);
    ::unlinkat(pdir_fd_, (id_ + ".state.tmp").c_str(), 0);
    // waiters notice that the lock file they hold is no longer linked
    ::unlinkat(pdir_fd_, (id_ + ".lock").c_str(), 0);
}

PartialOutcome Partial::begin(const ResumableRequest &rq, std::int64_t now, FsError &e)
{
    if (!open_dirs(true, e)) {
        return PartialOutcome::error;
    }

    std::string dir_path;
    target_dir_fd_ = open_target_dir(root_, segments_, opt_, dir_path, e);
    if (target_dir_fd_ == -1) {
        return PartialOutcome::error;
    }
    target_path_ = dir_path + "/" + segments_.back();

    switch (check_target(target_dir_fd_, segments_.back(), target_path_, opt_, pre_, e)) {
    case OpenOutcome::ok: break;
    case OpenOutcome::precondition_failed: return PartialOutcome::precondition_failed;
    case OpenOutcome::exists: return PartialOutcome::exists;
    case OpenOutcome::is_directory: return PartialOutcome::is_directory;
    case OpenOutcome::error: return PartialOutcome::error;
    }

    if (!lock(e)) {
        return PartialOutcome::error;
    }

    UploadState st;
    bool found;
    PartialOutcome o = load(st, found, e);

    if (o != PartialOutcome::ok) {
        unlock();
        return o;
    }

    if (found && st.key != rq.key) {
        state_ = st;
        unlock();
        return PartialOutcome::key_mismatch;
    }

    if (!found) {
        st = UploadState();
        st.key = rq.key;
        st.path = remote_path_;
        st.created = now;
    }

    if (rq.total) {
        if ((st.length && *st.length != *rq.total) || st.received.end() > *rq.total) {
            state_ = st;
            unlock();
            return PartialOutcome::length_mismatch;
        }
        st.length = rq.total;
    }

    if (st.length && (rq.start > *st.length || (rq.end && *rq.end > *st.length))) {
        state_ = st;
        unlock();
        return PartialOutcome::beyond_length;
    }

    st.updated = now;

    if (!store(st, e)) {
        unlock();
        return PartialOutcome::error;
    }

    unlock();
    state_ = st;

    std::string data = id_ + ".data";
    data_fd_ = ::openat(pdir_fd_, data.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                        opt_.file_mode);
    if (data_fd_ == -1 || ::fchmod(data_fd_, opt_.file_mode) == -1) {
        e = fs_error("openat", pdir_path_ + "/" + data);
        close_data();
        return PartialOutcome::error;
    }

    rq_ = rq;
    written_ = 0;
    hashed_ = 0;
    recorded_ = 0;
    hashing_ = rq.start == 0;
    hash_.reset();

    return PartialOutcome::ok;
}

PartialOutcome Partial::write(const void *data, std::size_t len, std::int64_t now,
                              FsError &e)
{
    hash(data, len);
    return write_only(data, len, now, e);
}

void Partial::hash(const void *data, std::size_t len)
{
    if (hashing_) {
        hash_.update(data, len);
    }

    // published after the update: write_only() on another thread may then
    // count these bytes as hashed
    hashed_.fetch_add(len, std::memory_order_release);
}

PartialOutcome Partial::write_only(const void *data, std::size_t len, std::int64_t now,
                                   FsError &e)
{
    if (!write_all(data_fd_, data, len, rq_.start + written_)) {
        e = fs_error("pwrite", pdir_path_ + "/" + id_ + ".data");
        return PartialOutcome::error;
    }

    written_ += len;

    if (held() - recorded_ >= checkpoint) {
        return record(now, e);
    }

    return PartialOutcome::ok;
}

std::uint64_t Partial::held() const
{
    if (!hashing_) {
        return written_;
    }

    return std::min(written_, hashed_.load(std::memory_order_acquire));
}

PartialOutcome Partial::relock(UploadState &st, FsError &e)
{
    if (!lock(e)) {
        return PartialOutcome::error;
    }

    bool found;
    PartialOutcome o = load(st, found, e);

    if (o == PartialOutcome::ok && (!found || st.key != rq_.key)) {
        o = PartialOutcome::cancelled;
    }

    return o;
}

PartialOutcome Partial::record(std::int64_t now, FsError &e)
{
    UploadState st;
    PartialOutcome o = relock(st, e);

    if (o == PartialOutcome::ok) {
        std::uint64_t held_now = held();

        st.received.add(rq_.start, rq_.start + held_now);
        st.updated = now;
        if (!store(st, e)) {
            o = PartialOutcome::error;
        } else {
            recorded_ = held_now;
            state_ = st;
        }
    }

    unlock();
    return o;
}

bool Partial::hash_file(FsError &e)
{
    std::vector<char> buf(1 << 20);
    Sha256 h;
    std::uint64_t off = 0;

    while (off < size_) {
        std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>(buf.size(), size_ - off));
        ssize_t n = ::pread(data_fd_, buf.data(), want, static_cast<off_t>(off));
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            e = fs_error("pread", pdir_path_ + "/" + id_ + ".data");
            return false;
        }
        h.update(buf.data(), static_cast<std::size_t>(n));
        off += static_cast<std::uint64_t>(n);
    }

    sha256_ = h.final_hex();
    return true;
}

PartialOutcome Partial::finish(bool body_complete, bool durable, std::int64_t now,
                               FsError &e)
{
    UploadState st;
    PartialOutcome o = relock(st, e);

    if (o == PartialOutcome::cancelled && body_complete && recorded_ == written_
        && state_.length)
    {
        // our bytes were recorded by a checkpoint, and a request that ended
        // at the same time completed the upload: the file is in place
        struct stat sb;
        if (::fstatat(target_dir_fd_, segments_.back().c_str(), &sb,
                      AT_SYMLINK_NOFOLLOW) == 0
            && static_cast<std::uint64_t>(sb.st_size) == *state_.length)
        {
            o = PartialOutcome::completed_elsewhere;
        }
    }

    if (o != PartialOutcome::ok) {
        unlock();
        return o;
    }

    // bytes written but not hashed (the hash lagged behind a failed write)
    // are not claimed: whoever sends them again rewrites them
    std::uint64_t held_now = held();

    st.received.add(rq_.start, rq_.start + held_now);
    st.updated = now;
    recorded_ = held_now;

    if (body_complete && rq_.completes) {
        std::uint64_t total = rq_.start + held_now;
        if ((st.length && *st.length != total) || st.received.end() > total) {
            state_ = st;
            store(st, e);
            unlock();
            return PartialOutcome::length_mismatch;
        }
        st.length = total;
    }

    state_ = st;

    if (!st.complete()) {
        o = store(st, e) ? PartialOutcome::incomplete : PartialOutcome::error;
        unlock();
        return o;
    }

    // complete: hash, move into place, forget the partial

    size_ = *st.length;

    if (::ftruncate(data_fd_, static_cast<off_t>(size_)) == -1) {
        e = fs_error("ftruncate", pdir_path_ + "/" + id_ + ".data");
        store(st, e);
        unlock();
        return PartialOutcome::error;
    }

    if (hashing_ && held_now == size_ && written_ == size_ && hashed_ == size_) {
        sha256_ = hash_.final_hex();
    } else if (!hash_file(e)) {
        store(st, e);
        unlock();
        return PartialOutcome::error;
    }

    remember_sha256(data_fd_, sha256_);

    if (durable && ::fsync(data_fd_) == -1) {
        e = fs_error("fsync", pdir_path_ + "/" + id_ + ".data");
        store(st, e);
        unlock();
        return PartialOutcome::error;
    }

    bool may_replace = opt_.overwrite && !pre_.if_none_match_any;
    CommitOutcome c = move_into_place(pdir_fd_, id_ + ".data", target_dir_fd_,
                                      segments_.back(), target_path_, may_replace, e);

    if (c == CommitOutcome::exists || c == CommitOutcome::error) {
        // the partial stays, complete, for a retry once the target is gone
        store(st, e);
        unlock();
        return c == CommitOutcome::exists ? PartialOutcome::exists : PartialOutcome::error;
    }

    close_data();
    remove_files();

    if (durable && ::fsync(target_dir_fd_) == -1) {
        e = fs_error("fsync", target_path_);
        unlock();
        return PartialOutcome::error;
    }

    unlock();
    return c == CommitOutcome::created ? PartialOutcome::created : PartialOutcome::replaced;
}

PartialOutcome Partial::query(const std::string &key, PartialInfo &info, FsError &e)
{
    info = PartialInfo();

    // a finished file at the target, whatever the partial says
    StoreOptions o = opt_;
    o.create_dirs = false;
    std::string dir_path;
    FsError ignored;
    int dfd = open_target_dir(root_, segments_, o, dir_path, ignored);
    if (dfd != -1) {
        struct stat st;
        int fd = ::openat(dfd, segments_.back().c_str(),
                          O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd != -1 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            info.target_exists = true;
            info.target_size = static_cast<std::uint64_t>(st.st_size);
            info.target_sha256 = remembered_sha256(fd);
        }
        if (fd != -1) {
            ::close(fd);
        }
        ::close(dfd);
    }

    if (!open_dirs(false, e)) {
        if (e.err == ENOENT) {
            e = FsError();
            return PartialOutcome::not_found;
        }
        return PartialOutcome::error;
    }

    // the state file is replaced atomically: no lock needed to read it
    bool found;
    PartialOutcome r = load(info.state, found, e);
    if (r != PartialOutcome::ok) {
        return r;
    }

    if (!found) {
        return PartialOutcome::not_found;
    }

    if (!key.empty() && info.state.key != key) {
        return PartialOutcome::key_mismatch;
    }

    info.found = true;
    return PartialOutcome::ok;
}

PartialOutcome Partial::cancel(const std::string &key, FsError &e)
{
    if (!open_dirs(false, e)) {
        if (e.err == ENOENT) {
            e = FsError();
            return PartialOutcome::not_found;
        }
        return PartialOutcome::error;
    }

    if (!lock(e)) {
        return PartialOutcome::error;
    }

    UploadState st;
    bool found;
    PartialOutcome o = load(st, found, e);

    if (o == PartialOutcome::ok && !found) {
        o = PartialOutcome::not_found;
    } else if (o == PartialOutcome::ok && !key.empty() && st.key != key) {
        o = PartialOutcome::key_mismatch;
    } else if (o == PartialOutcome::ok || o == PartialOutcome::corrupt) {
        remove_files();
        o = PartialOutcome::ok;
    }

    if (o == PartialOutcome::not_found) {
        // nothing to cancel: do not leave the lock file behind either
        ::unlinkat(pdir_fd_, (id_ + ".lock").c_str(), 0);
    }

    state_ = st;
    unlock();
    return o;
}

// The ids of the partials in the partial directory: names of its ".state"
// and ".data" files without the suffix.
static bool partial_ids(int pdir, const std::string &pdir_path, std::set<std::string> &ids,
                        FsError &e)
{
    int dupfd = ::dup(pdir);
    DIR *d = dupfd == -1 ? nullptr : ::fdopendir(dupfd);
    if (d == nullptr) {
        e = fs_error("opendir", pdir_path);
        if (dupfd != -1) {
            ::close(dupfd);
        }
        return false;
    }

    while (struct dirent *de = ::readdir(d)) {
        std::string_view name(de->d_name);
        if (ends_with(name, ".state")) {
            ids.emplace(name.substr(0, name.size() - 6));
        } else if (ends_with(name, ".data")) {
            ids.emplace(name.substr(0, name.size() - 5));
        }
    }
    ::closedir(d);
    return true;
}

int Partial::sweep(const std::string &root, std::int64_t now, std::int64_t max_age,
                   FsError &e)
{
    std::string pdir_path = root + "/" + partial_dir;
    int pdir = ::open(pdir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (pdir == -1) {
        if (errno != ENOENT) {
            e = fs_error("open", pdir_path);
        }
        return 0;
    }

    // one sweeper at a time per store, whichever process it is in
    int guard = lock_file(pdir, "sweep.lock", false);
    if (guard == -1) {
        ::close(pdir);
        return 0;
    }

    std::set<std::string> ids;
    if (!partial_ids(pdir, pdir_path, ids, e)) {
        ::close(guard);
        ::close(pdir);
        return 0;
    }

    int removed = 0;

    for (const auto &id : ids) {
        int lk = lock_file(pdir, id + ".lock", false);
        if (lk == -1) {
            continue;   // busy: in use right now
        }

        std::string text;
        bool missing;
        UploadState st;
        bool stale;

        if (read_all(pdir, id + ".state", text, missing) && !missing
            && parse_state(text, st) == StateError::ok)
        {
            stale = st.updated + max_age < now;
        } else {
            // no state (or a damaged one): judge by the data file's age
            struct stat sb;
            stale = ::fstatat(pdir, (id + ".data").c_str(), &sb, AT_SYMLINK_NOFOLLOW) != 0
                    || sb.st_mtime + max_age < now;
        }

        if (stale) {
            ::unlinkat(pdir, (id + ".data").c_str(), 0);
            ::unlinkat(pdir, (id + ".state").c_str(), 0);
            ::unlinkat(pdir, (id + ".state.tmp").c_str(), 0);
            ::unlinkat(pdir, (id + ".lock").c_str(), 0);
            removed++;
        }

        ::close(lk);
    }

    ::close(guard);
    ::close(pdir);
    return removed;
}

bool Partial::list(const std::string &root, std::int64_t max_age,
                   std::vector<PartialListing> &out, FsError &e)
{
    std::string pdir_path = root + "/" + partial_dir;
    int pdir = ::open(pdir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (pdir == -1) {
        if (errno == ENOENT) {
            return true;
        }
        e = fs_error("open", pdir_path);
        return false;
    }

    std::set<std::string> ids;
    if (!partial_ids(pdir, pdir_path, ids, e)) {
        ::close(pdir);
        return false;
    }

    // the state file is replaced atomically: read without the lock
    for (const auto &id : ids) {
        std::string text;
        bool missing;
        UploadState st;

        if (!read_all(pdir, id + ".state", text, missing) || missing
            || parse_state(text, st) != StateError::ok)
        {
            continue;
        }

        PartialListing p;
        p.path = st.path;
        p.offset = st.received.contiguous();
        p.received = st.received.total();
        p.length = st.length;
        p.updated = st.updated;
        p.expires = st.updated + max_age;
        out.push_back(std::move(p));
    }

    ::close(pdir);
    return true;
}

}  // namespace bigupload
