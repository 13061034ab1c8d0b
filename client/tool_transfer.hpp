// One plain upload attempt with libcurl: a PUT of the whole Source to
// cfg.target_url (standard input, --no-resume, a server without resumable
// uploads; the ranges of a resumable upload are tool_ranges), driven by the
// multi interface so that the meter ticks (and Ctrl-C is seen) at least
// every 100 ms even while the server is silent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tool_args.hpp"
#include "tool_outcome.hpp"
#include "tool_progress.hpp"
#include "tool_source.hpp"

namespace bgclient {

// Upload buffer handed to the read callback (CURLOPT_UPLOAD_BUFFERSIZE).
// Measured on loopback against nginx (see tool_transfer.cpp): the largest
// size libcurl allows is also the fastest and the cheapest in CPU.
constexpr long upload_buffer_size = 2L * 1024 * 1024;

// Seconds of a monotonic clock.
double now_seconds();

// Milliseconds left until "deadline" (a now_seconds() value; 0: none) for a
// request's timeout: 0 without a deadline, at least 1 with one.
long timeout_left(double deadline);

// "bgclient 0.1.0 (libcurl/7.88.1 OpenSSL/3.0.11 ...)"
std::string version_text();

// Checks what libcurl itself must accept before anything is read or sent:
// the URL parses, and the libcurl build has TLS for https and HTTP/2 for
// --http2.  false with a usage message otherwise.
bool preflight(const Config &cfg, std::string &error);

// Bytes the server has taken: what libcurl wrote to its sockets minus what
// the kernel still holds unacknowledged in their send queues (SIOCOUTQ),
// never more than "cap" (the bytes read from the file).  queue_empty tells
// whether every byte written has been acknowledged.
std::uint64_t server_taken(std::uint64_t written, const std::vector<int> &fds,
                           std::uint64_t cap, bool *queue_empty = nullptr);

// One PUT.  timeout_ms (0: none) bounds the whole attempt (what is left of
// --max-time).  The meter is started here; finishing it is the caller's job
// once it knows whether the attempt succeeded.
AttemptResult run_attempt(const Config &cfg, Source &src, ProgressMeter &meter,
                          long timeout_ms, unsigned attempt);

}  // namespace bgclient
