// bgclient: uploads one file to a bigupload server: a resumable upload
// (HEAD, then PUT + Content-Range of what is missing, over -j connections)
// for a regular file, one plain PUT for standard input.
//
//   bgclient [options] <url> <file_path> <remote_path>
//   bgclient --status <url> <remote_path>
//
// One concern per file, as curl's src/tool_*: tool_args (options -> Config),
// tool_source (the file, read and hashed; its upload key), tool_easy (the
// libcurl options and callbacks of one request), tool_transfer (a plain
// PUT), tool_request (HEAD, DELETE), tool_ranges (the ranges of a resumable
// upload over N connections), tool_resume (the HEAD answer, the plan, the
// messages), tool_filehash (the whole file's digest), tool_digest (--digest:
// the server's digests, the Repr-Digest sent), tool_progress (the
// meter), tool_retry (backoff, Retry-After), tool_outcome (answer -> exit
// code and message), tool_output (stdout), tool_protocol (--protocol, what
// auto picks), tool_tus* (--protocol tus).
// Here: the order of things, the retry loop, and the one cleanup path.

#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <curl/curl.h>
#include <unistd.h>

#include "base/size.hpp"
#include "tool_args.hpp"
#include "tool_exit.hpp"
#include "tool_filehash.hpp"
#include "tool_help.hpp"
#include "tool_ietf.hpp"
#include "tool_outcome.hpp"
#include "tool_output.hpp"
#include "tool_progress.hpp"
#include "tool_ranges.hpp"
#include "tool_request.hpp"
#include "tool_resume.hpp"
#include "tool_retry.hpp"
#include "tool_signal.hpp"
#include "tool_source.hpp"
#include "tool_transfer.hpp"
#include "tool_tus.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

// Sleeps "seconds", waking early on Ctrl-C; false when interrupted.
bool pause_for(double seconds)
{
    double end = now_seconds() + seconds;
    for (;;) {
        if (interrupted()) {
            return false;
        }
        double left = end - now_seconds();
        if (left <= 0) {
            return true;
        }
        double step = left < 0.05 ? left : 0.05;
        struct timespec ts;
        ts.tv_sec = 0;
        ts.tv_nsec = static_cast<long>(step * 1e9);
        nanosleep(&ts, nullptr);
    }
}

std::string seconds_text(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), s < 10 ? "%.1f s" : "%.0f s", s);
    return buf;
}

// What one attempt came to, whichever way it was sent.
struct Attempt {
    AttemptResult r;
    bool fatal = false;          // stop with fatal_code / fatal_message
    int fatal_code = 0;
    std::string fatal_message;
    bool fallback = false;       // the server has no resumable uploads: plain PUT
    std::string local_digest;    // of the whole file, in --digest ("" when not known)
    bool digest_sent = false;    // a request declared it (Repr-Digest)
    std::uint64_t local_size = 0;
    std::uint64_t done = 0;      // bytes the server holds, for the meter
    std::int64_t sent = -1;      // bytes this attempt sent
    std::int64_t resumed_at = -1;
    bool already = false;        // the server holds this very file: nothing to send
    std::string server_digest;   // already: the finished file's, from HEAD
};

class Upload {
public:
    explicit Upload(const Config &cfg) : cfg_(cfg) {}

