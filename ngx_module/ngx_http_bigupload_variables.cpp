/*
 * $bigupload_path, _bytes, _spliced, _size, _sha256, _result, _error: how each request
 * of a bigupload location went, for log_format and any other module.
 */

#include "ngx_http_bigupload.h"


static ngx_int_t ngx_http_bigupload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


enum {
    ngx_http_bigupload_var_path,
    ngx_http_bigupload_var_bytes,
    ngx_http_bigupload_var_spliced,
    ngx_http_bigupload_var_size,
    ngx_http_bigupload_var_sha256,
    ngx_http_bigupload_var_result,
    ngx_http_bigupload_var_error,
    ngx_http_bigupload_var_digest
};


static ngx_http_variable_t  ngx_http_bigupload_vars[] = {

    { ngx_string("bigupload_path"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_path, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_bytes"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_bytes, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_spliced"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_spliced, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_size"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_size, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_sha256"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_sha256, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_result"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_result, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_error"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_error, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bigupload_digest"), nullptr, ngx_http_bigupload_variable,
      ngx_http_bigupload_var_digest, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
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


static ngx_int_t
ngx_http_bigupload_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_int_t                  rc = NGX_ERROR;
    ngx_http_bigupload_ctx_t  *ctx;

    ctx = ngx_http_bigupload_get_ctx(r->main);

    if (ctx == nullptr || ctx->kind == ngx_http_bigupload_kind_status) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_bigupload_guarded(r->connection->log, "a variable", [&] {
        bigupload::Result  result = ngx_http_bigupload_result(ctx);
        bool               complete = result == bigupload::Result::complete
                                      || (ctx->pass_removed && ctx->passed);
        std::string        value;

        switch (data) {

        case ngx_http_bigupload_var_path:
            value = ctx->remote_path;
            break;

        case ngx_http_bigupload_var_bytes:
            if (ctx->kind == ngx_http_bigupload_kind_upload) {
                value = std::to_string(ctx->received);
            }
            break;

        case ngx_http_bigupload_var_spliced:
            if (ctx->kind == ngx_http_bigupload_kind_upload) {
                value = std::to_string(ctx->spliced);
            }
            break;

        case ngx_http_bigupload_var_size:
            if (complete) {
                value = std::to_string(ctx->upload->size());
            }
            break;

        case ngx_http_bigupload_var_sha256:
            if (complete) {
                value = ctx->upload->sha256();
            }
            break;

        case ngx_http_bigupload_var_result:
            value = bigupload::result_name(result);
            break;

        case ngx_http_bigupload_var_error:
            value = bigupload::error_info(ctx->error).code;
            break;

        case ngx_http_bigupload_var_digest:
            if (complete && ctx->upload->digest().known()) {
                const bigupload::FileDigest &d = ctx->upload->digest();
                value = std::string(bigupload::digest_name(*d.alg)) + ":" + d.hex();
            }
            break;
        }

        v->data = (u_char *) ngx_pnalloc(r->pool, value.size() + 1);
        if (v->data == nullptr) {
            return;
        }

        ngx_memcpy(v->data, value.data(), value.size());
        v->len = value.size();
        v->valid = 1;
        v->no_cacheable = 1;
        v->not_found = 0;

        rc = NGX_OK;

    }, [] {});

    return rc;
}
