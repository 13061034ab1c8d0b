#include "tool_exit.hpp"

namespace bgclient {

const char *exit_code_name(int code)
{
    switch (code) {
    case exit_ok: return "ok";
    case exit_internal: return "internal";
    case exit_usage: return "usage";
    case exit_local_file: return "local_file";
    case exit_transport: return "transport";
    case exit_refused: return "refused";
    case exit_server: return "server_error";
    case exit_integrity: return "integrity";
    case exit_interrupted: return "interrupted";
    }
    return "unknown";
}

}  // namespace bgclient