    int run()
    {
        std::string error;

        rep_.file = cfg_.file_path == "-" ? "(stdin)" : cfg_.file_path;
        rep_.url = redact_url(cfg_.target_url);

        if (!preflight(cfg_, error)) {
            return fail(exit_usage, error);
        }

        if (cfg_.status) {
            return status();
        }

        src_ = Source::open(cfg_.file_path, error, cfg_.digest);
        if (!src_) {
            return fail(exit_local_file, error);
        }
        rep_.size = reported_size(0);
        rep_.digest_alg = digest_choice_name(cfg_.digest);

        // Regular files are sent resumably (an empty one has nothing to
        // resume, standard input cannot be read again): see README "bgclient".
        resumable_ = cfg_.protocol != Protocol::ietf && cfg_.resume && src_->resumable()
                     && src_->size() > 0;
        if (resumable_ && !src_->upload_key(key_)) {
            return fail(exit_local_file, src_->error());
        }

        ProgressMode mode = cfg_.progress;
        if (mode == ProgressMode::automatic) {
            mode = isatty(STDERR_FILENO) ? ProgressMode::bar : ProgressMode::none;
        }
        ProgressMeter meter(mode, stderr);
        Backoff backoff;

        const unsigned max_attempts = cfg_.retries + 1;
        const double deadline = cfg_.max_time_ms > 0
                                    ? now_seconds() + static_cast<double>(cfg_.max_time_ms) / 1000.0
                                    : 0;

        if (resumable_ && cfg_.protocol == Protocol::tus) {
            tus_.reset(new TusUpload(cfg_, *src_, key_));
        } else if (resumable_ && cfg_.protocol == Protocol::automatic) {
            choose(meter, deadline);
        }
        if (tus_) {
            rep_.protocol = "tus";
        }

        for (unsigned attempt = 1;; attempt++) {
            Attempt at;
            if (cfg_.protocol == Protocol::ietf) {
                at = ietf_attempt_of(meter, deadline, attempt);
            } else if (tus_) {
                at = tus_attempt(meter, deadline, attempt);
            } else if (resumable_) {
                at = resumable_attempt(meter, deadline, attempt);
                if (at.fallback) {
                    meter.finish(now_seconds(), 0, false);  // a range was refused: end its bar
                    resumable_ = false;
                    hasher_.reset();
                    if (cfg_.verbose) {
                        meter.message("* bgclient: no resumable uploads at "
                                      + rep_.url + ": sending one plain PUT");
                    }
                }
            }
            if (!resumable_ && !tus_ && cfg_.protocol != Protocol::ietf) {
                if (attempt > 1 && !src_->rewind()) {
                    return fail(exit_local_file, src_->error());
                }
                at = plain_attempt(meter, deadline, attempt);
            }

            if (at.fatal) {
                meter.finish(now_seconds(), at.done, false);
                rep_.attempts = attempt;
                rep_.status = at.r.status;
                return fail(at.fatal_code, at.fatal_message);
            }

            if (at.already) {
                return already(at, attempt);
            }

            const AttemptResult &r = at.r;
            OutcomeInput in;
            in.url = rep_.url;
            in.overwrite = cfg_.overwrite;
            in.alg = cfg_.digest;
            in.local_digest = at.local_digest;
            in.digest_sent = at.digest_sent;
            in.local_size = at.local_size;
            in.now = std::time(nullptr);
            Outcome o = tus_ ? tus_->classify(r, in) : classify(r, in);

            rep_.attempts = attempt;
            rep_.status = r.status;
            rep_.http_version = r.http_version;
            rep_.size = reported_size(at.local_size);
            rep_.digest = at.local_digest;
            rep_.elapsed = r.elapsed;
            rep_.sent = at.sent;
            rep_.resumed_at = at.resumed_at;
            rep_.server_error = o.reply.error;
            rep_.server_digest = o.verified_digest;
            if (rep_.server_digest.empty() && cfg_.digest) {
                const bigupload::FileDigest *d = o.reply.digests.find(*cfg_.digest);
                rep_.server_digest = d != nullptr ? d->hex() : std::string();
            }
            rep_.verified = o.verified;
            rep_.response = o.backend_response;
            rep_.server_path = o.reply.path;
            rep_.location = r.location;

            meter.finish(now_seconds(), at.done, o.exit_code == exit_ok);

            if (tus_) {
                rep_.location = redact_url(tus_->upload_url());
                if (tus_->completed()) {
                    // whatever the verdict, the server holds the whole file:
                    // a rerun has nothing to continue
                    tus_->finished(meter);
                }
                if (o.exit_code == exit_ok) {
                    rep_.verified = tus_->verification(o);
                    if (rep_.verified == "none" && cfg_.digest && !cfg_.quiet) {
                        meter.message("bgclient: warning: the tus server sent no digest of the"
                                      " file and offers no checksum extension: it holds all "
                                      + std::to_string(at.local_size)
                                      + " bytes, but could not confirm them");
                    }
                }
            }

            if (o.exit_code == exit_ok) {
                return succeed();
            }

            if (interrupted()) {
                return fail(exit_interrupted, "interrupted");
            }

            std::string why = o.message;
            if (attempt > 1) {
                why += " (after " + std::to_string(attempt) + " attempts)";
            }

            if (!o.retryable || attempt >= max_attempts) {
                return fail(o.exit_code, why);
            }

            if (!src_->rewindable()) {
                return fail(o.exit_code, why + " (standard input cannot be read again: not retrying)");
            }

            if (o.retry_after && *o.retry_after > max_retry_after) {
                return fail(o.exit_code, why + " (the server asked to retry in "
                                             + bigupload::format_duration(*o.retry_after)
                                             + ": not waiting that long)");
            }

            double delay = backoff.delay(attempt, o.retry_after);
            if (deadline > 0 && now_seconds() + delay >= deadline) {
                return fail(o.exit_code, why + " (no time left to retry within --max-time)");
            }

            if (!cfg_.quiet) {
                meter.message("bgclient: " + o.message + "; retrying in " + seconds_text(delay)
                              + " (attempt " + std::to_string(attempt + 1) + " of "
                              + std::to_string(max_attempts) + ")");
            }

            if (!pause_for(delay)) {
                return fail(exit_interrupted, "interrupted");
            }
        }
    }

private:
    // One plain PUT of the whole file (standard input, --no-resume, a
    // server without resumable uploads): hashed while it is read.
    Attempt plain_attempt(ProgressMeter &meter, double deadline, unsigned attempt)
    {
        Attempt at;
        at.r = run_attempt(cfg_, *src_, meter, timeout_left(deadline), attempt);
        bool read_all = src_->size() >= 0
                            ? src_->bytes_read() == static_cast<std::uint64_t>(src_->size())
                            : src_->eof();
        std::string hex = src_->digest_hex();
        at.local_digest = read_all ? hex : std::string();
        at.local_size = src_->bytes_read();
        at.done = src_->bytes_read();
        at.sent = static_cast<std::int64_t>(src_->bytes_read());
        return at;
    }

