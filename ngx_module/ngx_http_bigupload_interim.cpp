/*
 * Interim (1xx) answers a front-end asks for before an upload's body is
 * read: the IETF draft's "104 Upload Resumption Supported", which tells the
 * client where to resume should the request break.
 *
 * nginx 1.22 has no API for a 1xx answer.  Over HTTP/1.1 it writes its own
 * "100 Continue" straight on the connection (ngx_http_test_expect() in
 * ngx_http_request_body.c, called by ngx_http_read_client_request_body());
 * an interim answer is written the same way, before the body reading starts,
 * so it precedes that "100 Continue" (the draft: a 104 never replaces it).
 * Over HTTP/2 an interim answer is a HEADERS frame without END_STREAM before
 * the final one; see ngx_http_bigupload_interim_v2().
 */

#include "ngx_http_bigupload.h"


#if (NGX_HTTP_V2)
static ngx_int_t ngx_http_bigupload_interim_v2(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
#endif


/* NGX_OK when sent or not to be sent (HTTP/1.0 knows no 1xx); NGX_ERROR
 * when the connection could not take it */

ngx_int_t
ngx_http_bigupload_interim(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ssize_t            n;
    ngx_connection_t  *c = r->connection;

#if (NGX_HTTP_V2)
    if (r->stream) {
        return ngx_http_bigupload_interim_v2(r, ctx);
    }
#endif

    if (r->http_version < NGX_HTTP_VERSION_11) {
        return NGX_OK;
    }

    std::string  out = "HTTP/1.1 " + std::to_string(ctx->interim_status) + " "
                       + ctx->interim_reason + "\r\n";

    for (const auto &h : ctx->interim_headers) {
        out += h.first + ": " + h.second + "\r\n";
    }

    out += "\r\n";

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0, "bigupload: send interim %ui",
                   ctx->interim_status);

    n = c->send(c, (u_char *) out.data(), out.size());

    if (n == (ssize_t) out.size()) {
        return NGX_OK;
    }

    /* as for nginx's "100 Continue": a packet this small goes out whole on
     * a connection that has sent nothing yet, or the connection is broken */
    c->error = 1;

    return NGX_ERROR;
}


#if (NGX_HTTP_V2)

static ngx_int_t
ngx_http_bigupload_interim_v2(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    /* see the README ("IETF resumable uploads", HTTP/2): not sent */
    return NGX_OK;
}

#endif
