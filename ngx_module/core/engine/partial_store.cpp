#include "engine/partial_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <stdexcept>

namespace bigupload {

namespace {

const char partial_dir[] = ".bigupload";

// Larger states are refused as damaged: no honest state is near it.
constexpr std::size_t max_state_size = 1u << 20;

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Which bytes of a partial's lock file a lock covers: byte 0 serialises the
// updates of its state (a write lock, held for moments), byte 1 tells that
// requests are working on it (a read lock each, held for their whole life),
// so that the sweep, which wants it exclusively, never expires an upload in
// flight, whichever process or server it runs in; byte 2 is the hasher's
// (hashing behind the frontier: one at a time).
enum class LockRange { state, activity, hasher, whole };

// An open-file-description lock: unlike a classic fcntl lock it is not
// shared by the threads of one process (nginx's thread pool), and it is
// still an fcntl lock, which NFS and GlusterFS honour.
bool ofd_lock(int fd, bool wait, short type = F_WRLCK, LockRange range = LockRange::whole)
{
    struct flock fl = {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = range == LockRange::activity ? 1 : range == LockRange::hasher ? 2 : 0;
    fl.l_len = range == LockRange::whole ? 0 : 1;

    for (;;) {
        if (::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) {
            return true;
        }
        if (errno != EINTR) {
            return false;
        }
    }
}

// A network filesystem may answer ESTALE for a file another server replaced
// (by rename) until its lookup cache learns of it, and GlusterFS's delayed
// open may report a file gone only at its first read: the name is looked up
// again, a few times, before the failure counts.
bool stale(int err)
{
    return err == ESTALE;
}

constexpr int stale_retries = 8;

int openat_fresh(int dir, const char *name, int flags, mode_t mode = 0)
{
    for (int attempt = 0;; attempt++) {
        int fd = ::openat(dir, name, flags, mode);
        if (fd != -1 || !stale(errno) || attempt == stale_retries) {
            return fd;
        }
        pause_before_retry(attempt);
    }
}

// Opens and locks "name" in "dir", making sure the file locked is still the
// one linked there (another process may have removed it meanwhile).
Fd lock_file(int dir, const std::string &name, bool wait, short type = F_WRLCK,
             LockRange range = LockRange::whole, bool create = true)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        Fd fd(openat_fresh(dir, name.c_str(),
                           O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600));
        if (!fd || !ofd_lock(fd.get(), wait, type, range)) {
            return Fd();
        }

        struct stat a, b;
        if (::fstat(fd.get(), &a) == 0
            && ::fstatat(dir, name.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0
            && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        {
            return fd;
        }
    }

    errno = EAGAIN;
    return Fd();
}

// Reads a small file whole; true with "missing" when it does not exist.
// EFBIG for one larger than any honest state.
bool read_once(int dir, const std::string &name, std::string &out, bool &missing)
{
    out.clear();
    missing = false;

    Fd fd(::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        missing = errno == ENOENT;
        return missing;
    }

    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n == 0;
        }
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max_state_size) {
            errno = EFBIG;
            return false;
        }
    }
}

bool read_all(int dir, const std::string &name, std::string &out, bool &missing)
{
    for (int attempt = 0;; attempt++) {
        if (read_once(dir, name, out, missing)) {
            return true;
        }
        // GlusterFS: ENOENT from read() of a file that was there at open
        if (!(stale(errno) || errno == ENOENT) || attempt == stale_retries) {
            return false;
        }
        pause_before_retry(attempt);
    }
}

}  // namespace

void pause_before_retry(int attempt)
{
    struct timespec ts = {0, 1000000L << (attempt < 6 ? attempt : 6)};   // 1..64 ms
    ::nanosleep(&ts, nullptr);
}

bool PartialStore::open(bool create, FsError &e)
{
    if (dir_) {
        return true;
    }

    StoreOptions o = opt_;
    o.create_dirs = o.create_dirs && create;

    Fd rfd(open_store_root(root_, o, e));
    if (!rfd) {
        return false;
    }

    dir_path_ = root_ + "/" + partial_dir;
    dir_ = Fd(open_subdir(rfd.get(), partial_dir, dir_path_, create, 0700, e));

    return static_cast<bool>(dir_);
}

