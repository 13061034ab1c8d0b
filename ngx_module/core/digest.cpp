#include "digest.hpp"

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

}  // namespace bigupload
