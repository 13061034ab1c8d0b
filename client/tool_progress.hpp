// The progress meter: pure formatting functions (unit-tested at several
// widths and sizes) and the ProgressMeter that decides when to draw.
//
// "done" always means bytes the server has taken (acknowledged by its TCP
// stack), not bytes handed to a buffer: the transfer computes it from
// libcurl's upload counter minus the socket's unacknowledged send queue.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <string>

#include "tool_args.hpp"

namespace bgclient {

enum class Phase {
    sending,  // bytes are still going out
    waiting,  // every byte is with the server; waiting for its answer
    done,     // the server answered (final line)
};

struct ProgressSnapshot {
    std::uint64_t done = 0;  // bytes the server has taken
    std::int64_t total = -1; // -1: unknown (standard input)
    double elapsed = 0;      // seconds since the attempt started
    double rate = -1;        // bytes/s; < 0: not known yet
    Phase phase = Phase::sending;
};

// floor(done * 100 / total), 100 for an empty file, -1 for an unknown total.
int percent(std::uint64_t done, std::int64_t total);

// Seconds left at "rate"; < 0 when unknown (no rate yet, unknown total).
double eta_seconds(std::uint64_t done, std::int64_t total, double rate);

// The ETA for the bar and the plain lines, at most 7 characters whatever
// the rate, so that the bar, sized for the longest, never moves as the rate
// (and with it the ETA) changes: "04:13", "9:59:59", "14h33m", "37d02h",
// ">999d"; "--:--" when unknown (< 0).
std::string eta_text(double seconds);

// One line for a terminal "width" columns wide: never longer than width - 1
// (writing the last column makes some terminals wrap), padded with spaces to
// exactly width - 1 so that it overwrites the previous line after "\r".
// Drops the least useful fields first on narrow terminals.
std::string format_bar_line(const ProgressSnapshot &s, int width);

// One self-contained line for logs (--progress=plain), no padding.
std::string format_plain_line(const ProgressSnapshot &s);

// Rate over a sliding window of recent samples (the rate shown and the ETA
// follow the current speed rather than the average since the start).
class RateWindow {
public:
    explicit RateWindow(double window_seconds = 5.0) : window_(window_seconds) {}
    void reset() { samples_.clear(); }
    void add(double t, std::uint64_t bytes);
    // < 0 until two samples at least 0.3 s apart exist
    double rate() const;

private:
    struct Sample {
        double t;
        std::uint64_t bytes;
    };
    double window_;
    std::deque<Sample> samples_;
};

// Columns of the terminal on fd (TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_width(int fd);

// Draws the progress of one attempt on "out" (stderr).  Times are seconds of
// a monotonic clock supplied by the caller, so tests can drive it.
class ProgressMeter {
public:
    // mode must be bar, plain or none (resolve "automatic" before).
    ProgressMeter(ProgressMode mode, std::FILE *out,
                  std::function<int()> width = nullptr);

    static constexpr double bar_interval = 0.1;   // at most 10 redraws a second
    static constexpr double plain_interval = 5.0; // a log line every 5 seconds

    // done: what the server held before (a resumed upload starts there; the
    // rate counts only what is sent from now on).
    void start(std::int64_t total, double now, std::uint64_t done = 0);
    // True when update() would draw now (the caller can skip measuring).
    bool due(double now) const;
    // all_sent: every byte is with the server; the meter then says so.
    void update(double now, std::uint64_t done, bool all_sent);
    // Final line: with ok, "done" = total is drawn (100% for a known size).
    // The line is ended with "\n" so that what follows starts clean.
    void finish(double now, std::uint64_t done, bool ok);
    // Prints a whole line (a verbose trace, a retry notice) without tearing
    // the bar: the bar is cleared first and redrawn on the next update.
    void message(const std::string &line);

    bool active() const { return mode_ != ProgressMode::none; }
    ProgressSnapshot snapshot() const { return snap_; }
    int draws() const { return draws_; }

private:
    void draw(bool final);
    void clear_line();

    ProgressMode mode_;
    std::FILE *out_;
    std::function<int()> width_;
    ProgressSnapshot snap_;
    RateWindow window_;
    double start_ = 0;
    std::uint64_t start_done_ = 0;  // held by the server at start()
    double last_draw_ = -1e9;
    bool started_ = false;
    bool on_line_ = false;      // a bar line is on screen, not yet ended
    bool said_waiting_ = false; // plain mode: "waiting" line printed
    int last_width_ = 0;
    int draws_ = 0;
};

}  // namespace bgclient
