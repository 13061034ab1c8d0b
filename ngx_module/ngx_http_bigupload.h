/*
 * The one header of the glue: it includes nginx (inside extern "C", first),
 * and holds the configuration, the per-request context, the front-end
 * callback table and the prototypes that cross files.  The core (core/)
 * never includes it.
 *
 * The glue is split by concern, as nginx's src/http/v2/ is:
 *
 *   ngx_http_bigupload_module.cpp     directives, configuration, the content
 *                                     handler that picks a front-end
 *   ngx_http_bigupload_request.cpp    the request context, request headers,
 *                                     remote path and target
 *   ngx_http_bigupload_thread.cpp     thread-pool tasks: an engine step or a
 *                                     call, their completion
 *   ngx_http_bigupload_pipeline.cpp   an upload's steps: open, body, the hash
 *                                     and write lanes, finish, abort
 *   ngx_http_bigupload_body.cpp       reading the body into the ring
 *   ngx_http_bigupload_answer.cpp     sending answers
 *   ngx_http_bigupload_error.cpp      failures: the errors table, logging
 *   ngx_http_bigupload_zone.cpp       the status zone: counters, uploads
 *   ngx_http_bigupload_sweep.cpp      expiry of stale partials
 *   ngx_http_bigupload_status.cpp     the status endpoint
 *   ngx_http_bigupload_variables.cpp  $bigupload_*
 *   ngx_http_bigupload_pass_module.cpp  bigupload_pass (a filter module)
 *   ngx_http_bigupload_form.cpp       HTML forms, multipart/form-data (a
 *                                     front-end)
 *   ngx_http_bigupload_interim.cpp    interim (1xx) answers before the body
 *   ngx_http_bigupload_stale.cpp      ending a stale request for an upload
 *   ngx_http_bigupload_cors.cpp       CORS: preflights, and the headers of
 *                                     every answer to another origin
 *   ngx_http_bigupload_tus.cpp        tus 1.0.0 (a front-end)
 *   ngx_http_bigupload_native.cpp     the native dialect (a front-end)
 *   ngx_http_bigupload_ietf.cpp       the IETF resumable-upload draft (a front-end)
 *
 * Dependencies go one way: front-ends -> engine (the rest of the glue) ->
 * core.  The engine reaches a front-end only through its
 * ngx_http_bigupload_frontend_t, never by name.
 */

#ifndef NGX_HTTP_BIGUPLOAD_H_INCLUDED
#define NGX_HTTP_BIGUPLOAD_H_INCLUDED

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>
}

#include <array>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/ring.hpp"
#include "engine/upload.hpp"
#include "proto/errors.hpp"
#include "proto/http.hpp"
#include "report/status.hpp"

static_assert(__cplusplus >= 201703L, "bigupload needs C++17");

#if !(NGX_THREADS)
#error "bigupload needs nginx built --with-threads (Debian's nginx is)"
#endif


/* nginx's read buffer (client_body_buffer_size) for an HTTP/2 upload: it
 * sizes the stream's window, and 1m beats smaller ones there */
#define NGX_HTTP_BIGUPLOAD_H2_READ   (1024 * 1024)

/* an upload whose client sent nothing for this long (ms) writes its partly
 * filled buffer out and gives it back: a slow upload holds no buffer while
 * it waits, a fast one hardly ever pauses that long */
#define NGX_HTTP_BIGUPLOAD_IDLE      10

/* spare ring buffers a worker keeps of each size */
#define NGX_HTTP_BIGUPLOAD_SPARES    4

/* most ring buffers one lane task takes: a buffer a lane is done with is
 * refilled while it works on the next */
#define NGX_HTTP_BIGUPLOAD_LANE_BUFS  1

/* long enough never to fire; worker_shutdown_timeout bounds the wait */
#define NGX_HTTP_BIGUPLOAD_GUARD     (24 * 60 * 60 * 1000)

/* the status zone when bigupload_zone does not size it */
#define NGX_HTTP_BIGUPLOAD_ZONE      (1024 * 1024)


/* bigupload_protocols: a bit per front-end */
#define NGX_HTTP_BIGUPLOAD_NATIVE    0x0002
#define NGX_HTTP_BIGUPLOAD_TUS       0x0004
#define NGX_HTTP_BIGUPLOAD_IETF      0x0008
#define NGX_HTTP_BIGUPLOAD_FORM      0x0010


