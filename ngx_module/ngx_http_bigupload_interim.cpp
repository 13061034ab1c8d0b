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
 * the final one, built the way nginx builds its own (see below).
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

/*
 * HTTP/2.  nginx 1.22 writes HEADERS frames only in its header filter
 * (ngx_http_v2_filter_module.c, static functions), once per request.  But
 * ngx_http_v2.h exposes the connection, stream and frame structures, the
 * inline functions that queue a frame, ngx_http_v2_send_output_queue() and
 * the HPACK string encoder, which is what that filter itself uses: a
 * HEADERS frame without END_STREAM is built here the same way, queued in
 * order before anything else of the stream, and accounted for as the
 * filter's own are (stream->queued, until a handler sees it sent).  Its
 * fields are HPACK literals "without indexing", which leave the client's
 * dynamic table as it is; a pending table size update goes first, as the
 * filter would send it.
 */

static ngx_int_t ngx_http_bigupload_interim_v2_sent(ngx_http_v2_connection_t *h2c,
    ngx_http_v2_out_frame_t *frame);


static ngx_int_t
ngx_http_bigupload_interim_v2(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    size_t                     len, block;
    u_char                    *pos, *start, *tmp;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_connection_t          *fc = r->connection;
    ngx_http_v2_stream_t      *stream = r->stream;
    ngx_http_v2_connection_t  *h2c = stream->connection;
    ngx_http_v2_out_frame_t   *frame;

    std::string  status = std::to_string(ctx->interim_status);

    /* the largest encoding of every field: a literal's first byte, two
     * length prefixes, the raw strings */
    len = 1 + 1 + NGX_HTTP_V2_INT_OCTETS + status.size();
    size_t  longest = status.size();

    for (const auto &h : ctx->interim_headers) {
        len += 1 + 2 * NGX_HTTP_V2_INT_OCTETS + h.first.size() + h.second.size();
        longest = ngx_max(longest, ngx_max(h.first.size(), h.second.size()));
    }

    if (len > h2c->frame_size) {
        /* CONTINUATION frames are not worth it for a 104 */
        return NGX_OK;
    }

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_V2_FRAME_HEADER_SIZE + len);
    tmp = (u_char *) ngx_palloc(r->pool, longest);
    frame = (ngx_http_v2_out_frame_t *) ngx_pcalloc(r->pool, sizeof(ngx_http_v2_out_frame_t));
    cl = ngx_alloc_chain_link(r->pool);

    if (b == nullptr || tmp == nullptr || frame == nullptr || cl == nullptr) {
        return NGX_ERROR;
    }

    start = b->pos + NGX_HTTP_V2_FRAME_HEADER_SIZE;
    pos = start;

    if (h2c->table_update) {
        *pos++ = (1 << 5) | 0;
        h2c->table_update = 0;
    }

    /* ":status" by its static index, literal without indexing */
    *pos++ = NGX_HTTP_V2_STATUS_INDEX;
    pos = ngx_http_v2_write_value(pos, (u_char *) status.data(), status.size(), tmp);

    for (const auto &h : ctx->interim_headers) {
        *pos++ = 0;
        pos = ngx_http_v2_write_name(pos, (u_char *) h.first.data(), h.first.size(), tmp);
        pos = ngx_http_v2_write_value(pos, (u_char *) h.second.data(), h.second.size(), tmp);
    }

    block = pos - start;

    pos = b->pos;
    pos = ngx_http_v2_write_len_and_type(pos, block, NGX_HTTP_V2_HEADERS_FRAME);
    *pos++ = NGX_HTTP_V2_END_HEADERS_FLAG;
    pos = ngx_http_v2_write_sid(pos, stream->node->id);

    b->last = start + block;

    cl->buf = b;
    cl->next = nullptr;

    frame->first = cl;
    frame->last = cl;
    frame->handler = ngx_http_bigupload_interim_v2_sent;
    frame->stream = stream;
    frame->length = block;
    frame->blocked = 1;
    frame->fin = 0;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, fc->log, 0,
                   "bigupload: http2:%ui interim %ui", stream->node->id,
                   ctx->interim_status);

    ngx_http_v2_queue_blocked_frame(h2c, frame);
    stream->queued++;

    /* as the filter's ngx_http_v2_filter_send(): what the socket does not
     * take now goes with the connection's next write */
    stream->blocked = 1;

    if (ngx_http_v2_send_output_queue(h2c) == NGX_ERROR) {
        fc->error = 1;
        return NGX_ERROR;
    }

    stream->blocked = 0;

    return NGX_OK;
}


/* the frame went out: what the filter's headers frame handler does */

static ngx_int_t
ngx_http_bigupload_interim_v2_sent(ngx_http_v2_connection_t *h2c,
    ngx_http_v2_out_frame_t *frame)
{
    ngx_event_t           *wev;
    ngx_connection_t      *fc;
    ngx_http_v2_stream_t  *stream = frame->stream;

    if (frame->first->buf->pos != frame->first->buf->last) {
        return NGX_AGAIN;
    }

    stream->request->header_size += NGX_HTTP_V2_FRAME_HEADER_SIZE + frame->length;
    stream->request->connection->sent += NGX_HTTP_V2_FRAME_HEADER_SIZE + frame->length;
    h2c->payload_bytes += frame->length;
    h2c->total_bytes += NGX_HTTP_V2_FRAME_HEADER_SIZE + frame->length;

    stream->queued--;

    if (stream->waiting || stream->blocked) {
        return NGX_OK;
    }

    /* a stream that waited for its frames to go (e.g. to close) goes on */
    fc = stream->request->connection;

    if (!fc->error && stream->exhausted) {
        return NGX_OK;
    }

    wev = fc->write;

    wev->active = 0;
    wev->ready = 1;

    if (!fc->error && wev->delayed) {
        return NGX_OK;
    }

    ngx_post_event(wev, &ngx_posted_events);

    return NGX_OK;
}

#endif
