// The one table of the module's errors: for each, the HTTP status, the JSON
// error code, the message for the client, the level it is logged at and the
// log line's text.  Every answer of every front-end, every log line of a
// failed request and the status counters take them from here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/path.hpp"
#include "base/range.hpp"
#include "engine/outcome.hpp"

namespace bigupload {

enum class LogLevel {
    none,        // not logged (e.g. a HEAD that finds nothing)
    info,        // the client went away
    error,       // the client's fault
    crit,        // a syscall failed
    alert,       // a bug or a broken invariant
};

enum class Error {
    none,

    // the request
    method_not_allowed,
    status_method_not_allowed,
    bad_format,
    bad_path,
    is_collection,
    path_too_long,
    bad_upload_key,
    bad_upload_header,
    needs_upload_key,
    bad_content_range,
    range_not_satisfiable,
    range_length_mismatch,
    upload_range_beyond,
    upload_length_mismatch,
    protocol_not_enabled,
    unsupported_media_type,
    length_required,
    too_large,
    too_large_body,
    bad_precondition,

    // what the store says
    precondition_failed,
    exists,
    appeared,
    is_directory,
    upload_key_mismatch,
    length_mismatch,
    beyond_length,
    offset_mismatch,
    digest_mismatch,
    too_many_ranges,
    file_digest_mismatch,
    bad_digest_field,
    cancelled,
    partial_corrupt,
    not_found,

    // a failed syscall, by errno
    no_space,
    quota_exceeded,
    file_too_large,
    forbidden,
    read_only,
    fs_exists,
    no_parent,
    not_a_directory,
    fs_is_directory,
    symlink,
    fs_path_too_long,
    cross_device,
    io_error,

    // the body
    client_closed,
    client_closed_early,
    bad_body,

    // bigupload_pass: the backend failed (the file may be kept)
    backend,

    // the front-ends' own (each front-end adds its rows in its block, in the
    // table in the same order)
    // -- tus --
    tus_version,
    tus_method,
    tus_bad_header,
    tus_media_type,
    tus_bad_filename,
    tus_not_found,
    tus_gone,
    tus_checksum_mismatch,
    tus_final_patch,
    tus_finished,
    tus_bad_part,
    tus_length_mismatch,
    tus_beyond_length,
    tus_concat_too_large,
    // -- the IETF draft --
    ietf_unsupported_version,
    ietf_bad_header,
    ietf_needs_complete,
    ietf_method,
    ietf_media_type,
    ietf_inconsistent_length,
    ietf_no_filename,
    ietf_bad_filename,
    ietf_not_found,
    ietf_append_too_large,
    ietf_length_exceeded,
    superseded,
    ietf_no_prefix,
    // -- forms --
    form_method_not_allowed,
    form_not_directory,
    bad_form,
    form_bad_filename,
    form_duplicate_file,
    form_unnamed_data,
    form_no_file,
    form_too_large,
    form_file_too_large,
    form_too_many_files,
    form_fields_too_large,

    // the module itself
    internal,
    no_memory,
    no_store,
    cannot_post,
    body_in_file,
};

struct ErrorInfo {
    Error error;
    int status;              // HTTP status to answer
    const char *code;        // stable code for the JSON body and the counters
    const char *message;     // for the client
    LogLevel level;
    // the log line after "bigupload: ", with {path} {value} {header}
    // {detail} {bytes} {limit} {method} {op} {file} to fill in ("" when the
    // error is not logged)
    const char *log;
};

const ErrorInfo &error_info(Error e);

// What a log line (or a message) is filled in with.
struct ErrorArgs {
    std::string_view path;       // the remote path, or the file's path
    std::string_view value;      // the offending value
    std::string_view header;     // the offending header's name
    std::string_view detail;     // for the log line: more about it
    std::string_view message;    // the client's message, when more precise
                                 // than the table's
    std::string_view method;
    std::string_view op;         // the failed syscall
    std::string_view file;       // the path it failed on
    std::int64_t bytes = -1;
    std::int64_t limit = -1;
};

// The log line of an error, without the "bigupload: " prefix.  The values
// are escaped: a control character or a backslash in one is "\xNN", so the
// line is one line whatever the client sent.
std::string error_log_line(Error e, const ErrorArgs &a);

// The client's message: "detail" when the error has one, else the table's.
std::string error_message(Error e, std::string_view detail = std::string_view());

// The error of a failed syscall (ENOSPC -> no_space, …); io_error for an
// errno the table does not name.
Error error_for_errno(int err);

// The error of an outcome that is a failure (none for ok, incomplete,
// created, replaced, completed_elsewhere; io_error for error, whose errno
// the caller knows).
Error error_for_outcome(Outcome o);

// The error of a bad remote path or Content-Range (whose own messages are
// the details).
Error error_for_path(PathError e);
Error error_for_content_range(ContentRangeError e);

// Every entry, for the tests and the counters.
const ErrorInfo *error_table(std::size_t &count);

}  // namespace bigupload
