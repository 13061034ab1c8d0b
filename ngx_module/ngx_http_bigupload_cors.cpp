/*
 * CORS for a bigupload location (bigupload_cors_origin …), whatever the
 * dialect: a preflight is answered here, before any front-end sees it, and
 * every other answer to an allowed origin carries the origin headers (they
 * go into the request's answer headers, which every way of answering sends,
 * bigupload_pass's included).  The policy's logic is the core's
 * (proto/cors.hpp).
 */

#include "ngx_http_bigupload.h"

#include "proto/cors.hpp"


static bigupload::CorsPolicy
ngx_http_bigupload_cors_policy(ngx_http_bigupload_loc_conf_t *conf)
{
    bigupload::CorsPolicy  p;
    ngx_str_t             *o = (ngx_str_t *) conf->cors_origins->elts;

    for (ngx_uint_t i = 0; i < conf->cors_origins->nelts; i++) {
        p.origins.emplace_back((const char *) o[i].data, o[i].len);
    }

    p.credentials = conf->cors_credentials;
    p.max_age = conf->cors_max_age;

    return p;
}


/*
 * NGX_DECLINED: the request goes on to its front-end (with the CORS headers
 * its answer needs, if any); otherwise it was a preflight, answered here.
 */

ngx_int_t
ngx_http_bigupload_cors(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t                rc;
    std::string_view         origin, method, headers;
    bigupload::HttpRequest   hr;

    if (ctx->conf->cors_origins == nullptr || ctx->conf->cors_origins->nelts == 0) {
        return NGX_DECLINED;
    }

    ngx_http_bigupload_http_request(r, hr);

    /* an Origin given twice is none */
    if (hr.single("Origin", origin) != bigupload::HttpRequest::Field::one) {
        return NGX_DECLINED;
    }

    bigupload::CorsPolicy  p = ngx_http_bigupload_cors_policy(ctx->conf);

    if (!bigupload::is_cors_preflight(hr)) {
        for (auto &h : bigupload::cors_headers(p, origin)) {
            ctx->answer.headers.push_back(std::move(h));
        }
        return NGX_DECLINED;
    }

    hr.single("Access-Control-Request-Method", method);
    hr.single("Access-Control-Request-Headers", headers);

    rc = ngx_http_bigupload_refuse_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(),
        bigupload::cors_preflight_headers(p, origin, method, headers));
    ctx->phase = ngx_http_bigupload_phase_done;

    return ngx_http_bigupload_send(r, ctx->answer);
}


/* bigupload_cors_origin's values are checked once, at configuration time */

char *
ngx_http_bigupload_cors_merge(ngx_conf_t *cf, ngx_http_bigupload_loc_conf_t *conf)
{
    if (conf->cors_origins == nullptr) {
        return NGX_CONF_OK;
    }

    ngx_str_t  *o = (ngx_str_t *) conf->cors_origins->elts;

    for (ngx_uint_t i = 0; i < conf->cors_origins->nelts; i++) {
        if (!bigupload::valid_cors_origin(
                std::string_view((const char *) o[i].data, o[i].len)))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "bigupload_cors_origin \"%V\" is neither \"*\" nor an "
                               "origin (scheme://host[:port], lowercase, no path)", &o[i]);
            return (char *) NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}
