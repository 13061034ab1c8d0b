#include "tool_tus.hpp"

#include <cstdlib>

#include <curl/curl.h>

#include "base/size.hpp"
#include "tool_easy.hpp"
#include "tool_exit.hpp"
#include "tool_resume.hpp"
#include "tool_signal.hpp"
#include "tool_transfer.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

bool transport_failed(const AttemptResult &r)
{
    return r.interrupted || r.curl_code != 0 || r.status == 0;
}

// A failure the retry loop should retry (HEAD again, continue from there)
// although no transport error happened: a 2xx that does not say what it
// should, an upload the server lost mid-way.
AttemptResult retry_with(const std::string &why, const AttemptResult &from)
{
    AttemptResult r;
    r.curl_code = CURLE_PARTIAL_FILE;
    r.curl_error = why;
    r.elapsed = from.elapsed;
    r.http_version = from.http_version;
    return r;
}

std::string status_of(const AttemptResult &r)
{
    return "HTTP " + std::to_string(r.status);
}

}  // namespace

TusUpload::TusUpload(const Config &cfg, Source &src, const std::string &key)
    : cfg_(cfg),
      src_(src),
      key_(key),
      target_(tus::creation_target(cfg.url, cfg.remote_path)),
      store_(tus::state_dir(std::getenv("XDG_STATE_HOME"), std::getenv("HOME")))
{
}

TusUpload::~TusUpload() = default;

std::vector<std::string> TusUpload::base_headers() const
{
    return {tus::resumable_header};
}

bool TusUpload::discover(ProgressMeter &meter, long timeout_ms, Reply *reply)
{
    if (cfg_.verbose) {
        meter.message("* bgclient: OPTIONS " + redact_url(target_.creation_url) + " (tus discovery)");
    }
    Reply o = send_bodiless(cfg_, "OPTIONS", target_.creation_url, base_headers(), meter, timeout_ms);
    offer_ = tus::parse_offer(transport_failed(o.res) ? 0 : o.res.status,
                              field_value(o.fields, "tus-version"),
                              field_value(o.fields, "tus-extension"),
                              field_value(o.fields, "tus-max-size"),
                              field_value(o.fields, "tus-checksum-algorithm"));
    discovered_ = !transport_failed(o.res);
    if (reply != nullptr) {
        *reply = o;
    }
    return offer_.tus;
}

bool TusUpload::has_state() const
{
    tus::Entry e;
    std::string error;
    return store_.load(target_.creation_url, target_.name, key_, e, error)
           == tus::StateStore::Found::found;
}

TusAttempt TusUpload::failed(const AttemptResult &r, const char *method, const std::string &url)
{
    TusAttempt at;
    at.r = r;
    facts_.method = method;
    facts_.request_url = redact_url(url);
    return at;
}

TusAttempt TusUpload::fatal(int code, const std::string &message)
{
    TusAttempt at;
    at.fatal = true;
    at.fatal_code = code;
    at.fatal_message = message;
    return at;
}

// The offer must let bgclient upload this file: tus 1.0.0, creation, a
// maximum size above the file's.  false with "at" set otherwise.
bool TusUpload::check_offer(TusAttempt &at)
{
    const std::string url = redact_url(target_.creation_url);
    if (!offer_.tus) {
        at = fatal(exit_refused, url + " does not speak tus 1.0.0: OPTIONS answered "
                                     + (offer_.versions.empty() ? std::string("without Tus-Version")
                                                                : "Tus-Version: " + offer_.versions));
        return false;
    }
    if (!offer_.error.empty()) {
        at = fatal(exit_refused, "unexpected answer from the server to OPTIONS " + url + ": "
                                     + offer_.error);
        return false;
    }
    if (!offer_.has("creation")) {
        at = fatal(exit_refused, "the tus server at " + url
                                     + " does not offer the creation extension: bgclient"
                                       " cannot create an upload there");
        return false;
    }
    const std::uint64_t size = static_cast<std::uint64_t>(src_.size());
    if (offer_.max_size && size > *offer_.max_size) {
        at = fatal(exit_refused, "the file (" + std::to_string(size)
                                     + " bytes) is larger than the server's Tus-Max-Size ("
                                     + std::to_string(*offer_.max_size) + " bytes) at " + url);
        return false;
    }
    return true;
}