    // --protocol ietf: the creation, or HEAD and appends (tool_ietf)
    Attempt ietf_attempt_of(ProgressMeter &meter, double deadline, unsigned attempt)
    {
        IetfResult ir = ietf_attempt(cfg_, *src_, ietf_, meter, timeout_left(deadline), attempt);
        if (ir.fatal) {
            return fatal(ir.fatal_code, ir.fatal_message);
        }
        Attempt at;
        at.r = ir.r;
        at.local_digest = ir.local_digest;
        at.local_size = reported_size(0);
        at.done = ir.done;
        at.sent = ir.sent;
        at.resumed_at = ir.resumed_at;
        return at;
    }

    // --protocol tus: one attempt of the TusUpload, as an Attempt.
    Attempt tus_attempt(ProgressMeter &meter, double deadline, unsigned attempt)
    {
        TusAttempt t = tus_->attempt(meter, deadline, attempt);
        Attempt at;
        at.r = t.r;
        at.fatal = t.fatal;
        at.fatal_code = t.fatal_code;
        at.fatal_message = t.fatal_message;
        at.local_digest = t.local_digest;
        at.local_size = t.local_size;
        at.done = t.done;
        at.sent = t.sent;
        at.resumed_at = t.resumed_at;
        return at;
    }

    // --protocol auto: tus when the server's OPTIONS offers it and the
    // native dialect does not answer its HEAD (tool_protocol).
    void choose(ProgressMeter &meter, double deadline)
    {
        std::unique_ptr<TusUpload> t(new TusUpload(cfg_, *src_, key_));
        Discovery d;
        d.tus_offered = t->discover(meter, timeout_left(deadline));
        if (d.tus_offered) {
            d.tus_state = t->has_state();
            Reply h = send_request(cfg_, "HEAD", key_, meter, timeout_left(deadline));
            d.native = h.head;
            d.native_tus_resumable = !field_value(h.fields, "tus-resumable").empty();
        }
        Protocol p = choose_protocol(d);
        if (cfg_.verbose) {
            meter.message(std::string("* bgclient: --protocol auto: ") + protocol_name(p)
                          + (d.tus_offered ? " (the server offers tus" : " (no tus offered")
                          + (d.tus_offered && native_answers(d) ? ", and its native dialect answers"
                                                                : "")
                          + (d.tus_state ? ", an earlier tus run is to be continued" : "")
                          + ")");
        }
        if (p == Protocol::tus) {
            tus_ = std::move(t);
        }
    }

