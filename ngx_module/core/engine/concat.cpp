#include "engine/concat.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <vector>

namespace bigupload {

namespace {

// What one pass of the hash reads: the parts are in the page cache (or on
// disk) either way, 1 MiB keeps the syscalls few and the memory small.
constexpr std::size_t hash_chunk = 1u << 20;

// copy_file_range moves at most about 2 GiB per call; larger steps buy
// nothing and smaller ones let a failure show sooner.
constexpr std::uint64_t copy_step = 1ull << 30;

}  // namespace

bool copy_range(int in, std::uint64_t in_off, int out, std::uint64_t out_off,
                std::uint64_t len, ConcatStats &stats)
{
    while (len > 0) {
        loff_t ioff = static_cast<loff_t>(in_off);
        loff_t ooff = static_cast<loff_t>(out_off);
        ssize_t n = ::copy_file_range(in, &ioff, out, &ooff,
                                      static_cast<std::size_t>(std::min(len, copy_step)), 0);
        if (n > 0) {
            in_off += static_cast<std::uint64_t>(n);
            out_off += static_cast<std::uint64_t>(n);
            len -= static_cast<std::uint64_t>(n);
            stats.copied_by_kernel += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n == -1 && errno != EXDEV && errno != EINVAL && errno != ENOSYS
            && errno != EOPNOTSUPP && errno != ETXTBSY && errno != EPERM)
        {
            return false;
        }
        // not for these files (or a source shorter than said): by hand
        break;
    }

    std::vector<char> buf(len ? hash_chunk : 0);

    return read_range(in, in_off, len, buf, [&](const char *p, std::size_t n) {
        if (!pwrite_all(out, p, n, out_off)) {
            return false;
        }
        out_off += n;
        stats.copied_by_user += n;
        return true;
    });
}

Outcome ConcatUpload::check_part(const std::string &part, std::int64_t now, UploadState &st,
                                 FsError &e)
{
    bool found;
    Outcome o = store_.load(part, st, found, e);

    if (o != Outcome::ok) {
        return o;
    }

    if (!found || !st.key.empty() || !st.part || st.finished
        || (!creation_.protocol.empty() && st.protocol != creation_.protocol)
        || (max_idle_ > 0 && st.updated + max_idle_ < now))
    {
        return Outcome::not_found;
    }

    return st.complete() ? Outcome::ok : Outcome::incomplete;
}

Outcome ConcatUpload::open(std::int64_t now, FsError &e)
{
    if (!store_.open(true, e)) {
        return Outcome::error;
    }

    total_ = 0;
    lengths_.clear();

    for (std::size_t i = 0; i < parts_.size(); i++) {
        UploadState st;
        Outcome o = check_part(parts_[i], now, st, e);

        if (o != Outcome::ok) {
            bad_part_ = i;
            return o;
        }

        lengths_.push_back(*st.length);
        total_ += *st.length;

        if ((max_size_ && total_ > max_size_) || total_ < *st.length) {
            bad_part_ = i;
            return Outcome::beyond_length;
        }
    }

    return file_.open(target_.root, target_.segments, target_.opt, target_.pre, e);
}

Outcome ConcatUpload::append_part(std::size_t i, std::uint64_t at, std::int64_t now,
                                  FsError &e)
{
    const std::string &part = parts_[i];

    // held while its bytes are read: no DELETE or sweep removes it meanwhile
    Fd held = store_.lock(part, true, e);
    if (!held) {
        return Outcome::error;
    }

    UploadState st;
    Outcome o = check_part(part, now, st, e);
    if (o != Outcome::ok || *st.length != lengths_[i]) {
        return o == Outcome::error || o == Outcome::corrupt ? o : Outcome::cancelled;
    }

    std::string name = part + ".data";
    Fd data(::openat(store_.dir(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!data) {
        e = fs_error("openat", store_.path_of(part, ".data"));
        return Outcome::error;
    }

    if (!copy_range(data.get(), 0, file_.fd(), at, lengths_[i], stats_)) {
        e = fs_error("copy_file_range", file_.temp_path());
        return Outcome::error;
    }

    if (!digest_part(i, st, data.get())) {
        e = fs_error("pread", store_.path_of(part, ".data"));
        return Outcome::error;
    }

    return Outcome::ok;
}

bool ConcatUpload::digest_part(std::size_t i, const UploadState &st, int fd)
{
    if (!target_.digest) {
        return true;
    }

    DigestAlg alg = *target_.digest;
    std::uint64_t len = lengths_[i];
    bool usable = st.digest && st.digest->alg == digest_name(alg);

    if (digest_is_crc(alg)) {
        // the part's CRC, when its ranges combined to one over all of it
        if (usable && st.digest->ranges.size() == 1 && st.digest->ranges[0].start == 0
            && st.digest->ranges[0].end == len)
        {
            crc_ = crc_combine(alg, crc_, st.digest->ranges[0].crc, len);
            return true;
        }
        if (len == 0) {
            return true;
        }
        Digest d(alg);
        std::vector<char> buf(hash_chunk);
        if (!read_range(fd, 0, len, buf, [&](const char *p, std::size_t n) {
                d.update(p, n);
                stats_.hashed += n;
                return true;
            }))
        {
            return false;
        }
        crc_ = crc_combine(alg, crc_, d.crc(), len);
        return true;
    }

    // a hash: the first part's saved state is the file's from its start
    std::uint64_t from = 0;
    if (!digest_) {
        digest_.emplace(alg);
        if (i == 0 && usable && st.digest->hashed <= len) {
            Digest d(alg);
            if (d.restore(st.digest->saved) && d.consumed() == st.digest->hashed) {
                digest_ = d;
                from = st.digest->hashed;
            }
        }
    }

    std::vector<char> buf(len > from ? hash_chunk : 0);
    return read_range(fd, from, len - from, buf, [this](const char *p, std::size_t n) {
        digest_->update(p, n);
        stats_.hashed += n;
        return true;
    });
}

Outcome ConcatUpload::finish(bool body_complete, bool durable, std::int64_t now, FsError &e)
{
    if (!body_complete) {
        return abort(false, durable, now, e);
    }

    stats_ = ConcatStats();
    digest_.reset();
    crc_ = 0;
    result_ = FileDigest();

    std::uint64_t at = 0;
    for (std::size_t i = 0; i < parts_.size(); i++) {
        Outcome o = append_part(i, at, now, e);
        if (o != Outcome::ok) {
            bad_part_ = i;
            return o;
        }
        at += lengths_[i];
    }

    if (target_.digest) {
        DigestAlg alg = *target_.digest;
        result_.alg = alg;
        result_.raw = digest_is_crc(alg) ? crc_bytes(alg, crc_)
                                         : (digest_ ? digest_->final() : Digest(alg).final());
    }
    file_.remember(result_);

    bool may_replace = target_.opt.overwrite && !target_.pre.if_none_match_any;
    Outcome o = file_.commit(may_replace, durable, e);

    if (o == Outcome::exists) {
        return Outcome::appeared;
    }
    if (o != Outcome::created && o != Outcome::replaced) {
        return o;
    }

    // the file is in place: the parts are spent (each once, however often
    // it was named), the upload is recorded
    FsError again;
    std::set<std::string> spent;
    for (const auto &part : parts_) {
        if (!spent.insert(part).second) {
            continue;
        }
        Fd held = store_.lock(part, true, again);
        if (!held) {
            continue;
        }
        // still a part of ours, or gone meanwhile (then only the lock file
        // just made is there)
        UploadState st;
        bool found = false;
        if (store_.load(part, st, found, again) == Outcome::ok
            && (!found || (st.part && st.key.empty() && st.protocol == creation_.protocol)))
        {
            store_.remove(part);
        }
    }

    state_ = UploadState();
    state_.path = target_.remote_path;
    state_.length = total_;
    if (total_ > 0) {
        state_.received.add(0, total_);
    }
    state_.created = now;
    state_.updated = now;
    state_.protocol = creation_.protocol;
    state_.metadata = creation_.metadata;
    state_.concat = creation_.concat;
    state_.finished = true;

    if (creation_.record) {
        Fd held = store_.lock(id_, true, again);
        if (!held || !store_.save(id_, state_, again)) {
            store_.remove(id_);
        }
    }

    return o;
}

Outcome ConcatUpload::abort(bool, bool, std::int64_t, FsError &)
{
    file_.abort();
    return Outcome::ok;
}

}  // namespace bigupload
