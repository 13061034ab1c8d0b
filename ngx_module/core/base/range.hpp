// Byte ranges for resumable and parallel uploads: the set of ranges a partial
// upload holds, and HTTP Content-Range parsing.  Shared by the module and
// bgclient.  All ends are exclusive inside the code ([start, end)); the HTTP
// forms use inclusive last-byte positions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bigupload {

struct ByteRange {
    std::uint64_t start = 0;   // first byte
    std::uint64_t end = 0;     // one past the last byte

    std::uint64_t size() const { return end - start; }
    bool operator==(const ByteRange &o) const { return start == o.start && end == o.end; }
};

// A set of disjoint, non-adjacent, sorted ranges.
class RangeSet {
public:
    // Adds [start, end); merges with overlapping or adjacent ranges.
    // An empty range (start >= end) changes nothing.
    void add(std::uint64_t start, std::uint64_t end);
    void add(const ByteRange &r) { add(r.start, r.end); }

    // True when every byte of [start, end) is in the set.
    bool contains(std::uint64_t start, std::uint64_t end) const;

    // True when some byte of [start, end) is in the set.
    bool overlaps(std::uint64_t start, std::uint64_t end) const;

    // Bytes held from 0 without a gap: where a sequential writer continues.
    std::uint64_t contiguous() const;

    // Whether [0, length) is held completely.
    bool covers(std::uint64_t length) const { return contains(0, length); }

    // Number of bytes held.
    std::uint64_t total() const;

    // The ranges of [0, length) not held, in order.
    std::vector<ByteRange> gaps(std::uint64_t length) const;

    // One past the highest byte held (0 when empty).
    std::uint64_t end() const { return ranges_.empty() ? 0 : ranges_.back().end; }

    bool empty() const { return ranges_.empty(); }
    const std::vector<ByteRange> &ranges() const { return ranges_; }
    void clear() { ranges_.clear(); }

    // "0-1048575,2097152-3145727" (inclusive, as in HTTP); "" when empty.
    std::string to_string() const;

    // Parses to_string()'s form; nullopt on junk, overflow or ranges that
    // are not sorted and disjoint.
    static std::optional<RangeSet> parse(std::string_view s);

    bool operator==(const RangeSet &o) const { return ranges_ == o.ranges_; }

private:
    std::vector<ByteRange> ranges_;
};

// A parsed "Content-Range: bytes first-last/total" (RFC 9110 14.4), where
// the total may be "*" (unknown yet), or "bytes */total" (no bytes, only the
// length: declares or asks about a length).
struct ContentRange {
    bool has_range = false;          // false for "bytes */total"
    ByteRange range;                 // [first, last + 1)
    bool total_known = false;        // false for ".../*"
    std::uint64_t total = 0;
};

enum class ContentRangeError {
    ok,
    syntax,            // not "bytes a-b/c", "bytes a-b/*" or "bytes */c"
    overflow,          // a number beyond 2^63 - 1
    start_after_end,   // first > last
    beyond_total,      // last >= total
    no_total,          // "bytes */*"
};

const char *content_range_error_message(ContentRangeError e);

ContentRangeError parse_content_range(std::string_view value, ContentRange &out);

// "bytes 0-99/1000", "bytes 0-99/*", "bytes */1000".
std::string format_content_range(const ContentRange &cr);

}  // namespace bigupload