    // The file's size, also when the upload failed before reading it (a
    // connect failure); from a pipe, the bytes read.
    std::uint64_t reported_size(std::uint64_t bytes_read) const
    {
        return src_->size() >= 0 ? static_cast<std::uint64_t>(src_->size()) : bytes_read;
    }

    // An attempt failed before anything was sent: its result is r.
    static Attempt failed_with(const AttemptResult &r)
    {
        Attempt at;
        at.r = r;
        return at;
    }

    static Attempt fatal(int code, const std::string &message)
    {
        Attempt at;
        at.fatal = true;
        at.fatal_code = code;
        at.fatal_message = message;
        return at;
    }

    static bool transport_failed(const AttemptResult &r)
    {
        return r.interrupted || r.curl_code != 0 || r.status == 0;
    }

    // --restart: DELETE the partial (ours, or another key's); false with the
    // attempt's outcome in "at" when it cannot go on.
    bool discard_partial(ProgressMeter &meter, double deadline, Attempt &at)
    {
        Reply d = send_request(cfg_, "DELETE", key_, meter, timeout_left(deadline));
        bool other_key = !transport_failed(d.res) && d.res.status == 409;
        if (other_key) {
            // the partial belongs to another key: a DELETE without one
            d = send_request(cfg_, "DELETE", "", meter, timeout_left(deadline));
        }
        if (transport_failed(d.res)) {
            at = failed_with(d.res);
            return false;
        }
        long st = d.res.status;
        if (st == 204 || st == 200 || st == 404) {
            if (st != 404 && !cfg_.quiet) {
                meter.message("bgclient: discarded the partial upload at " + rep_.url);
            }
            return true;
        }
        if (other_key && (st == 405 || st == 409 || st == 400 || st == 403)) {
            at = fatal(exit_refused,
                       "cannot discard the partial upload at " + rep_.url
                           + ": it belongs to another file, and the server discards a partial"
                             " upload only for its own upload key (HTTP "
                           + std::to_string(st)
                           + " to DELETE without Upload-Key); it expires after bigupload_expire");
            return false;
        }
        if (!other_key && (st == 405 || st == 501)) {
            at.fallback = true;  // no resumable uploads there: nothing to discard
            return false;
        }
        at = failed_with(d.res);
        return false;
    }

