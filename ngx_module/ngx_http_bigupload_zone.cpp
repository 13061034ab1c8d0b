/*
 * The status zone, shared by all workers: the counters, and one slot per
 * upload in flight (what bigupload_status reports).  nginx maps a zone at
 * the same address in every worker, so the queue's pointers are valid in
 * all of them.
 */

#include "ngx_http_bigupload.h"

#include <signal.h>

#include <new>


/* a zone made by another build of the module (its counters or its slots
 * laid out otherwise) is not reused across a reload */
#define NGX_HTTP_BIGUPLOAD_ZONE_LAYOUT                                        \
    ((uint64_t) 0x6275000000000000ULL                                         \
     | ((uint64_t) sizeof(struct ngx_http_bigupload_slot_s) << 16)            \
     | sizeof(ngx_http_bigupload_shctx_t))


typedef struct {
    uint64_t                    layout;
    bigupload::StatusCounters   counters;
    ngx_queue_t                 live;      /* of ngx_http_bigupload_slot_t */
} ngx_http_bigupload_shctx_t;


struct ngx_http_bigupload_slot_s {
    ngx_queue_t                 queue;
    ngx_pid_t                   pid;
    ngx_uint_t                  resumable;
    ngx_uint_t                  protocol;      /* bigupload::protocol_index() */
    int64_t                     started_ms;    /* unix milliseconds */
    uint64_t                    offset;
    int64_t                     length;        /* -1: not declared */
    uint64_t                    received;      /* stored atomically, unlocked */
    bigupload::RateWindow       rate;          /* written unlocked, by this
                                                * slot's worker only */
    uint64_t                    buffered;      /* the ring's bytes, likewise */
    size_t                      path_len;
    size_t                      client_len;
    size_t                      temp_len;
    size_t                      id_len;        /* 0 once the request ended */
    ngx_atomic_t                stop;          /* a newer request ends it */
    u_char                      data[1];       /* path, client address, the
                                                * temp file of a plain
                                                * upload, the partial's id */
};


/* the zone, for the sweep's counts */
static ngx_shm_zone_t  *ngx_http_bigupload_zone;


void
ngx_http_bigupload_set_zone(ngx_shm_zone_t *zone)
{
    ngx_http_bigupload_zone = zone;
}


ngx_int_t
ngx_http_bigupload_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    size_t                       len;
    ngx_slab_pool_t             *shpool;
    ngx_http_bigupload_shctx_t  *sh;

    if (data) {
        /* reloaded with the same size: counters and uploads carry on, when
         * this build lays them out the same way */
        sh = (ngx_http_bigupload_shctx_t *) data;

        if (sh->layout != NGX_HTTP_BIGUPLOAD_ZONE_LAYOUT) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "bigupload: the status zone \"%V\" was made by another "
                          "build of the module: restart nginx, or give "
                          "bigupload_zone another size", &shm_zone->shm.name);
            return NGX_ERROR;
        }

        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    sh = (ngx_http_bigupload_shctx_t *)
             ngx_slab_alloc(shpool, sizeof(ngx_http_bigupload_shctx_t));
    if (sh == nullptr) {
        return NGX_ERROR;
    }

    sh->layout = NGX_HTTP_BIGUPLOAD_ZONE_LAYOUT;
    new (&sh->counters) bigupload::StatusCounters();
    sh->counters.started = (std::int64_t) ngx_time();
    ngx_queue_init(&sh->live);

    shpool->data = sh;
    shm_zone->data = sh;

    len = sizeof(" in bigupload zone \"\"") + shm_zone->shm.name.len;

    shpool->log_ctx = (u_char *) ngx_slab_alloc(shpool, len);
    if (shpool->log_ctx == nullptr) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in bigupload zone \"%V\"%Z", &shm_zone->shm.name);

    /* a full zone only leaves uploads unlisted: counted, not logged */
    shpool->log_nomem = 0;

    return NGX_OK;
}


/* lists an upload in the zone; when the zone is full it goes untracked */

