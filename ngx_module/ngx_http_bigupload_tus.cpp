/*
 * tus 1.0.0, a front-end: OPTIONS discovery, creation (with upload, with a
 * deferred length, of partial and final uploads), HEAD, PATCH, DELETE, on
 * the same engine and store as the native dialect.  Requests with
 * Tus-Resumable are its, and OPTIONS requests of no other dialect.  The
 * parsing, the URLs and the answer headers are the core's
 * (proto/tus_request.hpp); an upload is a ResumableUpload whose id, the
 * upload URL's last segment, is its secret, and a final upload a
 * ConcatUpload of its parts.  README "tus".
 */

#include "ngx_http_bigupload.h"

#include "base/path.hpp"
#include "engine/concat.hpp"
#include "engine/partial_store.hpp"
#include "engine/resource.hpp"
#include "engine/resumable.hpp"
#include "proto/tus_request.hpp"


static ngx_int_t ngx_http_bigupload_tus_detect(ngx_http_request_t *r);
static ngx_int_t ngx_http_bigupload_tus_handler(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_tus_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static bigupload::Error ngx_http_bigupload_tus_error(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);


const ngx_http_bigupload_frontend_t  ngx_http_bigupload_tus = {
    "tus",
    NGX_HTTP_BIGUPLOAD_TUS,
    ngx_http_bigupload_tus_detect,
    ngx_http_bigupload_tus_handler,
    ngx_http_bigupload_tus_done,
};


/* what the front-end keeps about a request */
struct ngx_http_bigupload_tus_ctx_t {
    bigupload::tus::Request   req;
    bigupload::ResourceInfo   info;         /* HEAD, DELETE */
    std::string               location;     /* a creation: the new upload's URL */
};


static ngx_http_bigupload_tus_ctx_t *
ngx_http_bigupload_tus_ctx(ngx_http_bigupload_ctx_t *ctx)
{
    return (ngx_http_bigupload_tus_ctx_t *) ctx->fe_ctx.get();
}


static bool
ngx_http_bigupload_tus_has(ngx_http_request_t *r, const char *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    size_t            len = ngx_strlen(name);

    part = &r->headers_in.headers.part;
    h = (ngx_table_elt_t *) part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == nullptr) {
                return false;
            }

            part = part->next;
            h = (ngx_table_elt_t *) part->elts;
            i = 0;
        }

        if (h[i].hash && h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return true;
        }
    }
}


/* Tus-Resumable is tus; so is an OPTIONS that no other dialect claims */

static ngx_int_t
ngx_http_bigupload_tus_detect(ngx_http_request_t *r)
{
    if (ngx_http_bigupload_tus_has(r, "Tus-Resumable")) {
        return 1;
    }

    return r->method == NGX_HTTP_OPTIONS
           && !ngx_http_bigupload_tus_has(r, "Upload-Draft-Interop-Version");
}


/*
 * Where the location's upload URLs live: below a prefix location's name
 * (every upload of the location under one base, "/upload/.bigupload/<id>"),
 * else beside the creation URL, which is as sure to reach this location.
 */

static std::string
ngx_http_bigupload_tus_base(ngx_http_request_t *r)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = (ngx_http_core_loc_conf_t *) ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!clcf->regex && !clcf->named && !clcf->exact_match && clcf->name.len) {
        std::string  base = bigupload::percent_encode_path(
                                std::string_view((const char *) clcf->name.data,
                                                 clcf->name.len));
        if (base.back() != '/') {
            base.push_back('/');
        }
        return base;
    }

    std::string_view  raw((const char *) r->unparsed_uri.data, r->unparsed_uri.len);

    raw = raw.substr(0, raw.find('?'));

    return std::string(raw.substr(0, raw.rfind('/') + 1));
}


static std::string
ngx_http_bigupload_tus_url(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    const bigupload::HttpRequest &hr, const std::string &id)
{
    bigupload::tus::RequestOrigin  o;
    bigupload::tus::UrlMode        mode;

    mode = ctx->conf->location == NGX_HTTP_BIGUPLOAD_LOCATION_ABSOLUTE
           ? bigupload::tus::UrlMode::absolute
           : ctx->conf->location == NGX_HTTP_BIGUPLOAD_LOCATION_FORWARDED
           ? bigupload::tus::UrlMode::forwarded
           : bigupload::tus::UrlMode::relative;

    o.scheme = "http";
#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        o.scheme = "https";
    }
