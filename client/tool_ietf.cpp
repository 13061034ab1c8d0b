#include "tool_ietf.hpp"

#include <curl/curl.h>

#include "proto/ietf.hpp"
#include "tool_digest.hpp"
#include "tool_easy.hpp"
#include "tool_exit.hpp"
#include "tool_filehash.hpp"
#include "tool_resume.hpp"
#include "tool_transfer.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

namespace ietf = bigupload::ietf;

// One request of the upload and what the draft's fields of its answer say.
struct Leg {
    AttemptResult r;
    std::string upload_offset;
    std::string upload_limit;
    bool complete = false;          // the answer's completeness field says so
    std::string resume_location;    // the 104's Location
    std::string resume_limit;       // the 104's Upload-Limit
    std::uint64_t body_sent = 0;
};

bool transport_failed(const AttemptResult &r)
{
    return r.interrupted || r.curl_code != 0 || r.status == 0;
}

bool success(long status)
{
    return status >= 200 && status < 300;
}

// method on url: "HEAD" without a body, "PUT" or "PATCH" with [from, to) of
// the file (or all of it, read in order and hashed, for "stream").
Leg exchange(const Config &cfg, Source &src, const std::string &method, const std::string &url,
             const std::vector<std::string> &headers, BodyKind body, std::uint64_t from,
             std::uint64_t to, ProgressMeter &meter, long timeout_ms, std::uint64_t base)
{
    Leg leg;
    std::vector<int> sockets;
    Exchange x;
    x.cfg = &cfg;
    x.meter = &meter;
    x.sockets = &sockets;
    x.body = body;
    x.src = &src;
    x.from = from;
    x.to = to;
    x.pos = from;

    EasyPtr easy(curl_easy_init());
    MultiPtr multi(curl_multi_init());
    if (!easy || !multi) {
        leg.r.curl_code = CURLE_OUT_OF_MEMORY;
        leg.r.curl_error = "cannot initialise libcurl";
        return leg;
    }

    for (const auto &h : headers) {
        x.add_header(h);
    }

    CURL *e = easy.get();
    setup_exchange(e, x, body == BodyKind::none ? method : "PUT", url, timeout_ms,
                   cfg.limit_rate);
    if (body != BodyKind::none && method != "PUT") {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    if (cfg.verbose) {
        meter.message("* bgclient: " + method + " " + redact_url(url)
                      + (body == BodyKind::none ? std::string()
                         : body == BodyKind::range
                             ? ", bytes " + std::to_string(from) + "-" + std::to_string(to)
                             : ", the whole file"));
    }

    curl_multi_add_handle(multi.get(), e);

    const double t0 = now_seconds();
    int code = run_transfer(multi.get(), e, x, [&] {
        double now = now_seconds();
        if (body != BodyKind::none && meter.due(now)) {
            curl_off_t written = 0;
            curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &written);
            bool queue_empty = false;
            std::uint64_t w = written > 0 ? static_cast<std::uint64_t>(written) : 0;
            std::uint64_t taken = server_taken(w, sockets, x.body_read(), &queue_empty);
            meter.update(now, base + taken, queue_empty && w >= x.body_read() && w > 0);
        }
    });

    finish_exchange(e, x, code, timeout_ms, now_seconds() - t0);
    curl_multi_remove_handle(multi.get(), e);

    leg.body_sent = body == BodyKind::none ? 0 : x.body_read();
    leg.r = x.res;
    leg.r.sent = leg.body_sent;
    leg.upload_offset = x.upload_offset;
    leg.upload_limit = x.upload_limit;
    leg.resume_location = x.resume_location;
    leg.resume_limit = x.resume_limit;

    const ietf::VersionTraits *t = ietf::traits_for(cfg.ietf_version);
    const std::string &field = t->complete_inverted ? x.upload_incomplete : x.upload_complete;
    bool complete = false;
    leg.complete = !field.empty() && ietf::parse_complete(*t, field, complete).ok() && complete;
    return leg;
}

std::optional<std::uint64_t> offset_of(const Leg &l)
{
    std::uint64_t v = 0;
    if (l.upload_offset.empty() || !ietf::parse_offset(l.upload_offset, v).ok()) {
        return std::nullopt;
    }
    return v;
}

