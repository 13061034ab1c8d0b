// The hashes use OpenSSL's low-level contexts (SHA256_CTX and its kin), not
// EVP: EVP's contexts are opaque, and a partial upload must save the running
// state (the "midstate") with its durable state and continue from it after a
// restart.  The low-level functions run the same block code as EVP (SHA-NI,
// AVX2: OpenSSL's default provider calls them), and their contexts are plain
// public structs, an ABI OpenSSL has kept since 0.9.8.  OpenSSL 3 deprecates
// them (in favour of EVP) but still builds and ships them in Debian 12;
// OPENSSL_SUPPRESS_DEPRECATED silences the warning in this one file (we build
// with -Werror), and the #error below says so at once if a build of OpenSSL
// ever leaves them out.  Should they go, Nettle's public sha256_ctx is the
// replacement (not taken now: one more library for no gain today).
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "base/digest.hpp"

#include "base/base64.hpp"

#include <cstring>
#include <new>

#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "base/crc.hpp"

#if defined(OPENSSL_NO_DEPRECATED_3_0) || defined(OPENSSL_NO_MD5)
#error "bigupload needs OpenSSL's low-level SHA/MD5 contexts (built without deprecated APIs?)"
#endif

namespace bigupload {

namespace {

struct AlgInfo {
    DigestAlg alg;
    const char *name;
    const char *key;     // RFC 9530 field key, or nullptr
    std::size_t size;    // raw digest bytes
    std::size_t block;   // hash block bytes; 0 for a CRC
    std::size_t words;   // bytes of saved chaining words (a CRC: its value)
};

constexpr AlgInfo algs[] = {
    {DigestAlg::sha256, "sha256", "sha-256", 32, 64, 32},
    {DigestAlg::sha512, "sha512", "sha-512", 64, 128, 64},
    {DigestAlg::sha1, "sha1", "sha", 20, 64, 20},
    {DigestAlg::md5, "md5", "md5", 16, 64, 16},
    {DigestAlg::crc32, "crc32", nullptr, 4, 0, 4},
    {DigestAlg::crc32c, "crc32c", "crc32c", 4, 0, 4},
    // not registered with IANA: see digest_field_key() in the header
    {DigestAlg::crc64nvme, "crc64nvme", "crc64nvme", 8, 0, 8},
};

const AlgInfo *info(DigestAlg alg)
{
    for (const AlgInfo &i : algs) {
        if (i.alg == alg) {
            return &i;
        }
    }
    return nullptr;
}

const unsigned char saved_version = 1;
const std::size_t saved_header = 10;  // version, algorithm, consumed

void put_le(std::string &s, std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        s.push_back(static_cast<char>(v >> (8 * i)));
    }
}

std::uint64_t get_le(const unsigned char *p, int bytes)
{
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

// The 32-bit-word hashes' contexts name their chaining words differently.
SHA_LONG *word(SHA256_CTX &c, int i) { return &c.h[i]; }

SHA_LONG *word(SHA_CTX &c, int i)
{
    SHA_LONG *h[] = {&c.h0, &c.h1, &c.h2, &c.h3, &c.h4};
    return h[i];
}

MD5_LONG *word(MD5_CTX &c, int i)
{
    MD5_LONG *h[] = {&c.A, &c.B, &c.C, &c.D};
    return h[i];
}

// The words, then the bytes of a block not yet compressed.
template <int Words, class Ctx>
void save32(std::string &s, Ctx c)
{
    for (int i = 0; i < Words; i++) {
        put_le(s, *word(c, i), 4);
    }
    s.append(reinterpret_cast<const char *>(c.data), c.num);
}

// A fresh context in "where" from "q", which holds the words and
// "consumed % 64" bytes (checked by the caller).
template <int Words, class Ctx>
void restore32(void *where, int (*init)(Ctx *), const unsigned char *q, std::uint64_t consumed)
{
    Ctx c;
    init(&c);
    for (int i = 0; i < Words; i++) {
        *word(c, i) = static_cast<std::uint32_t>(get_le(q + 4 * i, 4));
    }
    std::uint64_t bits = consumed << 3;
    c.Nl = static_cast<std::uint32_t>(bits);
    c.Nh = static_cast<std::uint32_t>(bits >> 32);
    c.num = static_cast<unsigned int>(consumed % 64);
    std::memcpy(c.data, q + 4 * Words, c.num);
    *new (where) Ctx = c;
}

}  // namespace

// --- names ------------------------------------------------------------------

const char *digest_name(DigestAlg alg)
{
    const AlgInfo *i = info(alg);
    return i != nullptr ? i->name : "";
}

std::optional<DigestAlg> digest_from_name(std::string_view name)
{
    for (const AlgInfo &i : algs) {
        if (name == i.name) {
            return i.alg;
        }
    }
    return std::nullopt;
}

const char *digest_field_key(DigestAlg alg)
{
    const AlgInfo *i = info(alg);
    return i != nullptr ? i->key : nullptr;
}

std::optional<DigestAlg> digest_from_field_key(std::string_view key)
{
    for (const AlgInfo &i : algs) {
        if (i.key != nullptr && key == i.key) {
            return i.alg;
        }
    }
    return std::nullopt;
}

std::size_t digest_size(DigestAlg alg)
{
    const AlgInfo *i = info(alg);
    return i != nullptr ? i->size : 0;
}

bool digest_is_crc(DigestAlg alg)
{
    const AlgInfo *i = info(alg);
    return i != nullptr && i->block == 0;
}

// --- Digest -------------------------------------------------------------------

// ctx_ holds one plain-data context, created in place by reset()/restore().
static_assert(sizeof(SHA512_CTX) <= 216 && alignof(SHA512_CTX) <= 8, "Digest::ctx_ too small");
static_assert(sizeof(SHA256_CTX) <= 216 && sizeof(SHA_CTX) <= 216 && sizeof(MD5_CTX) <= 216,
              "Digest::ctx_ too small");

#define BIGUPLOAD_CTX(type) (*std::launder(reinterpret_cast<type *>(ctx_)))

Digest::Digest(DigestAlg alg) : alg_(alg) { reset(); }

void Digest::reset()
{
    consumed_ = 0;
    switch (alg_) {
    case DigestAlg::sha256:
        SHA256_Init(new (ctx_) SHA256_CTX);
        break;
    case DigestAlg::sha512:
        SHA512_Init(new (ctx_) SHA512_CTX);
        break;
    case DigestAlg::sha1:
        SHA1_Init(new (ctx_) SHA_CTX);
        break;
    case DigestAlg::md5:
        MD5_Init(new (ctx_) MD5_CTX);
        break;
    default:
        // a CRC (and, harmlessly, a value outside the enum): the CRC so far
        new (ctx_) std::uint64_t(0);
        break;
    }
}

void Digest::update(const void *data, std::size_t len)
{
    if (len == 0) {
        return;
    }

    switch (alg_) {
    case DigestAlg::sha256:
        SHA256_Update(&BIGUPLOAD_CTX(SHA256_CTX), data, len);
        break;
    case DigestAlg::sha512:
        SHA512_Update(&BIGUPLOAD_CTX(SHA512_CTX), data, len);
        break;
    case DigestAlg::sha1:
        SHA1_Update(&BIGUPLOAD_CTX(SHA_CTX), data, len);
        break;
    case DigestAlg::md5:
        MD5_Update(&BIGUPLOAD_CTX(MD5_CTX), data, len);
        break;
    case DigestAlg::crc32: {
        std::uint64_t &c = BIGUPLOAD_CTX(std::uint64_t);
        c = update_crc32(static_cast<std::uint32_t>(c), data, len);
        break;
    }
    case DigestAlg::crc32c: {
        std::uint64_t &c = BIGUPLOAD_CTX(std::uint64_t);
        c = update_crc32c(static_cast<std::uint32_t>(c), data, len);
        break;
    }
    case DigestAlg::crc64nvme: {
        std::uint64_t &c = BIGUPLOAD_CTX(std::uint64_t);
        c = update_crc64nvme(c, data, len);
        break;
    }
    default:
        return;
    }
    consumed_ += len;
}

std::string Digest::final()
{
    unsigned char md[64];
    std::size_t n = digest_size(alg_);

    switch (alg_) {
    case DigestAlg::sha256:
        SHA256_Final(md, &BIGUPLOAD_CTX(SHA256_CTX));
        break;
    case DigestAlg::sha512:
        SHA512_Final(md, &BIGUPLOAD_CTX(SHA512_CTX));
        break;
    case DigestAlg::sha1:
        SHA1_Final(md, &BIGUPLOAD_CTX(SHA_CTX));
        break;
    case DigestAlg::md5:
        MD5_Final(md, &BIGUPLOAD_CTX(MD5_CTX));
        break;
    default: {
        // a CRC, big-endian (n is 0 outside the enum)
        std::uint64_t c = crc();
        for (std::size_t i = 0; i < n; i++) {
            md[i] = static_cast<unsigned char>(c >> (8 * (n - 1 - i)));
        }
        break;
    }
    }

    reset();
    return std::string(reinterpret_cast<const char *>(md), n);
}

std::uint64_t Digest::crc() const
{
    return digest_is_crc(alg_) ? *std::launder(reinterpret_cast<const std::uint64_t *>(ctx_))
                               : 0;
}

bool Digest::combine(const Digest &next)
{
    if (next.alg_ != alg_ || !digest_is_crc(alg_) || consumed_ + next.consumed_ < consumed_) {
        return false;
    }

    std::uint64_t &c = BIGUPLOAD_CTX(std::uint64_t);
    std::uint64_t b = next.crc();
    std::uint64_t len = next.consumed_;

    switch (alg_) {
    case DigestAlg::crc32:
        c = combine_crc32(static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(b), len);
        break;
    case DigestAlg::crc32c:
        c = combine_crc32c(static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(b), len);
        break;
    default:
        c = combine_crc64nvme(c, b, len);
        break;
    }
    consumed_ += len;
    return true;
}

std::string Digest::save() const
{
    std::string s;
    s.reserve(saved_header + 64 + 128);
    s.push_back(static_cast<char>(saved_version));
    s.push_back(static_cast<char>(alg_));
    put_le(s, consumed_, 8);

    switch (alg_) {
    case DigestAlg::sha256:
        save32<8>(s, *std::launder(reinterpret_cast<const SHA256_CTX *>(ctx_)));
        break;
    case DigestAlg::sha1:
        save32<5>(s, *std::launder(reinterpret_cast<const SHA_CTX *>(ctx_)));
        break;
    case DigestAlg::md5:
        save32<4>(s, *std::launder(reinterpret_cast<const MD5_CTX *>(ctx_)));
        break;
    case DigestAlg::sha512: {
        const SHA512_CTX &c = *std::launder(reinterpret_cast<const SHA512_CTX *>(ctx_));
        for (int i = 0; i < 8; i++) {
            put_le(s, c.h[i], 8);
        }
        s.append(reinterpret_cast<const char *>(c.u.p), c.num);
        break;
    }
    default:
        put_le(s, crc(), static_cast<int>(digest_size(alg_)));
        break;
    }
    return s;
}

bool Digest::restore(std::string_view saved)
{
    const AlgInfo *i = info(alg_);
    if (i == nullptr || saved.size() < saved_header
        || static_cast<unsigned char>(saved[0]) != saved_version
        || static_cast<unsigned char>(saved[1]) != static_cast<unsigned char>(alg_))
    {
        return false;
    }

    const auto *q = reinterpret_cast<const unsigned char *>(saved.data());
    std::uint64_t consumed = get_le(q + 2, 8);
    std::size_t rest = saved.size() - saved_header;
    q += saved_header;

    // the state words, then the bytes of a block not yet compressed
    std::size_t pending = i->block != 0 ? static_cast<std::size_t>(consumed % i->block) : 0;
    if (rest != i->words + pending) {
        return false;
    }
    // the 32-bit-word hashes count bits in 64 bits
    if (i->block == 64 && consumed >> 61 != 0) {
        return false;
    }

    switch (alg_) {
    case DigestAlg::sha256:
        restore32<8>(ctx_, SHA256_Init, q, consumed);
        break;
    case DigestAlg::sha1:
        restore32<5>(ctx_, SHA1_Init, q, consumed);
        break;
    case DigestAlg::md5:
        restore32<4>(ctx_, MD5_Init, q, consumed);
        break;
    case DigestAlg::sha512: {
        SHA512_CTX c;
        SHA512_Init(&c);
        for (int k = 0; k < 8; k++) {
            c.h[k] = get_le(q + 8 * k, 8);
        }
        c.Nl = consumed << 3;
        c.Nh = consumed >> 61;
        c.num = static_cast<unsigned int>(pending);
        std::memcpy(c.u.p, q + 64, pending);
        *new (ctx_) SHA512_CTX = c;
        break;
    }
    default:
        new (ctx_) std::uint64_t(get_le(q, static_cast<int>(i->size)));
        break;
    }
    consumed_ = consumed;
    return true;
}

#undef BIGUPLOAD_CTX

std::string digest_of(DigestAlg alg, const void *data, std::size_t len)
{
    Digest d(alg);
    d.update(data, len);
    return d.final();
}

// --- encodings --------------------------------------------------------------

namespace {

const char hexdigits[] = "0123456789abcdef";

int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

}  // namespace

std::string to_hex(std::string_view raw)
{
    std::string hex;
    hex.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        hex.push_back(hexdigits[c >> 4]);
        hex.push_back(hexdigits[c & 0x0f]);
    }
    return hex;
}