/* configuration ------------------------------------------------------------ */

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
    ngx_flag_t                  splice;
    ngx_bufs_t                  bufs;
    time_t                      expire;
    ngx_uint_t                  protocols;     /* NGX_HTTP_BIGUPLOAD_NATIVE ... */
    ngx_uint_t                  digest;        /* a bigupload::DigestAlg, 0: off */
    off_t                       form_max_size;
    size_t                      form_fields;
    ngx_uint_t                  form_max_files;
    off_t                       max_append_size;
    ngx_flag_t                  status;

    /* CORS: the origins allowed (ngx_str_t; "*" for any), credentials,
     * how long a preflight's answer may be cached */
    ngx_array_t                *cors_origins;
    ngx_flag_t                  cors_credentials;
    time_t                      cors_max_age;

    /* how the Location of an upload resource is written:
     * NGX_HTTP_BIGUPLOAD_LOCATION_* */
    ngx_uint_t                  location;
} ngx_http_bigupload_loc_conf_t;


/* bigupload_location */
#define NGX_HTTP_BIGUPLOAD_LOCATION_RELATIVE   0
#define NGX_HTTP_BIGUPLOAD_LOCATION_ABSOLUTE   1
#define NGX_HTTP_BIGUPLOAD_LOCATION_FORWARDED  2


/* a store without variables, swept from the start */
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


/* the request context ------------------------------------------------------ */

struct ngx_http_bigupload_ctx_t;
struct ngx_http_bigupload_answer_t;
typedef struct ngx_http_bigupload_slot_s  ngx_http_bigupload_slot_t;


/*
 * A front-end: one dialect (native, later tus, the IETF draft, forms).  The
 * content handler gives a request to the first enabled front-end that
 * detects its dialect; the front-end parses it with its core parser and
 * starts engine operations (ngx_http_bigupload_upload, _call); the engine
 * calls "done" when an operation ends, and the front-end sets the answer.
 */
typedef struct {
    const char                 *name;
    ngx_uint_t                  protocol;  /* its bit in bigupload_protocols */

    /* whether the request speaks this dialect (its headers only) */
    ngx_int_t                 (*detect)(ngx_http_request_t *r);

    /* takes the request, as a content handler does (NGX_DONE once an
     * engine operation runs, or an answer's status) */
    ngx_int_t                 (*handler)(ngx_http_request_t *r,
                                         ngx_http_bigupload_ctx_t *ctx);

    /* an engine operation ended: ctx->op says which, ctx->outcome how;
     * sets the answer (ngx_http_bigupload_set_answer) or fails */
    void                      (*done)(ngx_http_request_t *r,
                                      ngx_http_bigupload_ctx_t *ctx);

    /* optional: a failure is about to be answered (ctx->error, ctx->status;
     * "a" has the errors table's JSON): the dialect may reshape the answer
     * (status, headers, body, content type) */
    void                      (*failure)(ngx_http_request_t *r,
                                         ngx_http_bigupload_ctx_t *ctx,
                                         ngx_http_bigupload_answer_t &a) = nullptr;
} ngx_http_bigupload_frontend_t;


/* what the request is, for the counters and the variables */
typedef enum {
    ngx_http_bigupload_kind_none = 0,
    ngx_http_bigupload_kind_upload,        /* it sends bytes of a file */
    ngx_http_bigupload_kind_query,         /* HEAD */
    ngx_http_bigupload_kind_cancel,        /* DELETE */
    ngx_http_bigupload_kind_status         /* the status endpoint */
} ngx_http_bigupload_kind_e;


/* the thread-pool operation in flight (or the last one) */
typedef enum {
    ngx_http_bigupload_op_none = 0,
    ngx_http_bigupload_op_open,            /* Upload::open() */
    ngx_http_bigupload_op_finish,          /* Upload::finish() */
    ngx_http_bigupload_op_abort,           /* Upload::abort() */
    ngx_http_bigupload_op_call             /* ctx->call */
} ngx_http_bigupload_op_e;


/*
 * Where a request is.  An upload: open -> body -> finish -> answer -> done;
 * a failure in open, body or finish records the error (ctx->failed), undoes
 * what the upload did (abort, when it has something to undo) and answers
 * it.  A request about an upload or the status: call -> answer -> done.
 * Every step but done may have tasks in flight; the answer goes out once
 * none is, and after done nothing touches the request.
 */
typedef enum {
    ngx_http_bigupload_phase_start = 0,
    ngx_http_bigupload_phase_open,
    ngx_http_bigupload_phase_body,
    ngx_http_bigupload_phase_finish,
    ngx_http_bigupload_phase_abort,
    ngx_http_bigupload_phase_call,
    ngx_http_bigupload_phase_answer,
    ngx_http_bigupload_phase_done
} ngx_http_bigupload_phase_e;


