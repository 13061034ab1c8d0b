// URL helpers without libcurl: scheme check and credential redaction.
#pragma once

#include <string>

namespace bgclient {

// Adds "http://" when the URL has no scheme; false (with a message) for a
// scheme other than http/https, a query or fragment, or an empty host.
bool normalize_url(const std::string &in, std::string &out, std::string &error);

// The URL with any password in its user-info replaced by "***", for messages
// and output ("http://u:secret@h/x" -> "http://u:***@h/x").
std::string redact_url(const std::string &url);

// ASCII lowercase (schemes, hex digests, error codes).
std::string ascii_lower(std::string s);

}  // namespace bgclient
