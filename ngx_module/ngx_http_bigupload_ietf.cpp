/*
 * The IETF resumable-upload draft (draft-ietf-httpbis-resumable-upload), a
 * front-end, in every interop version a client may send (3 to 8; README
 * "IETF resumable uploads").  A request with Upload-Draft-Interop-Version
 * is the draft's:
 *
 *   POST/PUT/PATCH <target> + Upload-Complete   creates an upload resource,
 *       "<location prefix>.bigupload/<id>" (a partial of the store named by
 *       PartialStore::new_id()), announced by a 104 before the body is read;
 *   HEAD <resource>     its offset, completeness, length and limits;
 *   PATCH <resource>    appends at Upload-Offset;
 *   DELETE <resource>   cancels it;
 *   OPTIONS             the limits (Upload-Limit) and Accept-Patch.
 *
 * What differs between versions comes from the core's table row
 * (proto/ietf.hpp VersionTraits) through the core's builders; this file
 * tests no version number.
 */

#include "ngx_http_bigupload.h"

#include <ctime>
#include <optional>

#include "base/path.hpp"
#include "engine/partial_store.hpp"
#include "engine/resumable.hpp"
#include "proto/digest_fields.hpp"
#include "proto/ietf.hpp"
#include "proto/ietf_request.hpp"
#include "report/response.hpp"


namespace ietf = bigupload::ietf;


static ngx_int_t ngx_http_bigupload_ietf_detect(ngx_http_request_t *r);
static ngx_int_t ngx_http_bigupload_ietf_handler(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_ietf_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_ietf_failure(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx, ngx_http_bigupload_answer_t &a);
static ngx_int_t ngx_http_bigupload_ietf_create(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_ietf_resource(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static ngx_int_t ngx_http_bigupload_ietf_options(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_ietf_finished(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);


const ngx_http_bigupload_frontend_t  ngx_http_bigupload_ietf = {
    "ietf",
    NGX_HTTP_BIGUPLOAD_IETF,
    ngx_http_bigupload_ietf_detect,
    ngx_http_bigupload_ietf_handler,
    ngx_http_bigupload_ietf_done,
    ngx_http_bigupload_ietf_failure,
};


/* the front-end's state about a request (ctx->fe_ctx) */
struct ngx_http_bigupload_ietf_t {
    ietf::Request           req;
    std::string             prefix;    /* the location's, "/upload/" */
    std::string             url;       /* the upload resource's path */
    bigupload::Target       store;     /* its store (a resource's requests) */
    bigupload::PartialInfo  info;      /* what a HEAD found */
};


static ngx_http_bigupload_ietf_t *
ngx_http_bigupload_ietf_state(ngx_http_bigupload_ctx_t *ctx)
{
    return ctx->fe == &ngx_http_bigupload_ietf
           ? (ngx_http_bigupload_ietf_t *) ctx->fe_ctx.get() : nullptr;
}


/* the draft's requests all carry their interop version */

static ngx_int_t
ngx_http_bigupload_ietf_detect(ngx_http_request_t *r)
{
    static const ngx_str_t  name = ngx_string("Upload-Draft-Interop-Version");

    ngx_uint_t        i;
    ngx_list_part_t  *part = &r->headers_in.headers.part;
    ngx_table_elt_t  *h = (ngx_table_elt_t *) part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == nullptr) {
                return 0;
            }

            part = part->next;
            h = (ngx_table_elt_t *) part->elts;
            i = 0;
        }

        if (h[i].key.len == name.len
            && ngx_strncasecmp(h[i].key.data, name.data, name.len) == 0)
        {
            return 1;
        }
    }
}


/* upload resources live below a prefix location, so that they reach it */

static bool
ngx_http_bigupload_ietf_prefix(ngx_http_request_t *r, std::string &prefix)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = (ngx_http_core_loc_conf_t *) ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->named || clcf->noname || clcf->exact_match
#if (NGX_PCRE)
        || clcf->regex
#endif
       )
    {
        return false;
    }

    prefix.assign((const char *) clcf->name.data, clcf->name.len);

    return true;
}


