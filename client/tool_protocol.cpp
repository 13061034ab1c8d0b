#include "tool_protocol.hpp"

namespace bgclient {

bool parse_protocol(const std::string &name, Protocol &out)
{
    if (name == "native") {
        out = Protocol::native;
    } else if (name == "tus") {
        out = Protocol::tus;
    } else if (name == "ietf") {
        out = Protocol::ietf;
    } else if (name == "auto") {
        out = Protocol::automatic;
    } else {
        return false;
    }
    return true;
}

const char *protocol_name(Protocol p)
{
    switch (p) {
    case Protocol::native: return "native";
    case Protocol::tus: return "tus";
    case Protocol::ietf: return "ietf";
    case Protocol::automatic: return "auto";
    }
    return "";
}

bool native_answers(const Discovery &d)
{
    if (d.native_tus_resumable) {
        return false;
    }
    const HeadAnswer &a = d.native;
    switch (a.status) {
    case 200:
    case 404:
    case 409:
        return true;
    case 204:
        return !a.upload_offset.empty() || !a.upload_ranges.empty();
    default:
        return false;
    }
}

Protocol choose_protocol(const Discovery &d)
{
    if (d.tus_offered && d.tus_state) {
        return Protocol::tus;
    }
    if (native_answers(d)) {
        return Protocol::native;
    }
    return d.tus_offered ? Protocol::tus : Protocol::native;
}

}  // namespace bgclient
