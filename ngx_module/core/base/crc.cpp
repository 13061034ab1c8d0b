#include "base/crc.hpp"

#include <isa-l/crc.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BIGUPLOAD_CRC_CLMUL 1
#endif

namespace bigupload {

namespace {

// A reflected CRC's polynomial.  In a reflected value of "width" bits the
// top bit is the coefficient of x^0 and bit 0 that of x^(width-1): that is
// how the CRC register holds its remainder, so multiplying by x is a right
// shift, and the bit that falls off brings the polynomial back in.
struct Poly {
    std::uint64_t reflected;
    unsigned width;
};

constexpr Poly poly_crc32{0xedb88320u, 32};
constexpr Poly poly_crc32c{0x82f63b78u, 32};
constexpr Poly poly_crc64nvme{0x9a6c9329ac4bc9b5ull, 64};

constexpr std::uint64_t x_to_0(const Poly &p) { return std::uint64_t{1} << (p.width - 1); }

constexpr std::uint64_t times_x(std::uint64_t v, const Poly &p)
{
    return v & 1 ? (v >> 1) ^ p.reflected : v >> 1;
}

// a * b mod P, a and b reduced
constexpr std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b, const Poly &p)
{
    std::uint64_t r = 0;
    for (std::uint64_t m = x_to_0(p); m != 0; m >>= 1) {
        if (a & m) {
            r ^= b;
        }
        b = times_x(b, p);
    }
    return r;
}

// x^n mod P by repeated shifts (for constants only: n is small)
constexpr std::uint64_t x_to(unsigned n, const Poly &p)
{
    std::uint64_t r = x_to_0(p);
    while (n-- != 0) {
        r = times_x(r, p);
    }
    return r;
}

// x^(2^k) mod P for every k that a 64-bit byte count can need: x^(8n) is the
// product of x^(2^(k+3)) over the bits k of n.
struct PowTable {
    std::uint64_t v[67];
};

constexpr PowTable make_pow_table(const Poly &p)
{
    PowTable t{};
    t.v[0] = times_x(x_to_0(p), p);
    for (unsigned k = 1; k < 67; k++) {
        t.v[k] = mul_mod(t.v[k - 1], t.v[k - 1], p);
    }
    return t;
}

constexpr PowTable pow_crc32 = make_pow_table(poly_crc32);
constexpr PowTable pow_crc32c = make_pow_table(poly_crc32c);
constexpr PowTable pow_crc64nvme = make_pow_table(poly_crc64nvme);

// The CRCs here have init == xorout (all ones), so the conditioning cancels
// and crc(A‖B) = crc(A) * x^(8 len(B)) + crc(B) mod P.
std::uint64_t combine(std::uint64_t a, std::uint64_t b, std::uint64_t len_b, const Poly &p,
                      const PowTable &t)
{
    std::uint64_t shift = x_to_0(p);
    for (unsigned k = 3; len_b != 0; len_b >>= 1, k++) {
        if (len_b & 1) {
            shift = mul_mod(t.v[k], shift, p);
        }
    }
    return mul_mod(shift, a, p) ^ b;
}

// --- CRC-64/NVME ---------------------------------------------------------------
// Below, "reg" is the CRC register: the finished value without the final
// xor, so reg = ~crc.

// Slicing-by-8: t[k][n] is the register change of byte n followed by k zero
// bytes, so eight table look-ups consume eight bytes.
struct Slice8 {
    std::uint64_t t[8][256];
};

constexpr Slice8 make_slice8(const Poly &p)
{
    Slice8 s{};
    for (unsigned n = 0; n < 256; n++) {
        std::uint64_t c = n;
        for (int bit = 0; bit < 8; bit++) {
            c = times_x(c, p);
        }
        s.t[0][n] = c;
    }
    for (unsigned k = 1; k < 8; k++) {
        for (unsigned n = 0; n < 256; n++) {
            s.t[k][n] = (s.t[k - 1][n] >> 8) ^ s.t[0][s.t[k - 1][n] & 0xff];
        }
    }
    return s;
}

constexpr Slice8 slice8 = make_slice8(poly_crc64nvme);

std::uint64_t load_le64(const unsigned char *p)
{
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

std::uint64_t crc64nvme_tables(std::uint64_t reg, const unsigned char *p, std::size_t len)
{
    const auto &t = slice8.t;

    for (; len >= 8; p += 8, len -= 8) {
        reg ^= load_le64(p);
        reg = t[7][reg & 0xff] ^ t[6][(reg >> 8) & 0xff] ^ t[5][(reg >> 16) & 0xff]
              ^ t[4][(reg >> 24) & 0xff] ^ t[3][(reg >> 32) & 0xff]
              ^ t[2][(reg >> 40) & 0xff] ^ t[1][(reg >> 48) & 0xff] ^ t[0][reg >> 56];
    }
    for (; len != 0; p++, len--) {
        reg = (reg >> 8) ^ t[0][(reg ^ *p) & 0xff];
    }
    return reg;
}

#ifdef BIGUPLOAD_CRC_CLMUL

// Folding with carry-less multiplication (the method of Intel's "Fast CRC
// computation for generic polynomials using PCLMULQDQ"; constants derived
// here).  A 16-byte block loaded little-endian is a 128-bit reflected
// polynomial: its low quadword L holds the coefficients of x^127..x^64, its
// high quadword H those of x^63..x^0.  Moving the block F bits later in the
// message multiplies it by x^F:  L x^(F+64) + H x^F.  PCLMULQDQ of two
// reflected 64-bit values gives their product times x as a reflected 128-bit
// value, hence the constants x^(F+63) and x^(F-1) mod P, and a product that
// fits 128 bits and can be xored into the block found F bits later.
constexpr std::uint64_t fold_lo(unsigned f) { return x_to(f + 63, poly_crc64nvme); }
constexpr std::uint64_t fold_hi(unsigned f) { return x_to(f - 1, poly_crc64nvme); }

constexpr std::uint64_t k128_lo = fold_lo(128), k128_hi = fold_hi(128);
constexpr std::uint64_t k1024_lo = fold_lo(1024), k1024_hi = fold_hi(1024);

__attribute__((target("pclmul"))) inline __m128i fold(__m128i x, __m128i k, __m128i next)
{
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul"))) inline __m128i load128(const unsigned char *p)
{
    return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
}

// len >= 128.  Eight independent lanes keep the multiplier busy; they fold
// into one, then the remaining 16-byte blocks fold in.  The last 128 bits
// are a message that the tables finish from a zero register: the register
// was xored into the first block, which makes the two the same remainder.
__attribute__((target("pclmul"))) std::uint64_t crc64nvme_clmul(std::uint64_t reg,
                                                               const unsigned char *p,
                                                               std::size_t len)
{
    const __m128i k1024 = _mm_set_epi64x(static_cast<long long>(k1024_hi),
                                         static_cast<long long>(k1024_lo));
    const __m128i k128 = _mm_set_epi64x(static_cast<long long>(k128_hi),
                                        static_cast<long long>(k128_lo));
    __m128i x[8];

    for (int i = 0; i < 8; i++) {
        x[i] = load128(p + 16 * i);
    }
    x[0] = _mm_xor_si128(x[0], _mm_cvtsi64_si128(static_cast<long long>(reg)));
    p += 128;
    len -= 128;

    for (; len >= 128; p += 128, len -= 128) {
        for (int i = 0; i < 8; i++) {
            x[i] = fold(x[i], k1024, load128(p + 16 * i));
        }
    }

    __m128i acc = x[0];
    for (int i = 1; i < 8; i++) {
        acc = fold(acc, k128, x[i]);
    }
    for (; len >= 16; p += 16, len -= 16) {
        acc = fold(acc, k128, load128(p));
    }

    alignas(16) unsigned char last[16];
    _mm_store_si128(reinterpret_cast<__m128i *>(last), acc);
    return crc64nvme_tables(crc64nvme_tables(0, last, 16), p, len);
}

bool have_clmul()
{
    static const bool yes = __builtin_cpu_supports("pclmul");
    return yes;
}

#endif

}  // namespace

std::uint32_t update_crc32(std::uint32_t crc, const void *data, std::size_t len)
{
    // ISA-L's gzip CRC takes and returns the finished value, as zlib does
    return crc32_gzip_refl(crc, static_cast<const unsigned char *>(data), len);
}

std::uint32_t update_crc32c(std::uint32_t crc, const void *data, std::size_t len)
{
    // crc32_iscsi takes and returns the register, and an int length
    const std::size_t step = std::size_t{1} << 30;
    auto *p = static_cast<unsigned char *>(const_cast<void *>(data));
    std::uint32_t reg = ~crc;

    while (len != 0) {
        std::size_t n = len < step ? len : step;
        reg = crc32_iscsi(p, static_cast<int>(n), reg);
        p += n;
        len -= n;
    }
    return ~reg;
}

std::uint64_t update_crc64nvme(std::uint64_t crc, const void *data, std::size_t len)
{
    auto *p = static_cast<const unsigned char *>(data);
#ifdef BIGUPLOAD_CRC_CLMUL
    if (len >= 256 && have_clmul()) {
        return ~crc64nvme_clmul(~crc, p, len);
    }
#endif
    return ~crc64nvme_tables(~crc, p, len);
}

std::uint32_t combine_crc32(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b)
{
    return static_cast<std::uint32_t>(combine(crc_a, crc_b, len_b, poly_crc32, pow_crc32));
}

std::uint32_t combine_crc32c(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b)
{
    return static_cast<std::uint32_t>(combine(crc_a, crc_b, len_b, poly_crc32c, pow_crc32c));
}

std::uint64_t combine_crc64nvme(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t len_b)
{
    return combine(crc_a, crc_b, len_b, poly_crc64nvme, pow_crc64nvme);
}

namespace crc_detail {

std::uint64_t crc64nvme_portable(std::uint64_t crc, const void *data, std::size_t len)
{
    return ~crc64nvme_tables(~crc, static_cast<const unsigned char *>(data), len);
}

}  // namespace crc_detail

}  // namespace bigupload