void TusUpload::save_entry(ProgressMeter &meter)
{
    std::string error;
    if (!store_.save(entry_, error) && !noted_save_error_ && !cfg_.quiet) {
        noted_save_error_ = true;
        meter.message("bgclient: warning: " + error + " (a rerun will not resume this upload)");
    }
}

void TusUpload::forget_entry(ProgressMeter &meter)
{
    std::string error;
    if (!store_.remove(entry_, error) && !cfg_.quiet) {
        meter.message("bgclient: warning: " + error);
    }
    entry_.url.clear();
    entry_.parts.clear();
}

void TusUpload::load_entry(ProgressMeter &meter)
{
    loaded_ = true;
    entry_ = tus::Entry();
    std::string error;
    tus::StateStore::Found f = store_.load(target_.creation_url, target_.name, key_, entry_, error);
    if (f == tus::StateStore::Found::bad && !cfg_.quiet) {
        meter.message("bgclient: warning: ignoring the tus state " + error);
    }
    if (f != tus::StateStore::Found::found) {
        entry_ = tus::Entry();
    }
    entry_.endpoint = target_.creation_url;
    entry_.name = target_.name;
    entry_.key = key_;
    entry_.size = static_cast<std::uint64_t>(src_.size());
    if (f == tus::StateStore::Found::bad) {
        forget_entry(meter);
    }
    if (cfg_.verbose && f == tus::StateStore::Found::found) {
        meter.message("* bgclient: continuing the tus upload kept in " + store_.path_of(entry_));
    }
}

// --restart: terminate what an earlier run created (when the server offers
// termination) and forget it.
void TusUpload::restart(ProgressMeter &meter, double deadline)
{
    std::vector<std::string> urls;
    if (!entry_.url.empty()) {
        urls.push_back(entry_.url);
    }
    for (const tus::Part &p : entry_.parts) {
        if (!p.url.empty()) {
            urls.push_back(p.url);
        }
    }
    for (const std::string &raw : urls) {
        std::string url = tus::resolve_location(target_.creation_url, raw).value_or("");
        if (url.empty()) {
            continue;
        }
        if (offer_.has("termination")) {
            send_bodiless(cfg_, "DELETE", url, base_headers(), meter, timeout_left(deadline));
        }
        if (!cfg_.quiet) {
            meter.message("bgclient: discarded the tus upload at " + redact_url(url));
        }
    }
    forget_entry(meter);
}

// HEAD on an upload: its offset (ok), gone (404, 410, or another length:
// not ours any more), or failed (reply says how).
TusUpload::Probe TusUpload::probe(const std::string &raw_url, std::uint64_t length,
                                  ProgressMeter &meter, double deadline, std::uint64_t &offset,
                                  Reply &reply)
{
    std::string url = tus::resolve_location(target_.creation_url, raw_url).value_or("");
    if (url.empty()) {
        return Probe::gone;
    }
    if (cfg_.verbose) {
        meter.message("* bgclient: HEAD " + redact_url(url));
    }
    reply = send_bodiless(cfg_, "HEAD", url, base_headers(), meter, timeout_left(deadline));
    if (transport_failed(reply.res)) {
        return Probe::failed;
    }
    long st = reply.res.status;
    std::string why;
    if (st == 404 || st == 410) {
        why = "HTTP " + std::to_string(st);
    } else if (st == 200 || st == 204) {
        tus::UploadInfo u = tus::parse_upload_info(field_value(reply.fields, "upload-offset"),
                                                   field_value(reply.fields, "upload-length"));
        if (!u.ok) {
            reply.res = retry_with(u.error + " (HEAD " + redact_url(url) + ")", reply.res);
            return Probe::failed;
        }
        if (u.length && *u.length != length) {
            why = "it is for " + std::to_string(*u.length) + " bytes, not "
                  + std::to_string(length);
        } else {
            offset = u.offset;
            return Probe::ok;
        }
    } else {
        return Probe::failed;
    }
    if (!cfg_.quiet) {
        meter.message("bgclient: the server no longer has the upload at " + redact_url(url) + " ("
                      + why + "): starting a new one");
    }
    return Probe::gone;
}

