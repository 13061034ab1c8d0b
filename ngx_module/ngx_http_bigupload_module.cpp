/*
 * ngx_http_bigupload_module: streams PUT/POST bodies into a store, writing on
 * an nginx thread pool, and renames the finished file into place atomically.
 *
 * The request side lives here; everything that touches the filesystem is in
 * core/ (pure C++) and runs on the thread pool: one task per request at a
 * time, but while the body streams, two (the hash of one buffer alongside
 * the write of an earlier one).  Threads only call the core and record the
 * outcome; logging, answering and finalizing happen back on the event loop.
 *
 * Every worker's uploads and counters live in a shared-memory zone that
 * bigupload_status reports; $bigupload_* variables tell the log how each
 * request ended; bigupload_pass hands a finished file to a backend.
 */

#include "ngx_http_bigupload.h"

#include <signal.h>

#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "proto/errmap.hpp"
#include "engine/partial.hpp"
#include "base/path.hpp"
#include "report/response.hpp"
#include "base/size.hpp"
#include "report/status.hpp"
#include "engine/upload.hpp"


#define NGX_HTTP_BIGUPLOAD_MIN_READ  (1024 * 1024)

/* most ring buffers one lane task takes: a buffer a lane is done with is
 * refilled while it works on the next */
#define NGX_HTTP_BIGUPLOAD_LANE_BUFS  1

/* long enough never to fire; worker_shutdown_timeout bounds the wait */
#define NGX_HTTP_BIGUPLOAD_GUARD     (24 * 60 * 60 * 1000)

/* the status zone when bigupload_zone does not size it */
#define NGX_HTTP_BIGUPLOAD_ZONE      (1024 * 1024)


typedef struct {
    ngx_flag_t                  enable;
    ngx_http_complex_value_t   *store;
    off_t                       max_size;
    ngx_flag_t                  overwrite;
    ngx_flag_t                  create_dirs;
    ngx_uint_t                  access;
    ngx_str_t                   thread_pool_name;
    ngx_thread_pool_t          *thread_pool;
    ngx_flag_t                  fsync;
    ngx_bufs_t                  bufs;
    time_t                      expire;
    ngx_flag_t                  status;
    ngx_str_t                   pass;
    ngx_array_t                *pass_cleanup;   /* of ngx_http_bigupload_range_t */
} ngx_http_bigupload_loc_conf_t;


/* a range of statuses, for bigupload_pass_cleanup */
typedef struct {
    ngx_uint_t                  lo;
    ngx_uint_t                  hi;
} ngx_http_bigupload_range_t;


/* a store whose stale partials this worker sweeps */
typedef struct {
    ngx_str_t                   root;
    time_t                      expire;
    ngx_thread_pool_t          *thread_pool;
} ngx_http_bigupload_store_t;


typedef struct {
    ngx_array_t                 stores;    /* of ngx_http_bigupload_store_t */
    size_t                      zone_size;
    ngx_shm_zone_t             *zone;
    ngx_flag_t                  used;      /* a location uploads or reports */
} ngx_http_bigupload_main_conf_t;


/*
 * The status zone, shared by all workers: counters, and one slot per upload
 * in flight.  nginx maps a zone at the same address in every worker, so the
 * queue's pointers are valid in all of them.
 */

typedef struct {
    bigupload::StatusCounters   counters;
    ngx_queue_t                 live;      /* of ngx_http_bigupload_slot_t */
} ngx_http_bigupload_shctx_t;


typedef struct {
    ngx_queue_t                 queue;
    ngx_pid_t                   pid;
    ngx_uint_t                  resumable;
    int64_t                     started_ms;    /* unix milliseconds */
    uint64_t                    offset;
    int64_t                     length;        /* -1: not declared */
    uint64_t                    received;      /* stored atomically, unlocked */
    uint64_t                    rate_bytes;    /* the last rate sample */
    ngx_msec_t                  rate_msec;
    uint64_t                    rate;          /* bytes per second */
    size_t                      path_len;
    size_t                      client_len;
    size_t                      temp_len;
    u_char                      data[1];       /* path, client address, and
                                                * the temp file of a plain
                                                * upload */
} ngx_http_bigupload_slot_t;


typedef enum {
    ngx_http_bigupload_op_none = 0,
    ngx_http_bigupload_op_open,
    ngx_http_bigupload_op_commit,
    ngx_http_bigupload_op_abort,
    ngx_http_bigupload_op_query,
    ngx_http_bigupload_op_cancel,
    ngx_http_bigupload_op_status
} ngx_http_bigupload_op_e;


struct ngx_http_bigupload_ctx_t;

typedef struct {
    ngx_queue_t                 queue;
    ngx_http_bigupload_ctx_t   *ctx;
} ngx_http_bigupload_live_t;


/*
 * One of the two tasks of an upload whose body streams: the hash lane hashes
 * full ring buffers in order while the write lane writes them, in order too,
 * so that the hash of one buffer runs alongside the write of an earlier one.
 * A buffer is free again once both lanes are done with it.
 */
struct ngx_http_bigupload_lane_t {
    ngx_http_bigupload_ctx_t            *ctx = nullptr;
    ngx_thread_task_t                   *task = nullptr;
    bool                                 hash = false;
    bool                                 both = false;    /* hashes and writes */
    bool                                 busy = false;

    /* its buffers: n of the ring from "first" */
    ngx_uint_t                           first = 0;
    ngx_uint_t                           n = 0;

    /* written by the thread, read on the event loop after completion */
    ngx_uint_t                           done = 0;
    bool                                 io_ok = true;
    bool                                 thread_exception = false;
    bigupload::PartialOutcome            poutcome = bigupload::PartialOutcome::ok;
    bigupload::FsError                   fserr;
};


/*
 * Per-request state.  A C++ object: created in the content handler, deleted
 * by a request pool cleanup (which hands a still-present temp file to the
 * thread pool for removal).
 */
struct ngx_http_bigupload_ctx_t {
    ngx_http_request_t                  *request = nullptr;
    ngx_http_bigupload_loc_conf_t       *conf = nullptr;
    std::unique_ptr<bigupload::Upload>   upload;        /* a plain upload */
    std::unique_ptr<bigupload::Partial>  partial;       /* a resumable one */
    bigupload::ResumableRequest          rq;
    std::string                          remote_path;   /* "/a/b.bin" */

    ngx_thread_task_t                   *task = nullptr;

    /* tasks in flight: the one above, or the lanes */
    ngx_uint_t                           in_flight = 0;

    ngx_http_bigupload_lane_t            hash_lane;
    ngx_http_bigupload_lane_t            write_lane;

    /* a non-cancelable timer while a task is in flight: a worker that is
     * shutting down gracefully waits for it (r->blocked is not a timer) */
    ngx_event_t                          guard{};

    /* in the worker's list of live uploads, for a fast shutdown */
    ngx_http_bigupload_live_t            live{};

    /* what the request asked: open (an upload), query, cancel, or none */
    ngx_http_bigupload_op_e              kind = ngx_http_bigupload_op_none;
    int64_t                              start_ms = 0;

    /* the status zone, and this upload's slot in it (none: untracked) */
    ngx_shm_zone_t                      *zone = nullptr;
    ngx_http_bigupload_slot_t           *slot = nullptr;

    /* bigupload_pass: the backend's status, once its header went out */
    ngx_uint_t                           pass_status = 0;

    /* a status request: the snapshot, completed on the thread pool with the
     * partials of the stores this worker knows */
    std::unique_ptr<bigupload::StatusSnapshot>  report;
    std::vector<std::pair<std::string, time_t>> report_stores;
    bool                                 prometheus = false;
    std::string                          content_type;

    /* written by the thread, read on the event loop after completion */
    ngx_http_bigupload_op_e              op = ngx_http_bigupload_op_none;
    bigupload::OpenOutcome               open_outcome = bigupload::OpenOutcome::ok;
    bigupload::CommitOutcome             commit_outcome =
                                             bigupload::CommitOutcome::created;
    bigupload::PartialOutcome            poutcome = bigupload::PartialOutcome::ok;
    bigupload::PartialInfo               info;
    bool                                 thread_exception = false;
    bigupload::FsError                   fserr;

    /* ring of body buffers: [head, head + count) hold data to hash and
     * write, the one after them is being filled; of the full ones, the
     * first "hashed" are hashed and the first "written" written */
    ngx_buf_t                           *bufs = nullptr;
    ngx_uint_t                           nbufs = 0;
    ngx_uint_t                           head = 0;
    ngx_uint_t                           count = 0;
    ngx_uint_t                           hashed = 0;
    ngx_uint_t                           written = 0;

    off_t                                received = 0;

    /* the answer to send once no task is in flight */
    ngx_uint_t                           success_status = 0;
    std::string                          success_body;
    std::vector<std::pair<std::string, std::string>>  headers;
    off_t                                content_length = -1;

    /* the failure to answer once the temp file is gone */
    ngx_uint_t                           status = 0;
    std::string                          error_code;
    std::string                          error_message;

    unsigned                             begun:1;
    unsigned                             finished:1;
    unsigned                             opening:1;
    unsigned                             reading:1;
    unsigned                             nginx_done:1;
    unsigned                             body_done:1;
    unsigned                             failed:1;
    unsigned                             committing:1;
    unsigned                             answer:1;
    unsigned                             done:1;
    unsigned                             passed:1;
    unsigned                             pass_removed:1;
    unsigned                             client_gone:1;
    unsigned                             hash_failed:1;

    ngx_http_bigupload_ctx_t()
        : begun(0), finished(0), opening(0), reading(0), nginx_done(0),
          body_done(0), failed(0), committing(0), answer(0), done(0),
          passed(0), pass_removed(0), client_gone(0), hash_failed(0)
    {
        hash_lane.ctx = this;
        hash_lane.hash = true;
        write_lane.ctx = this;
    }
};


static ngx_int_t ngx_http_bigupload_handler(ngx_http_request_t *r);
static ngx_http_bigupload_ctx_t *ngx_http_bigupload_create_ctx(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf);
static ngx_http_bigupload_ctx_t *ngx_http_bigupload_get_ctx(ngx_http_request_t *r);
static ngx_int_t ngx_http_bigupload_start(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_http_bigupload_op_e op,
    const std::string &key);
static ngx_uint_t ngx_http_bigupload_resumable(ngx_http_request_t *r,
    bigupload::ResumableRequest &rq, const char **code, const char **message);
static std::string ngx_http_bigupload_header(ngx_http_request_t *r,
    const char *name);
