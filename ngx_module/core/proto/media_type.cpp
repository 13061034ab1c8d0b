#include "proto/media_type.hpp"

namespace bigupload {

bool media_type_is(std::string_view value, std::string_view type_subtype)
{
    // OWS may surround the field value (nginx trims it; other callers may not)
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    if (value.size() < type_subtype.size()) {
        return false;
    }
    for (std::size_t i = 0; i < type_subtype.size(); i++) {
        char c = value[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }
        if (c != type_subtype[i]) {
            return false;
        }
    }

    // after the subtype: the end, or OWS then ";" and parameters
    std::string_view rest = value.substr(type_subtype.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) {
        rest.remove_prefix(1);
    }
    return rest.empty() || rest.front() == ';';
}

}  // namespace bigupload
