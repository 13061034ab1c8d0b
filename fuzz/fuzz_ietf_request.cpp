// Fuzz target: an IETF draft request as a whole (proto/ietf_request).
//
// The input is a request head: the first line "<METHOD> <r|t> <content
// length or -1 or c>" (r: the URI is an upload resource, t: a target; c:
// chunked), then "Name: value" lines.  Properties: a parsed request has a
// version row and an operation its method takes; a length it reports covers
// its own content; every digest it keeps has its algorithm's size; a refusal
// names an error of the errors table.  And the resource URL helpers: an id
// they accept builds the path it came from.
//
//   clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Ingx_module/core \
//       fuzz/fuzz_ietf_request.cpp ngx_module/core/*/*.cpp -lcrypto -lisal \
//       -o build/fuzz/fuzz_ietf_request
//   build/fuzz/fuzz_ietf_request fuzz/corpus/ietf_request
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"

#include "proto/ietf_request.hpp"

using namespace bigupload;
using namespace bigupload::ietf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string in(reinterpret_cast<const char *>(data), size);
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos <= in.size()) {
        std::size_t nl = in.find('\n', pos);
        if (nl == std::string::npos) {
            nl = in.size();
        }
        lines.push_back(in.substr(pos, nl - pos));
        pos = nl + 1;
    }

    // the first line: method, resource or target, content length
    std::string method, kind, length;
    {
        std::string l = lines[0];
        std::size_t a = l.find(' ');
        std::size_t b = a == std::string::npos ? a : l.find(' ', a + 1);
        if (b == std::string::npos) {
            return 0;
        }
        method = l.substr(0, a);
        kind = l.substr(a + 1, b - a - 1);
        length = l.substr(b + 1);
    }

    HttpRequest rq;
    rq.method = method;
    if (length == "c") {
        rq.chunked = true;
    } else if (!length.empty() && length.size() < 12
               && length.find_first_not_of("0123456789") == std::string::npos) {
        rq.content_length = std::stoll(length);
    }

    for (std::size_t i = 1; i < lines.size(); i++) {
        std::size_t colon = lines[i].find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::string_view l(lines[i]);
        std::string_view value = l.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') {
            value.remove_prefix(1);
        }
        rq.fields.emplace_back(l.substr(0, colon), value);
    }

    Request out;
    RequestRefusal why;
    bool resource = kind == "r";
    if (parse_request(rq, resource, out, why)) {
        fuzz_check(out.traits != nullptr);
        fuzz_check(resource ? (out.op == Op::query || out.op == Op::append
                               || out.op == Op::cancel || out.op == Op::options)
                            : (out.op == Op::create || out.op == Op::options));
        if (out.length && out.content_length) {
            fuzz_check(*out.length >= out.offset
                       && *out.length - out.offset >= *out.content_length);
        }
        for (const auto &d : out.content_digests) {
            fuzz_check(d.expected.size() == digest_size(d.alg));
        }
        for (const auto &d : out.repr_digests) {
            fuzz_check(d.expected.size() == digest_size(d.alg));
        }
        if (out.has_filename && valid_filename(out.filename)) {
            fuzz_check(out.filename.find('/') == std::string::npos);
        }
    } else {
        std::size_t n = 0;
        const ErrorInfo *t = error_table(n);
        fuzz_check(why.error != Error::none);
        fuzz_check(static_cast<std::size_t>(why.error) < n
                   && t[static_cast<std::size_t>(why.error)].error == why.error);
    }

    // the resource URLs: whatever id the helper accepts rebuilds its path
    std::string path = lines.size() > 1 ? lines[1] : lines[0];
    std::string id = resource_id(path, "/upload/");
    if (!id.empty()) {
        fuzz_check(resource_path("/upload/", id) == path);
    }
    return 0;
}