#endif

    if (r->headers_in.host) {
        o.host = std::string_view((const char *) r->headers_in.host->value.data,
                                  r->headers_in.host->value.len);
    }

    hr.single("X-Forwarded-Proto", o.forwarded_proto);
    hr.single("X-Forwarded-Host", o.forwarded_host);

    std::string  path = ngx_http_bigupload_tus_base(r);

    path.append(bigupload::tus::resource_segment);
    path.push_back('/');
    path.append(id);

    return bigupload::tus::resource_url(mode, o, path);
}


/* an answer of the handler itself (OPTIONS), with no engine operation */

static ngx_int_t
ngx_http_bigupload_tus_answer(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    ngx_uint_t status, std::vector<bigupload::HeaderField> headers)
{
    ngx_int_t  rc;

    rc = ngx_http_bigupload_refuse_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_http_bigupload_set_answer(ctx, status, std::string(), std::move(headers));
    ctx->phase = ngx_http_bigupload_phase_done;

    return ngx_http_bigupload_send(r, ctx->answer);
}


static ngx_int_t ngx_http_bigupload_tus_create(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, const bigupload::HttpRequest &hr);
static ngx_int_t ngx_http_bigupload_tus_patch(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_tus_about(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);


static ngx_int_t
ngx_http_bigupload_tus_handler(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::ErrorArgs      a;
    bigupload::HttpRequest    hr;
    bigupload::tus::Refusal   why;
    std::string               path;

    auto tc = std::make_shared<ngx_http_bigupload_tus_ctx_t>();

    ctx->fe_ctx = tc;
    ctx->outcome_error = ngx_http_bigupload_tus_error;

    /* on every answer, refusals included */
    ctx->answer.headers.emplace_back("Tus-Resumable", std::string(bigupload::tus::version));

    ngx_http_bigupload_http_request(r, hr);

#if (NGX_HTTP_V2)
    /* a stream ended with its headers has no body (an empty creation POST) */
    if (r->stream && r->stream->in_closed) {
        hr.streamed = false;
    }
#endif

    std::string_view  raw((const char *) r->unparsed_uri.data, r->unparsed_uri.len);

    raw = raw.substr(0, raw.find('?'));
    if (bigupload::percent_decode(raw, path) != bigupload::PathError::ok) {
        path.assign(raw);
    }

    bool parsed = bigupload::tus::parse_request(hr, path, tc->req, why);
    bigupload::tus::Op  op = tc->req.op;

    if (!parsed) {
        /* what the request meant to be, for the counters */
        op = r->method == NGX_HTTP_HEAD ? bigupload::tus::Op::head
             : r->method == NGX_HTTP_DELETE ? bigupload::tus::Op::terminate
             : r->method == NGX_HTTP_OPTIONS ? bigupload::tus::Op::options
             : bigupload::tus::Op::create;
    }

    ctx->kind = op == bigupload::tus::Op::head ? ngx_http_bigupload_kind_query
                : op == bigupload::tus::Op::terminate ? ngx_http_bigupload_kind_cancel
                : op == bigupload::tus::Op::options ? ngx_http_bigupload_kind_none
                : ngx_http_bigupload_kind_upload;

    if (!parsed) {
        if (why.error == bigupload::Error::tus_version) {
            ctx->answer.headers.emplace_back("Tus-Version", bigupload::tus::format_versions());
        }

        if (why.error == bigupload::Error::tus_method) {
            ctx->answer.headers.emplace_back("Allow", why.allow);
        }

        /* the path below the store, as for every other answer */
        bigupload::Target  where;

        ctx->remote_path = ngx_http_bigupload_store_of(r, ctx, where)
                           == bigupload::Error::none ? where.remote_path : path;

        a.path = ctx->remote_path;
        a.method = hr.method;
        a.header = why.header;
        a.value = why.value;
        a.message = why.detail;
        a.detail = why.detail;

        return ngx_http_bigupload_refuse(r, ctx, why.error, a);
    }

    switch (op) {

    case bigupload::tus::Op::options:
        return ngx_http_bigupload_tus_answer(r, ctx, NGX_HTTP_NO_CONTENT,
                   bigupload::tus::options_headers((std::uint64_t) ctx->conf->max_size));

    case bigupload::tus::Op::create:
        return ngx_http_bigupload_tus_create(r, ctx, hr);

    /* a request about an upload: older requests in flight for it (a
     * client that was killed and resumes at once) are ended first, so that
     * HEAD reports what they hold and a PATCH is not refused for them */
    case bigupload::tus::Op::patch:
        ctx->partial_id = ngx_http_bigupload_tus_ctx(ctx)->req.id;
        return ngx_http_bigupload_end_stale(r, ctx, ngx_http_bigupload_tus_patch);

    default:
        ctx->partial_id = ngx_http_bigupload_tus_ctx(ctx)->req.id;
        return ngx_http_bigupload_end_stale(r, ctx, ngx_http_bigupload_tus_about);
    }
}


/* the store of a request about an upload (a URL of it) */

static bool
ngx_http_bigupload_tus_store(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    bigupload::Target &target, ngx_int_t &rc)
{
    bigupload::ErrorArgs  a;
    bigupload::Error      e = ngx_http_bigupload_store_of(r, ctx, target);

    if (e != bigupload::Error::none) {
        rc = ngx_http_bigupload_refuse(r, ctx, e, a);
        return false;
    }

    ngx_http_bigupload_register_store(ctx->conf, target.root);

    /* the upload's URL until its state names its path */
    ctx->remote_path = target.remote_path;

    return true;
}


/* an Upload-Length over bigupload_max_size: refused ("rc") */

static bool
ngx_http_bigupload_tus_too_large(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    const bigupload::tus::Request &t, ngx_int_t &rc)
{
    bigupload::ErrorArgs  a;

    if (!t.length || ctx->conf->max_size == 0
        || *t.length <= (std::uint64_t) ctx->conf->max_size)
    {
        return false;
    }

    a.path = ctx->remote_path;
    a.bytes = (std::int64_t) *t.length;
    a.limit = ctx->conf->max_size;

    rc = ngx_http_bigupload_refuse(r, ctx, bigupload::Error::too_large, a);
    return true;
}


/* the request's bytes (a PATCH's, a creation's) into upload "id" */

static ngx_int_t
ngx_http_bigupload_tus_write(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    const std::string &id, bigupload::Target target, bigupload::Bind bind,
    bigupload::Creation c)
{
    const bigupload::tus::Request  &t = ngx_http_bigupload_tus_ctx(ctx)->req;
    std::string                     root = target.root;
    auto                            opt = target.opt;

    return ngx_http_bigupload_upload(r, ctx,
               std::make_unique<bigupload::ResumableUpload>(
                   bigupload::PartialStore(root, opt), id, std::string(), std::move(target),
                   bigupload::tus::upload_request(t, r->headers_in.content_length_n,
                                                  (std::int64_t) ctx->conf->expire),
                   bind, std::move(c)),
               t.length ? (off_t) *t.length : -1);
}


/*
 * POST to a creation URL: a new upload (a file of its own, or a part of a
 * later concatenation), with what bytes the POST brings; or a final upload,
 * assembled from its parts right away.
 */

static ngx_int_t
ngx_http_bigupload_tus_create(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    const bigupload::HttpRequest &hr)
{
    ngx_int_t                       rc;
    bigupload::Error                e;
    bigupload::Target               target;
    bigupload::ErrorArgs            a;
    std::string                     name;
    std::vector<std::string>        parts;
    ngx_http_bigupload_tus_ctx_t   *tc = ngx_http_bigupload_tus_ctx(ctx);
    const bigupload::tus::Request  &t = tc->req;

    std::string_view  raw((const char *) r->unparsed_uri.data, r->unparsed_uri.len);

    raw = raw.substr(0, raw.find('?'));

    if (t.partial) {
        /* a part goes nowhere by itself: the URL needs only to be sound */
        std::vector<std::string>  ignored;
        bigupload::PathError      perr = bigupload::parse_remote_path(raw, ignored);

        if (perr != bigupload::PathError::ok && perr != bigupload::PathError::collection) {
            a.value = raw;
            a.detail = bigupload::path_error_message(perr);
            a.message = a.detail;
            return ngx_http_bigupload_refuse(r, ctx, bigupload::error_for_path(perr), a);
        }

        if (!ngx_http_bigupload_tus_store(r, ctx, target, rc)) {
            return rc;
        }

    } else {
        /* a directory's file is named by the metadata */
        if (!raw.empty() && raw.back() == '/') {
            std::string  why;

            if (!bigupload::tus::creation_filename(t.metadata, name, why)) {
                bigupload::Target  where;

                if (ngx_http_bigupload_store_of(r, ctx, where) == bigupload::Error::none) {
                    ctx->remote_path = where.remote_path;
                }
                a.path = ctx->remote_path;
                a.detail = why;
                a.message = why;
                return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::tus_bad_filename, a);
            }
        }

        e = ngx_http_bigupload_target(r, ctx, target, a, false, name);
        if (e != bigupload::Error::none) {
            a.path = ctx->remote_path;
            return ngx_http_bigupload_refuse(r, ctx, e, a);
        }

        ngx_http_bigupload_register_store(ctx->conf, target.root);
    }

    if (ngx_http_bigupload_tus_too_large(r, ctx, t, rc)) {
        return rc;
    }

    if (t.final_concat) {
        for (const auto &url : t.final_concat->urls) {
            auto id = bigupload::tus::upload_id_of_url(url);

            if (!id) {
                std::string  msg = "Upload-Concat names \"" + url
                                   + "\", which is no upload URL of this server";
                a.path = ctx->remote_path;
                a.message = msg;
                return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::tus_bad_part, a);
            }

            parts.push_back(std::move(*id));
        }
    }

    std::string  id = bigupload::PartialStore::new_id();

    tc->location = ngx_http_bigupload_tus_url(r, ctx, hr, id);

    bigupload::Creation  c;

    c.protocol = "tus";
    c.metadata = t.metadata_raw;
    c.part = t.partial;
    c.concat = t.concat_raw;
    /* a part is spent by its final; every other upload leaves a record */
    c.record = !t.partial;

    if (!t.final_concat) {
        return ngx_http_bigupload_tus_write(r, ctx, id, std::move(target),
                                            bigupload::Bind::create, std::move(c));
    }

    std::string  root = target.root;
    auto         opt = target.opt;

    return ngx_http_bigupload_upload(r, ctx,
               std::make_unique<bigupload::ConcatUpload>(
                   bigupload::PartialStore(root, opt), id, std::move(parts),
                   std::move(target), std::move(c), (std::int64_t) ctx->conf->expire,
                   (std::uint64_t) ctx->conf->max_size),
               -1);
}


