// What a dialect's request parser refuses, and how: the error (the errors
// table's row), the offending field and value, and a message more precise
// than the table's.  The native, tus and IETF parsers share the two helpers
// below; each adds what its own answers need (tus the Allow of a 405, the
// native dialect the bytes a client may resume from).
#pragma once

#include <string>
#include <string_view>

#include "proto/errors.hpp"
#include "proto/http.hpp"

namespace bigupload {

struct FieldRefusal {
    Error error = Error::none;
    std::string header;          // the offending field
    std::string value;           // its value
    std::string detail;          // the message, when more precise than the table's
};

// Records why the request is refused; returns false, for "return refuse(...)".
bool refuse(FieldRefusal &why, Error e, std::string_view header = std::string_view(),
            std::string_view value = std::string_view(), std::string detail = std::string());

enum class Got { absent, one, bad };

// A singleton field: absent, or exactly one value, which must not be empty
// unless "empty_ok"; one given more than once (or empty) is refused with "e".
Got one_field(const HttpRequest &rq, std::string_view name, std::string_view &v,
              FieldRefusal &why, Error e, bool empty_ok = false);

}  // namespace bigupload
