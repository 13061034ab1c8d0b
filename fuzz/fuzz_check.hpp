// What the fuzz targets share: a property that must hold, or the run stops
// with the input saved (libFuzzer treats abort() as a crash).
#pragma once

#include <cstdlib>

inline void fuzz_check(bool holds)
{
    if (!holds) {
        abort();
    }
}
