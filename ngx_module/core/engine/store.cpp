#include "engine/store.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bigupload {

FsError fs_error(const char *op, const std::string &path)
{
    FsError e;
    e.err = errno != 0 ? errno : EIO;
    e.op = op;
    e.path = path;
    return e;
}

namespace {

std::string join(const std::string &dir, const std::string &name)
{
    if (!dir.empty() && dir.back() == '/') {
        return dir + name;
    }
    return dir + "/" + name;
}

std::string random_hex(std::size_t bytes)
{
    unsigned char buf[16];
    static const char hexdigits[] = "0123456789abcdef";

    if (bytes > sizeof(buf)) {
        bytes = sizeof(buf);
    }

    std::size_t got = 0;
    while (got < bytes) {
        ssize_t n = getrandom(buf + got, bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            // no entropy source: fall back on something unique enough, the
            // O_EXCL create below still guarantees uniqueness
            std::snprintf(reinterpret_cast<char *>(buf), sizeof(buf), "%08lx",
                          static_cast<unsigned long>(getpid()));
            got = bytes;
            break;
        }
        got += static_cast<std::size_t>(n);
    }

    std::string s;
    for (std::size_t i = 0; i < bytes; i++) {
        s.push_back(hexdigits[buf[i] >> 4]);
        s.push_back(hexdigits[buf[i] & 0x0f]);
    }
    return s;
}

bool etag_matches(const std::vector<std::string> &tags, const std::string &etag)
{
    for (const auto &t : tags) {
        // weak comparison is not allowed for If-Match (RFC 9110 13.1.1)
        if (t == etag) {
            return true;
        }
    }
    return false;
}

// RFC 9110 8.8.3: etagc = %x21 / %x23-7E / obs-text
bool etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

std::string_view trim_ows(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
    }
    return v;
}