static void ngx_http_bigupload_partial_fail(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, bigupload::PartialOutcome o);
static void ngx_http_bigupload_partial_answer(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_progress_headers(ngx_http_bigupload_ctx_t *ctx,
    const bigupload::UploadState &st);
static void ngx_http_bigupload_register_store(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf, const std::string &root);
static void ngx_http_bigupload_sweep_handler(ngx_event_t *ev);
static void ngx_http_bigupload_sweep_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_sweep_done(ngx_event_t *ev);
static void *ngx_http_bigupload_create_main_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_bigupload_remote_path(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf, ngx_str_t *root, std::string &path,
    std::vector<std::string> &segments, bigupload::PathError &err);
static void ngx_http_bigupload_body_handler(ngx_http_request_t *r);
static void ngx_http_bigupload_drive(ngx_http_request_t *r);
static void ngx_http_bigupload_read(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_uint_t ngx_http_bigupload_in_place(ngx_http_request_t *r);
static void ngx_http_bigupload_read_in_place(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_consume(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_abandon(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_fail(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_uint_t status, const char *code,
    const std::string &message);
static bigupload::ErrnoStatus ngx_http_bigupload_log_fs(ngx_log_t *log,
    const bigupload::FsError &e);
static void ngx_http_bigupload_internal_error(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, const char *what);
static void ngx_http_bigupload_fail_fs(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_post(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_http_bigupload_op_e op);
static ngx_thread_task_t *ngx_http_bigupload_task(ngx_http_request_t *r,
    ngx_thread_task_t **slot, void *data, void (*handler)(void *data, ngx_log_t *log),
    void *event_data, ngx_event_handler_pt done);
static void ngx_http_bigupload_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_thread_done(ngx_event_t *ev);
static void ngx_http_bigupload_pipeline(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_post_lane(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_http_bigupload_lane_t *lane,
    ngx_uint_t skip, ngx_uint_t n);
static void ngx_http_bigupload_lane_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_lane_done(ngx_event_t *ev);
static void ngx_http_bigupload_task_posted(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_task_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_resume(ngx_http_request_t *r);
static void ngx_http_bigupload_open_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_commit_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_send(ngx_http_request_t *r,
    ngx_uint_t status, const std::string &body, ngx_uint_t created,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_finish(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message);
static ngx_int_t ngx_http_bigupload_refuse_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_bigupload_add_header(ngx_http_request_t *r,
    const std::string &name, const std::string &value);
static void ngx_http_bigupload_cleanup(void *data);
static ngx_int_t ngx_http_bigupload_detach(ngx_thread_pool_t *tp, ngx_log_t *log,
    std::function<void()> fn);

static ngx_int_t ngx_http_bigupload_init_zone(ngx_shm_zone_t *shm_zone, void *data);
static void ngx_http_bigupload_track(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, off_t length);
static void ngx_http_bigupload_track_progress(ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_untrack(ngx_http_bigupload_ctx_t *ctx,
    ngx_uint_t account);
static void ngx_http_bigupload_snapshot(ngx_shm_zone_t *zone,
    bigupload::StatusSnapshot &s);
static void ngx_http_bigupload_reap(ngx_shm_zone_t *zone, ngx_log_t *log);
static bigupload::Result ngx_http_bigupload_result(ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_status_handler(ngx_http_request_t *r);
static void ngx_http_bigupload_status_report(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);

static ngx_int_t ngx_http_bigupload_pass(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_header_filter(ngx_http_request_t *r);

static ngx_int_t ngx_http_bigupload_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_bigupload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_bigupload_guard_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_bigupload_init_process(ngx_cycle_t *cycle);
static void ngx_http_bigupload_exit_process(ngx_cycle_t *cycle);
static void ngx_http_bigupload_detached_thread(void *data, ngx_log_t *log);
static void ngx_http_bigupload_detached_done(ngx_event_t *ev);

static char *ngx_http_bigupload(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_bigupload_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bigupload_set_handler(ngx_conf_t *cf, ngx_flag_t *flag,
    ngx_http_handler_pt handler);
static char *ngx_http_bigupload_pass_cleanup(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_bigupload_init(ngx_conf_t *cf);
static char *ngx_http_bigupload_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_bigupload_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_bigupload_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


static ngx_command_t  ngx_http_bigupload_commands[] = {

    { ngx_string("bigupload"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_bigupload,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("bigupload_store"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, store),
      nullptr },

    { ngx_string("bigupload_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, max_size),
      nullptr },

    { ngx_string("bigupload_overwrite"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, overwrite),
      nullptr },

    { ngx_string("bigupload_create_dirs"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, create_dirs),
      nullptr },

    { ngx_string("bigupload_access"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_conf_set_access_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, access),
      nullptr },

    { ngx_string("bigupload_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, thread_pool_name),
      nullptr },

    { ngx_string("bigupload_fsync"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, fsync),
      nullptr },

    { ngx_string("bigupload_buffers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_conf_set_bufs_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, bufs),
      nullptr },

    { ngx_string("bigupload_expire"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, expire),
      nullptr },

    { ngx_string("bigupload_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bigupload_main_conf_t, zone_size),
      nullptr },

    { ngx_string("bigupload_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_bigupload_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("bigupload_pass"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, pass),
      nullptr },

    { ngx_string("bigupload_pass_cleanup"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_bigupload_pass_cleanup,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, pass_cleanup),
      nullptr },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_bigupload_module_ctx = {
    ngx_http_bigupload_add_variables,      /* preconfiguration */
    ngx_http_bigupload_init,               /* postconfiguration */

    ngx_http_bigupload_create_main_conf,   /* create main configuration */
    ngx_http_bigupload_init_main_conf,     /* init main configuration */

    nullptr,                               /* create server configuration */
    nullptr,                               /* merge server configuration */

    ngx_http_bigupload_create_loc_conf,    /* create location configuration */
    ngx_http_bigupload_merge_loc_conf      /* merge location configuration */
};


extern "C" {

ngx_module_t  ngx_http_bigupload_module = {
    NGX_MODULE_V1,
    &ngx_http_bigupload_module_ctx,        /* module context */
    ngx_http_bigupload_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    nullptr,                               /* init master */
    nullptr,                               /* init module */
    ngx_http_bigupload_init_process,       /* init process */
    nullptr,                               /* init thread */
    nullptr,                               /* exit thread */
    ngx_http_bigupload_exit_process,       /* exit process */
    nullptr,                               /* exit master */
    NGX_MODULE_V1_PADDING
};

}


/* uploads in progress in this worker */
static ngx_queue_t  ngx_http_bigupload_live;

/* the status zone, for the sweep's counts */
static ngx_shm_zone_t  *ngx_http_bigupload_zone;

static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;

/* $content_length, cacheable: stale once bigupload_pass swaps the body */
static ngx_int_t  ngx_http_bigupload_content_length_index = NGX_ERROR;


/* $bigupload_* */
enum {
    ngx_http_bigupload_var_path,
    ngx_http_bigupload_var_bytes,
    ngx_http_bigupload_var_size,
    ngx_http_bigupload_var_sha256,
    ngx_http_bigupload_var_result,
    ngx_http_bigupload_var_error
};

static ngx_http_variable_t  ngx_http_bigupload_vars[] = {

    { ngx_string("bigupload_path"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_path, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_bytes"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_bytes, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_size"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_size, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_sha256"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_sha256, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_result"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_result, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_error"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_error, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* request side ------------------------------------------------------------ */

static ngx_int_t
ngx_http_bigupload_handler(ngx_http_request_t *r)
{
    ngx_http_bigupload_ctx_t       *ctx;
    ngx_http_bigupload_loc_conf_t  *conf;

    conf = (ngx_http_bigupload_loc_conf_t *)
               ngx_http_get_module_loc_conf(r, ngx_http_bigupload_module);

    if (!conf->enable || r != r->main) {
        return NGX_DECLINED;
    }

    try {
        ctx = ngx_http_bigupload_create_ctx(r, conf);
        if (ctx == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        std::string              key = ngx_http_bigupload_header(r, "Upload-Key");
        ngx_http_bigupload_op_e  op = ngx_http_bigupload_op_none;

        if (r->method & (NGX_HTTP_PUT|NGX_HTTP_POST)) {
            op = ngx_http_bigupload_op_open;

        } else if (r->method & NGX_HTTP_HEAD) {
            op = ngx_http_bigupload_op_query;

        } else if (r->method & NGX_HTTP_DELETE) {
            /* with a key, only that key's partial; without, any partial */
            op = ngx_http_bigupload_op_cancel;
        }

        ctx->kind = op;

        if (op == ngx_http_bigupload_op_none) {
            ngx_table_elt_t  *allow;

            allow = (ngx_table_elt_t *) ngx_list_push(&r->headers_out.headers);
            if (allow == nullptr) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            allow->hash = 1;
            ngx_str_set(&allow->key, "Allow");
            ngx_str_set(&allow->value, "PUT, POST, HEAD, DELETE");

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: method \"%V\" not allowed", &r->method_name);

            return ngx_http_bigupload_error(r, NGX_HTTP_NOT_ALLOWED,
                                            "method_not_allowed",
                                            "PUT and POST upload here; HEAD and "
                                            "DELETE ask about and cancel "
                                            "resumable uploads");
        }

        if (!key.empty() && !bigupload::valid_upload_key(key)) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: invalid Upload-Key");
            return ngx_http_bigupload_error(r, NGX_HTTP_BAD_REQUEST, "bad_upload_key",
                                            "Upload-Key must be 1 to 128 characters "
                                            "of A-Z a-z 0-9 . _ ~ + / = -");
        }

        return ngx_http_bigupload_start(r, ctx, op, key);

    } catch (const std::exception &e) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bigupload: exception: %s", e.what());

    } catch (...) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bigupload: unknown exception");
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * Every request of a bigupload location gets its state, errors answered
 * from the handler too: the variables and the counters read it.  A C++
 * object, deleted by a request pool cleanup.
 */

static ngx_http_bigupload_ctx_t *
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

    ctx->live.ctx = ctx;
    ngx_queue_insert_tail(&ngx_http_bigupload_live, &ctx->live.queue);

    ngx_http_set_ctx(r, ctx, ngx_http_bigupload_module);

    return ctx;
}


static ngx_int_t
ngx_http_bigupload_start(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    ngx_http_bigupload_op_e op, const std::string &key)
{
    ngx_str_t                      root = ngx_null_string;
    std::string                    path;
    std::vector<std::string>       segments;
    bigupload::StoreOptions        opt;
    bigupload::Preconditions       pre;
    ngx_int_t                      rc;

    bigupload::PathError  perr = bigupload::PathError::ok;

    ngx_http_bigupload_loc_conf_t  *conf = ctx->conf;

    rc = ngx_http_bigupload_remote_path(r, conf, &root, path, segments, perr);
    if (rc != NGX_OK) {
        return ngx_http_bigupload_error(r, rc, "internal", "internal server error");
    }

    if (perr != bigupload::PathError::ok) {
        ngx_uint_t  status = NGX_HTTP_BAD_REQUEST;

        if (perr == bigupload::PathError::collection) {
            status = NGX_HTTP_CONFLICT;
        } else if (perr == bigupload::PathError::too_long) {
            status = NGX_HTTP_REQUEST_URI_TOO_LARGE;
        }

        return ngx_http_bigupload_error(r, status, bigupload::path_error_code(perr),
                                        bigupload::path_error_message(perr));
    }

    ctx->remote_path = path;

    bigupload::ResumableRequest  rq;
    off_t                        end = r->headers_in.content_length_n;

    if (op == ngx_http_bigupload_op_open && !key.empty()) {
        const char  *code, *message;
        ngx_uint_t   status = ngx_http_bigupload_resumable(r, rq, &code, &message);

        if (status) {
            return ngx_http_bigupload_error(r, status, code, message);
        }

        end = rq.end ? (off_t) *rq.end : -1;

        if (rq.total && conf->max_size && (off_t) *rq.total > conf->max_size) {
            end = (off_t) *rq.total;
        }
    }

    if (op == ngx_http_bigupload_op_open
        && r->headers_in.content_length_n < 0 && !r->headers_in.chunked
#if (NGX_HTTP_V2)
        /* an HTTP/2 request ended with its headers has an empty body */
        && r->stream == nullptr
#endif
       )
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: upload of \"%s\" without Content-Length "
                      "or chunked body", path.c_str());
        return ngx_http_bigupload_error(r, NGX_HTTP_LENGTH_REQUIRED,
                                        "length_required",
                                        "send Content-Length or a chunked body");
    }

    if (op == ngx_http_bigupload_op_open && conf->max_size && end > conf->max_size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: upload of \"%s\" is %O bytes, more than "
                      "bigupload_max_size %O", path.c_str(), end, conf->max_size);
        return ngx_http_bigupload_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "too_large",
                                        "body exceeds bigupload_max_size");
    }

    std::string_view if_match, if_none_match;

    if (r->headers_in.if_match) {
        if_match = std::string_view((const char *) r->headers_in.if_match->value.data,
                                    r->headers_in.if_match->value.len);
    }

    if (r->headers_in.if_none_match) {
        if_none_match = std::string_view(
            (const char *) r->headers_in.if_none_match->value.data,
            r->headers_in.if_none_match->value.len);
    }

    if (!bigupload::parse_preconditions(if_match, if_none_match, pre)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: malformed If-Match or If-None-Match for \"%s\"",
                      path.c_str());
        return ngx_http_bigupload_error(r, NGX_HTTP_BAD_REQUEST, "bad_precondition",
                                        "malformed If-Match or If-None-Match");
    }

    opt.create_dirs = conf->create_dirs;
    opt.overwrite = conf->overwrite;
    opt.file_mode = (mode_t) conf->access;
    opt.dir_mode = bigupload::dir_mode_for((mode_t) conf->access);

    std::string store((const char *) root.data, root.len);

    if (op == ngx_http_bigupload_op_open && key.empty()) {
        ctx->upload = std::make_unique<bigupload::Upload>(store, std::move(segments),
                                                          opt, std::move(pre));
    } else {
        ngx_http_bigupload_register_store(r, conf, store);

        ctx->rq = rq;
        ctx->rq.key = key;
        ctx->partial = std::make_unique<bigupload::Partial>(
            store, std::move(segments), path, opt, std::move(pre));
    }

    /* the request lives on through the open task; the body is read after */

    r->write_event_handler = ngx_http_bigupload_drive;

    if (ngx_http_bigupload_post(r, ctx, op) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * The request's resumable headers: Content-Range, or Upload-Offset /
 * Upload-Length / Upload-Complete.  Returns 0, or the status to answer (with
 * its code and message; logged here) when they are bad.
 */

static ngx_uint_t
ngx_http_bigupload_resumable(ngx_http_request_t *r, bigupload::ResumableRequest &rq,
    const char **code, const char **message)
{
    off_t        cl = r->headers_in.content_length_n;
    std::string  v;

    std::string content_range = ngx_http_bigupload_header(r, "Content-Range");

    if (!content_range.empty()) {
        bigupload::ContentRange    cr;
        bigupload::ContentRangeError err;

        err = bigupload::parse_content_range(content_range, cr);

        if (err == bigupload::ContentRangeError::ok && !cr.has_range && cl != 0) {
            err = bigupload::ContentRangeError::syntax;
        }

        if (err != bigupload::ContentRangeError::ok) {
            bool unsatisfiable = err == bigupload::ContentRangeError::start_after_end
                                 || err == bigupload::ContentRangeError::beyond_total;

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: bad Content-Range \"%s\": %s",
                          content_range.c_str(),
                          bigupload::content_range_error_message(err));

            *code = unsatisfiable ? "range_not_satisfiable" : "bad_content_range";
            *message = bigupload::content_range_error_message(err);
            return unsatisfiable ? NGX_HTTP_RANGE_NOT_SATISFIABLE : NGX_HTTP_BAD_REQUEST;
        }

        if (cr.has_range && cl != (off_t) cr.range.size()) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: Content-Range \"%s\" and Content-Length %O "
                          "differ", content_range.c_str(), cl);

            *code = "range_length_mismatch";
            *message = "a Content-Range needs a Content-Length of the range's size";
            return NGX_HTTP_BAD_REQUEST;
        }

        rq.start = cr.has_range ? cr.range.start : 0;
        rq.end = cr.has_range ? cr.range.end : 0;
        if (cr.total_known) {
            rq.total = cr.total;
        }

        return 0;
    }

    v = ngx_http_bigupload_header(r, "Upload-Offset");
    if (!v.empty()) {
        auto n = bigupload::parse_count(v, 0, NGX_MAX_OFF_T_VALUE);
        if (!n) {
            goto bad;
        }
        rq.start = *n;
    }

    v = ngx_http_bigupload_header(r, "Upload-Length");
    if (!v.empty()) {
        auto n = bigupload::parse_count(v, 0, NGX_MAX_OFF_T_VALUE);
        if (!n) {
            goto bad;
        }
        rq.total = *n;
    }

    v = ngx_http_bigupload_header(r, "Upload-Complete");
    if (v.empty() || v == "?1") {
        rq.completes = true;
    } else if (v != "?0") {
        goto bad;
    }

    if (cl >= 0) {
        if ((std::uint64_t) cl > (std::uint64_t) NGX_MAX_OFF_T_VALUE - rq.start) {
            goto bad;
        }
        rq.end = rq.start + cl;
    }

    if (!rq.total && rq.completes && rq.end) {
        /* a body of known length that ends the upload declares its length */
        rq.total = rq.end;
    }

    if (rq.total && ((rq.end && *rq.end > *rq.total) || rq.start > *rq.total
                     || (rq.completes && rq.end && *rq.end != *rq.total)))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: upload range beyond Upload-Length");
        *code = "range_not_satisfiable";
        *message = "the body does not fit Upload-Length";
        return NGX_HTTP_RANGE_NOT_SATISFIABLE;
    }

    return 0;

bad:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "bigupload: bad Upload-Offset, Upload-Length or Upload-Complete");

    *code = "bad_upload_header";
    *message = "Upload-Offset and Upload-Length are byte counts, Upload-Complete is "
               "?0 or ?1";
    return NGX_HTTP_BAD_REQUEST;
}


/* the value of a request header, "" when absent */

static std::string
ngx_http_bigupload_header(ngx_http_request_t *r, const char *name)
{
    size_t            len = ngx_strlen(name);
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

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

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return std::string((const char *) h[i].value.data, h[i].value.len);
        }
    }

    return std::string();
}


/*
 * The remote path is the request's URI below the location's prefix (with
 * bigupload_store), or what root/alias map it to.  The raw URI is validated
 * too, since nginx has already resolved "." and ".." segments in r->uri.
 * A bad path is logged and returned in "err" with NGX_OK; other failures
 * return an HTTP status.
 */

static ngx_int_t
ngx_http_bigupload_remote_path(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf, ngx_str_t *root, std::string &path,
    std::vector<std::string> &segments, bigupload::PathError &err)
{
    size_t                     root_len;
    ngx_str_t                  full;
    ngx_http_core_loc_conf_t  *clcf;

    std::string_view raw((const char *) r->unparsed_uri.data, r->unparsed_uri.len);
    raw = raw.substr(0, raw.find('?'));

    err = bigupload::parse_remote_path(raw, segments);

    if (err == bigupload::PathError::ok || err == bigupload::PathError::collection) {
        clcf = (ngx_http_core_loc_conf_t *)
                   ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        std::string_view uri((const char *) r->uri.data, r->uri.len);

        if (conf->store) {
            if (ngx_http_complex_value(r, conf->store, root) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (root->len == 0) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "bigupload: bigupload_store is empty");
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            /* a relative store is relative to nginx's prefix, as root is */
            if (ngx_get_full_name(r->pool, (ngx_str_t *) &ngx_cycle->prefix, root)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
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
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            root->data = full.data;
            root->len = root_len;

            /* full.len counts the trailing NUL */
            uri = std::string_view((const char *) full.data + root_len,
                                   full.len - 1 - root_len);
        }

        path.assign(uri);

        /* "/upload" itself is the location as a collection; an alias maps
         * "/upload/a" to "a" */
        if (path.empty() || (conf->store == nullptr && path[0] != '/')) {
            path.insert(0, "/");
        }

        /* r->uri is decoded already: validate it as it is */
        err = bigupload::split_remote_path(path, segments);
    }

    if (err == bigupload::PathError::ok) {
        return NGX_OK;
    }

    ngx_str_t  logged = { raw.size(), r->unparsed_uri.data };

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "bigupload: invalid path \"%V\": %s", &logged,
                  bigupload::path_error_message(err));

    return NGX_OK;
}


static void
ngx_http_bigupload_open_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t     rc;
    const char   *what;
    ngx_uint_t    status;

    if (ctx->partial) {
        if (ctx->poutcome != bigupload::PartialOutcome::ok) {
            ngx_http_bigupload_partial_fail(r, ctx, ctx->poutcome);
            return;
        }

        ctx->begun = 1;
        goto body;
    }

    switch (ctx->open_outcome) {

    case bigupload::OpenOutcome::ok:
        break;

    case bigupload::OpenOutcome::error:
        ngx_http_bigupload_fail_fs(r, ctx);
        return;

    case bigupload::OpenOutcome::precondition_failed:
        what = "precondition failed for";
        status = NGX_HTTP_PRECONDITION_FAILED;
        ngx_http_bigupload_fail(r, ctx, status, "precondition_failed",
                                "If-Match or If-None-Match precondition failed");
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: %s \"%s\"", what,
                      ctx->upload->file().target_path().c_str());
        return;

    case bigupload::OpenOutcome::exists:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: \"%s\" exists and bigupload_overwrite is off",
                      ctx->upload->file().target_path().c_str());
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "exists",
                                "target already exists");
        return;

    case bigupload::OpenOutcome::is_directory:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: \"%s\" is a directory",
                      ctx->upload->file().target_path().c_str());
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "is_directory",
                                "target is a directory");
        return;
    }

body:

    /* listed in the status from now on, with the temp file to remove
     * should this worker die */
    ngx_http_bigupload_track(r, ctx, ctx->partial
                                     ? (ctx->rq.total ? (off_t) *ctx->rq.total : -1)
                                     : r->headers_in.content_length_n);

    /* the target is ready: now read the body, unbuffered */

    ctx->bufs = (ngx_buf_t *) ngx_pcalloc(r->pool,
                                          ctx->conf->bufs.num * sizeof(ngx_buf_t));
    if (ctx->bufs == nullptr) {
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "internal", "out of memory");
        return;
    }

    for (ngx_int_t i = 0; i < ctx->conf->bufs.num; i++) {
        u_char *p = (u_char *) ngx_palloc(r->pool, ctx->conf->bufs.size);
        if (p == nullptr) {
            ngx_http_bigupload_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "internal", "out of memory");
            return;
        }

        ctx->bufs[i].start = p;
        ctx->bufs[i].pos = p;
        ctx->bufs[i].last = p;
        ctx->bufs[i].end = p + ctx->conf->bufs.size;
    }

    ctx->nbufs = ctx->conf->bufs.num;
    ctx->reading = 1;

#if (NGX_HTTP_V2)
    /* over HTTP/2 the event loop and the client (its framing) keep both
     * cores busy here: two lanes only add hand-offs (by scripts/bench and
     * an A/B), so one lane hashes and then writes each buffer */
    ctx->write_lane.both = r->stream != nullptr;
#endif

    r->request_body_no_buffering = 1;

    ctx->opening = 1;
    rc = ngx_http_read_client_request_body(r, ngx_http_bigupload_body_handler);
    ctx->opening = 0;

    /* nginx installed its own handlers; ours drive the rest in any case */
    r->write_event_handler = ngx_http_bigupload_drive;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* nginx has logged why and dropped its reference */
        ctx->reading = 0;

        if (r->connection->error) {
            ngx_http_bigupload_fail(r, ctx, rc, "client_closed",
                                    "client closed the connection");
        } else {
            ngx_http_bigupload_fail(r, ctx, rc, "bad_body", "cannot read request body");
        }

        return;
    }

    /* the body reader took a reference of its own, the handler's went with
     * the NGX_DONE it returned; drop the reader's one here as a content
     * handler would */

    ngx_http_finalize_request(r, NGX_DONE);
}


static void
ngx_http_bigupload_body_handler(ngx_http_request_t *r)
{
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = (ngx_http_bigupload_ctx_t *)
              ngx_http_get_module_ctx(r, ngx_http_bigupload_module);

    if (ctx == nullptr || ctx->done) {
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


/*
 * The request's event handler while an upload is in progress: reads what the
 * client sent into the ring, hands full buffers to the hash and write lanes,
 * commits once everything is hashed and written.  Safe to call at any moment.
 */

static void
ngx_http_bigupload_drive(ngx_http_request_t *r)
{
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = (ngx_http_bigupload_ctx_t *)
              ngx_http_get_module_ctx(r, ngx_http_bigupload_module);

    if (ctx == nullptr || ctx->done) {
        return;
    }

    try {
        if (ctx->reading && !ctx->failed) {
            ngx_http_bigupload_read(r, ctx);
        }

        if (!ctx->failed) {
            ngx_http_bigupload_pipeline(r, ctx);
        }

        if (ctx->in_flight) {
            return;
        }

        /* answering finalizes the request: nothing may touch it after */

        if (ctx->answer) {
            ngx_http_bigupload_finish(r, ctx);
            return;
        }

        if (ctx->failed) {
            /* a resumable upload keeps what is both written and hashed:
             * the hash catches up with the writes first */
            if (ctx->partial && ctx->begun && !ctx->finished && !ctx->hash_failed
                && ctx->written > ctx->hashed
                && ngx_http_bigupload_post_lane(r, ctx, &ctx->hash_lane,
                                                ctx->hashed,
                                                ctx->written - ctx->hashed)
                   == NGX_OK)
            {
                return;
            }

            bool  pending = ctx->partial ? ctx->begun && !ctx->finished
                                         : ctx->upload && ctx->upload->file().has_temp();

            if (pending
                && ngx_http_bigupload_post(r, ctx, ngx_http_bigupload_op_abort)
                   == NGX_OK)
            {
                return;
            }

            /* nothing to clean up, or no thread to do it */
            if (ctx->upload) {
                ctx->upload->abort();
            }
            ngx_http_bigupload_finish(r, ctx);
            return;
        }

        ngx_http_bigupload_op_e  op = ngx_http_bigupload_op_none;

        if (ctx->body_done && ctx->count == 0 && !ctx->committing) {
            ctx->committing = 1;
            op = ngx_http_bigupload_op_commit;
        }

        if (op != ngx_http_bigupload_op_none
            && ngx_http_bigupload_post(r, ctx, op) != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "bigupload: cannot post a task to thread pool \"%V\"",
                          &ctx->conf->thread_pool_name);
            ngx_http_bigupload_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "internal", "cannot post thread task");
            if (ctx->upload) {
                ctx->upload->abort();
            }
            ngx_http_bigupload_finish(r, ctx);
        }

    } catch (const std::exception &e) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bigupload: exception: %s", e.what());
        ngx_http_bigupload_abandon(r, ctx);

    } catch (...) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bigupload: unknown exception");
        ngx_http_bigupload_abandon(r, ctx);
    }
}


/* after an exception: no answer is built any more, the request is ended
 * with a plain 500 once no task is in flight (the temp file goes with the
 * request's pool) */

static void
ngx_http_bigupload_abandon(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ctx->failed = 1;
    ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    r->read_event_handler = ngx_http_block_reading;

    if (ctx->in_flight) {
        /* thread_done() calls drive(), which answers the failure */
        ctx->reading = 0;
        return;
    }

    ctx->done = 1;
    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


static void
ngx_http_bigupload_read(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_connection_t         *c;
    ngx_http_request_body_t  *rb;

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
            || (ctx->count == ctx->nbufs && !ctx->nginx_done
                && ngx_http_bigupload_in_place(r)))
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

        ngx_http_bigupload_read_in_place(r, ctx);

        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            ctx->reading = 0;

            if (c->error) {
                ngx_log_error(NGX_LOG_INFO, c->log, 0,
                              "bigupload: client closed the connection after "
                              "%O bytes of \"%s\"",
                              ctx->received, ctx->remote_path.c_str());
                ngx_http_bigupload_fail(r, ctx, rc, "client_closed",
                                        "client closed the connection");
                return;
            }

            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "bigupload: reading the body of \"%s\" failed "
                          "after %O bytes", ctx->remote_path.c_str(),
                          ctx->received);
            ngx_http_bigupload_fail(r, ctx, rc, "bad_body",
                                    "cannot read request body");
            return;
        }

        if (rc == NGX_OK) {
            ctx->nginx_done = 1;
            continue;
        }

        /* NGX_AGAIN */

        if (rb->bufs == nullptr) {
            return;
        }
    }

    /* the whole body is in the ring: the partly filled buffer goes too */

    ctx->reading = 0;
    ctx->body_done = 1;

    r->read_event_handler = ngx_http_block_reading;

    ngx_buf_t *fill = &ctx->bufs[(ctx->head + ctx->count) % ctx->nbufs];

    if (ctx->count < ctx->nbufs && fill->last > fill->pos) {
        ctx->count++;
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

static ngx_uint_t
ngx_http_bigupload_in_place(ngx_http_request_t *r)
{
    return !r->headers_in.chunked && r->headers_in.content_length_n > 0
#if (NGX_HTTP_V2)
           && r->stream == nullptr
#endif
           ;
}


static void
ngx_http_bigupload_read_in_place(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx)
{
    ngx_buf_t                *b, *fill;
    ngx_http_request_body_t  *rb;

    rb = r->request_body;
    b = rb->buf;

    if (!ngx_http_bigupload_in_place(r)
        || b == nullptr || b->pos != b->last || rb->bufs
        || ctx->count == ctx->nbufs)
    {
        return;
    }

    fill = &ctx->bufs[(ctx->head + ctx->count) % ctx->nbufs];

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

    rb = r->request_body;

    for (cl = rb->bufs; cl; cl = next) {
        b = cl->buf;

        if (b->in_file) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "bigupload: request body in a file");
            ngx_http_bigupload_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "internal", "request body in a file");
            return;
        }

        while (b->pos < b->last) {
            if (ctx->count == ctx->nbufs) {
                rb->bufs = cl;
                return;
            }

            fill = &ctx->bufs[(ctx->head + ctx->count) % ctx->nbufs];

            size = ngx_min((size_t) (b->last - b->pos),
                           (size_t) (fill->end - fill->last));

            if (b->pos != fill->last) {
                /* not read in place: copied (the source may lie further
                 * on in this very buffer) */
                ngx_memmove(fill->last, b->pos, size);
            }

            fill->last += size;
            b->pos += size;
            ctx->received += size;

            if (fill->last == fill->end) {
                ctx->count++;
            }

            if (ctx->conf->max_size == 0 || ctx->received <= ctx->conf->max_size) {
                continue;
            }

            rb->bufs = cl;

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: body of \"%s\" exceeds "
                          "bigupload_max_size %O", ctx->remote_path.c_str(),
                          ctx->conf->max_size);
            ngx_http_bigupload_fail(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                    "too_large", "body exceeds bigupload_max_size");
            return;
        }

        next = cl->next;
        ngx_free_chain(r->pool, cl);
    }

    rb->bufs = nullptr;
}


