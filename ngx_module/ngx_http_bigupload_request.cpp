/*
 * The request context: created for every request of a bigupload or
 * bigupload_status location, found again after an internal redirect,
 * deleted with the request's pool.  And what every front-end asks of a
 * request: its headers as the core's HttpRequest, its remote path and the
 * target in the store.
 */

#include "ngx_http_bigupload.h"

#include "base/path.hpp"


static void ngx_http_bigupload_cleanup(void *data);
static ngx_int_t ngx_http_bigupload_remote_path(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf, ngx_str_t *root, std::string &path,
    std::vector<std::string> &segments, bigupload::PathError &err);
static ngx_int_t ngx_http_bigupload_root(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf, ngx_str_t *root, std::string_view &uri);
static void ngx_http_bigupload_options(ngx_http_bigupload_loc_conf_t *conf,
    bigupload::Target &target);
static void ngx_http_bigupload_detached_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_detached_done(ngx_event_t *ev);


/* requests in progress in this worker, for a fast shutdown */
static ngx_queue_t  ngx_http_bigupload_live;


/*
 * Every request of a bigupload location gets its state, errors answered
 * from the handler too: the variables and the counters read it.
 */

ngx_http_bigupload_ctx_t *
ngx_http_bigupload_create_ctx(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf)
{
    ngx_time_t                      *tp;
    ngx_pool_cleanup_t              *cln;
    ngx_http_bigupload_ctx_t        *ctx;
    ngx_http_bigupload_main_conf_t  *bmcf;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == nullptr) {
        return nullptr;
    }

    ctx = new ngx_http_bigupload_ctx_t();

    cln->handler = ngx_http_bigupload_cleanup;
    cln->data = ctx;

    bmcf = (ngx_http_bigupload_main_conf_t *)
               ngx_http_get_module_main_conf(r, ngx_http_bigupload_module);

    tp = ngx_timeofday();

    ctx->request = r;
    ctx->conf = conf;
    ctx->zone = bmcf->zone;
    ctx->start_ms = (int64_t) tp->sec * 1000 + tp->msec;

    ctx->guard.handler = ngx_http_bigupload_guard_handler;
    ctx->guard.data = r;
    ctx->guard.log = r->connection->log;

    ctx->idle.handler = ngx_http_bigupload_idle_handler;
    ctx->idle.data = r;
    ctx->idle.log = r->connection->log;
    ctx->idle.cancelable = 1;

    ctx->live.ctx = ctx;
    ngx_queue_insert_tail(&ngx_http_bigupload_live, &ctx->live.queue);

    ngx_http_set_ctx(r, ctx, ngx_http_bigupload_module);

    return ctx;
}


/*
 * The request's state, also after an internal redirect (bigupload_pass),
 * which clears the modules' contexts: then it is found by its pool cleanup,
 * as the realip module finds its own.
 */

ngx_http_bigupload_ctx_t *
ngx_http_bigupload_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = (ngx_http_bigupload_ctx_t *)
              ngx_http_get_module_ctx(r, ngx_http_bigupload_module);

    if (ctx || !r->internal) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_bigupload_cleanup) {
            return (ngx_http_bigupload_ctx_t *) cln->data;
        }
    }

    return nullptr;
}


/*
 * Runs when the request's pool goes, on every path (success, error, client
 * gone, worker shutdown).  No task is in flight then: r->blocked keeps the
 * pool alive while one is.  What only the upload knows of (a plain upload's
 * temp file) is removed on the thread pool by a task that owns the upload
 * from now on.
 */

