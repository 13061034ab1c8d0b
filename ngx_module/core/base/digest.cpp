#include "base/digest.hpp"

#include <new>
#include <stdexcept>

#include <openssl/evp.h>

namespace bigupload {

namespace {

EVP_MD_CTX *as_ctx(void *p) { return static_cast<EVP_MD_CTX *>(p); }

const char hexdigits[] = "0123456789abcdef";

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new())
{
    if (ctx_ == nullptr) {
        throw std::bad_alloc();
    }
    reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

void Sha256::reset()
{
    if (EVP_DigestInit_ex(as_ctx(ctx_), EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("sha256 init failed");
    }
}

void Sha256::update(const void *data, std::size_t len)
{
    if (len != 0 && EVP_DigestUpdate(as_ctx(ctx_), data, len) != 1) {
        throw std::runtime_error("sha256 update failed");
    }
}

std::string Sha256::final_hex()
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_DigestFinal_ex(as_ctx(ctx_), md, &n) != 1) {
        throw std::runtime_error("sha256 final failed");
    }

    std::string hex;
    hex.reserve(n * 2);
    for (unsigned int i = 0; i < n; i++) {
        hex.push_back(hexdigits[md[i] >> 4]);
        hex.push_back(hexdigits[md[i] & 0x0f]);
    }

    reset();
    return hex;
}

std::string sha256_hex(const void *data, std::size_t len)
{
    Sha256 h;
    h.update(data, len);
    return h.final_hex();
}

std::string repr_digest_sha256(const std::string &hex)
{
    unsigned char raw[32];
    unsigned char b64[64];

    if (hex.size() != 64) {
        return std::string();
    }

    for (std::size_t i = 0; i < 32; i++) {
        int v = 0;
        for (std::size_t k = 0; k < 2; k++) {
            char c = hex[2 * i + k];
            int d = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                return std::string();
            }
            v = v * 16 + d;
        }
        raw[i] = (unsigned char) v;
    }

    int n = EVP_EncodeBlock(b64, raw, 32);
    return "sha-256=:" + std::string((const char *) b64, (std::size_t) n) + ":";
}

std::string sha256_from_repr_digest(const std::string &value)
{
    // a structured-field dictionary: members separated by commas
    std::size_t pos = 0;

    while (pos < value.size()) {
        std::size_t end = value.find(',', pos);
        if (end == std::string::npos) {
            end = value.size();
        }

        std::string member = value.substr(pos, end - pos);
        std::size_t a = member.find_first_not_of(" \t");
        std::size_t b = member.find_last_not_of(" \t");
        member = a == std::string::npos ? std::string() : member.substr(a, b - a + 1);

        const std::string key = "sha-256=:";
        if (member.size() == key.size() + 44 + 1 && member.compare(0, key.size(), key) == 0
            && member.back() == ':')
        {
            unsigned char raw[48];
            int n = EVP_DecodeBlock(raw, (const unsigned char *) member.data() + key.size(), 44);
            if (n == 33 && member[key.size() + 43] == '=') {
                std::string hex;
                for (int i = 0; i < 32; i++) {
                    hex += hexdigits[raw[i] >> 4];
                    hex += hexdigits[raw[i] & 0xf];
                }
                return hex;
            }
        }

        pos = end + 1;
    }

    return std::string();
}

}  // namespace bigupload
