#include "tool_output.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "base/size.hpp"
#include "tool_exit.hpp"

namespace bgclient {

namespace {

double rate_of(const Report &r)
{
    // size is the file's, also when a failed attempt sent none of it
    double bytes = r.sent >= 0 ? static_cast<double>(r.sent)
                   : r.exit_code == exit_ok ? static_cast<double>(r.size) : 0.0;
    return r.elapsed > 0 ? bytes / r.elapsed : -1;
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

std::string success_line(const Report &r)
{
    if (r.already) {
        return "already uploaded " + r.file + " -> " + r.url + " ("
               + bigupload::format_size(r.size) + ", " + r.digest_alg + " matches: " + r.digest
               + ")";
    }
    std::string digest = r.digest_alg == "none" || r.digest.empty()
                             ? std::string("not verified: --digest none")
                             : r.digest_alg + " " + r.digest
                                   + (r.verified == "server" ? ", checked by the server" : "");
    double rate = rate_of(r);
    return "uploaded " + r.file + " -> " + r.url
           + (r.protocol.empty() ? std::string() : " over " + r.protocol) + " ("
           + bigupload::format_size(r.size) + ", "
           + (rate < 0 ? std::string("-") : bigupload::format_rate(rate))
           + ", " + digest + ")";
}

std::string report_json(const Report &r)
{
    nlohmann::ordered_json j;

    j["ok"] = r.exit_code == exit_ok;
    j["exit_code"] = r.exit_code;
    if (r.exit_code != exit_ok) {
        j["error"] = exit_code_name(r.exit_code);
        j["message"] = r.message;
    }
    j["file"] = r.file;
    j["url"] = r.url;
    if (r.status != 0) {
        j["status"] = r.status;
    }
    if (!r.http_version.empty()) {
        j["http_version"] = r.http_version;
    }
    if (!r.server_error.empty()) {
        j["server_error"] = r.server_error;
    }
    j["size"] = r.size;
    // keyed by the algorithm's name, as the server's answer is
    j["digest"] = r.digest_alg;
    if (!r.digest.empty()) {
        j[r.digest_alg] = r.digest;
    }
    if (!r.server_digest.empty()) {
        j["server_" + r.digest_alg] = r.server_digest;
    }
    if (!r.server_path.empty()) {
        j["path"] = r.server_path;
    }
    if (!r.location.empty()) {
        j["location"] = r.location;
    }
    if (!r.response.empty()) {
        // the backend's answer: as JSON when it is JSON, else as text
        nlohmann::json body = nlohmann::json::parse(r.response, nullptr, false);
        if (body.is_discarded()) {
            j["response"] = r.response;
        } else {
            j["response"] = body;
        }
    }
    if (r.exit_code == exit_ok) {
        j["created"] = r.status == 201;
        j["already"] = r.already;
    }
    j["elapsed"] = round3(r.elapsed);
    double rate = rate_of(r);
    if (rate >= 0) {
        j["bytes_per_second"] = std::llround(rate);
    }
    j["attempts"] = r.attempts;
    if (r.resumed_at >= 0) {
        j["resumed_at"] = r.resumed_at;
    }
    if (!r.protocol.empty()) {
        j["protocol"] = r.protocol;
    }
    if (!r.verified.empty() && r.exit_code == exit_ok) {
        j["verified"] = r.verified;
    }

    // invalid UTF-8 (a file name in Latin-1) is replaced, never thrown on
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bgclient
