#include "proto/errors.hpp"

#include <cerrno>
#include <stdexcept>

namespace bigupload {

namespace {

using L = LogLevel;

const ErrorInfo table[] = {
    {Error::none, 200, "", "", L::none, ""},

    {Error::method_not_allowed, 405, "method_not_allowed",
     "PUT and POST upload here; HEAD and DELETE ask about and cancel resumable uploads",
     L::error, "method \"{method}\" not allowed"},
    {Error::status_method_not_allowed, 405, "method_not_allowed",
     "the status answers GET and HEAD", L::error,
     "method \"{method}\" not allowed on the status"},
    {Error::bad_format, 400, "bad_format", "format is json or prometheus", L::error,
     "unknown status format \"{value}\""},
    {Error::bad_path, 400, "bad_path", "bad remote path", L::error,
     "invalid path \"{value}\": {detail}"},
    {Error::is_collection, 409, "is_collection",
     "cannot upload to a directory (path ends with \"/\")", L::error,
     "invalid path \"{value}\": {detail}"},
    {Error::path_too_long, 414, "path_too_long", "path or file name too long", L::error,
     "invalid path \"{value}\": {detail}"},
    {Error::bad_upload_key, 400, "bad_upload_key",
     "Upload-Key must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ + / = -", L::error,
     "invalid Upload-Key"},
    {Error::bad_upload_header, 400, "bad_upload_header",
     "Upload-Offset and Upload-Length are byte counts, Upload-Complete is ?0 or ?1",
     L::error, "bad {header} \"{value}\": {detail}"},
    {Error::needs_upload_key, 400, "needs_upload_key",
     "this header asks for a resumable upload, which needs an Upload-Key", L::error,
     "{header} without Upload-Key for \"{path}\": refused, not stored as a whole file"},
    {Error::bad_content_range, 400, "bad_content_range", "malformed Content-Range", L::error,
     "bad Content-Range \"{value}\": {detail}"},
    {Error::range_not_satisfiable, 416, "range_not_satisfiable",
     "the range does not fit the length", L::error,
     "bad Content-Range \"{value}\": {detail}"},
    {Error::range_length_mismatch, 400, "range_length_mismatch",
     "a Content-Range needs a Content-Length of the range's size", L::error,
     "Content-Range \"{value}\" and Content-Length {bytes} differ"},
    {Error::upload_range_beyond, 416, "range_not_satisfiable",
     "the body does not fit Upload-Length", L::error, "upload range beyond Upload-Length"},
    {Error::upload_length_mismatch, 400, "upload_length_mismatch",
     "the body's length differs from Upload-Length", L::error,
     "the body of \"{path}\" is {bytes} bytes, Upload-Length said {limit}"},
    {Error::protocol_not_enabled, 400, "protocol_not_enabled",
     "this protocol is not served at this location", L::error,
     "{detail} request for \"{path}\" refused: not served here"},
    {Error::unsupported_media_type, 415, "unsupported_media_type",
     "a form's body is not stored as a file here: send the file's bytes (PUT, or "
     "Content-Type: application/octet-stream)",
     L::error, "a form's body ({value}) for \"{path}\" refused"},
    {Error::length_required, 411, "length_required", "send Content-Length or a chunked body",
     L::error, "upload of \"{path}\" without Content-Length or chunked body"},
    {Error::too_large, 413, "too_large", "body exceeds bigupload_max_size", L::error,
     "upload of \"{path}\" is {bytes} bytes, more than bigupload_max_size {limit}"},
    {Error::too_large_body, 413, "too_large", "body exceeds bigupload_max_size", L::error,
     "body of \"{path}\" exceeds bigupload_max_size {limit}"},
    {Error::bad_precondition, 400, "bad_precondition", "malformed If-Match or If-None-Match",
     L::error, "bad {header} \"{value}\" for \"{path}\": {detail}"},

    {Error::precondition_failed, 412, "precondition_failed",
     "If-Match or If-None-Match precondition failed", L::error,
     "precondition failed for \"{path}\""},
    {Error::exists, 409, "exists", "target already exists", L::error,
     "\"{path}\" exists and bigupload_overwrite is off"},
    {Error::appeared, 409, "exists", "target already exists", L::error,
     "\"{path}\" appeared during the upload and bigupload_overwrite is off"},
    {Error::is_directory, 409, "is_directory", "target is a directory", L::error,
     "\"{path}\" is a directory"},
    {Error::upload_key_mismatch, 409, "upload_key_mismatch",
     "a partial upload of this path belongs to another Upload-Key", L::error,
     "the partial upload of \"{path}\" has another Upload-Key"},
    {Error::length_mismatch, 409, "length_mismatch",
     "the upload's length differs from the one declared before", L::error,
     "length of \"{path}\" differs from the one declared"},
    {Error::beyond_length, 416, "range_not_satisfiable",
     "the range goes beyond the upload's length", L::error,
     "range beyond the declared length of \"{path}\""},
    {Error::offset_mismatch, 409, "offset_mismatch",
     "the append does not start where the upload ends", L::error,
     "an append to \"{path}\" that does not start where it ends"},
    {Error::digest_mismatch, 400, "digest_mismatch",
     "the body's digest differs from the one sent with it: nothing of it was kept",
     L::error, "the digest of a body for \"{path}\" differs from the one sent"},
    {Error::cancelled, 409, "cancelled", "the upload was cancelled or expired meanwhile",
     L::error, "the partial upload of \"{path}\" was cancelled meanwhile"},
    {Error::partial_corrupt, 500, "partial_corrupt",
     "the partial upload's state is damaged: DELETE it to start over", L::crit,
     "the state of the partial upload of \"{path}\" is corrupt"},
    {Error::not_found, 404, "not_found", "no partial upload at this path", L::none, ""},

    {Error::no_space, 507, "no_space", "no space left on the storage device", L::crit,
     "{op} \"{file}\" failed"},
    {Error::quota_exceeded, 507, "quota_exceeded", "disk quota exceeded", L::crit,
     "{op} \"{file}\" failed"},
    {Error::file_too_large, 413, "file_too_large", "file too large for the storage", L::crit,
     "{op} \"{file}\" failed"},
    {Error::forbidden, 403, "forbidden", "permission denied by the storage", L::crit,
     "{op} \"{file}\" failed"},
    {Error::read_only, 403, "read_only", "the storage is read-only", L::crit,
     "{op} \"{file}\" failed"},
    {Error::fs_exists, 409, "exists", "target already exists", L::error,
     "{op} \"{file}\" failed"},
    {Error::no_parent, 409, "no_parent", "a parent directory does not exist", L::error,
     "{op} \"{file}\" failed"},
    {Error::not_a_directory, 409, "not_a_directory", "a path component is not a directory",
     L::error, "{op} \"{file}\" failed"},
    {Error::fs_is_directory, 409, "is_directory", "target is a directory", L::error,
     "{op} \"{file}\" failed"},
    {Error::symlink, 403, "symlink", "path leads through a symbolic link", L::error,
     "{op} \"{file}\" failed"},
    {Error::fs_path_too_long, 414, "path_too_long", "path or file name too long", L::error,
     "{op} \"{file}\" failed"},
    {Error::cross_device, 500, "cross_device",
     "temp file and target are on different filesystems", L::crit, "{op} \"{file}\" failed"},
    {Error::io_error, 500, "io_error", "storage error", L::crit, "{op} \"{file}\" failed"},

    {Error::client_closed, 499, "client_closed", "client closed the connection", L::info,
     "client closed the connection after {bytes} bytes of \"{path}\""},
    {Error::client_closed_early, 499, "client_closed", "client closed the request", L::info,
     "upload of \"{path}\" ended before its body"},
    {Error::bad_body, 400, "bad_body", "cannot read request body", L::info,
     "reading the body of \"{path}\" failed after {bytes} bytes"},

    {Error::backend, 502, "backend", "the application behind bigupload_pass failed",
     L::error, "backend answered {bytes} for \"{file}\", {detail}"},

    // -- tus --
    // -- the IETF draft --
    // -- forms --

    {Error::internal, 500, "internal", "internal error", L::alert, "{detail}"},
    {Error::no_memory, 500, "internal", "out of memory", L::alert, "out of memory"},
    {Error::no_store, 500, "internal", "internal server error", L::error,
     "bigupload_store is empty"},
    {Error::cannot_post, 500, "internal", "cannot post thread task", L::alert,
     "cannot post a task to thread pool \"{value}\""},
    {Error::body_in_file, 500, "internal", "request body in a file", L::alert,
     "request body in a file"},
};

constexpr std::size_t table_size = sizeof(table) / sizeof(table[0]);

// A value as it goes into a log line: a control character (a remote path
// may hold a newline, sent as "%0A") or a backslash becomes "\xNN", so that
// no value a client sends can forge a log line of its own.
void put_escaped(std::string &out, std::string_view v)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned char c : v) {
        if (c < 0x20 || c == 0x7f || c == '\\') {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0x0f];
        } else {
            out += static_cast<char>(c);
        }
    }
}

