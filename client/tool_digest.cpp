#include "tool_digest.hpp"

#include <nlohmann/json.hpp>

#include "proto/digest_fields.hpp"

namespace bgclient {

namespace {

using bigupload::DigestAlg;

// The choices --digest offers: the server's own (bigupload_digest).
const DigestAlg choices[] = {DigestAlg::sha256, DigestAlg::sha512, DigestAlg::crc32c,
                             DigestAlg::crc64nvme};

// Every algorithm a server may report a file's digest in, that bgclient can
// compute.
const DigestAlg known[] = {DigestAlg::sha256, DigestAlg::sha512, DigestAlg::sha1,
                           DigestAlg::md5,    DigestAlg::crc32c, DigestAlg::crc64nvme};

}  // namespace

bool parse_digest_choice(std::string_view v, DigestChoice &out)
{
    if (v == "none") {
        out = std::nullopt;
        return true;
    }
    for (DigestAlg a : choices) {
        if (v == bigupload::digest_name(a)) {
            out = a;
            return true;
        }
    }
    return false;
}

std::string digest_choice_name(const DigestChoice &c)
{
    return c ? bigupload::digest_name(*c) : "none";
}

const bigupload::FileDigest *ServerDigests::find(DigestAlg alg) const
{
    for (const bigupload::FileDigest &d : list) {
        if (d.alg == alg) {
            return &d;
        }
    }
    return nullptr;
}

void ServerDigests::add(const bigupload::FileDigest &d)
{
    if (d.known() && find(*d.alg) == nullptr) {
        list.push_back(d);
    }
}

std::string ServerDigests::names() const
{
    std::string s;
    for (std::size_t i = 0; i < list.size(); i++) {
        if (i > 0) {
            s += i + 1 == list.size() ? " and " : ", ";
        }
        s += bigupload::digest_name(*list[i].alg);
    }
    return s;
}

ServerDigests digests_in_json(const std::string &body)
{
    ServerDigests out;
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return out;
    }
    for (DigestAlg a : known) {
        auto it = j.find(bigupload::digest_name(a));
        if (it == j.end() || !it->is_string()) {
            continue;
        }
        auto raw = bigupload::from_hex(it->get<std::string>());
        if (raw && raw->size() == bigupload::digest_size(a)) {
            out.add({a, *raw});
        }
    }
    return out;
}

ServerDigests digests_in_repr(std::string_view repr_digest)
{
    ServerDigests out;
    std::vector<bigupload::DigestMember> members;
    if (!bigupload::parse_digest_field(repr_digest, members).ok()) {
        return out;
    }
    for (const bigupload::DigestMember &m : members) {
        auto a = bigupload::digest_from_field_key(m.algorithm);
        if (a && m.bytes.size() == bigupload::digest_size(*a)) {
            out.add({*a, m.bytes});
        }
    }
    return out;
}

ServerDigests server_digests(const std::string &body, std::string_view repr_digest)
{
    ServerDigests out = digests_in_json(body);
    for (const bigupload::FileDigest &d : digests_in_repr(repr_digest).list) {
        out.add(d);
    }
    return out;
}

std::string repr_digest_header(DigestAlg alg, const std::string &hex)
{
    auto raw = bigupload::from_hex(hex);
    if (!raw) {
        return "";
    }
    std::string v = bigupload::digest_field_value(alg, *raw);
    return v.empty() ? std::string() : "Repr-Digest: " + v;
}

std::string want_repr_digest_header(const DigestChoice &c)
{
    return c ? std::string("Want-Repr-Digest: ") + bigupload::digest_field_key(*c) + "=10"
             : std::string();
}

}  // namespace bgclient