/*
 * Records a failure; the temp file is removed on the thread pool and the
 * error answered once no task is in flight.  Logged by the caller.
 */

static void
ngx_http_bigupload_fail(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    ngx_uint_t status, const char *code, const std::string &message)
{
    if (ctx->failed) {
        return;
    }

    ctx->failed = 1;
    ctx->status = status;
    ctx->error_code = code;
    ctx->error_message = message;

    if (r->connection->error || status == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        ctx->client_gone = 1;
    }

    if (ctx->reading) {
        ctx->reading = 0;
        r->read_event_handler = ngx_http_block_reading;
    }
}


static void
ngx_http_bigupload_fail_fs(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::ErrnoStatus  es;

    es = ngx_http_bigupload_log_fs(r->connection->log, ctx->fserr);

    ngx_http_bigupload_fail(r, ctx, (ngx_uint_t) es.status, es.code, es.message);
}


/* a failed syscall, logged at the level its errno calls for */

static bigupload::ErrnoStatus
ngx_http_bigupload_log_fs(ngx_log_t *log, const bigupload::FsError &e)
{
    ngx_uint_t              level;
    bigupload::ErrnoStatus  es;

    es = bigupload::status_for_errno(e.err);
    level = es.client_fault ? NGX_LOG_ERR : NGX_LOG_CRIT;

    ngx_log_error(level, log, e.err,
                  "bigupload: %s \"%s\" failed", e.op.c_str(), e.path.c_str());

    return es;
}


