// An HTML form's upload (multipart/form-data, RFC 7578): one request whose
// body is parsed on the way (FormParser) and demultiplexed, each file part
// into a plain upload of its own (PlainUpload: temp file, sha256, atomic
// rename), the other fields kept in memory, bounded.
//
// To the engine it is one Upload like any other: the write lane hands it the
// body's buffers in order (write_at) and it parses them on that pool thread,
// creating, hashing and writing each part's file as its data comes.  It does
// not hash the body itself (hashing() is false: there is no digest of the
// envelope to compute), so the hash lane stays idle and each file is hashed
// by the write lane just before it is written.
//
// All or nothing per request: every file stays a temp file until the whole
// envelope has been read and found valid; finish() then renames them into
// place in the order they came.  A refusal anywhere (a broken envelope, a bad
// file name, a limit) or a failed rename removes every temp file, and the
// files of the same request already renamed (rolled back; a file that one of
// them replaced under bigupload_overwrite on is not brought back).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/plain.hpp"
#include "engine/upload.hpp"
#include "proto/errors.hpp"
#include "proto/form.hpp"

namespace bigupload {

struct FormUploadLimits {
    std::uint64_t max_file = 0;      // bytes of one file (0: no limit)
    std::uint64_t max_body = 0;      // bytes of the whole body (0: no limit)
    std::size_t max_files = 64;      // files of one request
    std::size_t max_fields = 65536;  // bytes of the non-file fields' names
                                     // and values together
    FormLimits parser;
};

// A non-file field, as sent (bytes, not necessarily UTF-8).
struct FormField {
    std::string name;
    std::string value;
};

// A file part of the form.
struct FormFile {
    std::string field;               // the input's name
    std::string filename;            // the part's file name, as sent
    std::string content_type;        // the part's Content-Type ("" if none)
    std::string remote_path;         // "/dir/" + filename
    std::unique_ptr<PlainUpload> upload;
    Outcome outcome = Outcome::ok;   // created or replaced, once renamed
};

// Why the form was refused (Outcome::refused): an error of the errors table
// and what its log line and message say.
struct FormRefusal {
    Error error = Error::none;
    std::string value;               // the file name, the parser's code ...
    std::string message;             // for the client ("": the table's)
    std::string detail;              // for the log line
    std::int64_t limit = -1;
};

class FormUpload final : public Upload {
public:
    // "dir": the request's directory ("/dir/" as remote path, its segments,
    // the store's options and the request's preconditions, which apply to
    // every file); "boundary" from parse_form_content_type().
    FormUpload(Target dir, std::string boundary, FormUploadLimits limits);

    // Opens (creating when allowed) the directory: a missing or bad one is
    // refused before the body is read.
    Outcome open(std::int64_t now, FsError &e) override;

    bool hashing() const override { return false; }
    void hash(const void *, std::size_t) override {}

    // Parses the next piece of the body and does what its parts say: ok,
    // refused (see refusal()), or a file's failure (exists,
    // precondition_failed, is_directory, error).
    Outcome write_at(const void *data, std::size_t len, std::uint64_t offset,
                     std::int64_t now, FsError &e) override;

    // The end of the body: checks the envelope's end, then renames every
    // file into place: created (one at least is new) or replaced; refused,
    // appeared, error (nothing of the request is left).
    Outcome finish(bool body_complete, bool durable, std::int64_t now,
                   FsError &e) override;
    Outcome abort(bool keep, bool durable, std::int64_t now, FsError &e) override;

    bool pending() const override { return opened_ && !closed_; }
    bool resumable() const override { return false; }
    std::uint64_t offset() const override { return 0; }
    std::uint64_t written() const override { return fed_; }
    std::optional<std::uint64_t> length() const override { return std::nullopt; }

    // The bytes of the files stored; no digest of its own (each file has
    // one); the file being written (else the directory).
    std::uint64_t size() const override;
    const FileDigest &digest() const override { return none_; }
    const std::string &target_path() const override;
    std::vector<StoredFile> stored() const override;
    std::string temp_path() const override;
    void discard() noexcept override;

    const FormRefusal &refusal() const { return refusal_; }
    const std::vector<FormFile> &files() const { return files_; }
    const std::vector<FormField> &fields() const { return fields_; }
    const std::string &dir_path() const { return dir_path_; }

private:
    Outcome run(std::int64_t now, FsError &e);
    Outcome begin_part(std::int64_t now, FsError &e);
    Outcome data(std::string_view d, std::int64_t now, FsError &e);
    Outcome refuse(Error err, std::string value = std::string(),
                   std::string detail = std::string(), std::int64_t limit = -1);
    void roll_back(std::size_t committed);

    enum class Part { none, file, skipped, field };

    Target dir_;
    FormUploadLimits limits_;
    FormParser parser_;
    std::string dir_path_;
    bool opened_ = false;
    bool closed_ = false;
    bool ended_ = false;
    std::uint64_t fed_ = 0;

    Part part_ = Part::none;
    FieldCollector value_;
    std::size_t field_bytes_ = 0;

    std::vector<FormFile> files_;
    std::vector<FormField> fields_;
    FormRefusal refusal_;
    FileDigest none_;
};

}  // namespace bigupload