// One entity-tag: [W/] DQUOTE *etagc DQUOTE, and nothing else.
bool entity_tag(std::string_view t)
{
    if (t.substr(0, 2) == "W/") {
        t.remove_prefix(2);
    }
    if (t.size() < 2 || t.front() != '"' || t.back() != '"') {
        return false;
    }
    for (char c : t.substr(1, t.size() - 2)) {
        if (!etagc(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

// One field: "*" alone, or entity-tags in the order given.  Nothing is
// guessed at: whatever is not exactly that is refused, with the reason in
// "why".
bool parse_etag_list(bool im, std::string_view value, bool &any, std::vector<std::string> &tags,
                     PreconditionRefusal &why)
{
    auto refuse = [&](const char *if_match, const char *if_none_match) {
        why.header = im ? "If-Match" : "If-None-Match";
        why.value = value;
        why.detail = im ? if_match : if_none_match;
        return false;
    };

    std::string_view v = trim_ows(value);
    if (v.empty()) {
        return refuse("If-Match is empty", "If-None-Match is empty");
    }
    if (v == "*") {
        any = true;
        return true;
    }

    while (!v.empty()) {
        // an element ends at the first comma outside quotes
        std::size_t end = 0;
        bool quoted = false;
        while (end < v.size() && (quoted || v[end] != ',')) {
            quoted = quoted != (v[end] == '"');
            end++;
        }
        std::string_view tag = trim_ows(v.substr(0, end));
        if (tag == "*") {
            return refuse("If-Match is \"*\" alone or entity-tags, not both",
                          "If-None-Match is \"*\" alone or entity-tags, not both");
        }
        if (!tag.empty()) {
            if (!entity_tag(tag)) {
                return refuse("If-Match is not a list of entity-tags (\"tag\", W/\"tag\")",
                              "If-None-Match is not a list of entity-tags (\"tag\", "
                              "W/\"tag\")");
            }
            tags.emplace_back(tag);
        }
        v = v.substr(end == v.size() ? end : end + 1);
    }

    if (tags.empty()) {
        return refuse("If-Match has no entity-tag", "If-None-Match has no entity-tag");
    }
    return true;
}

std::optional<std::string_view> present(std::string_view v)
{
    return v.empty() ? std::nullopt : std::optional<std::string_view>(v);
}

}  // namespace

bool parse_preconditions(std::optional<std::string_view> if_match,
                         std::optional<std::string_view> if_none_match, Preconditions &pre,
                         PreconditionRefusal &why)
{
    pre = Preconditions();
    why = PreconditionRefusal();

    return (!if_match
            || parse_etag_list(true, *if_match, pre.if_match_any, pre.if_match_etags, why))
           && (!if_none_match
               || parse_etag_list(false, *if_none_match, pre.if_none_match_any,
                                  pre.if_none_match_etags, why));
}

bool parse_preconditions(std::string_view if_match, std::string_view if_none_match,
                         Preconditions &pre)
{
    PreconditionRefusal why;
    return parse_preconditions(present(if_match), present(if_none_match), pre, why);
}

std::string etag_for(std::int64_t mtime, std::int64_t size)
{
    char buf[64];
    std::snprintf(buf, sizeof(buf), "\"%llx-%llx\"",
                  static_cast<unsigned long long>(mtime),
                  static_cast<unsigned long long>(size));
    return buf;
}

mode_t dir_mode_for(mode_t file_mode)
{
    return file_mode | ((file_mode & 0444) >> 2);
}

TargetFile::~TargetFile()
{
    abort();
}

void TargetFile::close_all()
{
    fd_.reset();
    dir_fd_.reset();
}

void TargetFile::abort()
{
    if (!tmp_name_.empty() && dir_fd_) {
        ::unlinkat(dir_fd_.get(), tmp_name_.c_str(), 0);
    }
    tmp_name_.clear();
    close_all();
}

int open_store_root(const std::string &root, const StoreOptions &opt, FsError &e)
{
    // only absolute roots: a relative one would depend on the process's cwd
    if (root.empty() || root[0] != '/') {
        errno = EINVAL;
        e = fs_error("open", root);
        return -1;
    }

    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd != -1 || errno != ENOENT || !opt.create_dirs) {
        if (fd == -1) {
            e = fs_error("open", root);
        }
        return fd;
    }

    // the root itself may be missing (e.g. /srv/uploads/$remote_user):
    // create it like "mkdir -p"; the operator's root may contain symlinks
    for (std::size_t pos = 1; pos <= root.size(); pos++) {
        if (pos == root.size() || root[pos] == '/') {
            std::string prefix = root.substr(0, pos);
            if (::mkdir(prefix.c_str(), opt.dir_mode) == -1 && errno != EEXIST) {
                e = fs_error("mkdir", prefix);
                return -1;
            }
        }
    }

    fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        e = fs_error("open", root);
    }
    return fd;
}

int open_subdir(int dfd, const std::string &name, const std::string &path,
                bool create, mode_t mode, FsError &e)
{
    int next = ::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (next == -1 && errno == ENOENT && create) {
        if (::mkdirat(dfd, name.c_str(), mode) == -1 && errno != EEXIST) {
            e = fs_error("mkdirat", path);
            return -1;
        }
        next = ::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }

    if (next == -1) {
        if (errno == ENOTDIR) {
            // a symlink or a file where a directory should be
            struct stat st;
            if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0
                && S_ISLNK(st.st_mode))
            {
                errno = ELOOP;
            }
        }
        e = fs_error("openat", path);
    }

    return next;
}

int open_target_dir(const std::string &root, const std::vector<std::string> &segments,
                    const StoreOptions &opt, std::string &dir_path, FsError &e)
{
    if (segments.empty()) {
        errno = EISDIR;
        e = fs_error("open", root);
        return -1;
    }

    Fd dfd(open_store_root(root, opt, e));
    if (!dfd) {
        return -1;
    }

    dir_path = root;

    // every directory below the root is opened relative to its parent with
    // O_NOFOLLOW: a symlink planted in the store cannot lead out of it
    for (std::size_t i = 0; i + 1 < segments.size(); i++) {
        dir_path = join(dir_path, segments[i]);

        dfd = Fd(open_subdir(dfd.get(), segments[i], dir_path, opt.create_dirs,
                             opt.dir_mode, e));
        if (!dfd) {
            return -1;
        }
    }

    return dfd.release();
}