/* a bug (an exception): logged, and answered with a plain 500 */

static void
ngx_http_bigupload_internal_error(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    const char *what)
{
    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0, "bigupload: %s", what);

    ngx_http_bigupload_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                            "internal", "internal error");
}


/* resumable uploads --------------------------------------------------------- */

static void
ngx_http_bigupload_partial_fail(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::PartialOutcome o)
{
    const char  *path = ctx->remote_path.c_str();

    switch (o) {

    case bigupload::PartialOutcome::key_mismatch:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: the partial upload of \"%s\" has another "
                      "Upload-Key", path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "upload_key_mismatch",
                                "a partial upload of this path belongs to another "
                                "Upload-Key");
        return;

    case bigupload::PartialOutcome::length_mismatch:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: length of \"%s\" differs from the one declared",
                      path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "length_mismatch",
                                "the upload's length differs from the one declared "
                                "before");
        return;

    case bigupload::PartialOutcome::beyond_length:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: range beyond the declared length of \"%s\"", path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_RANGE_NOT_SATISFIABLE,
                                "range_not_satisfiable",
                                "the range goes beyond the upload's length");
        return;

    case bigupload::PartialOutcome::cancelled:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: the partial upload of \"%s\" was cancelled "
                      "meanwhile", path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "cancelled",
                                "the upload was cancelled or expired meanwhile");
        return;

    case bigupload::PartialOutcome::corrupt:
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "bigupload: the state of the partial upload of \"%s\" is "
                      "corrupt", path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "partial_corrupt",
                                "the partial upload's state is damaged: DELETE it "
                                "to start over");
        return;

    case bigupload::PartialOutcome::not_found:
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_NOT_FOUND, "not_found",
                                "no partial upload at this path");
        return;

    case bigupload::PartialOutcome::precondition_failed:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: precondition failed for \"%s\"", path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_PRECONDITION_FAILED,
                                "precondition_failed",
                                "If-Match or If-None-Match precondition failed");
        return;

    case bigupload::PartialOutcome::exists:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: \"%s\" exists and bigupload_overwrite is off", path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "exists",
                                "target already exists");
        return;

    case bigupload::PartialOutcome::is_directory:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: \"%s\" is a directory", path);
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "is_directory",
                                "target is a directory");
        return;

    default:
        ngx_http_bigupload_fail_fs(r, ctx);
        return;
    }
}


static void
ngx_http_bigupload_progress_headers(ngx_http_bigupload_ctx_t *ctx,
    const bigupload::UploadState &st)
{
    u_char  buf[sizeof("Mon, 28 Sep 1970 06:00:00 GMT")];

    ctx->headers.emplace_back("Upload-Offset", std::to_string(st.received.contiguous()));
    ctx->headers.emplace_back("Upload-Ranges", st.received.to_string());

    if (st.length) {
        ctx->headers.emplace_back("Upload-Length", std::to_string(*st.length));
    }

    u_char *last = ngx_http_time(buf, (time_t) (st.updated + ctx->conf->expire));
    ctx->headers.emplace_back("Upload-Expires", std::string((char *) buf, last - buf));
    ctx->headers.emplace_back("Upload-Complete", "?0");
}


/* the answer to a resumable request whose task is done */

static void
ngx_http_bigupload_partial_answer(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Partial  *p = ctx->partial.get();

    switch (ctx->op) {

    case ngx_http_bigupload_op_commit:
        if (ctx->poutcome == bigupload::PartialOutcome::created
            || ctx->poutcome == bigupload::PartialOutcome::replaced)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "bigupload: stored \"%s\" (%uL bytes, sha256 %s)",
                          p->target_path().c_str(), (uint64_t) p->size(),
                          p->sha256().c_str());

            ctx->success_status = ctx->poutcome == bigupload::PartialOutcome::created
                                  ? NGX_HTTP_CREATED : NGX_HTTP_OK;
            ctx->success_body = bigupload::success_json(ctx->remote_path, p->size(),
                                                        p->sha256());
            ctx->headers.emplace_back("Repr-Digest",
                                      bigupload::repr_digest_sha256(p->sha256()));
            ctx->answer = 1;
            return;
        }

        if (ctx->poutcome == bigupload::PartialOutcome::completed_elsewhere) {
            ctx->headers.emplace_back("Upload-Offset",
                                      std::to_string(*p->state().length));
            ctx->headers.emplace_back("Upload-Complete", "?1");
            ctx->success_status = NGX_HTTP_NO_CONTENT;
            ctx->answer = 1;
            return;
        }

        if (ctx->poutcome == bigupload::PartialOutcome::incomplete) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "bigupload: received %uL bytes at %uL of \"%s\", "
                          "holding %uL", (uint64_t) p->written(),
                          (uint64_t) ctx->rq.start, ctx->remote_path.c_str(),
                          (uint64_t) p->state().received.total());

            ngx_http_bigupload_progress_headers(ctx, p->state());
            ctx->success_status = NGX_HTTP_NO_CONTENT;
            ctx->answer = 1;
            return;
        }

        ngx_http_bigupload_partial_fail(r, ctx, ctx->poutcome);
        return;

    case ngx_http_bigupload_op_query:
        if (ctx->poutcome == bigupload::PartialOutcome::ok) {
            ngx_http_bigupload_progress_headers(ctx, ctx->info.state);
            ctx->success_status = NGX_HTTP_NO_CONTENT;
            ctx->answer = 1;
            return;
        }

        if (ctx->poutcome == bigupload::PartialOutcome::not_found
            && ctx->info.target_exists)
        {
            ctx->headers.emplace_back("Upload-Offset",
                                      std::to_string(ctx->info.target_size));
            ctx->headers.emplace_back("Upload-Complete", "?1");
            if (!ctx->info.target_sha256.empty()) {
                ctx->headers.emplace_back("Repr-Digest", bigupload::repr_digest_sha256(
                                                             ctx->info.target_sha256));
            }
            ctx->content_length = (off_t) ctx->info.target_size;
            ctx->success_status = NGX_HTTP_OK;
            ctx->answer = 1;
            return;
        }

        ngx_http_bigupload_partial_fail(r, ctx, ctx->poutcome);
        return;

    case ngx_http_bigupload_op_cancel:
        if (ctx->poutcome == bigupload::PartialOutcome::ok) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "bigupload: cancelled the partial upload of \"%s\"",
                          ctx->remote_path.c_str());
            ctx->success_status = NGX_HTTP_NO_CONTENT;
            ctx->answer = 1;
            return;
        }

        ngx_http_bigupload_partial_fail(r, ctx, ctx->poutcome);
        return;

    default:
        return;
    }
}


