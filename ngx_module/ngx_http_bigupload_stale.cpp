/*
 * Ending stale requests.  A client whose connection broke mid-body resumes
 * with a new request (the IETF draft's HEAD, PATCH or DELETE) while the old
 * one may still be in flight on the server, its connection half-open.  The
 * draft recommends ending the old request first, so that the offset the new
 * one reports is final and an append at it is accepted.
 *
 * A request that writes into a server-named partial (ctx->partial_id) is
 * watched while its body streams: its slot in the status zone carries the
 * partial's id and a stop flag, which a timer polls (a half-open connection
 * sends no events to wake it).  A newer request for the same partial sets
 * the flags of every such slot, in every worker of this nginx, and waits
 * until none is in flight any more (the old requests record what they hold
 * first), at most NGX_HTTP_BIGUPLOAD_STALE_WAIT; in its own worker it ends
 * the old ones at once.  An untracked request (a full zone) is ended only
 * from its own worker.  Across two nginx servers sharing a store nothing is
 * ended: the old request goes on until nginx's client_body_timeout.
 */

#include "ngx_http_bigupload.h"

#include <map>


/* how often a watched request looks at its stop flag, and a waiting one at
 * the requests it waits for (milliseconds) */
#define NGX_HTTP_BIGUPLOAD_STALE_POLL    200
#define NGX_HTTP_BIGUPLOAD_STALE_RECHECK 20

/* the longest a request waits for older ones to end */
#define NGX_HTTP_BIGUPLOAD_STALE_WAIT    10000


static void ngx_http_bigupload_stale_poll(ngx_event_t *ev);
static void ngx_http_bigupload_stale_wait(ngx_event_t *ev);
static void ngx_http_bigupload_supersede(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_uint_t ngx_http_bigupload_stale_busy(const std::string &id, ngx_uint_t stop);


/* this worker's watched requests, by partial id */
static std::multimap<std::string, ngx_http_bigupload_ctx_t *>  ngx_http_bigupload_watched;


/* what a waiting request goes on with */
struct ngx_http_bigupload_waiter_t {
    ngx_http_bigupload_go_pt  go;
    ngx_msec_t                deadline;
};


/* the upload's body starts streaming: watched until the request ends */

void
ngx_http_bigupload_watch_stale(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->partial_id.empty()) {
        return;
    }

    ngx_http_bigupload_watched.emplace(ctx->partial_id, ctx);

    ctx->stale.handler = ngx_http_bigupload_stale_poll;
    ctx->stale.data = r;
    ctx->stale.log = r->connection->log;
    ctx->stale.cancelable = 1;

    ngx_add_timer(&ctx->stale, NGX_HTTP_BIGUPLOAD_STALE_POLL);
}


/* the request has ended (answered, or its pool is going) */

void
ngx_http_bigupload_unwatch_stale(ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->stale.timer_set) {
        ngx_del_timer(&ctx->stale);
    }

    if (ctx->stale.posted) {
        ngx_delete_posted_event(&ctx->stale);
    }

    auto range = ngx_http_bigupload_watched.equal_range(ctx->partial_id);

    for (auto it = range.first; it != range.second; ++it) {
        if (it->second == ctx) {
            ngx_http_bigupload_watched.erase(it);
            break;
        }
    }

    ngx_http_bigupload_landed(ctx);
}


static void
ngx_http_bigupload_stale_poll(ngx_event_t *ev)
{
    ngx_http_request_t        *r = (ngx_http_request_t *) ev->data;
    ngx_http_bigupload_ctx_t  *ctx = ngx_http_bigupload_get_ctx(r);

    if (ctx == nullptr || ctx->phase != ngx_http_bigupload_phase_body || ctx->failed) {
        return;
    }

    if (!ctx->superseded && !ngx_http_bigupload_stopped(ctx)) {
        ngx_add_timer(ev, NGX_HTTP_BIGUPLOAD_STALE_POLL);
        return;
    }

    ngx_http_set_log_request(r->connection->log, r);
    ngx_http_bigupload_supersede(r, ctx);
}


/* ends a watched request: it keeps what it holds (the abort records it) */

static void
ngx_http_bigupload_supersede(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::ErrorArgs  a;

    a.path = ctx->remote_path;
    a.bytes = ctx->received;

    ctx->superseded = 1;

    ngx_http_bigupload_fail(r, ctx, bigupload::Error::superseded, a);
    ngx_http_bigupload_drive(r);
}


/* the watched requests for "id": here (asked to end at once) and in the
 * status zone (every worker's, asked to end with "stop") */

static ngx_uint_t
ngx_http_bigupload_stale_busy(const std::string &id, ngx_uint_t stop)
{
    ngx_uint_t  n = 0;

    auto range = ngx_http_bigupload_watched.equal_range(id);

    for (auto it = range.first; it != range.second; ++it) {
        ngx_http_bigupload_ctx_t  *old = it->second;

        n++;

        /* not from inside this loop: ending it may end the request */
        if (stop && !old->superseded) {
            old->superseded = 1;

            if (old->stale.timer_set) {
                ngx_del_timer(&old->stale);
            }

            ngx_post_event(&old->stale, &ngx_posted_events);
        }
    }

    return ngx_max(n, ngx_http_bigupload_in_flight(id, stop));
}


/*
 * Before a request about the partial ctx->partial_id runs: older requests in
 * flight for it are ended first.  Runs "go" now (and returns what it
 * returns) when there are none; else returns NGX_DONE and runs "go" once they
 * are gone, finalizing the request with its result.
 */

ngx_int_t
ngx_http_bigupload_end_stale(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    ngx_http_bigupload_go_pt go)
{
    if (ctx->partial_id.empty() || ngx_http_bigupload_stale_busy(ctx->partial_id, 1) == 0) {
        return go(r, ctx);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "bigupload: ending the requests in flight for the upload of \"%s\"",
                  ctx->remote_path.empty() ? ctx->partial_id.c_str()
                                           : ctx->remote_path.c_str());

    auto w = std::make_shared<ngx_http_bigupload_waiter_t>();

    w->go = go;
    w->deadline = ngx_current_msec + NGX_HTTP_BIGUPLOAD_STALE_WAIT;
    ctx->stale_wait = w;

    ctx->stale.handler = ngx_http_bigupload_stale_wait;
    ctx->stale.data = r;
    ctx->stale.log = r->connection->log;

    ngx_add_timer(&ctx->stale, NGX_HTTP_BIGUPLOAD_STALE_RECHECK);

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_bigupload_stale_wait(ngx_event_t *ev)
{
    ngx_http_request_t        *r = (ngx_http_request_t *) ev->data;
    ngx_connection_t          *c = r->connection;
    ngx_http_bigupload_ctx_t  *ctx = ngx_http_bigupload_get_ctx(r);

    ngx_http_set_log_request(c->log, r);

    ngx_http_bigupload_guarded(c->log, "a wait for older requests", [&] {
        auto  *w = (ngx_http_bigupload_waiter_t *) ctx->stale_wait.get();

        if ((ngx_msec_int_t) (w->deadline - ngx_current_msec) > 0
            && ngx_http_bigupload_stale_busy(ctx->partial_id, 0))
        {
            ngx_add_timer(ev, NGX_HTTP_BIGUPLOAD_STALE_RECHECK);
            return;
        }

        /* the wait's own reference goes with this finalization */
        ngx_http_finalize_request(r, w->go(r, ctx));

    }, [&] {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    });

    ngx_http_run_posted_requests(c);
}
