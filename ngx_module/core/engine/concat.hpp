// A concatenation: a file assembled from complete parts of the store (tus's
// "Upload-Concat: final;…" of partial uploads, each a resumable upload made
// with Creation::part), in the order given, into a temp file beside the
// target, which is then renamed into place under the same rules as any
// upload (overwrite, If-Match / If-None-Match).  The request that asks for it
// has no body of its own.
//
// The bytes are moved by copy_file_range(2), which the kernel serves without
// passing them through user space, and on filesystems that share extents
// (XFS with reflink, Btrfs, bcachefs, OCFS2 …) by sharing the parts' blocks
// instead of copying them; elsewhere it falls back to read/write.  The file's
// digest (bigupload_digest) comes from the parts' saved digest states where
// they can give it: a CRC is combined from each part's CRC without reading
// it, a hash continues from the first part's saved state; what they do not
// cover is read (a hash needs the bytes of every later part: it cannot be
// combined).  Once the file is in place the
// parts are removed and a record of the finished upload is kept
// (UploadState::finished, with "concat").
//
// One object per request; every method but the accessors blocks and runs on
// a worker thread, one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.hpp"
#include "engine/partial_store.hpp"
#include "engine/resumable.hpp"
#include "engine/store.hpp"
#include "engine/upload.hpp"

namespace bigupload {

// Bytes moved through user space, and by the kernel, by the last finish():
// for the benchmark and the tests.
struct ConcatStats {
    std::uint64_t copied_by_kernel = 0;    // by copy_file_range (or shared)
    std::uint64_t copied_by_user = 0;      // by the read/write fallback
    std::uint64_t hashed = 0;              // read for the digest
};

class ConcatUpload final : public Upload {
public:
    // "id": the resource of the finished upload (its record); "parts": the
    // ids of the parts, in order (one may appear more than once); "creation":
    // the protocol the parts must be of and what the record keeps (metadata,
    // concat); "max_idle": parts idle for longer are gone (0: no limit);
    // "max_size": the largest file allowed (0: no limit).
    ConcatUpload(PartialStore store, std::string id, std::vector<std::string> parts,
                 Target target, Creation creation, std::int64_t max_idle,
                 std::uint64_t max_size)
        : store_(std::move(store)), id_(std::move(id)), parts_(std::move(parts)),
          target_(std::move(target)), creation_(std::move(creation)),
          max_idle_(max_idle), max_size_(max_size) {}

    // Checks every part and the target, and creates the temp file: ok, or
    // not_found (a part that is not one: see bad_part()), incomplete (a part
    // still missing bytes), beyond_length (the parts come to more than
    // max_size), exists, precondition_failed, is_directory, corrupt, error.
    Outcome open(std::int64_t now, FsError &e) override;

    bool hashing() const override { return false; }
    void hash(const void *, std::size_t) override {}
    // The request has no body: any byte is beyond the upload.
    Outcome write_at(const void *, std::size_t, std::uint64_t, std::int64_t,
                     FsError &) override
    {
        return Outcome::beyond_length;
    }

    // Assembles, hashes and moves the file into place, then removes the
    // parts and records the finished upload: created, replaced, appeared (a
    // file came to the target meanwhile and may not be replaced), cancelled
    // (a part went away or changed meanwhile), or error.  The parts stay
    // unless the file is in place.
    Outcome finish(bool body_complete, bool durable, std::int64_t now,
                   FsError &e) override;
    Outcome abort(bool keep, bool durable, std::int64_t now, FsError &e) override;

    bool pending() const override { return file_.has_temp(); }
    bool resumable() const override { return false; }
    std::uint64_t offset() const override { return 0; }
    std::uint64_t written() const override { return 0; }
    std::optional<std::uint64_t> length() const override { return total_; }
    std::uint64_t size() const override { return total_; }
    const FileDigest &digest() const override { return result_; }
    const std::string &target_path() const override { return file_.target_path(); }
    std::string remote_path() const override { return target_.remote_path; }
    std::string temp_path() const override { return file_.temp_path(); }
    void discard() noexcept override { file_.abort(); }

    const std::string &id() const { return id_; }
    // The index in parts of the one that made open() fail.
    std::size_t bad_part() const { return bad_part_; }
    // The record written once the file is in place.
    const UploadState &state() const { return state_; }
    const ConcatStats &stats() const { return stats_; }

private:
    // The part's state, checked: ok, not_found, incomplete, corrupt, error.
    Outcome check_part(const std::string &part, std::int64_t now, UploadState &st,
                       FsError &e);
    // Appends part "i" (its "len" bytes) to the temp file at "at", and adds
    // it to the digest.
    Outcome append_part(std::size_t i, std::uint64_t at, std::int64_t now, FsError &e);
    // Adds part "i" (state "st", data "fd") to the digest: from its saved
    // state where it can, else by reading it.
    bool digest_part(std::size_t i, const UploadState &st, int fd);

    PartialStore store_;
    std::string id_;
    std::vector<std::string> parts_;
    std::vector<std::uint64_t> lengths_;
    Target target_;
    Creation creation_;
    std::int64_t max_idle_;
    std::uint64_t max_size_;

    TargetFile file_;
    std::optional<Digest> digest_;     // a hash: of the file so far
    std::uint64_t crc_ = 0;            // a CRC: of the file so far
    FileDigest result_;
    std::uint64_t total_ = 0;
    std::size_t bad_part_ = 0;
    UploadState state_;
    ConcatStats stats_;
};

// Copies "len" bytes of "in" at "in_off" to "out" at "out_off": with
// copy_file_range while the kernel takes it, then with pread/pwrite; the
// bytes each way are added to "stats".  False with errno set on failure.
bool copy_range(int in, std::uint64_t in_off, int out, std::uint64_t out_off,
                std::uint64_t len, ConcatStats &stats);

}  // namespace bigupload
