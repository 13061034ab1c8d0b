#include "base/range.hpp"

#include "base/size.hpp"

#include <algorithm>
#include <limits>

namespace bigupload {

namespace {

constexpr std::uint64_t max_offset = std::numeric_limits<std::int64_t>::max();

}  // namespace

void RangeSet::add(std::uint64_t start, std::uint64_t end)
{
    if (start >= end) {
        return;
    }

    // first range that ends at or after "start" (adjacent ones merge too)
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), start,
                               [](const ByteRange &r, std::uint64_t v) {
                                   return r.end < v;
                               });

    auto last = it;
    while (last != ranges_.end() && last->start <= end) {
        start = std::min(start, last->start);
        end = std::max(end, last->end);
        ++last;
    }

    it = ranges_.erase(it, last);
    ranges_.insert(it, ByteRange{start, end});
}

bool RangeSet::contains(std::uint64_t start, std::uint64_t end) const
{
    if (start >= end) {
        return true;
    }

    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), start,
                               [](std::uint64_t v, const ByteRange &r) {
                                   return v < r.start;
                               });
    if (it == ranges_.begin()) {
        return false;
    }
    --it;
    return it->start <= start && end <= it->end;
}

bool RangeSet::overlaps(std::uint64_t start, std::uint64_t end) const
{
    if (start >= end) {
        return false;  // no byte in an empty range
    }

    for (const auto &r : ranges_) {
        if (r.start < end && start < r.end) {
            return true;
        }
        if (r.start >= end) {
            break;
        }
    }
    return false;
}

std::uint64_t RangeSet::contiguous() const
{
    if (ranges_.empty() || ranges_.front().start != 0) {
        return 0;
    }
    return ranges_.front().end;
}

std::uint64_t RangeSet::total() const
{
    std::uint64_t n = 0;
    for (const auto &r : ranges_) {
        n += r.size();
    }
    return n;
}

std::vector<ByteRange> RangeSet::gaps(std::uint64_t length) const
{
    std::vector<ByteRange> out;
    std::uint64_t pos = 0;

    for (const auto &r : ranges_) {
        if (r.start >= length) {
            break;
        }
        if (r.start > pos) {
            out.push_back(ByteRange{pos, r.start});
        }
        pos = std::max(pos, r.end);
    }

    if (pos < length) {
        out.push_back(ByteRange{pos, length});
    }

    return out;
}

std::string RangeSet::to_string() const
{
    std::string s;

    for (const auto &r : ranges_) {
        if (!s.empty()) {
            s.push_back(',');
        }
        s += std::to_string(r.start);
        s.push_back('-');
        s += std::to_string(r.end - 1);
    }

    return s;
}

std::optional<RangeSet> RangeSet::parse(std::string_view s)
{
    RangeSet set;
    bool overflow;

    while (!s.empty()) {
        std::uint64_t first, last;

        if (!take_decimal(s, first, overflow) || s.empty() || s[0] != '-') {
            return std::nullopt;
        }
        s.remove_prefix(1);
        // an end (last + 1) must fit off_t, as in parse_content_range
        if (!take_decimal(s, last, overflow) || last < first || last == max_offset) {
            return std::nullopt;
        }

        // sorted, disjoint and not adjacent: what to_string() writes
        if (!set.ranges_.empty() && first <= set.ranges_.back().end) {
            return std::nullopt;
        }

        set.ranges_.push_back(ByteRange{first, last + 1});

        if (s.empty()) {
            break;
        }
        if (s[0] != ',' || s.size() == 1) {
            return std::nullopt;
        }
        s.remove_prefix(1);
    }

    return set;
}

const char *content_range_error_message(ContentRangeError e)
{
    switch (e) {
    case ContentRangeError::ok: return "ok";
    case ContentRangeError::syntax:
        return "Content-Range must be \"bytes first-last/total\", \"bytes first-last/*\" "
               "or \"bytes */total\"";
    case ContentRangeError::overflow: return "Content-Range value too large";
    case ContentRangeError::start_after_end: return "Content-Range starts after it ends";
    case ContentRangeError::beyond_total: return "Content-Range goes beyond its total length";
    case ContentRangeError::no_total: return "Content-Range \"bytes */*\" says nothing";
    }
    return "bad Content-Range";
}

ContentRangeError parse_content_range(std::string_view v, ContentRange &out)
{
    out = ContentRange();
    bool overflow = false;

    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);

    if (v.substr(0, 6) != "bytes ") {
        return ContentRangeError::syntax;
    }
    v.remove_prefix(6);

    if (!v.empty() && v[0] == '*') {
        v.remove_prefix(1);

    } else {
        std::uint64_t first, last;

        if (!take_decimal(v, first, overflow)) {
            return overflow ? ContentRangeError::overflow : ContentRangeError::syntax;
        }
        if (v.empty() || v[0] != '-') {
            return ContentRangeError::syntax;
        }
        v.remove_prefix(1);
        if (!take_decimal(v, last, overflow)) {
            return overflow ? ContentRangeError::overflow : ContentRangeError::syntax;
        }
        if (first > last) {
            return ContentRangeError::start_after_end;
        }
        if (last == max_offset) {
            return ContentRangeError::overflow;
        }

        out.has_range = true;
        out.range = ByteRange{first, last + 1};
    }

    if (v.empty() || v[0] != '/') {
        return ContentRangeError::syntax;
    }
    v.remove_prefix(1);

    if (v == "*") {
        if (!out.has_range) {
            return ContentRangeError::no_total;
        }
        return ContentRangeError::ok;
    }

    if (!take_decimal(v, out.total, overflow)) {
        return overflow ? ContentRangeError::overflow : ContentRangeError::syntax;
    }
    if (!v.empty()) {
        return ContentRangeError::syntax;
    }

    out.total_known = true;

    if (out.has_range && out.range.end > out.total) {
        return ContentRangeError::beyond_total;
    }

    return ContentRangeError::ok;
}

std::string format_content_range(const ContentRange &cr)
{
    std::string s = "bytes ";

    if (cr.has_range) {
        s += std::to_string(cr.range.start) + "-" + std::to_string(cr.range.end - 1);
    } else {
        s += "*";
    }

    s += "/";
    s += cr.total_known ? std::to_string(cr.total) : std::string("*");
    return s;
}

}  // namespace bigupload
