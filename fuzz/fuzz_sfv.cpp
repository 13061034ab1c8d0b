// Fuzz target: RFC 9651 parsing (proto/sfv) and base64.
//
// The first byte picks Item, List or Dictionary; the rest is the field
// value.  Properties checked: whatever parses serializes, parses back to the
// same value, and serializes to the same text again (the canonical form is
// a fixed point); base64 decodes what it encodes, in both modes.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_sfv fuzz/corpus/sfv), from these sources:
// fuzz-sources: ngx_module/core/proto/sfv.cpp ngx_module/core/base/base64.cpp
#include <cstdint>
#include <string>
#include <string_view>

#include "base/base64.hpp"
#include "fuzz_check.hpp"
#include "proto/sfv.hpp"

using namespace bigupload;

namespace {

template <class T, class Parse, class Serialize>
void round_trip(std::string_view field, Parse parse, Serialize serialize)
{
    T v;
    if (!parse(field, v).ok()) {
        return;
    }
    std::optional<std::string> s = serialize(v);
    fuzz_check(s.has_value());
    T again;
    fuzz_check(parse(*s, again).ok());
    fuzz_check(again == v);
    std::optional<std::string> s2 = serialize(again);
    fuzz_check(s2 && *s2 == *s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    std::string_view field(reinterpret_cast<const char *>(data) + 1, size - 1);

    switch (data[0] % 3) {
    case 0:
        round_trip<sfv::Item>(field, sfv::parse_item, sfv::serialize_item);
        break;
    case 1:
        round_trip<sfv::List>(field, sfv::parse_list, sfv::serialize_list);
        break;
    default:
        round_trip<sfv::Dictionary>(field, sfv::parse_dictionary, sfv::serialize_dictionary);
        break;
    }

    std::string enc = base64_encode(field);
    std::optional<std::string> dec = base64_decode(enc, Base64Mode::strict);
    fuzz_check(dec && *dec == field);
    dec = base64_decode(enc, Base64Mode::lenient_padding);
    fuzz_check(dec && *dec == field);
    // what strict mode accepts is canonical: it encodes back to itself
    dec = base64_decode(field, Base64Mode::strict);
    if (dec) {
        fuzz_check(base64_encode(*dec) == field);
    }
    return 0;
}
