/*
 * Reading an upload's body into its ring, unbuffered (nginx's
 * request_body_no_buffering): nginx's read buffer is consumed into the ring
 * buffer being filled, and a full ring stops the reading (the client is
 * slowed by TCP, not timed out) until the lanes free a buffer.  Two ways in:
 * a Content-Length body over HTTP/1.x is read by nginx straight into the
 * ring (in place); a chunked or HTTP/2 body is copied out of nginx's buffer.
 * The rest of a Content-Length body over HTTP/1.x without TLS skips the ring
 * altogether: ngx_http_bigupload_splice.cpp.
 */

#include "ngx_http_bigupload.h"

#include "engine/buffer_pool.hpp"


static void ngx_http_bigupload_body_handler(ngx_http_request_t *r);
static void ngx_http_bigupload_read_in_place(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_consume(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_buf_t *ngx_http_bigupload_filling(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_waiting(ngx_http_bigupload_ctx_t *ctx);


/* the worker's spare ring buffers */
static bigupload::BufferPool  ngx_http_bigupload_spares(NGX_HTTP_BIGUPLOAD_SPARES);


/* the target is ready: the ring, and nginx's unbuffered body reading */

ngx_int_t
ngx_http_bigupload_read_body(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t             rc;
    bigupload::ErrorArgs  a;

    a.path = ctx->remote_path;

    /* the buffers themselves are taken when they are to be filled */
    ctx->bufs = (ngx_buf_t *) ngx_pcalloc(r->pool,
                                          ctx->conf->bufs.num * sizeof(ngx_buf_t));
    if (ctx->bufs == nullptr) {
        ngx_http_bigupload_fail(r, ctx, bigupload::Error::no_memory, a);
        return NGX_ERROR;
    }

    ctx->ring.reset(ctx->conf->bufs.num, ctx->conf->bufs.size);
    ctx->reading = 1;

#if (NGX_HTTP_V2)
    /* over HTTP/2 the event loop and the client (its framing) keep both
     * cores busy here: two lanes only add hand-offs (by scripts/bench and
     * an A/B), so one lane hashes and then writes each buffer */
    ctx->write_lane.both = r->stream != nullptr;
#endif

    r->request_body_no_buffering = 1;

    ngx_http_core_loc_conf_t  *clcf = (ngx_http_core_loc_conf_t *)
                                          ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    size_t                     cbbs = clcf->client_body_buffer_size;

#if (NGX_HTTP_V2)
    /* an HTTP/2 stream's window is the read buffer nginx allocates here
     * (the only use of client_body_buffer_size by its HTTP/2 body reading):
     * 1m, by scripts/bench-buffers; its pages are touched only as far as
     * the client fills the window, as nginx refills it from its start */
    if (r->stream && clcf->client_body_buffer_size < NGX_HTTP_BIGUPLOAD_H2_READ) {
        clcf->client_body_buffer_size = NGX_HTTP_BIGUPLOAD_H2_READ;
    }
#endif

    ctx->opening = 1;
    rc = ngx_http_read_client_request_body(r, ngx_http_bigupload_body_handler);
    ctx->opening = 0;

    clcf->client_body_buffer_size = cbbs;

    /* nginx installed its own handlers; ours drive the rest in any case */
    r->write_event_handler = ngx_http_bigupload_drive;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* nginx has logged why and dropped its reference */
        ctx->reading = 0;

        ngx_http_bigupload_fail(r, ctx, r->connection->error
                                        ? bigupload::Error::client_closed
                                        : bigupload::Error::bad_body,
                                a, rc, 0);
        return NGX_ERROR;
    }

    /* the body reader took a reference of its own, the handler's went with
     * the NGX_DONE it returned; drop the reader's one here as a content
     * handler would */

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_OK;
}


static void
ngx_http_bigupload_body_handler(ngx_http_request_t *r)
{
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = (ngx_http_bigupload_ctx_t *)
              ngx_http_get_module_ctx(r, ngx_http_bigupload_module);

    if (ctx == nullptr || ctx->phase == ngx_http_bigupload_phase_done) {
        return;
    }

    ctx->nginx_done = !r->reading_body;

    r->read_event_handler = ngx_http_bigupload_drive;
    r->write_event_handler = ngx_http_bigupload_drive;

    /* called from ngx_http_read_client_request_body() itself, the upload is
     * driven once that returns; HTTP/2 may call it later, from an event */
    if (!ctx->opening) {
        ngx_http_bigupload_drive(r);
    }
}


void
ngx_http_bigupload_read(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_connection_t         *c;
    ngx_http_request_body_t  *rb;
    bigupload::ErrorArgs      a;

    c = r->connection;
    rb = r->request_body;

    for ( ;; ) {
        ngx_http_bigupload_consume(r, ctx);
        ngx_http_bigupload_track_progress(ctx);

        /* a lane that is idle starts on a full buffer right away, while the
         * socket is read on */
        if (!ctx->failed) {
            ngx_http_bigupload_pipeline(r, ctx);
        }

        if (ctx->failed) {
            return;
        }

        if (rb->bufs
            || (ctx->ring.full() && !ctx->nginx_done && ngx_http_bigupload_in_place(r)))
        {
            /* the ring is full: leave the rest to nginx, which stops reading
             * once its own buffer is full too, or, when nginx reads into
             * the ring, read nothing more (its buffer may point into a full
             * ring buffer); the client must not time out while the disk
             * catches up */
            if (c->read->timer_set) {
                ngx_del_timer(c->read);
            }
            return;
        }

        if (ctx->nginx_done) {
            break;
        }

        /* the rest of the body may go from the socket to the file without
         * nginx (ngx_http_bigupload_splice.cpp) */
        if (ngx_http_bigupload_spliced(r, ctx)) {
            return;
        }

        ngx_http_bigupload_read_in_place(r, ctx);

        if (ctx->failed) {
            /* no memory for the buffer: nginx's may point into none */
            return;
        }

        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            ctx->reading = 0;

            a.path = ctx->remote_path;
            a.bytes = ctx->received;

            ngx_http_bigupload_fail(r, ctx, c->error ? bigupload::Error::client_closed
                                                     : bigupload::Error::bad_body,
                                    a, rc);
            return;
        }

        if (rc == NGX_OK) {
            ctx->nginx_done = 1;
            continue;
        }

        /* NGX_AGAIN */

        if (rb->bufs == nullptr) {
            /* all the client sent is read */
            ngx_http_bigupload_waiting(ctx);
            ngx_http_bigupload_track_progress(ctx);
            return;
        }
    }

    /* the whole body is in the ring: the partly filled buffer goes too */

    ctx->reading = 0;
    ctx->body_done = 1;

    r->read_event_handler = ngx_http_block_reading;

    if (!ctx->ring.full()) {
        ngx_buf_t *fill = &ctx->bufs[ctx->ring.filling()];

        if (fill->last > fill->pos) {
            ctx->ring.push();
        }
    }
}


/*
 * A body that broke off: what nginx read of it goes into the ring, the
 * partly filled buffer too, so that a resumable upload keeps every byte that
 * arrived.
 */

void
ngx_http_bigupload_read_rest(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->bufs == nullptr) {
        return;
    }

    if (r->request_body) {
        ngx_http_bigupload_consume(r, ctx);
    }

    if (!ctx->ring.full()) {
        ngx_buf_t  *fill = &ctx->bufs[ctx->ring.filling()];

        if (fill->last > fill->pos) {
            ctx->ring.push();
        }
    }
}


