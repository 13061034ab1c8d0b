// The native dialect: plain PUT/POST of a whole file, and resumable uploads
// named by their target path and an Upload-Key (HTTP's Content-Range, or the
// IETF draft's Upload-Offset / Upload-Complete / Upload-Length), HEAD to ask
// what the server holds, DELETE to cancel.  README "Resumable uploads".
//
// Parsing and answer headers, pure: the glue's front-end
// (ngx_http_bigupload_native.cpp) fills an HttpRequest and drives the engine
// with what comes out.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "engine/resumable.hpp"
#include "engine/upload.hpp"
#include "engine/upload_state.hpp"
#include "proto/errors.hpp"
#include "proto/http.hpp"
#include "proto/refusal.hpp"

namespace bigupload {

enum class NativeOp {
    upload,      // PUT, POST
    query,       // HEAD
    cancel,      // DELETE
};

struct NativeRequest {
    NativeOp op = NativeOp::upload;
    std::string key;             // Upload-Key; "" for a plain upload
    UploadRequest range;         // where the bytes go (resumable), the declared length
};

// Why a request is refused, with what its log line and message need.
struct NativeRefusal : FieldRefusal {
    std::int64_t bytes = -1;
};

// Parses the request: method, Upload-Key and the resumable headers.  Refuses
// (returns false with "why") what the dialect does not understand rather
// than storing wrong data: a Content-Range, an Upload-Offset other than 0,
// Upload-Complete: ?0 or an Upload-Length other than the body's without an
// Upload-Key; a tus or IETF-draft request (those dialects are not served
// here); a form body (multipart/form-data, or a POST of
// application/x-www-form-urlencoded) or two Content-Types;
// empty, repeated or contradictory upload headers.
bool parse_native(const HttpRequest &rq, NativeRequest &out, NativeRefusal &why);

// The id of the partial of a native resumable upload: derived from its
// remote path, so that every request naming the path (from any connection,
// process or server) finds it.
std::string native_partial_id(std::string_view remote_path);

// Headers of an answer about an incomplete upload: Upload-Offset (held from 0
// without a gap), Upload-Ranges, Upload-Length when known, Upload-Expires,
// Upload-Complete: ?0.
std::vector<HeaderField> native_progress_headers(const UploadState &st, std::time_t expires);

// Headers of an answer about a finished file: Upload-Offset, Upload-Complete:
// ?1 and, when known, Repr-Digest.
std::vector<HeaderField> native_complete_headers(std::uint64_t size, const FileDigest &d);
std::vector<HeaderField> native_complete_headers(std::uint64_t size, const std::string &sha256);

// The key bgclient derives from a file, so that no local state is needed:
// sha256 over its size, its mtime and its first and last MiB.  A changed file
// gets another key, and the server refuses to mix it into the partial.
std::string derive_upload_key(std::uint64_t size, std::int64_t mtime_ns,
                              std::string_view head, std::string_view tail);

}  // namespace bigupload
