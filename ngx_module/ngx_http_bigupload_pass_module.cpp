/*
 * ngx_http_bigupload_pass_module: hands a finished upload to an application.
 * A filter module of its own in the same .so: bigupload_pass makes the
 * request that completes an upload continue to a location as a POST of the
 * JSON notice (with the client's headers); its header filter sees what that
 * location answers, and with bigupload_pass_cleanup removes the file for the
 * statuses listed.
 */

#include "ngx_http_bigupload.h"

#include "base/digest.hpp"
#include "engine/store.hpp"
#include "proto/digest_fields.hpp"
#include "proto/native.hpp"
#include "report/response.hpp"


typedef struct {
    ngx_str_t                   pass;
    ngx_array_t                *cleanup;   /* of ngx_http_bigupload_range_t */
} ngx_http_bigupload_pass_conf_t;


/* a range of statuses, for bigupload_pass_cleanup */
typedef struct {
    ngx_uint_t                  lo;
    ngx_uint_t                  hi;
} ngx_http_bigupload_range_t;


static ngx_int_t ngx_http_bigupload_pass_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_bigupload_pass_init(ngx_conf_t *cf);
static void *ngx_http_bigupload_pass_create_conf(ngx_conf_t *cf);
static char *ngx_http_bigupload_pass_merge_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_bigupload_pass_cleanup(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


static ngx_command_t  ngx_http_bigupload_pass_commands[] = {

    { ngx_string("bigupload_pass"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_pass_conf_t, pass),
      nullptr },

    { ngx_string("bigupload_pass_cleanup"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_bigupload_pass_cleanup,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_pass_conf_t, cleanup),
      nullptr },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_bigupload_pass_module_ctx = {
    nullptr,                               /* preconfiguration */
    ngx_http_bigupload_pass_init,          /* postconfiguration */

    nullptr,                               /* create main configuration */
    nullptr,                               /* init main configuration */

    nullptr,                               /* create server configuration */
    nullptr,                               /* merge server configuration */

    ngx_http_bigupload_pass_create_conf,   /* create location configuration */
    ngx_http_bigupload_pass_merge_conf     /* merge location configuration */
};


extern "C" {

ngx_module_t  ngx_http_bigupload_pass_module = {
    NGX_MODULE_V1,
    &ngx_http_bigupload_pass_module_ctx,   /* module context */
    ngx_http_bigupload_pass_commands,      /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    nullptr,                               /* init master */
    nullptr,                               /* init module */
    nullptr,                               /* init process */
    nullptr,                               /* init thread */
    nullptr,                               /* exit thread */
    nullptr,                               /* exit process */
    nullptr,                               /* exit master */
    NGX_MODULE_V1_PADDING
};

}


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;

/* $content_length, cacheable: stale once the body is swapped */
static ngx_int_t  ngx_http_bigupload_content_length_index = NGX_ERROR;


/* whether the request's location hands finished uploads on */

ngx_uint_t
ngx_http_bigupload_pass_wanted(ngx_http_request_t *r)
{
    ngx_http_bigupload_pass_conf_t  *pcf;

    pcf = (ngx_http_bigupload_pass_conf_t *)
              ngx_http_get_module_loc_conf(r, ngx_http_bigupload_pass_module);

    return pcf->pass.len != 0;
}


/*
 * A complete upload continues to the bigupload_pass location as a POST whose
 * body is the JSON notice; the client's headers go along.  What that
 * location answers is the answer.
 */

ngx_int_t
ngx_http_bigupload_pass(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    size_t                           len;
    ngx_buf_t                       *b;
    ngx_str_t                        uri, args;
    ngx_chain_t                     *cl;
    ngx_http_bigupload_pass_conf_t  *pcf;

    pcf = (ngx_http_bigupload_pass_conf_t *)
              ngx_http_get_module_loc_conf(r, ngx_http_bigupload_pass_module);

    bigupload::Upload  *u = ctx->upload.get();
    /* not the answer's status: a dialect may answer a new file otherwise
     * than with 201 (a tus PATCH is 204) */
    bool                created = ctx->outcome == bigupload::Outcome::created;

    const bigupload::FileDigest  &d = u->digest();

    /* a front-end's own notice (a form's files and fields), or the file's */
    std::string body = !ctx->notice.empty()
                       ? ctx->notice
                       : bigupload::pass_json(ctx->remote_path, u->size(),
                                              d.alg ? bigupload::digest_name(*d.alg) : "",
                                              d.hex(), u->target_path(), created,
                                              ctx->fe ? ctx->fe->name : "", ctx->metadata);

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

    /* the stored file's digest reaches the client whatever the backend says
     * (an upload of several files has none of its own) */
    std::string  rd = bigupload::repr_digest(d);

    if (!rd.empty() && ngx_http_bigupload_add_header(r, "Repr-Digest", rd) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* and so does the rest of what the dialect answers (tus: Tus-Resumable,
     * Upload-Offset, which a tus client needs of any answer; CORS) */
    for (const auto &h : ctx->answer.headers) {
        if (!bigupload::iequals(h.first, "Repr-Digest")
            && ngx_http_bigupload_add_header(r, h.first, h.second) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx->passed = 1;
    ctx->pass_conf = pcf;

    r->read_event_handler = ngx_http_block_reading;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "bigupload: passing \"%s\" to \"%V\"", u->target_path().c_str(),
                  &pcf->pass);

    uri = pcf->pass;

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
ngx_http_bigupload_pass_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                       i, status;
    ngx_http_bigupload_ctx_t        *ctx;
    ngx_http_bigupload_range_t      *range;
    ngx_http_bigupload_pass_conf_t  *pcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_bigupload_get_ctx(r);

    if (ctx == nullptr || !ctx->passed || ctx->pass_status) {
        return ngx_http_next_header_filter(r);
    }

    /* the upload location's configuration, not the backend's */
    pcf = (ngx_http_bigupload_pass_conf_t *) ctx->pass_conf;

    status = r->headers_out.status;
    ctx->pass_status = status;

    if (pcf->cleanup) {
        range = (ngx_http_bigupload_range_t *) pcf->cleanup->elts;

        for (i = 0; i < pcf->cleanup->nelts; i++) {
            if (status >= range[i].lo && status <= range[i].hi) {
                ctx->pass_removed = 1;
                break;
            }
        }
    }

    ngx_http_bigupload_guarded(r->connection->log, "the pass filter", [&] {
        bigupload::ErrorArgs  a;
        std::string           file = ctx->upload->target_path();

        a.bytes = (std::int64_t) status;
        a.file = file;

        if (ctx->pass_removed) {
            a.detail = "removing it (bigupload_pass_cleanup)";
            ctx->error = bigupload::Error::backend;

            /* every file the upload stored (a form's several) */
            for (const bigupload::StoredFile &f : ctx->upload->stored()) {
                a.file = f.path;

                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "bigupload: %s",
                              bigupload::error_log_line(ctx->error, a).c_str());

                if (ngx_http_bigupload_detach(ctx->conf->thread_pool, r->connection->log,
                                              [f] {
                                                  bigupload::remove_if_same(f.path, f.digest);
                                              })
                    != NGX_OK)
                {
                    ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                                  "bigupload: cannot post the removal of \"%s\"",
                                  f.path.c_str());
                }
            }

        } else if (status >= NGX_HTTP_BAD_REQUEST) {
            a.detail = "the file is kept";
            ctx->error = bigupload::Error::backend;

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "bigupload: %s",
                          bigupload::error_log_line(ctx->error, a).c_str());
        }

    }, [] {});

    return ngx_http_next_header_filter(r);
}


/* bigupload_pass_cleanup 400 404 500-505; */

static char *
ngx_http_bigupload_pass_cleanup(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bigupload_pass_conf_t *pcf = (ngx_http_bigupload_pass_conf_t *) conf;

    u_char                      *dash;
    ngx_int_t                    lo, hi;
    ngx_str_t                   *value;
    ngx_uint_t                   i;
    ngx_http_bigupload_range_t  *range;

    if (pcf->cleanup != NGX_CONF_UNSET_PTR) {
        return (char *) "is duplicate";
    }

    pcf->cleanup = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                    sizeof(ngx_http_bigupload_range_t));
    if (pcf->cleanup == nullptr) {
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

        range = (ngx_http_bigupload_range_t *) ngx_array_push(pcf->cleanup);
        if (range == nullptr) {
            return (char *) NGX_CONF_ERROR;
        }

        range->lo = (ngx_uint_t) lo;
        range->hi = (ngx_uint_t) hi;
    }

    return NGX_CONF_OK;
}


