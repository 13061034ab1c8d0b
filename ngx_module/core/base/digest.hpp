// SHA-256 over OpenSSL EVP, shared by the module and bgclient.
#pragma once

#include <cstddef>
#include <string>

namespace bigupload {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void update(const void *data, std::size_t len);
    // Lowercase hex digest; the object is reset and can be reused afterwards.
    std::string final_hex();
    void reset();

private:
    void *ctx_;  // EVP_MD_CTX, kept opaque so users need no OpenSSL headers
};

// One-shot digest of a buffer (tests, small payloads).
std::string sha256_hex(const void *data, std::size_t len);

// The RFC 9530 Repr-Digest field value for a sha256 given in hex:
// "sha-256=:<base64>:"; empty when "hex" is not 64 hex digits.
std::string repr_digest_sha256(const std::string &hex);

// The sha256 (lowercase hex) in a Repr-Digest field value; empty when the
// value has no well-formed sha-256 member.
std::string sha256_from_repr_digest(const std::string &value);

}  // namespace bigupload
