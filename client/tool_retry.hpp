// When and how long to wait before trying again: exponential backoff with
// jitter (from an injectable random source, so tests are deterministic),
// Retry-After parsing (delta-seconds or HTTP-date), and which answers are
// worth retrying.  No libcurl here.
#pragma once

#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace bgclient {

struct BackoffPolicy {
    double base = 1.0;    // first delay, seconds
    double factor = 2.0;  // growth per retry
    double cap = 60.0;    // longest delay before jitter
};

// Retry-After values above this are not waited for: the run fails instead
// of sleeping for hours.
constexpr double max_retry_after = 600.0;

class Backoff {
public:
    // rng returns a uniform number in [0, 1); by default a seeded mt19937.
    explicit Backoff(BackoffPolicy policy = {}, std::function<double()> rng = nullptr);

    // Delay before retry number n (1 = the first retry): the exponential step
    // min(cap, base * factor^(n-1)) scaled by a jitter in [0.5, 1.0), so that
    // many clients failing together do not come back together.
    double delay(unsigned n);

    // The same, but never shorter than what the server asked in Retry-After.
    double delay(unsigned n, std::optional<double> retry_after);

private:
    BackoffPolicy policy_;
    std::function<double()> rng_;
};

// Retry-After: "120" or an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT", and the
// obsolete RFC 850 and asctime forms).  Returns seconds from "now" (0 for a
// date in the past), nullopt when the value is not valid.
std::optional<double> parse_retry_after(std::string_view value, std::time_t now);

// An HTTP-date as a time_t (UTC); nullopt when it is not one.
std::optional<std::time_t> parse_http_date(std::string_view value);

// HTTP statuses worth retrying: 408, 429 and 5xx, except those that will not
// change by trying again: 501 and 505, and 507 (disk full) unless the server
// said when to come back.
bool status_retryable(long status, bool has_retry_after);

}  // namespace bgclient