IetfResult fatal(int code, const std::string &message)
{
    IetfResult res;
    res.fatal = true;
    res.fatal_code = code;
    res.fatal_message = message;
    return res;
}

// The whole file's digest (--digest) once the server holds it all: read again at full
// speed (the bytes went out in pieces, from several attempts).
bool hash_whole(const Config &cfg, Source &src, IetfResult &res)
{
    std::uint64_t size = static_cast<std::uint64_t>(src.size());
    FileHasher h(src.fd(), 0, size, src.name(), cfg.digest);
    bigupload::RangeSet all;
    all.add(0, size);
    h.set_held(all);
    std::string error;
    res.local_digest = h.wait_hex(error);
    if (!error.empty()) {
        res = fatal(exit_local_file, error);
        return false;
    }
    return true;
}

// A request that may complete the upload asks for the stored file's digest
// in --digest's algorithm (Want-Repr-Digest), so that any server of RFC 9530
// answers with the value bgclient checks, whatever digest it keeps itself.
void want_digest(const Config &cfg, std::vector<std::string> &h)
{
    std::string w = want_repr_digest_header(cfg.digest);
    if (!w.empty()) {
        h.push_back(w);
    }
}

// The optimistic creation: all of the file in one request.
IetfResult create(const Config &cfg, Source &src, IetfSession &s, ProgressMeter &meter,
                  long timeout_ms, unsigned attempt)
{
    IetfResult res;
    std::uint64_t size = static_cast<std::uint64_t>(src.size());

    if (attempt > 1 && !src.rewind()) {
        return fatal(exit_local_file, src.error());
    }

    std::vector<std::string> h = ietf_request_headers(cfg.ietf_version, false, 0, true, size);
    if (!cfg.overwrite) {
        h.push_back("If-None-Match: *");
    }
    want_digest(cfg, h);

    Leg l = exchange(cfg, src, "PUT", cfg.target_url, h, BodyKind::stream, 0, 0, meter,
                     timeout_ms, 0);

    if (!l.resume_location.empty()) {
        s.resource = ietf_resolve(cfg.target_url, l.resume_location);
        ietf_take_limits(cfg.ietf_version, l.resume_limit, s);
        if (cfg.verbose) {
            meter.message("* bgclient: the upload resource is " + redact_url(s.resource));
        }
    }

    res.r = l.r;
    res.sent = static_cast<std::int64_t>(l.body_sent);
    res.done = l.body_sent;
    if (!transport_failed(l.r) && success(l.r.status) && src.bytes_read() == size) {
        res.local_digest = src.digest_hex();   // hashed as it was sent
    }
    return res;
}

}  // namespace

