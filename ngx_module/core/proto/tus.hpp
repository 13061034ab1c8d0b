// tus 1.0.0 (tus/tus-resumable-upload-protocol, protocol.md): parsing the
// request headers and formatting the answer headers, no I/O.  Every parser
// takes one header value as nginx holds it (leading/trailing whitespace
// already stripped) and is strict: what the protocol does not allow is
// refused with a reason, never guessed at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bigupload {
namespace tus {

// The one version served.  "Tus-Version: 1.0.0".
constexpr std::string_view version = "1.0.0";

// Tus-Resumable ("Core Protocol / Headers"): only "1.0.0" is served; any
// other value is the 412 Precondition Failed case (answered with
// Tus-Version, the request not processed).
bool resumable_supported(std::string_view value);

// --- Upload-Offset, Upload-Length: "a non-negative integer" -----------------

enum class NumberError {
    none,
    empty,
    not_digits,     // anything but 0-9 (a sign, a space, a suffix)
    overflow,       // above 2^63 - 1 (an off_t)
};

const char *number_error_message(NumberError e);

NumberError parse_offset(std::string_view value, std::uint64_t &out);   // Upload-Offset
NumberError parse_length(std::string_view value, std::uint64_t &out);   // Upload-Length

// Upload-Defer-Length ("Creation"): "Its value MUST be 1".
bool defer_length_valid(std::string_view value);

// --- Upload-Metadata ("Creation / Headers") -------------------------------------
//
// "key base64,key2 base64,key3": pairs separated by commas (OWS around a comma
// is accepted, as in any HTTP list), key and value by one space; keys
// non-empty, visible ASCII without commas, unique; values strict base64 (RFC
// 4648 section 4, padded, canonical) and possibly empty, when the space may
// be left out.

struct MetadataEntry {
    std::string key;
    std::string value;        // decoded bytes
    bool operator==(const MetadataEntry &o) const { return key == o.key && value == o.value; }
};

using Metadata = std::vector<MetadataEntry>;   // in the order sent

// The default bound on the whole header value (nginx's large header
// buffers are 8k by default; a tus client sends a few names and types).
constexpr std::size_t max_metadata_size = 4096;

enum class MetadataError {
    none,
    empty,            // an empty value: "one or more" pairs are required
    too_large,        // longer than the bound given
    empty_element,    // ",," or a trailing comma
    bad_key,          // a key with a control, DEL or non-ASCII byte
    bad_separator,    // more than one space, or a space inside the value
    bad_base64,
    duplicate_key,
};

struct MetadataStatus {
    MetadataError error = MetadataError::none;
    std::size_t pair = 0;     // index of the offending pair
    bool ok() const { return error == MetadataError::none; }
};

const char *metadata_error_message(MetadataError e);

MetadataStatus parse_metadata(std::string_view value, Metadata &out,
                              std::size_t max_size = max_metadata_size);

// What HEAD re-emits: the stored entries in their order, canonical base64,
// a key alone when its value is empty.  nullopt when a key could not have
// been parsed (the empty list included: the header is then omitted).
std::optional<std::string> format_metadata(const Metadata &m);

// The decoded value of "key", or nullptr.
const std::string *find_metadata(const Metadata &m, std::string_view key);

// --- Upload-Checksum ("Checksum") --------------------------------------------------
//
// "<algorithm> <base64>"; algorithm names are ASCII without uppercase.

struct ChecksumAlgorithm {
    std::string_view name;    // e.g. "sha1"
    std::size_t digest_size;  // bytes, e.g. 20
};

struct Checksum {
    std::string algorithm;
    std::string bytes;        // decoded
};

enum class ChecksumError {
    none,
    malformed,                // not "<name> <base64>" (400)
    unsupported_algorithm,    // well-formed, the algorithm not among ours (400)
    wrong_length,             // a supported algorithm, a digest of another size (400)
};

const char *checksum_error_message(ChecksumError e);

ChecksumError parse_checksum(std::string_view value,
                             const std::vector<ChecksumAlgorithm> &supported, Checksum &out);

// --- Upload-Concat ("Concatenation") --------------------------------------------
//
// "partial", or "final;<url> <url> ..." (URLs absolute or relative, separated
// by one space, containing no spaces).  Whether each URL names one of our
// partial uploads is the caller's to check; concat_url_path() helps.

struct Concat {
    bool final = false;               // false: "partial"
    std::vector<std::string> urls;    // for a final upload, in order
    bool operator==(const Concat &o) const { return final == o.final && urls == o.urls; }
};

constexpr std::size_t max_concat_parts = 1024;

enum class ConcatError {
    none,
    malformed,        // neither "partial" nor "final;..."
    no_urls,          // "final;" alone
    empty_url,        // two spaces, or a leading or trailing one
    bad_url,          // a control or non-ASCII byte in a URL
    too_many,         // more than the bound given
};

const char *concat_error_message(ConcatError e);

ConcatError parse_concat(std::string_view value, Concat &out,
                         std::size_t max_parts = max_concat_parts);

// The value as received (HEAD echoes it); an empty final list gives nullopt.
std::optional<std::string> format_concat(const Concat &c);

// The path of a concatenation URL, for the caller to match against its
// location: "https://h/files/a" and "//h/files/a" give "/files/a", "/files/a"
// gives itself.  nullopt for a relative path ("a", "../a": the caller resolves
// those against the request URI if it wants them), an empty path, or a URL
// with a query or fragment.
std::optional<std::string_view> concat_url_path(std::string_view url);

// --- X-HTTP-Method-Override ("Core Protocol / Headers") -----------------------

enum class Method { get, head, post, put, patch, delete_, options };

// The method to act as, for the methods tus knows (case-sensitive, as HTTP
// methods are); nullopt for anything else.
std::optional<Method> parse_method_override(std::string_view value);

const char *method_name(Method m);

// --- answer headers ---------------------------------------------------------------

struct Extensions {
    bool creation = false;
    bool creation_with_upload = false;
    bool creation_defer_length = false;
    bool expiration = false;
    bool checksum = false;
    bool checksum_trailer = false;
    bool termination = false;
    bool concatenation = false;
    bool concatenation_unfinished = false;
};

// "creation,creation-with-upload,...", in the order of the fields above;
// "" when none: the header is then omitted ("Tus-Extension").
std::string format_extensions(const Extensions &e);

// "Tus-Version": the versions served, most preferred first.
std::string format_versions();

// "Tus-Checksum-Algorithm: sha1,sha256"; nullopt for an empty list or a name
// that parse_checksum would not accept.
std::optional<std::string> format_checksum_algorithms(const std::vector<std::string_view> &names);

// Content-Type of a PATCH: "application/offset+octet-stream" (else 415).
bool is_patch_content_type(std::string_view content_type);

}  // namespace tus
}  // namespace bigupload
