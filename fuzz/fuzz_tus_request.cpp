// Fuzz target: the tus front-end's request logic (proto/tus_request) and the
// CORS answers (proto/cors).
//
// The input is a request: its first line the method, its second the path,
// then "Name: value" lines.  Properties: a parsed request is one its method
// allows at that URL kind; an upload's id is a valid one; a final has no
// length and no body; what the engine is asked starts at the PATCH's offset
// (0 for a creation) and ends after the body; a file name that is accepted
// makes a one-segment path; every Upload-Concat URL id found is valid; the
// CORS answers echo only well-formed lists.
//
//   clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Ingx_module/core \
//       fuzz/fuzz_tus_request.cpp ngx_module/core/proto/tus_request.cpp \
//       ngx_module/core/proto/tus.cpp ngx_module/core/proto/cors.cpp \
//       ngx_module/core/proto/http.cpp ngx_module/core/proto/media_type.cpp \
//       ngx_module/core/proto/errors.cpp ngx_module/core/base/*.cpp \
//       -lcrypto -lisal -o build/fuzz/fuzz_tus_request
//   build/fuzz/fuzz_tus_request fuzz/corpus/tus_request
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/path.hpp"
#include "fuzz_check.hpp"
#include "proto/cors.hpp"
#include "proto/tus_request.hpp"

using namespace bigupload;
using namespace bigupload::tus;

namespace {

std::string_view next_line(std::string_view &in)
{
    std::size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view in(reinterpret_cast<const char *>(data), size);

    HttpRequest rq;
    rq.method = next_line(in);
    std::string path(next_line(in));
    rq.content_length = static_cast<std::int64_t>(size % 7) - 1;
    rq.chunked = (size % 11) == 0;

    while (!in.empty()) {
        std::string_view line = next_line(in);
        std::size_t colon = line.find(": ");
        if (colon != std::string_view::npos) {
            rq.fields.emplace_back(line.substr(0, colon), line.substr(colon + 2));
        }
    }

    Request t;
    Refusal why;
    if (parse_request(rq, path, t, why)) {
        fuzz_check(why.error == Error::none);
        std::string id;
        UrlKind kind = classify_path(path, id);
        switch (t.op) {
        case Op::options:
            break;
        case Op::create:
            fuzz_check(kind == UrlKind::creation && t.method == Method::post);
            fuzz_check(t.length || t.defer_length || t.final_concat);
            if (t.final_concat) {
                fuzz_check(!t.length && !t.defer_length && !t.body);
                for (const auto &url : t.final_concat->urls) {
                    if (auto uid = upload_id_of_url(url)) {
                        fuzz_check(valid_upload_id(*uid));
                    }
                }
            }
            break;
        default:
            fuzz_check(kind == UrlKind::upload && valid_upload_id(t.id) && t.id == id);
            break;
        }

        UploadRequest u = upload_request(t, rq.content_length, 60);
        fuzz_check(u.start == (t.op == Op::patch ? t.offset : 0));
        fuzz_check(!u.end || *u.end >= u.start);
        fuzz_check(u.append && !u.completes);
        fuzz_check(u.checks.size() == (t.checksum ? 1u : 0u));

        std::string name, reason;
        if (creation_filename(t.metadata, name, reason)) {
            std::vector<std::string> segments;
            fuzz_check(split_remote_path("/" + name, segments) == PathError::ok);
            fuzz_check(segments.size() == 1);
        } else {
            fuzz_check(!reason.empty());
        }
    } else {
        fuzz_check(why.error != Error::none);
        fuzz_check(why.error != Error::tus_method || !why.allow.empty());
    }

    CorsPolicy p;
    p.origins = {"https://a.example", "*"};
    std::string_view origin, method, headers;
    rq.single("Origin", origin);
    rq.single("Access-Control-Request-Method", method);
    rq.single("Access-Control-Request-Headers", headers);
    for (const auto &h : cors_preflight_headers(p, origin, method, headers)) {
        // nothing but visible ASCII and spaces goes back into a header
        for (char c : h.second) {
            fuzz_check(c >= 0x20 && c < 0x7f);
        }
    }
    (void) cors_headers(p, origin);
    (void) valid_cors_origin(origin);

    RequestOrigin o{"http", origin, method, headers};
    std::string url = resource_url(UrlMode::forwarded, o, "/u/.bigupload/x");
    fuzz_check(url.size() >= 15);

    return 0;
}
