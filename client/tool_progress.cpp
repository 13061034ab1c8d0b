#include "tool_progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <sys/ioctl.h>
#include <unistd.h>

#include "base/size.hpp"

namespace bgclient {

namespace {

constexpr int min_bar = 8;
constexpr int size_field = 8;   // "12.3 MiB", "1023 B"
constexpr int rate_field = 10;  // "12.3 MiB/s"

const char waiting_text[] = "waiting for server";

std::string pad_left(const std::string &s, std::size_t w)
{
    return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

std::string rate_text(double rate)
{
    return rate < 0 ? "-- B/s" : bigupload::format_rate(rate);
}

std::string tail_text(const ProgressSnapshot &s)
{
    switch (s.phase) {
    case Phase::sending:
        if (s.total < 0) {
            return "";
        }
        return "ETA " + eta_text(eta_seconds(s.done, s.total, s.rate));
    case Phase::waiting:
        return waiting_text;
    case Phase::done:
        return "done";
    }
    return "";
}

enum Field { f_pct, f_bar, f_sizes, f_done, f_rate, f_elapsed, f_tail };

std::string bar_text(const ProgressSnapshot &s, int bar_w)
{
    std::string b = "[";
    int filled = bar_w;
    if (s.total > 0) {
        double frac = static_cast<double>(s.done) / static_cast<double>(s.total);
        if (frac > 1.0) {
            frac = 1.0;
        }
        filled = static_cast<int>(std::floor(frac * bar_w));
    }
    b.append(static_cast<std::size_t>(filled), '=');
    if (filled < bar_w) {
        b.push_back(s.done > 0 ? '>' : ' ');
        b.append(static_cast<std::size_t>(bar_w - filled - 1), ' ');
    }
    b.push_back(']');
    return b;
}

// The fields of a layout rendered for snapshot s (the rate is left out while
// waiting: nothing is being sent then).  bar_w < 0: measure without the bar
// ("[]" only), so that the caller can size it.
std::string render(const std::vector<Field> &fields, const ProgressSnapshot &s,
                   int bar_w)
{
    std::string line;

    auto add = [&line](const std::string &piece) {
        if (piece.empty()) {
            return;
        }
        if (!line.empty()) {
            line.push_back(' ');
        }
        line += piece;
    };

    for (Field f : fields) {
        switch (f) {
        case f_pct:
            add(pad_left(std::to_string(percent(s.done, s.total)) + "%", 4));
            break;
        case f_bar:
            add(bar_w < 0 ? "[]" : bar_text(s, bar_w));
            break;
        case f_sizes:
            add(pad_left(bigupload::format_size(s.done), size_field) + " / "
                + pad_left(bigupload::format_size(static_cast<std::uint64_t>(s.total)),
                           size_field));
            break;
        case f_done:
            add(pad_left(bigupload::format_size(s.done), size_field)
                + (s.total < 0 ? " sent" : ""));
            break;
        case f_rate:
            if (s.phase != Phase::waiting) {
                add(pad_left(rate_text(s.rate), rate_field));
            }
            break;
        case f_elapsed:
            add(bigupload::format_duration(s.elapsed));
            break;
        case f_tail: {
            std::string t = tail_text(s);
            if (bar_w < 0 && s.phase == Phase::sending && s.total >= 0 && t.size() < 11) {
                // size the bar for an ETA of up to "ETA 9:59:59", so that it
                // does not move as the ETA shrinks or the phase changes
                t.resize(11, ' ');
            }
            add(t);
            break;
        }
        }
    }

    return line;
}

}  // namespace

std::string eta_text(double seconds)
{
    if (!(seconds >= 0) || std::isinf(seconds)) {
        return "--:--";
    }
    if (seconds < 10 * 3600) {
        return bigupload::format_duration(seconds);
    }
    auto t = static_cast<unsigned long long>(seconds);
    char buf[32];
    if (t < 100 * 3600) {
        std::snprintf(buf, sizeof(buf), "%lluh%02llum", t / 3600, t / 60 % 60);
    } else if (t < 1000ull * 86400) {
        std::snprintf(buf, sizeof(buf), "%llud%02lluh", t / 86400, t / 3600 % 24);
    } else {
        return ">999d";
    }
    return buf;
}

int percent(std::uint64_t done, std::int64_t total)
{
    if (total < 0) {
        return -1;
    }
    if (total == 0 || done >= static_cast<std::uint64_t>(total)) {
        return 100;
    }
    long double p = static_cast<long double>(done) * 100.0L
                    / static_cast<long double>(total);
    int r = static_cast<int>(p);
    return r > 99 ? 99 : r;  // 100% only when everything is there
}

double eta_seconds(std::uint64_t done, std::int64_t total, double rate)
{
    if (total < 0 || !(rate > 0) || std::isinf(rate)) {
        return -1;
    }
    if (done >= static_cast<std::uint64_t>(total)) {
        return 0;
    }
    return static_cast<double>(static_cast<std::uint64_t>(total) - done) / rate;
}

std::string format_bar_line(const ProgressSnapshot &s, int width)
{
    const int avail = width > 1 ? width - 1 : 1;

    static const std::vector<std::vector<Field>> known_layouts = {
        {f_pct, f_bar, f_sizes, f_rate, f_elapsed, f_tail},
        {f_pct, f_bar, f_sizes, f_rate, f_tail},
        {f_pct, f_bar, f_done, f_rate, f_tail},
        {f_pct, f_bar, f_rate, f_tail},
        {f_pct, f_bar, f_tail},
        {f_pct, f_bar},
        {f_pct, f_sizes, f_rate, f_elapsed, f_tail},
        {f_pct, f_done, f_rate, f_tail},
        {f_pct, f_rate, f_tail},
        {f_pct, f_tail},
        {f_pct},
    };
    static const std::vector<std::vector<Field>> unknown_layouts = {
        {f_done, f_rate, f_elapsed, f_tail},
        {f_done, f_rate, f_tail},
        {f_done, f_tail},
        {f_done, f_rate},
        {f_done},
    };

    // The bar keeps one width from "sending" through "waiting for server"
    // to "done": size it for the widest of the three.
    ProgressSnapshot variants[3] = {s, s, s};
    variants[0].phase = Phase::sending;
    variants[1].phase = Phase::waiting;
    variants[2].phase = Phase::done;

    std::string line;
    bool found = false;

    for (const auto &layout : s.total < 0 ? unknown_layouts : known_layouts) {
        bool has_bar = false;
        for (Field f : layout) {
            has_bar = has_bar || f == f_bar;
        }

        if (has_bar) {
            int fixed = 0;
            for (const ProgressSnapshot &v : variants) {
                fixed = std::max(fixed, static_cast<int>(render(layout, v, -1).size()));
            }
            int bar_w = avail - fixed;
            if (bar_w < min_bar) {
                continue;
            }
            line = render(layout, s, bar_w);
        } else {
            line = render(layout, s, 0);
            if (static_cast<int>(line.size()) > avail) {
                continue;
            }
        }
        found = true;
        break;
    }

    if (!found || static_cast<int>(line.size()) > avail) {
        line.resize(static_cast<std::size_t>(avail));
    }
    line.append(static_cast<std::size_t>(avail) - line.size(), ' ');
    return line;
}

std::string format_plain_line(const ProgressSnapshot &s)
{
    std::string line;

    if (s.total >= 0) {
        line = std::to_string(percent(s.done, s.total)) + "% "
               + bigupload::format_size(s.done) + " / "
               + bigupload::format_size(static_cast<std::uint64_t>(s.total));
    } else {
        line = bigupload::format_size(s.done) + " sent";
    }

    if (s.phase != Phase::waiting) {
        line += ", " + rate_text(s.rate);
    }
    line += ", " + bigupload::format_duration(s.elapsed) + " elapsed";

    std::string tail = tail_text(s);
    if (!tail.empty()) {
        line += ", " + tail;
    }
    return line;
}

void RateWindow::add(double t, std::uint64_t bytes)
{
    if (!samples_.empty() && t < samples_.back().t) {
        return;  // clocks go forward only
    }
    samples_.push_back({t, bytes});
    while (samples_.size() > 2 && t - samples_[1].t >= window_) {
        samples_.pop_front();
    }
}

double RateWindow::rate() const
{
    if (samples_.size() < 2) {
        return -1;
    }
    const Sample &a = samples_.front();
    const Sample &b = samples_.back();
    double dt = b.t - a.t;
    if (dt < 0.3 || b.bytes < a.bytes) {
        return -1;
    }
    return static_cast<double>(b.bytes - a.bytes) / dt;
}

int terminal_width(int fd)
{
    struct winsize ws = {};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    if (const char *c = std::getenv("COLUMNS")) {
        char *end = nullptr;
        long v = std::strtol(c, &end, 10);
        if (end != c && *end == '\0' && v > 0 && v < 10000) {
            return static_cast<int>(v);
        }
    }
    return 80;
}

ProgressMeter::ProgressMeter(ProgressMode mode, std::FILE *out, std::function<int()> width)
    : mode_(mode == ProgressMode::automatic ? ProgressMode::none : mode),
      out_(out),
      width_(std::move(width))
{
    if (!width_) {
        width_ = [] { return terminal_width(STDERR_FILENO); };
    }
}

void ProgressMeter::start(std::int64_t total, double now, std::uint64_t done)
{
    snap_ = ProgressSnapshot();
    snap_.total = total;
    snap_.done = done;
    start_done_ = done;
    window_.reset();
    window_.add(now, done);
    start_ = now;
    started_ = true;
    said_waiting_ = false;
    // the bar appears at once; the first plain line after plain_interval
    last_draw_ = mode_ == ProgressMode::plain ? now : -1e9;
}

bool ProgressMeter::due(double now) const
{
    if (mode_ == ProgressMode::none || !started_) {
        return false;
    }
    if (mode_ == ProgressMode::plain) {
        return true;  // cheap: the meter throttles, and must see "all sent" soon
    }
    return now - last_draw_ >= bar_interval;
}

void ProgressMeter::update(double now, std::uint64_t done, bool all_sent)
{
    if (mode_ == ProgressMode::none || !started_) {
        return;
    }

    if (done < snap_.done) {
        done = snap_.done;  // monotonic
    }
    if (snap_.total >= 0 && done > static_cast<std::uint64_t>(snap_.total)) {
        done = static_cast<std::uint64_t>(snap_.total);
    }

    window_.add(now, done);
    snap_.done = done;
    snap_.elapsed = now - start_;
    snap_.rate = window_.rate();
    snap_.phase = all_sent ? Phase::waiting : Phase::sending;

    if (mode_ == ProgressMode::bar) {
        if (now - last_draw_ >= bar_interval) {
            last_draw_ = now;
            draw(false);
        }
        return;
    }

    bool first_waiting = all_sent && !said_waiting_;
    if (first_waiting || now - last_draw_ >= plain_interval) {
        said_waiting_ = said_waiting_ || all_sent;
        last_draw_ = now;
        draw(false);
    }
}

void ProgressMeter::finish(double now, std::uint64_t done, bool ok)
{
    if (mode_ == ProgressMode::none || !started_) {
        return;
    }
    started_ = false;

    if (!ok) {
        if (on_line_) {
            std::fputc('\n', out_);
            std::fflush(out_);
            on_line_ = false;
        }
        return;
    }

    if (snap_.total >= 0) {
        done = static_cast<std::uint64_t>(snap_.total);
    }
    snap_.done = done;
    snap_.elapsed = now - start_;
    snap_.rate = snap_.elapsed > 0 && done >= start_done_
                     ? static_cast<double>(done - start_done_) / snap_.elapsed
                     : -1;
    snap_.phase = Phase::done;
    draw(true);
}

void ProgressMeter::message(const std::string &line)
{
    if (mode_ == ProgressMode::bar && on_line_) {
        clear_line();
        last_draw_ = -1e9;  // redraw on the next update
    }
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
}

void ProgressMeter::clear_line()
{
    std::fputc('\r', out_);
    for (int i = 0; i + 1 < last_width_; i++) {
        std::fputc(' ', out_);
    }
    std::fputc('\r', out_);
    on_line_ = false;
}

void ProgressMeter::draw(bool final)
{
    draws_++;

    if (mode_ == ProgressMode::plain) {
        std::fputs(format_plain_line(snap_).c_str(), out_);
        std::fputc('\n', out_);
        std::fflush(out_);
        return;
    }

    int width = width_();
    if (width < 10) {
        width = 10;
    } else if (width > 1000) {
        width = 1000;
    }
    if (on_line_ && width < last_width_) {
        clear_line();  // the terminal shrank: do not leave a tail behind
    }
    last_width_ = width;

    std::fputc('\r', out_);
    std::fputs(format_bar_line(snap_, width).c_str(), out_);
    if (final) {
        std::fputc('\n', out_);
    }
    std::fflush(out_);
    on_line_ = !final;
}

}  // namespace bgclient