Outcome check_target(int dir_fd, const std::string &name, const std::string &path,
                         const StoreOptions &opt, const Preconditions &pre, FsError &e)
{
    struct stat st;
    bool exists = ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;

    if (!exists && errno != ENOENT) {
        e = fs_error("fstatat", path);
        return Outcome::error;
    }

    if (exists && S_ISDIR(st.st_mode)) {
        return Outcome::is_directory;
    }

    if (exists) {
        if (pre.if_none_match_any) {
            return Outcome::precondition_failed;
        }
        std::string etag = etag_for(st.st_mtime, st.st_size);
        if ((!pre.if_match_etags.empty() && !etag_matches(pre.if_match_etags, etag))
            || etag_matches(pre.if_none_match_etags, "W/" + etag)
            || etag_matches(pre.if_none_match_etags, etag))
        {
            return Outcome::precondition_failed;
        }
        if (!opt.overwrite) {
            return Outcome::exists;
        }

    } else if (pre.if_match_any || !pre.if_match_etags.empty()) {
        return Outcome::precondition_failed;
    }

    return Outcome::ok;
}

Outcome move_into_place(int from_dir, const std::string &from, int to_dir,
                              const std::string &to, const std::string &to_path,
                              bool may_replace, FsError &e)
{
    Outcome outcome = Outcome::created;

    // never clobber: rename without replace, or link + unlink where the
    // filesystem has no RENAME_NOREPLACE
    int rc = ::renameat2(from_dir, from.c_str(), to_dir, to.c_str(), RENAME_NOREPLACE);

    if (rc == -1 && (errno == EINVAL || errno == ENOSYS)) {
        rc = ::linkat(from_dir, from.c_str(), to_dir, to.c_str(), 0);
        if (rc == 0) {
            ::unlinkat(from_dir, from.c_str(), 0);
        }
    }

    if (rc == -1 && errno == EEXIST) {
        if (!may_replace) {
            return Outcome::exists;
        }

        rc = ::renameat(from_dir, from.c_str(), to_dir, to.c_str());
        outcome = Outcome::replaced;
    }

    if (rc == -1) {
        e = fs_error("renameat", to_path);
        return Outcome::error;
    }

    return outcome;
}

Outcome TargetFile::open(const std::string &root,
                             const std::vector<std::string> &segments,
                             const StoreOptions &opt, const Preconditions &pre,
                             FsError &e)
{
    abort();

    std::string path;
    dir_fd_ = Fd(open_target_dir(root, segments, opt, path, e));
    if (!dir_fd_) {
        return Outcome::error;
    }

    dir_path_ = path;
    name_ = segments.back();
    target_path_ = join(path, name_);

    Outcome o = check_target(dir_fd_.get(), name_, target_path_, opt, pre, e);
    if (o != Outcome::ok) {
        close_all();
        return o;
    }

    for (int attempt = 0; attempt < 8; attempt++) {
        std::string tmp = std::string(".bigupload-") + random_hex(8);

        fd_ = Fd(::openat(dir_fd_.get(), tmp.c_str(),
                          O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          opt.file_mode));
        if (fd_) {
            tmp_name_ = tmp;
            tmp_path_ = join(dir_path_, tmp);
            break;
        }
        if (errno != EEXIST) {
            e = fs_error("openat", join(dir_path_, tmp));
            close_all();
            return Outcome::error;
        }
    }

    if (!fd_) {
        e = fs_error("openat", join(dir_path_, ".bigupload-*"));
        close_all();
        return Outcome::error;
    }

    // the umask must not narrow what the operator configured
    if (::fchmod(fd_.get(), opt.file_mode) == -1) {
        e = fs_error("fchmod", tmp_path_);
        abort();
        return Outcome::error;
    }

    return Outcome::ok;
}