std::string PartialStore::new_id()
{
    static const char hexdigits[] = "0123456789abcdef";
    unsigned char buf[16];
    std::size_t got = 0;

    while (got < sizeof(buf)) {
        ssize_t n = ::getrandom(buf + got, sizeof(buf) - got, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            // an id must be unguessable: no fallback on something weaker
            throw std::runtime_error("getrandom failed");
        }
        got += static_cast<std::size_t>(n);
    }

    std::string id;
    for (unsigned char c : buf) {
        id.push_back(hexdigits[c >> 4]);
        id.push_back(hexdigits[c & 0x0f]);
    }
    return id;
}

bool PartialStore::valid_id(std::string_view id)
{
    if (id.empty() || id.size() > 64) {
        return false;
    }
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
            return false;
        }
    }
    return true;
}

std::string PartialStore::path_of(const std::string &id, const char *suffix) const
{
    return dir_path_ + "/" + id + suffix;
}

Fd PartialStore::lock(const std::string &id, bool wait, FsError &e, bool create)
{
    Fd fd = lock_file(dir_.get(), id + ".lock", wait, F_WRLCK, LockRange::state, create);
    if (!fd && !create && errno == ENOENT) {
        return fd;   // the partial is gone
    }
    if (!fd && (wait || (errno != EAGAIN && errno != EACCES))) {
        e = fs_error("fcntl", path_of(id, ".lock"));
    }
    return fd;
}

Fd PartialStore::hold(const std::string &id, FsError &e)
{
    Fd fd = lock_file(dir_.get(), id + ".lock", true, F_RDLCK, LockRange::activity);
    if (!fd) {
        e = fs_error("fcntl", path_of(id, ".lock"));
    }
    return fd;
}

Fd PartialStore::lock_hasher(const std::string &id)
{
    // never makes a lock file: a partial without one is gone
    return lock_file(dir_.get(), id + ".lock", false, F_WRLCK, LockRange::hasher, false);
}

Outcome PartialStore::load(const std::string &id, UploadState &st, bool &found, FsError &e)
{
    std::string text;
    bool missing;

    found = false;

    if (!read_all(dir_.get(), id + ".state", text, missing)) {
        if (errno == EFBIG) {
            // larger than any state this module writes: damaged
            return Outcome::corrupt;
        }
        e = fs_error("read", path_of(id, ".state"));
        return Outcome::error;
    }

    if (missing) {
        return Outcome::ok;
    }

    if (parse_state(text, st) != StateError::ok) {
        return Outcome::corrupt;
    }

    found = true;
    return Outcome::ok;
}

