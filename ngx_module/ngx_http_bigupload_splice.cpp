/*
 * The zero-copy body path: the rest of a Content-Length body over HTTP/1.x
 * without TLS goes from the socket into the upload's file by splice(2),
 * through a pipe, on the thread pool; the bytes never pass through this
 * process's memory.  The file's digest is computed from its pages behind
 * the writes, by a task of its own that runs alongside the next splice
 * (Upload::hash_spliced()), never more than NGX_HTTP_BIGUPLOAD_HASH_LAG
 * behind.  What nginx read with the header
 * and in its first read goes through the ring first; once the ring is empty
 * the socket is the pool's.  bigupload_splice off, TLS, chunked bodies,
 * HTTP/2 and forms keep the ring (ngx_http_bigupload_body.cpp).
 *
 * nginx's body reading is left where it stopped, as for a body read in
 * place: rb->rest follows the bytes spliced, and once the last one is in
 * r->reading_body is cleared, as ngx_http_read_unbuffered_request_body()
 * would, so that the connection may be kept alive.
 */

#include "ngx_http_bigupload.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <array>
#include <ctime>
#include <mutex>
#include <vector>


static ngx_uint_t ngx_http_bigupload_may_splice(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_splice_post(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_splice_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_splice_done(ngx_event_t *ev);
static void ngx_http_bigupload_hash_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_hash_done(ngx_event_t *ev);


/* what one task splices at most before the event loop counts it (the
 * status's progress, $bigupload_bytes) */
#define NGX_HTTP_BIGUPLOAD_SPLICE_TASK  (8 * 1024 * 1024)

/* the pipe's size: one splice from the socket moves at most that */
#define NGX_HTTP_BIGUPLOAD_PIPE         (1024 * 1024)

/* how far the hash may lag behind the splices (the bytes between are read
 * back from the page cache): the socket waits beyond */
#define NGX_HTTP_BIGUPLOAD_HASH_LAG     (32 * 1024 * 1024)

/* what one hash task hashes at most */
#define NGX_HTTP_BIGUPLOAD_HASH_TASK    (8 * 1024 * 1024)


/*
 * The worker's spare pipes.  A splice task takes one (or makes it) on its
 * thread and gives it back, empty, before it ends, so that a worker holds
 * no more pipes than tasks run at once (the pool's threads), however many
 * uploads wait for theirs; one whose bytes could not all be put in a file
 * is closed (what it holds belongs to no one).  The spares are closed when
 * the last upload that splices ends: a worker holds no pipe while it
 * splices nothing.
 */

static std::mutex                        ngx_http_bigupload_pipes_lock;
static std::vector<std::array<int, 2>>  ngx_http_bigupload_pipes;
static ngx_uint_t                        ngx_http_bigupload_splicing;


/* on a pool thread */
static bool
ngx_http_bigupload_take_pipe(ngx_http_bigupload_splice_t *s)
{
    {
        std::lock_guard<std::mutex>  lock(ngx_http_bigupload_pipes_lock);

        if (!ngx_http_bigupload_pipes.empty()) {
            s->pipe = ngx_http_bigupload_pipes.back();
            ngx_http_bigupload_pipes.pop_back();
            return true;
        }
    }

    int  fd[2];

    if (pipe2(fd, O_CLOEXEC | O_NONBLOCK) == -1) {
        return false;
    }

    /* a smaller pipe (fs.pipe-max-size) only means more splices */
    (void) fcntl(fd[1], F_SETPIPE_SZ, NGX_HTTP_BIGUPLOAD_PIPE);

    s->pipe = {fd[0], fd[1]};
    return true;
}


/* on a pool thread */
static void
ngx_http_bigupload_give_pipe(ngx_http_bigupload_splice_t *s, bool broken)
{
    if (s->pipe[0] == -1) {
        return;
    }

    if (broken) {
        close(s->pipe[0]);
        close(s->pipe[1]);
    } else {
        std::lock_guard<std::mutex>  lock(ngx_http_bigupload_pipes_lock);
        ngx_http_bigupload_pipes.push_back(s->pipe);
    }

    s->pipe = {-1, -1};
}


/* a request that spliced ends (no task in flight) */

void
ngx_http_bigupload_splice_end(ngx_http_bigupload_ctx_t *ctx)
{
    if (!ctx->splicing) {
        return;
    }

    ctx->splicing = 0;

    if (--ngx_http_bigupload_splicing == 0) {
        /* no task is in flight: every pipe is a spare */
        std::lock_guard<std::mutex>  lock(ngx_http_bigupload_pipes_lock);

        for (auto &p : ngx_http_bigupload_pipes) {
            close(p[0]);
            close(p[1]);
        }
        ngx_http_bigupload_pipes.clear();
    }
}


/*
 * Called by the body reader where it would read the socket: true when the
 * socket is (or is about to be) the zero-copy path's, and nothing is to be
 * read by nginx any more.
 */

ngx_uint_t
ngx_http_bigupload_spliced(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_buf_t         *fill;
    ngx_connection_t  *c = r->connection;

    if (!ctx->splicing) {
        if (!ngx_http_bigupload_may_splice(r, ctx)) {
            return 0;
        }

        /* what nginx read goes to the file first, through the ring: the
         * partly filled buffer joins it, and the socket waits for the lanes
         * to write it all */
        if (!ctx->ring.full()) {
            fill = &ctx->bufs[ctx->ring.filling()];

            if (fill->last > fill->pos) {
                ctx->ring.push();
                ngx_http_bigupload_pipeline(r, ctx);
            }
        }

        if (!ctx->ring.empty() || ctx->hash_lane.busy || ctx->write_lane.busy) {
            if (c->read->timer_set) {
                ngx_del_timer(c->read);
            }
            return 1;
        }

        /* the ring is done with: its last buffer goes, and nginx's read
         * buffer, which may point into it, points nowhere (or goes) */
        ngx_http_bigupload_give_buffers(ctx);

        ngx_buf_t  *b = r->request_body->buf;

        if (!ctx->read_buf_freed) {
            /* nginx's own read buffer, never pointed into the ring: not
             * needed again (one in the header buffer is not the pool's) */
            ctx->read_buf_freed = 1;
            (void) ngx_pfree(r->pool, b->start);
        }

        b->start = b->pos = b->last = b->end = nullptr;

        ctx->splicing = 1;
        ngx_http_bigupload_splicing++;
        ctx->splice.fd = c->fd;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "bigupload: splicing the body's %O bytes left", r->request_body->rest);
    }

    ngx_http_bigupload_splice_post(r, ctx);

    return 1;
}


/*
 * Whether the rest of the body may be spliced: a Content-Length body over
 * HTTP/1.x without TLS, into an upload that takes spliced bytes, whose
 * limit the declared length keeps, with all nginx read consumed.
 */

static ngx_uint_t
ngx_http_bigupload_may_splice(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_http_request_body_t  *rb = r->request_body;

    if (!ctx->conf->splice || !ngx_http_bigupload_in_place(r) || !ctx->upload->splices()) {
        return 0;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        return 0;
    }
#endif

    off_t  max = ctx->max_body >= 0 ? ctx->max_body : ctx->conf->max_size;

    if (max != 0 && r->headers_in.content_length_n > max) {
        return 0;
    }

    return rb != nullptr && rb->bufs == nullptr && rb->rest > 0
           && rb->buf != nullptr && rb->buf->pos == rb->buf->last;
}


/* the socket has something (or the client's end): a task splices it; else
 * it is waited for, as nginx waits for a body */

static void
ngx_http_bigupload_splice_post(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_connection_t          *c = r->connection;
    ngx_thread_task_t         *task;
    ngx_http_core_loc_conf_t  *clcf;
    bigupload::ErrorArgs       a;

    if (ctx->splice.busy) {
        return;
    }

    if (ctx->upload->hashing()
        && ctx->spliced - ctx->splice.hashed >= NGX_HTTP_BIGUPLOAD_HASH_LAG)
    {
        /* the hash catches up first; the client waits, not timed out */
        if (c->read->timer_set) {
            ngx_del_timer(c->read);
        }
        return;
    }

    a.path = ctx->remote_path;
    a.bytes = ctx->received;

    if (c->read->timedout) {
        c->timedout = 1;
        ctx->reading = 0;
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT, "client timed out");
        ngx_http_bigupload_fail(r, ctx, bigupload::Error::bad_body, a,
                                NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (!c->read->ready) {
        clcf = (ngx_http_core_loc_conf_t *)
                   ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        if (!c->read->timer_set) {
            ngx_add_timer(c->read, clcf->client_body_timeout);
        }

        if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
            ngx_http_bigupload_internal_error(r, ctx, "cannot wait for the body");
        }
        return;
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    task = ngx_http_bigupload_task(r, &ctx->splice.task, ctx,
                                   ngx_http_bigupload_splice_thread, r,
                                   ngx_http_bigupload_splice_done);

    /* the thread's input: what is left of the body on the socket */
    ctx->splice.rest = r->request_body->rest;

    if (task == nullptr || ngx_thread_task_post(ctx->conf->thread_pool, task) != NGX_OK) {
        std::string  pool((const char *) ctx->conf->thread_pool_name.data,
                          ctx->conf->thread_pool_name.len);
        a.value = pool;
        ngx_http_bigupload_fail(r, ctx, bigupload::Error::cannot_post, a);
        return;
    }

    ctx->splice.busy = true;
    ngx_http_bigupload_task_posted(r, ctx);
}


/* runs on a pool thread: syscalls and core calls only, no logging */

static void
ngx_http_bigupload_splice_thread(void *data, ngx_log_t *log)
{
    ngx_http_bigupload_ctx_t     *ctx = *(ngx_http_bigupload_ctx_t **) data;
    ngx_http_bigupload_splice_t  &s = ctx->splice;
    s.moved = 0;
    s.eof = false;
    s.again = false;
    s.sock_err = 0;
    s.outcome = bigupload::Outcome::ok;
    s.fserr = bigupload::FsError();

    s.broken = false;

    try {
        if (!ngx_http_bigupload_take_pipe(&s)) {
            s.outcome = bigupload::Outcome::error;
            s.fserr = bigupload::fs_error("pipe2", "(a pipe to splice the body through)");
            return;
        }

        while (s.rest > s.moved && s.moved < NGX_HTTP_BIGUPLOAD_SPLICE_TASK) {
            size_t   want = (size_t) ngx_min(s.rest - s.moved,
                                             (off_t) NGX_HTTP_BIGUPLOAD_PIPE);
            ssize_t  n = splice(s.fd, nullptr, s.pipe[1], nullptr, want,
                                SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

            if (n == -1 && errno == EINTR) {
                continue;
            }

            if (n == 0) {
                s.eof = true;
                break;
            }

            if (n == -1) {
                if (errno == EAGAIN) {
                    s.again = true;
                } else {
                    s.sock_err = errno;
                }
                break;
            }

            s.outcome = ctx->upload->splice(s.pipe[0], (size_t) n,
                                            (std::int64_t) time(nullptr), s.fserr);

            if (s.outcome != bigupload::Outcome::ok) {
                s.broken = true;
                break;
            }

            s.moved += n;
        }

    } catch (...) {
        s.broken = true;
        s.thread_exception = true;
    }

    ngx_http_bigupload_give_pipe(&s, s.broken);
}


static void
ngx_http_bigupload_splice_done(ngx_event_t *ev)
{
    char                          peek;
    ngx_connection_t             *c;
    ngx_http_request_t           *r;
    ngx_http_bigupload_ctx_t     *ctx;
    bigupload::ErrorArgs          a;

    r = (ngx_http_request_t *) ev->data;
    c = r->connection;
    ctx = ngx_http_bigupload_get_ctx(r);

    ngx_http_set_log_request(c->log, r);

    ngx_http_bigupload_splice_t  &s = ctx->splice;

    s.busy = false;
    ngx_http_bigupload_task_done(r, ctx);

    ngx_http_bigupload_guarded(c->log, "a splice's completion", [&] {

        /* what reached the file counts, also when the task stopped at a
         * failure: nginx's own count goes with it */
        r->request_body->rest -= s.moved;
        r->request_length += s.moved;
        ctx->received += s.moved;
        ctx->spliced += s.moved;
        ngx_http_bigupload_track_progress(ctx);

        a.path = ctx->remote_path;
        a.bytes = ctx->received;

        if (s.thread_exception) {
            s.thread_exception = false;
            ctx->lane_failed = 1;
            ngx_http_bigupload_internal_error(r, ctx, "exception on the thread pool");
            return;
        }

        if (s.outcome != bigupload::Outcome::ok) {
            ctx->lane_failed = 1;
            if (!ctx->failed) {
                ctx->outcome = s.outcome;
                ctx->fserr = s.fserr;
                ngx_http_bigupload_fail_outcome(r, ctx);
            }
            return;
        }

        if (ctx->failed) {
            /* ended meanwhile (a newer request of the upload) */
            return;
        }

        if (r->request_body->rest == 0) {
            /* the whole body is in the file, as nginx would have it */
            ctx->reading = 0;
            ctx->nginx_done = 1;
            ctx->body_done = 1;
            r->reading_body = 0;
            r->read_event_handler = ngx_http_block_reading;
            return;
        }

        if (s.eof || s.sock_err) {
            if (s.eof) {
                ngx_log_error(NGX_LOG_INFO, c->log, 0,
                              "client prematurely closed connection");
            } else {
                ngx_log_error(NGX_LOG_INFO, c->log, s.sock_err, "splice() failed");
            }

            c->error = 1;
            ctx->reading = 0;
            ngx_http_bigupload_fail(r, ctx, bigupload::Error::client_closed, a,
                                    NGX_HTTP_BAD_REQUEST);
            return;
        }

        if (s.again) {
            /* the thread found the socket empty, but an event may have
             * come while it ran (epoll is edge-triggered): a look without
             * reading tells */
            c->read->ready = 0;

            ssize_t  n = recv(c->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT);

            if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
                c->read->ready = 1;
            }
        }

    }, [&] {
        ngx_http_bigupload_internal_error(r, ctx, "exception after a splice");
    });

    ngx_http_bigupload_resume(r);
}


/*
 * The hash behind the splices: a task hashes what was spliced and not yet
 * hashed (up to NGX_HTTP_BIGUPLOAD_HASH_TASK), alongside the next splice.
 * NGX_OK when one was posted, NGX_DECLINED when there is nothing to hash
 * (or a hash is in flight), NGX_ERROR when it cannot be posted (failed).
 */

ngx_int_t
ngx_http_bigupload_splice_hash(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_thread_task_t            *task;
    ngx_http_bigupload_splice_t  &s = ctx->splice;

    if (!ctx->splicing || s.hash_busy || ctx->hash_failed || !ctx->upload->hashing()
        || s.hashed >= ctx->spliced)
    {
        return NGX_DECLINED;
    }

    task = ngx_http_bigupload_task(r, &s.hash_task, ctx, ngx_http_bigupload_hash_thread,
                                   r, ngx_http_bigupload_hash_done);

    if (task == nullptr) {
        return NGX_ERROR;
    }

    s.hashing = ngx_min(ctx->spliced - s.hashed, (off_t) NGX_HTTP_BIGUPLOAD_HASH_TASK);

    if (ngx_thread_task_post(ctx->conf->thread_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    s.hash_busy = true;
    ngx_http_bigupload_task_posted(r, ctx);

    return NGX_OK;
}


/* nothing spliced is left to hash */

ngx_uint_t
ngx_http_bigupload_splice_hashed(ngx_http_bigupload_ctx_t *ctx)
{
    return !ctx->splicing || !ctx->upload->hashing() || ctx->splice.hashed >= ctx->spliced;
}


/* runs on a pool thread: the core call only */

static void
ngx_http_bigupload_hash_thread(void *data, ngx_log_t *log)
{
    ngx_http_bigupload_ctx_t     *ctx = *(ngx_http_bigupload_ctx_t **) data;
    ngx_http_bigupload_splice_t  &s = ctx->splice;

    s.hash_err = bigupload::FsError();

    try {
        s.hash_ok = ctx->upload->hash_spliced((size_t) s.hashing, s.hash_err);

    } catch (...) {
        s.hash_ok = false;
        s.hash_exception = true;
    }
}


static void
ngx_http_bigupload_hash_done(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_bigupload_ctx_t  *ctx;

    r = (ngx_http_request_t *) ev->data;
    c = r->connection;
    ctx = ngx_http_bigupload_get_ctx(r);

    ngx_http_set_log_request(c->log, r);

    ngx_http_bigupload_splice_t  &s = ctx->splice;

    s.hash_busy = false;
    ngx_http_bigupload_task_done(r, ctx);

    ngx_http_bigupload_guarded(c->log, "a hash's completion", [&] {

        if (s.hash_exception) {
            s.hash_exception = false;
            ctx->hash_failed = 1;
            ngx_http_bigupload_internal_error(r, ctx, "exception on the thread pool");
            return;
        }

        if (!s.hash_ok) {
            /* what it did not hash is not claimed (a resumable upload keeps
             * what is both written and hashed) */
            ctx->hash_failed = 1;
            if (!ctx->failed) {
                ctx->outcome = bigupload::Outcome::error;
                ctx->fserr = s.hash_err;
                ngx_http_bigupload_fail_outcome(r, ctx);
            }
            return;
        }

        s.hashed += s.hashing;

    }, [&] {
        ngx_http_bigupload_internal_error(r, ctx, "exception after a hash");
    });

    ngx_http_bigupload_resume(r);
}
