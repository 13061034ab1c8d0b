#include "tool_easy.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool_help.hpp"
#include "tool_transfer.hpp"
#include "tool_signal.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

constexpr std::size_t max_body = 64 * 1024;  // of the server's answer, kept

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

std::string header_value(const std::string &line)
{
    return trim_crlf(line.substr(line.find(':') + 1));
}

extern "C" size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    Exchange *x = static_cast<Exchange *>(ud);
    std::size_t n = size * nitems;
    ssize_t r;

    if (x->body == BodyKind::range) {
        std::uint64_t left = x->to - x->pos;
        if (n > left) {
            n = static_cast<std::size_t>(left);
        }
        r = n == 0 ? 0 : x->src->read_at(buf, n, x->pos);
        if (r > 0) {
            x->pos += static_cast<std::uint64_t>(r);
        }
    } else {
        r = x->src->read(buf, n);
    }

    if (r < 0) {
        if (x->src->interrupted() || interrupted()) {
            x->res.interrupted = true;
        } else {
            x->res.source_failed = true;
            x->res.source_error = x->src->error();
        }
        return CURL_READFUNC_ABORT;
    }
    return static_cast<size_t>(r);
}

// libcurl rewinds the body when it must send it again on the same
// transfer (a 417 to "Expect: 100-continue", an auth round trip).
extern "C" int seek_cb(void *ud, curl_off_t offset, int origin)
{
    Exchange *x = static_cast<Exchange *>(ud);
    if (origin != SEEK_SET || offset != 0) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    if (x->body == BodyKind::range) {
        x->pos = x->from;
        return CURL_SEEKFUNC_OK;
    }
    return x->src->rewind() ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
}

extern "C" int xferinfo_cb(void *ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    Exchange *x = static_cast<Exchange *>(ud);
    if (interrupted()) {
        x->res.interrupted = true;
        return 1;  // libcurl aborts with CURLE_ABORTED_BY_CALLBACK
    }
    return 0;
}

extern "C" size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    Exchange *x = static_cast<Exchange *>(ud);
    std::size_t n = size * nitems;
    std::string line(buf, n);
    AttemptResult &res = x->res;

    if (line.compare(0, 5, "HTTP/") == 0) {
        // a new response (after "100 Continue", or a rewind): start over
        res.reason.clear();
        res.retry_after.clear();
        res.location.clear();
        res.repr_digest.clear();
        res.body.clear();
        x->upload_offset.clear();
        x->upload_ranges.clear();
        x->upload_length.clear();
        x->content_length.clear();
        x->repr_digest.clear();
        x->upload_limit.clear();
        x->upload_complete.clear();
        x->upload_incomplete.clear();
        x->fields.clear();
        std::string l = trim_crlf(line);
        std::size_t sp1 = l.find(' ');
        std::size_t sp2 = sp1 == std::string::npos ? sp1 : l.find(' ', sp1 + 1);
        if (sp2 != std::string::npos) {
            res.reason = l.substr(sp2 + 1);
        }
        x->in_104 = sp1 != std::string::npos && l.compare(sp1 + 1, 3, "104") == 0;
        return n;
    }

    std::size_t colon = line.find(':');
    if (colon != std::string::npos && colon > 0) {
        std::string name = line.substr(0, colon);
        for (char &c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        x->fields.emplace_back(name, header_value(line));
    }

    if (header_is(line, "retry-after")) {
        res.retry_after = header_value(line);
    } else if (header_is(line, "location")) {
        res.location = header_value(line);
        if (x->in_104) {
            x->resume_location = res.location;
        }
    } else if (header_is(line, "upload-limit")) {
        x->upload_limit = header_value(line);
        if (x->in_104) {
            x->resume_limit = x->upload_limit;
        }
    } else if (header_is(line, "upload-complete")) {
        x->upload_complete = header_value(line);
    } else if (header_is(line, "upload-incomplete")) {
        x->upload_incomplete = header_value(line);
    } else if (header_is(line, "repr-digest")) {
        res.repr_digest = header_value(line);
        x->repr_digest = res.repr_digest;
    } else if (header_is(line, "upload-offset")) {
        x->upload_offset = header_value(line);
    } else if (header_is(line, "upload-ranges")) {
        x->upload_ranges = header_value(line);
    } else if (header_is(line, "upload-length")) {
        x->upload_length = header_value(line);
    } else if (header_is(line, "content-length")) {
        x->content_length = header_value(line);
    }
    return n;
}

extern "C" size_t write_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    Exchange *x = static_cast<Exchange *>(ud);
    std::size_t n = size * nitems;
    std::string &body = x->res.body;
    if (body.size() < max_body) {
        body.append(buf, std::min(n, max_body - body.size()));
    }
    return n;
}

