#include "engine/upload_state.hpp"

#include <nlohmann/json.hpp>

#include "base/digest.hpp"

namespace bigupload {

namespace {

constexpr int state_version = 1;

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
    j["path"] = st.path;
    if (st.length) {
        j["length"] = *st.length;
    } else {
        j["length"] = nullptr;
    }
    j["received"] = st.received.to_string();
    j["created"] = st.created;
    j["updated"] = st.updated;

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
    if (version->get<int>() != state_version) {
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
        || path == j.end() || !path->is_string()
        || length == j.end() || !(length->is_null() || length->is_number_unsigned())
        || received == j.end() || !received->is_string()
        || created == j.end() || !created->is_number_integer()
        || updated == j.end() || !updated->is_number_integer())
    {
        return StateError::bad_field;
    }

    auto ranges = RangeSet::parse(received->get<std::string>());
    if (!ranges) {
        return StateError::bad_field;
    }

    out.key = key->get<std::string>();
    out.path = path->get<std::string>();
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
