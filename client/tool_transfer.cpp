#include "tool_transfer.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>

#include <curl/curl.h>
#include <linux/sockios.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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

namespace {

constexpr std::size_t max_body = 64 * 1024;  // of the server's answer, kept

struct Ctx {
    const Config *cfg;
    Source *src;
    ProgressMeter *meter;
    AttemptResult *res;
    // The sockets libcurl opened for this transfer (CURLINFO_ACTIVESOCKET is
    // only set once a transfer is over, in libcurl 7.88): their send queues
    // are what the server has not taken yet.
    std::vector<int> sockets;
};

std::string trim_crlf(std::string s)
{
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' '
                          || s.back() == '\t')) {
        s.pop_back();
    }
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    return s.substr(i);
}

bool header_is(const std::string &line, const char *name)
{
    std::size_t n = std::strlen(name);
    return line.size() > n && line[n] == ':' && strncasecmp(line.c_str(), name, n) == 0;
}

extern "C" size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    Ctx *c = static_cast<Ctx *>(ud);
    ssize_t r = c->src->read(buf, size * nitems);
    if (r < 0) {
        if (c->src->interrupted()) {
            c->res->interrupted = true;
        } else {
            c->res->source_failed = true;
            c->res->source_error = c->src->error();
        }
        return CURL_READFUNC_ABORT;
    }
    return static_cast<size_t>(r);
}

// libcurl rewinds the body when it must send it again on the same
// transfer (a 417 to "Expect: 100-continue", an auth round trip).
extern "C" int seek_cb(void *ud, curl_off_t offset, int origin)
{
    Ctx *c = static_cast<Ctx *>(ud);
    if (origin == SEEK_SET && offset == 0 && c->src->rewind()) {
        return CURL_SEEKFUNC_OK;
    }
    return CURL_SEEKFUNC_CANTSEEK;
}

extern "C" int xferinfo_cb(void *ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    Ctx *c = static_cast<Ctx *>(ud);
    if (interrupted()) {
        c->res->interrupted = true;
        return 1;  // libcurl aborts with CURLE_ABORTED_BY_CALLBACK
    }
    return 0;
}

extern "C" size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    Ctx *c = static_cast<Ctx *>(ud);
    std::size_t n = size * nitems;
    std::string line(buf, n);

    if (line.compare(0, 5, "HTTP/") == 0) {
        // a new response (after "100 Continue", or a rewind): start over
        c->res->reason.clear();
        c->res->retry_after.clear();
        c->res->location.clear();
        c->res->body.clear();
        std::string l = trim_crlf(line);
        std::size_t sp1 = l.find(' ');
        std::size_t sp2 = sp1 == std::string::npos ? sp1 : l.find(' ', sp1 + 1);
        if (sp2 != std::string::npos) {
            c->res->reason = l.substr(sp2 + 1);
        }
    } else if (header_is(line, "retry-after")) {
        c->res->retry_after = trim_crlf(line.substr(12));
    } else if (header_is(line, "location")) {
        c->res->location = trim_crlf(line.substr(9));
    }
    return n;
}

extern "C" size_t write_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    Ctx *c = static_cast<Ctx *>(ud);
    std::size_t n = size * nitems;
    std::string &body = c->res->body;
    if (body.size() < max_body) {
        body.append(buf, std::min(n, max_body - body.size()));
    }
    return n;
}

// -v: libcurl's trace, routed through the meter so it never tears the bar;
// Authorization values are not printed.
extern "C" int debug_cb(CURL *, curl_infotype type, char *data, size_t size, void *ud)
{
    Ctx *c = static_cast<Ctx *>(ud);
    const char *prefix;

    switch (type) {
    case CURLINFO_TEXT: prefix = "* "; break;
    case CURLINFO_HEADER_IN: prefix = "< "; break;
    case CURLINFO_HEADER_OUT: prefix = "> "; break;
    default: return 0;
    }

    std::string text(data, size);
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty()) {
            continue;
        }
        if (header_is(line, "authorization") || header_is(line, "proxy-authorization")) {
            line = line.substr(0, line.find(':') + 1) + " <redacted>";
        }
        c->meter->message(prefix + line);
    }
    return 0;
}

extern "C" curl_socket_t open_socket_cb(void *ud, curlsocktype, struct curl_sockaddr *a)
{
    Ctx *c = static_cast<Ctx *>(ud);
    int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0) {
        return CURL_SOCKET_BAD;
    }
    c->sockets.push_back(fd);
    return fd;
}

extern "C" int close_socket_cb(void *ud, curl_socket_t fd)
{
    Ctx *c = static_cast<Ctx *>(ud);
    c->sockets.erase(std::remove(c->sockets.begin(), c->sockets.end(), fd), c->sockets.end());
    return close(fd);
}

struct EasyDeleter {
    void operator()(CURL *e) const { curl_easy_cleanup(e); }
};
struct MultiDeleter {
    void operator()(CURLM *m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
    void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};

long curl_http_version(const Config &cfg)
{
    switch (cfg.http_version) {
    case HttpVersion::http2:
        // nginx speaks cleartext HTTP/2 only with prior knowledge (no h2c
        // upgrade); over TLS, ALPN negotiates it
        return cfg.target_url.compare(0, 8, "https://") == 0
                   ? CURL_HTTP_VERSION_2TLS
                   : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    case HttpVersion::http1_1:
    case HttpVersion::automatic:
        break;
    }
    // HTTP/1.1 by default, also over TLS: one big stream gains nothing from
    // HTTP/2 and may lose to its flow-control windows
    return CURL_HTTP_VERSION_1_1;
}

const char *http_version_name(long v)
{
    switch (v) {
    case CURL_HTTP_VERSION_1_0: return "HTTP/1.0";
    case CURL_HTTP_VERSION_1_1: return "HTTP/1.1";
    case CURL_HTTP_VERSION_2_0: return "HTTP/2";
    case CURL_HTTP_VERSION_3: return "HTTP/3";
    }
    return "";
}

}  // namespace

