// The bodiless requests of a resumable upload: HEAD (what does the server
// hold?) and DELETE (--restart), with the same options, Ctrl-C handling and
// timeouts as the upload itself.
#pragma once

#include <string>

#include "tool_args.hpp"
#include "tool_outcome.hpp"
#include "tool_progress.hpp"
#include "tool_resume.hpp"

namespace bgclient {

struct Reply {
    AttemptResult res;   // transport result and status, as for a PUT
    HeadAnswer head;     // the Upload-* headers (and the status)
};

// method "HEAD" or "DELETE" on cfg.target_url, with "Upload-Key: key" unless
// key is empty.  timeout_ms 0: none.  The meter only prints -v traces.
Reply send_request(const Config &cfg, const std::string &method, const std::string &key,
                   ProgressMeter &meter, long timeout_ms);

}  // namespace bgclient