void
ngx_http_bigupload_track(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    size_t                       len;
    ngx_str_t                   *client;
    ngx_slab_pool_t             *shpool;
    ngx_http_bigupload_slot_t   *slot;
    ngx_http_bigupload_shctx_t  *sh;

    if (ctx->zone == nullptr || ctx->slot) {
        return;
    }

    shpool = (ngx_slab_pool_t *) ctx->zone->shm.addr;
    sh = (ngx_http_bigupload_shctx_t *) ctx->zone->data;
    client = &r->connection->addr_text;

    std::string  temp = ctx->upload->temp_path();

    len = offsetof(ngx_http_bigupload_slot_t, data) + ctx->remote_path.size()
          + client->len + temp.size() + ctx->partial_id.size();

    ngx_shmtx_lock(&shpool->mutex);

    slot = (ngx_http_bigupload_slot_t *) ngx_slab_alloc_locked(shpool, len);

    if (slot == nullptr) {
        sh->counters.untracked++;
        ngx_shmtx_unlock(&shpool->mutex);
        return;
    }

    slot->pid = ngx_pid;
    slot->resumable = ctx->upload->resumable() ? 1 : 0;
    slot->protocol = bigupload::protocol_index(ctx->fe ? ctx->fe->name : "");
    slot->started_ms = ctx->start_ms;
    slot->offset = ctx->upload->offset();
    slot->length = ctx->length;
    slot->received = 0;
    new (&slot->rate) bigupload::RateWindow();
    slot->rate.start((int64_t) ngx_current_msec);
    slot->buffered = 0;
    slot->path_len = ctx->remote_path.size();
    slot->client_len = client->len;
    slot->temp_len = temp.size();
    ngx_memcpy(slot->data, ctx->remote_path.data(), slot->path_len);
    ngx_memcpy(slot->data + slot->path_len, client->data, client->len);
    ngx_memcpy(slot->data + slot->path_len + client->len, temp.data(), temp.size());
    slot->id_len = ctx->partial_id.size();
    slot->stop = 0;
    ngx_memcpy(slot->data + slot->path_len + client->len + temp.size(),
               ctx->partial_id.data(), slot->id_len);

    ngx_queue_insert_tail(&sh->live, &slot->queue);

    ngx_shmtx_unlock(&shpool->mutex);

    ctx->slot = slot;
}


/* the byte count and the bytes of this tenth of a second go in without the
 * lock: this worker is their only writer (see RateWindow) */

void
ngx_http_bigupload_track_progress(ngx_http_bigupload_ctx_t *ctx)
{
    ngx_http_bigupload_slot_t  *slot = ctx->slot;

    if (slot == nullptr) {
        return;
    }

    __atomic_store_n(&slot->received, (uint64_t) ctx->received, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->buffered, (uint64_t) ctx->buffered, __ATOMIC_RELAXED);

    slot->rate.record((int64_t) ngx_current_msec, (uint64_t) ctx->received);
}


/* the request is over: its slot goes, its outcome is counted */

