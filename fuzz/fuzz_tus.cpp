// Fuzz target: tus 1.0.0 header parsers (proto/tus).
//
// The input is one header value, given to every parser.  Properties:
// metadata formats and parses back to the same entries; a concatenation
// value is re-emitted byte for byte (the parser is strict enough for that);
// a parsed number prints back as the digits given (leading zeros aside); a
// checksum that parses has the size of its algorithm.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_tus fuzz/corpus/tus), from these sources:
// fuzz-sources: ngx_module/core/proto/tus.cpp ngx_module/core/proto/media_type.cpp ngx_module/core/base/base64.cpp ngx_module/core/base/size.cpp
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "proto/tus.hpp"

using namespace bigupload;
using namespace bigupload::tus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view value(reinterpret_cast<const char *>(data), size);

    std::uint64_t n = 0;
    if (parse_offset(value, n) == NumberError::none) {
        std::string digits(value.substr(value.find_first_not_of('0') == std::string_view::npos
                                            ? value.size() - 1
                                            : value.find_first_not_of('0')));
        fuzz_check(std::to_string(n) == digits);
        fuzz_check(parse_length(value, n) == NumberError::none);
    }
    (void) defer_length_valid(value);
    (void) resumable_supported(value);

    Metadata m;
    if (parse_metadata(value, m).ok()) {
        fuzz_check(!m.empty());
        std::optional<std::string> s = format_metadata(m);
        fuzz_check(s.has_value());
        Metadata again;
        fuzz_check(parse_metadata(*s, again, s->size()).ok());
        fuzz_check(again == m);
    } else {
        fuzz_check(m.empty());
    }

    static const std::vector<ChecksumAlgorithm> algs = { { "sha1", 20 }, { "md5", 16 },
                                                         { "sha256", 32 }, { "crc32", 4 } };
    Checksum c;
    if (parse_checksum(value, algs, c) == ChecksumError::none) {
        bool sized = false;
        for (const auto &a : algs) {
            sized = sized || (a.name == c.algorithm && a.digest_size == c.bytes.size());
        }
        fuzz_check(sized);
    }

    Concat cc;
    if (parse_concat(value, cc) == ConcatError::none) {
        std::optional<std::string> s = format_concat(cc);
        fuzz_check(s && *s == value);
        for (const auto &u : cc.urls) {
            std::optional<std::string_view> p = concat_url_path(u);
            fuzz_check(!p || (!p->empty() && (*p)[0] == '/'));
        }
    } else {
        fuzz_check(!cc.final && cc.urls.empty());
    }

    std::optional<Method> meth = parse_method_override(value);
    fuzz_check(!meth || value == method_name(*meth));
    (void) is_patch_content_type(value);
    return 0;
}
