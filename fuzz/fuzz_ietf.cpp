// Fuzz target: the IETF draft's fields and answer builders (proto/ietf).
//
// The first byte picks the interop version (3..8), the rest is a header
// value given to every parser.  Properties: Upload-Limit parses back from
// what format_limit makes of it; the completeness field round-trips with its
// polarity; numbers parsed build answers whose headers parse back to them;
// problem bodies are JSON with the registered type.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_ietf fuzz/corpus/ietf), from these sources:
// fuzz-sources: ngx_module/core/proto/ietf.cpp ngx_module/core/proto/sfv.cpp ngx_module/core/proto/media_type.cpp ngx_module/core/base/base64.cpp
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include <nlohmann/json.hpp>

#include "proto/ietf.hpp"

using namespace bigupload;
using namespace bigupload::ietf;

namespace {

std::string header(const Headers &h, const std::string &name)
{
    for (const auto &kv : h) {
        if (kv.first == name) {
            return kv.second;
        }
    }
    return std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const VersionTraits &t = *traits_for(min_interop_version + data[0] % 6);
    std::string_view value(reinterpret_cast<const char *>(data) + 1, size - 1);

    int version = 0;
    if (parse_interop_version(value, version).ok()) {
        fuzz_check(traits_for(version) != nullptr);
    }

    bool complete = false;
    if (parse_complete(t, value, complete).ok()) {
        bool again = !complete;
        fuzz_check(parse_complete(t, format_complete(t, complete), again).ok() && again == complete);
    }

    std::uint64_t offset = 0;
    if (parse_offset(value, offset).ok()) {
        UploadState s{ offset, complete, offset };
        std::optional<Answer> a = head_answer(t, s, nullptr);
        fuzz_check(a.has_value());
        std::uint64_t back = ~offset;
        fuzz_check(parse_offset(header(a->headers, "Upload-Offset"), back).ok() && back == offset);
        fuzz_check(refusal_answer(t, Refusal::mismatching_offset, s).has_value());
        std::optional<Headers> p = interim_progress_headers(t, offset);
        fuzz_check(p.has_value() == t.interim_progress);

        std::uint64_t len = 0;
        LengthOutcome o = deduce_length(t, { offset, offset / 2, true, offset / 2 }, std::nullopt, len);
        fuzz_check(o != LengthOutcome::known || len >= offset / 2);
    }

    Limits l;
    if (parse_limit(t, value, l).ok()) {
        std::optional<std::string> s = format_limit(t, l);
        fuzz_check(s.has_value());
        Limits again;
        fuzz_check(parse_limit(t, *s, again).ok());
        Limits expect = l;
        if (!l.max_size && !l.min_size && !l.max_append_size && !l.min_append_size && !l.lifetime) {
            expect.min_size = 0;          // an empty Upload-Limit is sent as "min-size=0"
        }
        fuzz_check(again == expect);
    }

    std::optional<Headers> h = interim_creation_headers(t, value, nullptr);
    if (h) {
        fuzz_check(header(*h, "Location") == value);
        std::string raw = http11_interim(*h);
        fuzz_check(raw.find("\r\n\r\n") == raw.size() - 4);
    }

    std::string body = problem_json(Problem::mismatching_upload_offset, 409, value, offset, size);
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    fuzz_check(!j.is_discarded() && j["type"] == problem_type_uri(Problem::mismatching_upload_offset));
    (void) is_partial_upload(value);
    return 0;
}
