// A request as a protocol front-end sees it, and small HTTP helpers.  The
// glue fills an HttpRequest with views into nginx's memory; the parsers of
// the front-ends (native.hpp, …) read only this, so they are unit-tested
// without nginx.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bigupload {

// An answer's header field.
using HeaderField = std::pair<std::string, std::string>;

struct HttpRequest {
    std::string_view method;                 // "PUT"
    std::int64_t content_length = -1;        // -1: no Content-Length
    bool chunked = false;                    // Transfer-Encoding: chunked
    // an HTTP/2 request without content-length whose body streams until
    // END_STREAM (one ended with its headers has an empty body)
    bool streamed = false;
    std::vector<std::pair<std::string_view, std::string_view>> fields;

    // Whether the request has a body of some framing.
    bool has_framing() const { return content_length >= 0 || chunked || streamed; }

    // Every value of the fields named "name" (case-insensitive), in order.
    std::vector<std::string_view> all(std::string_view name) const;

    // Whether a field named "name" is present (even empty).
    bool has(std::string_view name) const;

    // The value of a singleton field: absent, exactly one (its value), or
    // repeated (which a strict parser refuses).
    enum class Field { absent, one, repeated };
    Field single(std::string_view name, std::string_view &value) const;
};

// Case-insensitive ASCII comparison of field names and tokens.
bool iequals(std::string_view a, std::string_view b);

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate), whatever the locale.
std::string http_date(std::time_t t);

}  // namespace bigupload