/* Upload-Limit: bigupload_max_size, bigupload_max_append_size, and what is
 * left of bigupload_expire */

static ietf::Limits
ngx_http_bigupload_ietf_limits(ngx_http_bigupload_ctx_t *ctx, std::int64_t lifetime)
{
    ietf::Limits  l;

    if (ctx->conf->max_size) {
        l.max_size = (std::uint64_t) ctx->conf->max_size;
    }

    if (ctx->conf->max_append_size) {
        l.max_append_size = (std::uint64_t) ctx->conf->max_append_size;
    }

    l.lifetime = (std::uint64_t) (lifetime > 0 ? lifetime : 0);

    return l;
}


static void
ngx_http_bigupload_ietf_add(std::vector<bigupload::HeaderField> &to, const ietf::Headers &h)
{
    for (const auto &kv : h) {
        to.emplace_back(kv.first, kv.second);
    }
}


static ngx_int_t
ngx_http_bigupload_ietf_handler(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::ErrorArgs     a;
    bigupload::HttpRequest   hr;
    ietf::RequestRefusal     why;

    auto st = std::make_shared<ngx_http_bigupload_ietf_t>();
    ctx->fe_ctx = st;

    ngx_http_bigupload_http_request(r, hr);

    std::string  uri((const char *) r->uri.data, r->uri.len);
    bool         prefixed = ngx_http_bigupload_ietf_prefix(r, st->prefix);
    std::string  id = prefixed ? ietf::resource_id(uri, st->prefix) : std::string();

    bool parsed = ietf::parse_request(hr, !id.empty(), st->req, why);

    ctx->kind = st->req.op == ietf::Op::query ? ngx_http_bigupload_kind_query
                : st->req.op == ietf::Op::cancel ? ngx_http_bigupload_kind_cancel
                : st->req.op == ietf::Op::options ? ngx_http_bigupload_kind_none
                : ngx_http_bigupload_kind_upload;

    a.path = uri;
    a.method = hr.method;
    a.header = why.header;
    a.value = why.value;
    a.detail = why.detail;
    a.message = why.detail;

    if (!parsed) {
        if (why.error == bigupload::Error::ietf_method) {
            ctx->answer.headers.emplace_back("Allow", id.empty() ? ietf::target_methods
                                                                 : ietf::resource_methods);
        }
        return ngx_http_bigupload_refuse(r, ctx, why.error, a);
    }

    if (st->req.op == ietf::Op::options) {
        return ngx_http_bigupload_ietf_options(r, ctx);
    }

    if (st->req.op == ietf::Op::create) {
        if (!prefixed) {
            return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::ietf_no_prefix, a);
        }
        return ngx_http_bigupload_ietf_create(r, ctx);
    }

    /* a request to an upload resource: its partial, in the store of this
     * location; older requests in flight for it are ended first */

    st->url = ietf::resource_path(st->prefix, id);
    ctx->partial_id = id;
    ctx->remote_path = st->url;

    bigupload::Error  e = ngx_http_bigupload_store_of(r, ctx, st->store);
    if (e != bigupload::Error::none) {
        return ngx_http_bigupload_refuse(r, ctx, e, a);
    }

    return ngx_http_bigupload_end_stale(r, ctx, ngx_http_bigupload_ietf_resource);
}


/* OPTIONS: the limits, and that appends are welcome */

