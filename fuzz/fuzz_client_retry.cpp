// Fuzz target: when bgclient tries again (client/tool_retry: Retry-After,
// HTTP-dates, backoff, which statuses are retried).
//
// The input is a Retry-After value; its first 8 bytes also give "now" and
// the jitter of the backoff.  Properties:
// - delta-seconds are exactly the digits' value (up to 10^12, else
//   refused), a date is seconds from now, never negative;
// - an HTTP-date that parses (IMF-fixdate, RFC 850 or asctime) is a time
//   that the module's own http_date() formats to an IMF-fixdate which parses
//   back to the same time, and an IMF-fixdate input is that text, weekday
//   aside (differential with gmtime_r's calendar);
// - the backoff delay is finite, within [step / 2, step) of its exponential
//   step (at most 60 s), whatever the random source returns (NaN, inf,
//   out of range), and never shorter than what the server asked;
// - status_retryable is the documented table.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_client_retry fuzz/corpus/client_retry), from these sources:
// fuzz-sources: client/tool_retry.cpp ngx_module/core/proto/http.cpp
// fuzz-options: -max_len=64
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "proto/http.hpp"
#include "tool_retry.hpp"

using namespace bgclient;

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view value(reinterpret_cast<const char *>(data), size);
    std::int32_t now32 = 0;
    double u = 0;
    if (size >= 8) {
        std::memcpy(&now32, data, 4);
        std::memcpy(&u, data, 8);
    }
    std::time_t now = now32;

    std::optional<double> ra = parse_retry_after(value, now);
    std::string_view v = trim(value);
    if (!v.empty() && v[0] >= '0' && v[0] <= '9') {
        bool digits = v.find_first_not_of("0123456789") == std::string_view::npos;
        std::size_t nz = v.find_first_not_of('0');
        std::string_view sig = nz == std::string_view::npos ? std::string_view() : v.substr(nz);
        if (!digits || sig.size() > 13 || (sig.size() == 13 && sig != "1000000000000")) {
            fuzz_check(!ra);
        } else {
            fuzz_check(ra && *ra == (sig.empty() ? 0.0 : std::stod(std::string(sig))));
        }
    } else {
        std::optional<std::time_t> when = parse_http_date(value);
        fuzz_check(ra.has_value() == when.has_value());
        if (when) {
            fuzz_check(*ra >= 0 && *ra == (*when > now ? std::difftime(*when, now) : 0.0));
            std::string imf = bigupload::http_date(*when);
            fuzz_check(parse_http_date(imf) == when);
            bool leap = v.find(":60") != std::string_view::npos;
            if (v.size() == 29 && v[3] == ',' && !leap) {
                fuzz_check(imf.substr(3) == v.substr(3));
            }
        }
    }

    Backoff b(BackoffPolicy{}, [u] { return u; });
    unsigned n = size > 0 ? data[size - 1] : 0;
    double step = std::min(60.0, std::pow(2.0, n == 0 ? 0 : n - 1));
    double d = b.delay(n);
    fuzz_check(std::isfinite(d) && d >= step / 2 && d < step);
    double r = b.delay(n, ra);
    fuzz_check(r >= d && (!ra || r >= *ra) && (ra && *ra > d ? r == *ra : r == d));

    long status = size >= 2 ? (data[0] | data[1] << 8) % 700 : 0;
    bool want = status == 408 || status == 429
                || (status >= 500 && status <= 599 && status != 501 && status != 505
                    && (status != 507 || (size > 2 && data[2] & 1)));
    fuzz_check(status_retryable(status, size > 2 && data[2] & 1) == want);
    return 0;
}
