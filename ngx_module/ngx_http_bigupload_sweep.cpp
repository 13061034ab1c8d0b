/*
 * Expiry of stale partials (bigupload_expire).  Every worker keeps the list
 * of the stores it knows: those configured without variables (from the
 * start) and those with variables once used since it started.  A timer
 * sweeps them on the thread pool every min(expire/2, 60s); in the store, a
 * lock file lets one process sweep it at a time, whichever server it runs on.
 */

#include "ngx_http_bigupload.h"

#include <ctime>

#include "engine/partial_store.hpp"


/* a store this worker sweeps */
struct ngx_http_bigupload_sweep_store_t {
    std::string                 root;
    time_t                      expire;
    ngx_thread_pool_t          *thread_pool;
};


/* a sweep in flight: its copy of the list, and how many it removed */
typedef struct {
    std::vector<std::pair<std::string, time_t>>  *stores;
    ngx_uint_t                                    removed;
} ngx_http_bigupload_sweep_t;


static void ngx_http_bigupload_sweep_handler(ngx_event_t *ev);
static void ngx_http_bigupload_sweep_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_sweep_done(ngx_event_t *ev);


static std::vector<ngx_http_bigupload_sweep_store_t>  *ngx_http_bigupload_stores;
static ngx_event_t                                     ngx_http_bigupload_sweep_ev;
static ngx_uint_t                                      ngx_http_bigupload_sweeping;


ngx_int_t
ngx_http_bigupload_init_sweep(ngx_cycle_t *cycle, ngx_http_bigupload_main_conf_t *bmcf)
{
    ngx_http_bigupload_store_t  *st;

    try {
        ngx_http_bigupload_stores = new std::vector<ngx_http_bigupload_sweep_store_t>();

        st = (ngx_http_bigupload_store_t *) bmcf->stores.elts;

        for (ngx_uint_t i = 0; i < bmcf->stores.nelts; i++) {
            std::string  root((const char *) st[i].root.data, st[i].root.len);
            bool         known = false;

            /* locations that share a store share its sweep and listing */
            for (const auto &k : *ngx_http_bigupload_stores) {
                known = known || k.root == root;
            }

            if (!known) {
                ngx_http_bigupload_stores->push_back({root, st[i].expire,
                                                      st[i].thread_pool});
            }
        }

    } catch (...) {
        return NGX_ERROR;
    }

    /* a cancelable timer: it never delays a graceful shutdown */
    ngx_http_bigupload_sweep_ev.handler = ngx_http_bigupload_sweep_handler;
    ngx_http_bigupload_sweep_ev.log = cycle->log;
    ngx_http_bigupload_sweep_ev.data = cycle;
    ngx_http_bigupload_sweep_ev.cancelable = 1;

    if (!ngx_http_bigupload_stores->empty()) {
        ngx_add_timer(&ngx_http_bigupload_sweep_ev, 1000);
    }

    return NGX_OK;
}


void
ngx_http_bigupload_exit_sweep(void)
{
    delete ngx_http_bigupload_stores;
    ngx_http_bigupload_stores = nullptr;
}


/* a store with variables, once used: swept from now on */

void
ngx_http_bigupload_register_store(ngx_http_bigupload_loc_conf_t *conf,
    const std::string &root)
{
    if (conf == nullptr || ngx_http_bigupload_stores == nullptr
        || ngx_http_bigupload_stores->size() >= 1024)
    {
        return;
    }

    for (const auto &st : *ngx_http_bigupload_stores) {
        if (st.root == root) {
            return;
        }
    }

    ngx_http_bigupload_stores->push_back({root, conf->expire, conf->thread_pool});

    if (!ngx_http_bigupload_sweep_ev.timer_set && ngx_http_bigupload_sweep_ev.handler) {
        ngx_add_timer(&ngx_http_bigupload_sweep_ev, 1000);
    }
}


/* the stores this worker knows, each with its expiry (for the status) */

void
ngx_http_bigupload_known_stores(std::vector<std::pair<std::string, time_t>> &out)
{
    if (ngx_http_bigupload_stores == nullptr) {
        return;
    }

    for (const auto &st : *ngx_http_bigupload_stores) {
        out.emplace_back(st.root, st.expire);
    }
}


static void
ngx_http_bigupload_sweep_handler(ngx_event_t *ev)
{
    ngx_thread_task_t           *task;
    ngx_http_bigupload_sweep_t  *sw;

    if (ngx_exiting || ngx_terminate || ngx_http_bigupload_stores == nullptr
        || ngx_http_bigupload_stores->empty())
    {
        return;
    }

    time_t interval = 60;

    for (const auto &st : *ngx_http_bigupload_stores) {
        interval = ngx_min(interval, ngx_max(st.expire / 2, 1));
    }

    ngx_add_timer(ev, interval * 1000);

    ngx_http_bigupload_guarded(ev->log, "the sweep", [&] {
        ngx_http_bigupload_reap(nullptr, ev->log);

        if (ngx_http_bigupload_sweeping) {
            return;
        }

        task = (ngx_thread_task_t *) ngx_calloc(sizeof(ngx_thread_task_t)
                                                + sizeof(ngx_http_bigupload_sweep_t),
                                                ev->log);
        if (task == nullptr) {
            return;
        }

        sw = (ngx_http_bigupload_sweep_t *) (task + 1);
        sw->stores = new std::vector<std::pair<std::string, time_t>>();

        ngx_http_bigupload_known_stores(*sw->stores);

        task->ctx = sw;
        task->handler = ngx_http_bigupload_sweep_thread;
        task->event.data = task;
        task->event.handler = ngx_http_bigupload_sweep_done;
        task->event.log = ev->log;

        if (ngx_thread_task_post((*ngx_http_bigupload_stores)[0].thread_pool, task)
            != NGX_OK)
        {
            delete sw->stores;
            ngx_free(task);
            return;
        }

        ngx_http_bigupload_sweeping = 1;

    }, [] {});
}


static void
ngx_http_bigupload_sweep_thread(void *data, ngx_log_t *log)
{
    ngx_http_bigupload_sweep_t  *sw = (ngx_http_bigupload_sweep_t *) data;

    try {
        for (const auto &st : *sw->stores) {
            bigupload::FsError      e;
            bigupload::PartialStore store(st.first, bigupload::StoreOptions());

            sw->removed += store.sweep((std::int64_t) time(nullptr),
                                       (std::int64_t) st.second, e);
        }

    } catch (...) {
        /* the next sweep tries again */
    }
}


static void
ngx_http_bigupload_sweep_done(ngx_event_t *ev)
{
    ngx_thread_task_t           *task = (ngx_thread_task_t *) ev->data;
    ngx_http_bigupload_sweep_t  *sw = (ngx_http_bigupload_sweep_t *) task->ctx;

    ngx_http_bigupload_count_expired(sw->removed);

    delete sw->stores;
    ngx_free(task);
    ngx_http_bigupload_sweeping = 0;
}
