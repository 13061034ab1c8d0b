/*
 * Answers: what a front-end sets (ngx_http_bigupload_set_answer), sent once
 * no task is in flight; a recorded failure as the errors table's JSON; a
 * finished upload handed to bigupload_pass instead.
 */

#include "ngx_http_bigupload.h"

#include "report/response.hpp"


static ngx_int_t ngx_http_bigupload_add_location(ngx_http_request_t *r);


/* the answer a front-end sets once its operation is done */

void
ngx_http_bigupload_set_answer(ngx_http_bigupload_ctx_t *ctx, ngx_uint_t status,
    std::string body, std::vector<bigupload::HeaderField> headers)
{
    ctx->answer.status = status;
    ctx->answer.body = std::move(body);

    for (auto &h : headers) {
        ctx->answer.headers.push_back(std::move(h));
    }

    ctx->phase = ngx_http_bigupload_phase_answer;
}


/* the request is over: its answer (or failure) goes out, or bigupload_pass
 * takes a completed upload on */

void
ngx_http_bigupload_finish(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t  rc;

    ctx->phase = ngx_http_bigupload_phase_done;

    /* no more in flight for a newer request to end */
    ngx_http_bigupload_unwatch_stale(ctx);

    if (!ctx->failed && ngx_http_bigupload_pass_wanted(r)
        && ngx_http_bigupload_result(ctx) == bigupload::Result::complete)
    {
        rc = ngx_http_bigupload_pass(r, ctx);
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (!ctx->failed) {
        rc = ngx_http_bigupload_send(r, ctx->answer);

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

        ngx_http_bigupload_answer_t  a;

        a.status = ctx->status;
        a.body = bigupload::error_json(bigupload::error_info(ctx->error).code,
                                       ctx->error_message);
        a.headers = std::move(ctx->answer.headers);

        if (ctx->fe && ctx->fe->failure) {
            ctx->fe->failure(r, ctx, a);
        }

        rc = ngx_http_bigupload_send(r, a);
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
}


ngx_int_t
ngx_http_bigupload_send(ngx_http_request_t *r, const ngx_http_bigupload_answer_t &a)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    /* If-Match was the request's precondition, evaluated on the upload's
     * target: the not_modified filter must not apply it to this answer */
    r->disable_not_modified = 1;

    r->headers_out.status = a.status;
    r->headers_out.content_length_n = a.body.size();

    const std::string  &type = a.content_type.empty() && !a.body.empty()
                               ? std::string("application/json") : a.content_type;

    if (!type.empty()) {
        r->headers_out.content_type.len = type.size();
        r->headers_out.content_type.data = (u_char *) ngx_pnalloc(r->pool, type.size());
        if (r->headers_out.content_type.data == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(r->headers_out.content_type.data, type.data(), type.size());
        r->headers_out.content_type_len = type.size();
        r->headers_out.content_type_lowcase = nullptr;
    }

    if (a.content_length >= 0) {
        /* HEAD of a finished file: its size, no body */
        r->headers_out.content_length_n = a.content_length;
    }

    for (const auto &hv : a.headers) {
        if (ngx_http_bigupload_add_header(r, hv.first, hv.second) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (a.location && ngx_http_bigupload_add_location(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    /* a 201 without a body (the IETF draft's creation) ends with the last
     * buffer alone: an empty memory buffer is an error to the writer */
    if (a.body.empty()) {
        return ngx_http_send_special(r, NGX_HTTP_LAST);
    }

    b = ngx_create_temp_buf(r->pool, a.body.size());
    if (b == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!a.body.empty()) {
        b->last = ngx_cpymem(b->last, a.body.data(), a.body.size());
    }
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = nullptr;

    return ngx_http_output_filter(r, &out);
}


/* Location: the request's URI, made absolute by the header filter (as for
 * dav) */

static ngx_int_t
ngx_http_bigupload_add_location(ngx_http_request_t *r)
{
    uintptr_t         escape;
    ngx_table_elt_t  *location;

    location = (ngx_table_elt_t *) ngx_list_push(&r->headers_out.headers);
    if (location == nullptr) {
        return NGX_ERROR;
    }

    location->hash = 1;
    ngx_str_set(&location->key, "Location");

    escape = 2 * ngx_escape_uri(nullptr, r->uri.data, r->uri.len, NGX_ESCAPE_URI);

    location->value.len = r->uri.len + escape;
    location->value.data = (u_char *) ngx_pnalloc(r->pool, location->value.len);
    if (location->value.data == nullptr) {
        location->hash = 0;
        return NGX_ERROR;
    }

    if (escape) {
        ngx_escape_uri(location->value.data, r->uri.data, r->uri.len, NGX_ESCAPE_URI);
    } else {
        ngx_memcpy(location->value.data, r->uri.data, r->uri.len);
    }

    r->headers_out.location = location;

    return NGX_OK;
}


ngx_int_t
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


/*
 * An answer before the body: no "100 Continue" for a body nobody wants,
 * and no keep-alive either, since a client that waited for the 100 may
 * reuse the connection without sending it; nginx discards what comes.
 */

ngx_int_t
ngx_http_bigupload_refuse_body(ngx_http_request_t *r)
{
    r->expect_tested = 1;

    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        r->keepalive = 0;
    }

    return ngx_http_discard_request_body(r);
}