/* the header filter sees what a bigupload_pass location answers */

static ngx_int_t
ngx_http_bigupload_pass_init(ngx_conf_t *cf)
{
    ngx_str_t  content_length = ngx_string("content_length");

    ngx_http_bigupload_content_length_index =
        ngx_http_get_variable_index(cf, &content_length);

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_bigupload_pass_header_filter;

    return NGX_OK;
}


static void *
ngx_http_bigupload_pass_create_conf(ngx_conf_t *cf)
{
    ngx_http_bigupload_pass_conf_t  *pcf;

    pcf = (ngx_http_bigupload_pass_conf_t *)
              ngx_pcalloc(cf->pool, sizeof(ngx_http_bigupload_pass_conf_t));
    if (pcf == nullptr) {
        return nullptr;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     pcf->pass = { 0, NULL };
     */

    pcf->cleanup = (ngx_array_t *) NGX_CONF_UNSET_PTR;

    return pcf;
}


static char *
ngx_http_bigupload_pass_merge_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_bigupload_pass_conf_t *prev = (ngx_http_bigupload_pass_conf_t *) parent;
    ngx_http_bigupload_pass_conf_t *pcf = (ngx_http_bigupload_pass_conf_t *) child;

    ngx_conf_merge_str_value(pcf->pass, prev->pass, "");
    ngx_conf_merge_ptr_value(pcf->cleanup, prev->cleanup, nullptr);

    if (pcf->pass.len
        && ((pcf->pass.data[0] != '/' && pcf->pass.data[0] != '@')
            || ngx_strlchr(pcf->pass.data, pcf->pass.data + pcf->pass.len, '?')))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "bigupload: bigupload_pass \"%V\" is neither a URI "
                           "(without arguments) nor a named location", &pcf->pass);
        return (char *) NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
