// RFC 9530 Digest Fields: Content-Digest and Repr-Digest (a Dictionary of
// Byte Sequences keyed by hash algorithm, sections 2 and 3), Want-Content-Digest
// and Want-Repr-Digest (a Dictionary of Integers 0..10, section 4).
//
// Algorithm names stay strings (Dictionary keys: lowercase, e.g. "sha-256");
// which names have an implementation, and the length of their digests, is
// the caller's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.hpp"
#include "proto/sfv.hpp"

namespace bigupload {

struct DigestMember {
    std::string algorithm;     // the Dictionary key
    std::string bytes;         // the raw digest, decoded from the Byte Sequence
    bool operator==(const DigestMember &o) const
    {
        return algorithm == o.algorithm && bytes == o.bytes;
    }
};

struct DigestPreference {
    std::string algorithm;
    int weight = 0;            // 1 least .. 10 most preferred; 0 "not acceptable"
    bool operator==(const DigestPreference &o) const
    {
        return algorithm == o.algorithm && weight == o.weight;
    }
};

enum class DigestFieldError {
    none,
    syntax,          // not a Dictionary (RFC 9651 4.2): "status.syntax" says why
    not_bytes,       // a *-Digest member is not a Byte Sequence (RFC 9530 2, 3)
    not_integer,     // a Want-*-Digest member is not an Integer (RFC 9530 4)
    weight_range,    // a Want-*-Digest member outside 0..10 (RFC 9530 4)
};

// One invalid member refuses the whole field (RFC 9651 2.2: a field whose
// constraints are violated is ignored as a whole).  Member parameters are
// not defined by RFC 9530 and are ignored (RFC 9651 2.3).
struct DigestFieldStatus {
    DigestFieldError error = DigestFieldError::none;
    sfv::Status syntax;        // for DigestFieldError::syntax
    std::string member;        // the key of the offending member
    bool ok() const { return error == DigestFieldError::none; }
};

const char *digest_field_error_message(DigestFieldError e);

// "sha-256=:<b64>:, sha-512=:<b64>:" -> digests in field order (a repeated key
// keeps its last value, RFC 9651 4.2.2).  An empty value is an empty list:
// the field counts as absent (RFC 9651 3.2).
DigestFieldStatus parse_digest_field(std::string_view value, std::vector<DigestMember> &out);

// "sha-512=3, sha-256=10, unixsum=0" -> preferences in field order.
DigestFieldStatus parse_want_digest_field(std::string_view value,
                                          std::vector<DigestPreference> &out);

// The field values we send; nullopt when an algorithm is not a valid key
// (or a weight is outside 0..10).  An empty list gives "": omit the field.
std::optional<std::string> format_digest_field(const std::vector<DigestMember> &digests);
std::optional<std::string> format_want_digest_field(const std::vector<DigestPreference> &prefs);

// The digest for "algorithm", or nullptr.
const DigestMember *find_digest(const std::vector<DigestMember> &digests, std::string_view algorithm);

// What to answer a Want-*-Digest with: of the "supported" algorithms (in
// our order of preference), the one the peer weighs highest; a tie goes to
// the earlier in "supported"; weight 0 and unlisted ones are never chosen.
// nullopt when the peer accepts none of them (RFC 9530 4 lets us send any
// or none then: the caller's policy).
std::optional<std::string> choose_digest_algorithm(const std::vector<DigestPreference> &prefs,
                                                   const std::vector<std::string_view> &supported);

// The sha256 (lowercase hex) in a Repr-Digest field value; empty when the
// field is not a valid digest field or has no sha-256 member of 32 bytes.
std::string sha256_from_repr_digest(std::string_view value);

// The Repr-Digest field of a stored file ("" when its digest has no RFC 9530
// key, or none is known).
std::string repr_digest(const FileDigest &d);

}  // namespace bigupload
