// JSON bodies of the module's answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/digest.hpp"

namespace bigupload {

// {"path": "...", "size": N, "sha256": "..."}
std::string success_json(std::string_view path, std::uint64_t size,
                         std::string_view sha256_hex);

// The same with the digest bigupload_digest chose, keyed by its name
// ({"path": …, "size": N, "crc64nvme": "…"}); no digest member when "alg"
// is empty (bigupload_digest off).
std::string success_json(std::string_view path, std::uint64_t size, std::string_view alg,
                         std::string_view hex);

// The JSON answer of a stored file: its path, size and digest.
std::string stored_json(std::string_view path, std::uint64_t size, const FileDigest &d);

// What a bigupload_pass backend receives for a stored file:
// {"result": "complete", "path": "...", "size": N, "sha256": "...",
//  "file": "<where it is on disk>", "created": true|false,
//  "protocol": "native"|"tus"|…, "metadata": {"key": "value", …}}
// ("protocol" when given; "metadata", the dialect's, when there is any).
std::string pass_json(std::string_view path, std::uint64_t size,
                      std::string_view sha256_hex, std::string_view file, bool created);
// With the upload's dialect ("" for none) and its decoded metadata.
std::string pass_json(std::string_view path, std::uint64_t size, std::string_view alg,
                      std::string_view hex, std::string_view file, bool created,
                      std::string_view protocol,
                      const std::vector<std::pair<std::string, std::string>> &metadata = {});

// A file a form stored, for the answer and the notice.
struct FormFileReport {
    std::string field;          // the input's name
    std::string filename;       // as the form sent it
    std::string content_type;   // the part's ("" when it had none)
    std::string path;           // the remote path
    std::string file;           // where it is on disk
    std::uint64_t size = 0;
    std::string digest_alg;     // bigupload_digest's name ("" for off)
    std::string digest;         // its value in hex
    bool created = false;       // new, or it replaced a file
};

// The answer to a form without bigupload_pass, a list of the stored files:
// [{"field": "...", "filename": "...", "path": "...", "size": N,
//   "<digest>": "...", "created": true|false}, ...], the digest keyed by its
// algorithm's name as in a single file's answer
std::string form_files_json(const std::vector<FormFileReport> &files);

// What a bigupload_pass backend receives for a form: its files (as above,
// with "content_type" and "file") and its other fields in order, as sent:
// {"result": "complete", "path": "/dir/", "files": [...],
//  "fields": [{"name": "...", "value": "..."}, ...]}
std::string form_pass_json(std::string_view dir,
                           const std::vector<FormFileReport> &files,
                           const std::vector<std::pair<std::string, std::string>> &fields);

// {"error": "<code>", "message": "<text>"}
std::string error_json(std::string_view code, std::string_view message);

}  // namespace bigupload
