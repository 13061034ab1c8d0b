// Fuzz target: the native dialect's request parsing (proto/native:
// parse_native over an HttpRequest, as the glue fills one).
//
// Input: byte 0 picks the method (PUT, POST, HEAD, DELETE, GET), byte 1 the
// framing (bit 0 chunked, bit 1 an HTTP/2 body without length); then text
// lines: the first is the Content-Length (empty: none), each further one a
// header field "Name: value" (without a ":", the whole line is the name and
// the value is empty; the value is what follows ": " or ":").
// Properties:
// - a refusal names an error of the table, whose log line and message can
//   be built from what the refusal carries;
// - an accepted upload is consistent: a valid Upload-Key or none; without
//   one, a whole file (from 0, completing, no Content-Range); with one, a
//   range start <= end <= total <= 2^63 - 1 that has the body's length, and
//   a completing request ends at the total;
// - field names are case-insensitive: the same request with its names
//   upper-cased gives the same answer, and so does the request with its
//   fields in reverse order (differential).
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_native fuzz/corpus/native), from these sources:
// fuzz-sources: ngx_module/core/proto/native.cpp ngx_module/core/proto/http.cpp
// fuzz-sources: ngx_module/core/proto/errors.cpp ngx_module/core/proto/media_type.cpp
// fuzz-sources: ngx_module/core/proto/digest_fields.cpp ngx_module/core/proto/sfv.cpp
// fuzz-sources: ngx_module/core/engine/upload_state.cpp ngx_module/core/base/range.cpp
// fuzz-sources: ngx_module/core/base/size.cpp ngx_module/core/base/digest.cpp
// fuzz-sources: ngx_module/core/base/crc.cpp ngx_module/core/base/base64.cpp
// fuzz-sources: ngx_module/core/base/path.cpp
// fuzz-options: -max_len=1024
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "proto/native.hpp"

using namespace bigupload;

namespace {

constexpr std::uint64_t max_off = 0x7fffffffffffffffULL;

struct Parsed {
    bool ok;
    NativeRequest rq;
    NativeRefusal why;
};

Parsed run(const HttpRequest &rq)
{
    Parsed p;
    p.ok = parse_native(rq, p.rq, p.why);
    return p;
}

bool same(const Parsed &a, const Parsed &b)
{
    if (a.ok != b.ok) {
        return false;
    }
    if (!a.ok) {
        return a.why.error == b.why.error;
    }
    const UploadRequest &x = a.rq.range, &y = b.rq.range;
    return a.rq.op == b.rq.op && a.rq.key == b.rq.key && x.start == y.start && x.end == y.end
           && x.total == y.total && x.completes == y.completes && x.append == y.append;
}

void check_refusal(const HttpRequest &rq, const Parsed &p)
{
    fuzz_check(p.why.error != Error::none);
    const ErrorInfo &info = error_info(p.why.error);
    fuzz_check(info.status >= 400 && info.status < 600);
    ErrorArgs a;
    a.path = "/x";
    a.value = p.why.value;
    a.header = p.why.header;
    a.detail = p.why.detail;
    a.method = rq.method;
    a.bytes = p.why.bytes;
    (void) error_log_line(p.why.error, a);  // throws on a placeholder the table lacks
    fuzz_check(!error_message(p.why.error, p.why.detail).empty());
}

void check_accepted(const HttpRequest &rq, const Parsed &p)
{
    const NativeRequest &n = p.rq;
    const UploadRequest &u = n.range;

    fuzz_check(n.key.empty() || valid_upload_key(n.key));
    fuzz_check(!u.append && u.checks.empty());
    if (n.op != NativeOp::upload) {
        return;
    }
    if (n.key.empty()) {
        fuzz_check(u.start == 0 && !u.end && u.completes && !rq.has("Content-Range"));
        fuzz_check(!u.total || rq.content_length < 0
                   || *u.total == static_cast<std::uint64_t>(rq.content_length));
        return;
    }
    fuzz_check(u.start <= max_off);
    if (u.end) {
        fuzz_check(u.start <= *u.end && *u.end <= max_off);
    }
    if (u.total) {
        fuzz_check(*u.total <= max_off && u.start <= *u.total && (!u.end || *u.end <= *u.total));
        fuzz_check(!u.completes || !u.end || *u.end == *u.total);
    }
    if (rq.content_length >= 0 && u.end) {
        fuzz_check(*u.end - u.start == static_cast<std::uint64_t>(rq.content_length));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    static const char *const methods[] = {"PUT", "POST", "HEAD", "DELETE", "GET"};
    HttpRequest rq;
    rq.method = methods[data[0] % 5];
    rq.chunked = data[1] & 1;
    rq.streamed = data[1] & 2;

    std::string_view text(reinterpret_cast<const char *>(data) + 2, size - 2);
    std::size_t nl = text.find('\n');
    std::string_view cl = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!cl.empty()) {
        std::int64_t v = 0;
        for (char c : cl) {
            if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) {
                return 0;
            }
            v = v * 10 + (c - '0');
        }
        rq.content_length = v;
    }

    while (!text.empty()) {
        nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            rq.fields.emplace_back(line, std::string_view());
            continue;
        }
        std::string_view value = line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') {
            value.remove_prefix(1);
        }
        rq.fields.emplace_back(line.substr(0, colon), value);
    }

    Parsed p = run(rq);
    if (p.ok) {
        check_accepted(rq, p);
    } else {
        check_refusal(rq, p);
    }

    // the same request, names upper-cased
    std::vector<std::string> upper;
    upper.reserve(rq.fields.size());
    HttpRequest up = rq;
    for (auto &f : up.fields) {
        std::string s(f.first);
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
            return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
        });
        upper.push_back(std::move(s));
        f.first = upper.back();
    }
    fuzz_check(same(p, run(up)));

    // the fields in reverse order
    HttpRequest rev = rq;
    std::reverse(rev.fields.begin(), rev.fields.end());
    fuzz_check(same(p, run(rev)));
    return 0;
}
