#include "engine/plain.hpp"

#include <stdexcept>

namespace bigupload {

Outcome PlainUpload::open(std::int64_t, FsError &e)
{
    return file_.open(target_.root, target_.segments, target_.opt, target_.pre, e);
}

void PlainUpload::hash(const void *data, std::size_t len)
{
    if (hash_) {
        hash_->update(data, len);
    }
    for (auto &d : digests_) {
        d.update(data, len);
    }
    hashed_ += len;
}

Outcome PlainUpload::write_at(const void *data, std::size_t len, std::uint64_t offset,
                              std::int64_t, FsError &e)
{
    if (offset != size_) {
        throw std::logic_error("plain upload written out of order");
    }

    if (!file_.write_at(data, len, offset, e)) {
        return Outcome::error;
    }

    size_ += len;
    return Outcome::ok;
}

Outcome PlainUpload::splice(int pipe, std::size_t len, std::int64_t, FsError &e)
{
    if (!splice_all(pipe, file_.fd(), len, size_)) {
        e = fs_error("splice", file_.temp_path());
        return Outcome::error;
    }

    size_ += len;
    return Outcome::ok;
}

bool PlainUpload::hash_spliced(std::size_t len, FsError &e)
{
    if (!map_range(file_.fd(), hashed_, len, [this](const char *p, std::size_t n) { hash(p, n); })) {
        e = fs_error("mmap", file_.temp_path());
        return false;
    }
    return true;
}

Outcome PlainUpload::finish(bool body_complete, bool durable, std::int64_t now, FsError &e)
{
    if (!body_complete) {
        return abort(false, durable, now, e);
    }

    if (length_ && *length_ != size_) {
        return Outcome::body_length_mismatch;
    }

    if (hashing() && hashed_ != size_) {
        // a digest of other bytes than the file's must never be answered
        throw std::logic_error("upload committed with hashed != written bytes");
    }

    for (std::size_t i = 0; i < digests_.size(); i++) {
        if (digests_[i].final() != checks_[i].expected) {
            return Outcome::digest_mismatch;
        }
    }

    if (hash_) {
        digest_ = FileDigest{hash_->alg(), hash_->final()};
        file_.remember(digest_);
    }

    bool may_replace = target_.opt.overwrite && !target_.pre.if_none_match_any;
    Outcome o = file_.commit(may_replace, durable, e);

    return o == Outcome::exists ? Outcome::appeared : o;
}

Outcome PlainUpload::abort(bool, bool, std::int64_t, FsError &)
{
    file_.abort();
    return Outcome::ok;
}

}  // namespace bigupload
