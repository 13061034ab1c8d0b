// Fuzz target: byte ranges (base/range): Content-Range, the Upload-Ranges /
// state-file form of a RangeSet, and the set algebra itself.
//
// The input is a header value given to both parsers, and also a program of
// set operations.  Properties:
// - a Content-Range that parses is consistent (first <= last, last + 1 fits,
//   inside the total) and formats to a value that parses back to it;
// - a RangeSet that parses is sorted, disjoint and not adjacent, and its
//   to_string() parses back to the same set (and is a fixed point);
// - RangeSet behaves as a bitmap of the same bytes (differential): the
//   input, read 3 bytes at a time (64 steps at most), adds [a, b) to both
//   or asks both about it, at a scale that the first byte picks (1, 4096 or
//   2^55, so that offsets near 2^63 are reached), and every query agrees
//   after every step.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_range fuzz/corpus/range), from these sources:
// fuzz-sources: ngx_module/core/base/range.cpp ngx_module/core/base/size.cpp
// fuzz-options: -max_len=256
#include <algorithm>
#include <bitset>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "base/range.hpp"
#include "fuzz_check.hpp"
#include "fuzz_ranges.hpp"

using namespace bigupload;

namespace {

constexpr std::uint64_t max_offset = std::numeric_limits<std::int64_t>::max();

void content_range(std::string_view v)
{
    ContentRange cr;
    ContentRangeError e = parse_content_range(v, cr);
    fuzz_check(content_range_error_message(e) != nullptr);
    if (e != ContentRangeError::ok) {
        return;
    }

    fuzz_check(cr.has_range || cr.total_known);
    if (cr.has_range) {
        fuzz_check(cr.range.start < cr.range.end && cr.range.end <= max_offset);
        fuzz_check(!cr.total_known || cr.range.end <= cr.total);
    }
    fuzz_check(cr.total <= max_offset);

    std::string f = format_content_range(cr);
    ContentRange back;
    fuzz_check(parse_content_range(f, back) == ContentRangeError::ok);
    fuzz_check(back.has_range == cr.has_range && back.range == cr.range
               && back.total_known == cr.total_known && back.total == cr.total);
    fuzz_check(format_content_range(back) == f);
}

void range_set(std::string_view v)
{
    std::optional<RangeSet> s = RangeSet::parse(v);
    if (!s) {
        return;
    }
    fuzz_check(fuzz_well_formed(*s));
    fuzz_check(s->end() <= max_offset);

    std::string text = s->to_string();
    std::optional<RangeSet> back = RangeSet::parse(text);
    fuzz_check(back && *back == *s && back->to_string() == text);
}

// RangeSet against a bitmap of 256 units of "scale" bytes each.
void algebra(const std::uint8_t *data, std::size_t size)
{
    if (size == 0) {
        return;
    }
    static const std::uint64_t scales[] = {1, 4096, std::uint64_t(1) << 55};
    const std::uint64_t k = scales[data[0] % 3];
    data++;
    size--;
    // 64 steps are plenty for a 256-unit bitmap, and keep the target fast
    size = std::min<std::size_t>(size, 3 * 64);

    RangeSet set;
    std::bitset<256> model;

    for (std::size_t i = 0; i + 3 <= size; i += 3) {
        unsigned a = data[i + 1], b = data[i + 2];
        std::uint64_t lo = a * k, hi = b * k;

        switch (data[i] % 4) {
        case 0:
        case 1:
            set.add(lo, hi);
            for (unsigned u = a; u < b; u++) {
                model.set(u);
            }
            break;
        case 2: {
            bool all = true, any = false;
            for (unsigned u = a; u < b; u++) {
                all = all && model.test(u);
                any = any || model.test(u);
            }
            fuzz_check(set.contains(lo, hi) == all);
            fuzz_check(set.overlaps(lo, hi) == any);
            break;
        }
        case 3: {
            // the gaps of [0, b) are exactly the units of [0, b) not held
            std::bitset<256> gaps;
            for (const ByteRange &g : set.gaps(hi)) {
                fuzz_check(g.start < g.end && g.end <= hi && g.start % k == 0 && g.end % k == 0);
                for (std::uint64_t u = g.start / k; u < g.end / k; u++) {
                    fuzz_check(!gaps.test(u));
                    gaps.set(u);
                }
            }
            for (unsigned u = 0; u < 256; u++) {
                fuzz_check(gaps.test(u) == (u < b && !model.test(u)));
            }
            break;
        }
        }

        fuzz_check(fuzz_well_formed(set));
        unsigned run = 0;
        while (run < 256 && model.test(run)) {
            run++;
        }
        unsigned last = 0;
        for (unsigned u = 0; u < 256; u++) {
            if (model.test(u)) {
                last = u + 1;
            }
        }
        fuzz_check(set.contiguous() == run * k);
        fuzz_check(set.total() == model.count() * k);
        fuzz_check(set.end() == last * k);
        fuzz_check(set.empty() == model.none());
        fuzz_check(set.covers(run * k) && (run == 256 || !set.covers((run + 1) * k)));
    }

    std::optional<RangeSet> back = RangeSet::parse(set.to_string());
    fuzz_check(back && *back == set);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view value(reinterpret_cast<const char *>(data), size);

    content_range(value);
    range_set(value);
    algebra(data, size);
    return 0;
}
