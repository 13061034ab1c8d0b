#include "proto/digest_fields.hpp"

#include "base/digest.hpp"

namespace bigupload {

const char *digest_field_error_message(DigestFieldError e)
{
    switch (e) {
    case DigestFieldError::none: return "ok";
    case DigestFieldError::syntax: return "not a structured-field dictionary";
    case DigestFieldError::not_bytes: return "a digest that is not a byte sequence";
    case DigestFieldError::not_integer: return "a digest preference that is not an integer";
    case DigestFieldError::weight_range: return "a digest preference outside 0..10";
    }
    return "unknown error";
}

namespace {

// Parses a Dictionary and converts each member with "take", which returns
// the error that refuses the field, or none.
template <class T, class Take>
DigestFieldStatus parse_members(std::string_view value, std::vector<T> &out, Take take)
{
    DigestFieldStatus st;
    sfv::Dictionary dict;

    out.clear();
    st.syntax = sfv::parse_dictionary(value, dict);
    if (!st.syntax.ok()) {
        st.error = DigestFieldError::syntax;
        return st;
    }
    for (auto &m : dict) {
        st.error = take(m.first, sfv::bare_of(m.second), out);
        if (st.error != DigestFieldError::none) {
            st.member = m.first;
            out.clear();
            return st;
        }
    }
    return st;
}

}  // namespace

DigestFieldStatus parse_digest_field(std::string_view value, std::vector<DigestMember> &out)
{
    return parse_members(value, out, [](const std::string &key, const sfv::BareItem *bare,
                                        std::vector<DigestMember> &digests) {
        const sfv::ByteSequence *b = bare ? std::get_if<sfv::ByteSequence>(bare) : nullptr;
        if (b == nullptr) {
            return DigestFieldError::not_bytes;
        }
        digests.push_back(DigestMember{key, b->bytes});
        return DigestFieldError::none;
    });
}

DigestFieldStatus parse_want_digest_field(std::string_view value,
                                          std::vector<DigestPreference> &out)
{
    return parse_members(value, out, [](const std::string &key, const sfv::BareItem *bare,
                                        std::vector<DigestPreference> &prefs) {
        const sfv::Integer *i = bare ? std::get_if<sfv::Integer>(bare) : nullptr;
        if (i == nullptr) {
            return DigestFieldError::not_integer;
        }
        if (i->value < 0 || i->value > 10) {
            return DigestFieldError::weight_range;
        }
        prefs.push_back(DigestPreference{key, (int) i->value});
        return DigestFieldError::none;
    });
}

std::optional<std::string> format_digest_field(const std::vector<DigestMember> &digests)
{
    sfv::Dictionary dict;
    for (const auto &d : digests) {
        sfv::set(dict, d.algorithm, sfv::Item{sfv::ByteSequence{d.bytes}, {}});
    }
    return sfv::serialize_dictionary(dict);
}

std::optional<std::string> format_want_digest_field(const std::vector<DigestPreference> &prefs)
{
    sfv::Dictionary dict;
    for (const auto &p : prefs) {
        if (p.weight < 0 || p.weight > 10) {
            return std::nullopt;
        }
        sfv::set(dict, p.algorithm, sfv::Item{sfv::Integer{p.weight}, {}});
    }
    return sfv::serialize_dictionary(dict);
}

const DigestMember *find_digest(const std::vector<DigestMember> &digests, std::string_view algorithm)
{
    for (const auto &d : digests) {
        if (d.algorithm == algorithm) {
            return &d;
        }
    }
    return nullptr;
}

std::optional<std::string> choose_digest_algorithm(const std::vector<DigestPreference> &prefs,
                                                   const std::vector<std::string_view> &supported)
{
    std::optional<std::string> best;
    int best_weight = 0;

    for (std::string_view alg : supported) {
        for (const auto &p : prefs) {
            if (p.algorithm == alg && p.weight > best_weight) {
                best = std::string(alg);
                best_weight = p.weight;
            }
        }
    }
    return best;
}

std::string sha256_from_repr_digest(std::string_view value)
{
    std::vector<DigestMember> digests;

    if (!parse_digest_field(value, digests).ok()) {
        return std::string();
    }

    const DigestMember *d = find_digest(digests, "sha-256");
    return d && d->bytes.size() == 32 ? to_hex(d->bytes) : std::string();
}

std::string repr_digest(const FileDigest &d)
{
    return d.known() ? digest_field_value(*d.alg, d.raw) : std::string();
}

}  // namespace bigupload
