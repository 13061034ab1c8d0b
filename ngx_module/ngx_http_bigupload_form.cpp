/*
 * HTML forms, a front-end: a POST of multipart/form-data (RFC 7578) to a
 * directory of the store, "POST <location><dir>/".  Each file part becomes a
 * file of that directory, named by its filename, through the engine's one
 * pipeline: the body streams through the ring to the write lane, where the
 * core's FormUpload parses it and feeds each part's data to a plain upload of
 * its own (temp file, sha256, atomic rename).  All or nothing per request:
 * the files are renamed into place only once the whole envelope is valid.
 * The other fields are kept (bigupload_form_fields bytes at most) and go,
 * with every stored file, to bigupload_pass as the JSON notice; without it
 * the answer is the JSON list of the stored files.
 */

#include "ngx_http_bigupload.h"

#include "proto/form.hpp"
#include "proto/form_upload.hpp"
#include "report/response.hpp"


static ngx_int_t ngx_http_bigupload_form_detect(ngx_http_request_t *r);
static ngx_int_t ngx_http_bigupload_form_handler(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_form_done(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);
static void ngx_http_bigupload_form_refused(ngx_http_request_t *r,
    ngx_http_bigupload_ctx_t *ctx);


const ngx_http_bigupload_frontend_t  ngx_http_bigupload_form = {
    "form",
    NGX_HTTP_BIGUPLOAD_FORM,
    ngx_http_bigupload_form_detect,
    ngx_http_bigupload_form_handler,
    ngx_http_bigupload_form_done,
};


static std::string_view
ngx_http_bigupload_form_type(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h = r->headers_in.content_type;

    return h ? std::string_view((const char *) h->value.data, h->value.len)
             : std::string_view();
}


/* a form's body, whatever the method (a PUT of one is refused here) */

static ngx_int_t
ngx_http_bigupload_form_detect(ngx_http_request_t *r)
{
    return bigupload::is_form_content_type(ngx_http_bigupload_form_type(r));
}


static ngx_int_t
ngx_http_bigupload_form_handler(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    bigupload::Error      e;
    bigupload::Target     dir;
    bigupload::ErrorArgs  a;
    std::string           boundary;
    std::string           method((const char *) r->method_name.data, r->method_name.len);
    off_t                 max = ctx->conf->form_max_size;

    ctx->kind = ngx_http_bigupload_kind_upload;

    a.method = method;
    a.path = std::string_view((const char *) r->uri.data, r->uri.len);

    if (r->method != NGX_HTTP_POST) {
        ctx->kind = ngx_http_bigupload_kind_none;
        ctx->answer.headers.emplace_back("Allow", "POST");
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::form_method_not_allowed,
                                         a);
    }

    bigupload::ErrorArgs  pa;

    e = ngx_http_bigupload_target(r, ctx, dir, pa, true);
    if (e != bigupload::Error::none) {
        pa.path = ctx->remote_path.empty() ? a.path : std::string_view(ctx->remote_path);
        return ngx_http_bigupload_refuse(r, ctx, e, pa);
    }

    a.path = ctx->remote_path;

    bigupload::FormError  fe = bigupload::parse_form_content_type(
                                   ngx_http_bigupload_form_type(r), boundary);

    if (fe != bigupload::FormError::ok) {
        std::string  message = std::string(bigupload::error_info(bigupload::Error::bad_form)
                                               .message)
                               + ": " + bigupload::form_error_message(fe);

        a.value = bigupload::form_error_code(fe);
        a.detail = bigupload::form_error_message(fe);
        a.message = message;
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::bad_form, a);
    }

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked
#if (NGX_HTTP_V2)
        && r->stream == nullptr
#endif
       )
    {
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::length_required, a);
    }

    if (max && r->headers_in.content_length_n > max) {
        a.limit = max;
        return ngx_http_bigupload_refuse(r, ctx, bigupload::Error::form_too_large, a);
    }

    bigupload::FormUploadLimits  limits;

    limits.max_file = (std::uint64_t) ctx->conf->max_size;
    limits.max_body = (std::uint64_t) max;
    limits.max_files = ctx->conf->form_max_files;
    limits.max_fields = ctx->conf->form_fields;

    /* the form limits its body itself, bigupload_max_size is per file */
    ctx->max_body = 0;
    ctx->refused = ngx_http_bigupload_form_refused;

    return ngx_http_bigupload_upload(r, ctx,
               std::make_unique<bigupload::FormUpload>(std::move(dir), std::move(boundary),
                                                       limits),
               r->headers_in.content_length_n);
}


/* the form came to its end: its files are in place, or it failed */

static void
ngx_http_bigupload_form_done(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    auto  *u = static_cast<bigupload::FormUpload *>(ctx->upload.get());

    if (ctx->outcome == bigupload::Outcome::refused) {
        ngx_http_bigupload_form_refused(r, ctx);
        return;
    }

    if (ctx->outcome != bigupload::Outcome::created
        && ctx->outcome != bigupload::Outcome::replaced)
    {
        ngx_http_bigupload_fail_outcome(r, ctx);
        return;
    }

    std::vector<bigupload::FormFileReport>               files;
    std::vector<std::pair<std::string, std::string>>     fields;

    for (const bigupload::FormFile &f : u->files()) {
        bigupload::FormFileReport  fr;

        fr.field = f.field;
        fr.filename = f.filename;
        fr.content_type = f.content_type;
        fr.path = f.remote_path;
        fr.file = f.upload->target_path();
        fr.size = f.upload->size();
        const bigupload::FileDigest  &d = f.upload->digest();

        fr.digest_alg = d.alg ? bigupload::digest_name(*d.alg) : "";
        fr.digest = d.hex();
        fr.created = f.outcome == bigupload::Outcome::created;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bigupload: stored \"%s\" (%uL bytes, %s %s) from a form",
                      fr.file.c_str(), (uint64_t) fr.size,
                      d.alg ? bigupload::digest_name(*d.alg) : "no digest", fr.digest.c_str());

        files.push_back(std::move(fr));
    }

    for (const bigupload::FormField &f : u->fields()) {
        fields.emplace_back(f.name, f.value);
    }

    ctx->notice = bigupload::form_pass_json(ctx->remote_path, files, fields);

    ngx_http_bigupload_set_answer(ctx,
        ctx->outcome == bigupload::Outcome::created ? NGX_HTTP_CREATED : NGX_HTTP_OK,
        bigupload::form_files_json(files), {});
}


/* the form was refused (a broken envelope, a bad name, a limit): nothing of
 * it is left once the engine's abort has run */

static void
ngx_http_bigupload_form_refused(ngx_http_request_t *r, ngx_http_bigupload_ctx_t *ctx)
{
    auto  *u = static_cast<bigupload::FormUpload *>(ctx->upload.get());

    const bigupload::FormRefusal  &why = u->refusal();
    bigupload::ErrorArgs           a;

    a.path = ctx->remote_path;
    a.value = why.value;
    a.detail = why.detail;
    a.message = why.message;
    a.limit = why.limit;
    a.bytes = (std::int64_t) u->written();

    ngx_http_bigupload_fail(r, ctx, why.error == bigupload::Error::none
                                    ? bigupload::Error::internal : why.error,
                            a);
}
