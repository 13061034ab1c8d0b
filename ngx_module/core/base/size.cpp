#include "base/size.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace bigupload {

namespace {

constexpr std::uint64_t max_size = std::numeric_limits<std::int64_t>::max();

}  // namespace

bool take_decimal(std::string_view &s, std::uint64_t &out, bool &overflow)
{
    std::size_t i = 0;
    std::uint64_t v = 0;

    overflow = false;

    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        std::uint64_t d = static_cast<std::uint64_t>(s[i] - '0');
        if (v > (max_size - d) / 10) {
            overflow = true;
            return false;
        }
        v = v * 10 + d;
        i++;
    }

    if (i == 0) {
        return false;
    }

    s.remove_prefix(i);
    out = v;
    return true;
}

std::optional<std::uint64_t> parse_size(std::string_view s)
{
    std::uint64_t v;
    bool overflow;

    if (!take_decimal(s, v, overflow)) {
        return std::nullopt;
    }

    if (s.empty()) {
        return v;
    }

    unsigned shift;

    switch (s[0]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    case 'b': case 'B': shift = 0; break;
    default: return std::nullopt;
    }

    s.remove_prefix(1);

    if (shift != 0) {
        if (s == "iB" || s == "B" || s == "ib" || s == "b") {
            s = {};
        }
    }

    if (!s.empty()) {
        return std::nullopt;
    }

    if (v > (max_size >> shift)) {
        return std::nullopt;
    }

    return v << shift;
}

std::optional<std::uint64_t> parse_count(std::string_view s, std::uint64_t min,
                                         std::uint64_t max)
{
    std::uint64_t v;
    bool overflow;

    if (!take_decimal(s, v, overflow) || !s.empty() || v < min || v > max) {
        return std::nullopt;
    }

    return v;
}

std::string format_size(std::uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB",
                                        "EiB"};
    char buf[32];

    if (bytes < 1024) {
        std::snprintf(buf, sizeof(buf), "%llu B",
                      static_cast<unsigned long long>(bytes));
        return buf;
    }

    double v = static_cast<double>(bytes);
    unsigned u = 0;

    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }

    // three significant digits, but never print "1024.0": roll over instead
    int decimals = v < 10.0 ? 2 : (v < 100.0 ? 1 : 0);
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);

    if (std::string(buf) == "1024" && u < 6) {
        v = 1.0;
        u++;
        decimals = 2;
    }

    std::snprintf(buf, sizeof(buf), "%.*f %s", decimals, v, units[u]);
    return buf;
}

std::string format_rate(double bytes_per_second)
{
    if (!(bytes_per_second >= 0.0) || std::isinf(bytes_per_second)) {
        return "-";
    }

    double b = std::floor(bytes_per_second);
    if (b > static_cast<double>(max_size)) {
        b = static_cast<double>(max_size);
    }

    return format_size(static_cast<std::uint64_t>(b)) + "/s";
}

std::string format_duration(double seconds)
{
    if (!(seconds >= 0.0) || std::isinf(seconds) || seconds > 359999999.0) {
        return "--:--";
    }

    auto t = static_cast<unsigned long long>(seconds);
    unsigned long long h = t / 3600, m = (t / 60) % 60, s = t % 60;
    char buf[32];

    if (h > 0) {
        std::snprintf(buf, sizeof(buf), "%llu:%02llu:%02llu", h, m, s);
    } else {
        std::snprintf(buf, sizeof(buf), "%02llu:%02llu", m, s);
    }

    return buf;
}

}  // namespace bigupload
