// Fuzzes the multipart/form-data parser (core/proto/form.*).
//
// Input: the request's Content-Type value, a LF, then the body (without a
// LF, all of it is the body).  When the Content-Type is refused, the body is
// still parsed with the boundary "b", so the envelope parser is reached by
// every input.
//
// Properties, beyond "no crash, no sanitizer report":
// - the whole body in one piece, byte by byte, and random pieces (with
//   finish() right after the last feed) give the same events: the same part
//   headers, the same data per part, the same end or error;
// - every fed piece is its own heap block, freed as soon as the parser asks
//   for input again, so a parser that keeps pointing into old input is caught
//   by ASan;
// - data events are never empty, only come inside a part, and the data of a
//   part never holds the delimiter (CRLF "--" boundary);
// - a refused Content-Type and the parser's answer to a bad boundary agree.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_form fuzz/corpus/form), from these sources:
// fuzz-sources: ngx_module/core/proto/form.cpp ngx_module/core/base/path.cpp
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/form.hpp"

using namespace bigupload;

namespace {

[[noreturn]] void broken(const char *what)
{
    std::fprintf(stderr, "fuzz_form: %s\n", what);
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok) {
        broken(what);
    }
}

std::uint64_t fnv1a(std::string_view s)
{
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

std::string describe(const FormPart &p)
{
    std::string s = "B" + std::to_string(p.index) + "|" + p.name + "|";
    s += p.has_filename ? "F" + p.filename : "-";
    s += "|";
    s += p.has_filename_ext ? "E" + p.filename_ext : "-";
    s += "|" + p.content_type + "|" + std::to_string(p.headers.size());
    for (const FormHeader &h : p.headers) {
        s += "|" + h.name + ":" + h.value;
    }
    return s + "\n";
}

// Feeds "pieces" (cuts of body), each copied into its own allocation, and
// returns the log of events with the data of each part merged.
std::string run(std::string_view boundary, std::string_view body,
                const std::vector<std::size_t> &cuts, const FormLimits &limits, bool early_finish)
{
    const std::string delim = "\r\n--" + std::string(boundary);
    FormParser p(boundary, limits);
    std::string log, data;
    std::unique_ptr<char[]> piece;
    std::size_t next_cut = 0, pos = 0, fed = 0;
    bool in_part = false;

    for (;;) {
        FormEvent ev = p.next();
        if (ev != FormEvent::data && ev != FormEvent::need_input && !data.empty()) {
            check(data.find(delim) == std::string::npos, "the delimiter leaked into data");
            log += "D" + data + "\n";
            data.clear();
        }
        switch (ev) {
        case FormEvent::need_input: {
            piece.reset();   // the parser must not look at it any more
            check(p.offset() == fed, "need_input before using every byte");
            if (pos == body.size()) {
                p.finish();
                break;
            }
            std::size_t end = next_cut < cuts.size() ? cuts[next_cut++] : body.size();
            std::size_t n = end - pos;
            piece.reset(new char[n ? n : 1]);
            std::memcpy(piece.get(), body.data() + pos, n);
            p.feed(piece.get(), n);
            fed += n;
            pos = end;
            if (early_finish && pos == body.size()) {
                p.finish();
            }
            break;
        }
        case FormEvent::part_begin:
            check(!in_part, "part_begin inside a part");
            in_part = true;
            log += describe(p.part());
            break;
        case FormEvent::data:
            check(in_part, "data outside a part");
            check(!p.data().empty(), "an empty data event");
            data.append(p.data());
            break;
        case FormEvent::part_end:
            check(in_part, "part_end outside a part");
            in_part = false;
            log += "P\n";
            break;
        case FormEvent::end:
            check(!in_part, "end inside a part");
            check(p.error() == FormError::ok, "end with an error");
            check(p.offset() == body.size(), "end before the end of the body");
            check(p.next() == FormEvent::end, "end does not stay");
            return log + "END\n";
        case FormEvent::error:
            check(p.error() != FormError::ok && p.error() != FormError::misuse,
                  "error without a reason, or misuse");
            check(p.offset() <= fed, "offset beyond the input");
            check(p.next() == FormEvent::error, "error does not stay");
            // (not the offset: a limit is found wherever the piece in hand ends)
            return log + "ERR " + form_error_code(p.error()) + "\n";
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size)
{
    std::string_view in(reinterpret_cast<const char *>(bytes), size);
    std::string_view type, body = in;
    std::size_t lf = in.find('\n');
    if (lf != std::string_view::npos) {
        type = in.substr(0, lf);
        body = in.substr(lf + 1);
    }

    std::string boundary;
    FormError e = parse_form_content_type(type, boundary);
    if (e == FormError::ok) {
        check(is_form_content_type(type), "a form Content-Type not seen as one");
        FormParser probe(boundary);
        check(probe.error() == FormError::ok, "an accepted boundary refused");
    } else {
        check(boundary.empty(), "boundary set on error");
        boundary = "b";
    }
    check(form_error_message(e) != nullptr && form_error_code(e) != nullptr, "no text");

    // small limits for half of the inputs, so that every limit is reached
    const std::uint64_t h = fnv1a(in);
    FormLimits limits;
    if (h & 1) {
        limits.max_parts = 1 + (h >> 8) % 8;
        limits.max_header_bytes = 16 + (h >> 16) % 256;
        limits.max_headers = 1 + (h >> 24) % 4;
        limits.max_preamble = (h >> 32) % 64;
        limits.max_epilogue = (h >> 40) % 64;
    }

    const std::string whole = run(boundary, body, {}, limits, false);

    std::vector<std::size_t> each;
    for (std::size_t i = 1; i < body.size(); i++) {
        each.push_back(i);
    }
    check(run(boundary, body, each, limits, false) == whole, "byte by byte differs");

    std::vector<std::size_t> random;
    std::uint64_t x = h | 1;
    for (std::size_t at = 0;;) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        at += x % 24;   // empty pieces too
        if (at >= body.size()) {
            break;
        }
        random.push_back(at);
    }
    check(run(boundary, body, random, limits, true) == whole, "random pieces differ");
    return 0;
}