/* PATCH: bytes at the upload's offset */

static ngx_int_t
ngx_http_bigupload_tus_patch(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t                       rc;
    bigupload::Target               target;
    ngx_http_bigupload_tus_ctx_t   *tc = ngx_http_bigupload_tus_ctx(ctx);
    const bigupload::tus::Request  &t = tc->req;

    if (!ngx_http_bigupload_tus_store(r, ctx, target, rc)) {
        return rc;
    }

    if (ngx_http_bigupload_tus_too_large(r, ctx, t, rc)) {
        return rc;
    }

    /* where it goes is in its state */
    target.remote_path.clear();

    bigupload::Creation  c("tus");

    c.record = true;

    return ngx_http_bigupload_tus_write(r, ctx, t.id, std::move(target), bigupload::Bind::join,
                                        std::move(c));
}


/* HEAD and DELETE of an upload: on the pool */

static ngx_int_t
ngx_http_bigupload_tus_about(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_int_t                       rc;
    bigupload::Target               target;
    ngx_http_bigupload_tus_ctx_t   *tc = ngx_http_bigupload_tus_ctx(ctx);

    if (!ngx_http_bigupload_tus_store(r, ctx, target, rc)) {
        return rc;
    }

    auto               store = std::make_shared<bigupload::PartialStore>(target.root,
                                                                         target.opt);
    std::string        id = tc->req.id;
    std::int64_t       max_idle = (std::int64_t) ctx->conf->expire;
    auto               keep = ctx->fe_ctx;
    bool               head = tc->req.op == bigupload::tus::Op::head;

    return ngx_http_bigupload_call(r, ctx,
        [store, id, max_idle, keep, tc, head](std::int64_t now, bigupload::FsError &fe) {
            return head ? bigupload::query_resource(*store, id, "tus", max_idle, now,
                                                    tc->info, fe)
                        : bigupload::terminate_resource(*store, id, "tus", max_idle, now,
                                                        tc->info, fe);
        });
}


