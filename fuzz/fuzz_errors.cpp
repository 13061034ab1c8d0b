// Fuzz target: the errors table's log lines and messages (proto/errors).
//
// The input picks an error of the table and the values of its log line
// (path, value, header, detail, method, op, file, bytes, limit: what a
// client's request, a file name or a syscall fills in).  Properties:
// - the table lists every error in the enum's order (error_info finds each
//   row), with a status and a code;
// - error_log_line expands its template exactly once: the same text as an
//   expansion written here (differential), so a value holding "{path}" stays
//   as it is and every value appears whole;
// - the line is one printable line, whatever the values hold: a control
//   character or a backslash in a value is "\xNN", nothing else changes;
// - error_message gives the detail when there is one, else the table's;
//   error_for_errno and error_for_outcome map anything to a row.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_errors fuzz/corpus/errors), from these sources:
// fuzz-sources: ngx_module/core/proto/errors.cpp
// fuzz-options: -max_len=1024
#include <cstdint>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.hpp"
#include "proto/errors.hpp"

using namespace bigupload;

namespace {

std::string escaped(std::string_view v)
{
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : v) {
        if (c < 0x20 || c == 0x7f || c == '\\') {
            out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// The template, "{name}" by "{name}": each placeholder the table may use.
std::string reference(std::string_view t, const ErrorArgs &a)
{
    const std::pair<std::string_view, std::string> fill[] = {
        {"{path}", escaped(a.path)},       {"{value}", escaped(a.value)},
        {"{header}", escaped(a.header)},   {"{detail}", escaped(a.detail)},
        {"{method}", escaped(a.method)},   {"{op}", escaped(a.op)},
        {"{file}", escaped(a.file)},       {"{bytes}", std::to_string(a.bytes)},
        {"{limit}", std::to_string(a.limit)},
    };
    std::string out;
    while (!t.empty()) {
        bool matched = false;
        for (const auto &[name, value] : fill) {
            if (t.substr(0, name.size()) == name) {
                out += value;
                t.remove_prefix(name.size());
                matched = true;
                break;
            }
        }
        if (!matched) {
            out += t[0];
            t.remove_prefix(1);
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider in(data, size);
    std::size_t count;
    const ErrorInfo *table = error_table(count);

    const ErrorInfo &row = table[in.ConsumeIntegralInRange<std::size_t>(0, count - 1)];
    fuzz_check(&error_info(row.error) == &row);
    fuzz_check(row.status >= 200 && row.status < 600 && row.code && row.message && row.log);

    std::string path = in.ConsumeRandomLengthString(128), value = in.ConsumeRandomLengthString(128),
                header = in.ConsumeRandomLengthString(32), detail = in.ConsumeRandomLengthString(128),
                method = in.ConsumeRandomLengthString(16), op = in.ConsumeRandomLengthString(16),
                file = in.ConsumeRandomLengthString(128);
    ErrorArgs a;
    a.path = path;
    a.value = value;
    a.header = header;
    a.detail = detail;
    a.method = method;
    a.op = op;
    a.file = file;
    a.bytes = in.ConsumeIntegral<std::int64_t>();
    a.limit = in.ConsumeIntegral<std::int64_t>();

    std::string line = error_log_line(row.error, a);
    fuzz_check(line == reference(row.log, a));
    for (unsigned char c : line) {
        fuzz_check(c >= 0x20 && c != 0x7f);
    }

    fuzz_check(error_message(row.error, detail) == (detail.empty() ? row.message : detail));

    const ErrorInfo &e = error_info(error_for_errno(in.ConsumeIntegral<int>()));
    fuzz_check(e.status >= 400);
    Error o = error_for_outcome(static_cast<Outcome>(in.ConsumeIntegralInRange<int>(0, static_cast<int>(Outcome::error))));
    fuzz_check(o == Error::none || error_info(o).status >= 400);
    return 0;
}