static void
ngx_http_bigupload_cleanup(void *data)
{
    ngx_http_bigupload_ctx_t  *ctx = (ngx_http_bigupload_ctx_t *) data;

    ngx_queue_remove(&ctx->live.queue);

    if (ctx->guard.timer_set) {
        ngx_del_timer(&ctx->guard);
    }

    if (ctx->idle.timer_set) {
        ngx_del_timer(&ctx->idle);
    }

    ngx_http_bigupload_guarded(ngx_cycle->log, "a request's cleanup", [&] {
        ngx_http_bigupload_unwatch_stale(ctx);
        ngx_http_bigupload_untrack(ctx, 1);

        if (ctx->upload && !ctx->upload->temp_path().empty()) {
            bigupload::Upload  *upload = ctx->upload.get();

            /* the destructor closes the file and removes the temp file */
            if (ngx_http_bigupload_detach(ctx->conf->thread_pool, ngx_cycle->log,
                                          [upload] { delete upload; })
                == NGX_OK)
            {
                (void) ctx->upload.release();
            }
        }
    }, [] {});

    /* no task is in flight: the ring's buffers go back, and the worker's
     * spare pipes once no upload splices */
    ngx_http_bigupload_give_buffers(ctx);
    ngx_http_bigupload_splice_end(ctx);

    /* what is left (if posting failed) is removed right here */
    delete ctx;
}


void
ngx_http_bigupload_init_live(void)
{
    ngx_queue_init(&ngx_http_bigupload_live);
}


/* a fast shutdown: what the requests in progress would leave as orphans */

void
ngx_http_bigupload_exit_live(void)
{
    ngx_queue_t               *q;
    ngx_http_bigupload_ctx_t  *ctx;

    for (q = ngx_queue_head(&ngx_http_bigupload_live);
         q != ngx_queue_sentinel(&ngx_http_bigupload_live);
         q = ngx_queue_next(q))
    {
        ctx = (ngx_queue_data(q, ngx_http_bigupload_live_t, queue))->ctx;

        if (ctx->upload) {
            ctx->upload->discard();
        }

        /* its slot would outlive this process */
        ngx_http_bigupload_untrack(ctx, 0);
    }
}


/* the request as the core's parsers see it: views into nginx's memory */

void
ngx_http_bigupload_http_request(ngx_http_request_t *r, bigupload::HttpRequest &rq)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    rq.method = std::string_view((const char *) r->method_name.data, r->method_name.len);
    rq.content_length = r->headers_in.content_length_n;
    rq.chunked = r->headers_in.chunked;
    rq.streamed = false;

#if (NGX_HTTP_V2)
    /* an HTTP/2 request without content-length streams until END_STREAM */
    rq.streamed = r->stream != nullptr && rq.content_length < 0 && !rq.chunked;
#endif

    rq.fields.clear();

    part = &r->headers_in.headers.part;
    h = (ngx_table_elt_t *) part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == nullptr) {
                break;
            }

            part = part->next;
            h = (ngx_table_elt_t *) part->elts;
            i = 0;
        }

        if (h[i].hash == 0) {
            continue;
        }

        rq.fields.emplace_back(std::string_view((const char *) h[i].key.data, h[i].key.len),
                               std::string_view((const char *) h[i].value.data,
                                                h[i].value.len));
    }
}


/*
 * The target of an upload request: the store, the remote path (validated),
 * the options and the preconditions.  A refusal comes back as an error
 * with what its log line needs.  With "directory" the path must be a
 * directory's ("/dir/", or the location itself: a form's), and "target"
 * holds its segments; without, it must be a file's, or, with "name", the
 * file of that name in the directory the URI names.
 */