/* an engine operation is done: the answer */

static void ngx_http_bigupload_tus_finished(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);


static void
ngx_http_bigupload_tus_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_http_bigupload_tus_ctx_t  *tc = ngx_http_bigupload_tus_ctx(ctx);
    const bigupload::UploadState  &st = tc->info.state;

    if (ctx->op == ngx_http_bigupload_op_finish) {
        ngx_http_bigupload_tus_finished(r, ctx);
        return;
    }

    if (ctx->outcome != bigupload::Outcome::ok) {
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    ctx->remote_path = st.path;

    if (tc->req.op == bigupload::tus::Op::head) {
        ngx_http_bigupload_set_answer(ctx, NGX_HTTP_OK, std::string(),
            bigupload::tus::head_headers(st, st.updated + ctx->conf->expire,
                                         tc->info.target.digest));
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "bigupload: terminated the tus upload %s of \"%s\"%s",
                  tc->req.id.c_str(), st.path.c_str(),
                  st.finished ? " (its record: the file stays)" : "");

    ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(), {});
}


static void
ngx_http_bigupload_tus_finished(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Upload              *u = ctx->upload.get();
    ngx_http_bigupload_tus_ctx_t   *tc = ngx_http_bigupload_tus_ctx(ctx);
    bool                            create = tc->req.op == bigupload::tus::Op::create;
    ngx_uint_t                      status = create ? NGX_HTTP_CREATED : NGX_HTTP_NO_CONTENT;
    std::vector<bigupload::HeaderField>  h;

    auto *p = tc->req.final_concat ? nullptr
                                   : static_cast<bigupload::ResumableUpload *>(u);
    auto *c = tc->req.final_concat ? static_cast<bigupload::ConcatUpload *>(u) : nullptr;

    switch (ctx->outcome) {

    case bigupload::Outcome::created:
    case bigupload::Outcome::replaced:
    {
        const bigupload::FileDigest  &d = u->digest();

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: stored \"%s\" (%uL bytes, %s %s)%s",
                      u->target_path().c_str(), (uint64_t) u->size(),
                      d.alg ? bigupload::digest_name(*d.alg) : "no digest", d.hex().c_str(),
                      c ? ", concatenated" : "");

        ctx->metadata = bigupload::tus::notice_metadata(p ? p->state().metadata
                                                          : c->state().metadata);
        h = bigupload::tus::complete_headers(u->size(), d);
        break;
    }

    case bigupload::Outcome::incomplete:
    case bigupload::Outcome::kept:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: received %uL bytes at %uL of the tus upload of \"%s\", "
                      "holding %uL",
                      (uint64_t) p->written(), (uint64_t) p->offset(),
                      ctx->remote_path.c_str(), (uint64_t) p->state().received.total());

        h = bigupload::tus::progress_headers(p->state(),
                                             p->state().updated + ctx->conf->expire);
        break;

    case bigupload::Outcome::completed_elsewhere:
        h = {{"Upload-Offset", std::to_string(*p->state().length)}};
        break;

    default:
        /* the upload exists once its creation was opened, whatever became
         * of the bytes: the client may go on with it */
        if (create && ctx->opened && !c) {
            ctx->answer.headers.emplace_back("Location", tc->location);
        }
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    if (create) {
        h.insert(h.begin(), {"Location", tc->location});
    }

    ngx_http_bigupload_set_answer(ctx, status, std::string(), std::move(h));
}