namespace {

// Calls "put(n, offset)" (a pwrite or a splice of up to n bytes at "offset",
// returning what it wrote) until all "len" bytes are written, over short
// writes and EINTR; false with errno set otherwise (EIO for a write of 0).
template <class Put>
bool put_all(std::size_t len, std::uint64_t offset, Put put)
{
    while (len > 0) {
        ssize_t n = put(len, offset);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return false;
        }

        len -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }

    return true;
}

}  // namespace

bool pwrite_all(int fd, const void *data, std::size_t len, std::uint64_t offset)
{
    const char *p = static_cast<const char *>(data);

    return put_all(len, offset, [fd, &p](std::size_t n, std::uint64_t off) {
        ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
        if (w > 0) {
            p += w;
        }
        return w;
    });
}

bool splice_all(int pipe, int fd, std::size_t len, std::uint64_t offset)
{
    return put_all(len, offset, [pipe, fd](std::size_t n, std::uint64_t off) {
        loff_t o = static_cast<loff_t>(off);
        return ::splice(pipe, nullptr, fd, &o, n, SPLICE_F_MOVE);
    });
}

bool map_range(int fd, std::uint64_t offset, std::uint64_t len,
               const std::function<void(const char *, std::size_t)> &sink)
{
    constexpr std::uint64_t piece = 4u << 20;
    static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));

    while (len > 0) {
        std::uint64_t from = offset & ~(page - 1);      // mappings start on a page
        std::uint64_t n = std::min(len, piece);
        std::size_t size = static_cast<std::size_t>(offset - from + n);

        void *m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(from));
        if (m == MAP_FAILED) {
            return false;
        }

        sink(static_cast<const char *>(m) + (offset - from), static_cast<std::size_t>(n));
        ::munmap(m, size);

        offset += n;
        len -= n;
    }

    return true;
}

bool read_range(int fd, std::uint64_t offset, std::uint64_t len, std::vector<char> &buf,
                const std::function<bool(const char *, std::size_t)> &sink)
{
    while (len > 0) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), len));
        ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return false;
        }

        if (!sink(buf.data(), static_cast<std::size_t>(n))) {
            return false;
        }

        offset += static_cast<std::uint64_t>(n);
        len -= static_cast<std::uint64_t>(n);
    }

    return true;
}

bool TargetFile::write_at(const void *data, std::size_t len, std::uint64_t offset,
                          FsError &e)
{
    if (!pwrite_all(fd_.get(), data, len, offset)) {
        e = fs_error("pwrite", tmp_path_);
        return false;
    }

    return true;
}

Outcome TargetFile::commit(bool may_replace, bool durable, FsError &e)
{
    if (durable && ::fsync(fd_.get()) == -1) {
        e = fs_error("fsync", tmp_path_);
        return Outcome::error;
    }

    if (!fd_.close()) {
        e = fs_error("close", tmp_path_);
        return Outcome::error;
    }

    Outcome outcome = move_into_place(dir_fd_.get(), tmp_name_, dir_fd_.get(), name_,
                                      target_path_, may_replace, e);
    if (outcome == Outcome::exists || outcome == Outcome::error) {
        return outcome;
    }

    if (durable && ::fsync(dir_fd_.get()) == -1) {
        // the rename may not survive a power loss: the upload did not
        // happen.  A new file goes again, so that the answer (an error) and
        // the store agree and a retry can succeed; a replaced one is gone
        // already, and a retry replaces it again.
        e = fs_error("fsync", dir_path_);
        if (outcome == Outcome::created) {
            ::unlinkat(dir_fd_.get(), name_.c_str(), 0);
        }
        tmp_name_.clear();
        close_all();
        return Outcome::error;
    }

    tmp_name_.clear();
    close_all();
    return outcome;
}