/*
 * Stores whose partials this worker sweeps: those configured without
 * variables (from the main conf, at start) and those used since.
 */

struct ngx_http_bigupload_sweep_store_t {
    std::string          root;
    time_t               expire;
    ngx_thread_pool_t   *thread_pool;
};

static std::vector<ngx_http_bigupload_sweep_store_t>  *ngx_http_bigupload_stores;
static ngx_event_t                                     ngx_http_bigupload_sweep_ev;
static ngx_uint_t                                      ngx_http_bigupload_sweeping;


static void
ngx_http_bigupload_register_store(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf, const std::string &root)
{
    if (ngx_http_bigupload_stores == nullptr
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


typedef struct {
    std::vector<std::pair<std::string, time_t>>  *stores;
    ngx_uint_t                                    removed;
} ngx_http_bigupload_sweep_t;


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

    if (ngx_http_bigupload_zone) {
        ngx_http_bigupload_reap(ngx_http_bigupload_zone, ev->log);
    }

    if (ngx_http_bigupload_sweeping) {
        return;
    }

    try {
        task = (ngx_thread_task_t *) ngx_calloc(sizeof(ngx_thread_task_t)
                                                + sizeof(ngx_http_bigupload_sweep_t),
                                                ev->log);
        if (task == nullptr) {
            return;
        }

        sw = (ngx_http_bigupload_sweep_t *) (task + 1);
        sw->stores = new std::vector<std::pair<std::string, time_t>>();

        for (const auto &st : *ngx_http_bigupload_stores) {
            sw->stores->emplace_back(st.root, st.expire);
        }

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

    } catch (...) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0, "bigupload: exception in sweep");
    }
}


static void
ngx_http_bigupload_sweep_thread(void *data, ngx_log_t *log)
{
    ngx_http_bigupload_sweep_t  *sw = (ngx_http_bigupload_sweep_t *) data;

    try {
        for (const auto &st : *sw->stores) {
            bigupload::FsError  e;
            sw->removed += bigupload::Partial::sweep(st.first,
                                                     (std::int64_t) time(nullptr),
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

    if (sw->removed && ngx_http_bigupload_zone) {
        ngx_slab_pool_t             *shpool;
        ngx_http_bigupload_shctx_t  *sh;

        shpool = (ngx_slab_pool_t *) ngx_http_bigupload_zone->shm.addr;
        sh = (ngx_http_bigupload_shctx_t *) ngx_http_bigupload_zone->data;

        ngx_shmtx_lock(&shpool->mutex);
        sh->counters.expired += sw->removed;
        ngx_shmtx_unlock(&shpool->mutex);
    }

    delete sw->stores;
    ngx_free(task);
    ngx_http_bigupload_sweeping = 0;
}


/* thread pool ------------------------------------------------------------- */

/*
 * A request's reusable task, allocated on first use: its thread gets "data"
 * (a pointer, copied into the task), its completion event "event_data".
 */

static ngx_thread_task_t *
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


static ngx_int_t
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


static void
ngx_http_bigupload_task_posted(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ctx->in_flight++;
    r->main->blocked++;
    r->aio = 1;

    if (!ctx->guard.timer_set) {
        ngx_add_timer(&ctx->guard, NGX_HTTP_BIGUPLOAD_GUARD);
    }
}


static void
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
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = *(ngx_http_bigupload_ctx_t **) data;

    ctx->fserr = bigupload::FsError();

    try {
        if (ctx->op == ngx_http_bigupload_op_status) {
            for (const auto &st : ctx->report_stores) {
                bigupload::FsError  e;

                if (!bigupload::Partial::list(st.first, (std::int64_t) st.second,
                                              ctx->report->partials, e))
                {
                    ctx->fserr = e;
                    ctx->report->partials_listed = false;
                }
            }

            return;
        }

        if (ctx->partial) {
            bigupload::Partial  *p = ctx->partial.get();
            std::int64_t         now = (std::int64_t) time(nullptr);

            switch (ctx->op) {

            case ngx_http_bigupload_op_open:
                ctx->poutcome = p->begin(ctx->rq, now, ctx->fserr);
                break;

            case ngx_http_bigupload_op_commit:
                ctx->poutcome = p->finish(true, ctx->conf->fsync, now, ctx->fserr);
                break;

            case ngx_http_bigupload_op_abort:
                /* keep what this request wrote: that is the point */
                ctx->poutcome = p->finish(false, ctx->conf->fsync, now, ctx->fserr);
                break;

            case ngx_http_bigupload_op_query:
                ctx->poutcome = p->query(ctx->rq.key, ctx->info, ctx->fserr);
                break;

            case ngx_http_bigupload_op_cancel:
                ctx->poutcome = p->cancel(ctx->rq.key, ctx->fserr);
                break;

            case ngx_http_bigupload_op_status:
            case ngx_http_bigupload_op_none:
                break;
            }

            return;
        }

        switch (ctx->op) {

        case ngx_http_bigupload_op_open:
            ctx->open_outcome = ctx->upload->open(ctx->fserr);
            break;

        case ngx_http_bigupload_op_commit:
            ctx->commit_outcome = ctx->upload->commit(ctx->conf->fsync, ctx->fserr);
            break;

        case ngx_http_bigupload_op_abort:
            ctx->upload->abort();
            break;

        default:
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
        goto resume;
    }

    if (ctx->op == ngx_http_bigupload_op_open
        && (c->error || r->write_event_handler != ngx_http_bigupload_drive))
    {
        /* the client went away, or nginx is terminating the request:
         * do not start reading a body */
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "bigupload: upload of \"%s\" ended before its body",
                      ctx->remote_path.c_str());
        try {
            ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CLIENT_CLOSED_REQUEST,
                                    "client_closed", "client closed the request");
        } catch (...) {
            ctx->failed = 1;
            ctx->status = NGX_HTTP_CLIENT_CLOSED_REQUEST;
        }

    } else if (ctx->thread_exception) {
        ctx->thread_exception = false;
        ngx_http_bigupload_internal_error(r, ctx, "exception on the thread pool");

    } else {
        try {
            switch (ctx->op) {

            case ngx_http_bigupload_op_open:
                ngx_http_bigupload_open_done(r, ctx);
                break;

            case ngx_http_bigupload_op_commit:
                if (ctx->partial) {
                    ctx->finished = 1;
                    ngx_http_bigupload_partial_answer(r, ctx);
                } else {
                    ngx_http_bigupload_commit_done(r, ctx);
                }
                break;

            case ngx_http_bigupload_op_abort:
                ctx->finished = 1;
                ctx->answer = 1;
                break;

            case ngx_http_bigupload_op_query:
            case ngx_http_bigupload_op_cancel:
                ngx_http_bigupload_partial_answer(r, ctx);
                break;

            case ngx_http_bigupload_op_status:
                if (ctx->fserr.err) {
                    (void) ngx_http_bigupload_log_fs(c->log, ctx->fserr);
                }

                ngx_http_bigupload_status_report(r, ctx);
                break;

            case ngx_http_bigupload_op_none:
                break;
            }

        } catch (...) {
            ngx_http_bigupload_internal_error(r, ctx, "exception after a thread task");
        }
    }

resume:

    ngx_http_bigupload_resume(r);
}


static void
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


/* the lanes ----------------------------------------------------------------- */

/*
 * Hands the full buffers that a lane has not seen to it, when it is idle;
 * a buffer that both lanes are done with is free for the body again.
 */

static void
ngx_http_bigupload_pipeline(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_buf_t  *b;

    if (ctx->partial && !ctx->partial->hashing()) {
        /* a range that does not begin at 0 is hashed from the file at the
         * end, if at all: its buffers only need writing */
        ctx->hashed = ctx->count;
    }

    while (ctx->hashed && ctx->written) {
        b = &ctx->bufs[ctx->head];
        b->pos = b->start;
        b->last = b->start;

        ctx->head = (ctx->head + 1) % ctx->nbufs;
        ctx->count--;
        ctx->hashed--;
        ctx->written--;
    }

    if (!ctx->write_lane.both && !ctx->hash_lane.busy && ctx->hashed < ctx->count
        && ngx_http_bigupload_post_lane(r, ctx, &ctx->hash_lane, ctx->hashed,
                                        ctx->count - ctx->hashed)
           != NGX_OK)
    {
        goto failed;
    }

    if (!ctx->write_lane.busy && ctx->written < ctx->count
        && ngx_http_bigupload_post_lane(r, ctx, &ctx->write_lane, ctx->written,
                                        ctx->count - ctx->written)
           != NGX_OK)
    {
        goto failed;
    }

    return;

failed:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "bigupload: cannot post a task to thread pool \"%V\"",
                  &ctx->conf->thread_pool_name);
    ngx_http_bigupload_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                            "internal", "cannot post thread task");
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

    lane->first = (ctx->head + skip) % ctx->nbufs;
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

    lane = *(ngx_http_bigupload_lane_t **) data;
    ctx = lane->ctx;

    lane->fserr = bigupload::FsError();
    lane->io_ok = true;
    lane->poutcome = bigupload::PartialOutcome::ok;

    try {
        for ( /* void */ ; lane->done < lane->n; lane->done++) {
            b = &ctx->bufs[(lane->first + lane->done) % ctx->nbufs];

            if (lane->hash || lane->both) {
                if (ctx->partial) {
                    ctx->partial->hash(b->pos, b->last - b->pos);
                } else {
                    ctx->upload->hash(b->pos, b->last - b->pos);
                }

                if (lane->hash) {
                    continue;
                }
            }

            if (ctx->partial) {
                lane->poutcome = ctx->partial->write_only(b->pos, b->last - b->pos,
                                                          (std::int64_t) time(nullptr),
                                                          lane->fserr);
                lane->io_ok = lane->poutcome == bigupload::PartialOutcome::ok;

            } else {
                lane->io_ok = ctx->upload->write(b->pos, b->last - b->pos,
                                                 lane->fserr);
            }

            if (!lane->io_ok) {
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

    /* what the lane finished counts, also when it stopped at a failure */
    if (lane->hash) {
        ctx->hashed += lane->done;

    } else {
        ctx->written += lane->done;

        if (lane->both && ctx->hashed < ctx->written) {
            ctx->hashed = ctx->written;
        }
    }

    if (lane->thread_exception) {
        lane->thread_exception = false;

        if (lane->hash) {
            ctx->hash_failed = 1;
        }

        ngx_http_bigupload_internal_error(r, ctx, "exception on the thread pool");

    } else if (!lane->io_ok && !ctx->failed) {
        try {
            ctx->fserr = lane->fserr;

            if (ctx->partial) {
                ctx->poutcome = lane->poutcome;
                ngx_http_bigupload_partial_fail(r, ctx, lane->poutcome);

            } else {
                ngx_http_bigupload_fail_fs(r, ctx);
            }

        } catch (...) {
            ngx_http_bigupload_internal_error(r, ctx, "exception after a thread task");
        }
    }

    ngx_http_bigupload_resume(r);
}


static void
ngx_http_bigupload_commit_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_uint_t  status;

    switch (ctx->commit_outcome) {

    case bigupload::CommitOutcome::created:
    case bigupload::CommitOutcome::replaced:
        break;

    case bigupload::CommitOutcome::exists:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: \"%s\" appeared during the upload and "
                      "bigupload_overwrite is off",
                      ctx->upload->file().target_path().c_str());
        ngx_http_bigupload_fail(r, ctx, NGX_HTTP_CONFLICT, "exists",
                                "target already exists");
        return;

    case bigupload::CommitOutcome::error:
        ngx_http_bigupload_fail_fs(r, ctx);
        return;
    }

    status = ctx->commit_outcome == bigupload::CommitOutcome::created
             ? NGX_HTTP_CREATED : NGX_HTTP_OK;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "bigupload: stored \"%s\" (%uL bytes, sha256 %s)",
                  ctx->upload->file().target_path().c_str(),
                  (uint64_t) ctx->upload->size(), ctx->upload->sha256().c_str());

    ctx->success_status = status;
    ctx->success_body = bigupload::success_json(ctx->remote_path,
                                                ctx->upload->size(),
                                                ctx->upload->sha256());
    ctx->headers.emplace_back("Repr-Digest",
                              bigupload::repr_digest_sha256(ctx->upload->sha256()));
    ctx->answer = 1;
}