void put(std::string &out, std::string_view name, const ErrorArgs &a)
{
    if (name == "path") {
        put_escaped(out, a.path);
    } else if (name == "value") {
        put_escaped(out, a.value);
    } else if (name == "header") {
        put_escaped(out, a.header);
    } else if (name == "detail") {
        put_escaped(out, a.detail);
    } else if (name == "method") {
        put_escaped(out, a.method);
    } else if (name == "op") {
        put_escaped(out, a.op);
    } else if (name == "file") {
        put_escaped(out, a.file);
    } else if (name == "bytes") {
        out += std::to_string(a.bytes);
    } else if (name == "limit") {
        out += std::to_string(a.limit);
    } else {
        throw std::logic_error("unknown placeholder in the errors table");
    }
}

}  // namespace

const ErrorInfo &error_info(Error e)
{
    std::size_t i = static_cast<std::size_t>(e);

    // the table lists the errors in the enum's order
    if (i >= table_size || table[i].error != e) {
        throw std::logic_error("errors table out of order");
    }
    return table[i];
}

const ErrorInfo *error_table(std::size_t &count)
{
    count = table_size;
    return table;
}

std::string error_log_line(Error e, const ErrorArgs &a)
{
    std::string_view t = error_info(e).log;
    std::string out;

    for (std::size_t i = 0; i < t.size(); i++) {
        std::size_t close;
        if (t[i] == '{' && (close = t.find('}', i)) != std::string_view::npos) {
            put(out, t.substr(i + 1, close - i - 1), a);
            i = close;
        } else {
            out += t[i];
        }
    }
    return out;
}