std::string ietf_resolve(const std::string &base, const std::string &location)
{
    CURLU *u = curl_url();
    if (u == nullptr) {
        return std::string();
    }
    std::string out;
    char *full = nullptr;
    if (curl_url_set(u, CURLUPART_URL, base.c_str(), 0) == CURLUE_OK
        && curl_url_set(u, CURLUPART_URL, location.c_str(), 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
    {
        out = full;
    }
    curl_free(full);
    curl_url_cleanup(u);
    return out;
}

std::vector<std::string> ietf_request_headers(int version, bool append, std::uint64_t offset,
                                              bool complete, std::uint64_t length)
{
    const ietf::VersionTraits *t = ietf::traits_for(version);
    std::vector<std::string> h;

    h.push_back("Upload-Draft-Interop-Version: " + std::to_string(version));
    h.push_back(std::string(t->complete_field) + ": " + ietf::format_complete(*t, complete));
    if (t->upload_length) {
        h.push_back("Upload-Length: " + std::to_string(length));
    }
    if (append) {
        h.push_back("Upload-Offset: " + std::to_string(offset));
        if (t->patch_media_type) {
            h.push_back("Content-Type: application/partial-upload");
        }
    }
    return h;
}

std::uint64_t ietf_piece(std::uint64_t left, std::uint64_t chunk_size,
                         std::optional<std::uint64_t> max_append)
{
    std::uint64_t n = left;
    if (chunk_size > 0 && n > chunk_size) {
        n = chunk_size;
    }
    if (max_append && *max_append > 0 && n > *max_append) {
        n = *max_append;
    }
    return n;
}

void ietf_take_limits(int version, const std::string &value, IetfSession &s)
{
    const ietf::VersionTraits *t = ietf::traits_for(version);
    ietf::Limits l;
    if (value.empty() || !t->upload_limit || !ietf::parse_limit(*t, value, l).ok()) {
        return;
    }
    if (l.max_append_size) {
        s.max_append = l.max_append_size;
    }
    if (l.max_size) {
        s.max_size = l.max_size;
    }
}

IetfResult ietf_attempt(const Config &cfg, Source &src, IetfSession &s, ProgressMeter &meter,
                        long timeout_ms, unsigned attempt)
{
    const std::uint64_t size = static_cast<std::uint64_t>(src.size());
    const double t0 = now_seconds();

    meter.start(src.size(), t0);

    if (s.resource.empty()) {
        return create(cfg, src, s, meter, timeout_ms, attempt);
    }

    // the upload resource is known: where did it get to?
    std::vector<std::string> vh{"Upload-Draft-Interop-Version: "
                                + std::to_string(cfg.ietf_version)};
    Leg head = exchange(cfg, src, "HEAD", s.resource, vh, BodyKind::none, 0, 0, meter,
                        timeout_ms, 0);

    IetfResult res;
    res.r = head.r;
    if (transport_failed(head.r)) {
        return res;
    }
    if (head.r.status == 404 || head.r.status == 410) {
        // expired, or cancelled: nothing to resume
        if (!cfg.quiet) {
            meter.message("bgclient: the upload resource " + redact_url(s.resource)
                          + " is gone (HTTP " + std::to_string(head.r.status)
                          + "): starting over");
        }
        s = IetfSession();
        return create(cfg, src, s, meter, timeout_ms, attempt);
    }
    if (!success(head.r.status)) {
        return res;
    }

    std::optional<std::uint64_t> at = offset_of(head);
    if (!at || *at > size) {
        return fatal(exit_refused, "unexpected answer from the server to HEAD "
                                       + redact_url(s.resource) + ": Upload-Offset '"
                                       + head.upload_offset + "' for a file of "
                                       + std::to_string(size) + " bytes");
    }
    if (head.complete) {
        return fatal(exit_refused, "the upload at " + redact_url(s.resource)
                                       + " is complete but its answer was lost: see what"
                                         " the server holds with bgclient --status");
    }
    ietf_take_limits(cfg.ietf_version, head.upload_limit, s);

    std::uint64_t off = *at;
    res.resumed_at = static_cast<std::int64_t>(off);
    if (!cfg.quiet) {
        meter.message("bgclient: " + resume_message(off, size));
    }

    unsigned conflicts = 0;
    for (;;) {
        std::uint64_t piece = ietf_piece(size - off, cfg.chunk_size, s.max_append);
        bool last = off + piece == size;
        std::vector<std::string> h = ietf_request_headers(cfg.ietf_version, true, off, last, size);
        if (last) {
            want_digest(cfg, h);
        }
        Leg l = exchange(cfg, src, "PATCH", s.resource, h, BodyKind::range, off, off + piece,
                         meter, timeout_ms, off);
        res.r = l.r;
        res.sent += static_cast<std::int64_t>(l.body_sent);
        res.done = off + l.body_sent;
        ietf_take_limits(cfg.ietf_version, l.upload_limit, s);

        if (transport_failed(l.r)) {
            return res;
        }

        if (l.r.status == 409 && offset_of(l) && conflicts++ < 3) {
            // the server holds another offset than we thought: go on from it
            off = *offset_of(l);
            continue;
        }

        if (!success(l.r.status)) {
            return res;
        }

        if (last) {
            res.done = size;
            hash_whole(cfg, src, res);
            return res;
        }

        std::optional<std::uint64_t> next = offset_of(l);
        off = next ? *next : off + piece;
        if (off > size) {
            return fatal(exit_refused, "the server says it holds " + std::to_string(off)
                                           + " bytes of a file of " + std::to_string(size));
        }
    }
}

}  // namespace bgclient