double now_seconds()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
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
    AttemptResult res;
    Ctx ctx{&cfg, &src, &meter, &res, {}};
    char errbuf[CURL_ERROR_SIZE] = "";

    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
    if (!easy || !multi) {
        res.curl_code = CURLE_OUT_OF_MEMORY;
        res.curl_error = "cannot initialise libcurl";
        return res;
    }

    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&headers](const std::string &h) {
        curl_slist *l = curl_slist_append(headers.get(), h.c_str());
        if (l != nullptr) {
            headers.release();
            headers.reset(l);
        }
    };
    if (!cfg.overwrite) {
        add_header("If-None-Match: *");
    }
    for (const std::string &h : cfg.headers) {
        add_header(h);
    }

    CURL *e = easy.get();
    const std::string ua = std::string("bgclient/") + bgclient_version;

    curl_easy_setopt(e, CURLOPT_URL, cfg.target_url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);  // PUT
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, &ctx);
    curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
    curl_easy_setopt(e, CURLOPT_SEEKDATA, &ctx);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(src.size()));
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, upload_buffer_size);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &ctx);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &ctx);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, &ctx);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, ua.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, curl_http_version(cfg));
    // a long "waiting for server" must not let a NAT forget the connection
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &ctx);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket_cb);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, &ctx);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 15L);

    if (cfg.have_user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(e, CURLOPT_USERPWD, cfg.user.c_str());
    }
    if (!cfg.bearer.empty()) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
        curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, cfg.bearer.c_str());
    }
    if (cfg.insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!cfg.cacert.empty()) {
        curl_easy_setopt(e, CURLOPT_CAINFO, cfg.cacert.c_str());
    }
    if (cfg.limit_rate > 0) {
        curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE,
                         static_cast<curl_off_t>(cfg.limit_rate));
    }
    if (cfg.connect_timeout_ms > 0) {
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg.connect_timeout_ms);
    }
    if (timeout_ms > 0) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    }
    if (cfg.verbose) {
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, &ctx);
        meter.message("* bgclient: attempt " + std::to_string(attempt) + ": PUT "
                      + redact_url(cfg.target_url) + ", "
                      + (src.size() < 0 ? std::string("size unknown (chunked)")
                                        : std::to_string(src.size()) + " bytes")
                      + ", upload buffer " + std::to_string(upload_buffer_size) + " bytes");
    }

    curl_multi_add_handle(multi.get(), e);

    const double t0 = now_seconds();
    meter.start(src.size(), t0);

    int running = 1;
    CURLMcode mc = CURLM_OK;

    for (;;) {
        mc = curl_multi_perform(multi.get(), &running);
        if (mc != CURLM_OK) {
            break;
        }

        double now = now_seconds();
        if (meter.due(now)) {
            curl_off_t written = 0;
            curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &written);
            bool queue_empty = false;
            std::uint64_t w = written > 0 ? static_cast<std::uint64_t>(written) : 0;
            std::uint64_t taken = server_taken(w, ctx.sockets, src.bytes_read(), &queue_empty);
            bool read_all = src.size() >= 0
                                ? src.bytes_read() == static_cast<std::uint64_t>(src.size())
                                : src.eof();
            bool all_sent = read_all && queue_empty && w >= src.bytes_read()
                            && !ctx.sockets.empty();
            meter.update(now, taken, all_sent);
        }

        if (!running) {
            break;
        }
        if (interrupted()) {
            res.interrupted = true;
            break;
        }

        mc = curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
        if (mc != CURLM_OK) {
            break;
        }
    }

    res.elapsed = now_seconds() - t0;
    res.sent = src.bytes_read();

    if (mc != CURLM_OK) {
        res.curl_code = CURLE_OUT_OF_MEMORY;
        res.curl_error = curl_multi_strerror(mc);
    } else if (!running) {
        int left = 0;
        while (CURLMsg *m = curl_multi_info_read(multi.get(), &left)) {
            if (m->msg == CURLMSG_DONE && m->easy_handle == e) {
                res.curl_code = m->data.result;
            }
        }
    } else {
        res.curl_code = CURLE_ABORTED_BY_CALLBACK;
    }

    if (res.curl_code != CURLE_OK && res.curl_error.empty()) {
        res.curl_error = errbuf[0] != '\0' ? errbuf
                                           : curl_easy_strerror(static_cast<CURLcode>(res.curl_code));
    }
    if (res.curl_code == CURLE_ABORTED_BY_CALLBACK && interrupted()) {
        res.interrupted = true;
    }
    if (res.curl_code == CURLE_OPERATION_TIMEDOUT && timeout_ms > 0
        && res.elapsed * 1000.0 >= static_cast<double>(timeout_ms) * 0.98) {
        res.deadline = true;
    }

    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    res.status = status;
    long version = 0;
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    res.http_version = http_version_name(version);

    curl_multi_remove_handle(multi.get(), e);
    return res;
}

}  // namespace bgclient
