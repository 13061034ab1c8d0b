// --protocol: which dialect bgclient speaks to the server, and how "auto"
// decides between the native one and tus from what the server answered.
// Pure: the requests are made by the caller (bgclient.cpp, tool_tus).
#pragma once

#include <string>

#include "tool_resume.hpp"

namespace bgclient {

enum class Protocol {
    native,     // bigupload's PUT + Upload-Key + Content-Range (the default)
    tus,        // tus 1.0.0: creation + PATCH (tool_tus)
    ietf,       // the IETF resumable-upload draft: creation + HEAD + PATCH (tool_ietf)
    automatic,  // tus when the server offers it and the native dialect does not answer
};

// "native", "tus", "ietf", "auto"; false for anything else.
bool parse_protocol(const std::string &name, Protocol &out);
const char *protocol_name(Protocol p);

// What "auto" learnt before deciding.
struct Discovery {
    bool tus_offered = false;     // OPTIONS answered Tus-Version with 1.0.0
    bool tus_state = false;       // an earlier tus run of this file left its upload URL
    HeadAnswer native;            // the answer to the native HEAD with Upload-Key
    bool native_tus_resumable = false;  // ... and whether it carried Tus-Resumable
};

// Whether the native HEAD was answered by bigupload's native dialect: 204
// with its Upload-* headers, 200 (a finished file), 404 (nothing there) or
// 409 (another key's partial), and no Tus-Resumable (a tus server answers
// every request with it: a 404 of unknown upload, a 412 for the missing
// version).  405/501 (no resumable uploads) and anything else are not.
bool native_answers(const Discovery &d);

// native or tus (never ietf or automatic): the native dialect when it
// answers, unless an earlier tus run of this very file is to be continued;
// tus when the server offers it; the native dialect otherwise (which falls
// back to a plain PUT where it finds no resumable uploads).
Protocol choose_protocol(const Discovery &d);

}  // namespace bgclient