    // HEAD, then the missing ranges; the file's digest from the hasher.
    Attempt resumable_attempt(ProgressMeter &meter, double deadline, unsigned attempt)
    {
        Attempt at;
        const std::uint64_t size = static_cast<std::uint64_t>(src_->size());

        if (cfg_.restart && !restarted_) {
            if (!discard_partial(meter, deadline, at)) {
                return at;
            }
            restarted_ = true;
        }

        Reply h = send_request(cfg_, "HEAD", key_, meter, timeout_left(deadline));
        if (transport_failed(h.res)) {
            return failed_with(h.res);
        }

        Held held = parse_held(h.head);
        switch (held.kind) {
        case HeldKind::unsupported:
            at.fallback = true;
            return at;
        case HeldKind::conflict:
            return fatal(exit_refused, conflict_message(rep_.url));
        case HeldKind::malformed:
            return fatal(exit_refused, "unexpected answer from the server to HEAD " + rep_.url
                                           + ": " + held.error);
        case HeldKind::other:
            return failed_with(h.res);
        case HeldKind::finished: {
            // a finished file and no partial: this file again (a rerun of
            // a command that succeeded, or one killed before the answer
            // came) is done; any other, the PUT decides (exists, or
            // replaced with --overwrite)
            Attempt a = compare_finished(held, h.res, meter);
            if (a.already || a.fatal || a.r.interrupted) {
                return a;
            }
            held.ranges.clear();
            break;
        }
        case HeldKind::nothing:
            held.ranges.clear();
            break;
        case HeldKind::partial: {
            std::string m = length_mismatch(held, size, rep_.url);
            if (!m.empty()) {
                return fatal(exit_refused, m);
            }
            break;
        }
        }

        if (!hasher_) {
            hasher_.reset(new FileHasher(src_->fd(), 0, size, src_->name(), cfg_.digest));
        }
        hasher_->set_held(held.ranges);
        if (cfg_.digest && size <= prehash_limit && !prehash(at)) {
            return at;
        }

        const std::uint64_t held_bytes = held.ranges.total();
        if (held_bytes > 0 && !cfg_.quiet) {
            meter.message("bgclient: " + resume_message(held_bytes, size));
        }

        RangeJob job;
        job.cfg = &cfg_;
        job.src = src_.get();
        job.key = key_;
        job.size = size;
        job.pieces = plan_pieces(held.ranges, size,
                                 effective_chunk(cfg_.parallel, cfg_.chunk_size,
                                                 size - held.ranges.total()));
        job.held = held_bytes;
        job.parallel = cfg_.parallel;
        job.deadline = deadline;
        job.hasher = hasher_.get();
        job.declare = cfg_.digest;

        if (job.pieces.empty()) {
            // every byte is there but the upload was not completed: the
            // server may be finishing it for an earlier run; ask again later
            at.r.curl_code = CURLE_PARTIAL_FILE;
            at.r.curl_error = "the server holds every byte but has not completed the upload yet";
            at.done = held_bytes;
            return at;
        }

        RangeResult rr = send_ranges(job, meter, attempt);
        at.r = rr.res;
        at.digest_sent = rr.declared;
        if (rr.declared) {
            at.local_digest = hasher_->ready_hex();  // also for a refusal's message
        }
        at.local_size = size;
        at.done = rr.done;
        at.sent = static_cast<std::int64_t>(rr.done > held_bytes ? rr.done - held_bytes : 0);
        at.resumed_at = static_cast<std::int64_t>(held_bytes);

        if (rr.failed) {
            long st = rr.res.status;
            if ((st == 405 || st == 501) && held_bytes == 0 && rr.acked == 0) {
                at.fallback = true;  // e.g. WebDAV: no PUT with Content-Range
            }
            return at;
        }
        if (!rr.completed) {
            // every range answered 204, none completed the upload: ask again
            at.r = AttemptResult();
            at.r.curl_code = CURLE_PARTIAL_FILE;
            at.r.curl_error = "the server took every range but did not complete the upload";
            return at;
        }

        std::string error;
        at.local_digest = hasher_->wait_hex(error);
        if (!error.empty()) {
            if (interrupted()) {
                at.r.interrupted = true;
                return at;
            }
            return fatal(exit_local_file, error);
        }
        return at;
    }

    // A file of at most prehash_limit bytes is hashed before its first byte
    // is sent, so that its requests declare the digest (tool_digest.hpp);
    // false with the attempt's end in "at" when it cannot be read.
    bool prehash(Attempt &at)
    {
        bigupload::RangeSet all;
        all.add(0, static_cast<std::uint64_t>(src_->size()));
        hasher_->set_held(all);
        std::string error;
        hasher_->wait_hex(error);
        if (error.empty()) {
            return true;
        }
        if (interrupted()) {
            at.r.interrupted = true;
        } else {
            at = fatal(exit_local_file, error);
        }
        return false;
    }

