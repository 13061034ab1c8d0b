// Fuzz target: what bgclient makes of a server's answer to HEAD, and the
// plan it sends from it (client/tool_resume: parse_held, plan_pieces,
// effective_chunk, status_line).
//
// The input is read with FuzzedDataProvider: the status, the raw
// Upload-Offset, Upload-Ranges, Upload-Length, Content-Length and
// Repr-Digest values, then a file size, -j and --chunk-size.
// Properties:
// - a partial that parses is consistent: its ranges are well-formed, its
//   offset is where they stop being contiguous (and the Upload-Offset sent),
//   nothing lies past its Upload-Length;
// - a malformed answer says why in one printable line (the server's values
//   are quoted, its control characters are not);
// - the plan sends exactly what the server lacks: the pieces are in order,
//   disjoint, each within --chunk-size (when not 0), none overlapping what
//   is held, and together with it they cover the file;
// - effective_chunk gives the option when given, else 0 for -j 1, else a
//   share between 1 MiB and 64 MiB; the --status line is printable.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_client_resume fuzz/corpus/client_resume), from these sources:
// fuzz-sources: client/tool_resume.cpp client/tool_outcome.cpp client/tool_retry.cpp
// fuzz-sources: client/tool_url.cpp client/tool_exit.cpp client/tool_digest.cpp
// fuzz-sources: ngx_module/core/proto/digest_fields.cpp ngx_module/core/proto/sfv.cpp
// fuzz-sources: ngx_module/core/base/digest.cpp ngx_module/core/base/crc.cpp
// fuzz-sources: ngx_module/core/base/base64.cpp ngx_module/core/base/range.cpp
// fuzz-sources: ngx_module/core/base/size.cpp
// fuzz-options: -max_len=1024
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.hpp"
#include "fuzz_ranges.hpp"
#include "tool_resume.hpp"

using namespace bgclient;
using bigupload::ByteRange;
using bigupload::RangeSet;

namespace {

void plan(const RangeSet &held, std::uint64_t size, std::uint64_t chunk)
{
    std::vector<ByteRange> pieces = plan_pieces(held, size, chunk);
    RangeSet all = held;
    std::uint64_t pos = 0;
    for (const ByteRange &p : pieces) {
        fuzz_check(p.start < p.end && p.start >= pos && p.end <= size);
        fuzz_check(chunk == 0 || p.size() <= chunk);
        fuzz_check(!held.overlaps(p.start, p.end));
        all.add(p);
        pos = p.end;
    }
    fuzz_check(all.covers(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider in(data, size);
    static const long statuses[] = {204, 204, 204, 200, 404, 409, 405, 501, 500};

    HeadAnswer a;
    a.status = in.PickValueInArray(statuses);
    a.upload_offset = in.ConsumeRandomLengthString(32);
    a.upload_ranges = in.ConsumeRandomLengthString(256);
    a.upload_length = in.ConsumeRandomLengthString(32);
    a.content_length = in.ConsumeRandomLengthString(32);
    a.repr_digest = in.ConsumeRandomLengthString(80);

    Held h = parse_held(a);
    fuzz_check(fuzz_printable(status_line(h)));
    switch (h.kind) {
    case HeldKind::partial:
        fuzz_check(h.error.empty() && fuzz_well_formed(h.ranges));
        fuzz_check(h.offset == h.ranges.contiguous());
        fuzz_check(!h.length || h.ranges.end() <= *h.length);
        break;
    case HeldKind::malformed:
        fuzz_check(a.status == 204 && !h.error.empty() && fuzz_printable(h.error));
        break;
    default:
        fuzz_check(h.error.empty());
        break;
    }

    // a plan for a file of up to 64 MiB, from what the server says it holds
    // (or from ranges made up here when it said nothing usable)
    std::uint64_t fsize = in.ConsumeIntegralInRange<std::uint64_t>(0, 64 << 20);
    unsigned parallel = in.ConsumeIntegralInRange<unsigned>(1, max_parallel);
    std::uint64_t option = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<std::uint64_t>(
                                                      min_chunk_size, 1ull << 40);
    RangeSet held = h.ranges;
    if (held.empty()) {
        for (int n = in.ConsumeIntegralInRange(0, 6); n > 0; n--) {
            std::uint64_t s = in.ConsumeIntegralInRange<std::uint64_t>(0, fsize + 10);
            held.add(s, s + in.ConsumeIntegralInRange<std::uint64_t>(1, 1 << 24));
        }
    }
    std::uint64_t missing = 0;
    for (const ByteRange &g : held.gaps(fsize)) {
        missing += g.size();
    }
    std::uint64_t chunk = effective_chunk(parallel, option, missing);
    if (option != 0) {
        fuzz_check(chunk == option);
    } else if (parallel == 1) {
        fuzz_check(chunk == 0);
    } else {
        fuzz_check(chunk >= (1u << 20) && chunk <= default_chunk_size);
    }
    // at least 64k per piece: at most 1024 pieces for 64 MiB
    plan(held, fsize, chunk == 0 ? 0 : std::max<std::uint64_t>(chunk, min_chunk_size));
    plan(held, fsize, 0);

    if (fsize > 0) {
        ByteRange last{fsize - 1, fsize};
        fuzz_check(piece_content_range(last, fsize)
                   == "bytes " + std::to_string(fsize - 1) + "-" + std::to_string(fsize - 1) + "/"
                          + std::to_string(fsize));
    }
    fuzz_check(fuzz_printable(resume_message(h.offset, fsize)));
    return 0;
}