std::string error_message(Error e, std::string_view detail)
{
    return detail.empty() ? std::string(error_info(e).message) : std::string(detail);
}

Error error_for_errno(int err)
{
    switch (err) {
    case ENOSPC: return Error::no_space;
    case EDQUOT: return Error::quota_exceeded;
    case EFBIG: return Error::file_too_large;
    case EACCES:
    case EPERM: return Error::forbidden;
    case EROFS: return Error::read_only;
    case EEXIST: return Error::fs_exists;
    case ENOENT: return Error::no_parent;
    case ENOTDIR: return Error::not_a_directory;
    case EISDIR: return Error::fs_is_directory;
    case ELOOP: return Error::symlink;
    case ENAMETOOLONG: return Error::fs_path_too_long;
    case EXDEV: return Error::cross_device;
    default: return Error::io_error;
    }
}

Error error_for_outcome(Outcome o)
{
    switch (o) {
    case Outcome::ok:
    case Outcome::incomplete:
    case Outcome::created:
    case Outcome::replaced:
    case Outcome::completed_elsewhere: return Error::none;
    case Outcome::not_found: return Error::not_found;
    case Outcome::key_mismatch: return Error::upload_key_mismatch;
    case Outcome::length_mismatch: return Error::length_mismatch;
    case Outcome::beyond_length: return Error::beyond_length;
    case Outcome::offset_mismatch: return Error::offset_mismatch;
    case Outcome::body_length_mismatch: return Error::upload_length_mismatch;
    case Outcome::digest_mismatch: return Error::digest_mismatch;
    case Outcome::kept: return Error::none;
    case Outcome::cancelled: return Error::cancelled;
    case Outcome::corrupt: return Error::partial_corrupt;
    case Outcome::precondition_failed: return Error::precondition_failed;
    case Outcome::exists: return Error::exists;
    case Outcome::appeared: return Error::appeared;
    case Outcome::is_directory: return Error::is_directory;
    case Outcome::error: return Error::io_error;
    }
    return Error::internal;
}

Error error_for_path(PathError e)
{
    switch (e) {
    case PathError::ok: return Error::none;
    case PathError::collection: return Error::is_collection;
    case PathError::too_long: return Error::path_too_long;
    default: return Error::bad_path;
    }
}

Error error_for_content_range(ContentRangeError e)
{
    switch (e) {
    case ContentRangeError::ok: return Error::none;
    case ContentRangeError::start_after_end:
    case ContentRangeError::beyond_total: return Error::range_not_satisfiable;
    default: return Error::bad_content_range;
    }
}

}  // namespace bigupload
