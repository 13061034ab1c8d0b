// Fuzz target: what bgclient makes of a server's answer to an upload
// (client/tool_outcome: parse_server_reply, classify, one_line).
//
// The input is read with FuzzedDataProvider: the answer's status, libcurl's
// result, the body (JSON or not), Retry-After, Repr-Digest, Location and
// reason phrase, and what was sent (size, sha256, --overwrite).
// Properties:
// - parse_server_reply says JSON exactly when the body is a JSON object
//   (differential with nlohmann directly), "own answer" exactly for
//   {path, size} with at most one digest keyed by its algorithm (sha256: hex
//   of its length), and a size only for a non-negative integer;
// - classify gives one of the documented exit codes; success only for a 2xx
//   whose sha256 (and size, when given) is what was sent, never with a
//   message; a retry only for transport failures, 408, 429 and 5xx;
// - whatever the server sends, bgclient's message is one printable line:
//   no control character (escape sequences, line breaks) reaches the
//   terminal from the body, the headers or libcurl's error text;
// - one_line is printable, at most max bytes plus "...", without a trailing
//   space.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_client_outcome fuzz/corpus/client_outcome), from these sources:
// fuzz-sources: client/tool_outcome.cpp client/tool_retry.cpp client/tool_resume.cpp
// fuzz-sources: client/tool_url.cpp client/tool_exit.cpp client/tool_digest.cpp
// fuzz-sources: ngx_module/core/proto/digest_fields.cpp ngx_module/core/proto/sfv.cpp
// fuzz-sources: ngx_module/core/base/digest.cpp ngx_module/core/base/crc.cpp
// fuzz-sources: ngx_module/core/base/base64.cpp ngx_module/core/base/range.cpp
// fuzz-sources: ngx_module/core/base/size.cpp
#include <cstdint>
#include <string>
#include <utility>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "tool_exit.hpp"
#include "tool_outcome.hpp"

using namespace bgclient;

namespace {

std::string lower(std::string s)
{
    for (char &c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s;
}

void reply(const std::string &body)
{
    ServerReply r = parse_server_reply(body);
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    bool object = !j.is_discarded() && j.is_object();
    fuzz_check(r.json == object);
    if (!object) {
        fuzz_check(!r.own_answer && !r.size && r.error.empty() && r.sha256.empty());
        return;
    }
    // bigupload's own answer: "path" and "size", and the file's digest keyed
    // by its algorithm's name unless it keeps none (bigupload_digest off)
    static const std::pair<const char *, std::size_t> algs[] = {
        {"sha256", 64}, {"sha512", 128}, {"sha1", 40}, {"md5", 32}, {"crc32c", 8}, {"crc64nvme", 16}};
    std::size_t digests = 0;
    for (const auto &a : algs) {
        auto it = j.find(a.first);
        if (it != j.end() && it->is_string()) {
            const std::string v = it->get<std::string>();
            bool hex = v.size() == a.second;
            for (char c : v) {
                hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
            }
            digests += hex;
        }
    }
    fuzz_check(r.own_answer
               == (j.contains("path") && j.contains("size")
                   && (j.size() == 2 || (j.size() == 3 && digests == 1))));
    auto size = j.find("size");
    bool counted = size != j.end() && (size->is_number_unsigned()
                                       || (size->is_number_integer() && size->get<std::int64_t>() >= 0));
    fuzz_check(r.size.has_value() == counted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider in(data, size);

    static const long statuses[] = {200, 201, 204, 301, 307, 400, 401, 404, 405, 408, 409,
                                    412, 413, 416, 429, 500, 501, 502, 503, 505, 507, 0};
    static const int curl_codes[] = {0, 0, 0, 7, 28, 52, 55, 56, 18, 16, 92, 60, 42};

    AttemptResult r;
    r.status = in.ConsumeBool() ? in.PickValueInArray(statuses) : in.ConsumeIntegral<long>();
    r.curl_code = in.PickValueInArray(curl_codes);
    r.curl_error = in.ConsumeRandomLengthString(64);
    r.reason = in.ConsumeRandomLengthString(32);
    r.retry_after = in.ConsumeRandomLengthString(40);
    r.location = in.ConsumeRandomLengthString(64);
    r.repr_digest = in.ConsumeRandomLengthString(80);
    r.deadline = in.ConsumeBool();
    r.body = in.ConsumeRandomLengthString(512);

    OutcomeInput oi;
    oi.url = "http://h/upload/f.bin";
    oi.overwrite = in.ConsumeBool();
    oi.local_size = in.ConsumeIntegralInRange<std::uint64_t>(0, 10);
    oi.local_digest = in.ConsumeBool() ? std::string(64, 'a') : lower(in.ConsumeRandomLengthString(64));
    oi.now = in.ConsumeIntegral<std::int32_t>();

    std::size_t max = in.ConsumeIntegralInRange<std::size_t>(0, 64);
    reply(r.body);
    reply(in.ConsumeRemainingBytesAsString());

    Outcome o = classify(r, oi);
    static const int codes[] = {exit_ok, exit_usage, exit_local_file, exit_transport,
                                exit_refused, exit_server, exit_integrity, exit_interrupted};
    bool known = false;
    for (int c : codes) {
        known = known || c == o.exit_code;
    }
    fuzz_check(known);
    fuzz_check(fuzz_printable(o.message));
    if (o.exit_code == exit_ok) {
        fuzz_check(o.message.empty() && r.status >= 200 && r.status < 300);
        fuzz_check(o.verified_digest == lower(oi.local_digest) && !o.verified_digest.empty());
        fuzz_check(!o.reply.size || *o.reply.size == oi.local_size);
    } else {
        fuzz_check(!o.message.empty() && o.verified_digest.empty());
    }
    if (o.retryable) {
        fuzz_check(o.exit_code == exit_transport || o.exit_code == exit_server
                   || (o.exit_code == exit_refused && (r.status == 408 || r.status == 429)));
    }
    if (o.retry_after) {
        fuzz_check(*o.retry_after >= 0);
    }

    std::string line = one_line(r.body, max);
    fuzz_check(fuzz_printable(line) && line.size() <= max + 3 && (line.empty() || line.back() != ' '));
    return 0;
}
