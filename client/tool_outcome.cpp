#include "tool_outcome.hpp"

#include <cctype>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "base/digest.hpp"
#include "proto/digest_fields.hpp"
#include "tool_exit.hpp"
#include "tool_resume.hpp"
#include "tool_retry.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

std::string status_text(const AttemptResult &r)
{
    std::string reason = r.reason.empty() ? standard_reason(r.status) : r.reason;
    std::string s = "HTTP " + std::to_string(r.status);
    if (!reason.empty()) {
        s += " " + one_line(reason, 80);
    }
    return s;
}

// ": <server message>" when the server said something useful.
std::string server_says(const ServerReply &reply)
{
    if (!reply.message.empty()) {
        return ": " + one_line(reply.message);
    }
    if (!reply.error.empty()) {
        return ": " + one_line(reply.error);
    }
    return "";
}

// nginx's own answer where no bigupload location is: 404 (no such file),
// 405 (PUT to static files), 413 (client_max_body_size, checked before the
// static handler runs), each an HTML page.  The module answers every error
// with a JSON body, so one without is not the module's.
bool not_an_upload_location(long status, const ServerReply &reply)
{
    return (status == 404 || status == 405 || status == 413) && !reply.json;
}

}  // namespace

std::string one_line(const std::string &s, std::size_t max)
{
    std::string out;
    for (unsigned char c : s) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

const char *standard_reason(long status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    }
    return "";
}

ServerReply parse_server_reply(const std::string &body)
{
    ServerReply r;
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);

    if (j.is_discarded() || !j.is_object()) {
        return r;
    }

    r.json = true;

    auto str = [&j](const char *key) -> std::string {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };

    r.error = str("error");
    r.message = str("message");
    r.path = str("path");
    r.sha256 = str("sha256");
    r.digests = digests_in_json(body);

    r.own_answer = j.contains("path") && j.contains("size")
                   && (j.size() == 2 || (j.size() == 3 && r.digests.list.size() == 1));

    auto it = j.find("size");
    if (it != j.end() && it->is_number_unsigned()) {
        r.size = it->get<std::uint64_t>();
    } else if (it != j.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
        r.size = static_cast<std::uint64_t>(it->get<std::int64_t>());
    }

    return r;
}

bool curl_code_retryable(int code)
{
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
        return true;
    default:
        return false;
    }
}

void compare_digest(const std::string &server_hex, const OutcomeInput &in, Outcome &o)
{
    const std::string name = digest_choice_name(in.alg);
    if (ascii_lower(server_hex) != ascii_lower(in.local_digest)) {
        o.exit_code = exit_integrity;
        o.message = "integrity mismatch: sent " + name + " " + in.local_digest
                    + ", the server stored " + name + " " + one_line(server_hex, 128);
        return;
    }
    o.verified_digest = ascii_lower(server_hex);
    o.verified = name;
    o.exit_code = exit_ok;
}

void verify_digests(const ServerDigests &server, bool own_answer, const std::string &what,
                    const OutcomeInput &in, Outcome &o)
{
    if (!in.alg) {
        o.exit_code = exit_ok;
        o.verified = "none";
        return;
    }
    const std::string name = digest_choice_name(in.alg);
    if (const bigupload::FileDigest *d = server.find(*in.alg)) {
        compare_digest(d->hex(), in, o);
        return;
    }
    // bigupload checks a declared Repr-Digest before it stores the file
    // (409 file_digest_mismatch otherwise), in any algorithm it computes
    if (in.digest_sent && (own_answer || !server.empty())) {
        o.exit_code = exit_ok;
        o.verified = "server";
        return;
    }
    o.exit_code = exit_integrity;
    if (!server.empty()) {
        o.message = "the server answered " + what + " with the file's " + server.names()
                    + ", not its " + name + ", so the upload cannot be verified (its"
                      " bigupload_digest is not --digest's: use --digest "
                    + bigupload::digest_name(*server.list.front().alg) + ")";
        return;
    }
    o.message = "the server answered " + what + " but reported no " + name
                + ", so the upload cannot be verified (is " + in.url + " a bigupload location?)";
}

