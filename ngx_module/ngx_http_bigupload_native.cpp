/*
 * The native dialect, a front-end: PUT or POST of a whole file (a plain
 * upload), the same with an Upload-Key (a resumable one, its partial named
 * by the target path), HEAD to ask what the server holds, DELETE to cancel.
 * It parses with the core (proto/native.hpp), starts the engine, and turns
 * the engine's outcomes into answers.  Requests in other dialects, or that
 * it does not understand, are refused there, never stored as a file.
 */

#include "ngx_http_bigupload.h"

#include "engine/partial_store.hpp"
#include "engine/plain.hpp"
#include "engine/resumable.hpp"
#include "proto/digest_fields.hpp"
#include "proto/native.hpp"
#include "report/response.hpp"


static ngx_int_t ngx_http_bigupload_native_detect(ngx_http_request_t *r);
static ngx_int_t ngx_http_bigupload_native_handler(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_native_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_native_upload(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, bigupload::NativeRequest &nr,
    bigupload::Target &target);
static void ngx_http_bigupload_native_finished(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);


const ngx_http_bigupload_frontend_t  ngx_http_bigupload_native = {
    "native",
    NGX_HTTP_BIGUPLOAD_NATIVE,
    ngx_http_bigupload_native_detect,
    ngx_http_bigupload_native_handler,
    ngx_http_bigupload_native_done,
};


/* what a HEAD found: the partial, or a finished file */
struct ngx_http_bigupload_native_query_t {
    bigupload::PartialInfo  info;
};


/* the native dialect takes whatever no other front-end claims */

static ngx_int_t
ngx_http_bigupload_native_detect(ngx_http_request_t *r)
{
    return 1;
}


static ngx_int_t
ngx_http_bigupload_native_handler(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Error          e;
    bigupload::Target         target;
    bigupload::ErrorArgs      a;
    bigupload::HttpRequest    hr;
    bigupload::NativeRequest  nr;
    bigupload::NativeRefusal  why;

    ngx_http_bigupload_http_request(r, hr);

    bool parsed = bigupload::parse_native(hr, nr, why);

    if (parsed || why.error != bigupload::Error::method_not_allowed) {
        ctx->kind = nr.op == bigupload::NativeOp::upload ? ngx_http_bigupload_kind_upload
                    : nr.op == bigupload::NativeOp::query ? ngx_http_bigupload_kind_query
                    : ngx_http_bigupload_kind_cancel;
    }

    a.method = hr.method;
    a.header = why.header;
    a.value = why.value;
    a.message = why.detail;
    a.detail = why.detail.empty() ? bigupload::error_info(why.error).message
                                  : std::string_view(why.detail);
    a.bytes = why.bytes;

    /* what the method and the key say is refused first, then the path */
    if (!parsed && (why.error == bigupload::Error::method_not_allowed
                    || why.error == bigupload::Error::bad_upload_key))
    {
        if (why.error == bigupload::Error::method_not_allowed) {
            ctx->answer.headers.emplace_back("Allow", "PUT, POST, HEAD, DELETE");
        }
        return ngx_http_bigupload_refuse(r, ctx, why.error, a);
    }

    bigupload::ErrorArgs  pa;

    e = ngx_http_bigupload_target(r, ctx, target, pa);
    if (e != bigupload::Error::none) {
        pa.path = ctx->remote_path;
        return ngx_http_bigupload_refuse(r, ctx, e, pa);
    }

    a.path = ctx->remote_path;

    if (!parsed) {
        return ngx_http_bigupload_refuse(r, ctx, why.error, a);
    }

    if (nr.op == bigupload::NativeOp::upload) {
        return ngx_http_bigupload_native_upload(r, ctx, nr, target);
    }

    /* HEAD and DELETE: about the partial of this path (with a key: only
     * that key's; DELETE without one removes whichever is there) */

    ngx_http_bigupload_register_store(ctx->conf, target.root);

    auto store = std::make_shared<bigupload::PartialStore>(target.root, target.opt);
    auto shared_target = std::make_shared<bigupload::Target>(std::move(target));
    std::string id = bigupload::native_partial_id(ctx->remote_path);
    std::string key = nr.key;

    if (nr.op == bigupload::NativeOp::query) {
        auto q = std::make_shared<ngx_http_bigupload_native_query_t>();

        ctx->fe_ctx = q;

        return ngx_http_bigupload_call(r, ctx,
            [store, shared_target, id, key, q](std::int64_t, bigupload::FsError &fe) {
                return bigupload::query_partial(*store, id, key, *shared_target, q->info, fe);
            });
    }

    return ngx_http_bigupload_call(r, ctx,
        [store, id, key](std::int64_t, bigupload::FsError &fe) {
            return store->cancel(id, key, fe);
        });
}


/* PUT or POST: a plain upload, or a range of a resumable one */

static ngx_int_t
ngx_http_bigupload_native_upload(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::NativeRequest &nr, bigupload::Target &target)
{
    bigupload::ErrorArgs  a;
    off_t                 end = r->headers_in.content_length_n;
    off_t                 max = ctx->conf->max_size;

    a.path = ctx->remote_path;

    if (!nr.key.empty()) {
        end = nr.range.end ? (off_t) *nr.range.end : -1;

        if (nr.range.total && max && (off_t) *nr.range.total > max) {
            end = (off_t) *nr.range.total;
        }
    }

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked
#if (NGX_HTTP_V2)
        /* an HTTP/2 request ended with its headers has an empty body */
        && r->stream == nullptr
#endif
       )
    {
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::length_required, a);
    }

    if (max && end > max) {
        a.bytes = end;
        a.limit = max;
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::too_large, a);
    }

    if (nr.key.empty()) {
        return ngx_http_bigupload_upload(r, ctx,
                   std::make_unique<bigupload::PlainUpload>(std::move(target),
                                                            nr.range.total,
                                                            std::move(nr.range.checks)),
                   r->headers_in.content_length_n);
    }

    ngx_http_bigupload_register_store(ctx->conf, target.root);

    off_t        length = nr.range.total ? (off_t) *nr.range.total : -1;
    std::string  root = target.root;
    auto         opt = target.opt;

    return ngx_http_bigupload_upload(r, ctx,
               std::make_unique<bigupload::ResumableUpload>(
                   bigupload::PartialStore(root, opt),
                   bigupload::native_partial_id(ctx->remote_path), nr.key,
                   std::move(target), nr.range),
               length);
}


