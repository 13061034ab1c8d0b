#include "tool_transfer.hpp"

#include <cmath>
#include <ctime>

#include <curl/curl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "tool_easy.hpp"
#include "tool_help.hpp"
#include "tool_signal.hpp"
#include "tool_url.hpp"

// Upload buffer size (CURLOPT_UPLOAD_BUFFERSIZE), measured on this project's
// 2-core machine, loopback, 1 GiB file on tmpfs, median of 5 interleaved
// rounds, client CPU = user+sys of bgclient (sha256 on a second thread
// included, ~0.7 s of it):
//
//                    against a minimal sink      against nginx + bigupload
//                    (client-bound)              (tmpfs store, server-bound)
//   buffer           MiB/s    client CPU         MiB/s    client CPU
//   64 KiB (default)   589    1.66 s               341    1.64 s
//   256 KiB            552    1.80 s               406    2.08 s
//   1 MiB              494    1.90 s               389    1.92 s
//   2 MiB (maximum)    698    1.43 s               375    1.60 s
//   curl -T (64 KiB)  1089    0.61 s (no hash)     382    0.80 s
//
// 2 MiB, libcurl's maximum, costs the least CPU and is the fastest where
// the client is the bottleneck; against the real server every size is
// within the noise of curl.  (Other builds were running on the machine:
// the spread between rounds was +-20%.)

namespace bgclient {

double now_seconds()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long timeout_left(double deadline)
{
    if (deadline <= 0) {
        return 0;
    }
    long ms = static_cast<long>(std::ceil((deadline - now_seconds()) * 1000.0));
    return ms < 1 ? 1 : ms;
}

std::string version_text()
{
    return std::string("bgclient ") + bgclient_version + " (" + curl_version() + ")";
}

bool preflight(const Config &cfg, std::string &error)
{
    CURLU *u = curl_url();
    if (u == nullptr) {
        error = "out of memory";
        return false;
    }
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, cfg.target_url.c_str(), 0);
    curl_url_cleanup(u);
    if (uc != CURLUE_OK) {
        error = "bad <url> '" + redact_url(cfg.url) + "': " + curl_url_strerror(uc);
        return false;
    }

    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    if (cfg.target_url.compare(0, 8, "https://") == 0 && !(vi->features & CURL_VERSION_SSL)) {
        error = "this libcurl was built without TLS: https:// is not available";
        return false;
    }
    if (cfg.http_version == HttpVersion::http2 && !(vi->features & CURL_VERSION_HTTP2)) {
        error = "this libcurl was built without HTTP/2: --http2 is not available";
        return false;
    }
    return true;
}

std::uint64_t server_taken(std::uint64_t written, const std::vector<int> &fds,
                           std::uint64_t cap, bool *queue_empty)
{
    std::uint64_t q = 0;
    for (int fd : fds) {
        int queued = 0;
        if (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0) {
            q += static_cast<std::uint64_t>(queued);
        }
    }
    if (queue_empty != nullptr) {
        *queue_empty = q == 0;
    }
    std::uint64_t taken = written > q ? written - q : 0;
    return taken < cap ? taken : cap;
}

AttemptResult run_attempt(const Config &cfg, Source &src, ProgressMeter &meter,
                          long timeout_ms, unsigned attempt)
{
    std::vector<int> sockets;
    Exchange x;
    x.cfg = &cfg;
    x.meter = &meter;
    x.sockets = &sockets;
    x.body = BodyKind::stream;
    x.src = &src;

    EasyPtr easy(curl_easy_init());
    MultiPtr multi(curl_multi_init());
    if (!easy || !multi) {
        x.res.curl_code = CURLE_OUT_OF_MEMORY;
        x.res.curl_error = "cannot initialise libcurl";
        return x.res;
    }

    if (!cfg.overwrite) {
        x.add_header("If-None-Match: *");
    }

    CURL *e = easy.get();
    setup_exchange(e, x, "PUT", cfg.target_url, timeout_ms, cfg.limit_rate);

    if (cfg.verbose) {
        meter.message("* bgclient: attempt " + std::to_string(attempt) + ": PUT "
                      + redact_url(cfg.target_url) + ", "
                      + (src.size() < 0 ? std::string("size unknown (chunked)")
                                        : std::to_string(src.size()) + " bytes")
                      + ", upload buffer " + std::to_string(upload_buffer_size) + " bytes");
    }

    curl_multi_add_handle(multi.get(), e);

    const double t0 = now_seconds();
    meter.start(src.size(), t0);

    int code = run_transfer(multi.get(), e, x, [&] {
        double now = now_seconds();
        if (meter.due(now)) {
            curl_off_t written = 0;
            curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &written);
            bool queue_empty = false;
            std::uint64_t w = written > 0 ? static_cast<std::uint64_t>(written) : 0;
            std::uint64_t taken = server_taken(w, sockets, src.bytes_read(), &queue_empty);
            bool read_all = src.size() >= 0
                                ? src.bytes_read() == static_cast<std::uint64_t>(src.size())
                                : src.eof();
            bool all_sent = read_all && queue_empty && w >= src.bytes_read()
                            && !sockets.empty();
            meter.update(now, taken, all_sent);
        }
    });

    finish_exchange(e, x, code, timeout_ms, now_seconds() - t0);
    x.res.sent = src.bytes_read();

    curl_multi_remove_handle(multi.get(), e);
    return x.res;
}

}  // namespace bgclient
