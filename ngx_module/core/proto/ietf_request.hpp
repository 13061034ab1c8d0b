// A request of the IETF resumable-upload draft as a whole: which operation
// (creation at a target, or offset retrieval, append, cancellation at an
// upload resource), in which interop version, with which length, offset and
// digests -- or why it is refused.  Every version difference comes from the
// VersionTraits row of proto/ietf.hpp; nothing here tests a version number.
// And the upload resources' URLs: "<location prefix>.bigupload/<id>".
//
// Pure: the glue (ngx_http_bigupload_ietf.cpp) fills an HttpRequest and
// drives the engine with what comes out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "engine/upload.hpp"
#include "proto/errors.hpp"
#include "proto/http.hpp"
#include "proto/refusal.hpp"
#include "proto/ietf.hpp"

namespace bigupload {
namespace ietf {

enum class Op {
    create,      // POST, PUT or PATCH at a target, with the completeness field
    query,       // HEAD at an upload resource (offset retrieval)
    append,      // PATCH at an upload resource
    cancel,      // DELETE at an upload resource
    options,     // OPTIONS: what is served here (Upload-Limit, Accept-Patch)
};

struct Request {
    const VersionTraits *traits = nullptr;
    Op op = Op::create;
    bool complete = false;                   // this request's content ends the upload
    std::uint64_t offset = 0;                // Upload-Offset (0 for a creation)
    std::optional<std::uint64_t> length;     // the length this request indicates
    std::optional<std::uint64_t> content_length;
    std::vector<DigestCheck> content_digests;// Content-Digest: of this request's content
    std::vector<DigestCheck> repr_digests;   // Repr-Digest: of the whole file (creation)
    std::vector<DigestAlg> want_repr;        // Want-Repr-Digest, most wanted first
    bool has_filename = false;               // Content-Disposition had one
    std::string filename;                    // filename* (RFC 6266 4.3) or filename
};

struct RequestRefusal : FieldRefusal {};

// Parses a request that carries Upload-Draft-Interop-Version; "resource":
// whether its URI names an upload resource (else it is a creation's target).
// Refuses (false, "why") an unknown version, a method the URI does not take,
// a missing or malformed field, fields a version forbids, inconsistent
// lengths, a PATCH not labelled application/partial-upload where the version
// requires it, malformed digests.
bool parse_request(const HttpRequest &rq, bool resource, Request &out, RequestRefusal &why);

// The methods an upload resource, and a target, take (for Allow).
constexpr const char *resource_methods = "HEAD, PATCH, DELETE, OPTIONS";
constexpr const char *target_methods = "POST, PUT, PATCH, OPTIONS";

// The path of the upload resource "id" below a location prefix ("/upload/"):
// "/upload/.bigupload/<id>".  The prefix gets its "/" when it has none.
std::string resource_path(std::string_view location_prefix, std::string_view id);

// The id of the upload resource a URI path names below "location_prefix",
// "" when the path is no upload resource's: an id is 32 hex digits, as
// PartialStore::new_id() makes them.
std::string resource_id(std::string_view uri_path, std::string_view location_prefix);

// A Content-Disposition filename as the name of a file in a directory: one
// path segment (no "/", no ".."; the remote path rules of base/path.hpp).
bool valid_filename(std::string_view name);

}  // namespace ietf
}  // namespace bigupload
