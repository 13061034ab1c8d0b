// Fuzz target: bgclient's command line (client/tool_args, tool_url).
//
// The input is the argument list, NUL-separated (argv without argv[0]).
// Properties:
// - both entry points (argc/argv and a vector) give the same result, and
//   the exit code says usage error exactly for an error (with a message);
// - a command line that is accepted gives a Config that the transfer code
//   can trust: an http(s) URL without spaces, control characters, query or
//   fragment; a remote path that starts with "/" and is a valid bigupload
//   path; the target URL that join_url makes of them; -j within 1..16,
//   --retries within 0..100, --chunk-size 0 or at least 64k; headers with a
//   clean name and no line break; never --user with --oauth2-bearer; the
//   combinations the help refuses (stdin with -j or --restart, --no-resume
//   with -j, --status with a file) refused;
// - parse_seconds_ms agrees with a reference parser written here
//   (differential), on the first argument.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_client_args fuzz/corpus/client_args), from these sources:
// fuzz-sources: client/tool_args.cpp client/tool_url.cpp client/tool_exit.cpp
// fuzz-sources: ngx_module/core/base/path.cpp ngx_module/core/base/size.cpp
// fuzz-sources: client/tool_digest.cpp client/tool_protocol.cpp client/tool_resume.cpp client/tool_outcome.cpp
// fuzz-sources: ngx_module/core/base/range.cpp client/tool_retry.cpp
// fuzz-sources: ngx_module/core/base/digest.cpp ngx_module/core/base/crc.cpp ngx_module/core/base/base64.cpp
// fuzz-sources: ngx_module/core/proto/digest_fields.cpp ngx_module/core/proto/sfv.cpp
// fuzz-options: -max_len=512
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/path.hpp"
#include "fuzz_check.hpp"
#include "tool_args.hpp"
#include "tool_exit.hpp"
#include "tool_resume.hpp"

using namespace bgclient;

namespace {

bool clean(const std::string &s)
{
    for (unsigned char c : s) {
        if (c <= 0x20 || c == 0x7f) {
            return false;
        }
    }
    return !s.empty();
}

// "2.5" -> 2500: digits, an optional "." and 1-3 digits, at most "max" s.
bool reference_seconds(const std::string &s, long max, long &ms)
{
    std::size_t dot = s.find('.');
    std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot + 1);
    if ((whole.empty() && frac.empty()) || (dot != std::string::npos && frac.empty())
        || frac.size() > 3 || whole.find_first_not_of("0123456789") != std::string::npos
        || frac.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    std::size_t nz = whole.find_first_not_of('0');
    std::string digits = nz == std::string::npos ? "" : whole.substr(nz);
    if (digits.size() > 12) {
        return false;
    }
    long w = digits.empty() ? 0 : std::stol(digits);
    while (frac.size() < 3) {
        frac += '0';
    }
    long f = std::stol(frac);
    if (w > max || (w == max && f > 0)) {
        return false;
    }
    ms = w * 1000 + f;
    return true;
}

void check_config(const Config &c)
{
    fuzz_check(c.url.rfind("http://", 0) == 0 || c.url.rfind("https://", 0) == 0);
    fuzz_check(clean(c.url) && c.url.find_first_of("?#") == std::string::npos);
    fuzz_check(!c.remote_path.empty() && c.remote_path[0] == '/');
    std::vector<std::string> segs;
    fuzz_check(bigupload::split_remote_path(c.remote_path, segs) == bigupload::PathError::ok);
    fuzz_check(c.target_url == bigupload::join_url(c.url, c.remote_path));

    fuzz_check(c.parallel >= 1 && c.parallel <= max_parallel && c.retries <= 100);
    fuzz_check(c.chunk_size == 0 || c.chunk_size >= min_chunk_size);
    fuzz_check(c.connect_timeout_ms >= 0 && c.max_time_ms >= 0);
    for (const std::string &h : c.headers) {
        std::size_t colon = h.find_first_of(":;");
        fuzz_check(colon != std::string::npos && colon > 0);
        fuzz_check(clean(h.substr(0, colon)));
        fuzz_check(h.find_first_of("\r\n") == std::string::npos);
    }
    fuzz_check(!(c.have_user && !c.bearer.empty()));
    fuzz_check(c.status ? c.file_path.empty() : !c.file_path.empty());
    fuzz_check(c.file_path != "-" || (!c.restart && c.parallel == 1));
    fuzz_check(c.resume || (!c.restart && c.parallel == 1 && c.chunk_size == 0));
    fuzz_check(!c.quiet || c.progress == ProgressMode::none);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::vector<std::string> args;
    std::string_view in(reinterpret_cast<const char *>(data), size);
    while (!in.empty() && args.size() < 32) {
        std::size_t nul = in.find('\0');
        args.emplace_back(in.substr(0, nul));
        in = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
    }

    ArgResult r = parse_args(args);

    std::vector<const char *> argv = {"bgclient"};
    for (const std::string &a : args) {
        argv.push_back(a.c_str());
    }
    ArgResult again = parse_args(static_cast<int>(argv.size()), argv.data());
    fuzz_check(again.action == r.action && again.error == r.error
               && again.config.target_url == r.config.target_url);

    fuzz_check((exit_code_for(r) == exit_usage) == (r.action == ArgAction::error));
    if (r.action == ArgAction::error) {
        fuzz_check(!r.error.empty());
    } else if (r.action == ArgAction::run) {
        check_config(r.config);
    }

    if (!args.empty()) {
        long ms = -1, ref = -1;
        bool ok = parse_seconds_ms(args[0], 1000000, ms);
        fuzz_check(ok == reference_seconds(args[0], 1000000, ref));
        fuzz_check(!ok || ms == ref);
    }
    return 0;
}
