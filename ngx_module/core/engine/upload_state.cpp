#include "engine/upload_state.hpp"

#include <nlohmann/json.hpp>

#include "base/digest.hpp"
#include "base/utf8.hpp"

namespace bigupload {

namespace {

constexpr int state_version = 1;

// A string of the state: as a JSON string when it is UTF-8, else as
// {"hex": "…"}, so that every byte of a remote path (which may be any but
// NUL), metadata or entity tag comes back as it was written.
nlohmann::ordered_json bytes_json(const std::string &s)
{
    if (valid_utf8(s)) {  // what JSON holds as it is
        return s;
    }
    nlohmann::ordered_json o;
    o["hex"] = to_hex(s);
    return o;
}

bool json_bytes(const nlohmann::json &v, std::string &out)
{
    if (v.is_string()) {
        out = v.get<std::string>();
        return true;
    }
    auto hex = v.is_object() && v.size() == 1 ? v.find("hex") : v.end();
    if (hex == v.end() || !hex->is_string()) {
        return false;
    }
    auto raw = from_hex(hex->get<std::string>());
    if (!raw) {
        return false;
    }
    out = std::move(*raw);
    return true;
}

nlohmann::ordered_json bytes_list_json(const std::vector<std::string> &v)
{
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto &s : v) {
        a.push_back(bytes_json(s));
    }
    return a;
}

bool json_bytes_list(const nlohmann::json &v, std::vector<std::string> &out)
{
    if (!v.is_array()) {
        return false;
    }
    out.clear();
    for (const auto &e : v) {
        out.emplace_back();
        if (!json_bytes(e, out.back())) {
            return false;
        }
    }
    return true;
}

// The optional fields: absent is fine, present must be well-formed.
bool parse_optional(const nlohmann::json &j, UploadState &out)
{
    auto protocol = j.find("protocol");
    if (protocol != j.end() && !json_bytes(*protocol, out.protocol)) {
        return false;
    }

    auto metadata = j.find("metadata");
    if (metadata != j.end() && !json_bytes(*metadata, out.metadata)) {
        return false;
    }

    auto part = j.find("part");
    if (part != j.end()) {
        if (!part->is_boolean()) {
            return false;
        }
        out.part = part->get<bool>();
    }

    auto finished = j.find("finished");
    if (finished != j.end()) {
        if (!finished->is_boolean()) {
            return false;
        }
        out.finished = finished->get<bool>();
    }

    auto concat = j.find("concat");
    if (concat != j.end()) {
        if (!concat->is_string()) {
            return false;
        }
        out.concat = concat->get<std::string>();
    }

    auto pre = j.find("pre");
    if (pre != j.end()) {
        if (!pre->is_object()) {
            return false;
        }
        auto nma = pre->find("if_none_match_any");
        auto ma = pre->find("if_match_any");
        auto m = pre->find("if_match");
        auto nm = pre->find("if_none_match");
        if (nma == pre->end() || !nma->is_boolean() || ma == pre->end() || !ma->is_boolean()
            || m == pre->end() || !json_bytes_list(*m, out.pre.if_match) || nm == pre->end()
            || !json_bytes_list(*nm, out.pre.if_none_match))
        {
            return false;
        }
        out.pre.if_none_match_any = nma->get<bool>();
        out.pre.if_match_any = ma->get<bool>();
    }

    auto expect = j.find("expect");
    if (expect != j.end()) {
        if (!expect->is_object()) {
            return false;
        }
        for (auto it = expect->begin(); it != expect->end(); ++it) {
            auto alg = digest_from_name(it.key());
            auto raw = it->is_string() ? from_hex(it->get<std::string>()) : std::nullopt;
            if (!alg || !raw || raw->size() != digest_size(*alg)) {
                return false;
            }
            out.expect.emplace_back(it.key(), std::move(*raw));
        }
    }

    auto digest = j.find("digest");
    if (digest != j.end()) {
        if (!digest->is_object()) {
            return false;
        }
        auto alg = digest->find("alg");
        auto hashed = digest->find("hashed");
        auto saved = digest->find("saved");
        auto ranges = digest->find("ranges");
        if (alg == digest->end() || !alg->is_string()) {
            return false;
        }
        PrefixDigest d;
        d.alg = alg->get<std::string>();

        if (ranges != digest->end()) {
            if (!ranges->is_array() || hashed != digest->end() || saved != digest->end()) {
                return false;
            }
            std::uint64_t last = 0;
            for (const auto &c : *ranges) {
                if (!c.is_array() || c.size() != 3 || !c[0].is_number_unsigned()
                    || !c[1].is_number_unsigned() || !c[2].is_number_unsigned())
                {
                    return false;
                }
                CrcRange r{c[0].get<std::uint64_t>(), c[1].get<std::uint64_t>(),
                           c[2].get<std::uint64_t>()};
                // sorted, disjoint, and of bytes held
                if (r.start >= r.end || r.start < last || !out.received.contains(r.start, r.end))
                {
                    return false;
                }
                last = r.end;
                d.ranges.push_back(r);
            }

        } else {
            if (hashed == digest->end() || !hashed->is_number_unsigned()
                || saved == digest->end() || !saved->is_string())
            {
                return false;
            }
            auto raw = from_hex(saved->get<std::string>());
            if (!raw) {
                return false;
            }
            d.hashed = hashed->get<std::uint64_t>();
            d.saved = std::move(*raw);
            // a digest of more than the prefix held cannot be
            if (d.hashed > out.received.contiguous()) {
                return false;
            }
        }
        out.digest = std::move(d);
    }

    auto want = j.find("repr_want");
    if (want != j.end()) {
        if (!json_bytes_list(*want, out.repr_want)) {
            return false;
        }
        for (const auto &w : out.repr_want) {
            if (!digest_from_name(w)) {
                return false;
            }
        }
    }

    return true;
}

}  // namespace