    // HEAD found a finished file at the target.  When its size is this
    // file's and the server knows its digest in --digest's algorithm
    // (Repr-Digest), this file is
    // hashed (at full speed: nothing is being sent) and compared: the same
    // digest is "already".  Another file, or one whose digest the server
    // does not know, is left to the PUT (exists, or replaced with
    // --overwrite; the hash is not computed twice).
    Attempt compare_finished(const Held &held, const AttemptResult &head, ProgressMeter &meter)
    {
        Attempt at;
        const std::uint64_t size = static_cast<std::uint64_t>(src_->size());
        if (!held.size || *held.size != size) {
            return at;
        }
        const bigupload::FileDigest *theirs = cfg_.digest ? held.digests.find(*cfg_.digest)
                                                          : nullptr;
        if (theirs == nullptr) {
            if (cfg_.verbose) {
                meter.message("* bgclient: the server holds a finished file of this size at "
                              + rep_.url + ", but not its "
                              + digest_choice_name(cfg_.digest)
                              + (held.digests.empty() ? std::string()
                                                      : " (only its " + held.digests.names() + ")")
                              + ": the upload decides");
            }
            return at;
        }
        const std::string name = digest_choice_name(cfg_.digest);
        if (cfg_.verbose) {
            meter.message("* bgclient: the server holds a finished file of this size at "
                          + rep_.url + " (" + name + " " + theirs->hex()
                          + "): hashing this file to compare");
        }
        if (!hasher_) {
            hasher_.reset(new FileHasher(src_->fd(), 0, size, src_->name(), cfg_.digest));
        }
        bigupload::RangeSet all;
        all.add(0, size);
        hasher_->set_held(all);  // nothing is sent meanwhile: hash it all now
        std::string error;
        std::string local = hasher_->wait_hex(error);
        if (!error.empty()) {
            if (interrupted()) {
                at.r.interrupted = true;
                return at;
            }
            return fatal(exit_local_file, error);
        }
        if (theirs->hex() != local) {
            return at;
        }
        at.already = true;
        at.r = head;
        at.local_digest = local;
        at.local_size = size;
        at.server_digest = theirs->hex();
        at.sent = 0;
        return at;
    }

    // The server holds this file already: exit 0 without sending it again.
    int already(const Attempt &at, unsigned attempt)
    {
        rep_.already = true;
        rep_.attempts = attempt;
        rep_.status = at.r.status;
        rep_.http_version = at.r.http_version;
        rep_.size = at.local_size;
        rep_.digest = at.local_digest;
        rep_.server_digest = at.server_digest;
        rep_.verified = digest_choice_name(cfg_.digest);
        rep_.elapsed = now_seconds() - started_;
        rep_.sent = 0;
        return succeed();
    }

    // --status: what the server holds at <remote_path>, one line.
    int status()
    {
        ProgressMeter meter(ProgressMode::none, stderr);
        Reply h = send_request(cfg_, "HEAD", "", meter, cfg_.max_time_ms);
        rep_.status = h.res.status;
        rep_.http_version = h.res.http_version;

        if (h.res.interrupted) {
            return fail(exit_interrupted, "interrupted");
        }
        if (transport_failed(h.res)) {
            return fail(exit_transport, "HEAD " + rep_.url + " failed: " + one_line(h.res.curl_error));
        }

        Held held = parse_held(h.head);
        switch (held.kind) {
        case HeldKind::nothing:
        case HeldKind::partial:
        case HeldKind::finished:
            break;
        case HeldKind::malformed:
            return fail(exit_refused, "unexpected answer from the server to HEAD " + rep_.url
                                          + ": " + held.error);
        case HeldKind::unsupported:
            return fail(exit_refused, "the server cannot tell what it holds at " + rep_.url
                                          + " (HTTP " + std::to_string(h.res.status)
                                          + " to HEAD: no resumable uploads there)");
        default: {
            OutcomeInput in;
            in.url = rep_.url;
            in.now = std::time(nullptr);
            Outcome o = classify(h.res, in);
            return fail(o.exit_code, o.message);
        }
        }

        if (cfg_.json) {
            std::printf("%s\n", status_json(held).c_str());
        } else {
            std::printf("%s\n", status_line(held).c_str());
        }
        std::fflush(stdout);
        return exit_ok;
    }

