// Fuzz target: RFC 9530 digest fields (proto/digest_fields).
//
// The input is a field value, parsed as Repr-/Content-Digest and as
// Want-*-Digest.  Properties: a parsed field formats, and parses back to
// the same list; choosing an algorithm picks one the peer weighs > 0.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_digest_fields fuzz/corpus/digest_fields), from these sources:
// fuzz-sources: ngx_module/core/proto/digest_fields.cpp ngx_module/core/proto/sfv.cpp
// fuzz-sources: ngx_module/core/base/base64.cpp ngx_module/core/base/digest.cpp ngx_module/core/base/crc.cpp
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "proto/digest_fields.hpp"

using namespace bigupload;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view value(reinterpret_cast<const char *>(data), size);

    std::vector<DigestMember> digests;
    if (parse_digest_field(value, digests).ok()) {
        std::optional<std::string> s = format_digest_field(digests);
        fuzz_check(s.has_value());
        std::vector<DigestMember> again;
        fuzz_check(parse_digest_field(*s, again).ok());
        fuzz_check(again == digests);
    } else {
        fuzz_check(digests.empty());
    }

    std::vector<DigestPreference> prefs;
    if (parse_want_digest_field(value, prefs).ok()) {
        std::optional<std::string> s = format_want_digest_field(prefs);
        fuzz_check(s.has_value());
        std::vector<DigestPreference> again;
        fuzz_check(parse_want_digest_field(*s, again).ok());
        fuzz_check(again == prefs);

        std::optional<std::string> alg =
            choose_digest_algorithm(prefs, { "sha-256", "sha-512", "crc32c", "md5" });
        if (alg) {
            bool weighed = false;
            for (const auto &p : prefs) {
                weighed = weighed || (p.algorithm == *alg && p.weight > 0);
            }
            fuzz_check(weighed);
        }
    } else {
        fuzz_check(prefs.empty());
    }
    return 0;
}
