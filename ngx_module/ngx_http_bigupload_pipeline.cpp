/*
 * The engine's driver: the steps of an upload (open on the pool, the body
 * through the ring to the hash and write lanes, finish on the pool, abort
 * after a failure) and of a front-end's call, whatever the kind of upload
 * (bigupload::Upload) and whatever the dialect (the front-end, reached
 * through ctx->fe).
 *
 * While the body streams, two pool tasks work on the full ring buffers: the
 * hash lane hashes them strictly in order while the write lane writes them
 * at their offsets, so that the hash of one buffer runs alongside the write
 * of an earlier one; a buffer both are done with is refilled.
 */

#include "ngx_http_bigupload.h"

#include <ctime>

#include "engine/resumable.hpp"


static ngx_int_t ngx_http_bigupload_post_lane(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_http_bigupload_lane_t *lane,
    ngx_uint_t skip, ngx_uint_t n);
static void ngx_http_bigupload_lane_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_lane_done(ngx_event_t *ev);
static void ngx_http_bigupload_cannot_post(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_uint_t ngx_http_bigupload_keeps_body(ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_flush(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);


/*
 * Starts an upload: its open() on the thread pool, then the body, then its
 * finish(), whose outcome goes to the front-end's done().  "length" is the
 * file's declared length for the status (-1: unknown).  Returns as a
 * content handler.
 */

ngx_int_t
ngx_http_bigupload_upload(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    std::unique_ptr<bigupload::Upload> upload, off_t length)
{
    ctx->upload = std::move(upload);
    ctx->length = length;
    ctx->phase = ngx_http_bigupload_phase_open;

    /* the request lives on through the open task; the body is read after */

    r->write_event_handler = ngx_http_bigupload_drive;

    if (ngx_http_bigupload_post(r, ctx, ngx_http_bigupload_op_open) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * Runs a front-end's call (a core function: a query, a cancellation, a
 * listing) on the thread pool; its outcome goes to the front-end's done().
 */

ngx_int_t
ngx_http_bigupload_call(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    std::function<bigupload::Outcome(std::int64_t, bigupload::FsError &)> fn)
{
    ctx->call = std::move(fn);
    ctx->phase = ngx_http_bigupload_phase_call;

    r->write_event_handler = ngx_http_bigupload_drive;

    if (ngx_http_bigupload_post(r, ctx, ngx_http_bigupload_op_call) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * Work an upload leaves for after its request (hashing behind the
 * frontier): on the pool, owned by no request, again while there is more
 * and the worker is not exiting.
 */

static void
ngx_http_bigupload_behind(ngx_thread_pool_t *tp, ngx_log_t *log,
    bigupload::Upload::Background work)
{
    auto more = std::make_shared<bool>(false);
    auto err = std::make_shared<bigupload::FsError>();

    (void) ngx_http_bigupload_detach(tp, log,
        [work, more, err] { *more = work(*err); },
        [tp, log, work, more, err] {
            if (err->err) {
                ngx_http_bigupload_log_fs(log, *err);
                return;
            }
            if (*more && !ngx_exiting && !ngx_terminate) {
                ngx_http_bigupload_behind(tp, log, work);
            }
        });
}


/* the upload's finish() is done: what it leaves for later, before the
 * front-end answers */

void
ngx_http_bigupload_finished(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Upload  *u = ctx->upload.get();

    if (u->digest_fell_back()) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "bigupload: the saved digest state of \"%s\" could not be used "
                      "(damaged, or of another bigupload_digest): the file was hashed "
                      "from its start", ctx->remote_path.c_str());
    }

    if (u->digest_read_back() != 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: the digest of \"%s\" was finished by reading %uL bytes "
                      "back (bytes no request had hashed)", ctx->remote_path.c_str(),
                      (uint64_t) u->digest_read_back());
    }

    bigupload::Upload::Background  work = u->background();

    if (work) {
        ngx_http_bigupload_behind(ctx->conf->thread_pool, ngx_cycle->log, std::move(work));
    }
}


/* the upload's open() is done: read the body, unless it failed */

void
ngx_http_bigupload_opened(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::ErrorArgs  a;

    a.path = ctx->remote_path;

    if (r->connection->error || r->write_event_handler != ngx_http_bigupload_drive) {
        /* the client went away, or nginx is terminating the request: do
         * not start reading a body */
        ngx_http_bigupload_fail(r, ctx, bigupload::Error::client_closed_early, a,
                                NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (ctx->outcome != bigupload::Outcome::ok) {
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    ctx->opened = 1;
    ctx->phase = ngx_http_bigupload_phase_body;

    /* an upload resource learns where it goes from its state */
    std::string  rp = ctx->upload->remote_path();

    if (!rp.empty()) {
        ctx->remote_path = std::move(rp);
    }

    /* listed in the status from now on, with the temp file to remove should
     * this worker die */
    ngx_http_bigupload_track(r, ctx);

    /* a front-end's interim answer (the IETF draft's 104) goes out before
     * the body is read, and before nginx's own "100 Continue" */
    if (ctx->interim_status && ngx_http_bigupload_interim(r, ctx) != NGX_OK) {
        ngx_http_bigupload_fail(r, ctx, bigupload::Error::client_closed_early, a,
                                NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    /* a request that a newer one for the same upload may end */
    ngx_http_bigupload_watch_stale(r, ctx);

    (void) ngx_http_bigupload_read_body(r, ctx);
}


/*
 * The request's event handler while an upload is in progress: reads what the
 * client sent into the ring, hands full buffers to the lanes, finishes once
 * everything is hashed and written, answers once no task is in flight.
 * Safe to call at any moment.
 */

void
ngx_http_bigupload_drive(ngx_http_request_t *r)
{
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = (ngx_http_bigupload_ctx_t *)
              ngx_http_get_module_ctx(r, ngx_http_bigupload_module);

    if (ctx == nullptr || ctx->phase == ngx_http_bigupload_phase_done) {
        return;
    }

    ngx_http_bigupload_guarded(r->connection->log, "an upload's event", [&] {

        if (ctx->phase == ngx_http_bigupload_phase_body) {
            if (ctx->reading && !ctx->failed) {
                ngx_http_bigupload_read(r, ctx);
            }

            if (!ctx->failed) {
                ngx_http_bigupload_pipeline(r, ctx);
            }
        }

        if (ctx->in_flight) {
            return;
        }

        /* answering finalizes the request: nothing may touch it after */

        if (ctx->phase == ngx_http_bigupload_phase_answer) {
            ngx_http_bigupload_finish(r, ctx);
            return;
        }

        if (ctx->failed) {
            bigupload::Upload  *u = ctx->upload.get();

            /* a resumable upload whose body broke off (the client went away,
             * or a newer request ended this one) keeps every byte that
             * arrived: what is in the ring goes to the file first */
            if (u && u->pending() && u->resumable() && !ctx->hash_failed
                && !ctx->lane_failed && ctx->phase == ngx_http_bigupload_phase_body
                && ngx_http_bigupload_keeps_body(ctx))
            {
                ngx_http_bigupload_flush(r, ctx);

                if (ctx->in_flight) {
                    return;
                }
            }

            /* a resumable upload keeps what is both written and hashed:
             * the hash catches up with the writes first */
            if (u && u->pending() && u->resumable() && !ctx->hash_failed
                && ctx->ring.written() > ctx->ring.hashed()
                && ngx_http_bigupload_post_lane(r, ctx, &ctx->hash_lane,
                                                ctx->ring.hashed(),
                                                ctx->ring.written() - ctx->ring.hashed())
                   == NGX_OK)
            {
                return;
            }

            /* and with the splices */
            if (u && u->pending() && u->resumable()
                && ngx_http_bigupload_splice_hash(r, ctx) == NGX_OK)
            {
                return;
            }

            if (u && u->pending()
                && ngx_http_bigupload_post(r, ctx, ngx_http_bigupload_op_abort) == NGX_OK)
            {
                ctx->phase = ngx_http_bigupload_phase_abort;
                return;
            }

            /* nothing to undo, or no thread to do it */
            if (u) {
                u->discard();
            }
            ngx_http_bigupload_finish(r, ctx);
            return;
        }

        if (ctx->phase == ngx_http_bigupload_phase_body && ctx->body_done
            && ctx->ring.empty() && ngx_http_bigupload_splice_hashed(ctx))
        {
            ctx->phase = ngx_http_bigupload_phase_finish;

            if (ngx_http_bigupload_post(r, ctx, ngx_http_bigupload_op_finish) != NGX_OK) {
                ngx_http_bigupload_cannot_post(r, ctx);
                ctx->upload->discard();
                ngx_http_bigupload_finish(r, ctx);
            }
        }

    }, [&] {
        ngx_http_bigupload_abandon(r, ctx);
    });
}


/*
 * Whether the failure leaves the body's bytes good to keep: the client went
 * away or its body broke off (not a failed write, not a body over the size
 * limit, not a bug).
 */

static ngx_uint_t
ngx_http_bigupload_keeps_body(ngx_http_bigupload_ctx_t *ctx)
{
    return ctx->error == bigupload::Error::client_closed
           || ctx->error == bigupload::Error::bad_body
           || ctx->error == bigupload::Error::superseded;
}


/* a body that broke off: the partly filled buffer joins the ring, and the
 * lanes write what is in it */

static void
ngx_http_bigupload_flush(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->bufs == nullptr) {
        return;
    }

    if (!ctx->flushed) {
        ctx->flushed = 1;
        ngx_http_bigupload_read_rest(r, ctx);
    }

    ngx_http_bigupload_pipeline(r, ctx);
}


static void
ngx_http_bigupload_cannot_post(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::ErrorArgs  a;
    std::string           pool((const char *) ctx->conf->thread_pool_name.data,
                               ctx->conf->thread_pool_name.len);

    a.value = pool;
    ngx_http_bigupload_fail(r, ctx, bigupload::Error::cannot_post, a);
}


/*
 * Hands the full buffers that a lane has not seen to it, when it is idle;
 * a buffer that both lanes are done with is free for the body again.
 */

void
ngx_http_bigupload_pipeline(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    std::size_t         i;
    ngx_buf_t          *b;
    bigupload::Ring    &ring = ctx->ring;

    if (!ctx->upload->hashing()) {
        /* a range that does not begin at 0 is hashed from the file at the
         * end, if at all: its buffers only need writing */
        ring.hash_none();
    }

    /* a buffer both lanes are done with goes back to the worker's spares:
     * the next one is taken when needed, of the size the ring says then */
    while (ring.pop(i)) {
        b = &ctx->bufs[i];
        ngx_http_bigupload_give_buffer(ctx, b);
    }

    if (!ctx->write_lane.both && !ctx->hash_lane.busy && ring.hashed() < ring.count()
        && ngx_http_bigupload_post_lane(r, ctx, &ctx->hash_lane, ring.hashed(),
                                        ring.count() - ring.hashed())
           != NGX_OK)
    {
        ngx_http_bigupload_cannot_post(r, ctx);
        return;
    }

    if (!ctx->write_lane.busy && ring.written() < ring.count()
        && ngx_http_bigupload_post_lane(r, ctx, &ctx->write_lane, ring.written(),
                                        ring.count() - ring.written())
           != NGX_OK)
    {
        ngx_http_bigupload_cannot_post(r, ctx);
        return;
    }

    /* a spliced body's hash, behind its splices */
    if (ngx_http_bigupload_splice_hash(r, ctx) == NGX_ERROR) {
        ngx_http_bigupload_cannot_post(r, ctx);
    }
}


/* posts a lane's task for n full buffers, the first "skip" after the head */

static ngx_int_t
ngx_http_bigupload_post_lane(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    ngx_http_bigupload_lane_t *lane, ngx_uint_t skip, ngx_uint_t n)
{
    ngx_thread_task_t  *task;

    task = ngx_http_bigupload_task(r, &lane->task, lane, ngx_http_bigupload_lane_thread,
                                   lane, ngx_http_bigupload_lane_done);
    if (task == nullptr) {
        return NGX_ERROR;
    }

    lane->first = ctx->ring.at(skip);
    lane->n = ngx_min(n, (ngx_uint_t) NGX_HTTP_BIGUPLOAD_LANE_BUFS);
    lane->done = 0;

    if (ngx_thread_task_post(ctx->conf->thread_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    lane->busy = true;
    ngx_http_bigupload_task_posted(r, ctx);

    return NGX_OK;
}


/* runs on a pool thread: the core calls only, no logging, no nginx calls */

static void
ngx_http_bigupload_lane_thread(void *data, ngx_log_t *log)
{
    ngx_buf_t                  *b;
    ngx_http_bigupload_ctx_t   *ctx;
    ngx_http_bigupload_lane_t  *lane;
    bigupload::Upload          *u;

    lane = *(ngx_http_bigupload_lane_t **) data;
    ctx = lane->ctx;
    u = ctx->upload.get();

    lane->fserr = bigupload::FsError();
    lane->outcome = bigupload::Outcome::ok;

    try {
        for ( /* void */ ; lane->done < lane->n; lane->done++) {
            b = &ctx->bufs[(lane->first + lane->done) % ctx->ring.capacity()];

            if ((lane->hash || lane->both) && u->hashing()) {
                u->hash(b->pos, b->last - b->pos);
            }

            if (lane->hash) {
                continue;
            }

            lane->outcome = u->write_at(b->pos, b->last - b->pos,
                                        u->offset() + u->written(),
                                        (std::int64_t) time(nullptr), lane->fserr);

            if (lane->outcome != bigupload::Outcome::ok) {
                break;
            }
        }

    } catch (...) {
        lane->thread_exception = true;
    }
}


static void
ngx_http_bigupload_lane_done(ngx_event_t *ev)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_bigupload_ctx_t   *ctx;
    ngx_http_bigupload_lane_t  *lane;

    lane = (ngx_http_bigupload_lane_t *) ev->data;
    ctx = lane->ctx;
    r = ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    lane->busy = false;
    ngx_http_bigupload_task_done(r, ctx);

    ngx_http_bigupload_guarded(c->log, "a lane's completion", [&] {

        /* what the lane finished counts, also when it stopped at a failure */
        if (lane->hash) {
            ctx->ring.hashed_more(lane->done);

        } else {
            ctx->ring.written_more(lane->done);

            if (lane->both) {
                ctx->ring.hashed_with_writes();
            }
        }

        if (lane->thread_exception || lane->outcome != bigupload::Outcome::ok) {
            ctx->lane_failed = 1;
        }

        if (lane->thread_exception) {
            lane->thread_exception = false;

            if (lane->hash) {
                ctx->hash_failed = 1;
            }

            ngx_http_bigupload_internal_error(r, ctx, "exception on the thread pool");

        } else if (lane->outcome != bigupload::Outcome::ok && !ctx->failed) {
            ctx->outcome = lane->outcome;
            ctx->fserr = lane->fserr;
            ngx_http_bigupload_fail_outcome(r, ctx);
        }

    }, [&] {
        ngx_http_bigupload_internal_error(r, ctx, "exception after a thread task");
    });

    ngx_http_bigupload_resume(r);
}
