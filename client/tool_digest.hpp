// The digest bgclient checks an upload with (--digest): the choices, the
// server's value in an algorithm (its JSON answer keys the digest by the
// algorithm's name, Repr-Digest by its RFC 9530 key), and the Repr-Digest
// bgclient sends so that the server refuses a file that does not have it.
// Pure: no libcurl, no I/O; unit-tested (t/unit/check_client_digest.c).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"

namespace bgclient {

// What --digest chose: an algorithm, or nullopt for "none" (nothing is
// hashed, nothing verified).
using DigestChoice = std::optional<bigupload::DigestAlg>;

// "sha256" "sha512" "crc32c" "crc64nvme" "none": exact, lowercase (the
// server's bigupload_digest names); false for anything else.
bool parse_digest_choice(std::string_view v, DigestChoice &out);
// The name as --digest takes it ("none" for nullopt).
std::string digest_choice_name(const DigestChoice &c);

// The digests a server reported of a stored file, lowercase hex, in the
// order found (the JSON's first, then Repr-Digest's); one per algorithm.
struct ServerDigests {
    std::vector<bigupload::FileDigest> list;

    // The value in "alg", or nullptr.
    const bigupload::FileDigest *find(bigupload::DigestAlg alg) const;
    // "crc64nvme" or "sha512 and crc32c": the algorithms, for messages.
    std::string names() const;
    bool empty() const { return list.empty(); }
    void add(const bigupload::FileDigest &d);
};

// The JSON members keyed by an algorithm's name ("sha256": "<hex>", ...),
// when the value is hex of that algorithm's length.  Not JSON, or none: empty.
ServerDigests digests_in_json(const std::string &body);
// The members of a Repr-Digest value in algorithms bgclient knows (its RFC
// 9530 key, the right length); an invalid field gives none.
ServerDigests digests_in_repr(std::string_view repr_digest);
// Both: the JSON's, and Repr-Digest's for algorithms the JSON did not name.
ServerDigests server_digests(const std::string &body, std::string_view repr_digest);

// The request header that declares the whole file's digest:
// "Repr-Digest: crc64nvme=:<base64>:"; "" when "hex" is not a digest of alg.
std::string repr_digest_header(bigupload::DigestAlg alg, const std::string &hex);

// The request header that asks the server for the stored file's digest in
// "c"'s algorithm in its final answer (RFC 9530 Want-Repr-Digest, the
// IETF draft's uploads): "Want-Repr-Digest: sha-256=10"; "" for none.
std::string want_repr_digest_header(const DigestChoice &c);

// Files up to this size are hashed before their first byte is sent, so
// that every request of their resumable upload declares the digest: the
// hasher reads that far ahead of the senders anyway (FileHasher's window),
// so the bytes are read from disk once all the same; hashing 256 MiB costs
// 0.2 s (sha256) to 0.4 s (sha512).  A larger file is hashed while it is
// sent, and only requests started after its digest is known declare it.
constexpr std::uint64_t prehash_limit = 256ull * 1024 * 1024;

}  // namespace bgclient
