// Sizes: parsing "256k"/"4G" with overflow checks, and formatting for humans.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bigupload {

// Consumes the decimal digits at the front of "s" (at least one) into
// "out"; false (with "overflow" set when that was why) past 2^63 - 1.
bool take_decimal(std::string_view &s, std::uint64_t &out, bool &overflow);

// Parses a non-negative byte count: digits, optionally followed by one
// binary suffix k/K, m/M, g/G, t/T (powers of 1024). Optional trailing "B"/"iB"
// is accepted after a suffix ("4GiB", "10MB" == 10 MiB). Returns nullopt on
// empty input, junk, a sign, or overflow of 63 bits (off_t range).
std::optional<std::uint64_t> parse_size(std::string_view s);

// Parses a decimal count (no suffix) within [min, max].
std::optional<std::uint64_t> parse_count(std::string_view s, std::uint64_t min,
                                         std::uint64_t max);

// "0 B", "512 B", "1.0 KiB", "12.3 MiB", "4.00 GiB": three significant digits.
std::string format_size(std::uint64_t bytes);

// "MiB/s" rate from bytes and seconds (seconds <= 0 gives "-").
std::string format_rate(double bytes_per_second);

// "1:02:03" or "02:03" for a duration in seconds; "--:--" for a negative value.
std::string format_duration(double seconds);

}  // namespace bigupload
