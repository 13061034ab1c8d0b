// JSON bodies of the module's answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bigupload {

// {"path": "...", "size": N, "sha256": "..."}
std::string success_json(std::string_view path, std::uint64_t size,
                         std::string_view sha256_hex);

// What a bigupload_pass backend receives for a stored file:
// {"result": "complete", "path": "...", "size": N, "sha256": "...",
//  "file": "<where it is on disk>", "created": true|false,
//  "protocol": "native"|"tus"|…, "metadata": {"key": "value", …}}
// ("protocol" when given; "metadata", the dialect's, when there is any).
std::string pass_json(std::string_view path, std::uint64_t size,
                      std::string_view sha256_hex, std::string_view file, bool created,
                      std::string_view protocol = std::string_view(),
                      const std::vector<std::pair<std::string, std::string>> &metadata = {});

// {"error": "<code>", "message": "<text>"}
std::string error_json(std::string_view code, std::string_view message);

}  // namespace bigupload
