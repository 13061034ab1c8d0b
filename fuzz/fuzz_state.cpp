// Fuzz target: the state file of a resumable upload (engine/upload_state).
//
// Every input is used three ways:
// - as a whole state file, given to parse_state;
// - its first line as the JSON of a state file whose checksum line this
//   target adds (so that the fuzzer reaches the JSON, which a checksum would
//   otherwise guard), given to parse_state;
// - as the fields of an UploadState built here (FuzzedDataProvider), of the
//   kind the engine writes: a valid key or none, any remote path, received
//   ranges within the length, any metadata, preconditions and prefix digest.
// Properties:
// - a state that parses keeps the invariants the engine relies on (a valid
//   key or none, well-formed ranges within the length, a digest of no more
//   than the prefix held), its JSON said version 1 exactly, and it
//   serializes to a file that parses back to the same state, and then to
//   the same bytes again;
// - every state the engine can write parses back to the same state: never
//   a state the module cannot read, or reads as another.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_state fuzz/corpus/state), from these sources:
// fuzz-sources: ngx_module/core/engine/upload_state.cpp ngx_module/core/base/range.cpp
// fuzz-sources: ngx_module/core/base/size.cpp ngx_module/core/base/digest.cpp
// fuzz-sources: ngx_module/core/base/crc.cpp ngx_module/core/base/base64.cpp
#include <cstdint>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include "base/digest.hpp"
#include "engine/upload_state.hpp"
#include "fuzz_check.hpp"
#include "fuzz_ranges.hpp"

using namespace bigupload;

namespace {

bool same(const UploadState &a, const UploadState &b)
{
    bool digest = a.digest.has_value() == b.digest.has_value()
                  && (!a.digest
                      || (a.digest->alg == b.digest->alg && a.digest->hashed == b.digest->hashed
                          && a.digest->saved == b.digest->saved));
    return a.key == b.key && a.path == b.path && a.length == b.length
           && a.received == b.received && a.created == b.created && a.updated == b.updated
           && (a.protocol == b.protocol
               || ((a.protocol.empty() || a.protocol == "native")
                   && (b.protocol.empty() || b.protocol == "native")))
           && a.metadata == b.metadata && a.part == b.part
           && a.pre.if_none_match_any == b.pre.if_none_match_any
           && a.pre.if_match_any == b.pre.if_match_any && a.pre.if_match == b.pre.if_match
           && a.pre.if_none_match == b.pre.if_none_match && digest;
}

bool sound(const UploadState &st)
{
    return fuzz_well_formed(st.received) && (st.key.empty() || valid_upload_key(st.key))
           && (!st.length || st.received.end() <= *st.length)
           && (!st.digest || st.digest->hashed <= st.received.contiguous());
}

void parsed(std::string_view text)
{
    UploadState st;
    StateError e = parse_state(text, st);
    fuzz_check(state_error_message(e) != nullptr);
    if (e != StateError::ok) {
        return;
    }
    fuzz_check(sound(st));

    nlohmann::json j = nlohmann::json::parse(text.substr(0, text.find('\n')));
    fuzz_check(j.at("version").is_number_integer() && j.at("version") == 1);

    std::string file = serialize_state(st);
    UploadState back;
    fuzz_check(parse_state(file, back) == StateError::ok);
    fuzz_check(same(st, back));
    fuzz_check(serialize_state(back) == file);
}

std::string with_checksum(std::string_view line)
{
    return std::string(line) + "\nsha256 " + sha256_hex(line.data(), line.size()) + "\n";
}

std::string key_from(FuzzedDataProvider &in)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~+/=-";
    std::string k(in.ConsumeIntegralInRange<std::size_t>(0, 128), 'x');
    for (char &c : k) {
        c = chars[in.ConsumeIntegralInRange<std::size_t>(0, sizeof(chars) - 2)];
    }
    return k;
}

std::vector<std::string> strings_from(FuzzedDataProvider &in)
{
    std::vector<std::string> v(in.ConsumeIntegralInRange<std::size_t>(0, 3));
    for (std::string &s : v) {
        s = in.ConsumeRandomLengthString(64);
    }
    return v;
}

// A state as the engine writes one (resumable.cpp, the front-ends).
void written(const std::uint8_t *data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    UploadState st;

    st.key = key_from(in);
    st.path = in.ConsumeRandomLengthString(256);
    std::uint64_t pos = 0;
    for (int n = in.ConsumeIntegralInRange(0, 8); n > 0; n--) {
        std::uint64_t gap = in.ConsumeIntegralInRange<std::uint64_t>(pos == 0 ? 0 : 1, 1ull << 40);
        std::uint64_t len = in.ConsumeIntegralInRange<std::uint64_t>(1, 1ull << 40);
        st.received.add(pos + gap, pos + gap + len);
        pos += gap + len;
    }
    if (in.ConsumeBool()) {
        st.length = st.received.end() + in.ConsumeIntegralInRange<std::uint64_t>(0, 1ull << 40);
    }
    st.created = in.ConsumeIntegral<std::int64_t>();
    st.updated = in.ConsumeIntegral<std::int64_t>();
    st.protocol = in.PickValueInArray({"", "native", "tus", "ietf"});
    st.metadata = in.ConsumeRandomLengthString(256);
    st.part = in.ConsumeBool();
    st.pre.if_none_match_any = in.ConsumeBool();
    st.pre.if_match_any = in.ConsumeBool();
    st.pre.if_match = strings_from(in);
    st.pre.if_none_match = strings_from(in);
    if (in.ConsumeBool()) {
        PrefixDigest d;
        d.alg = in.PickValueInArray({"sha256", "sha512", "crc32c", "md5"});
        d.hashed = in.ConsumeIntegralInRange<std::uint64_t>(0, st.received.contiguous());
        d.saved = in.ConsumeRandomLengthString(256);
        st.digest = std::move(d);
    }

    std::string file = serialize_state(st);
    UploadState back;
    fuzz_check(parse_state(file, back) == StateError::ok);
    fuzz_check(same(st, back));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view text(reinterpret_cast<const char *>(data), size);

    parsed(text);
    parsed(with_checksum(text.substr(0, text.find('\n'))));
    written(data, size);
    return 0;
}
