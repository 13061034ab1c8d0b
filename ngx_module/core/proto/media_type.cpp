#include "proto/media_type.hpp"

namespace bigupload {

bool media_type_is(std::string_view value, std::string_view type_subtype)
{
    return media_type(value) == type_subtype;
}

std::string media_type(std::string_view content_type)
{
    std::size_t end = content_type.find(';');
    std::string_view t = content_type.substr(0, end);

    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) {
        t.remove_prefix(1);
    }
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) {
        t.remove_suffix(1);
    }

    std::string out(t);
    for (char &c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace bigupload
