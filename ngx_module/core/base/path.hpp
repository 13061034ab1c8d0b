// Remote paths: percent-decoding, validation, and encoding for URLs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bigupload {

enum class PathError {
    ok,
    bad_escape,      // "%" not followed by two hex digits
    nul,             // a NUL byte (raw or %00)
    backslash,       // "\" anywhere
    dot_segment,     // a "." or ".." segment
    empty_segment,   // "//" inside the path, or an empty path
    reserved,        // a segment using the temp-file prefix ".bigupload"
    not_absolute,    // does not start with "/"
    collection,      // ends with "/": a directory, not a file (409 as dav)
    too_long,        // longer than the store allows (PATH_MAX / NAME_MAX)
};

// Short code and human text for an error (stable: used in JSON bodies).
const char *path_error_code(PathError e);
const char *path_error_message(PathError e);

// Decodes %XX escapes exactly once ("%252e" stays "%2e"). "+" is not a space.
PathError percent_decode(std::string_view in, std::string &out);

// Validates a decoded path of the form "/seg/seg/name" and splits it into its
// segments. On success "segments" holds at least one element, on an error none.
PathError split_remote_path(std::string_view decoded,
                            std::vector<std::string> &segments);

// Decodes once, then validates and splits (what the module does with a URI).
PathError parse_remote_path(std::string_view raw,
                            std::vector<std::string> &segments);

// Percent-encodes a path for a URL: keeps unreserved characters and "/".
std::string percent_encode_path(std::string_view path);

// Joins an upload location URL and a remote path with exactly one "/".
std::string join_url(std::string_view base, std::string_view remote_path);

// Temp-file names start with this; remote paths may not use it.
inline constexpr std::string_view temp_prefix = ".bigupload";

}  // namespace bigupload
