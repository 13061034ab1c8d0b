// JSON bodies of the module's answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bigupload {

// {"path": "...", "size": N, "sha256": "..."}
std::string success_json(std::string_view path, std::uint64_t size,
                         std::string_view sha256_hex);

// {"error": "<code>", "message": "<text>"}
std::string error_json(std::string_view code, std::string_view message);

}  // namespace bigupload