// A creation POST: true with the upload's Location (as sent), else false
// with the answer in reply.
bool TusUpload::create(const std::vector<std::string> &headers, ProgressMeter &meter,
                       double deadline, std::string &location, Reply &reply)
{
    if (cfg_.verbose) {
        meter.message("* bgclient: POST " + redact_url(target_.creation_url) + " (tus creation)");
    }
    reply = send_bodiless(cfg_, "POST", target_.creation_url, headers, meter, timeout_left(deadline));
    if (transport_failed(reply.res) || reply.res.status != 201) {
        return false;
    }
    location = reply.res.location;
    if (!tus::resolve_location(target_.creation_url, location)) {
        reply.res = retry_with("the server's answer to the creation POST has "
                               + (location.empty() ? std::string("no Location")
                                                   : "a bad Location '" + one_line(location, 200) + "'"),
                               reply.res);
        return false;
    }
    return true;
}

bool TusUpload::build_patch(const bigupload::ByteRange &piece, PieceRequest &req)
{
    std::uint64_t base = 0;
    std::string raw = entry_.url;
    for (const tus::Part &p : entry_.parts) {
        if (piece.start >= p.start && piece.start < p.end) {
            base = p.start;
            raw = p.url;
        }
    }
    req.method = "PATCH";
    req.url = tus::resolve_location(target_.creation_url, raw).value_or("");
    req.headers = base_headers();
    req.headers.push_back(tus::patch_content_type);
    req.headers.push_back("Upload-Offset: " + std::to_string(piece.start - base));
    if (checksum_) {
        // the checksum covers this request's bytes, so they are read (and
        // hashed) once before they are sent
        bigupload::Digest d(*checksum_);
        std::string buf(1024 * 1024, '\0');
        for (std::uint64_t pos = piece.start; pos < piece.end;) {
            std::size_t n = static_cast<std::size_t>(
                std::min<std::uint64_t>(buf.size(), piece.end - pos));
            ssize_t r = src_.read_at(&buf[0], n, pos);
            if (r <= 0) {
                req.error = r < 0 ? src_.error() : src_.name() + ": shrank while being read";
                return false;
            }
            d.update(buf.data(), static_cast<std::size_t>(r));
            pos += static_cast<std::uint64_t>(r);
        }
        req.headers.push_back("Upload-Checksum: " + tus::checksum_value(*checksum_, d.final()));
    }
    if (cfg_.verbose) {
        meter_note_ = "* bgclient: PATCH " + redact_url(req.url) + " at offset "
                      + std::to_string(piece.start - base) + ", "
                      + std::to_string(piece.size()) + " bytes";
    }
    return true;
}

void TusUpload::complete(TusAttempt &at, const AttemptResult &answer)
{
    at.r = answer;
    facts_.completed = true;
    std::string error;
    at.local_digest = hasher_->wait_hex(error);
    if (!error.empty()) {
        if (interrupted()) {
            at.r.interrupted = true;
        } else {
            at = fatal(exit_local_file, error);
        }
    }
}

