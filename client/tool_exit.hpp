// bgclient's exit codes: one per kind of failure, documented in the README
// ("Exit codes") and in --help.  Scripts rely on them: never renumber.
#pragma once

namespace bgclient {

enum ExitCode : int {
    exit_ok = 0,           // uploaded and verified
    exit_internal = 1,     // unexpected internal failure (out of memory, libcurl init)
    exit_usage = 2,        // bad command line
    exit_local_file = 3,   // the file to upload cannot be read (or changed while read)
    exit_transport = 4,    // network/transport failure: DNS, connect, TLS, timeout, reset
    exit_refused = 5,      // the server refused the upload (4xx, e.g. exists, too large)
    exit_server = 6,       // the server failed (5xx)
    exit_integrity = 7,    // the server's sha256/size differs from what was sent
    exit_interrupted = 130 // stopped by SIGINT (Ctrl-C) or SIGTERM
};

// A short name for each code ("usage", "transport", ...) for --json output.
const char *exit_code_name(int code);

}  // namespace bgclient