typedef struct {
    ngx_queue_t                 queue;
    ngx_http_bigupload_ctx_t   *ctx;
} ngx_http_bigupload_live_t;


/*
 * One of the two tasks of an upload whose body streams: the hash lane hashes
 * full ring buffers in order while the write lane writes them, in order too,
 * so that the hash of one buffer runs alongside the write of an earlier one.
 * Over HTTP/2 one lane does both ("both").
 */
struct ngx_http_bigupload_lane_t {
    ngx_http_bigupload_ctx_t   *ctx = nullptr;
    ngx_thread_task_t          *task = nullptr;
    bool                        hash = false;
    bool                        both = false;
    bool                        busy = false;

    /* its buffers: n of the ring from "first" */
    ngx_uint_t                  first = 0;
    ngx_uint_t                  n = 0;

    /* written by the thread, read on the event loop after completion */
    ngx_uint_t                  done = 0;
    bigupload::Outcome          outcome = bigupload::Outcome::ok;
    bigupload::FsError          fserr;
    bool                        thread_exception = false;
};


/*
 * The zero-copy body path (ngx_http_bigupload_splice.cpp): a pool task
 * splices what the socket holds through a pipe into the upload's file; one
 * task at a time, in place of the ring and its lanes.
 */
struct ngx_http_bigupload_splice_t {
    ngx_thread_task_t          *task = nullptr;
    bool                        busy = false;
    ngx_socket_t                fd = (ngx_socket_t) -1;
    std::array<int, 2>          pipe{{-1, -1}};     /* the task's, while it runs */
    off_t                       rest = 0;           /* rb->rest when posted */

    /* written by the thread, read on the event loop after completion */
    off_t                       moved = 0;
    bool                        eof = false;        /* the client closed */
    bool                        again = false;      /* the socket is empty */
    bool                        broken = false;     /* the pipe may hold bytes */
    int                         sock_err = 0;       /* errno of a failed splice */
    bigupload::Outcome          outcome = bigupload::Outcome::ok;
    bigupload::FsError          fserr;
    bool                        thread_exception = false;

    /* the hash behind the splices, a task of its own that runs alongside
     * them: of the bytes spliced (ctx->spliced), "hashed" are, and the task
     * in flight hashes "hashing" more */
    ngx_thread_task_t          *hash_task = nullptr;
    bool                        hash_busy = false;
    off_t                       hashed = 0;
    off_t                       hashing = 0;
    bool                        hash_ok = true;
    bigupload::FsError          hash_err;
    bool                        hash_exception = false;
};


/* the answer to send once no task is in flight */
struct ngx_http_bigupload_answer_t {
    ngx_uint_t                  status = 0;
    std::string                 body;
    std::string                 content_type;       /* "": JSON when a body */
    std::vector<bigupload::HeaderField>  headers;
    off_t                       content_length = -1;    /* HEAD of a file */
    bool                        location = false;       /* Location: the URI */
};


/*
 * Per-request state.  A C++ object: created by the content handler, deleted
 * by a request pool cleanup (which hands what the upload left to the thread
 * pool for removal).
 */
struct ngx_http_bigupload_ctx_t {
    ngx_http_request_t                  *request = nullptr;
    ngx_http_bigupload_loc_conf_t       *conf = nullptr;
    const ngx_http_bigupload_frontend_t *fe = nullptr;

    ngx_http_bigupload_kind_e            kind = ngx_http_bigupload_kind_none;
    ngx_http_bigupload_phase_e           phase = ngx_http_bigupload_phase_start;
    std::string                          remote_path;     /* "/a/b.bin" */
    int64_t                              start_ms = 0;

    /* the upload (plain or resumable: the engine does not care which) and
     * what a front-end's call runs on the pool */
    std::unique_ptr<bigupload::Upload>   upload;
    off_t                                length = -1;     /* declared, for the status */
    /* the body's limit when it is not bigupload_max_size (0: none; a form
     * limits each file, and its whole body itself) */
    off_t                                max_body = -1;
    std::function<bigupload::Outcome(std::int64_t, bigupload::FsError &)>  call;

    /* a front-end's own state about the request */
    std::shared_ptr<void>                fe_ctx;
    /* a front-end whose upload may refuse its body (Outcome::refused, from
     * a lane or a step) records the dialect's error here */
    void                               (*refused)(ngx_http_request_t *r,
                                                  ngx_http_bigupload_ctx_t *ctx) = nullptr;

