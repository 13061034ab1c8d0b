#include "report/response.hpp"

#include <nlohmann/json.hpp>

namespace bigupload {

namespace {

// Paths are bytes; invalid UTF-8 is replaced rather than thrown on.
std::string dump(const nlohmann::ordered_json &j)
{
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string success_json(std::string_view path, std::uint64_t size,
                         std::string_view sha256_hex)
{
    nlohmann::ordered_json j;
    j["path"] = std::string(path);
    j["size"] = size;
    j["sha256"] = std::string(sha256_hex);
    return dump(j);
}

std::string pass_json(std::string_view path, std::uint64_t size,
                      std::string_view sha256_hex, std::string_view file, bool created,
                      std::string_view protocol,
                      const std::vector<std::pair<std::string, std::string>> &metadata)
{
    nlohmann::ordered_json j;
    j["result"] = "complete";
    j["path"] = std::string(path);
    j["size"] = size;
    j["sha256"] = std::string(sha256_hex);
    j["file"] = std::string(file);
    j["created"] = created;
    if (!protocol.empty()) {
        j["protocol"] = std::string(protocol);
    }
    if (!metadata.empty()) {
        nlohmann::ordered_json m = nlohmann::ordered_json::object();
        for (const auto &kv : metadata) {
            m[kv.first] = kv.second;
        }
        j["metadata"] = m;
    }
    return dump(j);
}

std::string error_json(std::string_view code, std::string_view message)
{
    nlohmann::ordered_json j;
    j["error"] = std::string(code);
    j["message"] = std::string(message);
    return dump(j);
}

}  // namespace bigupload