static ngx_int_t
ngx_http_bigupload_ietf_options(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    auto                         *st = ngx_http_bigupload_ietf_state(ctx);
    const ietf::VersionTraits    &t = *st->req.traits;
    ngx_http_bigupload_answer_t   a;

    if (t.options_limit) {
        auto l = ietf::format_limit(t, ngx_http_bigupload_ietf_limits(ctx, ctx->conf->expire));
        if (l) {
            a.headers.emplace_back("Upload-Limit", *l);
        }
    }

    if (t.options_accept_patch) {
        a.headers.emplace_back("Accept-Patch", "application/partial-upload");
    }

    a.headers.emplace_back("Upload-Draft-Interop-Version", std::to_string(t.interop));
    a.status = NGX_HTTP_NO_CONTENT;

    ctx->phase = ngx_http_bigupload_phase_done;

    ngx_int_t rc = ngx_http_bigupload_refuse_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_bigupload_send(r, a);
}


/*
 * A creation: the target from the URI (a Content-Disposition filename in
 * the directory a URI ending with "/" names), a partial of a new id, and
 * the 104 that announces it, sent once it exists.
 */

static ngx_int_t
ngx_http_bigupload_ietf_create(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    auto                       *st = ngx_http_bigupload_ietf_state(ctx);
    const ietf::Request        &rq = st->req;
    const ietf::VersionTraits  &t = *rq.traits;
    bigupload::Target           target;
    bigupload::ErrorArgs        a;

    std::string  uri((const char *) r->uri.data, r->uri.len);
    bool         dir = !uri.empty() && uri.back() == '/';

    a.path = uri;

    if (dir && !rq.has_filename) {
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::ietf_no_filename, a);
    }

    if (dir && !ietf::valid_filename(rq.filename)) {
        a.value = rq.filename;
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::ietf_bad_filename, a);
    }

    bigupload::ErrorArgs  pa;
    bigupload::Error      e = ngx_http_bigupload_target(r, ctx, target, pa, false,
                                                       dir ? rq.filename : std::string());
    if (e != bigupload::Error::none) {
        pa.path = ctx->remote_path.empty() ? uri : ctx->remote_path;
        return ngx_http_bigupload_refuse(r, ctx, e, pa);
    }

    a.path = ctx->remote_path;

    off_t  max = ctx->conf->max_size;

    if (max && rq.length && *rq.length > (std::uint64_t) max) {
        a.bytes = (std::int64_t) *rq.length;
        a.limit = max;
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::too_large, a);
    }

    std::string  id = bigupload::PartialStore::new_id();

    st->url = ietf::resource_path(st->prefix, id);
    ctx->partial_id = id;

    /* the 104, where the version has one (never for an unknown version:
     * such a request was refused) */
    if (t.interim_creation != ietf::Need::none) {
        ietf::Limits  l = ngx_http_bigupload_ietf_limits(ctx, ctx->conf->expire);
        auto          h = ietf::interim_creation_headers(t, st->url, &l);

        if (h) {
            ctx->interim_status = 104;
            ctx->interim_reason = "Upload Resumption Supported";
            ngx_http_bigupload_ietf_add(ctx->interim_headers, *h);
        }
    }

    bigupload::UploadRequest  u;

    u.start = 0;
    u.end = rq.content_length;
    u.total = rq.length;
    u.completes = rq.complete;
    u.append = true;
    u.checks = rq.content_digests;
    u.expect = rq.repr_digests;
    u.repr_want = rq.want_repr;

    /* the target's URL, for the Location of the answer that completes it */
    std::string  target_url = dir ? uri + rq.filename : uri;

    bigupload::Creation  c;

    c.protocol = "ietf";
    c.metadata = target_url;
    c.repr_want = rq.want_repr;

    ngx_http_bigupload_register_store(ctx->conf, target.root);

    st->store.root = target.root;
    st->store.opt = target.opt;

    std::string  root = target.root;
    auto         opt = target.opt;

    return ngx_http_bigupload_upload(r, ctx,
               std::make_unique<bigupload::ResumableUpload>(
                   bigupload::PartialStore(root, opt), id, std::string(), std::move(target),
                   u, bigupload::Bind::create, c),
               rq.length ? (off_t) *rq.length : -1);
}


/* HEAD, PATCH or DELETE of an upload resource, once no older request for it
 * is in flight */

