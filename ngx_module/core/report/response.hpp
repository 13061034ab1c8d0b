// JSON bodies of the module's answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bigupload {

// {"path": "...", "size": N, "sha256": "..."}
std::string success_json(std::string_view path, std::uint64_t size,
                         std::string_view sha256_hex);

// The same with the digest bigupload_digest chose, keyed by its name
// ({"path": …, "size": N, "crc64nvme": "…"}); no digest member when "alg"
// is empty (bigupload_digest off).
std::string success_json(std::string_view path, std::uint64_t size, std::string_view alg,
                         std::string_view hex);

// What a bigupload_pass backend receives for a stored file:
// {"result": "complete", "path": "...", "size": N, "sha256": "...",
//  "file": "<where it is on disk>", "created": true|false}
std::string pass_json(std::string_view path, std::uint64_t size,
                      std::string_view sha256_hex, std::string_view file, bool created);
std::string pass_json(std::string_view path, std::uint64_t size, std::string_view alg,
                      std::string_view hex, std::string_view file, bool created);

// {"error": "<code>", "message": "<text>"}
std::string error_json(std::string_view code, std::string_view message);

}  // namespace bigupload
