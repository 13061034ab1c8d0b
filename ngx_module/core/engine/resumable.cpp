#include "engine/resumable.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "base/crc.hpp"
#include "base/path.hpp"

namespace bigupload {

namespace {

// how many times a data file shorter than its state is opened again before
// the read-back fails: about 2 s in all (pause_before_retry), longer than
// GlusterFS's attribute caches keep a size (1 s by default)
constexpr int short_file_retries = 36;

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
        for (DigestAlg a : creation_.repr_want) {
            st.repr_want.push_back(digest_name(a));
        }
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

    // the file's digests the client declares: one value per algorithm
    for (const auto &x : rq_.expect) {
        std::string name = digest_name(x.alg);
        bool known = false;
        for (const auto &have : st.expect) {
            if (have.first == name) {
                known = true;
                if (have.second != x.expected) {
                    state_ = st;
                    return Outcome::file_digest_mismatch;
                }
            }
        }
        if (!known) {
            st.expect.emplace_back(name, x.expected);
        }
    }

    if (rq_.end && too_many(st.received, rq_.start, *rq_.end)) {
        state_ = st;
        return Outcome::too_many_ranges;
    }

    st.updated = now;

    if (!store_.save(id_, st, e)) {
        return Outcome::error;
    }

    // no sweep expires the partial while this request works on it (just
    // updated, it is not stale until then)
    active_ = store_.hold(id_, e);
    if (!active_) {
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
    start_digest(st);
    checks_.clear();
    for (const auto &c : rq_.checks) {
        checks_.emplace_back(c.alg);
    }
    opened_ = true;

    return Outcome::ok;
}

void ResumableUpload::hash(const void *data, std::size_t len)
{
    if (digest_) {
        digest_->update(data, len);

        std::lock_guard<std::mutex> lock(snap_mutex_);
        snaps_.emplace_back(hashed_.load(std::memory_order_relaxed) + len, digest_->save());
        // a checkpoint claims what both lanes are done with: never more
        // than a ring's worth behind the hash
        while (snaps_.size() > 64) {
            snaps_.pop_front();
        }
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
    return put_at(len, offset, now, e, [&](const char *&op) {
        op = "pwrite";
        return pwrite_all(data_.get(), data, len, offset);
    });
}

Outcome ResumableUpload::splice(int pipe, std::size_t len, std::int64_t now, FsError &e)
{
    std::uint64_t offset = rq_.start + written_;

    return put_at(len, offset, now, e, [&](const char *&op) {
        op = "splice";
        return splice_all(pipe, data_.get(), len, offset);
    });
}

bool ResumableUpload::hash_spliced(std::size_t len, FsError &e)
{
    std::uint64_t offset = rq_.start + hashed_.load(std::memory_order_relaxed);

    if (!map_range(data_.get(), offset, len, [this](const char *p, std::size_t n) { hash(p, n); })) {
        e = fs_error("mmap", store_.path_of(id_, ".data"));
        return false;
    }
    return true;
}

Outcome ResumableUpload::put_at(std::size_t len, std::uint64_t offset, std::int64_t now,
                                FsError &e, const std::function<bool(const char *&op)> &put)
{
    if (offset != rq_.start + written_) {
        throw std::logic_error("resumable upload written out of order");
    }

    // a body longer than the upload's length invalidates nothing held
    if (state_.length && offset + len > *state_.length) {
        return Outcome::beyond_length;
    }

    const char *op = "pwrite";
    if (!put(op)) {
        e = fs_error(op, store_.path_of(id_, ".data"));
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

    if (o == Outcome::ok && too_many(st.received, rq_.start, rq_.start + this->held())) {
        o = Outcome::too_many_ranges;
    }

    if (o == Outcome::ok) {
        std::uint64_t held_now = this->held();

        note_digest(st, held_now);
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

void ResumableUpload::start_digest(const UploadState &st)
{
    digest_.reset();
    fell_back_ = false;
    {
        std::lock_guard<std::mutex> lock(snap_mutex_);
        snaps_.clear();
    }

    if (!target_.digest) {
        return;
    }

    DigestAlg alg = *target_.digest;

    recorded_crc_ = 0;      // the CRC of no byte

    if (digest_is_crc(alg) || rq_.start == 0) {
        // a CRC of this request's own bytes; a hash of the file from its start
        digest_.emplace(alg);

    } else if (st.digest && st.digest->alg == digest_name(alg) && st.digest->ranges.empty()
               && st.digest->hashed == rq_.start)
    {
        // this request continues the prefix the saved state covers
        Digest d(alg);
        if (d.restore(st.digest->saved) && d.consumed() == rq_.start) {
            digest_ = d;
        }
    }

    if (digest_) {
        snaps_.emplace_back(0, digest_->save());
    }
}

bool ResumableUpload::snapshot_at(std::uint64_t n, std::string &saved)
{
    std::lock_guard<std::mutex> lock(snap_mutex_);

    for (const auto &s : snaps_) {
        if (s.first == n) {
            saved = s.second;
            return true;
        }
    }
    return false;
}

namespace {

// Puts the CRC of [start, end) among "ranges": those it overlaps go (their
// bytes were written again), neighbours it touches are combined with it.
void insert_crc(DigestAlg alg, std::vector<CrcRange> &ranges, CrcRange r)
{
    std::vector<CrcRange> out;

    for (const auto &c : ranges) {
        if (c.end <= r.start || c.start >= r.end) {
            out.push_back(c);
        }
    }

    out.push_back(r);
    std::sort(out.begin(), out.end(),
              [](const CrcRange &a, const CrcRange &b) { return a.start < b.start; });

    std::vector<CrcRange> merged;
    for (const auto &c : out) {
        if (!merged.empty() && merged.back().end == c.start) {
            merged.back().crc = crc_combine(alg, merged.back().crc, c.crc, c.end - c.start);
            merged.back().end = c.end;
        } else {
            merged.push_back(c);
        }
    }
    ranges = std::move(merged);
}

}  // namespace

void ResumableUpload::note_digest(UploadState &st, std::uint64_t held_now)
{
    if (held_now == 0 || !target_.digest) {
        return;
    }

    DigestAlg alg = *target_.digest;
    bool crc = digest_is_crc(alg);
    // what this record adds: the bytes before "from" an earlier record of
    // this request claimed, with their digest
    std::uint64_t from = rq_.start + std::min(recorded_, held_now);
    std::uint64_t end = rq_.start + held_now;
    std::string saved;

    if (st.digest && st.digest->alg != digest_name(alg)) {
        // saved with another bigupload_digest: of no use
        st.digest.reset();
    }

    if (!digest_ || !snapshot_at(held_now, saved) || (crc && !recorded_crc_)) {
        // bytes written again where a digest covered them: it no longer does
        if (st.digest) {
            if (crc) {
                auto &rs = st.digest->ranges;
                rs.erase(std::remove_if(rs.begin(), rs.end(),
                                        [&](const CrcRange &c) {
                                            return c.start < end && c.end > from;
                                        }),
                         rs.end());
            } else if (from < st.digest->hashed) {
                st.digest.reset();
            }
        }
        recorded_crc_.reset();
        return;
    }

    if (crc) {
        Digest d(alg);
        if (!d.restore(saved)) {
            recorded_crc_.reset();
            return;
        }
        if (!st.digest) {
            st.digest = PrefixDigest{digest_name(alg), 0, std::string(), {}};
        }
        // only the bytes since the last record: the earlier ones are in a
        // range that may have joined its neighbours since, which a range of
        // all this request's bytes would overlap, and so drop.  With
        // crc(A|B) = crc(A) * x^(8 len B) + crc(B): crc(B) = crc(A|B) +
        // combine(crc(A), 0, len B).
        if (end > from) {
            std::uint64_t added = d.crc() ^ crc_combine(alg, *recorded_crc_, 0, end - from);
            insert_crc(alg, st.digest->ranges, CrcRange{from, end, added});
        }
        recorded_crc_ = d.crc();
        return;
    }

    // a hash of the prefix [0, end)
    if (!st.digest || st.digest->hashed < end) {
        st.digest = PrefixDigest{digest_name(alg), end, saved, {}};
    }
}

bool ResumableUpload::read_into(Digest &d, std::uint64_t from, std::uint64_t to, FsError &e)
{
    read_back_ += to > from ? to - from : 0;
    return read_range(from, to, [&d](const char *p, std::size_t n) { d.update(p, n); }, e);
}

bool ResumableUpload::read_range(std::uint64_t from, std::uint64_t to,
                                 const std::function<void(const char *, std::size_t)> &fn,
                                 FsError &e)
{
    std::vector<char> buf(1 << 20);
    std::uint64_t pos = from;

    for (int attempt = 0; pos < to; attempt++) {
        if (bigupload::read_range(data_.get(), pos, to - pos, buf,
                                  [&fn, &pos](const char *p, std::size_t n) {
                                      fn(p, n);
                                      pos += n;
                                      return true;
                                  }))
        {
            break;
        }

        // The file ends before what the state says was received: another
        // server wrote those bytes, and this one's mount does not show them
        // yet (a network filesystem's caches; nothing is fsynced).  The name
        // is opened again, as for ESTALE, a few times before it counts.
        int err = errno;
        struct stat sb;
        bool shorter = err == EIO && ::fstat(data_.get(), &sb) == 0
                       && static_cast<std::uint64_t>(sb.st_size) < to;

        if (!shorter || attempt == short_file_retries) {
            errno = err;
            e = fs_error("pread", store_.path_of(id_, ".data"));
            return false;
        }

        pause_before_retry(attempt);

        FsError ignored;
        Fd fresh = store_.open_data(id_, ignored);
        if (fresh) {
            data_ = std::move(fresh);
        }
    }

    return true;
}

bool ResumableUpload::complete_digest(const UploadState &st, FsError &e)
{
    result_ = FileDigest();

    if (!target_.digest) {
        return true;
    }

    DigestAlg alg = *target_.digest;
    bool usable = st.digest && st.digest->alg == digest_name(alg);

    if (digest_is_crc(alg)) {
        // the ranges' CRCs combined; what they do not cover read back
        std::uint64_t pos = 0, crc = 0;
        std::vector<CrcRange> ranges = usable ? st.digest->ranges : std::vector<CrcRange>();
        fell_back_ = !usable && st.digest;

        ranges.push_back(CrcRange{size_, size_, 0});
        for (const auto &r : ranges) {
            if (r.start > pos) {
                Digest gap(alg);
                if (!read_into(gap, pos, r.start, e)) {
                    return false;
                }
                crc = crc_combine(alg, crc, gap.crc(), r.start - pos);
            }
            if (r.end > r.start) {
                crc = crc_combine(alg, crc, r.crc, r.end - r.start);
            }
            pos = std::max(pos, r.end);
        }

        result_.alg = alg;
        result_.raw = crc_bytes(alg, crc);
        return true;
    }

    // a hash: from the saved state of the prefix, the rest read back
    Digest d(alg);
    std::uint64_t from = 0;

    if (usable && st.digest->hashed <= size_) {
        if (d.restore(st.digest->saved) && d.consumed() == st.digest->hashed) {
            from = st.digest->hashed;
        } else {
            d.reset();
            fell_back_ = true;
        }
    } else if (st.digest) {
        fell_back_ = true;
    }

    if (!read_into(d, from, size_, e)) {
        return false;
    }

    result_.alg = alg;
    result_.raw = d.final();
    return true;
}

bool ResumableUpload::want_digests(const UploadState &st, FsError &e)
{
    std::vector<DigestAlg> algs;
    auto want = [&algs](std::optional<DigestAlg> a) {
        if (a && std::find(algs.begin(), algs.end(), *a) == algs.end()) {
            algs.push_back(*a);
        }
    };
    for (const auto &x : st.expect) {
        want(digest_from_name(x.first));
    }
    for (const auto &n : st.repr_want) {
        want(digest_from_name(n));
    }
    for (DigestAlg a : rq_.repr_want) {
        want(a);
    }

    // the file's own digest is known; the others read the file once, together
    std::vector<Digest> ds;
    for (DigestAlg a : algs) {
        if (result_.alg != a) {
            ds.emplace_back(a);
        }
    }
    if (!ds.empty()
        && !read_range(0, size_, [&ds](const char *p, std::size_t n) {
               for (auto &d : ds) {
                   d.update(p, n);
               }
           }, e))
    {
        return false;
    }

    repr_digests_.clear();
    for (DigestAlg a : algs) {
        if (result_.alg == a) {
            repr_digests_.emplace_back(a, result_.raw);
            continue;
        }
        for (auto &d : ds) {
            if (d.alg() == a) {
                repr_digests_.emplace_back(a, d.final());
            }
        }
    }
    return true;
}

Outcome ResumableUpload::finish(bool body_complete, bool durable, std::int64_t now,
                                FsError &e)
{
    Outcome o = end_request(body_complete, durable, now, e);

    // done working on it: the sweep judges it by its state again
    active_.reset();
    return o;
}

Outcome ResumableUpload::end_request(bool body_complete, bool durable, std::int64_t now,
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

    if (too_many(st.received, rq_.start, rq_.start + held_now)) {
        state_ = st;
        return Outcome::too_many_ranges;
    }

    note_digest(st, held_now);
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

    // the file is cut to its length, never extended: one that looks shorter
    // holds bytes another server wrote, not visible on this mount yet, and
    // zeros there would be hashed and stored in their place (read_range
    // waits for them)
    struct stat sb;
    if (::fstat(data_.get(), &sb) == -1
        || (static_cast<std::uint64_t>(sb.st_size) > size_
            && ::ftruncate(data_.get(), static_cast<off_t>(size_)) == -1))
    {
        e = fs_error("ftruncate", store_.path_of(id_, ".data"));
        store_.save(id_, st, again);
        return Outcome::error;
    }

    if (!complete_digest(st, e)) {
        store_.save(id_, st, again);
        return Outcome::error;
    }

    // the digests the client declared for the file: a file that has not
    // them is not stored, and its partial goes (which range was wrong
    // cannot be told; sending it again cannot mend it)
    if (!want_digests(st, e)) {
        store_.save(id_, st, again);
        return Outcome::error;
    }
    for (const auto &x : st.expect) {
        auto alg = digest_from_name(x.first);
        bool same = false;
        for (const auto &got : repr_digests_) {
            same = same || (alg && got.first == *alg && got.second == x.second);
        }
        if (!same) {
            data_.reset();
            store_.remove(id_);
            return Outcome::file_digest_mismatch;
        }
    }

    remember_digest(data_.get(), result_);

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

    if (durable && ::fsync(target_dir_.get()) == -1) {
        // the rename may not survive a power loss: the upload is not done.
        // A new file goes back to its partial, complete, so that the answer
        // (an error) and the store agree and a retry completes it; a
        // replaced one is gone already, and the file stays in place.
        e = fs_error("fsync", target_path_);
        if (c == Outcome::created
            && ::renameat(target_dir_.get(), target_.segments.back().c_str(), store_.dir(),
                          (id_ + ".data").c_str()) == 0)
        {
            store_.save(id_, st, again);
            return Outcome::error;
        }
        data_.reset();
        store_.remove(id_);
        return Outcome::error;
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

    return c;
}

bool ResumableUpload::too_many(const RangeSet &held, std::uint64_t start, std::uint64_t end)
{
    if (start >= end) {
        return false;
    }

    RangeSet after = held;
    after.add(start, end);
    return after.ranges().size() > max_ranges;
}

Outcome ResumableUpload::abort(bool keep, bool durable, std::int64_t now, FsError &e)
{
    if (keep) {
        return finish(false, durable, now, e);
    }

    finished_ = true;
    data_.reset();

    Outcome o = store_.cancel(id_, key_, e);
    active_.reset();
    return o == Outcome::not_found ? Outcome::ok : o;
}

Upload::Background ResumableUpload::background() const
{
    if (!target_.digest || digest_is_crc(*target_.digest) || !finished_ || state_.complete()
        || (state_.digest && state_.digest->hashed >= state_.received.contiguous())
        || state_.received.contiguous() == 0)
    {
        return Background();
    }

    std::string root = store_.root();
    StoreOptions opt = store_.options();
    std::string id = id_;
    DigestAlg alg = *target_.digest;

    return [root, opt, id, alg](FsError &e) {
        PartialStore s(root, opt);
        return hash_forward(s, id, alg, behind_budget, e);
    };
}

bool hash_forward(PartialStore &store, const std::string &id, DigestAlg alg,
                  std::uint64_t budget, FsError &e)
{
    if (digest_is_crc(alg) || !store.open(false, e)) {
        return false;
    }

    // one hasher per partial at a time; the others have nothing to do
    Fd hasher = store.lock_hasher(id);
    if (!hasher) {
        return false;
    }

    UploadState st;
    bool found;
    if (store.load(id, st, found, e) != Outcome::ok || !found || st.complete()) {
        return false;
    }

    std::uint64_t contiguous = st.received.contiguous();
    Digest d(alg);
    std::uint64_t from = 0;

    if (st.digest && st.digest->alg == digest_name(alg) && st.digest->ranges.empty()) {
        if (!d.restore(st.digest->saved) || d.consumed() != st.digest->hashed) {
            d.reset();
        } else {
            from = st.digest->hashed;
        }
    }

    if (from >= contiguous) {
        return false;
    }

    std::uint64_t to = std::min(contiguous, from + budget);

    Fd data(::openat(store.dir(), (id + ".data").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!data) {
        e = fs_error("openat", store.path_of(id, ".data"));
        return false;
    }

    std::vector<char> buf(1 << 20);
    for (std::uint64_t off = from; off < to;) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), to - off));
        ssize_t n = ::pread(data.get(), buf.data(), want, static_cast<off_t>(off));
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n == 0) {
            // the file ends before what the state says was received: bytes
            // another server acknowledged that this one's mount does not
            // show yet (a network filesystem's caches; nothing is fsynced).
            // Not a failure: this hashing is ahead of its time only, and a
            // later run, or the completion, hashes them
            return false;
        }
        if (n < 0) {
            e = fs_error("pread", store.path_of(id, ".data"));
            return false;
        }
        d.update(buf.data(), static_cast<std::size_t>(n));
        off += static_cast<std::uint64_t>(n);
    }

    // recorded only if no request moved the prefix's digest meanwhile
    Fd held = store.lock(id, true, e, false);
    if (!held || store.load(id, st, found, e) != Outcome::ok || !found) {
        return false;
    }

    std::uint64_t now_from = st.digest && st.digest->alg == digest_name(alg)
                                 && st.digest->ranges.empty() ? st.digest->hashed : 0;
    if (now_from != from || st.received.contiguous() < to) {
        return false;
    }

    st.digest = PrefixDigest{digest_name(alg), to, d.save(), {}};
    if (!store.save(id, st, e)) {
        return false;
    }

    // on while the prefix is longer than what is hashed: as it is now, not
    // as it was when this run began (the requests that ended meanwhile found
    // this run holding the hasher's lock, and left the rest to it)
    return to < st.received.contiguous();
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