    /* an interim answer to send once the upload is open, before its body
     * is read (status 0: none) */
    ngx_uint_t                           interim_status = 0;
    std::string                          interim_reason;
    std::vector<bigupload::HeaderField>  interim_headers;

    /* the partial a server-named upload resource writes into (""; its
     * requests in flight can be ended by a newer one, see _stale.cpp) */
    std::string                          partial_id;
    ngx_event_t                          stale{};      /* polls for an end */
    std::shared_ptr<void>                stale_wait;   /* waits for older ones */
    unsigned                             superseded:1;
    unsigned                             lane_failed:1;  /* a lane task failed */

    /* optional, set by a front-end's handler: the dialect's own error for a
     * failed outcome (ctx->outcome, not Outcome::error), e.g. of an open()
     * that failed before any "done"; Error::none leaves it to the errors
     * table's error_for_outcome() */
    bigupload::Error                   (*outcome_error)(ngx_http_request_t *r,
                                            ngx_http_bigupload_ctx_t *ctx) = nullptr;

    /* the finished upload's metadata in its dialect (tus Upload-Metadata,
     * decoded), for the bigupload_pass notice */
    std::vector<std::pair<std::string, std::string>>  metadata;

    /* thread pool: the task of open/finish/abort/call, or the lanes */
    ngx_http_bigupload_op_e              op = ngx_http_bigupload_op_none;
    ngx_thread_task_t                   *task = nullptr;
    ngx_uint_t                           in_flight = 0;
    ngx_http_bigupload_lane_t            hash_lane;
    ngx_http_bigupload_lane_t            write_lane;

    /* written by the thread, read on the event loop after completion */
    bigupload::Outcome                   outcome = bigupload::Outcome::ok;
    bigupload::FsError                   fserr;
    bool                                 thread_exception = false;

    /* a non-cancelable timer while a task is in flight: a worker that is
     * shutting down gracefully waits for it (r->blocked is not a timer) */
    ngx_event_t                          guard{};

    /* in the worker's list of live requests, for a fast shutdown */
    ngx_http_bigupload_live_t            live{};

    /* the body: a ring of buffers (its bookkeeping and their sizes in the
     * core), each taken from the worker's spares when it is to be filled and
     * given back once hashed and written; "buffered": their bytes */
    ngx_buf_t                           *bufs = nullptr;
    bigupload::Ring                      ring;
    size_t                               buffered = 0;
    off_t                                received = 0;
    /* the client sent nothing for NGX_HTTP_BIGUPLOAD_IDLE since "received"
     * was idle_received: the buffer being filled goes to the lanes */
    ngx_event_t                          idle{};
    off_t                                idle_received = 0;
    /* the body's rest spliced from the socket into the file instead
     * ("spliced": its bytes, $bigupload_spliced) */
    ngx_http_bigupload_splice_t          splice;
    off_t                                spliced = 0;

    /* the status zone, and this upload's slot in it (none: untracked) */
    ngx_shm_zone_t                      *zone = nullptr;
    ngx_http_bigupload_slot_t           *slot = nullptr;

    /* bigupload_pass: its configuration, and the backend's status once its
     * header went out */
    void                                *pass_conf = nullptr;
    ngx_uint_t                           pass_status = 0;
    /* the notice a front-end sets for it ("": the upload's pass_json) */
    std::string                          notice;

    /* a status request: the snapshot, completed on the thread pool */
    std::unique_ptr<bigupload::StatusSnapshot>  report;
    std::vector<std::pair<std::string, time_t>> report_stores;
    bool                                 prometheus = false;

    ngx_http_bigupload_answer_t          answer;

    /* the failure to answer (once the upload undid what it did) */
    bigupload::Error                     error = bigupload::Error::none;
    ngx_uint_t                           status = 0;
    std::string                          error_message;

    unsigned                             failed:1;
    unsigned                             opened:1;       /* the upload's open() succeeded */
    unsigned                             opening:1;      /* in read_client_request_body() */
    unsigned                             reading:1;      /* the socket is read */
    unsigned                             nginx_done:1;   /* nginx read the whole body */
    unsigned                             body_done:1;    /* all of it is in the ring */
    unsigned                             hash_failed:1;  /* the hash lane threw */
    unsigned                             flushed:1;      /* a broken-off body's last
                                                          * buffer joined the ring */
    unsigned                             client_gone:1;
    unsigned                             read_buf_freed:1;  /* nginx's own, once
                                                             * it reads into the ring */
    unsigned                             passed:1;       /* bigupload_pass took it */
    unsigned                             pass_removed:1; /* and its cleanup removed the file */
    unsigned                             splicing:1;     /* the socket is spliced */