TusAttempt TusUpload::attempt(ProgressMeter &meter, double deadline, unsigned n)
{
    facts_ = tus::Facts();
    TusAttempt at;
    const std::uint64_t size = static_cast<std::uint64_t>(src_.size());

    if (!discovered_) {
        Reply o;
        discover(meter, timeout_left(deadline), &o);
        if (transport_failed(o.res)) {
            return failed(o.res, "OPTIONS", target_.creation_url);
        }
        if (!check_offer(at)) {
            return at;
        }
        checksum_ = tus::pick_checksum(offer_);
        if (cfg_.verbose) {
            meter.message("* bgclient: tus " + offer_.versions + ", extensions: "
                          + field_value(o.fields, "tus-extension")
                          + (checksum_ ? std::string(", Upload-Checksum with ")
                                             + bigupload::digest_name(*checksum_)
                                       : std::string(", no checksum")));
        }
        if (cfg_.parallel > 1 && !offer_.has("concatenation") && !cfg_.quiet) {
            meter.message("bgclient: the tus server at " + redact_url(target_.creation_url)
                          + " does not offer concatenation: sending over one connection");
        }
    }
    if (!loaded_) {
        load_entry(meter);
    }
    if (cfg_.restart && !restarted_) {
        restart(meter, deadline);
        restarted_ = true;
    }

    // what the server holds of an upload started earlier
    bigupload::RangeSet held;
    Reply reply;
    std::uint64_t offset = 0;
    if (!entry_.url.empty()) {
        switch (probe(entry_.url, size, meter, deadline, offset, reply)) {
        case Probe::failed:
            return failed(reply.res, "HEAD", entry_.url);
        case Probe::gone:
            forget_entry(meter);
            break;
        case Probe::ok:
            held.add(0, offset);
            break;
        }
    }
    for (tus::Part &p : entry_.parts) {
        if (p.url.empty()) {
            continue;
        }
        switch (probe(p.url, p.end - p.start, meter, deadline, offset, reply)) {
        case Probe::failed:
            return failed(reply.res, "HEAD", p.url);
        case Probe::gone:
            p.url.clear();
            save_entry(meter);
            break;
        case Probe::ok:
            held.add(p.start, p.start + offset);
            break;
        }
    }

    if (!hasher_) {
        hasher_.reset(new FileHasher(src_.fd(), 0, size, src_.name(), cfg_.digest));
    }
    hasher_->set_held(held);
    const std::uint64_t held_bytes = held.total();

    if (!entry_.url.empty() && held_bytes == size) {
        // an earlier run sent every byte (and was stopped before the answer)
        at.local_size = size;
        at.done = size;
        at.sent = 0;
        at.resumed_at = static_cast<std::int64_t>(size);
        complete(at, reply.res);
        return at;
    }

    // create what is missing: the upload, or a parallel upload's partials
    std::vector<std::string> creation = base_headers();
    if (entry_.url.empty() && entry_.parts.empty()) {
        if (cfg_.parallel > 1 && offer_.has("concatenation")) {
            for (const bigupload::ByteRange &r : tus::split_parts(size, cfg_.parallel)) {
                entry_.parts.push_back({r.start, r.end, ""});
            }
            if (entry_.parts.size() < 2) {
                entry_.parts.clear();
            }
        }
        if (entry_.parts.empty()) {
            creation.push_back("Upload-Length: " + std::to_string(size));
            creation.push_back("Upload-Metadata: " + tus::metadata_value(target_.name));
            if (!cfg_.overwrite) {
                creation.push_back("If-None-Match: *");
            }
            if (!create(creation, meter, deadline, entry_.url, reply)) {
                if (reply.res.status == 412 && !field_value(reply.fields, "tus-version").empty()) {
                    return fatal(exit_refused, redact_url(target_.creation_url)
                                                   + " does not speak tus 1.0.0 (HTTP 412, Tus-Version: "
                                                   + field_value(reply.fields, "tus-version") + ")");
                }
                return failed(reply.res, "POST", target_.creation_url);
            }
            save_entry(meter);
        }
    }
    for (tus::Part &p : entry_.parts) {
        if (!p.url.empty()) {
            continue;
        }
        std::vector<std::string> h = base_headers();
        h.push_back("Upload-Length: " + std::to_string(p.end - p.start));
        h.push_back("Upload-Concat: partial");
        if (!create(h, meter, deadline, p.url, reply)) {
            p.url.clear();
            return failed(reply.res, "POST", target_.creation_url);
        }
        save_entry(meter);
    }

    if (held_bytes > 0 && !cfg_.quiet) {
        meter.message("bgclient: " + resume_message(held_bytes, size));
    }

    // the PATCHes: one upload's in order over one connection, or one per
    // partial upload, all at once
    RangeJob job;
    job.cfg = &cfg_;
    job.src = &src_;
    job.key = key_;
    job.size = size;
    job.held = held_bytes;
    job.deadline = deadline;
    job.hasher = hasher_.get();
    if (entry_.parts.empty()) {
        std::uint64_t chunk = cfg_.chunk_size > 0 ? cfg_.chunk_size
                              : checksum_         ? tus::checksum_chunk_size
                                                  : 0;
        job.pieces = plan_pieces(held, size, chunk);
        job.parallel = 1;
    } else {
        for (const tus::Part &p : entry_.parts) {
            for (const bigupload::ByteRange &g : held.gaps(p.end)) {
                if (g.end > p.start && g.start < p.end) {
                    job.pieces.push_back({std::max(g.start, p.start), std::min(g.end, p.end)});
                }
            }
        }
        job.parallel = static_cast<unsigned>(entry_.parts.size());
    }

    AttemptResult last;          // the answer that took the file's last byte
    std::string mismatch;        // a 2xx whose Upload-Offset is not the piece's end
    job.request = [this, &meter](const bigupload::ByteRange &piece, PieceRequest &req) {
        bool ok = build_patch(piece, req);
        if (ok && cfg_.verbose) {
            meter.message(meter_note_);
        }
        return ok;
    };
    job.judge = [this, &last, &mismatch, size](const bigupload::ByteRange &piece,
                                               const Exchange &x) {
        std::uint64_t base = 0, end = size;
        for (const tus::Part &p : entry_.parts) {
            if (piece.start >= p.start && piece.start < p.end) {
                base = p.start;
                end = p.end;
            }
        }
        if (x.res.curl_code != CURLE_OK || (x.res.status != 204 && x.res.status != 200)) {
            return PieceVerdict::failed;
        }
        tus::UploadInfo u = tus::parse_upload_info(field_value(x.fields, "upload-offset"), "");
        if (!u.ok || u.offset != piece.end - base) {
            mismatch = u.ok ? "the server answered PATCH with Upload-Offset "
                                  + std::to_string(u.offset) + ", not "
                                  + std::to_string(piece.end - base)
                            : u.error + " (PATCH)";
            return PieceVerdict::failed;
        }
        if (piece.end == end && entry_.parts.empty()) {
            last = x.res;
        }
        return PieceVerdict::acked;
    };

    RangeResult rr = send_ranges(job, meter, n);
    at.local_size = size;
    at.done = rr.done;
    at.sent = static_cast<std::int64_t>(rr.done > held_bytes ? rr.done - held_bytes : 0);
    at.resumed_at = static_cast<std::int64_t>(held_bytes);
    at.r = rr.res;
    facts_.method = "PATCH";
    facts_.request_url = redact_url(upload_url());

    if (rr.failed) {
        long st = rr.res.status;
        if (!mismatch.empty()) {
            at.r = retry_with(mismatch, rr.res);
        } else if (!transport_failed(rr.res) && (st == 404 || st == 410)) {
            // expired or removed while we sent: the next attempt starts anew
            forget_entry(meter);
            at.r = retry_with("the server no longer has the upload (" + status_of(rr.res)
                                  + " to PATCH): starting a new one",
                              rr.res);
        }
        return at;
    }

    if (!entry_.parts.empty()) {
        std::vector<std::string> h = base_headers();
        std::vector<std::string> urls;
        for (const tus::Part &p : entry_.parts) {
            urls.push_back(p.url);
        }
        h.push_back("Upload-Concat: " + tus::concat_final_value(urls));
        h.push_back("Upload-Metadata: " + tus::metadata_value(target_.name));
        if (!cfg_.overwrite) {
            h.push_back("If-None-Match: *");
        }
        std::string location;
        if (!create(h, meter, deadline, location, reply)) {
            TusAttempt f = failed(reply.res, "POST", target_.creation_url);
            f.local_size = at.local_size;
            f.done = at.done;
            f.sent = at.sent;
            f.resumed_at = at.resumed_at;
            return f;
        }
        final_url_ = location;
        last = reply.res;
    }
    last.elapsed = rr.res.elapsed;
    complete(at, last);
    return at;
}

Outcome TusUpload::classify(const AttemptResult &r, const OutcomeInput &in) const
{
    return tus::classify(r, in, facts_);
}

std::string TusUpload::upload_url() const
{
    const std::string &raw = !final_url_.empty() ? final_url_ : entry_.url;
    return raw.empty() ? std::string()
                       : tus::resolve_location(target_.creation_url, raw).value_or(raw);
}

bool TusUpload::completed() const
{
    return facts_.completed;
}

void TusUpload::finished(ProgressMeter &meter)
{
    forget_entry(meter);
}

std::string TusUpload::verification(const Outcome &o) const
{
    if (!o.verified_digest.empty()) {
        return o.verified;  // the algorithm's name
    }
    return checksum_ ? "checksum" : "none";
}

}  // namespace bgclient
