#include "proto/http.hpp"

#include <cstdio>

namespace bigupload {

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

std::vector<std::string_view> HttpRequest::all(std::string_view name) const
{
    std::vector<std::string_view> out;
    for (const auto &f : fields) {
        if (iequals(f.first, name)) {
            out.push_back(f.second);
        }
    }
    return out;
}

bool HttpRequest::has(std::string_view name) const
{
    for (const auto &f : fields) {
        if (iequals(f.first, name)) {
            return true;
        }
    }
    return false;
}

HttpRequest::Field HttpRequest::single(std::string_view name, std::string_view &value) const
{
    Field r = Field::absent;
    for (const auto &f : fields) {
        if (iequals(f.first, name)) {
            if (r == Field::one) {
                return Field::repeated;
            }
            r = Field::one;
            value = f.second;
        }
    }
    return r;
}

std::string http_date(std::time_t t)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    char buf[40];

    gmtime_r(&t, &tm);
    std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

}  // namespace bigupload