Outcome classify(const AttemptResult &r, const OutcomeInput &in)
{
    Outcome o;

    if (r.interrupted) {
        o.exit_code = exit_interrupted;
        o.message = "interrupted";
        return o;
    }

    if (r.source_failed) {
        o.exit_code = exit_local_file;
        o.message = r.source_error;
        return o;
    }

    // A server that answers early (413, 409 ...) and closes the connection
    // while the body is still going may leave libcurl with a send error:
    // the answer is what matters then.
    bool answered = r.status >= 200 && (r.curl_code == CURLE_OK || r.status >= 400);

    if (!answered) {
        std::string what = r.curl_error.empty() ? curl_easy_strerror(static_cast<CURLcode>(r.curl_code))
                                                : r.curl_error;
        o.exit_code = exit_transport;
        o.message = "upload to " + in.url + " failed: " + one_line(what);
        if (r.curl_code == CURLE_PEER_FAILED_VERIFICATION) {
            o.message += " (use --cacert FILE, or -k to skip the check)";
        }
        if (r.curl_code == CURLE_HTTP2_STREAM) {
            // libcurl 7.88 loses an answer that comes before the whole body
            // was sent over HTTP/2 (nginx then resets the stream): not
            // retried, since it is most likely a refusal (exists, too large)
            o.message += " (the server may have refused the upload before it was sent"
                         " in full; libcurl loses such answers over HTTP/2: try --http1.1"
                         " to see it)";
        }
        if (r.deadline) {
            o.message += " (--max-time reached)";
        }
        o.retryable = !r.deadline && curl_code_retryable(r.curl_code);
        return o;
    }

    o.reply = parse_server_reply(r.body);
    if (!r.retry_after.empty()) {
        o.retry_after = parse_retry_after(r.retry_after, in.now);
    }

    if (r.status >= 200 && r.status < 300) {
        const ServerReply &s = o.reply;
        // a bigupload_pass backend answers for the module, which still
        // reports the stored file's digest in Repr-Digest
        ServerDigests server = server_digests(r.body, r.repr_digest);
        if (!s.own_answer) {
            o.backend_response = r.body;
        }
        if (s.size && *s.size != in.local_size) {
            o.exit_code = exit_integrity;
            o.message = "size mismatch: sent " + std::to_string(in.local_size)
                        + " bytes, the server stored " + std::to_string(*s.size);
            return o;
        }
        verify_digests(server, s.own_answer, status_text(r), in, o);
        return o;
    }

    if (r.status >= 400 && r.status < 500) {
        o.exit_code = exit_refused;
        bool exists_code = ascii_lower(o.reply.error).find("exist") != std::string::npos;
        bool exists = r.status == 412
                      || (r.status == 409 && (exists_code || (!in.overwrite && o.reply.error.empty())));
        if (o.reply.error == "file_digest_mismatch") {
            // the server refused to store bytes that are not this file:
            // nothing was stored, and the partial upload is gone
            o.exit_code = exit_integrity;
            o.message = "integrity mismatch: the file the server received does not have this"
                        " file's " + digest_choice_name(in.alg) + " " + in.local_digest
                        + " (HTTP 409 file_digest_mismatch): nothing was stored at " + in.url
                        + ", and the server discarded what it held (run again to send the file"
                          " from the start)";
            return o;
        }
        if (o.reply.error == "upload_key_mismatch") {
            o.message = conflict_message(in.url);
        } else if (exists && !in.overwrite) {
            o.message = "remote file already exists: " + in.url
                        + " (use --overwrite to replace it)";
        } else if (exists) {
            o.message = "remote file already exists and the server does not allow"
                        " replacing it: " + in.url + server_says(o.reply);
        } else if (not_an_upload_location(r.status, o.reply)) {
            o.message = in.url + " does not look like an upload location: the server answered "
                        + status_text(r) + " with a page of its own, not bigupload's JSON"
                        // a proxy's client_max_body_size in front of the
                        // module answers the same 413 page
                        + (r.status == 413 ? " (is it a bigupload location, or did a proxy in"
                                             " front of one refuse the size?)"
                                           : " (is it a bigupload location?)");
        } else {
            o.message = "server refused the upload (" + status_text(r) + ")"
                        + server_says(o.reply);
            if (r.status == 401) {
                o.message += " (give credentials with -u user:password or --oauth2-bearer)";
            }
        }
        o.retryable = status_retryable(r.status, o.retry_after.has_value());
        return o;
    }

    if (r.status >= 500 && r.status < 600) {
        o.exit_code = exit_server;
        o.message = "server error (" + status_text(r) + ")" + server_says(o.reply);
        o.retryable = status_retryable(r.status, o.retry_after.has_value());
        return o;
    }

    // 3xx (redirects are not followed: a PUT body is not re-sent blindly)
    // and anything else unexpected
    o.exit_code = exit_refused;
    o.message = "unexpected answer from the server (" + status_text(r) + ")";
    if (!r.location.empty()) {
        o.message += ", Location: " + one_line(r.location, 200)
                     + " (redirects are not followed: use that URL)";
    }
    return o;
}

}  // namespace bgclient
