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
    return success_json(path, size, "sha256", sha256_hex);
}

std::string success_json(std::string_view path, std::uint64_t size, std::string_view alg,
                         std::string_view hex)
{
    nlohmann::ordered_json j;
    j["path"] = std::string(path);
    j["size"] = size;
    if (!alg.empty()) {
        j[std::string(alg)] = std::string(hex);
    }
    return dump(j);
}

std::string pass_json(std::string_view path, std::uint64_t size,
                      std::string_view sha256_hex, std::string_view file, bool created)
{
    return pass_json(path, size, "sha256", sha256_hex, file, created, std::string_view());
}

std::string pass_json(std::string_view path, std::uint64_t size, std::string_view alg,
                      std::string_view hex, std::string_view file, bool created,
                      std::string_view protocol,
                      const std::vector<std::pair<std::string, std::string>> &metadata)
{
    nlohmann::ordered_json j;
    j["result"] = "complete";
    j["path"] = std::string(path);
    j["size"] = size;
    if (!alg.empty()) {
        j[std::string(alg)] = std::string(hex);
    }
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

namespace {

nlohmann::ordered_json form_file(const FormFileReport &f, bool notice)
{
    nlohmann::ordered_json j;
    j["field"] = f.field;
    j["filename"] = f.filename;
    if (notice) {
        j["content_type"] = f.content_type;
    }
    j["path"] = f.path;
    j["size"] = f.size;
    if (!f.digest_alg.empty()) {
        j[f.digest_alg] = f.digest;
    }
    if (notice) {
        j["file"] = f.file;
    }
    j["created"] = f.created;
    return j;
}

}  // namespace

std::string form_files_json(const std::vector<FormFileReport> &files)
{
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto &f : files) {
        j.push_back(form_file(f, false));
    }
    return dump(j);
}

std::string form_pass_json(std::string_view dir, const std::vector<FormFileReport> &files,
                           const std::vector<std::pair<std::string, std::string>> &fields)
{
    nlohmann::ordered_json j;
    j["result"] = "complete";
    j["path"] = std::string(dir);
    j["files"] = nlohmann::ordered_json::array();
    for (const auto &f : files) {
        j["files"].push_back(form_file(f, true));
    }
    j["fields"] = nlohmann::ordered_json::array();
    for (const auto &[name, value] : fields) {
        nlohmann::ordered_json field;
        field["name"] = name;
        field["value"] = value;
        j["fields"].push_back(std::move(field));
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

std::string stored_json(std::string_view path, std::uint64_t size, const FileDigest &d)
{
    return success_json(path, size, d.alg ? digest_name(*d.alg) : "", d.hex());
}

}  // namespace bigupload
