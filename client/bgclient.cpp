// bgclient: uploads one file to a bigupload server with an HTTP PUT.
//
//   bgclient [options] <url> <file_path> <remote_path>
//
// One concern per file, as curl's src/tool_*: tool_args (options -> Config),
// tool_source (the file, read and hashed), tool_transfer (libcurl),
// tool_progress (the meter), tool_retry (backoff, Retry-After),
// tool_outcome (answer -> exit code and message), tool_output (stdout).
// Here: the order of things, the retry loop, and the one cleanup path.

#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <curl/curl.h>
#include <unistd.h>

#include "size.hpp"
#include "tool_args.hpp"
#include "tool_exit.hpp"
#include "tool_help.hpp"
#include "tool_outcome.hpp"
#include "tool_output.hpp"
#include "tool_progress.hpp"
#include "tool_retry.hpp"
#include "tool_signal.hpp"
#include "tool_source.hpp"
#include "tool_transfer.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

// Sleeps "seconds", waking early on Ctrl-C; false when interrupted.
bool pause_for(double seconds)
{
    double end = now_seconds() + seconds;
    for (;;) {
        if (interrupted()) {
            return false;
        }
        double left = end - now_seconds();
        if (left <= 0) {
            return true;
        }
        double step = left < 0.05 ? left : 0.05;
        struct timespec ts;
        ts.tv_sec = 0;
        ts.tv_nsec = static_cast<long>(step * 1e9);
        nanosleep(&ts, nullptr);
    }
}

std::string seconds_text(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), s < 10 ? "%.1f s" : "%.0f s", s);
    return buf;
}

class Upload {
public:
    explicit Upload(const Config &cfg) : cfg_(cfg) {}

    int run()
    {
        std::string error;

        rep_.file = cfg_.file_path == "-" ? "(stdin)" : cfg_.file_path;
        rep_.url = redact_url(cfg_.target_url);

        if (!preflight(cfg_, error)) {
            return fail(exit_usage, error);
        }

        src_ = Source::open(cfg_.file_path, error);
        if (!src_) {
            return fail(exit_local_file, error);
        }

        ProgressMode mode = cfg_.progress;
        if (mode == ProgressMode::automatic) {
            mode = isatty(STDERR_FILENO) ? ProgressMode::bar : ProgressMode::none;
        }
        ProgressMeter meter(mode, stderr);
        Backoff backoff;

        const unsigned max_attempts = cfg_.retries + 1;
        const double deadline = cfg_.max_time_ms > 0
                                    ? now_seconds() + static_cast<double>(cfg_.max_time_ms) / 1000.0
                                    : 0;

        for (unsigned attempt = 1;; attempt++) {
            if (attempt > 1 && !src_->rewind()) {
                return fail(exit_local_file, src_->error());
            }

            long timeout_ms = 0;
            if (deadline > 0) {
                timeout_ms = static_cast<long>(std::ceil((deadline - now_seconds()) * 1000.0));
                if (timeout_ms < 1) {
                    timeout_ms = 1;
                }
            }

            AttemptResult r = run_attempt(cfg_, *src_, meter, timeout_ms, attempt);
            bool read_all = src_->size() >= 0
                                ? src_->bytes_read() == static_cast<std::uint64_t>(src_->size())
                                : src_->eof();
            std::string sha = src_->sha256_hex();

            OutcomeInput in;
            in.url = rep_.url;
            in.overwrite = cfg_.overwrite;
            in.local_sha256 = sha;
            in.local_size = src_->bytes_read();
            in.now = std::time(nullptr);
            Outcome o = classify(r, in);

            rep_.attempts = attempt;
            rep_.status = r.status;
            rep_.http_version = r.http_version;
            rep_.size = src_->bytes_read();
            rep_.sha256 = read_all ? sha : std::string();
            rep_.elapsed = r.elapsed;
            rep_.server_error = o.reply.error;
            rep_.server_sha256 = o.reply.sha256;
            rep_.server_path = o.reply.path;
            rep_.location = r.location;

            meter.finish(now_seconds(), src_->bytes_read(), o.exit_code == exit_ok);

            if (o.exit_code == exit_ok) {
                return succeed();
            }

            if (interrupted()) {
                return fail(exit_interrupted, "interrupted");
            }

            std::string why = o.message;
            if (attempt > 1) {
                why += " (after " + std::to_string(attempt) + " attempts)";
            }

            if (!o.retryable || attempt >= max_attempts) {
                return fail(o.exit_code, why);
            }

            if (!src_->rewindable()) {
                return fail(o.exit_code, why + " (standard input cannot be read again: not retrying)");
            }

            if (o.retry_after && *o.retry_after > max_retry_after) {
                return fail(o.exit_code, why + " (the server asked to retry in "
                                             + bigupload::format_duration(*o.retry_after)
                                             + ": not waiting that long)");
            }

            double delay = backoff.delay(attempt, o.retry_after);
            if (deadline > 0 && now_seconds() + delay >= deadline) {
                return fail(o.exit_code, why + " (no time left to retry within --max-time)");
            }

            if (!cfg_.quiet) {
                meter.message("bgclient: " + o.message + "; retrying in " + seconds_text(delay)
                              + " (attempt " + std::to_string(attempt + 1) + " of "
                              + std::to_string(max_attempts) + ")");
            }

            if (!pause_for(delay)) {
                return fail(exit_interrupted, "interrupted");
            }
        }
    }

private:
    int succeed()
    {
        if (cfg_.json) {
            std::printf("%s\n", report_json(rep_).c_str());
        } else if (!cfg_.quiet) {
            std::printf("%s\n", success_line(rep_).c_str());
        }
        std::fflush(stdout);
        return exit_ok;
    }

    int fail(int code, const std::string &message)
    {
        rep_.exit_code = code;
        rep_.message = message;
        std::fprintf(stderr, "bgclient: %s\n", message.c_str());
        if (cfg_.json) {
            std::printf("%s\n", report_json(rep_).c_str());
            std::fflush(stdout);
        }
        return code;
    }

    const Config &cfg_;
    Report rep_;
    std::unique_ptr<Source> src_;
};

struct CurlGlobal {
    bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    ~CurlGlobal() { curl_global_cleanup(); }
};

int run(int argc, char **argv)
{
    install_signal_handlers();

    ArgResult a = parse_args(argc, argv);

    switch (a.action) {
    case ArgAction::help:
        std::fputs(help_text(), stdout);
        return exit_ok;
    case ArgAction::error:
        std::fprintf(stderr, "bgclient: %s\n", a.error.c_str());
        return exit_code_for(a);
    case ArgAction::version:
    case ArgAction::run:
        break;
    }

    CurlGlobal curl;
    if (!curl.ok) {
        std::fprintf(stderr, "bgclient: cannot initialise libcurl\n");
        return exit_internal;
    }

    if (a.action == ArgAction::version) {
        std::printf("%s\n", version_text().c_str());
        return exit_ok;
    }

    try {
        Upload up(a.config);
        return up.run();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bgclient: internal error: %s\n", e.what());
        return exit_internal;
    }
}

}  // namespace

}  // namespace bgclient

int main(int argc, char **argv)
{
    return bgclient::run(argc, argv);
}
