// One HTTP exchange with libcurl: the options every bgclient request shares
// (URL, credentials, TLS, HTTP version, user agent, keepalive, -H, -v) and
// the callbacks that read the body, collect the answer and track sockets.
// The plain PUT (tool_transfer), HEAD and DELETE (tool_request) and the
// range PUTs of a resumable upload (tool_ranges) are all built on it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "tool_args.hpp"
#include "tool_outcome.hpp"
#include "tool_progress.hpp"
#include "tool_source.hpp"

namespace bgclient {

struct EasyDeleter {
    void operator()(CURL *e) const { curl_easy_cleanup(e); }
};
struct MultiDeleter {
    void operator()(CURLM *m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
    void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};

using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;

// An answer's header lines, names lowercased, values trimmed, in order.
using Fields = std::vector<std::pair<std::string, std::string>>;

// The first value of header "name" (lowercase), "" when absent.
std::string field_value(const Fields &fields, const char *name);

enum class BodyKind {
    none,      // HEAD, DELETE
    stream,    // the Source read in order and hashed (plain PUT)
    range,     // [from, to) of the Source, read with read_at (resumable PUT)
};

// The user data of every callback of one request.
struct Exchange {
    const Config *cfg = nullptr;
    ProgressMeter *meter = nullptr;
    // The sockets libcurl opened for the requests of one multi handle
    // (CURLINFO_ACTIVESOCKET is only set once a transfer is over, in libcurl
    // 7.88): their send queues are what the server has not taken yet.
    std::vector<int> *sockets = nullptr;

    BodyKind body = BodyKind::none;
    Source *src = nullptr;
    std::uint64_t from = 0, to = 0, pos = 0;  // BodyKind::range

    AttemptResult res;
    // the answer's resumable-upload headers, raw
    std::string upload_offset, upload_ranges, upload_length, content_length;
    std::string repr_digest;
    // the IETF draft's fields (--protocol ietf): of the answer, and of the
    // last "104 Upload Resumption Supported", which names the upload
    // resource before the final answer comes (if it ever does)
    std::string upload_limit, upload_complete, upload_incomplete;
    bool in_104 = false;
    std::string resume_location, resume_limit;
    // every header of the final answer (what another dialect reads: tus's
    // Tus-*, Upload-Expires ...)
    Fields fields;

    char errbuf[CURL_ERROR_SIZE] = "";
    std::unique_ptr<curl_slist, SlistDeleter> headers;

    void add_header(const std::string &h);
    // body bytes read so far (for the progress cap)
    std::uint64_t body_read() const;
};

// Sets the options shared by every request on e for x (which must outlive
// the transfer): x.cfg, x.meter and x.sockets must be set, and the request
// headers added (they are handed to libcurl here).  method: "PUT" or
// "PATCH" (with the body x.body), "POST" (an empty body), "HEAD", or any
// other without a body ("DELETE", "OPTIONS").  timeout_ms 0: none.  limit_rate 0: none.
void setup_exchange(CURL *e, Exchange &x, const std::string &method, const std::string &url,
                    long timeout_ms, std::uint64_t limit_rate);

// After the transfer: fills x.res (curl code and error, status, HTTP
// version, deadline) from the done message's code.
void finish_exchange(CURL *e, Exchange &x, int curl_code, long timeout_ms, double elapsed);

// Drives the one transfer e (already added to multi) until it is done, the
// user interrupts (x.res.interrupted) or the multi handle fails; calls
// on_tick after every round of work.  Returns the transfer's curl code
// (CURLE_ABORTED_BY_CALLBACK when interrupted).
int run_transfer(CURLM *multi, CURL *e, Exchange &x, const std::function<void()> &on_tick);

// "HTTP/1.1", "HTTP/2" for a CURL_HTTP_VERSION_* value.
const char *http_version_name(long v);

}  // namespace bgclient
