#include "base/base64.hpp"

#include <cstdint>

namespace bigupload {

namespace {

const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for an alphabet character, -1 otherwise ("=" included)
int sextet(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);

    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = (std::uint32_t) (unsigned char) bytes[i] << 16
                          | (std::uint32_t) (unsigned char) bytes[i + 1] << 8
                          | (std::uint32_t) (unsigned char) bytes[i + 2];
        out.push_back(alphabet[v >> 18]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(alphabet[(v >> 6) & 63]);
        out.push_back(alphabet[v & 63]);
    }

    std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        std::uint32_t v = (std::uint32_t) (unsigned char) bytes[i] << 16;
        out.push_back(alphabet[v >> 18]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out += "==";
    } else if (rest == 2) {
        std::uint32_t v = (std::uint32_t) (unsigned char) bytes[i] << 16
                          | (std::uint32_t) (unsigned char) bytes[i + 1] << 8;
        out.push_back(alphabet[v >> 18]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(alphabet[(v >> 6) & 63]);
        out.push_back('=');
    }

    return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64Mode mode)
{
    // split off the padding: only at the end, at most two
    std::size_t pad = 0;
    while (pad < text.size() && text[text.size() - 1 - pad] == '=') {
        pad++;
    }
    if (pad > 2) {
        return std::nullopt;
    }
    std::string_view data = text.substr(0, text.size() - pad);

    // the final group holds 2 or 3 characters (1 or 2 bytes), never 1
    std::size_t tail = data.size() % 4;
    if (tail == 1) {
        return std::nullopt;
    }
    if (mode == Base64Mode::strict) {
        if (text.size() % 4 != 0) {
            return std::nullopt;           // missing padding
        }
    } else if (pad != 0 && (data.size() + pad) % 4 != 0) {
        return std::nullopt;               // padding present, but the wrong amount
    }
    std::string out;
    out.reserve(data.size() / 4 * 3 + 2);

    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : data) {
        int v = sextet(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | (std::uint32_t) v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back((char) ((acc >> bits) & 0xff));
        }
    }

    // what is left are the pad bits of the final group
    if (bits != 0 && (acc & ((1u << bits) - 1)) != 0 && mode == Base64Mode::strict) {
        return std::nullopt;
    }

    return out;
}

}  // namespace bigupload