    ngx_http_bigupload_ctx_t()
        : superseded(0), lane_failed(0), failed(0), opened(0), opening(0), reading(0),
          nginx_done(0), body_done(0), hash_failed(0), flushed(0), client_gone(0),
          read_buf_freed(0), passed(0),
          pass_removed(0), splicing(0)
    {
        hash_lane.ctx = this;
        hash_lane.hash = true;
        write_lane.ctx = this;
    }
};


extern "C" {
extern ngx_module_t  ngx_http_bigupload_module;
extern ngx_module_t  ngx_http_bigupload_pass_module;
}


/* ngx_http_bigupload_request.cpp */
ngx_http_bigupload_ctx_t *ngx_http_bigupload_create_ctx(ngx_http_request_t *r,
    ngx_http_bigupload_loc_conf_t *conf);
ngx_http_bigupload_ctx_t *ngx_http_bigupload_get_ctx(ngx_http_request_t *r);
void ngx_http_bigupload_init_live(void);
void ngx_http_bigupload_exit_live(void);
void ngx_http_bigupload_http_request(ngx_http_request_t *r,
    bigupload::HttpRequest &rq);
bigupload::Error ngx_http_bigupload_target(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, bigupload::Target &target,
    bigupload::ErrorArgs &why, bool directory = false,
    std::string_view name = std::string_view());
bigupload::Error ngx_http_bigupload_store_of(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, bigupload::Target &target);
ngx_int_t ngx_http_bigupload_detach(ngx_thread_pool_t *tp, ngx_log_t *log,
    std::function<void()> fn, std::function<void()> done = nullptr);

/* ngx_http_bigupload_thread.cpp */
ngx_int_t ngx_http_bigupload_post(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_http_bigupload_op_e op);
ngx_thread_task_t *ngx_http_bigupload_task(ngx_http_request_t *r,
    ngx_thread_task_t **slot, void *data,
    void (*handler)(void *data, ngx_log_t *log), void *event_data,
    ngx_event_handler_pt done);
