// What the fuzz targets share: a property that must hold, or the run stops
// with the input saved (libFuzzer treats abort() as a crash), after saying
// which property failed and where.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

[[noreturn]] inline void fuzz_check_failed(const char *what, const char *file, int line)
{
    std::fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, what);
    abort();
}

#define fuzz_check(holds) \
    ((holds) ? (void) 0 : fuzz_check_failed(#holds, __FILE__, __LINE__))

// Whether text is safe to print on one line: no control character (a line
// break, a terminal escape sequence).
inline bool fuzz_printable(std::string_view s)
{
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}