/*
 * A Content-Length body over HTTP/1.x is read by nginx straight into the ring:
 * its body buffer is pointed at the free part of the buffer being filled, so
 * that what the length filter passes on is already where consume() wants it.
 * Before every read, whenever all nginx passed on is consumed (its busy
 * buffers then are empty): nginx resets its buffer to its start once full
 * and consumed, which must then be the free part, never a full ring buffer.
 * A chunked body keeps nginx's own buffer (the chunk headers lie between the
 * data), as does HTTP/2, whose buffer also sizes the stream's window.
 */

ngx_uint_t
ngx_http_bigupload_in_place(ngx_http_request_t *r)
{
    return !r->headers_in.chunked && r->headers_in.content_length_n > 0
#if (NGX_HTTP_V2)
           && r->stream == nullptr
#endif
           ;
}


static void
ngx_http_bigupload_read_in_place(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_buf_t                *b, *fill;
    ngx_http_request_body_t  *rb;

    rb = r->request_body;
    b = rb->buf;

    if (!ngx_http_bigupload_in_place(r)
        || b == nullptr || b->pos != b->last || rb->bufs || ctx->ring.full())
    {
        return;
    }

    fill = ngx_http_bigupload_filling(r, ctx);
    if (fill == nullptr) {
        return;
    }

    if (!ctx->read_buf_freed) {
        /* nginx's own buffer took the first read and is consumed: it is
         * not needed again (a body nginx read into its header buffer is
         * not in the pool's large allocations, and stays) */
        ctx->read_buf_freed = 1;
        (void) ngx_pfree(r->pool, b->start);
    }

    b->start = fill->last;
    b->pos = fill->last;
    b->last = fill->last;
    b->end = fill->end;
}