static ngx_int_t
ngx_http_bigupload_ietf_resource(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    auto                  *st = ngx_http_bigupload_ietf_state(ctx);
    const ietf::Request   &rq = st->req;
    std::string            id = ctx->partial_id;
    bigupload::ErrorArgs   a;

    a.path = st->url;

    ngx_http_bigupload_register_store(ctx->conf, st->store.root);

    auto store = std::make_shared<bigupload::PartialStore>(st->store.root, st->store.opt);

    if (rq.op == ietf::Op::query) {
        auto  *info = &st->info;

        return ngx_http_bigupload_call(r, ctx,
            [store, id, info](std::int64_t, bigupload::FsError &fe) {
                return bigupload::query_partial(*store, id, std::string(),
                                                bigupload::Target(), *info, fe);
            });
    }

    if (rq.op == ietf::Op::cancel) {
        return ngx_http_bigupload_call(r, ctx,
            [store, id](std::int64_t, bigupload::FsError &fe) {
                return store->cancel(id, std::string(), fe);
            });
    }

    /* an append */

    std::uint64_t  cl = rq.content_length ? *rq.content_length : 0;
    off_t          max = ctx->conf->max_size;

    if (ctx->conf->max_append_size && cl > (std::uint64_t) ctx->conf->max_append_size) {
        a.bytes = (std::int64_t) cl;
        a.limit = ctx->conf->max_append_size;
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::ietf_append_too_large, a);
    }

    if (max && (rq.offset + cl > (std::uint64_t) max
                || (rq.length && *rq.length > (std::uint64_t) max)))
    {
        a.bytes = (std::int64_t) (rq.length ? *rq.length : rq.offset + cl);
        a.limit = max;
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::too_large, a);
    }

    bigupload::UploadRequest  u;

    u.start = rq.offset;
    if (rq.content_length) {
        u.end = rq.offset + *rq.content_length;
    }
    u.total = rq.length;
    u.completes = rq.complete;
    u.append = true;
    u.checks = rq.content_digests;
    u.repr_want = rq.want_repr;

    return ngx_http_bigupload_upload(r, ctx,
               std::make_unique<bigupload::ResumableUpload>(
                   bigupload::PartialStore(st->store.root, st->store.opt), id, std::string(),
                   st->store, u, bigupload::Bind::join),
               rq.length ? (off_t) *rq.length : -1);
}


/* an engine operation is done: the answer */

static void
ngx_http_bigupload_ietf_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    auto                       *st = ngx_http_bigupload_ietf_state(ctx);
    const ietf::VersionTraits  &t = *st->req.traits;
    bigupload::ErrorArgs        a;

    if (ctx->op == ngx_http_bigupload_op_finish) {
        ngx_http_bigupload_ietf_finished(r, ctx);
        return;
    }

    a.path = st->url;

    /* an upload resource is the draft's only: a partial of another dialect
     * (a key of its own) is none */
    if (ctx->outcome == bigupload::Outcome::not_found
        || ctx->outcome == bigupload::Outcome::key_mismatch
        || (ctx->kind == ngx_http_bigupload_kind_query && ctx->outcome == bigupload::Outcome::ok
            && !st->info.state.key.empty()))
    {
        ngx_http_bigupload_fail(r, ctx, bigupload::Error::ietf_not_found, a);
        return;
    }

    if (ctx->outcome != bigupload::Outcome::ok) {
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    if (ctx->kind == ngx_http_bigupload_kind_cancel) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: cancelled the upload resource \"%s\"", st->url.c_str());
        ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(), {});
        return;
    }

    /* HEAD */

    const bigupload::UploadState  &s = st->info.state;
    ietf::UploadState              us;

    us.offset = s.received.contiguous();
    us.complete = s.complete();
    us.length = s.length;

    ietf::Limits  l = ngx_http_bigupload_ietf_limits(ctx,
                          s.updated + ctx->conf->expire - (std::int64_t) ngx_time());
    auto          ans = ietf::head_answer(t, us, &l);

    if (!ans) {
        ngx_http_bigupload_internal_error(r, ctx, "an offset too large for a header");
        return;
    }

    std::vector<bigupload::HeaderField>  h;

    ngx_http_bigupload_ietf_add(h, ans->headers);
    ngx_http_bigupload_set_answer(ctx, ans->status, std::string(), std::move(h));
}


