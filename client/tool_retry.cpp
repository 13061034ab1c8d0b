#include "tool_retry.hpp"

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>

namespace bgclient {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'
                          || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

// A small cursor over the date text.
struct Cursor {
    std::string_view s;

    bool literal(std::string_view lit)
    {
        if (s.substr(0, lit.size()) != lit) {
            return false;
        }
        s.remove_prefix(lit.size());
        return true;
    }

    bool spaces(bool required)
    {
        std::size_t n = 0;
        while (n < s.size() && s[n] == ' ') {
            n++;
        }
        s.remove_prefix(n);
        return n > 0 || !required;
    }

    // exactly "min".."max" digits
    bool number(int min_digits, int max_digits, int &out)
    {
        int n = 0;
        int v = 0;
        while (n < max_digits && n < static_cast<int>(s.size()) && is_digit(s[n])) {
            v = v * 10 + (s[n] - '0');
            n++;
        }
        if (n < min_digits || (n < static_cast<int>(s.size()) && is_digit(s[n]))) {
            return false;
        }
        s.remove_prefix(static_cast<std::size_t>(n));
        out = v;
        return true;
    }

    bool one_of(const char *const *names, int count, int &index)
    {
        for (int i = 0; i < count; i++) {
            if (literal(names[i])) {
                index = i;
                return true;
            }
        }
        return false;
    }

    bool time_of_day(int &h, int &m, int &sec)
    {
        return number(2, 2, h) && literal(":") && number(2, 2, m) && literal(":")
               && number(2, 2, sec) && h < 24 && m < 60 && sec <= 60;
    }
};

const char *const short_days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
const char *const long_days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};
const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): no
// timegm() and no time zone involved.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool valid_day(int year, int month, int day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int max = mdays[month] + (month == 1 && leap ? 1 : 0);
    return day >= 1 && day <= max;
}

std::optional<std::time_t> make_time(int year, int month, int day, int h, int m, int s)
{
    if (!valid_day(year, month, day)) {
        return std::nullopt;
    }
    std::int64_t days = days_from_civil(year, static_cast<unsigned>(month + 1),
                                        static_cast<unsigned>(day));
    std::time_t t = static_cast<std::time_t>(days * 86400 + h * 3600 + m * 60 + s);
    // a leap second at the end of 9999 would be a time of year 10000, which
    // no IMF-fixdate can name (found by fuzz_client_retry)
    if (t > 253402300799) {
        return std::nullopt;
    }
    return t;
}

}  // namespace

Backoff::Backoff(BackoffPolicy policy, std::function<double()> rng)
    : policy_(policy), rng_(std::move(rng))
{
    if (!rng_) {
        auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
        rng_ = [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
    }
}

double Backoff::delay(unsigned n)
{
    if (n == 0) {
        n = 1;
    }
    double step = policy_.base * std::pow(policy_.factor, static_cast<double>(n - 1));
    if (!(step <= policy_.cap)) {
        step = policy_.cap;  // also catches inf/nan from a huge n
    }
    double u = rng_();
    if (!(u >= 0.0)) {
        u = 0.0;
    } else if (u >= 1.0) {
        u = 0.999999;
    }
    return step * (0.5 + 0.5 * u);
}

double Backoff::delay(unsigned n, std::optional<double> retry_after)
{
    double d = delay(n);
    if (retry_after && *retry_after > d) {
        d = *retry_after;
    }
    return d;
}

std::optional<std::time_t> parse_http_date(std::string_view value)
{
    Cursor c{trim(value)};
    int wday, day, month, year, h, m, s;

    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    {
        Cursor t = c;
        if (t.one_of(short_days, 7, wday) && t.literal(", ") && t.number(2, 2, day)
            && t.literal(" ") && t.one_of(months, 12, month) && t.literal(" ")
            && t.number(4, 4, year) && t.literal(" ") && t.time_of_day(h, m, s)
            && t.literal(" GMT") && t.s.empty()) {
            return make_time(year, month, day, h, m, s);
        }
    }

    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years: 70..99 are
    // 19xx, the rest 20xx, as the 50-year rule of RFC 9110 gives today)
    {
        Cursor t = c;
        if (t.one_of(long_days, 7, wday) && t.literal(", ") && t.number(2, 2, day)
            && t.literal("-") && t.one_of(months, 12, month) && t.literal("-")
            && t.number(2, 2, year) && t.literal(" ") && t.time_of_day(h, m, s)
            && t.literal(" GMT") && t.s.empty()) {
            year += year >= 70 ? 1900 : 2000;
            return make_time(year, month, day, h, m, s);
        }
    }

    // asctime: "Sun Nov  6 08:49:37 1994"
    {
        Cursor t = c;
        if (t.one_of(short_days, 7, wday) && t.literal(" ") && t.one_of(months, 12, month)
            && t.spaces(true) && t.number(1, 2, day) && t.literal(" ")
            && t.time_of_day(h, m, s) && t.literal(" ") && t.number(4, 4, year)
            && t.s.empty()) {
            return make_time(year, month, day, h, m, s);
        }
    }

    return std::nullopt;
}

std::optional<double> parse_retry_after(std::string_view value, std::time_t now)
{
    std::string_view v = trim(value);
    if (v.empty()) {
        return std::nullopt;
    }

    if (is_digit(v[0])) {
        double secs = 0;
        for (char ch : v) {
            if (!is_digit(ch)) {
                return std::nullopt;
            }
            secs = secs * 10 + (ch - '0');
            if (secs > 1e12) {
                return std::nullopt;
            }
        }
        return secs;
    }

    auto when = parse_http_date(v);
    if (!when) {
        return std::nullopt;
    }
    double d = std::difftime(*when, now);
    return d > 0 ? d : 0.0;
}

bool status_retryable(long status, bool has_retry_after)
{
    if (status == 408 || status == 429) {
        return true;
    }
    if (status < 500 || status > 599) {
        return false;
    }
    if (status == 501 || status == 505) {
        return false;
    }
    if (status == 507) {
        return has_retry_after;
    }
    return true;
}

}  // namespace bgclient
