// What the targets that see byte ranges share (fuzz_range, fuzz_state,
// fuzz_client_resume).
#pragma once

#include "base/range.hpp"

// A RangeSet's invariant: sorted, disjoint, not adjacent, no empty range.
inline bool fuzz_well_formed(const bigupload::RangeSet &s)
{
    const bigupload::ByteRange *prev = nullptr;
    for (const bigupload::ByteRange &r : s.ranges()) {
        if (r.start >= r.end || (prev && prev->end >= r.start)) {
            return false;
        }
        prev = &r;
    }
    return true;
}
