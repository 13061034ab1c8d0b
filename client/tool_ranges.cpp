#include "tool_ranges.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "base/size.hpp"
#include "tool_easy.hpp"
#include "tool_signal.hpp"
#include "tool_transfer.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

struct Active {
    EasyPtr easy;
    std::unique_ptr<Exchange> x;
    long timeout_ms = 0;
    double started = 0;
};

// The native dialect: 204 with the Upload-* headers takes a piece, another
// 2xx completes the upload.
PieceVerdict native_verdict(const Exchange &x)
{
    bool ok = x.res.curl_code == CURLE_OK;
    bool upload_headers = !x.upload_offset.empty() || !x.upload_ranges.empty();
    if (ok && x.res.status == 204 && upload_headers) {
        return PieceVerdict::acked;
    }
    if (ok && x.res.status >= 200 && x.res.status < 300 && x.res.status != 204) {
        return PieceVerdict::completed;
    }
    return PieceVerdict::failed;
}

}  // namespace

RangeResult send_ranges(const RangeJob &job, ProgressMeter &meter, unsigned attempt)
{
    const Config &cfg = *job.cfg;
    RangeResult out;
    std::vector<int> sockets;
    std::vector<std::unique_ptr<Active>> active;
    std::size_t next = 0;
    unsigned parallel = job.parallel < 1 ? 1 : job.parallel;
    if (parallel > job.pieces.size() && !job.pieces.empty()) {
        parallel = static_cast<unsigned>(job.pieces.size());
    }
    // --limit-rate bounds the whole upload: each connection gets its share
    std::uint64_t rate = cfg.limit_rate == 0 ? 0 : std::max<std::uint64_t>(1, cfg.limit_rate / parallel);

    MultiPtr multi(curl_multi_init());
    if (!multi) {
        out.failed = true;
        out.res.curl_code = CURLE_OUT_OF_MEMORY;
        out.res.curl_error = "cannot initialise libcurl";
        return out;
    }
    // N ranges over N connections, also with HTTP/2 (no multiplexing)
    curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_NOTHING));
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(parallel));

    const double t0 = now_seconds();
    meter.start(static_cast<std::int64_t>(job.size), t0, job.held);

    if (cfg.verbose) {
        meter.message("* bgclient: attempt " + std::to_string(attempt) + ": "
                      + std::to_string(job.pieces.size()) + " range(s) to send over "
                      + std::to_string(std::min<std::size_t>(parallel, job.pieces.size()))
                      + " connection(s), upload key " + job.key);
    }

    // Starts the next piece; false (with out.res set) when it cannot.
    auto start_next = [&]() -> bool {
        const bigupload::ByteRange &p = job.pieces[next];
        std::unique_ptr<Active> a(new Active());
        a->easy.reset(curl_easy_init());
        a->x.reset(new Exchange());
        if (!a->easy) {
            out.res.curl_code = CURLE_OUT_OF_MEMORY;
            out.res.curl_error = "cannot initialise libcurl";
            return false;
        }
        Exchange &x = *a->x;
        x.cfg = &cfg;
        x.meter = &meter;
        x.sockets = &sockets;
        x.body = BodyKind::range;
        x.src = job.src;
        x.from = x.pos = p.start;
        x.to = p.end;
        PieceRequest req;
        if (job.request) {
            if (!job.request(p, req)) {
                out.res.source_failed = true;
                out.res.source_error = req.error;
                return false;
            }
        } else {
            req.method = "PUT";
            req.url = cfg.target_url;
            req.headers.push_back("Upload-Key: " + job.key);
            req.headers.push_back("Content-Range: " + piece_content_range(p, job.size));
            if (!cfg.overwrite) {
                req.headers.push_back("If-None-Match: *");
            }
            std::string repr = job.declare && job.hasher != nullptr
                                   ? repr_digest_header(*job.declare, job.hasher->ready_hex())
                                   : std::string();
            if (!repr.empty()) {
                req.headers.push_back(repr);
                out.declared = true;
            }
        }
        for (const std::string &h : req.headers) {
            x.add_header(h);
        }
        if (job.deadline > 0) {
            double left = job.deadline - now_seconds();
            a->timeout_ms = left * 1000.0 < 1 ? 1 : static_cast<long>(std::ceil(left * 1000.0));
        }
        setup_exchange(a->easy.get(), x, req.method, req.url, a->timeout_ms, rate);
        a->started = now_seconds();
        curl_multi_add_handle(multi.get(), a->easy.get());
        active.push_back(std::move(a));
        next++;
        return true;
    };

    auto measure = [&](bool *all_sent) {
        std::uint64_t written = 0, read = 0, reach = 0;
        bool all_read = next == job.pieces.size();
        for (const auto &a : active) {
            curl_off_t w = 0;
            curl_easy_getinfo(a->easy.get(), CURLINFO_SIZE_UPLOAD_T, &w);
            written += w > 0 ? static_cast<std::uint64_t>(w) : 0;
            read += a->x->body_read();
            reach = std::max(reach, a->x->pos);
            all_read = all_read && a->x->pos == a->x->to;
        }
        if (job.hasher != nullptr) {
            job.hasher->advance(reach);
        }
        bool queue_empty = false;
        std::uint64_t taken = server_taken(written, sockets, read, &queue_empty);
        if (all_sent != nullptr) {
            *all_sent = all_read && queue_empty && written >= read && !active.empty();
        }
        return job.held + out.acked + taken;
    };

    CURLMcode mc = CURLM_OK;
    bool stop = false;
    // A request failed: start no more, but let the others finish: their
    // bytes count, and one of them may be the one that completes the upload
    // (a request that ends while another finalizes can get an error).
    bool draining = false;

    while (!stop) {
        while (!draining && active.size() < parallel && next < job.pieces.size()) {
            if (!start_next()) {
                out.failed = true;
                stop = true;
                break;
            }
        }
        if (stop) {
            break;
        }
        if (active.empty()) {
            break;  // every piece answered (204, or a failure while draining)
        }

        int running = 0;
        mc = curl_multi_perform(multi.get(), &running);
        if (mc != CURLM_OK) {
            out.failed = true;
            out.res.curl_code = CURLE_OUT_OF_MEMORY;
            out.res.curl_error = curl_multi_strerror(mc);
            break;
        }

        int left = 0;
        while (CURLMsg *m = curl_multi_info_read(multi.get(), &left)) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }
            auto it = std::find_if(active.begin(), active.end(), [m](const std::unique_ptr<Active> &a) {
                return a->easy.get() == m->easy_handle;
            });
            if (it == active.end()) {
                continue;
            }
            Active &a = **it;
            Exchange &x = *a.x;
            finish_exchange(a.easy.get(), x, m->data.result, a.timeout_ms, now_seconds() - a.started);
            x.res.sent = x.body_read();
            curl_multi_remove_handle(multi.get(), a.easy.get());

            PieceVerdict verdict = job.judge ? job.judge({x.from, x.to}, x) : native_verdict(x);
            if (verdict == PieceVerdict::acked) {
                out.acked += x.to - x.from;
                active.erase(it);
                continue;
            }
            if (verdict == PieceVerdict::completed) {
                out.completed = true;
                out.failed = false;
                out.res = x.res;
                out.res.elapsed = now_seconds() - t0;
                out.acked += x.to - x.from;
                active.erase(it);
                stop = true;
                break;
            }
            if (!out.failed) {
                out.failed = true;  // the first failure is the one reported
                out.res = x.res;
                out.res.elapsed = now_seconds() - t0;
            }
            if (cfg.verbose && !active.empty()) {
                meter.message("* bgclient: a range failed: letting the other "
                              + std::to_string(active.size() - 1) + " finish");
            }
            draining = true;
            active.erase(it);
        }
        if (stop) {
            break;
        }

        double now = now_seconds();
        bool all_sent = false;
        std::uint64_t done = measure(&all_sent);
        if (meter.due(now)) {
            meter.update(now, done, all_sent);
        }

        if (interrupted()) {
            out.failed = true;
            out.res.interrupted = true;
            break;
        }
        mc = curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
        if (mc != CURLM_OK) {
            out.failed = true;
            out.res.curl_code = CURLE_OUT_OF_MEMORY;
            out.res.curl_error = curl_multi_strerror(mc);
            break;
        }
    }

    out.done = out.completed ? job.size : measure(nullptr);
    for (auto &a : active) {
        curl_multi_remove_handle(multi.get(), a->easy.get());
    }
    active.clear();
    if (out.res.elapsed <= 0) {
        out.res.elapsed = now_seconds() - t0;
    }
    return out;
}

}  // namespace bgclient