/* answers ----------------------------------------------------------------- */

static void
ngx_http_bigupload_finish(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t  rc;

    ctx->done = 1;

    if (!ctx->failed && ctx->conf->pass.len
        && ngx_http_bigupload_result(ctx) == bigupload::Result::complete)
    {
        rc = ngx_http_bigupload_pass(r, ctx);
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (!ctx->failed) {
        rc = ngx_http_bigupload_send(r, ctx->success_status, ctx->success_body,
                                     ctx->success_status == NGX_HTTP_CREATED, ctx);

    } else {
        if (r->connection->error) {
            ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
            return;
        }

        if (r->request_body == nullptr) {
            rc = ngx_http_bigupload_refuse_body(r);
            if (rc != NGX_OK) {
                ngx_http_finalize_request(r, rc);
                return;
            }

        } else if (!ctx->body_done) {
            /* the rest of the body is not wanted, and the connection is
             * not to be reused with part of it unread */
            r->keepalive = 0;
            r->lingering_close = 1;
        }

        std::string body = bigupload::error_json(ctx->error_code,
                                                 ctx->error_message);
        rc = ngx_http_bigupload_send(r, ctx->status, body, 0, ctx);
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_bigupload_send(ngx_http_request_t *r, ngx_uint_t status,
    const std::string &body, ngx_uint_t created, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    /* If-Match was the request's precondition, evaluated on the upload's
     * target: the not_modified filter must not apply it to this answer */
    r->disable_not_modified = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = body.size();

    if (ctx && !ctx->content_type.empty()) {
        r->headers_out.content_type.len = ctx->content_type.size();
        r->headers_out.content_type.data = (u_char *) ngx_pnalloc(r->pool,
                                                      ctx->content_type.size());
        if (r->headers_out.content_type.data == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(r->headers_out.content_type.data, ctx->content_type.data(),
                   ctx->content_type.size());
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = nullptr;

    } else if (!body.empty()) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = sizeof("application/json") - 1;
        r->headers_out.content_type_lowcase = nullptr;
    }

    if (ctx && ctx->content_length >= 0) {
        /* HEAD of a finished file: its size, no body */
        r->headers_out.content_length_n = ctx->content_length;
    }

    if (ctx) {
        for (const auto &hv : ctx->headers) {
            if (ngx_http_bigupload_add_header(r, hv.first, hv.second) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (created) {
        ngx_table_elt_t  *location;
        uintptr_t         escape;

        location = (ngx_table_elt_t *) ngx_list_push(&r->headers_out.headers);
        if (location == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        location->hash = 1;
        ngx_str_set(&location->key, "Location");

        escape = 2 * ngx_escape_uri(nullptr, r->uri.data, r->uri.len,
                                    NGX_ESCAPE_URI);

        location->value.len = r->uri.len + escape;
        location->value.data = (u_char *) ngx_pnalloc(r->pool, location->value.len);
        if (location->value.data == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (escape) {
            ngx_escape_uri(location->value.data, r->uri.data, r->uri.len,
                           NGX_ESCAPE_URI);
        } else {
            ngx_memcpy(location->value.data, r->uri.data, r->uri.len);
        }

        /* made absolute by the header filter, as for dav */
        r->headers_out.location = location;
    }

    b = ngx_create_temp_buf(r->pool, body.size());
    if (b == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, body.data(), body.size());
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = nullptr;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_bigupload_add_header(ngx_http_request_t *r, const std::string &name,
    const std::string &value)
{
    ngx_table_elt_t  *h;

    h = (ngx_table_elt_t *) ngx_list_push(&r->headers_out.headers);
    if (h == nullptr) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = name.size();
    h->key.data = (u_char *) ngx_pnalloc(r->pool, name.size());
    h->value.len = value.size();
    h->value.data = (u_char *) ngx_pnalloc(r->pool, value.size() + 1);
    if (h->key.data == nullptr || h->value.data == nullptr) {
        h->hash = 0;
        return NGX_ERROR;
    }

    ngx_memcpy(h->key.data, name.data(), name.size());
    ngx_memcpy(h->value.data, value.data(), value.size());

    return NGX_OK;
}


/* an error answered from the content handler, before the body is read */

static ngx_int_t
ngx_http_bigupload_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message)
{
    ngx_int_t                  rc;
    ngx_http_bigupload_ctx_t  *ctx;

    rc = ngx_http_bigupload_refuse_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    try {
        /* for the variables and the counters */
        ctx = (ngx_http_bigupload_ctx_t *)
                  ngx_http_get_module_ctx(r, ngx_http_bigupload_module);
        if (ctx) {
            ctx->failed = 1;
            ctx->done = 1;
            ctx->status = status;
            ctx->error_code = code;
        }

        return ngx_http_bigupload_send(r, status,
                                       bigupload::error_json(code, message), 0,
                                       nullptr);
    } catch (...) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


/*
 * An answer before the body: no "100 Continue" for a body nobody wants,
 * and no keep-alive either, since a client that waited for the 100 may
 * reuse the connection without sending it; nginx discards what comes.
 */

static ngx_int_t
ngx_http_bigupload_refuse_body(ngx_http_request_t *r)
{
    r->expect_tested = 1;

    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        r->keepalive = 0;
    }

    return ngx_http_discard_request_body(r);
}


/* status ------------------------------------------------------------------ */

/*
 * How the request ended, for $bigupload_result and the counters: "none"
 * while an upload goes on, and for requests that are not uploads (HEAD,
 * a refused method, the status location).
 */

static bigupload::Result
ngx_http_bigupload_result(ngx_http_bigupload_ctx_t *ctx)
{
    if (!ctx->done) {
        return bigupload::Result::none;
    }

    switch (ctx->kind) {

    case ngx_http_bigupload_op_open:
        if (ctx->pass_removed) {
            return bigupload::Result::failed;
        }

        if (ctx->failed) {
            if (!ctx->client_gone) {
                return bigupload::Result::failed;
            }

            /* a resumable upload keeps what arrived before the client left */
            return ctx->partial && ctx->begun ? bigupload::Result::partial
                                              : bigupload::Result::cancelled;
        }

        if (ctx->partial
            && ctx->poutcome != bigupload::PartialOutcome::created
            && ctx->poutcome != bigupload::PartialOutcome::replaced)
        {
            return bigupload::Result::partial;
        }

        return bigupload::Result::complete;

    case ngx_http_bigupload_op_cancel:
        return ctx->failed ? bigupload::Result::failed : bigupload::Result::cancelled;

    default:
        return bigupload::Result::none;
    }
}


static ngx_int_t
ngx_http_bigupload_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    size_t                       len;
    ngx_slab_pool_t             *shpool;
    ngx_http_bigupload_shctx_t  *sh;

    if (data) {
        /* reloaded with the same size: counters and uploads carry on */
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

static void
ngx_http_bigupload_track(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    off_t length)
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

    const std::string  &temp = ctx->upload ? ctx->upload->file().temp_path()
                                           : ctx->remote_path;
    size_t              temp_len = ctx->upload ? temp.size() : 0;

    len = offsetof(ngx_http_bigupload_slot_t, data) + ctx->remote_path.size()
          + client->len + temp_len;

    ngx_shmtx_lock(&shpool->mutex);

    slot = (ngx_http_bigupload_slot_t *) ngx_slab_alloc_locked(shpool, len);

    if (slot == nullptr) {
        sh->counters.untracked++;
        ngx_shmtx_unlock(&shpool->mutex);
        return;
    }

    slot->pid = ngx_pid;
    slot->resumable = ctx->partial ? 1 : 0;
    slot->started_ms = ctx->start_ms;
    slot->offset = ctx->partial ? ctx->rq.start : 0;
    slot->length = length;
    slot->received = 0;
    slot->rate_bytes = 0;
    slot->rate_msec = ngx_current_msec;
    slot->rate = 0;
    slot->path_len = ctx->remote_path.size();
    slot->client_len = client->len;
    slot->temp_len = temp_len;
    ngx_memcpy(slot->data, ctx->remote_path.data(), slot->path_len);
    ngx_memcpy(slot->data + slot->path_len, client->data, client->len);
    ngx_memcpy(slot->data + slot->path_len + client->len, temp.data(), temp_len);

    ngx_queue_insert_tail(&sh->live, &slot->queue);

    ngx_shmtx_unlock(&shpool->mutex);

    ctx->slot = slot;
}


/* the byte count goes in without the lock; the rate once a second with it */

static void
ngx_http_bigupload_track_progress(ngx_http_bigupload_ctx_t *ctx)
{
    ngx_slab_pool_t            *shpool;
    ngx_http_bigupload_slot_t  *slot = ctx->slot;

    if (slot == nullptr) {
        return;
    }

    __atomic_store_n(&slot->received, (uint64_t) ctx->received, __ATOMIC_RELAXED);

    if ((ngx_msec_int_t) (ngx_current_msec - slot->rate_msec) < 1000) {
        return;
    }

    shpool = (ngx_slab_pool_t *) ctx->zone->shm.addr;

    ngx_shmtx_lock(&shpool->mutex);

    slot->rate = (uint64_t) bigupload::upload_rate(slot->rate_bytes,
                                                   (int64_t) slot->rate_msec,
                                                   (uint64_t) ctx->received,
                                                   (int64_t) ngx_current_msec);
    slot->rate_bytes = (uint64_t) ctx->received;
    slot->rate_msec = ngx_current_msec;

    ngx_shmtx_unlock(&shpool->mutex);
}


/* the request is over: its slot goes, its outcome is counted */

static void
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
        size = ctx->partial ? ctx->partial->size() : ctx->upload->size();
    }

    tp = ngx_timeofday();

    int64_t  duration = (int64_t) tp->sec * 1000 + tp->msec - ctx->start_ms;

    ngx_shmtx_lock(&shpool->mutex);

    if (ctx->slot) {
        ngx_queue_remove(&ctx->slot->queue);
        ngx_slab_free_locked(shpool, ctx->slot);
        ctx->slot = nullptr;
    }

    if (account && ctx->kind == ngx_http_bigupload_op_open) {
        sh->counters.record_upload(result, ctx->error_code, (uint64_t) ctx->received,
                                   size, (uint64_t) ngx_max(duration, 0));

    } else if (account && ctx->kind == ngx_http_bigupload_op_cancel
               && result == bigupload::Result::cancelled)
    {
        sh->counters.record_cancel();
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * The slots of workers that died without their cleanups (SIGKILL, a crash)
 * are dropped, and the temp files of their plain uploads removed: nothing
 * else knows of those.  Run by each new worker, by the sweep timer and
 * before a status snapshot.
 */

static void
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

static void
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
            u.client.assign((const char *) slot->data + slot->path_len,
                            slot->client_len);
            u.received = __atomic_load_n(&slot->received, __ATOMIC_RELAXED);
            u.offset = slot->offset;
            if (slot->length >= 0) {
                u.length = (uint64_t) slot->length;
            }
            u.started_ms = slot->started_ms;
            u.resumable = slot->resumable;
            u.pid = (long) slot->pid;

            /* no sample for a second: the upload stalls, or just began */
            ngx_msec_int_t  age = (ngx_msec_int_t) (ngx_current_msec - slot->rate_msec);

            u.rate = (age >= 1000 || (slot->rate == 0 && age >= 200))
                     ? bigupload::upload_rate(slot->rate_bytes, 0, u.received, age)
                     : (double) slot->rate;

            s.uploads.push_back(std::move(u));
        }

    } catch (...) {
        ngx_shmtx_unlock(&shpool->mutex);
        throw;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * GET on a bigupload_status location: the zone's snapshot, completed with
 * the partials on disk by a thread task, as JSON or (?format=prometheus)
 * in Prometheus' text format.
 */

static ngx_int_t
ngx_http_bigupload_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        format;
    ngx_http_bigupload_ctx_t        *ctx;
    ngx_http_bigupload_loc_conf_t   *conf;
    ngx_http_bigupload_main_conf_t  *bmcf;

    conf = (ngx_http_bigupload_loc_conf_t *)
               ngx_http_get_module_loc_conf(r, ngx_http_bigupload_module);
    bmcf = (ngx_http_bigupload_main_conf_t *)
               ngx_http_get_module_main_conf(r, ngx_http_bigupload_module);

    if (r != r->main) {
        return NGX_DECLINED;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_table_elt_t  *allow;

        allow = (ngx_table_elt_t *) ngx_list_push(&r->headers_out.headers);
        if (allow == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        allow->hash = 1;
        ngx_str_set(&allow->key, "Allow");
        ngx_str_set(&allow->value, "GET, HEAD");

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bigupload: method \"%V\" not allowed on the status",
                      &r->method_name);

        return ngx_http_bigupload_error(r, NGX_HTTP_NOT_ALLOWED, "method_not_allowed",
                                        "the status answers GET and HEAD");
    }

    bool  prometheus = false;

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK) {
        if (format.len == 10 && ngx_strncmp(format.data, "prometheus", 10) == 0) {
            prometheus = true;

        } else if (!(format.len == 4 && ngx_strncmp(format.data, "json", 4) == 0)) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: unknown status format \"%V\"", &format);
            return ngx_http_bigupload_error(r, NGX_HTTP_BAD_REQUEST, "bad_format",
                                            "format is json or prometheus");
        }
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    try {
        ctx = ngx_http_bigupload_create_ctx(r, conf);
        if (ctx == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->kind = ngx_http_bigupload_op_status;
        ctx->prometheus = prometheus;
        ctx->report = std::make_unique<bigupload::StatusSnapshot>();

        ngx_http_bigupload_snapshot(bmcf->zone, *ctx->report);

        if (ngx_http_bigupload_stores) {
            for (const auto &st : *ngx_http_bigupload_stores) {
                ctx->report_stores.emplace_back(st.root, st.expire);
            }
        }

        if (ctx->report_stores.empty()) {
            ngx_http_bigupload_status_report(r, ctx);
            return ngx_http_bigupload_send(r, ctx->success_status, ctx->success_body,
                                           0, ctx);
        }

        /* the partials are on disk: listed on the thread pool */

        r->write_event_handler = ngx_http_bigupload_drive;

        if (ngx_http_bigupload_post(r, ctx, ngx_http_bigupload_op_status) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->main->count++;

        return NGX_DONE;

    } catch (const std::exception &e) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bigupload: exception: %s", e.what());

    } catch (...) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bigupload: unknown exception");
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static void
ngx_http_bigupload_status_report(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->prometheus) {
        ctx->success_body = bigupload::status_prometheus(*ctx->report);
        ctx->content_type = "text/plain; version=0.0.4; charset=utf-8";

    } else {
        ctx->success_body = bigupload::status_json(*ctx->report);
        ctx->content_type = "application/json";
    }

    /* a snapshot is never to be cached */
    ctx->headers.emplace_back("Cache-Control", "no-store");

    ctx->success_status = NGX_HTTP_OK;
    ctx->answer = 1;
}


/* bigupload_pass ------------------------------------------------------------ */

/*
 * A complete upload continues to the bigupload_pass location as a POST whose
 * body is the JSON result; the client's headers go along.  What that
 * location answers is the answer.
 */

static ngx_int_t
ngx_http_bigupload_pass(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    size_t        len;
    ngx_buf_t    *b;
    ngx_str_t     uri, args;
    ngx_chain_t  *cl;

    bool          created = ctx->success_status == NGX_HTTP_CREATED;
    std::string   file, sha256;
    uint64_t      size;

    if (ctx->partial) {
        file = ctx->partial->target_path();
        sha256 = ctx->partial->sha256();
        size = ctx->partial->size();

    } else {
        file = ctx->upload->file().target_path();
        sha256 = ctx->upload->sha256();
        size = ctx->upload->size();
    }

    std::string body = bigupload::pass_json(ctx->remote_path, size, sha256, file,
                                            created);

    b = ngx_create_temp_buf(r->pool, body.size());
    cl = ngx_alloc_chain_link(r->pool);
    if (b == nullptr || cl == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, body.data(), body.size());
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = nullptr;

    /* the body read is over: what the backend's location reads is this */
    r->request_body->bufs = cl;
    r->request_body->buf = b;
    r->request_body->rest = 0;
    r->request_body->temp_file = nullptr;
    r->request_body_no_buffering = 0;
    r->reading_body = 0;

    r->headers_in.chunked = 0;
    r->headers_in.content_length_n = body.size();

    if (ngx_http_bigupload_content_length_index != NGX_ERROR) {
        r->variables[ngx_http_bigupload_content_length_index].valid = 0;
        r->variables[ngx_http_bigupload_content_length_index].not_found = 0;
    }

    if (r->headers_in.content_length) {
        len = NGX_OFF_T_LEN;
        u_char *p = (u_char *) ngx_pnalloc(r->pool, len);
        if (p == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_in.content_length->value.data = p;
        r->headers_in.content_length->value.len = ngx_sprintf(p, "%O",
                                                  (off_t) body.size()) - p;
    }

    if (r->headers_in.content_type) {
        ngx_str_set(&r->headers_in.content_type->value, "application/json");

    } else {
        ngx_table_elt_t  *h;

        h = (ngx_table_elt_t *) ngx_list_push(&r->headers_in.headers);
        if (h == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&h->key, "Content-Type");
        ngx_str_set(&h->value, "application/json");
        h->lowcase_key = (u_char *) "content-type";
        h->hash = ngx_hash_key(h->lowcase_key, h->key.len);

        r->headers_in.content_type = h;
    }

    r->method = NGX_HTTP_POST;
    ngx_str_set(&r->method_name, "POST");

    /* the stored file's digest reaches the client whatever the backend says */
    if (ngx_http_bigupload_add_header(r, "Repr-Digest",
                                      bigupload::repr_digest_sha256(sha256))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->passed = 1;

    r->read_event_handler = ngx_http_block_reading;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "bigupload: passing \"%s\" to \"%V\"", file.c_str(),
                  &ctx->conf->pass);

    uri = ctx->conf->pass;

    if (uri.data[0] == '@') {
        ngx_http_named_location(r, &uri);

    } else {
        args = r->args;
        ngx_http_internal_redirect(r, &uri, &args);
    }

    return NGX_DONE;
}


/*
 * The backend's answer goes out: with bigupload_pass_cleanup, a status it
 * lists removes the file just stored.
 */

static ngx_int_t
ngx_http_bigupload_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                   i, status;
    ngx_http_bigupload_ctx_t    *ctx;
    ngx_http_bigupload_range_t  *range;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_bigupload_get_ctx(r);

    if (ctx == nullptr || !ctx->passed || ctx->pass_status) {
        return ngx_http_next_header_filter(r);
    }

    status = r->headers_out.status;
    ctx->pass_status = status;

    if (ctx->conf->pass_cleanup) {
        range = (ngx_http_bigupload_range_t *) ctx->conf->pass_cleanup->elts;

        for (i = 0; i < ctx->conf->pass_cleanup->nelts; i++) {
            if (status >= range[i].lo && status <= range[i].hi) {
                ctx->pass_removed = 1;
                break;
            }
        }
    }

    try {
        std::string  file = ctx->partial ? ctx->partial->target_path()
                                         : ctx->upload->file().target_path();

        if (ctx->pass_removed) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: backend answered %ui for \"%s\", removing it "
                          "(bigupload_pass_cleanup)", status, file.c_str());

            ctx->error_code = "backend";

            std::string  sha256 = ctx->partial ? ctx->partial->sha256()
                                               : ctx->upload->sha256();

            if (ngx_http_bigupload_detach(ctx->conf->thread_pool, r->connection->log,
                                          [file, sha256] {
                                              bigupload::remove_if_same(file, sha256);
                                          })
                != NGX_OK)
            {
                ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                              "bigupload: cannot post the removal of \"%s\"",
                              file.c_str());
            }

        } else if (status >= NGX_HTTP_BAD_REQUEST) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "bigupload: backend answered %ui for \"%s\", the file "
                          "is kept", status, file.c_str());

            ctx->error_code = "backend";
        }

    } catch (...) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bigupload: exception in the header filter");
    }

    return ngx_http_next_header_filter(r);
}


