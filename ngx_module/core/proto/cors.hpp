// CORS (the Fetch standard's HTTP side) for an upload location, so that a
// page of another origin can upload (tus-js-client, Uppy, fetch()): the
// preflight's answer, and the headers of every answer to a request with an
// allowed Origin.  Nothing is sent for an origin that is not allowed (the
// browser then blocks the page's access), nor without a policy.  Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/http.hpp"

namespace bigupload {

struct CorsPolicy {
    std::vector<std::string> origins;        // exact origins, or "*" (any)
    bool credentials = false;                // Access-Control-Allow-Credentials
    std::int64_t max_age = 0;                // seconds a preflight may be cached
};

// What bigupload_cors_origin takes: "*", or an origin as a browser sends it,
// "<scheme>://<host>[:<port>]" (lowercase scheme and host, no path, no
// trailing "/"), or "null".
bool valid_cors_origin(std::string_view origin);

// The answer headers exposed to the page: Location, the upload headers of
// every dialect, Tus-*, Repr-Digest.
const char *cors_exposed_headers();

// The methods a preflight allows.
const char *cors_allowed_methods();

// A preflight: OPTIONS with Origin and Access-Control-Request-Method.
bool is_cors_preflight(const HttpRequest &rq);

// Access-Control-Allow-Origin (and -Credentials, -Expose-Headers, Vary) for
// an answer to a request from "origin" ("": none sent): empty when the
// policy does not allow it.
std::vector<HeaderField> cors_headers(const CorsPolicy &p, std::string_view origin);

// The preflight's answer headers: those of cors_headers() but
// Expose-Headers, plus -Allow-Methods, -Allow-Headers (the requested ones,
// echoed when they are a list of field names), -Max-Age.  Empty when the
// origin is not allowed, the method is not one allowed, or the requested
// headers are malformed.
std::vector<HeaderField> cors_preflight_headers(const CorsPolicy &p, std::string_view origin,
                                                std::string_view method,
                                                std::string_view request_headers);

}  // namespace bigupload
