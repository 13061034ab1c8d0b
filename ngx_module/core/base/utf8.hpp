// UTF-8 validity (RFC 3629), for the parsers that must refuse what is not
// (structured fields' display strings, form field names) and the state file,
// which keeps what is not UTF-8 in another form.
#pragma once

#include <cstddef>
#include <string_view>

namespace bigupload {

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above
// U+10FFFF, no sequence cut short.
inline bool valid_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        unsigned char lo = 0x80, hi = 0xbf;   // the second byte's range
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80;     // overlong
            hi = c == 0xed ? 0x9f : 0xbf;     // surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;     // overlong
            hi = c == 0xf4 ? 0x8f : 0xbf;     // above U+10FFFF
        } else {
            return false;
        }
        if (s.size() - i <= n) {
            return false;                     // cut short
        }
        for (std::size_t k = 1; k <= n; k++) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf)) {
                return false;
            }
        }
        i += n + 1;
    }
    return true;
}

}  // namespace bigupload