namespace {

const char sha256_xattr[] = "user.bigupload.sha256";
const char digest_xattr[] = "user.bigupload.digest";

std::string stat_stamp(const struct stat &st)
{
    return std::to_string(static_cast<long long>(st.st_size)) + " "
           + std::to_string(static_cast<long long>(st.st_mtim.tv_sec)) + "."
           + std::to_string(static_cast<long>(st.st_mtim.tv_nsec));
}

// The value of attribute "name" whose stamp is the file's, without it.
std::string stamped(int fd, const char *name)
{
    char buf[256];
    struct stat st;

    ssize_t n = ::fgetxattr(fd, name, buf, sizeof(buf));
    if (n <= 0 || ::fstat(fd, &st) == -1) {
        return std::string();
    }

    std::string value(buf, static_cast<std::size_t>(n));
    std::string stamp = " " + stat_stamp(st);
    if (value.size() <= stamp.size()
        || value.compare(value.size() - stamp.size(), stamp.size(), stamp) != 0)
    {
        return std::string();
    }
    return value.substr(0, value.size() - stamp.size());
}

bool lower_hex(std::string_view v, std::size_t len)
{
    if (v.size() != len) {
        return false;
    }
    for (char c : v) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

}  // namespace

void remember_digest(int fd, const FileDigest &d)
{
    struct stat st;
    if (fd == -1 || !d.known() || d.raw.size() != digest_size(*d.alg)
        || ::fstat(fd, &st) == -1)
    {
        return;
    }

    std::string stamp = stat_stamp(st);

    if (*d.alg == DigestAlg::sha256) {
        std::string value = d.hex() + " " + stamp;
        (void) ::fsetxattr(fd, sha256_xattr, value.data(), value.size(), 0);
        (void) ::fremovexattr(fd, digest_xattr);
        return;
    }

    std::string value = std::string(digest_name(*d.alg)) + " " + d.hex() + " " + stamp;
    (void) ::fsetxattr(fd, digest_xattr, value.data(), value.size(), 0);
    (void) ::fremovexattr(fd, sha256_xattr);
}

FileDigest remembered_digest(int fd)
{
    FileDigest d;

    std::string v = stamped(fd, digest_xattr);
    std::size_t sp = v.find(' ');
    if (sp != std::string::npos) {
        auto alg = digest_from_name(v.substr(0, sp));
        std::string_view hex = std::string_view(v).substr(sp + 1);
        if (alg && lower_hex(hex, 2 * digest_size(*alg))) {
            d.alg = alg;
            d.raw = *from_hex(hex);
            return d;
        }
    }

    v = stamped(fd, sha256_xattr);
    if (lower_hex(v, 64)) {
        d.alg = DigestAlg::sha256;
        d.raw = *from_hex(v);
    }
    return d;
}

void remember_sha256(int fd, const std::string &hex)
{
    auto raw = from_hex(hex);
    if (hex.size() == 64 && raw && lower_hex(hex, 64)) {
        remember_digest(fd, FileDigest{DigestAlg::sha256, *raw});
    }
}

std::string remembered_sha256(int fd)
{
    FileDigest d = remembered_digest(fd);
    return d.alg == DigestAlg::sha256 ? d.hex() : std::string();
}

TargetInfo probe_target(const std::string &root, const std::vector<std::string> &segments,
                        const StoreOptions &opt)
{
    TargetInfo info;
    StoreOptions o = opt;
    o.create_dirs = false;
    std::string dir_path;
    FsError ignored;

    Fd dfd(open_target_dir(root, segments, o, dir_path, ignored));
    if (!dfd) {
        return info;
    }

    struct stat st;
    Fd fd(::openat(dfd.get(), segments.back().c_str(),
                   O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
        info.exists = true;
        info.size = static_cast<std::uint64_t>(st.st_size);
        info.digest = remembered_digest(fd.get());
    }

    return info;
}

bool remove_if_same(const std::string &path, const FileDigest &d)
{
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        return false;
    }

    bool xattrs = ::fgetxattr(fd.get(), sha256_xattr, nullptr, 0) >= 0 || errno != ENOTSUP;
    bool same = !xattrs || remembered_digest(fd.get()) == d;
    fd.reset();

    return same && ::unlink(path.c_str()) == 0;
}

bool remove_if_same(const std::string &path, const std::string &sha256_hex)
{
    auto raw = from_hex(sha256_hex);
    return remove_if_same(path, FileDigest{DigestAlg::sha256, raw ? *raw : std::string()});
}

}  // namespace bigupload
