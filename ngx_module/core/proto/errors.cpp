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
    {Error::too_many_ranges, 409, "too_many_ranges",
     "the upload holds as many separate ranges as it may (1024): send the gaps between them",
     L::error, "the partial upload of \"{path}\" would hold too many ranges"},
    {Error::file_digest_mismatch, 409, "file_digest_mismatch",
     "the file's digest differs from the Repr-Digest sent for it: it is not stored, and "
     "its partial upload is discarded", L::error,
     "the digest of \"{path}\" differs from the Repr-Digest sent for it"},
    {Error::bad_digest_field, 400, "bad_digest_field",
     "Repr-Digest and Content-Digest are RFC 9530 dictionaries of byte sequences", L::error,
     "bad {header} \"{value}\": {detail}"},
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
    {Error::tus_version, 412, "tus_version", "this server speaks tus 1.0.0 (see Tus-Version)",
     L::error, "tus request with Tus-Resumable \"{value}\" for \"{path}\": not a version served"},
    {Error::tus_method, 405, "method_not_allowed",
     "a tus upload URL takes HEAD, PATCH, DELETE and OPTIONS, a creation URL POST and OPTIONS",
     L::error, "method \"{method}\" not allowed for tus at \"{path}\""},
    {Error::tus_bad_header, 400, "bad_upload_header", "a tus header is malformed", L::error,
     "bad {header} \"{value}\" for \"{path}\": {detail}"},
    {Error::tus_media_type, 415, "unsupported_media_type",
     "a tus PATCH, and a creation POST with a body, must be Content-Type: "
     "application/offset+octet-stream",
     L::error, "tus {method} for \"{path}\" with Content-Type \"{value}\" refused"},
    {Error::tus_bad_filename, 400, "bad_path", "bad file name in Upload-Metadata", L::error,
     "tus creation at \"{path}\": {detail}"},
    {Error::tus_not_found, 404, "not_found", "no such upload", L::none, ""},
    {Error::tus_gone, 410, "gone",
     "the upload is gone: it expired, was terminated, or never existed", L::info,
     "tus upload \"{path}\" is gone"},
    {Error::tus_checksum_mismatch, 460, "digest_mismatch",
     "the body does not match its Upload-Checksum: nothing of it was kept", L::error,
     "the Upload-Checksum of a body for \"{path}\" does not match"},
    {Error::tus_final_patch, 403, "final_upload",
     "a final upload (a concatenation) takes no PATCH", L::error,
     "PATCH of the final upload of \"{path}\" refused"},
    {Error::tus_finished, 409, "offset_mismatch", "the upload is complete: nothing more to write",
     L::error, "PATCH of the finished upload of \"{path}\""},
    {Error::tus_bad_part, 400, "bad_concat",
     "Upload-Concat names no complete partial upload of this server", L::error,
     "Upload-Concat for \"{path}\" names no complete partial upload"},
    {Error::tus_length_mismatch, 400, "length_mismatch",
     "Upload-Length differs from the upload's length, or is less than what it holds",
     L::error, "Upload-Length of \"{path}\" differs from the one declared"},
    {Error::tus_beyond_length, 413, "too_large",
     "the body goes beyond the upload's Upload-Length", L::error,
     "a body for \"{path}\" goes beyond its Upload-Length"},
    {Error::tus_concat_too_large, 413, "too_large",
     "the partial uploads come to more than bigupload_max_size", L::error,
     "the partial uploads of \"{path}\" come to more than bigupload_max_size"},
    // -- the IETF draft --
    {Error::ietf_unsupported_version, 400, "unsupported_version",
     "Upload-Draft-Interop-Version is not a version served here (3 to 8 are)", L::error,
     "resumable-upload draft interop version \"{value}\" for \"{path}\" refused: 3 to 8 are served"},
    {Error::ietf_bad_header, 400, "bad_upload_header",
     "a resumable-upload field is malformed, repeated or not allowed here", L::error,
     "bad {header} \"{value}\" for \"{path}\": {detail}"},
    {Error::ietf_needs_complete, 400, "bad_upload_header",
     "the request needs the completeness field (Upload-Complete, or Upload-Incomplete in "
     "interop version 3)", L::error, "{detail} for \"{path}\""},
    {Error::ietf_method, 405, "method_not_allowed",
     "an upload resource takes HEAD, PATCH, DELETE and OPTIONS; a target POST, PUT, PATCH "
     "and OPTIONS", L::error, "method \"{value}\" not allowed for \"{path}\""},
    {Error::ietf_media_type, 415, "unsupported_media_type",
     "an append is labelled Content-Type: application/partial-upload", L::error,
     "an append to \"{path}\" of Content-Type \"{value}\" refused"},
    {Error::ietf_inconsistent_length, 400, "length_mismatch",
     "the upload's length indicators disagree", L::error,
     "inconsistent length of \"{path}\": {detail}"},
    {Error::ietf_no_filename, 409, "is_collection",
     "a creation at a directory needs a Content-Disposition filename", L::error,
     "a creation at the directory \"{path}\" without a Content-Disposition filename"},
    {Error::ietf_bad_filename, 400, "bad_path",
     "the Content-Disposition filename is not a plain file name", L::error,
     "the Content-Disposition filename \"{value}\" for \"{path}\" is not a plain file name"},
    {Error::ietf_not_found, 404, "not_found", "no such upload resource", L::none, ""},
    {Error::ietf_append_too_large, 413, "too_large",
     "the append is larger than Upload-Limit's max-append-size", L::error,
     "an append of {bytes} bytes to \"{path}\" is over max-append-size {limit}"},
    {Error::ietf_length_exceeded, 400, "length_mismatch",
     "the upload went past its length", L::error,
     "an append to \"{path}\" went past the upload's length {limit}"},
    {Error::superseded, 409, "superseded",
     "a newer request for this upload ended this one", L::info,
     "a request for \"{path}\" was ended by a newer one for the same upload after {bytes} bytes"},
    {Error::ietf_no_prefix, 500, "internal",
     "upload resources need a prefix location", L::error,
     "the IETF draft needs a prefix location for its upload resources, \"{path}\" is in another"},
    // -- forms --
    {Error::form_method_not_allowed, 405, "method_not_allowed", "a form is sent with POST",
     L::error, "method \"{method}\" with a form's body for \"{path}\" not allowed"},
    {Error::form_not_directory, 400, "bad_path",
     "a form is posted to a directory: end the URI with \"/\"", L::error,
     "a form posted to \"{path}\", not to a directory"},
    {Error::bad_form, 400, "bad_form", "malformed multipart/form-data body", L::error,
     "bad form for \"{path}\" ({value}): {detail}"},
    {Error::form_bad_filename, 400, "bad_filename", "bad file name in the form", L::error,
     "file name \"{value}\" in the form for \"{path}\" refused: {detail}"},
    {Error::form_duplicate_file, 400, "bad_filename", "the form sends one file name twice",
     L::error, "file name \"{value}\" twice in the form for \"{path}\""},
    {Error::form_unnamed_data, 400, "bad_filename",
     "a file part without a file name holds data", L::error,
     "a file part without a file name holds data in the form for \"{path}\""},
    {Error::form_no_file, 400, "no_file", "the form holds no file: choose at least one",
     L::error, "a form without a file for \"{path}\""},
    {Error::form_too_large, 413, "too_large", "the form exceeds bigupload_form_max_size",
     L::error, "the form for \"{path}\" exceeds bigupload_form_max_size {limit}"},
    {Error::form_file_too_large, 413, "too_large",
     "a file of the form exceeds bigupload_max_size", L::error,
     "file \"{value}\" of the form for \"{path}\" exceeds bigupload_max_size {limit}"},
    {Error::form_too_many_files, 413, "too_large",
     "the form has more files than bigupload_form_max_files", L::error,
     "the form for \"{path}\" has more than bigupload_form_max_files {limit} files"},
    {Error::form_fields_too_large, 413, "too_large",
     "the form's fields exceed bigupload_form_fields", L::error,
     "the fields of the form for \"{path}\" exceed bigupload_form_fields {limit}"},

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
    case Outcome::too_many_ranges: return Error::too_many_ranges;
    case Outcome::file_digest_mismatch: return Error::file_digest_mismatch;
    case Outcome::finished: return Error::exists;
    case Outcome::cancelled: return Error::cancelled;
    case Outcome::corrupt: return Error::partial_corrupt;
    case Outcome::precondition_failed: return Error::precondition_failed;
    case Outcome::exists: return Error::exists;
    case Outcome::appeared: return Error::appeared;
    case Outcome::is_directory: return Error::is_directory;
    // the front-end names the error; one that does not is a bug
    case Outcome::refused: return Error::internal;
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
