/*
 * Thread-pool tasks of a request: one step of its upload (open, finish,
 * abort) or a front-end's call, one at a time; the hash and write lanes of a
 * streaming body are in ngx_http_bigupload_pipeline.cpp.  The thread only
 * calls the core and records the outcome; everything else (logging,
 * answering, finalizing) happens back on the event loop, in the completion
 * handler, which hands the outcome on: an open to the engine, a finish or a
 * call to the request's front-end.
 */

#include "ngx_http_bigupload.h"

#include <ctime>


static void ngx_http_bigupload_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_thread_done(ngx_event_t *ev);


/*
 * A request's reusable task, allocated on first use: its thread gets "data"
 * (a pointer, copied into the task), its completion event "event_data".
 */

ngx_thread_task_t *
ngx_http_bigupload_task(ngx_http_request_t *r, ngx_thread_task_t **slot, void *data,
    void (*handler)(void *data, ngx_log_t *log), void *event_data,
    ngx_event_handler_pt done)
{
    ngx_thread_task_t  *task = *slot;

    if (task == nullptr) {
        task = ngx_thread_task_alloc(r->pool, sizeof(void *));
        if (task == nullptr) {
            return nullptr;
        }

        *(void **) task->ctx = data;
        task->handler = handler;
        task->event.data = event_data;
        task->event.handler = done;

        *slot = task;
    }

    return task;
}


ngx_int_t
ngx_http_bigupload_post(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    ngx_http_bigupload_op_e op)
{
    ngx_thread_task_t  *task;

    task = ngx_http_bigupload_task(r, &ctx->task, ctx, ngx_http_bigupload_thread,
                                   r, ngx_http_bigupload_thread_done);
    if (task == nullptr) {
        return NGX_ERROR;
    }

    ctx->op = op;

    if (ngx_thread_task_post(ctx->conf->thread_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_bigupload_task_posted(r, ctx);

    return NGX_OK;
}


/* as ngx_http_upstream_thread_handler(): the request is blocked while a
 * thread uses its memory */

void
ngx_http_bigupload_task_posted(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ctx->in_flight++;
    r->main->blocked++;
    r->aio = 1;

    if (!ctx->guard.timer_set) {
        ngx_add_timer(&ctx->guard, NGX_HTTP_BIGUPLOAD_GUARD);
    }
}


void
ngx_http_bigupload_task_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    r->main->blocked--;

    if (ctx == nullptr) {
        r->aio = 0;
        return;
    }

    ctx->in_flight--;

    if (ctx->in_flight) {
        return;
    }

    r->aio = 0;

    if (ctx->guard.timer_set) {
        ngx_del_timer(&ctx->guard);
    }
}


/* runs on a pool thread: the core call only, no logging, no nginx calls */

static void
ngx_http_bigupload_thread(void *data, ngx_log_t *log)
{
    ngx_http_bigupload_ctx_t  *ctx = *(ngx_http_bigupload_ctx_t **) data;
    std::int64_t               now = (std::int64_t) time(nullptr);

    ctx->fserr = bigupload::FsError();

    try {
        switch (ctx->op) {

        case ngx_http_bigupload_op_open:
            ctx->outcome = ctx->upload->open(now, ctx->fserr);
            break;

        case ngx_http_bigupload_op_finish:
            ctx->outcome = ctx->upload->finish(true, ctx->conf->fsync, now, ctx->fserr);
            break;

        case ngx_http_bigupload_op_abort:
            /* a body over the size limit can never make a valid file */
            ctx->outcome = ctx->upload->abort(ctx->error != bigupload::Error::too_large_body,
                                              ctx->conf->fsync, now, ctx->fserr);
            break;

        case ngx_http_bigupload_op_call:
            ctx->outcome = ctx->call(now, ctx->fserr);
            break;

        case ngx_http_bigupload_op_none:
            break;
        }

    } catch (...) {
        ctx->thread_exception = true;
    }
}


static void
ngx_http_bigupload_thread_done(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_bigupload_ctx_t  *ctx;

    r = (ngx_http_request_t *) ev->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = (ngx_http_bigupload_ctx_t *)
              ngx_http_get_module_ctx(r, ngx_http_bigupload_module);

    ngx_http_bigupload_task_done(r, ctx);

    if (ctx == nullptr) {
        /* the request was redirected internally meanwhile */
        ngx_http_bigupload_resume(r);
        return;
    }

    ngx_http_bigupload_guarded(c->log, "a task's completion", [&] {

        if (ctx->thread_exception) {
            ctx->thread_exception = false;
            ngx_http_bigupload_internal_error(r, ctx, "exception on the thread pool");
            return;
        }

        switch (ctx->op) {

        case ngx_http_bigupload_op_open:
            ngx_http_bigupload_opened(r, ctx);
            break;

        case ngx_http_bigupload_op_finish:
            ngx_http_bigupload_finished(r, ctx);
            ctx->fe->done(r, ctx);
            break;

        case ngx_http_bigupload_op_call:
            ctx->fe->done(r, ctx);
            break;

        case ngx_http_bigupload_op_abort:
            /* what the upload did is undone: the failure is answered */
            ctx->phase = ngx_http_bigupload_phase_answer;
            break;

        case ngx_http_bigupload_op_none:
            break;
        }

    }, [&] {
        ngx_http_bigupload_internal_error(r, ctx, "exception after a thread task");
    });

    ngx_http_bigupload_resume(r);
}


void
ngx_http_bigupload_resume(ngx_http_request_t *r)
{
    ngx_connection_t  *c = r->connection;

    /* as ngx_http_upstream_thread_event_handler(): nginx may have replaced
     * the write handler to terminate the request while the task ran */

    if (r->done) {
        c->write->handler(c->write);

    } else {
        r->write_event_handler(r);
        ngx_http_run_posted_requests(c);
    }
}


void
ngx_http_bigupload_guard_handler(ngx_event_t *ev)
{
    /* a day with a task in flight: nothing to do but wait on */
}