/* an engine operation is done: the answer */

static void
ngx_http_bigupload_native_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Outcome  o = ctx->outcome;

    if (ctx->op == ngx_http_bigupload_op_finish) {
        ngx_http_bigupload_native_finished(r, ctx);
        return;
    }

    if (ctx->kind == ngx_http_bigupload_kind_query) {
        auto *q = (ngx_http_bigupload_native_query_t *) ctx->fe_ctx.get();

        if (o == bigupload::Outcome::ok) {
            ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(),
                bigupload::native_progress_headers(q->info.state,
                                                   q->info.state.updated + ctx->conf->expire));
            return;
        }

        if (o == bigupload::Outcome::not_found && q->info.target.exists) {
            ctx->answer.content_length = (off_t) q->info.target.size;
            ngx_http_bigupload_set_answer(ctx, NGX_HTTP_OK, std::string(),
                bigupload::native_complete_headers(q->info.target.size,
                                                   q->info.target.digest));
            return;
        }

        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    /* DELETE */

    if (o == bigupload::Outcome::ok) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: cancelled the partial upload of \"%s\"",
                      ctx->remote_path.c_str());
        ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(), {});
        return;
    }

    ngx_http_bigupload_fail_outcome(r, ctx);
}


static void
ngx_http_bigupload_native_finished(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Upload  *u = ctx->upload.get();

    switch (ctx->outcome) {

    case bigupload::Outcome::created:
    case bigupload::Outcome::replaced:
    {
        const bigupload::FileDigest  &d = u->digest();
        std::string                   rd = bigupload::repr_digest(d);
        std::vector<bigupload::HeaderField>  h;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: stored \"%s\" (%uL bytes, %s %s)",
                      u->target_path().c_str(), (uint64_t) u->size(),
                      d.alg ? bigupload::digest_name(*d.alg) : "no digest", d.hex().c_str());

        if (!rd.empty()) {
            h.emplace_back("Repr-Digest", rd);
        }

        ctx->answer.location = ctx->outcome == bigupload::Outcome::created;
        ngx_http_bigupload_set_answer(ctx,
            ctx->outcome == bigupload::Outcome::created ? NGX_HTTP_CREATED : NGX_HTTP_OK,
            bigupload::stored_json(ctx->remote_path, u->size(), d), std::move(h));
        return;
    }

    default:
        break;
    }

    if (!u->resumable()) {
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    /* a range of a resumable upload */

    auto  *p = static_cast<bigupload::ResumableUpload *>(u);

    switch (ctx->outcome) {

    case bigupload::Outcome::completed_elsewhere:
        ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(),
            {{"Upload-Offset", std::to_string(*p->state().length)},
             {"Upload-Complete", "?1"}});
        return;

    case bigupload::Outcome::incomplete:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: received %uL bytes at %uL of \"%s\", holding %uL",
                      (uint64_t) p->written(), (uint64_t) p->offset(),
                      ctx->remote_path.c_str(),
                      (uint64_t) p->state().received.total());

        ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(),
            bigupload::native_progress_headers(p->state(),
                                               p->state().updated + ctx->conf->expire));
        return;

    default:
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }
}
