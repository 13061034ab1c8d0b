// Media-type comparison for Content-Type checks (RFC 9110 section 8.3.1):
// type and subtype compare case-insensitively, parameters do not change the
// type.  Shared by the dialects.
#pragma once

#include <string>
#include <string_view>

namespace bigupload {

// Whether the Content-Type "value" is "type_subtype" (given in lowercase,
// e.g. "application/partial-upload"), with or without parameters:
// "Application/Partial-Upload; x=1" matches, "application/partial-uploads"
// and "application/partial-upload x" do not.
bool media_type_is(std::string_view value, std::string_view type_subtype);

// The media type of a Content-Type value, lowercased, without parameters
// ("multipart/form-data" for " Multipart/Form-Data; boundary=x").
std::string media_type(std::string_view content_type);

}  // namespace bigupload
