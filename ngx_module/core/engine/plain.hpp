// A plain upload: one request, atomic or nothing.  The body goes into a temp
// file beside the target (TargetFile), hashed in order on the way, and is
// renamed into place once complete; anything else removes the temp file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "engine/store.hpp"
#include "engine/upload.hpp"

namespace bigupload {

class PlainUpload final : public Upload {
public:
    // "length": what the body must come to, when declared apart from its
    // framing (a chunked body with Upload-Length).
    // "checks": digests the client sent for the body, checked before it is
    // stored (digest_mismatch: it is not).
    explicit PlainUpload(Target target, std::optional<std::uint64_t> length = std::nullopt,
                         std::vector<DigestCheck> checks = {})
        : target_(std::move(target)), length_(length), checks_(std::move(checks))
    {
        if (target_.digest) {
            hash_.emplace(*target_.digest);
        }
        for (const auto &c : checks_) {
            digests_.emplace_back(c.alg);
        }
    }

    Outcome open(std::int64_t now, FsError &e) override;

    // bigupload_digest off and nothing to check: no byte needs hashing
    bool hashing() const override { return hash_ || !digests_.empty(); }
    void hash(const void *data, std::size_t len) override;
    Outcome write_at(const void *data, std::size_t len, std::uint64_t offset,
                     std::int64_t now, FsError &e) override;
    bool splices() const override { return true; }
    Outcome splice(int pipe, std::size_t len, std::int64_t now, FsError &e) override;
    bool hash_spliced(std::size_t len, FsError &e) override;

    // created, replaced, appeared (a file came to the target meanwhile and
    // may not be replaced), body_length_mismatch, digest_mismatch or error;
    // after the last four the temp file stays until abort().  Every byte
    // written must have been hashed.
    Outcome finish(bool body_complete, bool durable, std::int64_t now,
                   FsError &e) override;
    Outcome abort(bool keep, bool durable, std::int64_t now, FsError &e) override;

    bool pending() const override { return file_.has_temp(); }
    bool resumable() const override { return false; }
    std::uint64_t offset() const override { return 0; }
    std::uint64_t written() const override { return size_; }
    std::optional<std::uint64_t> length() const override { return length_; }
    std::uint64_t size() const override { return size_; }
    std::uint64_t hashed() const { return hashed_; }
    const FileDigest &digest() const override { return digest_; }
    const std::string &target_path() const override { return file_.target_path(); }
    std::string remote_path() const override { return target_.remote_path; }
    std::string temp_path() const override { return file_.temp_path(); }
    void discard() noexcept override { file_.abort(); }

    const TargetFile &file() const { return file_; }

private:
    Target target_;
    std::optional<std::uint64_t> length_;
    std::vector<DigestCheck> checks_;
    std::vector<Digest> digests_;
    TargetFile file_;
    std::optional<Digest> hash_;    // the file's, when one is computed
    std::uint64_t size_ = 0;        // written
    std::uint64_t hashed_ = 0;
    FileDigest digest_;
};

}  // namespace bigupload
