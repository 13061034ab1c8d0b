/*
 * The status endpoint (bigupload_status): GET answers the zone's snapshot,
 * completed with the partials on disk (listed on the thread pool), as JSON
 * or (?format=prometheus) in Prometheus' text format.
 */

#include "ngx_http_bigupload.h"

#include "engine/partial_store.hpp"


static void ngx_http_bigupload_status_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_status_report(ngx_http_bigupload_ctx_t *ctx);


/* the status location reaches the engine as a front-end does */
static const ngx_http_bigupload_frontend_t  ngx_http_bigupload_status_fe = {
    "status",
    0,
    nullptr,
    nullptr,
    ngx_http_bigupload_status_done,
};


ngx_int_t
ngx_http_bigupload_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
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

    ngx_http_bigupload_guarded(r->connection->log, "the status", [&] {
        bigupload::ErrorArgs  a;

        ctx = ngx_http_bigupload_create_ctx(r, conf);
        if (ctx == nullptr) {
            return;
        }

        ctx->fe = &ngx_http_bigupload_status_fe;
        ctx->kind = ngx_http_bigupload_kind_status;

        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            ctx->answer.headers.emplace_back("Allow", "GET, HEAD");
            a.method = std::string_view((const char *) r->method_name.data,
                                        r->method_name.len);
            rc = ngx_http_bigupload_refuse(r, ctx,
                                           bigupload::Error::status_method_not_allowed, a);
            return;
        }

        if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK) {
            std::string_view  f((const char *) format.data, format.len);

            if (f == "prometheus") {
                ctx->prometheus = true;

            } else if (f != "json") {
                a.value = f;
                rc = ngx_http_bigupload_refuse(r, ctx, bigupload::Error::bad_format, a);
                return;
            }
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return;
        }

        ctx->report = std::make_unique<bigupload::StatusSnapshot>();

        ngx_http_bigupload_snapshot(bmcf->zone, *ctx->report);
        ngx_http_bigupload_known_stores(ctx->report_stores);

        if (ctx->report_stores.empty()) {
            ngx_http_bigupload_status_report(ctx);
            rc = ngx_http_bigupload_send(r, ctx->answer);
            return;
        }

        /* the partials are on disk: listed on the thread pool */

        bigupload::StatusSnapshot                    *report = ctx->report.get();
        std::vector<std::pair<std::string, time_t>>  *stores = &ctx->report_stores;

        rc = ngx_http_bigupload_call(r, ctx, [report, stores](std::int64_t,
                                                               bigupload::FsError &e) {
            for (const auto &st : *stores) {
                bigupload::FsError      err;
                bigupload::PartialStore store(st.first, bigupload::StoreOptions());

                if (!store.list((std::int64_t) st.second, report->partials, err)) {
                    e = err;
                    report->partials_listed = false;
                }
            }

            return bigupload::Outcome::ok;
        });

    }, [] {});

    return rc;
}


static void
ngx_http_bigupload_status_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    if (ctx->fserr.err) {
        ngx_http_bigupload_log_fs(r->connection->log, ctx->fserr);
    }

    ngx_http_bigupload_status_report(ctx);
}


static void
ngx_http_bigupload_status_report(ngx_http_bigupload_ctx_t *ctx)
{
    std::string  body;

    if (ctx->prometheus) {
        body = bigupload::status_prometheus(*ctx->report);
        ctx->answer.content_type = "text/plain; version=0.0.4; charset=utf-8";

    } else {
        body = bigupload::status_json(*ctx->report);
        ctx->answer.content_type = "application/json";
    }

    /* a snapshot is never to be cached */
    ngx_http_bigupload_set_answer(ctx, NGX_HTTP_OK, std::move(body),
                                  {{"Cache-Control", "no-store"}});
}