bool PartialStore::save(const std::string &id, const UploadState &st, FsError &e)
{
    std::string text = serialize_state(st);
    std::string tmp = id + ".state.tmp";
    std::string name = id + ".state";
    int dir = dir_.get();

    Fd fd(::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                   0600));

    if (fd && pwrite_all(fd.get(), text.data(), text.size(), 0)) {
        fd.reset();

        // a crash leaves either the old state or the new one, never half
        if (::renameat(dir, tmp.c_str(), dir, name.c_str()) == -1) {
            e = fs_error("renameat", path_of(id, ".state"));
            return false;
        }
        return true;
    }

    int err = errno;
    if (fd) {
        fd.reset();
        ::unlinkat(dir, tmp.c_str(), 0);
    }

    // a full disk has no block for a new file, but the old state's block
    // takes the new one in place (the checksum catches a torn write)
    if (err == ENOSPC || err == EDQUOT) {
        fd = Fd(::openat(dir, name.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
        if (fd && pwrite_all(fd.get(), text.data(), text.size(), 0)
            && ::ftruncate(fd.get(), static_cast<off_t>(text.size())) == 0)
        {
            return true;
        }
        if (fd) {
            err = errno;
        }
    }

    errno = err;
    e = fs_error("write", path_of(id, ".state"));
    return false;
}

Fd PartialStore::open_data(const std::string &id, FsError &e)
{
    std::string name = id + ".data";
    Fd fd(openat_fresh(dir_.get(), name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                       opt_.file_mode));

    if (!fd || ::fchmod(fd.get(), opt_.file_mode) == -1) {
        e = fs_error("openat", path_of(id, ".data"));
        return Fd();
    }

    return fd;
}

void PartialStore::remove(const std::string &id)
{
    int dir = dir_.get();

    ::unlinkat(dir, (id + ".data").c_str(), 0);
    ::unlinkat(dir, (id + ".state").c_str(), 0);
    ::unlinkat(dir, (id + ".state.tmp").c_str(), 0);
    // waiters notice that the lock file they hold is no longer linked
    ::unlinkat(dir, (id + ".lock").c_str(), 0);
}

Outcome PartialStore::cancel(const std::string &id, const std::string &key, FsError &e)
{
    if (!open(false, e)) {
        if (e.err == ENOENT) {
            e = FsError();
            return Outcome::not_found;
        }
        return Outcome::error;
    }

    Fd held = lock(id, true, e);
    if (!held) {
        return Outcome::error;
    }

    UploadState st;
    bool found;
    Outcome o = load(id, st, found, e);

    if (o == Outcome::ok && !found) {
        o = Outcome::not_found;
    } else if (o == Outcome::ok && !key.empty() && st.key != key) {
        o = Outcome::key_mismatch;
    } else if (o == Outcome::ok || o == Outcome::corrupt) {
        remove(id);
        o = Outcome::ok;
    }

    if (o == Outcome::not_found) {
        // nothing to cancel: do not leave the lock file behind either
        ::unlinkat(dir_.get(), (id + ".lock").c_str(), 0);
    }

    return o;
}

bool PartialStore::ids(std::set<std::string> &out, FsError &e)
{
    int dupfd = ::dup(dir_.get());
    DIR *d = dupfd == -1 ? nullptr : ::fdopendir(dupfd);
    if (d == nullptr) {
        e = fs_error("opendir", dir_path_);
        if (dupfd != -1) {
            ::close(dupfd);
        }
        return false;
    }

    // the duplicate shares the offset of the store's descriptor: an earlier
    // listing through it left that at the end
    ::rewinddir(d);

    while (struct dirent *de = ::readdir(d)) {
        std::string_view name(de->d_name);
        if (ends_with(name, ".state")) {
            out.emplace(name.substr(0, name.size() - 6));
        } else if (ends_with(name, ".data")) {
            out.emplace(name.substr(0, name.size() - 5));
        }
    }
    ::closedir(d);
    return true;
}

bool PartialStore::list(std::int64_t max_age, std::vector<PartialListing> &out, FsError &e)
{
    if (!open(false, e)) {
        if (e.err == ENOENT) {
            e = FsError();
            return true;
        }
        return false;
    }

    std::set<std::string> all;
    if (!ids(all, e)) {
        return false;
    }

    // the state file is replaced atomically: read without the lock
    for (const auto &id : all) {
        UploadState st;
        bool found;
        FsError ignored;

        // the record of a finished upload holds no bytes for resuming
        if (load(id, st, found, ignored) != Outcome::ok || !found || st.finished) {
            continue;
        }

        PartialListing p;
        p.path = st.path;
        p.offset = st.received.contiguous();
        p.received = st.received.total();
        p.length = st.length;
        p.updated = st.updated;
        p.expires = st.updated + max_age;
        p.protocol = st.protocol;
        out.push_back(std::move(p));
    }

    return true;
}

int PartialStore::sweep(std::int64_t now, std::int64_t max_age, FsError &e)
{
    if (!open(false, e)) {
        if (e.err == ENOENT) {
            e = FsError();
        }
        return 0;
    }

    // one sweeper at a time per store, whichever process it is in
    Fd guard = lock_file(dir_.get(), "sweep.lock", false);
    if (!guard) {
        return 0;
    }

    std::set<std::string> all;
    if (!ids(all, e)) {
        return 0;
    }

    int removed = 0;

    for (const auto &id : all) {
        FsError ignored;

        // a request working on it holds its activity lock: alive, whatever
        // the state's age says
        Fd idle = lock_file(dir_.get(), id + ".lock", false, F_WRLCK, LockRange::activity);
        if (!idle) {
            continue;
        }

        Fd held = lock(id, false, ignored);
        if (!held) {
            continue;   // busy: in use right now
        }

        UploadState st;
        bool found;
        bool stale;
        bool record = false;

        if (load(id, st, found, ignored) == Outcome::ok && found) {
            stale = st.updated + max_age < now;
            record = st.finished;
        } else {
            // no state (or a damaged one): judge by the data file's age
            struct stat sb;
            stale = ::fstatat(dir_.get(), (id + ".data").c_str(), &sb,
                              AT_SYMLINK_NOFOLLOW) != 0
                    || sb.st_mtime + max_age < now;
        }

        if (stale) {
            remove(id);
            // the record of a finished upload expires too, but no partial
            // did: it is not counted
            if (!record) {
                removed++;
            }
        }
    }

    return removed;
}

}  // namespace bigupload