void
ngx_http_bigupload_untrack(ngx_http_bigupload_ctx_t *ctx, ngx_uint_t account)
{
    ngx_time_t                  *tp;
    uint64_t                     size = 0;
    ngx_slab_pool_t             *shpool;
    bigupload::Result            result;
    ngx_http_bigupload_shctx_t  *sh;

    if (ctx->zone == nullptr) {
        return;
    }

    shpool = (ngx_slab_pool_t *) ctx->zone->shm.addr;
    sh = (ngx_http_bigupload_shctx_t *) ctx->zone->data;

    result = ngx_http_bigupload_result(ctx);

    if (result == bigupload::Result::complete) {
        size = ctx->upload->size();
    }

    tp = ngx_timeofday();

    int64_t      duration = (int64_t) tp->sec * 1000 + tp->msec - ctx->start_ms;
    const char  *code = bigupload::error_info(ctx->error).code;

    ngx_shmtx_lock(&shpool->mutex);

    if (ctx->slot) {
        ngx_queue_remove(&ctx->slot->queue);
        ngx_slab_free_locked(shpool, ctx->slot);
        ctx->slot = nullptr;
    }

    if (account && ctx->kind == ngx_http_bigupload_kind_upload) {
        sh->counters.record_upload(result, code, (uint64_t) ctx->received, size,
                                   (uint64_t) ngx_max(duration, 0),
                                   ctx->fe ? ctx->fe->name : "");

    } else if (account && ctx->kind == ngx_http_bigupload_kind_cancel
               && result == bigupload::Result::cancelled)
    {
        sh->counters.record_cancel();
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * The requests in flight for the partial "id", in every worker: with "stop",
 * each is asked to end (it polls its slot: ngx_http_bigupload_stopped()).
 * Returns how many there are.
 */

ngx_uint_t
ngx_http_bigupload_in_flight(const std::string &id, ngx_uint_t stop)
{
    ngx_uint_t                   n = 0;
    ngx_queue_t                 *q;
    ngx_slab_pool_t             *shpool;
    ngx_http_bigupload_slot_t   *slot;
    ngx_http_bigupload_shctx_t  *sh;

    if (ngx_http_bigupload_zone == nullptr || id.empty()) {
        return 0;
    }

    /* a dead worker's requests are in flight no more */
    ngx_http_bigupload_reap(nullptr, ngx_cycle->log);

    shpool = (ngx_slab_pool_t *) ngx_http_bigupload_zone->shm.addr;
    sh = (ngx_http_bigupload_shctx_t *) ngx_http_bigupload_zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    for (q = ngx_queue_head(&sh->live);
         q != ngx_queue_sentinel(&sh->live);
         q = ngx_queue_next(q))
    {
        slot = ngx_queue_data(q, ngx_http_bigupload_slot_t, queue);

        if (slot->id_len == id.size()
            && ngx_memcmp(slot->data + slot->path_len + slot->client_len + slot->temp_len,
                          id.data(), id.size()) == 0)
        {
            n++;

            if (stop) {
                slot->stop = 1;
            }
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return n;
}


/* whether a newer request asked this one to end */

ngx_uint_t
ngx_http_bigupload_stopped(ngx_http_bigupload_ctx_t *ctx)
{
    return ctx->slot && ctx->slot->stop;
}


/* the request has ended (its answer goes out): no more in flight */

void
ngx_http_bigupload_landed(ngx_http_bigupload_ctx_t *ctx)
{
    ngx_slab_pool_t  *shpool;

    if (ctx->slot == nullptr || ctx->slot->id_len == 0) {
        return;
    }

    shpool = (ngx_slab_pool_t *) ctx->zone->shm.addr;

    ngx_shmtx_lock(&shpool->mutex);
    ctx->slot->id_len = 0;
    ngx_shmtx_unlock(&shpool->mutex);
}


/* partials removed by the sweep */

void
ngx_http_bigupload_count_expired(ngx_uint_t n)
{
    ngx_slab_pool_t             *shpool;
    ngx_http_bigupload_shctx_t  *sh;

    if (n == 0 || ngx_http_bigupload_zone == nullptr) {
        return;
    }

    shpool = (ngx_slab_pool_t *) ngx_http_bigupload_zone->shm.addr;
    sh = (ngx_http_bigupload_shctx_t *) ngx_http_bigupload_zone->data;

    ngx_shmtx_lock(&shpool->mutex);
    sh->counters.expired += n;
    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * The slots of workers that died without their cleanups (SIGKILL, a crash)
 * are dropped, and the temp files of their plain uploads removed: nothing
 * else knows of those.  Run by each new worker, by the sweep timer and
 * before a status snapshot.  A null "zone" is this worker's.
 */

void
ngx_http_bigupload_reap(ngx_shm_zone_t *zone, ngx_log_t *log)
{
    ngx_queue_t                 *q, *next;
    ngx_slab_pool_t             *shpool;
    ngx_http_bigupload_slot_t   *slot;
    ngx_http_bigupload_shctx_t  *sh;

    /* at most this many temp files per call; the next call takes the rest */
    u_char                       temps[8][NGX_MAX_PATH + 1];
    ngx_pid_t                    pids[8];
    ngx_uint_t                   n = 0;

    if (zone == nullptr) {
        zone = ngx_http_bigupload_zone;
    }

    if (zone == nullptr) {
        return;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;
    sh = (ngx_http_bigupload_shctx_t *) zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    for (q = ngx_queue_head(&sh->live);
         q != ngx_queue_sentinel(&sh->live) && n < 8;
         q = next)
    {
        next = ngx_queue_next(q);
        slot = ngx_queue_data(q, ngx_http_bigupload_slot_t, queue);

        if (slot->pid == ngx_pid || kill(slot->pid, 0) == 0 || ngx_errno != ESRCH) {
            continue;
        }

        if (slot->temp_len && slot->temp_len <= NGX_MAX_PATH) {
            ngx_memcpy(temps[n], slot->data + slot->path_len + slot->client_len,
                       slot->temp_len);
            temps[n][slot->temp_len] = '\0';
            pids[n++] = slot->pid;
        }

        ngx_queue_remove(q);
        ngx_slab_free_locked(shpool, slot);
    }

    ngx_shmtx_unlock(&shpool->mutex);

    /* a few unlinks of files a dead worker left: rare enough to do here */
    for (ngx_uint_t i = 0; i < n; i++) {
        if (unlink((const char *) temps[i]) == 0) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "bigupload: removed \"%s\", left by worker %P which died",
                          temps[i], pids[i]);

        } else if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          "bigupload: unlink \"%s\" failed", temps[i]);
        }
    }
}


/* counters and uploads in flight, copied under the zone's lock */

void
ngx_http_bigupload_snapshot(ngx_shm_zone_t *zone, bigupload::StatusSnapshot &s)
{
    ngx_time_t                  *tp;
    ngx_queue_t                 *q;
    ngx_slab_pool_t             *shpool;
    ngx_http_bigupload_slot_t   *slot;
    ngx_http_bigupload_shctx_t  *sh;

    ngx_http_bigupload_reap(zone, ngx_cycle->log);

    shpool = (ngx_slab_pool_t *) zone->shm.addr;
    sh = (ngx_http_bigupload_shctx_t *) zone->data;

    tp = ngx_timeofday();
    s.now_ms = (int64_t) tp->sec * 1000 + tp->msec;
    s.zone_size = zone->shm.size;

    ngx_shmtx_lock(&shpool->mutex);

    try {
        s.counters = sh->counters;

        for (q = ngx_queue_head(&sh->live);
             q != ngx_queue_sentinel(&sh->live);
             q = ngx_queue_next(q))
        {
            slot = ngx_queue_data(q, ngx_http_bigupload_slot_t, queue);

            bigupload::LiveUpload  u;

            u.path.assign((const char *) slot->data, slot->path_len);
            u.client.assign((const char *) slot->data + slot->path_len, slot->client_len);
            u.received = __atomic_load_n(&slot->received, __ATOMIC_RELAXED);
            u.buffered = __atomic_load_n(&slot->buffered, __ATOMIC_RELAXED);
            u.offset = slot->offset;
            if (slot->length >= 0) {
                u.length = (uint64_t) slot->length;
            }
            u.started_ms = slot->started_ms;
            u.resumable = slot->resumable;
            u.protocol = bigupload::protocol_names[slot->protocol
                                                   % bigupload::protocol_count];
            u.pid = (long) slot->pid;
            u.rate = slot->rate.rate((int64_t) ngx_current_msec);

            s.uploads.push_back(std::move(u));
        }

    } catch (...) {
        ngx_shmtx_unlock(&shpool->mutex);
        throw;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * How the request ended, for $bigupload_result and the counters: "none"
 * while an upload goes on, and for requests that are not uploads (HEAD,
 * a refused method, the status location).
 */

bigupload::Result
ngx_http_bigupload_result(ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->phase != ngx_http_bigupload_phase_done) {
        return bigupload::Result::none;
    }

    switch (ctx->kind) {

    case ngx_http_bigupload_kind_upload:
        if (ctx->pass_removed) {
            return bigupload::Result::failed;
        }

        if (ctx->failed) {
            if (!ctx->client_gone) {
                return bigupload::Result::failed;
            }

            /* a resumable upload keeps what arrived before the client left */
            return ctx->upload && ctx->upload->resumable() && ctx->opened
                   ? bigupload::Result::partial : bigupload::Result::cancelled;
        }

        if (ctx->outcome != bigupload::Outcome::created
            && ctx->outcome != bigupload::Outcome::replaced)
        {
            return bigupload::Result::partial;
        }

        return bigupload::Result::complete;

    case ngx_http_bigupload_kind_cancel:
        return ctx->failed ? bigupload::Result::failed : bigupload::Result::cancelled;

    default:
        return bigupload::Result::none;
    }
}