/* the dialect's answers to what the engine says */

static bigupload::Error
ngx_http_bigupload_tus_error(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    ngx_http_bigupload_tus_ctx_t  *tc = ngx_http_bigupload_tus_ctx(ctx);
    bool                           final = tc && tc->req.final_concat;
    std::string                    concat;

    if (tc == nullptr) {
        return bigupload::Error::none;
    }

    /* where the upload goes, for the log line, once its state said so */
    if (ctx->upload && !final) {
        auto  *p = static_cast<bigupload::ResumableUpload *>(ctx->upload.get());

        if (!p->state().path.empty()) {
            ctx->remote_path = p->state().path;
        }
        concat = p->state().concat;
    }

    switch (ctx->outcome) {

    case bigupload::Outcome::not_found:
        return final ? bigupload::Error::tus_bad_part : bigupload::Error::tus_gone;

    case bigupload::Outcome::incomplete:
        return bigupload::Error::tus_bad_part;

    case bigupload::Outcome::beyond_length:
        return final ? bigupload::Error::tus_concat_too_large
                     : bigupload::Error::tus_beyond_length;

    case bigupload::Outcome::digest_mismatch:
        return bigupload::Error::tus_checksum_mismatch;

    case bigupload::Outcome::finished:
        return concat.empty() ? bigupload::Error::tus_finished
                              : bigupload::Error::tus_final_patch;

    case bigupload::Outcome::length_mismatch:
        return bigupload::Error::tus_length_mismatch;

    default:
        return bigupload::Error::none;
    }
}
