// The three CRCs bigupload offers, and their combination: crc(A‖B) from
// crc(A), crc(B) and len(B), so that ranges of an upload hashed apart (out of
// order, in parallel) give the whole file's CRC without reading it again.
//
// Most code wants the Digest class of base/digest.hpp; these are its parts.
//
// Every function here takes and returns the *finished* CRC value (the
// published check value convention, as zlib's crc32()): start from 0, and
// update(update(0, A), B) == update(0, A‖B).
//
//   crc32      CRC-32/ISO-HDLC (IEEE 802.3, zlib, gzip, tus): ISA-L crc32_gzip_refl
//   crc32c     CRC-32/ISCSI (Castagnoli; RFC 9260, RFC 9530): ISA-L crc32_iscsi
//   crc64nvme  CRC-64/NVME (NVMe NVM Command Set, "Rocksoft" polynomial
//              0xad93d23594c93659, reflected, init and xorout all ones; S3's
//              default whole-object checksum).  ISA-L 2.30 (Debian 12) has no
//              such function (crc64_rocksoft came in 2.31) and no other Debian
//              package has it, so it is computed here: PCLMULQDQ folding
//              where the CPU has it, slicing-by-8 tables otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bigupload {

std::uint32_t update_crc32(std::uint32_t crc, const void *data, std::size_t len);
std::uint32_t update_crc32c(std::uint32_t crc, const void *data, std::size_t len);
std::uint64_t update_crc64nvme(std::uint64_t crc, const void *data, std::size_t len);

// crc(A‖B) from crc_a = crc(A), crc_b = crc(B) and len_b = len(B) in bytes:
// O(log len_b) products in GF(2)[x] mod the polynomial, no data.
std::uint32_t combine_crc32(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);
std::uint32_t combine_crc32c(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);
std::uint64_t combine_crc64nvme(std::uint64_t crc_a, std::uint64_t crc_b,
                                std::uint64_t len_b);

namespace crc_detail {

// CRC-64/NVME without the SIMD path (what a CPU without PCLMULQDQ runs),
// exposed so that the tests check both paths on any machine.
std::uint64_t crc64nvme_portable(std::uint64_t crc, const void *data, std::size_t len);

}  // namespace crc_detail

}  // namespace bigupload