static void
ngx_http_bigupload_consume(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    size_t                    size;
    ngx_buf_t                *b, *fill;
    ngx_chain_t              *cl, *next;
    ngx_http_request_body_t  *rb;
    bigupload::ErrorArgs      a;

    rb = r->request_body;

    off_t  max = ctx->max_body >= 0 ? ctx->max_body : ctx->conf->max_size;

    for (cl = rb->bufs; cl; cl = next) {
        b = cl->buf;

        if (b->in_file) {
            ngx_http_bigupload_fail(r, ctx, bigupload::Error::body_in_file, a);
            return;
        }

        while (b->pos < b->last) {
            if (ctx->ring.full()) {
                rb->bufs = cl;
                return;
            }

            fill = ngx_http_bigupload_filling(r, ctx);
            if (fill == nullptr) {
                rb->bufs = cl;
                return;
            }

            size = ngx_min((size_t) (b->last - b->pos), (size_t) (fill->end - fill->last));

            if (b->pos != fill->last) {
                /* not read in place: copied (the source may lie further
                 * on in this very buffer) */
                ngx_memmove(fill->last, b->pos, size);
            }

            fill->last += size;
            b->pos += size;
            ctx->received += size;

            if (fill->last == fill->end) {
                ctx->ring.push();
            }

            if (max == 0 || ctx->received <= max) {
                continue;
            }

            rb->bufs = cl;

            a.path = ctx->remote_path;
            a.limit = max;
            ngx_http_bigupload_fail(r, ctx, bigupload::Error::too_large_body, a);
            return;
        }

        next = cl->next;
        ngx_free_chain(r->pool, cl);
    }

    rb->bufs = nullptr;
}


/*
 * The buffer being filled, taken when it has no memory yet, of the size the
 * ring says; nullptr when out of memory (the upload failed).
 */

static ngx_buf_t *
ngx_http_bigupload_filling(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_buf_t             *fill = &ctx->bufs[ctx->ring.filling()];
    bigupload::ErrorArgs   a;

    if (fill->start) {
        return fill;
    }

    size_t   size = ctx->ring.buffer_size();
    u_char  *p = (u_char *) ngx_http_bigupload_spares.take(size);

    if (p == nullptr) {
        a.path = ctx->remote_path;
        ngx_http_bigupload_fail(r, ctx, bigupload::Error::no_memory, a);
        return nullptr;
    }

    fill->start = p;
    fill->pos = p;
    fill->last = p;
    fill->end = p + size;
    ctx->buffered += size;

    return fill;
}


/* a buffer the lanes are done with (or that holds nothing) goes back */

void
ngx_http_bigupload_give_buffer(ngx_http_bigupload_ctx_t *ctx, ngx_buf_t *b)
{
    if (b->start == nullptr) {
        return;
    }

    size_t  size = b->end - b->start;

    ngx_http_bigupload_spares.give(b->start, size);
    ctx->buffered -= size;

    b->start = nullptr;
    b->pos = nullptr;
    b->last = nullptr;
    b->end = nullptr;
}


/* the request is over (no task in flight): every buffer goes back */

void
ngx_http_bigupload_give_buffers(ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->bufs == nullptr) {
        return;
    }

    for (ngx_uint_t i = 0; i < ctx->ring.capacity(); i++) {
        ngx_http_bigupload_give_buffer(ctx, &ctx->bufs[i]);
    }
}


/*
 * The upload waits for its client: the ring may size its next buffers down,
 * and a buffer taken for filling that got nothing goes back (nginx's read
 * buffer may point into it, with nothing in it: it is pointed again before
 * the next read).  One that holds data goes to the lanes, and then back,
 * if the client still sends nothing for NGX_HTTP_BIGUPLOAD_IDLE.
 */

static void
ngx_http_bigupload_waiting(ngx_http_bigupload_ctx_t *ctx)
{
    ctx->ring.waiting();

    if (ctx->ring.full()) {
        return;
    }

    ngx_buf_t  *fill = &ctx->bufs[ctx->ring.filling()];

    if (fill->start && fill->last == fill->start) {
        ngx_http_bigupload_give_buffer(ctx, fill);

    } else if (fill->start && !ctx->idle.timer_set) {
        ctx->idle_received = ctx->received;
        ngx_add_timer(&ctx->idle, NGX_HTTP_BIGUPLOAD_IDLE);
    }
}


/*
 * The client sent nothing since the timer was set: the partly filled buffer
 * joins the ring as a whole one would (the lanes write it, and it goes back
 * to the spares), so that an upload waiting for its client holds no buffer
 * and what it sent is in the file.  nginx's read buffer, pointed into its
 * free part, holds nothing: it is pointed again before the next read.
 */

void
ngx_http_bigupload_idle_handler(ngx_event_t *ev)
{
    ngx_buf_t                 *fill;
    ngx_http_request_t        *r = (ngx_http_request_t *) ev->data;
    ngx_http_bigupload_ctx_t  *ctx = ngx_http_bigupload_get_ctx(r);

    if (ctx == nullptr || ctx->phase != ngx_http_bigupload_phase_body
        || !ctx->reading || ctx->failed || ctx->received != ctx->idle_received
        || ctx->ring.full() || r->request_body == nullptr || r->request_body->bufs)
    {
        return;
    }

    fill = &ctx->bufs[ctx->ring.filling()];

    if (fill->start == nullptr || fill->last == fill->start) {
        return;
    }

    ngx_http_set_log_request(r->connection->log, r);

    ctx->ring.push_idle();
    ngx_http_bigupload_resume(r);
}
