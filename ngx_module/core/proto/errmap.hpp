// The one errno -> HTTP status map of the project.
#pragma once

namespace bigupload {

struct ErrnoStatus {
    int status;            // HTTP status to answer
    const char *code;      // stable error code for the JSON body
    const char *message;   // short human text
    bool client_fault;     // the request's doing (logged at error), not the
                           // system's (logged at crit)
};

ErrnoStatus status_for_errno(int err);

}  // namespace bigupload
