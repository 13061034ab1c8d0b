// Digests, shared by the module and bgclient: one class over every algorithm
// bigupload speaks (its own bigupload_digest choices, tus's checksum
// extension, RFC 9530's Repr-Digest/Content-Digest), whose running state can
// be saved and restored (a partial upload resumes hashing where its prefix
// ends) and, for the CRCs, combined across ranges hashed apart.
//
// The hashes are OpenSSL's (the same SHA-NI/AVX2 code as EVP); the CRCs are
// ISA-L's and base/crc.hpp's.  No OpenSSL header is needed to use this one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bigupload {

// The values are stable: they are written into saved states.
enum class DigestAlg : std::uint8_t {
    sha256 = 1,
    sha512 = 2,
    sha1 = 3,
    md5 = 4,
    crc32 = 5,      // CRC-32/ISO-HDLC (IEEE; zlib, tus's "crc32")
    crc32c = 6,     // CRC-32/ISCSI (Castagnoli)
    crc64nvme = 7,  // CRC-64/NVME (S3's CRC64NVME)
};

// Our name, which is also tus's (Upload-Checksum, Tus-Checksum-Algorithm) and
// the bigupload_digest value: "sha256" "sha512" "sha1" "md5" "crc32" "crc32c"
// "crc64nvme".  Exact, lowercase; "" for a value outside the enum.
const char *digest_name(DigestAlg alg);
std::optional<DigestAlg> digest_from_name(std::string_view name);

// The key of a Repr-Digest / Content-Digest member (RFC 9530, section 5 and
// its IANA registry): "sha-256", "sha-512", "sha" (SHA-1), "md5", "crc32c".
// crc64nvme has no registered key: it is sent as "crc64nvme", the same name
// as ours and S3's (x-amz-checksum-crc64nvme), its value the 8 bytes
// big-endian like crc32c's 4.  RFC 9530 has recipients ignore keys they do
// not know, so a third party skips it and bgclient can check it.  crc32 has
// no key: nullptr (it is tus-only).  Keys are exact (structured-field keys
// are lowercase).
const char *digest_field_key(DigestAlg alg);
std::optional<DigestAlg> digest_from_field_key(std::string_view key);

// Raw digest length in bytes (32, 64, 20, 16, 4, 4, 8); 0 outside the enum.
std::size_t digest_size(DigestAlg alg);
bool digest_is_crc(DigestAlg alg);

// A running digest.  Copyable (the copy continues independently: copy and
// final() to read the digest so far); no heap; never throws.
class Digest {
public:
    explicit Digest(DigestAlg alg);

    DigestAlg alg() const { return alg_; }
    void update(const void *data, std::size_t len);
    // Bytes hashed since construction, reset() or the restored state's start.
    std::uint64_t consumed() const { return consumed_; }

    // The raw digest, digest_size(alg()) bytes (a CRC big-endian, as RFC 9530
    // and tus send it); the object is reset and can be reused.
    std::string final();
    void reset();

    // The running state as a compact versioned byte string (binary: encode it
    // for a text file).  Restoring it into a Digest of the same algorithm and
    // going on gives exactly the digest of an uninterrupted run.
    //   [0] version 1   [1] DigestAlg   [2..9] consumed, little-endian
    //   then sha256/sha1/md5: the chaining words (32-bit LE) and the
    //        consumed % 64 bytes not yet compressed; sha512: 64-bit LE words
    //        and consumed % 128 bytes; a CRC: its value so far, LE.
    // At most 201 bytes (sha512).
    std::string save() const;
    // False, the object unchanged, unless "saved" is exactly such a string
    // of this object's algorithm (version, algorithm, length, counts).
    bool restore(std::string_view saved);

    // CRC algorithms: the CRC of what was consumed (final() as a number,
    // without resetting); 0 for the others.
    std::uint64_t crc() const;
    // CRC algorithms: this becomes the state of its bytes followed by
    // "next"'s (ranges hashed apart, in any order), no data read.  False, the
    // object unchanged, for another algorithm or a hash.
    bool combine(const Digest &next);

private:
    DigestAlg alg_;
    std::uint64_t consumed_ = 0;
    // OpenSSL's SHA256_CTX / SHA512_CTX / SHA_CTX / MD5_CTX, or the CRC:
    // plain data, sized and aligned for the largest (checked in digest.cpp)
    alignas(8) unsigned char ctx_[216];
};

// CRC algorithms: the CRC of bytes whose CRC is "a" followed by "len_b"
// bytes whose CRC is "b"; and a CRC value as its digest's raw bytes
// (big-endian, digest_size() of them).
std::uint64_t crc_combine(DigestAlg alg, std::uint64_t a, std::uint64_t b, std::uint64_t len_b);
std::string crc_bytes(DigestAlg alg, std::uint64_t crc);

// One-shot raw digest of a buffer.
std::string digest_of(DigestAlg alg, const void *data, std::size_t len);

// Lowercase hex of raw bytes, and back (either case accepted; nullopt for an
// odd length or a non-hex character).
std::string to_hex(std::string_view raw);
std::optional<std::string> from_hex(std::string_view hex);
// Standard base64 (RFC 4648 section 4, padded, no line breaks).
std::string to_base64(std::string_view raw);

// An RFC 9530 digest field value (Repr-Digest, Content-Digest) of one
// member: "<key>=:<base64 of raw>:", e.g. "sha-256=:47DEQpj8HB…=:"; "" when
// the algorithm has no key or "raw" is not digest_size(alg) bytes.
std::string digest_field_value(DigestAlg alg, std::string_view raw);

// --- SHA-256 as the module and bgclient have used it (hex strings) -----------

class Sha256 {
public:
    Sha256() : d_(DigestAlg::sha256) {}
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void update(const void *data, std::size_t len) { d_.update(data, len); }
    // Lowercase hex digest; the object is reset and can be reused afterwards.
    std::string final_hex() { return to_hex(d_.final()); }
    void reset() { d_.reset(); }

private:
    Digest d_;
};

// One-shot digest of a buffer (tests, small payloads).
std::string sha256_hex(const void *data, std::size_t len);

// The RFC 9530 Repr-Digest field value for a sha256 given in hex:
// "sha-256=:<base64>:"; empty when "hex" is not 64 hex digits.
std::string repr_digest_sha256(const std::string &hex);

// A stored file's digest: its algorithm and value (raw bytes); no algorithm
// when none was computed (bigupload_digest off) or none is known.
struct FileDigest {
    std::optional<DigestAlg> alg;
    std::string raw;

    bool known() const { return alg.has_value() && !raw.empty(); }
    std::string hex() const { return to_hex(raw); }
    bool operator==(const FileDigest &o) const { return alg == o.alg && raw == o.raw; }
};

}  // namespace bigupload