std::optional<std::string> from_hex(std::string_view hex)
{
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }

    std::string raw;
    raw.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_value(hex[i]);
        int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        raw.push_back(static_cast<char>(hi << 4 | lo));
    }
    return raw;
}

std::string to_base64(std::string_view raw)
{
    return base64_encode(raw);
}

std::string digest_field_value(DigestAlg alg, std::string_view raw)
{
    const char *key = digest_field_key(alg);
    if (key == nullptr || raw.size() != digest_size(alg)) {
        return std::string();
    }
    return std::string(key) + "=:" + to_base64(raw) + ":";
}

// --- SHA-256 in hex -----------------------------------------------------------

std::string sha256_hex(const void *data, std::size_t len)
{
    return to_hex(digest_of(DigestAlg::sha256, data, len));
}

std::string repr_digest_sha256(const std::string &hex)
{
    std::optional<std::string> raw = from_hex(hex);
    if (!raw || raw->size() != 32) {
        return std::string();
    }
    return digest_field_value(DigestAlg::sha256, *raw);
}

std::uint64_t crc_combine(DigestAlg alg, std::uint64_t a, std::uint64_t b, std::uint64_t len_b)
{
    switch (alg) {
    case DigestAlg::crc32:
        return combine_crc32((std::uint32_t) a, (std::uint32_t) b, len_b);
    case DigestAlg::crc32c:
        return combine_crc32c((std::uint32_t) a, (std::uint32_t) b, len_b);
    default:
        return combine_crc64nvme(a, b, len_b);
    }
}

std::string crc_bytes(DigestAlg alg, std::uint64_t crc)
{
    std::size_t n = digest_size(alg);
    std::string raw(n, '\0');
    for (std::size_t i = 0; i < n; i++) {
        raw[n - 1 - i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    }
    return raw;
}

}  // namespace bigupload
