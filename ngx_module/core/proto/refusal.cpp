#include "proto/refusal.hpp"

namespace bigupload {

bool refuse(FieldRefusal &why, Error e, std::string_view header, std::string_view value,
            std::string detail)
{
    why.error = e;
    why.header = std::string(header);
    why.value = std::string(value);
    why.detail = std::move(detail);
    return false;
}

Got one_field(const HttpRequest &rq, std::string_view name, std::string_view &v,
              FieldRefusal &why, Error e, bool empty_ok)
{
    switch (rq.single(name, v)) {
    case HttpRequest::Field::absent:
        return Got::absent;
    case HttpRequest::Field::repeated:
        refuse(why, e, name, v, std::string(name) + " is given more than once");
        return Got::bad;
    case HttpRequest::Field::one:
        break;
    }

    if (v.empty() && !empty_ok) {
        refuse(why, e, name, v, std::string(name) + " is empty");
        return Got::bad;
    }
    return Got::one;
}

}  // namespace bigupload
