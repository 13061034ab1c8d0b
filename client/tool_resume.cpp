#include "tool_resume.hpp"

#include "base/digest.hpp"
#include "proto/digest_fields.hpp"
#include "base/size.hpp"
#include "tool_outcome.hpp"

namespace bgclient {

namespace {

std::string trim(const std::string &s)
{
    std::size_t a = 0, b = s.size();
    while (a < b && (s[a] == ' ' || s[a] == '\t')) {
        a++;
    }
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'
                     || s[b - 1] == '\n')) {
        b--;
    }
    return s.substr(a, b - a);
}

// A value of the server's as bgclient quotes it: one printable line (a
// header may hold control characters: escape sequences for the terminal).
std::string quoted(const std::string &raw)
{
    return "'" + one_line(trim(raw)) + "'";
}

// A decimal number of at most 63 bits, nothing else.
std::optional<std::uint64_t> parse_u63(const std::string &raw)
{
    std::string s = trim(raw);
    if (s.empty() || s.size() > 19) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > static_cast<std::uint64_t>(INT64_MAX)) {
        return std::nullopt;
    }
    return v;
}

}  // namespace

Held parse_held(const HeadAnswer &a)
{
    Held h;

    switch (a.status) {
    case 404:
        h.kind = HeldKind::nothing;
        return h;
    case 409:
        h.kind = HeldKind::conflict;
        return h;
    case 405:
    case 501:
        h.kind = HeldKind::unsupported;
        return h;
    case 200:
        h.kind = HeldKind::finished;
        if (!a.content_length.empty()) {
            h.size = parse_u63(a.content_length);
        }
        h.sha256 = bigupload::sha256_from_repr_digest(a.repr_digest);
        h.digests = digests_in_repr(a.repr_digest);
        return h;
    case 204:
        break;
    default:
        h.kind = HeldKind::other;
        return h;
    }

    h.kind = HeldKind::malformed;

    std::optional<std::uint64_t> offset;
    if (!trim(a.upload_offset).empty()) {
        offset = parse_u63(a.upload_offset);
        if (!offset) {
            h.error = "the server sent a bad Upload-Offset " + quoted(a.upload_offset);
            return h;
        }
    }

    if (!trim(a.upload_length).empty()) {
        h.length = parse_u63(a.upload_length);
        if (!h.length) {
            h.error = "the server sent a bad Upload-Length " + quoted(a.upload_length);
            return h;
        }
    }

    std::string ranges = trim(a.upload_ranges);
    if (!ranges.empty()) {
        auto r = bigupload::RangeSet::parse(ranges);
        if (!r) {
            h.error = "the server sent a bad Upload-Ranges " + quoted(ranges);
            return h;
        }
        h.ranges = *r;
    } else if (offset && *offset > 0) {
        h.ranges.add(0, *offset);  // a server that reports only the offset
    }

    if (!offset && trim(a.upload_ranges).empty()) {
        h.error = "the server answered 204 without Upload-Offset or Upload-Ranges";
        return h;
    }

    h.offset = h.ranges.contiguous();
    if (offset && *offset != h.offset) {
        h.error = "the server's Upload-Offset " + std::to_string(*offset)
                  + " does not match its Upload-Ranges " + quoted(ranges);
        return h;
    }
    if (h.length && h.ranges.end() > *h.length) {
        h.error = "the server holds bytes beyond its Upload-Length " + std::to_string(*h.length);
        return h;
    }

    h.kind = HeldKind::partial;
    return h;
}

std::vector<bigupload::ByteRange> plan_pieces(const bigupload::RangeSet &held,
                                              std::uint64_t size, std::uint64_t chunk)
{
    std::vector<bigupload::ByteRange> pieces;
    for (const bigupload::ByteRange &g : held.gaps(size)) {
        if (chunk == 0) {
            pieces.push_back(g);
            continue;
        }
        for (std::uint64_t s = g.start; s < g.end;) {
            std::uint64_t e = g.end - s > chunk ? s + chunk : g.end;
            pieces.push_back({s, e});
            s = e;
        }
    }
    return pieces;
}

std::uint64_t effective_chunk(unsigned parallel, std::uint64_t chunk_option,
                              std::uint64_t missing)
{
    constexpr std::uint64_t min_auto = 1024 * 1024;
    if (chunk_option > 0) {
        return chunk_option;
    }
    if (parallel <= 1) {
        return 0;
    }
    std::uint64_t share = missing / parallel + (missing % parallel != 0 ? 1 : 0);
    if (share > default_chunk_size) {
        return default_chunk_size;
    }
    return share < min_auto ? min_auto : share;
}

std::string piece_content_range(const bigupload::ByteRange &piece, std::uint64_t size)
{
    bigupload::ContentRange cr;
    cr.has_range = true;
    cr.range = piece;
    cr.total_known = true;
    cr.total = size;
    return bigupload::format_content_range(cr);
}

std::string resume_message(std::uint64_t held, std::uint64_t size)
{
    return "resuming at " + bigupload::format_size(held) + " of " + bigupload::format_size(size);
}

std::string length_mismatch(const Held &h, std::uint64_t size, const std::string &url)
{
    if (!h.length || *h.length == size) {
        return "";
    }
    return "the partial upload at " + url + " is for " + std::to_string(*h.length)
           + " bytes, this file has " + std::to_string(size)
           + " (use --restart to discard it and start over)";
}

std::string conflict_message(const std::string &url)
{
    return "a partial upload of another file (or of another version of this one) is in"
           " progress at " + url
           + " (use --restart to discard it and upload this file from the start)";
}

std::string status_line(const Held &h)
{
    switch (h.kind) {
    case HeldKind::finished: {
        std::string d;
        if (!h.sha256.empty()) {
            d = " (sha256 " + h.sha256 + ")";
        } else if (!h.digests.empty()) {
            d = std::string(" (") + bigupload::digest_name(*h.digests.list.front().alg) + " "
                + h.digests.list.front().hex() + ")";
        }
        return "done: " + (h.size ? std::to_string(*h.size) : std::string("unknown size")) + d;
    }
    case HeldKind::partial:
        return "partial: " + std::to_string(h.offset) + " of "
               + (h.length ? std::to_string(*h.length) : std::string("unknown")) + " ("
               + (h.ranges.empty() ? std::string("nothing held") : h.ranges.to_string()) + ")";
    case HeldKind::nothing:
        return "absent";
    default:
        return "";
    }
}

}  // namespace bgclient