/*
 * The request's state, also after an internal redirect (bigupload_pass),
 * which clears the modules' contexts: then it is found by its pool cleanup,
 * as the realip module finds its own.
 */

static ngx_http_bigupload_ctx_t *
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


/* variables ----------------------------------------------------------------- */

static ngx_int_t
ngx_http_bigupload_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = ngx_http_bigupload_get_ctx(r->main);

    if (ctx == nullptr || ctx->kind == ngx_http_bigupload_op_status) {
        v->not_found = 1;
        return NGX_OK;
    }

    try {
        bigupload::Result  result = ngx_http_bigupload_result(ctx);
        bool               complete = result == bigupload::Result::complete
                                      || (ctx->pass_removed && ctx->passed);
        std::string        value;

        switch (data) {

        case ngx_http_bigupload_var_path:
            value = ctx->remote_path;
            break;

        case ngx_http_bigupload_var_bytes:
            if (ctx->kind == ngx_http_bigupload_op_open) {
                value = std::to_string(ctx->received);
            }
            break;

        case ngx_http_bigupload_var_size:
            if (complete) {
                value = std::to_string(ctx->partial ? ctx->partial->size()
                                                    : ctx->upload->size());
            }
            break;

        case ngx_http_bigupload_var_sha256:
            if (complete) {
                value = ctx->partial ? ctx->partial->sha256() : ctx->upload->sha256();
            }
            break;

        case ngx_http_bigupload_var_result:
            value = bigupload::result_name(result);
            break;

        case ngx_http_bigupload_var_error:
            value = ctx->error_code;
            break;
        }

        v->data = (u_char *) ngx_pnalloc(r->pool, value.size() + 1);
        if (v->data == nullptr) {
            return NGX_ERROR;
        }

        ngx_memcpy(v->data, value.data(), value.size());
        v->len = value.size();
        v->valid = 1;
        v->no_cacheable = 1;
        v->not_found = 0;

        return NGX_OK;

    } catch (...) {
        return NGX_ERROR;
    }
}


/* cleanup ----------------------------------------------------------------- */

/*
 * Runs when the request's pool goes, on every path (success, error, client
 * gone, worker shutdown).  No task is in flight then: r->blocked keeps the
 * pool alive while one is.  A temp file still there is removed on the
 * thread pool by a task that owns the upload from now on.
 */

static void
ngx_http_bigupload_cleanup(void *data)
{
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = (ngx_http_bigupload_ctx_t *) data;

    ngx_queue_remove(&ctx->live.queue);

    if (ctx->guard.timer_set) {
        ngx_del_timer(&ctx->guard);
    }

    ngx_http_bigupload_untrack(ctx, 1);

    if (ctx->upload && ctx->upload->file().has_temp()) {
        bigupload::Upload  *upload = ctx->upload.get();

        /* the destructor closes the file and removes the temp file */
        if (ngx_http_bigupload_detach(ctx->conf->thread_pool, ngx_cycle->log,
                                      [upload] { delete upload; })
            == NGX_OK)
        {
            (void) ctx->upload.release();
        }
    }

    /* what is left (if posting failed) is removed right here */
    delete ctx;
}


/*
 * Runs "fn" on the thread pool, owned by no request: the removal of what a
 * request leaves behind.  Never throws.
 */

typedef struct {
    std::function<void()>  *fn;
} ngx_http_bigupload_detached_t;


static ngx_int_t
ngx_http_bigupload_detach(ngx_thread_pool_t *tp, ngx_log_t *log,
    std::function<void()> fn)
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
    } catch (...) {
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

    delete d->fn;
    ngx_free(task);
}


static void
ngx_http_bigupload_guard_handler(ngx_event_t *ev)
{
    /* a day with a task in flight: nothing to do but wait on */
}