    std::string status_json(const Held &h)
    {
        std::string state = h.kind == HeldKind::finished ? "done"
                            : h.kind == HeldKind::partial ? "partial" : "absent";
        std::string j = "{\"ok\":true,\"url\":\"" + json_escape(rep_.url) + "\",\"state\":\""
                        + state + "\"";
        if (h.kind == HeldKind::finished && h.size) {
            j += ",\"size\":" + std::to_string(*h.size);
        }
        if (h.kind == HeldKind::finished && !h.sha256.empty()) {
            j += ",\"sha256\":\"" + h.sha256 + "\"";
        } else if (h.kind == HeldKind::finished && !h.digests.empty()) {
            // the digest as the server's JSON keys it: by its algorithm
            j += std::string(",\"") + bigupload::digest_name(*h.digests.list.front().alg)
                 + "\":\"" + h.digests.list.front().hex() + "\"";
        }
        if (h.kind == HeldKind::partial) {
            j += ",\"offset\":" + std::to_string(h.offset);
            if (h.length) {
                j += ",\"length\":" + std::to_string(*h.length);
            }
            j += ",\"received\":" + std::to_string(h.ranges.total());
            j += ",\"ranges\":\"" + h.ranges.to_string() + "\"";
        }
        return j + "}";
    }

    static std::string json_escape(const std::string &s)
    {
        std::string out;
        for (unsigned char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof(buf), "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
        return out;
    }

    // A file that grew or was modified while it was sent: the upload holds
    // the bytes read (as curl -T), which may not be the file as it is now.
    // Printed even with -q: it is about what the upload holds.
    void warn_if_changed(bool completed)
    {
        ChangeContext ctx;
        ctx.completed = completed;
        ctx.resumable = resumable_;
        ctx.bytes = rep_.size;
        std::string w = change_warning(src_->name(), src_->stamp_at_open(), src_->stamp_now(), ctx);
        if (!w.empty()) {
            std::fprintf(stderr, "bgclient: %s\n", w.c_str());
        }
    }

    int succeed()
    {
        warn_if_changed(true);
        if (cfg_.json) {
            std::printf("%s\n", report_json(rep_).c_str());
        } else if (!cfg_.quiet) {
            std::printf("%s\n", success_line(rep_).c_str());
            // what a bigupload_pass backend answered, as it answered it
            if (!rep_.response.empty()) {
                std::fwrite(rep_.response.data(), 1, rep_.response.size(), stdout);
                if (rep_.response.back() != '\n') {
                    std::printf("\n");
                }
            }
        }
        std::fflush(stdout);
        return exit_ok;
    }

    int fail(int code, const std::string &message)
    {
        rep_.exit_code = code;
        rep_.message = message;
        std::fprintf(stderr, "bgclient: %s\n", message.c_str());
        if (src_ && code != exit_local_file) {
            warn_if_changed(false);  // after the error: it says what follows from it
        }
        if (cfg_.json) {
            std::printf("%s\n", report_json(rep_).c_str());
            std::fflush(stdout);
        }
        return code;
    }

    const Config &cfg_;
    const double started_ = now_seconds();
    Report rep_;
    std::unique_ptr<Source> src_;
    bool resumable_ = false;
    bool restarted_ = false;
    std::string key_;
    std::unique_ptr<FileHasher> hasher_;  // after src_: destroyed first
    IetfSession ietf_;                    // --protocol ietf: the upload resource
    std::unique_ptr<TusUpload> tus_;      // --protocol tus (or auto's choice); after src_
};

struct CurlGlobal {
    bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    ~CurlGlobal() { curl_global_cleanup(); }
};

int run(int argc, char **argv)
{
    install_signal_handlers();

    ArgResult a = parse_args(argc, argv);

    switch (a.action) {
    case ArgAction::help:
        std::fputs(help_text(), stdout);
        return exit_ok;
    case ArgAction::error:
        std::fprintf(stderr, "bgclient: %s\n", a.error.c_str());
        return exit_code_for(a);
    case ArgAction::version:
    case ArgAction::run:
        break;
    }

    CurlGlobal curl;
    if (!curl.ok) {
        std::fprintf(stderr, "bgclient: cannot initialise libcurl\n");
        return exit_internal;
    }

    if (a.action == ArgAction::version) {
        std::printf("%s\n", version_text().c_str());
        return exit_ok;
    }

    try {
        Upload up(a.config);
        return up.run();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bgclient: internal error: %s\n", e.what());
        return exit_internal;
    }
}

}  // namespace

}  // namespace bgclient

int main(int argc, char **argv)
{
    return bgclient::run(argc, argv);
}
