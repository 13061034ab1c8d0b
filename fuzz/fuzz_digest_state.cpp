// Digest::restore() reads a partial's durable state: any bytes must be
// refused or accepted without undefined behaviour, and an accepted state
// must save back to the same bytes and keep hashing.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_digest_state fuzz/corpus/digest_state), from these sources:
// fuzz-sources: ngx_module/core/base/digest.cpp ngx_module/core/base/crc.cpp ngx_module/core/base/base64.cpp
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/digest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view in(reinterpret_cast<const char *>(data), size);

    for (int a = 0; a <= 8; a++) {
        bigupload::Digest d(static_cast<bigupload::DigestAlg>(a));
        if (!d.restore(in)) {
            continue;
        }
        if (d.save() != in) {
            __builtin_trap();
        }
        d.update(data, size);
        bigupload::Digest other(d.alg());
        other.update(data, size);
        d.combine(other);
        if (d.final().size() != bigupload::digest_size(d.alg())) {
            __builtin_trap();
        }
    }
    return 0;
}