// -v: libcurl's trace, routed through the meter so it never tears the bar;
// Authorization values are not printed.
extern "C" int debug_cb(CURL *, curl_infotype type, char *data, size_t size, void *ud)
{
    Exchange *x = static_cast<Exchange *>(ud);
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
        x->meter->message(prefix + line);
    }
    return 0;
}

extern "C" curl_socket_t open_socket_cb(void *ud, curlsocktype, struct curl_sockaddr *a)
{
    Exchange *x = static_cast<Exchange *>(ud);
    int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0) {
        return CURL_SOCKET_BAD;
    }
    x->sockets->push_back(fd);
    return fd;
}

// The socket may be closed by another request of the same multi handle than
// the one that opened it (a connection is reused): "sockets" is shared.
extern "C" int close_socket_cb(void *ud, curl_socket_t fd)
{
    std::vector<int> *sockets = static_cast<std::vector<int> *>(ud);
    sockets->erase(std::remove(sockets->begin(), sockets->end(), fd), sockets->end());
    return close(fd);
}

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

}  // namespace

void Exchange::add_header(const std::string &h)
{
    curl_slist *l = curl_slist_append(headers.get(), h.c_str());
    if (l != nullptr) {
        headers.release();
        headers.reset(l);
    }
}

std::uint64_t Exchange::body_read() const
{
    switch (body) {
    case BodyKind::range: return pos - from;
    case BodyKind::stream: return src->bytes_read();
    case BodyKind::none: break;
    }
    return 0;
}

std::string field_value(const Fields &fields, const char *name)
{
    for (const auto &f : fields) {
        if (f.first == name) {
            return f.second;
        }
    }
    return "";
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

void setup_exchange(CURL *e, Exchange &x, const std::string &method, const std::string &url,
                    long timeout_ms, std::uint64_t limit_rate)
{
    const Config &cfg = *x.cfg;
    static const std::string ua = std::string("bgclient/") + bgclient_version;

    for (const std::string &h : cfg.headers) {
        x.add_header(h);
    }

    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");

    if (method == "PUT" || method == "PATCH") {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        if (method == "PATCH") {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
        }
        curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(e, CURLOPT_READDATA, &x);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, &x);
        curl_off_t len = x.body == BodyKind::range
                             ? static_cast<curl_off_t>(x.to - x.from)
                             : static_cast<curl_off_t>(x.src->size());
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, len);
        curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, upload_buffer_size);
    } else if (method == "HEAD") {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (method == "POST") {
        // an empty body with "Content-Length: 0" (tus's creation request)
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
        x.add_header("Content-Type:");  // not libcurl's form type: there is no form
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x.errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, ua.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x.headers.get());
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, curl_http_version(cfg));
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &x);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket_cb);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, x.sockets);
    // a long "waiting for server" must not let a NAT forget the connection
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
    if (limit_rate > 0) {
        curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(limit_rate));
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
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, &x);
    }
}

void finish_exchange(CURL *e, Exchange &x, int curl_code, long timeout_ms, double elapsed)
{
    AttemptResult &res = x.res;
    res.curl_code = curl_code;
    res.elapsed = elapsed;

    if (res.curl_code != CURLE_OK && res.curl_error.empty()) {
        res.curl_error = x.errbuf[0] != '\0'
                             ? x.errbuf
                             : curl_easy_strerror(static_cast<CURLcode>(res.curl_code));
    }
    if (res.curl_code == CURLE_ABORTED_BY_CALLBACK && interrupted()) {
        res.interrupted = true;
    }
    if (res.curl_code == CURLE_OPERATION_TIMEDOUT && timeout_ms > 0
        && elapsed * 1000.0 >= static_cast<double>(timeout_ms) * 0.98) {
        res.deadline = true;
    }

    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    res.status = status;
    long version = 0;
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    res.http_version = http_version_name(version);
}

int run_transfer(CURLM *multi, CURL *e, Exchange &x, const std::function<void()> &on_tick)
{
    int running = 1;
    CURLMcode mc = CURLM_OK;

    for (;;) {
        mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            break;
        }

        on_tick();

        if (!running) {
            break;
        }
        if (interrupted()) {
            x.res.interrupted = true;
            break;
        }

        mc = curl_multi_poll(multi, nullptr, 0, 100, nullptr);
        if (mc != CURLM_OK) {
            break;
        }
    }

    int code = CURLE_ABORTED_BY_CALLBACK;
    if (mc != CURLM_OK) {
        code = CURLE_OUT_OF_MEMORY;
        x.res.curl_error = curl_multi_strerror(mc);
    } else if (!running) {
        int left = 0;
        while (CURLMsg *m = curl_multi_info_read(multi, &left)) {
            if (m->msg == CURLMSG_DONE && m->easy_handle == e) {
                code = m->data.result;
            }
        }
    }

    return code;
}

}  // namespace bgclient
