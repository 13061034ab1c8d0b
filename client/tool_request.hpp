// The bodiless requests of a resumable upload: HEAD (what does the server
// hold?) and DELETE (--restart), with the same options, Ctrl-C handling and
// timeouts as the upload itself; also those of other dialects (tus's
// OPTIONS, creation POST, HEAD and DELETE on its upload URLs).
#pragma once

#include <string>
#include <vector>

#include "tool_args.hpp"
#include "tool_easy.hpp"
#include "tool_outcome.hpp"
#include "tool_progress.hpp"
#include "tool_resume.hpp"

namespace bgclient {

struct Reply {
    AttemptResult res;   // transport result and status, as for a PUT
    HeadAnswer head;     // the Upload-* headers (and the status)
    Fields fields;       // every header of the answer
};

// method "HEAD" or "DELETE" on cfg.target_url, with "Upload-Key: key" unless
// key is empty.  timeout_ms 0: none.  The meter only prints -v traces.
Reply send_request(const Config &cfg, const std::string &method, const std::string &key,
                   ProgressMeter &meter, long timeout_ms);

// method ("HEAD", "DELETE", "OPTIONS", or "POST" with an empty body) on url
// with the extra request headers "Name: value".
Reply send_bodiless(const Config &cfg, const std::string &method, const std::string &url,
                    const std::vector<std::string> &headers, ProgressMeter &meter,
                    long timeout_ms);

}  // namespace bgclient
