/*
 * ngx_http_bigupload_module: streams upload bodies into a store, writing on
 * an nginx thread pool, and renames each finished file into place
 * atomically.  This file: the directives, the configuration, the worker's
 * start and exit, and the content handler, which gives each request to the
 * front-end of its dialect.  The rest of the glue is listed in
 * ngx_http_bigupload.h.
 */

#include "ngx_http_bigupload.h"


static ngx_int_t ngx_http_bigupload_handler(ngx_http_request_t *r);
static void *ngx_http_bigupload_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_bigupload_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_bigupload_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_bigupload_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_bigupload_init_process(ngx_cycle_t *cycle);
static void ngx_http_bigupload_exit_process(ngx_cycle_t *cycle);
static char *ngx_http_bigupload(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_bigupload_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bigupload_set_handler(ngx_conf_t *cf, ngx_flag_t *flag,
    ngx_http_handler_pt handler);
static char *ngx_http_bigupload_str_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


/* bigupload_protocols: the front-ends' names; each front-end adds its own */
static ngx_conf_bitmask_t  ngx_http_bigupload_protocols[] = {
    { ngx_string("native"), NGX_HTTP_BIGUPLOAD_NATIVE },
    { ngx_string("tus"), NGX_HTTP_BIGUPLOAD_TUS },
    { ngx_string("ietf"), NGX_HTTP_BIGUPLOAD_IETF },
    { ngx_string("form"), NGX_HTTP_BIGUPLOAD_FORM },
    { ngx_null_string, 0 }
};


/* bigupload_digest: what the finished file's digest is */
static ngx_conf_enum_t  ngx_http_bigupload_digests[] = {
    { ngx_string("off"), 0 },
    { ngx_string("sha256"), (ngx_uint_t) bigupload::DigestAlg::sha256 },
    { ngx_string("sha512"), (ngx_uint_t) bigupload::DigestAlg::sha512 },
    { ngx_string("crc32c"), (ngx_uint_t) bigupload::DigestAlg::crc32c },
    { ngx_string("crc64nvme"), (ngx_uint_t) bigupload::DigestAlg::crc64nvme },
    { ngx_null_string, 0 }
};


/* bigupload_location */
static ngx_conf_enum_t  ngx_http_bigupload_location_modes[] = {
    { ngx_string("relative"), NGX_HTTP_BIGUPLOAD_LOCATION_RELATIVE },
    { ngx_string("absolute"), NGX_HTTP_BIGUPLOAD_LOCATION_ABSOLUTE },
    { ngx_string("forwarded"), NGX_HTTP_BIGUPLOAD_LOCATION_FORWARDED },
    { ngx_null_string, 0 }
};


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

    { ngx_string("bigupload_max_append_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, max_append_size),
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

    { ngx_string("bigupload_splice"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, splice),
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

    { ngx_string("bigupload_protocols"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_conf_set_bitmask_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, protocols),
      &ngx_http_bigupload_protocols },

    { ngx_string("bigupload_digest"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, digest),
      &ngx_http_bigupload_digests },
    { ngx_string("bigupload_form_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, form_max_size),
      nullptr },

    { ngx_string("bigupload_form_fields"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, form_fields),
      nullptr },

    { ngx_string("bigupload_form_max_files"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, form_max_files),
      nullptr },

    { ngx_string("bigupload_cors_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_bigupload_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, cors_origins),
      nullptr },

    { ngx_string("bigupload_cors_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, cors_credentials),
      nullptr },

    { ngx_string("bigupload_cors_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, cors_max_age),
      nullptr },

    { ngx_string("bigupload_location"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_bigupload_loc_conf_t, location),
      &ngx_http_bigupload_location_modes },

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

      ngx_null_command
};


static ngx_http_module_t  ngx_http_bigupload_module_ctx = {
    ngx_http_bigupload_add_variables,      /* preconfiguration */
    nullptr,                               /* postconfiguration */

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


/*
 * The front-ends, in the order they are asked; the native dialect detects
 * every request, so it comes last.
 */
static const ngx_http_bigupload_frontend_t  *ngx_http_bigupload_frontends[] = {
    &ngx_http_bigupload_tus,
    &ngx_http_bigupload_ietf,
    &ngx_http_bigupload_form,
    &ngx_http_bigupload_native,
};


static ngx_int_t
ngx_http_bigupload_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    ngx_http_bigupload_ctx_t       *ctx;
    ngx_http_bigupload_loc_conf_t  *conf;

    conf = (ngx_http_bigupload_loc_conf_t *)
               ngx_http_get_module_loc_conf(r, ngx_http_bigupload_module);

    if (!conf->enable || r != r->main) {
        return NGX_DECLINED;
    }

    ngx_http_bigupload_guarded(r->connection->log, "the content handler", [&] {
        ctx = ngx_http_bigupload_create_ctx(r, conf);
        if (ctx == nullptr) {
            return;
        }

        /* a CORS preflight is the location's, whatever the dialect */
        rc = ngx_http_bigupload_cors(r, ctx);
        if (rc != NGX_DECLINED) {
            return;
        }

        /* the first enabled front-end that knows the dialect takes it; one
         * that is not enabled leaves it to the next (in the end the native
         * dialect, which refuses what it does not understand) */
        for (const ngx_http_bigupload_frontend_t *fe : ngx_http_bigupload_frontends) {
            if ((conf->protocols & fe->protocol) && fe->detect(r)) {
                ctx->fe = fe;
                rc = fe->handler(r, ctx);
                return;
            }
        }

        /* the native dialect itself is not enabled here */
        bigupload::ErrorArgs  a;

        a.detail = "native";
        a.path = std::string_view((const char *) r->uri.data, r->uri.len);
        a.message = "plain and native resumable uploads are not served at this location";
        ctx->fe = &ngx_http_bigupload_native;
        rc = ngx_http_bigupload_refuse(r, ctx, bigupload::Error::protocol_not_enabled, a);

    }, [] {});

    return rc;
}


/* "bigupload" and "bigupload_status" make the location's content handler */

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


/* every argument of the directive into an array of ngx_str_t (nginx's
 * ngx_conf_set_str_array_slot takes one per directive) */

static char *
ngx_http_bigupload_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t     *value, *s;
    ngx_array_t  **a = (ngx_array_t **) ((char *) conf + cmd->offset);

    if (*a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
        if (*a == nullptr) {
            return (char *) NGX_CONF_ERROR;
        }
    }

    value = (ngx_str_t *) cf->args->elts;

    for (ngx_uint_t i = 1; i < cf->args->nelts; i++) {
        s = (ngx_str_t *) ngx_array_push(*a);
        if (s == nullptr) {
            return (char *) NGX_CONF_ERROR;
        }
        *s = value[i];
    }

    return NGX_CONF_OK;
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
     */

    conf->enable = NGX_CONF_UNSET;
    conf->store = (ngx_http_complex_value_t *) NGX_CONF_UNSET_PTR;
    conf->max_size = NGX_CONF_UNSET;
    conf->max_append_size = NGX_CONF_UNSET;
    conf->overwrite = NGX_CONF_UNSET;
    conf->create_dirs = NGX_CONF_UNSET;
    conf->access = NGX_CONF_UNSET_UINT;
    conf->fsync = NGX_CONF_UNSET;
    conf->splice = NGX_CONF_UNSET;
    conf->expire = NGX_CONF_UNSET;
    conf->protocols = 0;
    conf->digest = NGX_CONF_UNSET_UINT;
    conf->form_max_size = NGX_CONF_UNSET;
    conf->form_fields = NGX_CONF_UNSET_SIZE;
    conf->form_max_files = NGX_CONF_UNSET_UINT;
    conf->status = NGX_CONF_UNSET;
    conf->cors_origins = (ngx_array_t *) NGX_CONF_UNSET_PTR;
    conf->cors_credentials = NGX_CONF_UNSET;
    conf->cors_max_age = NGX_CONF_UNSET;
    conf->location = NGX_CONF_UNSET_UINT;

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
    ngx_conf_merge_off_value(conf->max_append_size, prev->max_append_size, 0);
    ngx_conf_merge_value(conf->overwrite, prev->overwrite, 0);
    ngx_conf_merge_value(conf->create_dirs, prev->create_dirs, 1);
    ngx_conf_merge_uint_value(conf->access, prev->access, 0600);
    ngx_conf_merge_str_value(conf->thread_pool_name, prev->thread_pool_name,
                             "default");
    ngx_conf_merge_value(conf->fsync, prev->fsync, 0);
    ngx_conf_merge_value(conf->splice, prev->splice, 1);
    ngx_conf_merge_bufs_value(conf->bufs, prev->bufs, 4, 1024 * 1024);
    ngx_conf_merge_sec_value(conf->expire, prev->expire, 24 * 60 * 60);

    /* every front-end the module has, unless restricted */
    ngx_uint_t  all = 0;

    for (ngx_conf_bitmask_t *p = ngx_http_bigupload_protocols; p->name.len; p++) {
        all |= p->mask;
    }

    ngx_conf_merge_bitmask_value(conf->protocols, prev->protocols,
                                 (NGX_CONF_BITMASK_SET | all));
    ngx_conf_merge_uint_value(conf->digest, prev->digest,
                              (ngx_uint_t) bigupload::DigestAlg::sha256);

    ngx_conf_merge_off_value(conf->form_max_size, prev->form_max_size, 0);
    ngx_conf_merge_size_value(conf->form_fields, prev->form_fields, 64 * 1024);
    ngx_conf_merge_uint_value(conf->form_max_files, prev->form_max_files, 64);

    if (conf->form_max_files == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "bigupload_form_max_files must be at least 1");
        return (char *) NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->cors_origins, prev->cors_origins, nullptr);
    ngx_conf_merge_value(conf->cors_credentials, prev->cors_credentials, 0);
    ngx_conf_merge_sec_value(conf->cors_max_age, prev->cors_max_age, 60 * 60);
    ngx_conf_merge_uint_value(conf->location, prev->location,
                              NGX_HTTP_BIGUPLOAD_LOCATION_RELATIVE);

    if (ngx_http_bigupload_cors_merge(cf, conf) != NGX_CONF_OK) {
        return (char *) NGX_CONF_ERROR;
    }

    /* "bigupload_status" is not inherited either */
    ngx_conf_init_value(conf->status, 0);

    if (!conf->enable && !conf->status) {
        return NGX_CONF_OK;
    }

    /* uploads do their file I/O there, the status lists the partials there */
    conf->thread_pool = ngx_thread_pool_add(cf, &conf->thread_pool_name);
    if (conf->thread_pool == nullptr) {
        return (char *) NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
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

    /* client_body_buffer_size stays as configured: a Content-Length body
     * over HTTP/1.x is read into the ring (nginx's buffer takes only its
     * first read), and an HTTP/2 one gets a larger buffer of its own when
     * its reading starts (ngx_http_bigupload_read_body) */

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_bigupload_init_process(ngx_cycle_t *cycle)
{
    ngx_http_bigupload_main_conf_t  *bmcf;

    ngx_http_bigupload_init_live();

    /* the cache manager and loader run this too, without thread pools */
    if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE) {
        return NGX_OK;
    }

    bmcf = (ngx_http_bigupload_main_conf_t *)
               ngx_http_cycle_get_module_main_conf(cycle, ngx_http_bigupload_module);
    if (bmcf == nullptr) {
        return NGX_OK;
    }

    ngx_http_bigupload_set_zone(bmcf->zone);

    /* a worker that replaces a dead one cleans up after it */
    if (bmcf->zone) {
        ngx_http_bigupload_reap(bmcf->zone, cycle->log);
    }

    return ngx_http_bigupload_init_sweep(cycle, bmcf);
}


/*
 * A fast shutdown (SIGTERM) exits without destroying request pools.  The
 * thread pools have drained their queues by now (their module exits first),
 * so no task uses an upload: remove what would be left as orphans.
 */

static void
ngx_http_bigupload_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_bigupload_exit_live();
    ngx_http_bigupload_exit_sweep();
}
