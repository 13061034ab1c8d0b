// Fuzz target: remote paths (base/path): percent-decoding, validation and
// splitting, and the encoding bgclient puts in its URLs.
//
// The input is a URI path as the module gets it (raw, undecoded).
// Properties:
// - decoding is done exactly once: a decoded path is never longer than its
//   input, and encoding the result and decoding that again gives it back
//   (every byte but NUL survives percent_encode_path);
// - what parse_remote_path accepts is a "/"-separated list of segments that
//   joins back to the decoded path, none of them empty, "." or "..", holding
//   a NUL or a backslash, using the ".bigupload" prefix or over NAME_MAX,
//   the whole under PATH_MAX;
// - a refusal has a code and a message, and "ends with /" is refused as a
//   collection only when the path without that "/" is a good one;
// - join_url puts exactly one "/" between a location and a path, and bgclient
//   sends what the module then decodes to the same path.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_path fuzz/corpus/path), from these sources:
// fuzz-sources: ngx_module/core/base/path.cpp
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/path.hpp"
#include "fuzz_check.hpp"

using namespace bigupload;

namespace {

void segments_ok(std::string_view decoded, const std::vector<std::string> &segs)
{
    fuzz_check(!segs.empty() && decoded.size() < PATH_MAX);
    std::string joined;
    for (const std::string &s : segs) {
        fuzz_check(!s.empty() && s != "." && s != ".." && s.size() <= NAME_MAX);
        fuzz_check(s.find_first_of(std::string_view("/\\\0", 3)) == std::string::npos);
        fuzz_check(s.compare(0, temp_prefix.size(), temp_prefix) != 0);
        joined += "/" + s;
    }
    fuzz_check(joined == decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view raw(reinterpret_cast<const char *>(data), size);

    std::string decoded;
    PathError de = percent_decode(raw, decoded);
    fuzz_check(path_error_code(de) != nullptr && path_error_message(de) != nullptr);

    std::vector<std::string> segs;
    PathError pe = parse_remote_path(raw, segs);
    fuzz_check(path_error_code(pe) != nullptr && path_error_message(pe) != nullptr);

    if (de != PathError::ok) {
        fuzz_check(de == PathError::bad_escape || de == PathError::nul);
        fuzz_check(pe == de && segs.empty());
    } else {
        fuzz_check(decoded.size() <= raw.size());
        fuzz_check(decoded.find('\0') == std::string::npos);

        std::string again;
        fuzz_check(percent_decode(percent_encode_path(decoded), again) == PathError::ok);
        fuzz_check(again == decoded);

        std::vector<std::string> direct;
        fuzz_check(split_remote_path(decoded, direct) == pe);
        if (pe == PathError::ok) {
            segments_ok(decoded, segs);
            fuzz_check(direct == segs);
        } else {
            fuzz_check(segs.empty());
        }

        if (pe == PathError::collection && decoded.size() > 1) {
            std::vector<std::string> inner;
            fuzz_check(split_remote_path(std::string_view(decoded).substr(0, decoded.size() - 1),
                                         inner) == PathError::ok);
        }

        // bgclient's URL for this path decodes, on the module's side, to it
        std::string url = join_url("http://h/upload/", decoded);
        std::string_view rest = std::string_view(url).substr(std::string_view("http://h/upload").size());
        fuzz_check(!rest.empty() && rest[0] == '/');
        std::string sent;
        fuzz_check(percent_decode(rest, sent) == PathError::ok);
        std::string_view want = decoded;
        while (!want.empty() && want.front() == '/') {
            want.remove_prefix(1);
        }
        fuzz_check(sent == "/" + std::string(want));
    }

    // an encoded path is only unreserved characters, "/" and escapes
    std::string enc = percent_encode_path(raw);
    static const std::string_view hex = "0123456789ABCDEF";
    for (std::size_t i = 0; i < enc.size(); i++) {
        unsigned char c = static_cast<unsigned char>(enc[i]);
        if (c == '%') {
            fuzz_check(i + 2 < enc.size() && hex.find(enc[i + 1]) != std::string_view::npos
                       && hex.find(enc[i + 2]) != std::string_view::npos);
            i += 2;
            continue;
        }
        fuzz_check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                   || c == '-' || c == '.' || c == '_' || c == '~' || c == '/');
    }
    return 0;
}
