#include "tool_request.hpp"

#include <vector>

#include "tool_easy.hpp"
#include "tool_signal.hpp"
#include "tool_transfer.hpp"
#include "tool_url.hpp"

namespace bgclient {

Reply send_request(const Config &cfg, const std::string &method, const std::string &key,
                   ProgressMeter &meter, long timeout_ms)
{
    std::vector<std::string> headers;
    if (!key.empty()) {
        headers.push_back("Upload-Key: " + key);
    }
    if (cfg.verbose) {
        meter.message("* bgclient: " + method + " " + redact_url(cfg.target_url)
                      + (key.empty() ? std::string() : ", upload key " + key));
    }
    return send_bodiless(cfg, method, cfg.target_url, headers, meter, timeout_ms);
}

Reply send_bodiless(const Config &cfg, const std::string &method, const std::string &url,
                    const std::vector<std::string> &headers, ProgressMeter &meter,
                    long timeout_ms)
{
    Reply out;
    std::vector<int> sockets;
    Exchange x;
    x.cfg = &cfg;
    x.meter = &meter;
    x.sockets = &sockets;

    EasyPtr easy(curl_easy_init());
    MultiPtr multi(curl_multi_init());
    if (!easy || !multi) {
        out.res.curl_code = CURLE_OUT_OF_MEMORY;
        out.res.curl_error = "cannot initialise libcurl";
        return out;
    }

    for (const std::string &h : headers) {
        x.add_header(h);
    }

    CURL *e = easy.get();
    setup_exchange(e, x, method, url, timeout_ms, 0);

    curl_multi_add_handle(multi.get(), e);
    const double t0 = now_seconds();
    int code = run_transfer(multi.get(), e, x, [] {});

    finish_exchange(e, x, code, timeout_ms, now_seconds() - t0);
    curl_multi_remove_handle(multi.get(), e);

    out.res = x.res;
    out.head.status = x.res.curl_code == CURLE_OK ? x.res.status : 0;
    out.head.upload_offset = x.upload_offset;
    out.head.upload_ranges = x.upload_ranges;
    out.head.upload_length = x.upload_length;
    out.head.content_length = x.content_length;
    out.head.repr_digest = x.repr_digest;
    out.fields = x.fields;
    return out;
}

}  // namespace bgclient
