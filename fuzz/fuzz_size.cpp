// Fuzz target: sizes and counts (base/size): parse_size ("256k", "4GiB"),
// parse_count, take_decimal, and the human formats of sizes, rates and
// durations.
//
// The input is a value as given to a directive or to a bgclient option.
// Properties:
// - parse_size agrees with a reference parser written here in 128-bit
//   arithmetic (differential): the same value, or both refuse; never above
//   2^63 - 1;
// - parse_count agrees with parse_size on suffix-free digits and honours
//   its bounds (taken from the input's first bytes);
// - take_decimal consumes exactly the leading digits, or reports overflow;
// - format_size, format_rate and format_duration of numbers taken from the
//   input (any double bit pattern: NaN, infinities, negatives) are short,
//   printable and never fail.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_size fuzz/corpus/size), from these sources:
// fuzz-sources: ngx_module/core/base/size.cpp
// fuzz-options: -max_len=64
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "base/size.hpp"
#include "fuzz_check.hpp"

using namespace bigupload;

namespace {

constexpr std::uint64_t max63 = std::numeric_limits<std::int64_t>::max();

// What parse_size's comment promises, read independently.
std::optional<std::uint64_t> reference_size(std::string_view s)
{
    std::size_t i = 0;
    unsigned __int128 v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
        if (v > max63) {
            return std::nullopt;
        }
        i++;
    }
    if (i == 0) {
        return std::nullopt;
    }
    std::string_view rest = s.substr(i);
    // the suffixes, by the power of 1024 they stand for
    static const std::string_view units[] = {"bB", "kK", "mM", "gG", "tT"};
    unsigned shift = 0;
    if (!rest.empty()) {
        std::size_t u = 0;
        while (u < 5 && units[u].find(rest[0]) == std::string_view::npos) {
            u++;
        }
        if (u == 5) {
            return std::nullopt;
        }
        shift = 10 * static_cast<unsigned>(u);
        rest.remove_prefix(1);
        bool unit = shift != 0 && (rest == "iB" || rest == "B" || rest == "ib" || rest == "b");
        if (!rest.empty() && !unit) {
            return std::nullopt;
        }
    }
    v <<= shift;
    if (v > max63) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(v);
}

// Short, printable ASCII.
bool printable_line(const std::string &s, std::size_t max)
{
    return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
        return c >= 0x20 && c < 0x7f;
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view s(reinterpret_cast<const char *>(data), size);

    std::optional<std::uint64_t> v = parse_size(s);
    std::optional<std::uint64_t> ref = reference_size(s);
    fuzz_check(v == ref);
    fuzz_check(!v || *v <= max63);

    // take_decimal: the leading digits, or nothing consumed
    std::string_view rest = s;
    std::uint64_t n = 0;
    bool overflow = true;
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
        digits++;
    }
    if (take_decimal(rest, n, overflow)) {
        fuzz_check(!overflow && digits > 0 && rest.size() == s.size() - digits);
        fuzz_check(n == parse_size(s.substr(0, digits)));
    } else {
        fuzz_check(rest.size() == s.size());
        fuzz_check(overflow == (digits > 0));
    }

    // parse_count: bounds from the first 16 bytes, the value after them
    if (size >= 16) {
        std::uint64_t lo, hi;
        std::memcpy(&lo, data, 8);
        std::memcpy(&hi, data + 8, 8);
        std::string_view text = s.substr(16);
        std::optional<std::uint64_t> c = parse_count(text, lo, hi);
        bool plain = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
        std::optional<std::uint64_t> as_size = plain ? parse_size(text) : std::nullopt;
        fuzz_check(c == (as_size && *as_size >= lo && *as_size <= hi ? as_size : std::nullopt));
    }

    // the formats, of any number
    if (size >= 8) {
        std::uint64_t bytes;
        double d;
        std::memcpy(&bytes, data, 8);
        std::memcpy(&d, data, 8);
        fuzz_check(printable_line(format_size(bytes), 12));
        fuzz_check(printable_line(format_rate(d), 14));
        fuzz_check(printable_line(format_duration(d), 16));
        if (v) {
            fuzz_check(printable_line(format_size(*v), 12));
        }
    }
    return 0;
}
