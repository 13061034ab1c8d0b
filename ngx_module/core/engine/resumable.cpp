#include "engine/resumable.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <vector>

#include "base/path.hpp"

namespace bigupload {

namespace {

StoredPreconditions store_preconditions(const Preconditions &p)
{
    StoredPreconditions s;
    s.if_none_match_any = p.if_none_match_any;
    s.if_match_any = p.if_match_any;
    s.if_match = p.if_match_etags;
    s.if_none_match = p.if_none_match_etags;
    return s;
}

Preconditions load_preconditions(const StoredPreconditions &s)
{
    Preconditions p;
    p.if_none_match_any = s.if_none_match_any;
    p.if_match_any = s.if_match_any;
    p.if_match_etags = s.if_match;
    p.if_none_match_etags = s.if_none_match;
    return p;
}

}  // namespace

Outcome ResumableUpload::resolve_target(FsError &e)
{
    std::string dir_path;

    target_dir_ = Fd(open_target_dir(target_.root, target_.segments, target_.opt, dir_path, e));
    if (!target_dir_) {
        return Outcome::error;
    }

    target_path_ = dir_path + "/" + target_.segments.back();

    return check_target(target_dir_.get(), target_.segments.back(), target_path_,
                        target_.opt, target_.pre, e);
}

Outcome ResumableUpload::open(std::int64_t now, FsError &e)
{
    if (!store_.open(bind_ != Bind::join, e)) {
        if (bind_ == Bind::join && e.err == ENOENT) {
            e = FsError();
            return Outcome::not_found;
        }
        return Outcome::error;
    }

    // a part of a concatenation goes nowhere by itself
    bool named = !target_.segments.empty() && !creation_.part;

    if (named) {
        Outcome o = resolve_target(e);
        if (o != Outcome::ok) {
            return o;
        }
    }

    Fd held = store_.lock(id_, true, e);
    if (!held) {
        return Outcome::error;
    }

    UploadState st;
    bool found;
    Outcome o = store_.load(id_, st, found, e);

    if (o != Outcome::ok) {
        return o;
    }

    if (found && st.key != key_) {
        state_ = st;
        return Outcome::key_mismatch;
    }

    if (found && bind_ == Bind::create) {
        return Outcome::exists;
    }

    if (!found && bind_ == Bind::join) {
        // nothing of it but the lock file this request made: not left behind
        store_.remove(id_);
        return Outcome::not_found;
    }

    if (found && bind_ == Bind::join) {
        // an upload resource of another dialect, or one the sweep is about
        // to remove, is not there for this request
        if ((!creation_.protocol.empty() && st.protocol != creation_.protocol)
            || (rq_.max_idle > 0 && st.updated + rq_.max_idle < now))
        {
            return Outcome::not_found;
        }
        if (st.finished) {
            state_ = st;
            return Outcome::finished;
        }
    }

    if (!found) {
        st = UploadState();
        st.key = key_;
        st.path = target_.remote_path;
        st.created = now;
        st.protocol = creation_.protocol;
        st.metadata = creation_.metadata;
        st.part = creation_.part;
        st.concat = creation_.concat;
        st.pre = store_preconditions(target_.pre);
    }

    if (!named) {
        target_.remote_path = st.path;
    }

    if (!named && !st.part) {
        // the upload resource is its id: where it goes, and on what
        // conditions, is in its state
        target_.pre = load_preconditions(st.pre);
        if (split_remote_path(st.path, target_.segments) != PathError::ok) {
            return Outcome::corrupt;
        }
        o = resolve_target(e);
        if (o != Outcome::ok) {
            return o;
        }
    }

    if (rq_.append && rq_.start != st.received.contiguous()) {
        state_ = st;
        return Outcome::offset_mismatch;
    }

    if (rq_.total) {
        if ((st.length && *st.length != *rq_.total) || st.received.end() > *rq_.total) {
            state_ = st;
            return Outcome::length_mismatch;
        }
        st.length = rq_.total;
    }

    if (st.length && (rq_.start > *st.length || (rq_.end && *rq_.end > *st.length))) {
        state_ = st;
        return Outcome::beyond_length;
    }

    st.updated = now;

    if (!store_.save(id_, st, e)) {
        return Outcome::error;
    }

    held.reset();
    state_ = st;

    data_ = store_.open_data(id_, e);
    if (!data_) {
        return Outcome::error;
    }

    written_ = 0;
    hashed_ = 0;
    recorded_ = 0;
    hashing_ = rq_.start == 0;
    hash_.reset();
    checks_.clear();
    for (const auto &c : rq_.checks) {
        checks_.emplace_back(c.alg);
    }
    opened_ = true;

    return Outcome::ok;
}

void ResumableUpload::hash(const void *data, std::size_t len)
{
    if (hashing_) {
        hash_.update(data, len);
    }

    for (auto &d : checks_) {
        d.update(data, len);
    }

    // published after the update: write_at() on another thread may then
    // count these bytes as hashed
    hashed_.fetch_add(len, std::memory_order_release);
}

Outcome ResumableUpload::write_at(const void *data, std::size_t len, std::uint64_t offset,
                                  std::int64_t now, FsError &e)
{
    if (offset != rq_.start + written_) {
        throw std::logic_error("resumable upload written out of order");
    }

    // a body longer than the upload's length invalidates nothing held
    if (state_.length && offset + len > *state_.length) {
        return Outcome::beyond_length;
    }

    if (!pwrite_all(data_.get(), data, len, offset)) {
        e = fs_error("pwrite", store_.path_of(id_, ".data"));
        return Outcome::error;
    }

    written_ += len;

    // a body whose digest is to be checked is recorded at its end, or never
    if (checks_.empty() && held() - recorded_ >= checkpoint) {
        return record(now, e);
    }

    return Outcome::ok;
}

std::uint64_t ResumableUpload::held() const
{
    if (!hashing()) {
        return written_;
    }

    return std::min(written_, hashed_.load(std::memory_order_acquire));
}

bool ResumableUpload::checks_match()
{
    // a body cut short has not the digest of the whole: it fails too
    if (hashed_.load(std::memory_order_acquire) != written_) {
        return false;
    }

    for (std::size_t i = 0; i < checks_.size(); i++) {
        if (checks_[i].final() != rq_.checks[i].expected) {
            return false;
        }
    }

    return true;
}

Outcome ResumableUpload::relock(Fd &held, UploadState &st, FsError &e)
{
    held = store_.lock(id_, true, e);
    if (!held) {
        return Outcome::error;
    }

    bool found;
    Outcome o = store_.load(id_, st, found, e);

    // a record of the finished upload is no partial to write to any more
    if (o == Outcome::ok && (!found || st.key != key_ || st.finished)) {
        o = Outcome::cancelled;
    }

    return o;
}

Outcome ResumableUpload::record(std::int64_t now, FsError &e)
{
    Fd held;
    UploadState st;
    Outcome o = relock(held, st, e);

    if (o == Outcome::ok) {
        std::uint64_t held_now = this->held();

        st.received.add(rq_.start, rq_.start + held_now);
        st.updated = now;
        if (!store_.save(id_, st, e)) {
            o = Outcome::error;
        } else {
            recorded_ = held_now;
            state_ = st;
        }
    }

    return o;
}

bool ResumableUpload::hash_file(FsError &e)
{
    std::vector<char> buf(1 << 20);
    Sha256 h;

    if (!read_range(data_.get(), 0, size_, buf, [&h](const char *p, std::size_t n) {
            h.update(p, n);
            return true;
        }))
    {
        e = fs_error("pread", store_.path_of(id_, ".data"));
        return false;
    }

    sha256_ = h.final_hex();
    return true;
}

Outcome ResumableUpload::finish(bool body_complete, bool durable, std::int64_t now,
                                FsError &e)
{
    finished_ = true;

    Fd held;
    UploadState st;
    Outcome o = relock(held, st, e);

    if (o == Outcome::cancelled && body_complete && recorded_ == written_ && state_.length) {
        // our bytes were recorded by a checkpoint, and a request that ended
        // at the same time completed the upload: the file is in place
        struct stat sb;
        if (::fstatat(target_dir_.get(), target_.segments.back().c_str(), &sb,
                      AT_SYMLINK_NOFOLLOW) == 0
            && static_cast<std::uint64_t>(sb.st_size) == *state_.length)
        {
            o = Outcome::completed_elsewhere;
        }
    }

    if (o != Outcome::ok) {
        return o;
    }

    if (!checks_.empty() && !checks_match()) {
        // nothing of this body is recorded: the bytes held stay as they were
        // (what it wrote beyond them is rewritten by whoever sends it again)
        state_ = st;
        return Outcome::digest_mismatch;
    }

    // bytes written but not hashed (the hash lagged behind a failed write)
    // are not claimed: whoever sends them again rewrites them
    std::uint64_t held_now = this->held();

    st.received.add(rq_.start, rq_.start + held_now);
    st.updated = now;
    recorded_ = held_now;

    // a failure after this point keeps the partial as recorded, for a retry;
    // the first error is the one reported
    FsError again;

    if (body_complete && rq_.completes) {
        std::uint64_t total = rq_.start + held_now;
        if ((st.length && *st.length != total) || st.received.end() > total) {
            state_ = st;
            store_.save(id_, st, again);
            return Outcome::length_mismatch;
        }
        st.length = total;
    }

    state_ = st;

    if (!st.complete()) {
        return store_.save(id_, st, e) ? Outcome::incomplete : Outcome::error;
    }

    if (st.part) {
        // a part of a concatenation stays where it is, complete
        size_ = *st.length;
        return store_.save(id_, st, e) ? Outcome::kept : Outcome::error;
    }

    // complete: hash, move into place, forget the partial

    size_ = *st.length;

    if (::ftruncate(data_.get(), static_cast<off_t>(size_)) == -1) {
        e = fs_error("ftruncate", store_.path_of(id_, ".data"));
        store_.save(id_, st, again);
        return Outcome::error;
    }

    if (hashing_ && held_now == size_ && written_ == size_ && hashed_ == size_) {
        sha256_ = hash_.final_hex();
    } else if (!hash_file(e)) {
        store_.save(id_, st, again);
        return Outcome::error;
    }

    remember_sha256(data_.get(), sha256_);

    if (durable && ::fsync(data_.get()) == -1) {
        e = fs_error("fsync", store_.path_of(id_, ".data"));
        store_.save(id_, st, again);
        return Outcome::error;
    }

    bool may_replace = target_.opt.overwrite && !target_.pre.if_none_match_any;
    Outcome c = move_into_place(store_.dir(), id_ + ".data", target_dir_.get(),
                                target_.segments.back(), target_path_, may_replace, e);

    if (c == Outcome::exists || c == Outcome::error) {
        // the partial stays, complete, for a retry once the target is gone
        store_.save(id_, st, again);
        return c;
    }

    data_.reset();

    if (creation_.record) {
        // what is left is the record of the finished upload (its data file
        // is the target now); a failure to save it loses only the record
        st.finished = true;
        state_ = st;
        if (!store_.save(id_, st, again)) {
            store_.remove(id_);
        }
    } else {
        store_.remove(id_);
    }

    if (durable && ::fsync(target_dir_.get()) == -1) {
        e = fs_error("fsync", target_path_);
        return Outcome::error;
    }

    return c;
}

Outcome query_partial(PartialStore &store, const std::string &id, const std::string &key,
                      const Target &target, PartialInfo &info, FsError &e)
{
    info = PartialInfo();

    // a finished file at the target, whatever the partial says
    if (!target.segments.empty()) {
        info.target = probe_target(target.root, target.segments, target.opt);
    }

    if (!store.open(false, e)) {
        if (e.err == ENOENT) {
            e = FsError();
            return Outcome::not_found;
        }
        return Outcome::error;
    }

    // the state file is replaced atomically: no lock needed to read it
    bool found;
    Outcome r = store.load(id, info.state, found, e);
    if (r != Outcome::ok) {
        return r;
    }

    if (!found) {
        return Outcome::not_found;
    }

    if (!key.empty() && info.state.key != key) {
        return Outcome::key_mismatch;
    }

    info.found = true;
    return Outcome::ok;
}

}  // namespace bigupload