void ngx_http_bigupload_task_posted(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_task_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_resume(ngx_http_request_t *r);
void ngx_http_bigupload_guard_handler(ngx_event_t *ev);

/* ngx_http_bigupload_pipeline.cpp: the engine's entry points */
ngx_int_t ngx_http_bigupload_upload(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, std::unique_ptr<bigupload::Upload> upload,
    off_t length);
ngx_int_t ngx_http_bigupload_call(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx,
    std::function<bigupload::Outcome(std::int64_t, bigupload::FsError &)> fn);
void ngx_http_bigupload_opened(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_finished(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_drive(ngx_http_request_t *r);
void ngx_http_bigupload_pipeline(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);

/* ngx_http_bigupload_body.cpp */
ngx_int_t ngx_http_bigupload_read_body(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_read(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_read_rest(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_idle_handler(ngx_event_t *ev);
void ngx_http_bigupload_give_buffer(ngx_http_bigupload_ctx_t *ctx, ngx_buf_t *b);
void ngx_http_bigupload_give_buffers(ngx_http_bigupload_ctx_t *ctx);
ngx_uint_t ngx_http_bigupload_in_place(ngx_http_request_t *r);

/* ngx_http_bigupload_splice.cpp */
ngx_uint_t ngx_http_bigupload_spliced(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_splice_end(ngx_http_bigupload_ctx_t *ctx);
ngx_int_t ngx_http_bigupload_splice_hash(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
ngx_uint_t ngx_http_bigupload_splice_hashed(ngx_http_bigupload_ctx_t *ctx);

/* ngx_http_bigupload_answer.cpp */
void ngx_http_bigupload_set_answer(ngx_http_bigupload_ctx_t *ctx, ngx_uint_t status,
    std::string body, std::vector<bigupload::HeaderField> headers);
void ngx_http_bigupload_finish(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
ngx_int_t ngx_http_bigupload_send(ngx_http_request_t *r,
    const ngx_http_bigupload_answer_t &a);
ngx_int_t ngx_http_bigupload_add_header(ngx_http_request_t *r,
    const std::string &name, const std::string &value);
ngx_int_t ngx_http_bigupload_refuse_body(ngx_http_request_t *r);

/* ngx_http_bigupload_interim.cpp */
ngx_int_t ngx_http_bigupload_interim(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);

/* ngx_http_bigupload_stale.cpp */
typedef ngx_int_t (*ngx_http_bigupload_go_pt)(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
ngx_int_t ngx_http_bigupload_end_stale(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_http_bigupload_go_pt go);
void ngx_http_bigupload_watch_stale(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_unwatch_stale(ngx_http_bigupload_ctx_t *ctx);

/* ngx_http_bigupload_error.cpp */
ngx_int_t ngx_http_bigupload_refuse(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, bigupload::Error e,
    const bigupload::ErrorArgs &args);
void ngx_http_bigupload_fail(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::Error e, const bigupload::ErrorArgs &args, ngx_uint_t status = 0,
    ngx_uint_t log = 1);
void ngx_http_bigupload_fail_outcome(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_log_fs(ngx_log_t *log, const bigupload::FsError &e);
void ngx_http_bigupload_internal_error(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, const char *what);
void ngx_http_bigupload_abandon(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_log_exception(ngx_log_t *log, const char *where) noexcept;

/* ngx_http_bigupload_zone.cpp */
ngx_int_t ngx_http_bigupload_init_zone(ngx_shm_zone_t *shm_zone, void *data);
void ngx_http_bigupload_track(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_track_progress(ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_untrack(ngx_http_bigupload_ctx_t *ctx, ngx_uint_t account);
void ngx_http_bigupload_count_expired(ngx_uint_t n);
ngx_uint_t ngx_http_bigupload_in_flight(const std::string &id, ngx_uint_t stop);
ngx_uint_t ngx_http_bigupload_stopped(ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_landed(ngx_http_bigupload_ctx_t *ctx);
void ngx_http_bigupload_snapshot(ngx_shm_zone_t *zone, bigupload::StatusSnapshot &s);
void ngx_http_bigupload_reap(ngx_shm_zone_t *zone, ngx_log_t *log);
void ngx_http_bigupload_set_zone(ngx_shm_zone_t *zone);
bigupload::Result ngx_http_bigupload_result(ngx_http_bigupload_ctx_t *ctx);

/* ngx_http_bigupload_sweep.cpp */
ngx_int_t ngx_http_bigupload_init_sweep(ngx_cycle_t *cycle,
    ngx_http_bigupload_main_conf_t *bmcf);
void ngx_http_bigupload_exit_sweep(void);
void ngx_http_bigupload_register_store(ngx_http_bigupload_loc_conf_t *conf,
    const std::string &root);
void ngx_http_bigupload_known_stores(std::vector<std::pair<std::string, time_t>> &out);

/* ngx_http_bigupload_status.cpp */
ngx_int_t ngx_http_bigupload_status_handler(ngx_http_request_t *r);

/* ngx_http_bigupload_variables.cpp */
ngx_int_t ngx_http_bigupload_add_variables(ngx_conf_t *cf);

/* ngx_http_bigupload_pass_module.cpp */
ngx_uint_t ngx_http_bigupload_pass_wanted(ngx_http_request_t *r);
ngx_int_t ngx_http_bigupload_pass(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);

/* ngx_http_bigupload_cors.cpp */
ngx_int_t ngx_http_bigupload_cors(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx);
char *ngx_http_bigupload_cors_merge(ngx_conf_t *cf, ngx_http_bigupload_loc_conf_t *conf);

/* the front-ends */
extern const ngx_http_bigupload_frontend_t  ngx_http_bigupload_form;
extern const ngx_http_bigupload_frontend_t  ngx_http_bigupload_tus;
extern const ngx_http_bigupload_frontend_t  ngx_http_bigupload_native;
extern const ngx_http_bigupload_frontend_t  ngx_http_bigupload_ietf;


/*
 * The exception wall: every function nginx calls runs its C++ inside one of
 * these, so that no exception crosses into nginx.  What to do after one is
 * the caller's ("on_exception").
 */
template <typename F, typename G>
static inline void
ngx_http_bigupload_guarded(ngx_log_t *log, const char *where, F &&body,
    G &&on_exception) noexcept
{
    try {
        body();
        return;

    } catch (...) {
        ngx_http_bigupload_log_exception(log, where);
    }

    try {
        on_exception();
    } catch (...) {
        ngx_http_bigupload_log_exception(log, where);
    }
}


#endif /* NGX_HTTP_BIGUPLOAD_H_INCLUDED */
