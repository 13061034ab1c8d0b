// The tus 1.0.0 front-end's logic that needs no nginx and no I/O: what a
// request asks (parse_request), the upload URLs, the file name a creation
// gets, what the engine is asked (upload_request), and every answer's
// headers.  The header parsers themselves are proto/tus.hpp's.  README "tus".
//
// Upload URLs are "<base>.bigupload/<id>": the id is 32 hex digits of
// getrandom() (PartialStore::new_id()), the secret that names the upload;
// ".bigupload" segments are reserved, so no remote path is ever an upload
// URL.  Every other URL of the location is a creation URL: a POST to one
// ending in "/" makes an upload of the directory's file named by the
// Upload-Metadata "filename", a POST to any other names the file itself.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/digest.hpp"
#include "engine/upload.hpp"
#include "engine/upload_state.hpp"
#include "proto/errors.hpp"
#include "proto/http.hpp"
#include "proto/refusal.hpp"
#include "proto/tus.hpp"

namespace bigupload {
namespace tus {

// --- what is served -----------------------------------------------------------

// The checksum algorithms of the checksum extension, sha1 (which the
// protocol requires) first: sha1, sha256, md5, crc32 (CRC-32/ISO-HDLC, its 4
// bytes big-endian).
const std::vector<ChecksumAlgorithm> &checksum_algorithms();
std::optional<DigestAlg> checksum_digest(std::string_view algorithm);

// creation, creation-with-upload, creation-defer-length, expiration,
// checksum, termination, concatenation (not checksum-trailer, nor
// concatenation-unfinished).
Extensions served_extensions();

// --- URLs ----------------------------------------------------------------------

// The reserved segment before an upload's id.
constexpr std::string_view resource_segment = ".bigupload";

// An upload's id: 32 lowercase hex digits.
bool valid_upload_id(std::string_view id);

enum class UrlKind {
    creation,        // any other URL of the location
    upload,          // ".../.bigupload/<id>"
    bad_upload,      // ".../.bigupload/<not an id>": no such upload
};

// What a request's path (decoded, without the query) names; "id" gets the
// upload's.
UrlKind classify_path(std::string_view path, std::string &id);

// The id of an upload URL in Upload-Concat (absolute, "//host/…", "/…" or
// relative: only its path's last two segments count, and a query or
// fragment refuses it); nullopt when it names none.
std::optional<std::string> upload_id_of_url(std::string_view url);

// How the Location of a new upload is written (bigupload_location).
enum class UrlMode {
    relative,        // "/upload/.bigupload/<id>": right behind any proxy
    absolute,        // "<scheme>://<Host><path>", as the request came
    forwarded,       // as absolute, with X-Forwarded-Proto / -Host when sent
};

struct RequestOrigin {
    std::string_view scheme;             // "http", "https"
    std::string_view host;               // the Host header ("" when none)
    std::string_view forwarded_proto;    // X-Forwarded-Proto ("" when none)
    std::string_view forwarded_host;     // X-Forwarded-Host ("" when none)
};

// The URL of an upload whose path is "path" (already percent-encoded).
// A forwarded value is used only when it is well-formed (its first element:
// "http" or "https", a host[:port]); otherwise the request's own.
std::string resource_url(UrlMode mode, const RequestOrigin &o, std::string_view path);

// --- requests -------------------------------------------------------------------

enum class Op {
    options,         // OPTIONS: what the server serves
    create,          // POST to a creation URL (creation, creation-with-upload,
                     // concatenation)
    head,            // HEAD of an upload
    patch,           // PATCH of an upload
    terminate,       // DELETE of an upload
};

struct Request {
    Op op = Op::options;
    Method method = Method::options;     // the one acted on (X-HTTP-Method-Override)
    std::string id;                      // head, patch, terminate

    // create
    std::optional<std::uint64_t> length; // Upload-Length (also on a patch)
    bool defer_length = false;           // Upload-Defer-Length: 1
    std::string metadata_raw;            // Upload-Metadata, as sent ("" when none)
    Metadata metadata;
    bool partial = false;                // Upload-Concat: partial
    std::optional<Concat> final_concat;  // Upload-Concat: final;…
    std::string concat_raw;              // Upload-Concat, as sent
    bool body = false;                   // the POST carries bytes

    // patch
    std::uint64_t offset = 0;            // Upload-Offset
    std::optional<Checksum> checksum;    // Upload-Checksum (patch, create with a body)
};

// Why a request is refused, with what its log line and message need.
struct Refusal : FieldRefusal {
    std::string allow;       // for tus_method: the Allow header
};

// Parses a request of the tus dialect whose decoded path is "path":
// X-HTTP-Method-Override first; OPTIONS needs nothing more; every other
// request needs Tus-Resumable: 1.0.0 (tus_version otherwise: answer 412 with
// Tus-Version and do nothing).  Strict: a malformed, repeated or
// contradictory header is refused, never guessed at.
bool parse_request(const HttpRequest &rq, std::string_view path, Request &out, Refusal &why);

// The file name of a creation POST to a directory: the Upload-Metadata
// "filename", which must make one valid path segment (no "/", not "." or
// "..", no NUL or backslash, not starting with ".bigupload", at most
// NAME_MAX bytes).  False with the reason otherwise (missing included).
bool creation_filename(const Metadata &m, std::string &name, std::string &why);

// What the engine is asked for the request's bytes: at "offset" (0 for a
// creation), an append, the length when declared, the checksum, the expiry.
UploadRequest upload_request(const Request &t, std::int64_t content_length,
                             std::int64_t max_idle);

// --- answers ----------------------------------------------------------------------

// OPTIONS: Tus-Version, Tus-Extension, Tus-Max-Size (when "max_size" is not
// 0), Tus-Checksum-Algorithm.
std::vector<HeaderField> options_headers(std::uint64_t max_size);

// POST / PATCH of an unfinished upload: Upload-Offset (held from 0 without a
// gap) and Upload-Expires.
std::vector<HeaderField> progress_headers(const UploadState &st, std::time_t expires);

// POST / PATCH that finished the upload: Upload-Offset, Upload-Length and the
// file's Repr-Digest.
std::vector<HeaderField> complete_headers(std::uint64_t size, const FileDigest &d);

// HEAD: Cache-Control: no-store, Upload-Offset, Upload-Length (or
// Upload-Defer-Length: 1), Upload-Metadata and Upload-Concat as sent,
// Upload-Expires while unfinished, the file's Repr-Digest once finished
// (when its digest is known).
std::vector<HeaderField> head_headers(const UploadState &st, std::time_t expires,
                                      const FileDigest &d);

// The decoded metadata of an upload's stored Upload-Metadata, for the
// bigupload_pass notice (none when it does not parse).
std::vector<std::pair<std::string, std::string>> notice_metadata(std::string_view raw);

}  // namespace tus
}  // namespace bigupload