/* Repr-Digest: the file's digest (bigupload_digest), and those the upload
 * declared or asked for besides */

static std::string
ngx_http_bigupload_ietf_repr(bigupload::ResumableUpload *p)
{
    const bigupload::FileDigest  &fd = p->digest();
    std::string                   v = bigupload::repr_digest(fd);

    for (const auto &d : p->repr_digests()) {
        if (fd.alg == d.first) {
            continue;
        }

        std::string  m = bigupload::digest_field_value(d.first, d.second);

        if (!m.empty()) {
            v += v.empty() ? m : ", " + m;
        }
    }

    return v;
}


static void
ngx_http_bigupload_ietf_finished(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    auto                                 *st = ngx_http_bigupload_ietf_state(ctx);
    const ietf::VersionTraits            &t = *st->req.traits;
    auto                                 *p = static_cast<bigupload::ResumableUpload *>(
                                                  ctx->upload.get());
    bool                                  creation = st->req.op == ietf::Op::create;
    std::vector<bigupload::HeaderField>   h;
    std::optional<ietf::Headers>          done;
    std::optional<ietf::Answer>           ans;
    std::uint64_t                         offset = p->state().received.contiguous();

    switch (ctx->outcome) {

    case bigupload::Outcome::created:
    case bigupload::Outcome::replaced:
    {
        const bigupload::FileDigest  &fd = p->digest();
        std::string                   rd = ngx_http_bigupload_ietf_repr(p);

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: stored \"%s\" (%uL bytes, %s %s)",
                      p->target_path().c_str(), (uint64_t) p->size(),
                      fd.alg ? bigupload::digest_name(*fd.alg) : "no digest", fd.hex().c_str());

        done = ietf::completion_headers(t, p->size());
        if (!done) {
            break;
        }

        /* what a plain PUT of the file gets, with the draft's fields; the
         * Location of versions 3-6 names the upload resource */
        if (creation && t.completion_location_is_upload) {
            h.emplace_back("Location", st->url);

        } else if (ctx->outcome == bigupload::Outcome::created) {
            h.emplace_back("Location", bigupload::percent_encode_path(p->state().metadata));
        }

        if (!rd.empty()) {
            h.emplace_back("Repr-Digest", rd);
        }
        ngx_http_bigupload_ietf_add(h, *done);

        ngx_http_bigupload_set_answer(ctx,
            ctx->outcome == bigupload::Outcome::created ? NGX_HTTP_CREATED : NGX_HTTP_OK,
            bigupload::stored_json(p->remote_path(), p->size(), fd), std::move(h));
        return;
    }

    case bigupload::Outcome::completed_elsewhere:
        done = ietf::completion_headers(t, *p->state().length);
        if (!done) {
            break;
        }

        ngx_http_bigupload_ietf_add(h, *done);
        ngx_http_bigupload_set_answer(ctx, NGX_HTTP_NO_CONTENT, std::string(), std::move(h));
        return;

    case bigupload::Outcome::incomplete:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: received %uL bytes at %uL of \"%s\" (%s), holding %uL",
                      (uint64_t) p->written(), (uint64_t) p->offset(),
                      p->remote_path().c_str(), st->url.c_str(), (uint64_t) offset);

        if (creation) {
            ietf::Limits  l = ngx_http_bigupload_ietf_limits(ctx, ctx->conf->expire);
            ans = ietf::creation_incomplete_answer(t, st->url, offset, &l);

        } else {
            ans = ietf::append_incomplete_answer(t, offset);
        }

        if (!ans) {
            break;
        }

        ngx_http_bigupload_ietf_add(h, ans->headers);
        ngx_http_bigupload_set_answer(ctx, ans->status, std::string(), std::move(h));
        return;

    default:
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    ngx_http_bigupload_internal_error(r, ctx, "an offset too large for a header");
}