const char *state_error_message(StateError e)
{
    switch (e) {
    case StateError::ok: return "ok";
    case StateError::empty: return "state file is empty";
    case StateError::truncated: return "state file is truncated";
    case StateError::corrupt: return "state file is corrupt";
    case StateError::bad_version: return "state file has an unknown version";
    case StateError::bad_field: return "state file has a missing or invalid field";
    }
    return "bad state file";
}

std::string serialize_state(const UploadState &st)
{
    nlohmann::ordered_json j;

    j["version"] = state_version;
    j["key"] = st.key;
    j["path"] = bytes_json(st.path);
    if (st.length) {
        j["length"] = *st.length;
    } else {
        j["length"] = nullptr;
    }
    j["received"] = st.received.to_string();
    j["created"] = st.created;
    j["updated"] = st.updated;

    // optional fields: only when they say something
    if (!st.protocol.empty() && st.protocol != "native") {
        j["protocol"] = bytes_json(st.protocol);
    }
    if (!st.metadata.empty()) {
        j["metadata"] = bytes_json(st.metadata);
    }
    if (st.part) {
        j["part"] = true;
    }
    if (st.finished) {
        j["finished"] = true;
    }
    if (!st.concat.empty()) {
        j["concat"] = st.concat;
    }
    if (!st.pre.empty()) {
        nlohmann::ordered_json p;
        p["if_none_match_any"] = st.pre.if_none_match_any;
        p["if_match_any"] = st.pre.if_match_any;
        p["if_match"] = bytes_list_json(st.pre.if_match);
        p["if_none_match"] = bytes_list_json(st.pre.if_none_match);
        j["pre"] = p;
    }
    if (!st.expect.empty()) {
        nlohmann::ordered_json x = nlohmann::ordered_json::object();
        for (const auto &e : st.expect) {
            x[e.first] = to_hex(e.second);
        }
        j["expect"] = x;
    }
    if (st.digest) {
        nlohmann::ordered_json d;
        d["alg"] = st.digest->alg;
        if (st.digest->ranges.empty()) {
            d["hashed"] = st.digest->hashed;
            d["saved"] = to_hex(st.digest->saved);
        } else {
            nlohmann::ordered_json r = nlohmann::ordered_json::array();
            for (const auto &c : st.digest->ranges) {
                r.push_back({c.start, c.end, c.crc});
            }
            d["ranges"] = r;
        }
        j["digest"] = d;
    }
    if (!st.repr_want.empty()) {
        j["repr_want"] = st.repr_want;
    }

    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return line + "\nsha256 " + sha256_hex(line.data(), line.size()) + "\n";
}

StateError parse_state(std::string_view text, UploadState &out)
{
    out = UploadState();

    if (text.empty()) {
        return StateError::empty;
    }

    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
        return StateError::truncated;
    }

    std::string_view line = text.substr(0, nl);
    std::string_view rest = text.substr(nl + 1);

    if (rest.substr(0, 7) != "sha256 " || rest.size() < 7 + 64) {
        return StateError::truncated;
    }

    std::string_view sum = rest.substr(7, 64);
    std::string_view after = rest.substr(7 + 64);
    if (!(after.empty() || after == "\n")) {
        return StateError::corrupt;
    }

    if (sum != sha256_hex(line.data(), line.size())) {
        return StateError::corrupt;
    }

    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return StateError::corrupt;
    }

    auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer()) {
        return StateError::bad_field;
    }
    // as a 64-bit number: a version cut to an int could pass for this one
    if (version->get<std::int64_t>() != state_version) {
        return StateError::bad_version;
    }

    auto key = j.find("key");
    auto path = j.find("path");
    auto length = j.find("length");
    auto received = j.find("received");
    auto created = j.find("created");
    auto updated = j.find("updated");

    if (key == j.end() || !key->is_string()
        || !(key->get<std::string>().empty() || valid_upload_key(key->get<std::string>()))
        || path == j.end() || !json_bytes(*path, out.path)
        || length == j.end() || !(length->is_null() || length->is_number_unsigned())
        || received == j.end() || !received->is_string()
        || created == j.end() || !created->is_number_integer()
        || updated == j.end() || !updated->is_number_integer())
    {
        out = UploadState();
        return StateError::bad_field;
    }

    auto ranges = RangeSet::parse(received->get<std::string>());
    if (!ranges) {
        out = UploadState();
        return StateError::bad_field;
    }

    out.key = key->get<std::string>();
    if (!length->is_null()) {
        out.length = length->get<std::uint64_t>();
        if (ranges->end() > *out.length) {
            out = UploadState();
            return StateError::bad_field;
        }
    }
    out.received = std::move(*ranges);
    out.created = created->get<std::int64_t>();
    out.updated = updated->get<std::int64_t>();

    if (!parse_optional(j, out)) {
        out = UploadState();
        return StateError::bad_field;
    }

    return StateError::ok;
}

bool valid_upload_key(std::string_view key)
{
    if (key.empty() || key.size() > 128) {
        return false;
    }

    for (unsigned char c : key) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~'
                  || c == '+' || c == '/' || c == '=' || c == '-';
        if (!ok) {
            return false;
        }
    }

    return true;
}

}  // namespace bigupload
