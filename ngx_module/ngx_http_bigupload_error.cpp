/*
 * Failures, all through the core's errors table (proto/errors.hpp): the
 * status, the JSON code, the client's message, the log level and the log
 * line of every error come from there.  Client faults are logged at error,
 * failed syscalls at crit with errno and the quoted path, a client that went
 * away at info, bugs at alert; every line begins with "bigupload: ".
 */

#include "ngx_http_bigupload.h"

#include "report/response.hpp"


static void ngx_http_bigupload_log(ngx_log_t *log, bigupload::Error e,
    const bigupload::ErrorArgs &args, ngx_err_t err);


static ngx_uint_t
ngx_http_bigupload_level(bigupload::LogLevel l)
{
    switch (l) {
    case bigupload::LogLevel::info: return NGX_LOG_INFO;
    case bigupload::LogLevel::error: return NGX_LOG_ERR;
    case bigupload::LogLevel::crit: return NGX_LOG_CRIT;
    case bigupload::LogLevel::alert: return NGX_LOG_ALERT;
    case bigupload::LogLevel::none: break;
    }
    return 0;
}


static void
ngx_http_bigupload_log(ngx_log_t *log, bigupload::Error e, const bigupload::ErrorArgs &args,
    ngx_err_t err)
{
    const bigupload::ErrorInfo  &info = bigupload::error_info(e);
    ngx_uint_t                   level = ngx_http_bigupload_level(info.level);

    if (level == 0 || log->log_level < level) {
        return;
    }

    std::string  line = bigupload::error_log_line(e, args);

    ngx_log_error(level, log, err, "bigupload: %s", line.c_str());
}


/*
 * An error answered from the content handler, before any body is read:
 * logged, counted (the context says how the request ended) and sent.
 */

ngx_int_t
ngx_http_bigupload_refuse(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::Error e, const bigupload::ErrorArgs &args)
{
    ngx_int_t                    rc;
    ngx_http_bigupload_answer_t  a;

    const bigupload::ErrorInfo  &info = bigupload::error_info(e);

    ngx_http_bigupload_log(r->connection->log, e, args, 0);

    rc = ngx_http_bigupload_refuse_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx->failed = 1;
    ctx->phase = ngx_http_bigupload_phase_done;
    ctx->error = e;
    ctx->status = info.status;
    ctx->error_message = bigupload::error_message(e, args.message);

    a.status = info.status;
    a.body = bigupload::error_json(info.code, ctx->error_message);
    a.headers = std::move(ctx->answer.headers);

    if (ctx->fe && ctx->fe->failure) {
        ctx->fe->failure(r, ctx, a);
    }

    return ngx_http_bigupload_send(r, a);
}


/*
 * Records a failure (the first one only), logged unless "log" is 0; the
 * upload undoes what it did on the thread pool and the error is answered
 * once no task is in flight.  "status" overrides the table's (nginx's own,
 * for a body it could not read).
 */

void
ngx_http_bigupload_fail(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::Error e, const bigupload::ErrorArgs &args, ngx_uint_t status,
    ngx_uint_t log)
{
    if (ctx->failed) {
        return;
    }

    const bigupload::ErrorInfo  &info = bigupload::error_info(e);

    if (log) {
        ngx_http_bigupload_log(r->connection->log, e, args, 0);
    }

    ctx->failed = 1;
    ctx->error = e;
    ctx->status = status ? status : (ngx_uint_t) info.status;
    ctx->error_message = bigupload::error_message(e, args.message);

    if (r->connection->error || ctx->status == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        ctx->client_gone = 1;
    }

    if (ctx->reading) {
        ctx->reading = 0;
        r->read_event_handler = ngx_http_block_reading;
    }
}


/* the failure of an engine step: ctx->outcome, and ctx->fserr for a syscall */

void
ngx_http_bigupload_fail_outcome(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Error      e;
    bigupload::ErrorArgs  a;
    ngx_err_t             err = 0;

    if (ctx->failed) {
        return;
    }

    if (ctx->outcome == bigupload::Outcome::refused && ctx->refused) {
        /* the dialect knows why */
        ctx->refused(r, ctx);
        return;
    }

    if (ctx->outcome == bigupload::Outcome::error) {
        e = bigupload::error_for_errno(ctx->fserr.err);
        err = ctx->fserr.err;
        a.op = ctx->fserr.op;
        a.file = ctx->fserr.path;

    } else {
        /* the dialect's own answer first, then the table's */
        e = ctx->outcome_error ? ctx->outcome_error(r, ctx) : bigupload::Error::none;

        if (e == bigupload::Error::none) {
            e = bigupload::error_for_outcome(ctx->outcome);
        }
    }

    /* the file's path where the upload knows it, else the remote path */
    a.path = ctx->upload && !ctx->upload->target_path().empty()
             ? std::string_view(ctx->upload->target_path())
             : std::string_view(ctx->remote_path);
    /* where this request's bytes got to, and the length declared */
    if (ctx->upload) {
        a.bytes = (std::int64_t) (ctx->upload->offset() + ctx->upload->written());
        a.limit = ctx->upload->length() ? (std::int64_t) *ctx->upload->length() : -1;
    }

    ngx_http_bigupload_log(r->connection->log, e, a, err);
    ngx_http_bigupload_fail(r, ctx, e, a, 0, 0);
}


/* a failed syscall outside any request's answer (the status' listing) */

void
ngx_http_bigupload_log_fs(ngx_log_t *log, const bigupload::FsError &fe)
{
    bigupload::ErrorArgs  a;

    a.op = fe.op;
    a.file = fe.path;

    ngx_http_bigupload_log(log, bigupload::error_for_errno(fe.err), a, fe.err);
}


/* a bug (an exception): logged, and answered with a plain 500 */

void
ngx_http_bigupload_internal_error(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    const char *what)
{
    bigupload::ErrorArgs  a;

    a.detail = what;

    ngx_http_bigupload_fail(r, ctx, bigupload::Error::internal, a);

    /* even should recording it have failed */
    ctx->failed = 1;
    if (ctx->status == 0) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


/*
 * After an exception in an event handler: no answer is built any more, the
 * request is ended with a plain 500 once no task is in flight (what the
 * upload left goes with the request's pool).  Never throws.
 */

void
ngx_http_bigupload_abandon(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ctx->failed = 1;
    ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    r->read_event_handler = ngx_http_block_reading;

    if (ctx->in_flight) {
        /* the completion calls drive(), which answers the failure */
        ctx->reading = 0;
        return;
    }

    ctx->phase = ngx_http_bigupload_phase_done;
    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


/* called from a catch block: says what was thrown */

void
ngx_http_bigupload_log_exception(ngx_log_t *log, const char *where) noexcept
{
    try {
        throw;

    } catch (const std::exception &e) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "bigupload: exception in %s: %s", where,
                      e.what());

    } catch (...) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "bigupload: unknown exception in %s", where);
    }
}