static ngx_int_t
ngx_http_bigupload_init_process(ngx_cycle_t *cycle)
{
    ngx_http_bigupload_main_conf_t  *bmcf;

    ngx_queue_init(&ngx_http_bigupload_live);

    /* the cache manager and loader run this too, without thread pools */
    if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE) {
        return NGX_OK;
    }

    bmcf = (ngx_http_bigupload_main_conf_t *)
               ngx_http_cycle_get_module_main_conf(cycle, ngx_http_bigupload_module);
    if (bmcf == nullptr) {
        return NGX_OK;
    }

    ngx_http_bigupload_zone = bmcf->zone;

    /* a worker that replaces a dead one cleans up after it */
    if (ngx_http_bigupload_zone) {
        ngx_http_bigupload_reap(ngx_http_bigupload_zone, cycle->log);
    }

    try {
        ngx_http_bigupload_stores = new std::vector<ngx_http_bigupload_sweep_store_t>();

        ngx_http_bigupload_store_t *st = (ngx_http_bigupload_store_t *) bmcf->stores.elts;

        for (ngx_uint_t i = 0; i < bmcf->stores.nelts; i++) {
            ngx_http_bigupload_stores->push_back(
                {std::string((const char *) st[i].root.data, st[i].root.len),
                 st[i].expire, st[i].thread_pool});
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


/*
 * A fast shutdown (SIGTERM) exits without destroying request pools.  The
 * thread pools have drained their queues by now (their module exits first),
 * so no task uses an upload: remove what would be left as orphans.
 */

static void
ngx_http_bigupload_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t               *q;
    ngx_http_bigupload_ctx_t  *ctx;

    for (q = ngx_queue_head(&ngx_http_bigupload_live);
         q != ngx_queue_sentinel(&ngx_http_bigupload_live);
         q = ngx_queue_next(q))
    {
        ctx = ((ngx_http_bigupload_live_t *)
                  ngx_queue_data(q, ngx_http_bigupload_live_t, queue))->ctx;

        if (ctx->upload) {
            ctx->upload->abort();
        }

        /* its slot would outlive this process */
        ngx_http_bigupload_untrack(ctx, 0);
    }

    delete ngx_http_bigupload_stores;
    ngx_http_bigupload_stores = nullptr;
}


/* configuration ----------------------------------------------------------- */

static char *
ngx_http_bigupload(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bigupload_loc_conf_t *blcf = (ngx_http_bigupload_loc_conf_t *) conf;

    return ngx_http_bigupload_set_handler(cf, &blcf->enable,
                                          ngx_http_bigupload_handler);
}


static char *
ngx_http_bigupload_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bigupload_loc_conf_t *blcf = (ngx_http_bigupload_loc_conf_t *) conf;

    return ngx_http_bigupload_set_handler(cf, &blcf->status,
                                          ngx_http_bigupload_status_handler);
}


/* "bigupload" and "bigupload_status" make the location's content handler */

static char *
ngx_http_bigupload_set_handler(ngx_conf_t *cf, ngx_flag_t *flag,
    ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_bigupload_main_conf_t  *bmcf;

    if (*flag != NGX_CONF_UNSET) {
        return (char *) "is duplicate";
    }

    *flag = 1;

    clcf = (ngx_http_core_loc_conf_t *)
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler && clcf->handler != handler) {
        return (char *) "conflicts with another handler of this location";
    }

    clcf->handler = handler;

    bmcf = (ngx_http_bigupload_main_conf_t *)
               ngx_http_conf_get_module_main_conf(cf, ngx_http_bigupload_module);
    bmcf->used = 1;

    return NGX_CONF_OK;
}


/* bigupload_pass_cleanup 400 404 500-505; */

static char *
ngx_http_bigupload_pass_cleanup(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bigupload_loc_conf_t *blcf = (ngx_http_bigupload_loc_conf_t *) conf;

    u_char                      *dash;
    ngx_int_t                    lo, hi;
    ngx_str_t                   *value;
    ngx_uint_t                   i;
    ngx_http_bigupload_range_t  *range;

    if (blcf->pass_cleanup != NGX_CONF_UNSET_PTR) {
        return (char *) "is duplicate";
    }

    blcf->pass_cleanup = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                          sizeof(ngx_http_bigupload_range_t));
    if (blcf->pass_cleanup == nullptr) {
        return (char *) NGX_CONF_ERROR;
    }

    value = (ngx_str_t *) cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        dash = (u_char *) ngx_strlchr(value[i].data, value[i].data + value[i].len, '-');

        if (dash) {
            lo = ngx_atoi(value[i].data, dash - value[i].data);
            hi = ngx_atoi(dash + 1, value[i].data + value[i].len - dash - 1);
        } else {
            lo = ngx_atoi(value[i].data, value[i].len);
            hi = lo;
        }

        if (lo < 200 || hi > 599 || lo > hi) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid status \"%V\": a status or a range of "
                               "statuses between 200 and 599", &value[i]);
            return (char *) NGX_CONF_ERROR;
        }

        range = (ngx_http_bigupload_range_t *) ngx_array_push(blcf->pass_cleanup);
        if (range == nullptr) {
            return (char *) NGX_CONF_ERROR;
        }

        range->lo = (ngx_uint_t) lo;
        range->hi = (ngx_uint_t) hi;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_bigupload_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_bigupload_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == nullptr) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* the header filter sees what a bigupload_pass location answers */

static ngx_int_t
ngx_http_bigupload_init(ngx_conf_t *cf)
{
    ngx_str_t  content_length = ngx_string("content_length");

    ngx_http_bigupload_content_length_index =
        ngx_http_get_variable_index(cf, &content_length);

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_bigupload_header_filter;

    return NGX_OK;
}


static void *
ngx_http_bigupload_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_bigupload_main_conf_t  *bmcf;

    bmcf = (ngx_http_bigupload_main_conf_t *)
               ngx_pcalloc(cf->pool, sizeof(ngx_http_bigupload_main_conf_t));
    if (bmcf == nullptr) {
        return nullptr;
    }

    if (ngx_array_init(&bmcf->stores, cf->pool, 4, sizeof(ngx_http_bigupload_store_t))
        != NGX_OK)
    {
        return nullptr;
    }

    bmcf->zone_size = NGX_CONF_UNSET_SIZE;

    return bmcf;
}


/* the status zone, once a location uploads or reports */

static char *
ngx_http_bigupload_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_bigupload_main_conf_t *bmcf = (ngx_http_bigupload_main_conf_t *) conf;

    ngx_str_t  name = ngx_string("bigupload");

    ngx_conf_init_size_value(bmcf->zone_size, NGX_HTTP_BIGUPLOAD_ZONE);

    if (!bmcf->used) {
        return NGX_CONF_OK;
    }

    if (bmcf->zone_size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "bigupload_zone of %uz bytes is too small, at least "
                           "%uz", bmcf->zone_size, 8 * ngx_pagesize);
        return (char *) NGX_CONF_ERROR;
    }

    bmcf->zone = ngx_shared_memory_add(cf, &name, bmcf->zone_size,
                                       &ngx_http_bigupload_module);
    if (bmcf->zone == nullptr) {
        return (char *) NGX_CONF_ERROR;
    }

    bmcf->zone->init = ngx_http_bigupload_init_zone;

    return NGX_CONF_OK;
}


static void *
ngx_http_bigupload_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_bigupload_loc_conf_t  *conf;

    conf = (ngx_http_bigupload_loc_conf_t *)
               ngx_pcalloc(cf->pool, sizeof(ngx_http_bigupload_loc_conf_t));
    if (conf == nullptr) {
        return nullptr;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->thread_pool_name = { 0, NULL };
     *     conf->thread_pool = NULL;
     *     conf->bufs = { 0, 0 };
     *     conf->pass = { 0, NULL };
     */

    conf->enable = NGX_CONF_UNSET;
    conf->store = (ngx_http_complex_value_t *) NGX_CONF_UNSET_PTR;
    conf->max_size = NGX_CONF_UNSET;
    conf->overwrite = NGX_CONF_UNSET;
    conf->create_dirs = NGX_CONF_UNSET;
    conf->access = NGX_CONF_UNSET_UINT;
    conf->fsync = NGX_CONF_UNSET;
    conf->expire = NGX_CONF_UNSET;
    conf->status = NGX_CONF_UNSET;
    conf->pass_cleanup = (ngx_array_t *) NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_bigupload_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_bigupload_loc_conf_t *prev = (ngx_http_bigupload_loc_conf_t *) parent;
    ngx_http_bigupload_loc_conf_t *conf = (ngx_http_bigupload_loc_conf_t *) child;

    ngx_http_core_loc_conf_t  *clcf;

    /* "bigupload" itself is not inherited: it sets the location's handler */
    ngx_conf_init_value(conf->enable, 0);

    ngx_conf_merge_ptr_value(conf->store, prev->store, nullptr);
    ngx_conf_merge_off_value(conf->max_size, prev->max_size, 0);
    ngx_conf_merge_value(conf->overwrite, prev->overwrite, 0);
    ngx_conf_merge_value(conf->create_dirs, prev->create_dirs, 1);
    ngx_conf_merge_uint_value(conf->access, prev->access, 0600);
    ngx_conf_merge_str_value(conf->thread_pool_name, prev->thread_pool_name,
                             "default");
    ngx_conf_merge_value(conf->fsync, prev->fsync, 0);
    ngx_conf_merge_bufs_value(conf->bufs, prev->bufs, 4, 1024 * 1024);
    ngx_conf_merge_sec_value(conf->expire, prev->expire, 24 * 60 * 60);
    ngx_conf_merge_str_value(conf->pass, prev->pass, "");
    ngx_conf_merge_ptr_value(conf->pass_cleanup, prev->pass_cleanup, nullptr);

    /* "bigupload_status" is not inherited either */
    ngx_conf_init_value(conf->status, 0);

    if (conf->status) {
        /* the status lists the partials on disk from the thread pool */
        conf->thread_pool = ngx_thread_pool_add(cf, &conf->thread_pool_name);
        if (conf->thread_pool == nullptr) {
            return (char *) NGX_CONF_ERROR;
        }
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    conf->thread_pool = ngx_thread_pool_add(cf, &conf->thread_pool_name);
    if (conf->thread_pool == nullptr) {
        return (char *) NGX_CONF_ERROR;
    }

    if (conf->pass.len
        && ((conf->pass.data[0] != '/' && conf->pass.data[0] != '@')
            || ngx_strlchr(conf->pass.data, conf->pass.data + conf->pass.len, '?')))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "bigupload: bigupload_pass \"%V\" is neither a URI "
                           "(without arguments) nor a named location", &conf->pass);
        return (char *) NGX_CONF_ERROR;
    }

    /* the merge runs with this location's contexts in cf->ctx */
    clcf = (ngx_http_core_loc_conf_t *)
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (conf->store == nullptr && clcf->alias == NGX_MAX_SIZE_T_VALUE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "bigupload: \"alias\" in a regex location is not "
                           "supported, use \"bigupload_store\"");
        return (char *) NGX_CONF_ERROR;
    }

    /* a store without variables is swept for stale partials from the start */
    if (conf->store && conf->store->lengths == nullptr) {
        ngx_http_bigupload_main_conf_t  *bmcf;
        ngx_http_bigupload_store_t      *st;
        ngx_str_t                        full = conf->store->value;

        if (ngx_conf_full_name(cf->cycle, &full, 0) != NGX_OK) {
            return (char *) NGX_CONF_ERROR;
        }

        bmcf = (ngx_http_bigupload_main_conf_t *)
                   ngx_http_conf_get_module_main_conf(cf, ngx_http_bigupload_module);

        st = (ngx_http_bigupload_store_t *) ngx_array_push(&bmcf->stores);
        if (st == nullptr) {
            return (char *) NGX_CONF_ERROR;
        }

        st->root = full;
        st->expire = conf->expire;
        st->thread_pool = conf->thread_pool;
    }

    /* bigupload_max_size is the limit here: nginx's own check would answer
     * 413 before this module could, with client_max_body_size's 1m default */
    clcf->client_max_body_size = 0;

    /* nginx reads the socket, and sizes an HTTP/2 stream's window, in
     * client_body_buffer_size pieces: by scripts/bench-buffers, 1m beats
     * the 16k default and 64k/256k here, most of all over HTTP/2 */
    if (clcf->client_body_buffer_size < NGX_HTTP_BIGUPLOAD_MIN_READ) {
        clcf->client_body_buffer_size = NGX_HTTP_BIGUPLOAD_MIN_READ;
    }

    return NGX_CONF_OK;
}
