// Base64 (RFC 4648 section 4, the standard alphabet) with the two strictness
// levels the protocols need.  OpenSSL's EVP_DecodeBlock is not used: it skips
// whitespace, and it cannot say whether the padding or the pad bits were
// canonical, which is exactly what the callers must decide on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bigupload {

// Canonical base64 of "bytes", "=" padded.
std::string base64_encode(std::string_view bytes);

enum class Base64Mode {
    // Exactly what base64_encode produces: a length that is a multiple of 4,
    // "=" padding where needed and nowhere else, pad bits zero (RFC 4648
    // sections 3.2 and 3.5 allow a decoder to refuse the rest).  Decoding and
    // encoding again gives the input back.  For tus (Upload-Metadata,
    // Upload-Checksum).
    strict,
    // RFC 9651 section 4.2.7: "=" padding may be missing and pad bits may be
    // non-zero; "=" anywhere but at the end, more than two of them, or a
    // length of 4n+1 still fails.  For structured-field Byte Sequences.
    lenient_padding,
};

// The decoded bytes, or nullopt when "text" is not base64 in "mode" (any
// character outside A-Z a-z 0-9 + / =, whitespace included, fails).
std::optional<std::string> base64_decode(std::string_view text, Base64Mode mode);

}  // namespace bigupload