bigupload::Error
ngx_http_bigupload_target(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::Target &target, bigupload::ErrorArgs &why, bool directory,
    std::string_view name)
{
    ngx_int_t                       rc;
    ngx_str_t                       root = ngx_null_string;
    std::string                     path;
    std::vector<std::string>        segments;
    bigupload::Preconditions        pre;
    ngx_http_bigupload_loc_conf_t  *conf = ctx->conf;

    bigupload::PathError  perr = bigupload::PathError::ok;

    rc = ngx_http_bigupload_remote_path(r, conf, &root, path, segments, perr);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? bigupload::Error::no_store : bigupload::Error::no_memory;
    }

    if (directory && perr == bigupload::PathError::collection) {
        /* "/a/b/" is the directory a/b, "/" the store itself */
        perr = path.size() > 1
               ? bigupload::split_remote_path(std::string_view(path).substr(0, path.size() - 1),
                                              segments)
               : bigupload::PathError::ok;

    } else if (directory && perr == bigupload::PathError::ok) {
        ctx->remote_path = path;
        return bigupload::Error::form_not_directory;

    } else if (perr == bigupload::PathError::collection && !name.empty()) {
        /* a file the request names in the directory its URI names (the
         * caller checked that "name" is one segment) */
        path.append(name);
        perr = bigupload::split_remote_path(path, segments);
    }

    if (perr != bigupload::PathError::ok) {
        std::string_view raw((const char *) r->unparsed_uri.data, r->unparsed_uri.len);
        why.value = raw.substr(0, raw.find('?'));
        why.detail = bigupload::path_error_message(perr);
        why.message = why.detail;
        return bigupload::error_for_path(perr);
    }

    ctx->remote_path = path;

    /* nginx refuses either given twice: one line each, or none */
    std::optional<std::string_view>  if_match, if_none_match;
    bigupload::PreconditionRefusal   pwhy;

    if (r->headers_in.if_match) {
        if_match = std::string_view((const char *) r->headers_in.if_match->value.data,
                                    r->headers_in.if_match->value.len);
    }

    if (r->headers_in.if_none_match) {
        if_none_match = std::string_view(
            (const char *) r->headers_in.if_none_match->value.data,
            r->headers_in.if_none_match->value.len);
    }

    if (!bigupload::parse_preconditions(if_match, if_none_match, pre, pwhy)) {
        why.header = pwhy.header;
        why.value = pwhy.value;
        why.detail = pwhy.detail;
        why.message = pwhy.detail;
        return bigupload::Error::bad_precondition;
    }

    target.root.assign((const char *) root.data, root.len);
    target.remote_path = path;
    target.segments = std::move(segments);
    ngx_http_bigupload_options(conf, target);
    target.pre = std::move(pre);

    return bigupload::Error::none;
}


/*
 * The store of a request that names no target (an upload resource, whose
 * target is in its partial's state): its root and options, and the URI
 * below the root as "remote_path" (not validated: for answers and logs).
 */

bigupload::Error
ngx_http_bigupload_store_of(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::Target &target)
{
    ngx_str_t         root = ngx_null_string;
    std::string_view  uri;

    ngx_int_t rc = ngx_http_bigupload_root(r, ctx->conf, &root, uri);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? bigupload::Error::no_store : bigupload::Error::no_memory;
    }

    target = bigupload::Target();
    target.root.assign((const char *) root.data, root.len);
    target.remote_path.assign(uri);
    if (target.remote_path.empty() || target.remote_path[0] != '/') {
        target.remote_path.insert(0, "/");
    }
    ngx_http_bigupload_options(ctx->conf, target);

    return bigupload::Error::none;
}


static void
ngx_http_bigupload_options(ngx_http_bigupload_loc_conf_t *conf, bigupload::Target &target)
{
    target.opt.create_dirs = conf->create_dirs;
    target.opt.overwrite = conf->overwrite;
    target.opt.file_mode = (mode_t) conf->access;
    target.opt.dir_mode = bigupload::dir_mode_for((mode_t) conf->access);

    if (conf->digest) {
        target.digest = (bigupload::DigestAlg) conf->digest;
    } else {
        target.digest.reset();
    }
}


/*
 * The remote path is the request's URI below the location's prefix (with
 * bigupload_store), or what root/alias map it to.  The raw URI is validated
 * too, since nginx has already resolved "." and ".." segments in r->uri.
 * A bad path comes back in "err" with NGX_OK;
 * NGX_DECLINED for an empty store, NGX_ERROR when out of memory.
 */

static ngx_int_t
ngx_http_bigupload_remote_path(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf, ngx_str_t *root, std::string &path,
    std::vector<std::string> &segments, bigupload::PathError &err)
{
    std::string_view raw((const char *) r->unparsed_uri.data, r->unparsed_uri.len);
    raw = raw.substr(0, raw.find('?'));

    err = bigupload::parse_remote_path(raw, segments);

    if (err != bigupload::PathError::ok && err != bigupload::PathError::collection) {
        return NGX_OK;
    }

    std::string_view uri;

    ngx_int_t rc = ngx_http_bigupload_root(r, conf, root, uri);
    if (rc != NGX_OK) {
        return rc;
    }

    path.assign(uri);

    /* "/upload" itself is the location as a collection; an alias maps
     * "/upload/a" to "a" */
    if (path.empty() || (conf->store == nullptr && path[0] != '/')) {
        path.insert(0, "/");
    }

    /* r->uri is decoded already: validate it as it is */
    err = bigupload::split_remote_path(path, segments);

    return NGX_OK;
}