/*
 * A failure's answer in the version's terms: the problem types (RFC 9457)
 * for a wrong offset and inconsistent lengths, the correct Upload-Offset,
 * Upload-Limit with a 413.  An upload that went past its length is no more
 * where the version says so.
 */

static void
ngx_http_bigupload_ietf_failure(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx,
    ngx_http_bigupload_answer_t &a)
{
    auto  *st = ngx_http_bigupload_ietf_state(ctx);

    if (st == nullptr || st->req.traits == nullptr) {
        return;
    }

    const ietf::VersionTraits     &t = *st->req.traits;
    ietf::UploadState              us;
    bool                           known = false;
    bool                           invalidate = false;
    std::optional<ietf::Refusal>   refusal;

    if (ctx->upload && ctx->upload->resumable()) {
        auto  *p = static_cast<bigupload::ResumableUpload *>(ctx->upload.get());

        known = p->state().created != 0;
        us.offset = p->state().received.contiguous();
        us.length = p->state().length;
    }

    switch (ctx->error) {

    case bigupload::Error::offset_mismatch:
        if (known) {
            refusal = ietf::Refusal::mismatching_offset;
        }
        break;

    case bigupload::Error::length_mismatch:
    case bigupload::Error::upload_length_mismatch:
    case bigupload::Error::ietf_inconsistent_length:
        refusal = ietf::Refusal::inconsistent_length;
        break;

    case bigupload::Error::beyond_length:
        refusal = ietf::Refusal::length_exceeded;
        invalidate = t.exceeding_length_invalidates && known;
        break;

    case bigupload::Error::too_large:
    case bigupload::Error::too_large_body:
    case bigupload::Error::ietf_append_too_large:
        if (auto l = ietf::format_limit(t, ngx_http_bigupload_ietf_limits(ctx,
                                                                          ctx->conf->expire)))
        {
            a.headers.emplace_back("Upload-Limit", *l);
        }
        break;

    default:
        break;
    }

    if (refusal) {
        auto ans = ietf::refusal_answer(t, *refusal, us);

        if (ans) {
            a.status = ans->status;
            ngx_http_bigupload_ietf_add(a.headers, ans->headers);

            if (ans->problem) {
                bool mismatch = *refusal == ietf::Refusal::mismatching_offset;

                a.body = ietf::problem_json(*ans->problem, ans->status, ctx->error_message,
                             mismatch ? std::optional<std::uint64_t>(us.offset) : std::nullopt,
                             mismatch ? std::optional<std::uint64_t>(st->req.offset)
                                      : std::nullopt);
                a.content_type = std::string(ietf::problem_content_type);
            }
        }

    } else if (st->req.op == ietf::Op::append && known) {
        /* a failed append: the offset and completeness as the version wants */
        if (t.answers_carry_offset) {
            a.headers.emplace_back("Upload-Offset", std::to_string(us.offset));
        }

        if (t.failure_says_incomplete) {
            a.headers.emplace_back(t.complete_field, ietf::format_complete(t, false));
        }
    }

    if (invalidate) {
        std::string  id = ctx->partial_id;
        std::string  root = st->store.root;
        auto         opt = st->store.opt;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: the upload resource \"%s\" went past its length: removed",
                      st->url.c_str());

        (void) ngx_http_bigupload_detach(ctx->conf->thread_pool, r->connection->log,
                                         [root, opt, id] {
                                             bigupload::PartialStore  store(root, opt);
                                             bigupload::FsError       fe;
                                             (void) store.cancel(id, std::string(), fe);
                                         });
    }
}