/*
 * The store's root for the request, and the part of its URI below it.
 * NGX_DECLINED for an empty store, NGX_ERROR when out of memory.
 */

static ngx_int_t
ngx_http_bigupload_root(ngx_http_request_t *r, ngx_http_bigupload_loc_conf_t *conf,
    ngx_str_t *root, std::string_view &uri)
{
    size_t                     root_len;
    ngx_str_t                  full;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = (ngx_http_core_loc_conf_t *) ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    uri = std::string_view((const char *) r->uri.data, r->uri.len);

    if (conf->store) {
        if (ngx_http_complex_value(r, conf->store, root) != NGX_OK) {
            return NGX_ERROR;
        }

        if (root->len == 0) {
            return NGX_DECLINED;
        }

        /* a relative store is relative to nginx's prefix, as root is */
        if (ngx_get_full_name(r->pool, (ngx_str_t *) &ngx_cycle->prefix, root) != NGX_OK) {
            return NGX_ERROR;
        }

        if (!clcf->regex && !clcf->named && uri.size() >= clcf->name.len) {
            size_t  prefix = clcf->name.len;

            if (prefix && clcf->name.data[prefix - 1] == '/') {
                prefix--;
            }

            uri.remove_prefix(prefix);
        }

    } else {
        if (ngx_http_map_uri_to_path(r, &full, &root_len, 0) == nullptr) {
            return NGX_ERROR;
        }

        root->data = full.data;
        root->len = root_len;

        /* full.len counts the trailing NUL */
        uri = std::string_view((const char *) full.data + root_len, full.len - 1 - root_len);
    }

    return NGX_OK;
}


/*
 * Runs "fn" on the thread pool, owned by no request: the removal of what a
 * request leaves behind.  Never throws.
 */

typedef struct {
    std::function<void()>  *fn;
    std::function<void()>  *done;
} ngx_http_bigupload_detached_t;


ngx_int_t
ngx_http_bigupload_detach(ngx_thread_pool_t *tp, ngx_log_t *log,
    std::function<void()> fn, std::function<void()> done)
{
    ngx_thread_task_t              *task;
    ngx_http_bigupload_detached_t  *d;

    task = (ngx_thread_task_t *) ngx_calloc(sizeof(ngx_thread_task_t)
                                            + sizeof(ngx_http_bigupload_detached_t),
                                            log);
    if (task == nullptr) {
        return NGX_ERROR;
    }

    d = (ngx_http_bigupload_detached_t *) (task + 1);

    try {
        d->fn = new std::function<void()>(std::move(fn));
        d->done = done ? new std::function<void()>(std::move(done)) : nullptr;
    } catch (...) {
        delete d->fn;
        ngx_free(task);
        return NGX_ERROR;
    }

    task->ctx = d;
    task->handler = ngx_http_bigupload_detached_thread;
    task->event.data = task;
    task->event.handler = ngx_http_bigupload_detached_done;
    task->event.log = ngx_cycle->log;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        delete d->fn;
        delete d->done;
        ngx_free(task);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_bigupload_detached_thread(void *data, ngx_log_t *log)
{
    ngx_http_bigupload_detached_t  *d = (ngx_http_bigupload_detached_t *) data;

    try {
        (*d->fn)();
    } catch (...) {
        /* nothing to report to: the request is gone */
    }
}


static void
ngx_http_bigupload_detached_done(ngx_event_t *ev)
{
    ngx_thread_task_t              *task = (ngx_thread_task_t *) ev->data;
    ngx_http_bigupload_detached_t  *d = (ngx_http_bigupload_detached_t *) task->ctx;

    if (d->done) {
        ngx_http_bigupload_guarded(ev->log, "a detached task's end", [&] { (*d->done)(); },
                                   [] {});
    }

    delete d->fn;
    delete d->done;
    ngx_free(task);
}
