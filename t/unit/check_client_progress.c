/* bgclient: progress formatting (bar and plain lines, at several terminal
 * widths and sizes), ETA, the rate window, and the meter's throttling.
 * Compiled as C++. */
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "tool_progress.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;

namespace {

constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024;

ProgressSnapshot snap(std::uint64_t done, std::int64_t total, double elapsed, double rate,
                      Phase phase = Phase::sending)
{
    ProgressSnapshot s;
    s.done = done;
    s.total = total;
    s.elapsed = elapsed;
    s.rate = rate;
    s.phase = phase;
    return s;
}

bool has(const std::string &s, const char *needle)
{
    return s.find(needle) != std::string::npos;
}

// Position of '[' and ']' of the bar (npos if none).
std::size_t bar_len(const std::string &line)
{
    std::size_t a = line.find('['), b = line.find(']');
    return a == std::string::npos || b == std::string::npos ? 0 : b - a - 1;
}

// Everything a meter wrote to a memory stream.
struct Capture {
    char *buf = nullptr;
    std::size_t len = 0;
    std::FILE *f = open_memstream(&buf, &len);
    ~Capture()
    {
        if (f) {
            std::fclose(f);
        }
        std::free(buf);
    }
    std::string text()
    {
        std::fflush(f);
        return std::string(buf, len);
    }
};

int count(const std::string &s, char c)
{
    int n = 0;
    for (char x : s) {
        n += x == c;
    }
    return n;
}

}  // namespace

START_TEST(percent_and_eta)
{
    ck_assert_int_eq(percent(0, 100), 0);
    ck_assert_int_eq(percent(50, 100), 50);
    ck_assert_int_eq(percent(999, 1000), 99);
    ck_assert_int_eq(percent(9999, 10000), 99); /* 100% only when all is there */
    ck_assert_int_eq(percent(100, 100), 100);
    ck_assert_int_eq(percent(0, 0), 100);       /* empty file */
    ck_assert_int_eq(percent(5, -1), -1);       /* unknown total */
    ck_assert_int_eq(percent(TiB * 5 / 2, static_cast<std::int64_t>(5 * TiB)), 50);
    ck_assert_int_eq(percent(UINT64_C(9000000000000000000), INT64_MAX), 97);

    ck_assert(eta_seconds(0, 100 * MiB, 10.0 * MiB) == 10.0);
    ck_assert(eta_seconds(50 * MiB, 100 * MiB, 10.0 * MiB) == 5.0);
    ck_assert(eta_seconds(100 * MiB, 100 * MiB, 10.0 * MiB) == 0.0);
    ck_assert(eta_seconds(0, 100, 0) < 0);   /* no rate yet */
    ck_assert(eta_seconds(0, 100, -1) < 0);
    ck_assert(eta_seconds(0, -1, 100) < 0);  /* unknown total */
    ck_assert(eta_seconds(0, static_cast<std::int64_t>(5 * TiB), 100.0 * MiB) == 52428.8);
}
END_TEST

START_TEST(bar_golden_80)
{
    ProgressSnapshot s = snap(1310000000, 2910000000, 11.4, 112.0 * MiB);
    std::string l = format_bar_line(s, 80);
    ck_assert_sstr_eq(l,
        " 45% [==========>            ] 1.22 GiB / 2.71 GiB  112 MiB/s 00:11 ETA 00:13  ");

    s.phase = Phase::waiting;
    s.done = 2910000000;
    s.elapsed = 24.2;
    l = format_bar_line(s, 80);
    ck_assert_sstr_eq(l,
        "100% [=======================] 2.71 GiB / 2.71 GiB 00:24 waiting for server    ");

    s.phase = Phase::done;
    s.elapsed = 25.0;
    s.rate = 2910000000 / 25.0;
    l = format_bar_line(s, 80);
    ck_assert_sstr_eq(l,
        "100% [=======================] 2.71 GiB / 2.71 GiB  111 MiB/s 00:25 done       ");
}
END_TEST

START_TEST(bar_golden_40_and_200)
{
    ProgressSnapshot s = snap(1310000000, 2910000000, 11.4, 112.0 * MiB);
    ck_assert_sstr_eq(format_bar_line(s, 40), " 45% [====>    ]  112 MiB/s ETA 00:13  ");

    std::string wide = format_bar_line(s, 200);
    ck_assert_uint_eq(wide.size(), 199);
    ck_assert_sstr_eq(wide.substr(0, 6), " 45% [");
    ck_assert(has(wide, "] 1.22 GiB / 2.71 GiB  112 MiB/s 00:11 ETA 00:13"));
    ck_assert_uint_eq(bar_len(wide), 143);
    /* 45.0% of a 143-column bar: 64 '=' then the head */
    ck_assert_int_eq(count(wide, '='), 64);
    ck_assert(has(wide, "=>"));
}
END_TEST

START_TEST(bar_all_widths_and_sizes)
{
    const std::int64_t totals[] = {0, 1, 1023, 1024, static_cast<std::int64_t>(MiB),
                                   2910000000, static_cast<std::int64_t>(4 * GiB + 1),
                                   static_cast<std::int64_t>(5 * TiB), -1};
    const Phase phases[] = {Phase::sending, Phase::waiting, Phase::done};

    for (int width : {10, 20, 40, 60, 80, 120, 200}) {
        for (std::int64_t total : totals) {
            std::size_t bar_sending = 0;
            for (Phase ph : phases) {
                std::uint64_t done = total < 0 ? 3 * GiB
                                     : ph == Phase::sending ? static_cast<std::uint64_t>(total) / 3
                                                             : static_cast<std::uint64_t>(total);
                ProgressSnapshot s = snap(done, total, 3725.0, 98.7 * MiB, ph);
                std::string l = format_bar_line(s, width);

                ck_assert_msg(static_cast<int>(l.size()) == width - 1,
                              "width %d total %lld: length %zu: '%s'", width,
                              static_cast<long long>(total), l.size(), l.c_str());
                ck_assert_msg(l.find('\n') == std::string::npos && l.find('\r') == std::string::npos,
                              "line break in '%s'", l.c_str());

                if (total >= 0) {
                    /* the percentage is always there */
                    ck_assert_msg(has(l, "%"), "no percentage: '%s'", l.c_str());
                    if (ph != Phase::sending) {
                        ck_assert_msg(has(l, "100%"), "not 100%%: '%s'", l.c_str());
                    }
                } else {
                    ck_assert_msg(!has(l, "%") && !has(l, "ETA") && !has(l, "["),
                                  "unknown total with percentage/ETA/bar: '%s'", l.c_str());
                    if (width >= 20) {
                        ck_assert_msg(has(l, "3.00 GiB sent"), "'%s'", l.c_str());
                    }
                }

                if (width >= 40 && total >= 0) {
                    ck_assert_msg(bar_len(l) >= 8, "bar too short at %d: '%s'", width, l.c_str());
                }
                if (width >= 80) {
                    ck_assert_msg(has(l, "1:02:05"), "no elapsed at %d: '%s'", width, l.c_str());
                    if (total >= 0) {
                        ck_assert_msg(has(l, " / "), "no total at %d: '%s'", width, l.c_str());
                    }
                }
                if (width >= 40) {
                    if (ph == Phase::waiting) {
                        ck_assert_msg(has(l, "waiting for server"), "'%s'", l.c_str());
                        ck_assert_msg(!has(l, "/s"), "rate while waiting: '%s'", l.c_str());
                    } else if (ph == Phase::done) {
                        ck_assert_msg(has(l, "done"), "'%s'", l.c_str());
                    } else if (total >= 0) {
                        ck_assert_msg(has(l, "ETA "), "no ETA at %d: '%s'", width, l.c_str());
                    }
                }

                /* the bar keeps its width from sending to waiting to done */
                if (ph == Phase::sending) {
                    bar_sending = bar_len(l);
                } else {
                    ck_assert_msg(bar_len(l) == bar_sending, "bar moved at %d: '%s'", width,
                                  l.c_str());
                }
            }
        }
    }
}
END_TEST

START_TEST(bar_sizes_0_to_5tib)
{
    struct {
        std::uint64_t done;
        std::int64_t total;
        const char *sizes;
    } cases[] = {
        {0, 0, "     0 B /      0 B"},
        {512, 1023, "   512 B /   1023 B"},
        {1024, 10 * 1024, "1.00 KiB / 10.0 KiB"},
        {300 * MiB, static_cast<std::int64_t>(1 * GiB), " 300 MiB / 1.00 GiB"},
        {4 * GiB, static_cast<std::int64_t>(5 * GiB), "4.00 GiB / 5.00 GiB"},
        {TiB, static_cast<std::int64_t>(5 * TiB), "1.00 TiB / 5.00 TiB"},
    };
    for (const auto &c : cases) {
        std::string l = format_bar_line(snap(c.done, c.total, 1, 1), 80);
        ck_assert_msg(has(l, c.sizes), "'%s' lacks '%s'", l.c_str(), c.sizes);
    }
}
END_TEST

START_TEST(unknown_total)
{
    ProgressSnapshot s = snap(123456789, -1, 11.4, 112.0 * MiB);
    std::string l = format_bar_line(s, 80);
    ck_assert_sstr_eq(l,
        " 118 MiB sent  112 MiB/s 00:11                                                 ");
    s.phase = Phase::waiting;
    l = format_bar_line(s, 80);
    ck_assert(has(l, " 118 MiB sent 00:11 waiting for server"));
    ck_assert_sstr_eq(format_plain_line(snap(123456789, -1, 11.4, 112.0 * MiB)),
                     "118 MiB sent, 112 MiB/s, 00:11 elapsed");
}
END_TEST

START_TEST(eta_and_rate_unknown)
{
    /* no rate yet: ETA and rate say so instead of inventing numbers */
    std::string l = format_bar_line(snap(0, 1000, 0.1, -1), 80);
    ck_assert_msg(has(l, "ETA --:--"), "'%s'", l.c_str());
    ck_assert_msg(has(l, "-- B/s"), "'%s'", l.c_str());
    /* long ETAs switch to h:mm:ss */
    l = format_bar_line(snap(0, static_cast<std::int64_t>(5 * TiB), 1, 100.0 * MiB), 80);
    ck_assert_msg(has(l, "ETA 14h33m"), "'%s'", l.c_str());
    l = format_bar_line(snap(0, static_cast<std::int64_t>(100 * MiB), 1, 1.0 * MiB), 80);
    ck_assert_msg(has(l, "ETA 01:40"), "'%s'", l.c_str());
}
END_TEST

/* The rate and the ETA computed from it change every redraw: neither may
 * move the bar or the fields after it (issue 17.7).  Before, an ETA over
 * ten hours ("ETA 14:33:48") was wider than the bar was sized for, so a
 * rate that swung around it made the bar jump by a column or two. */
START_TEST(bar_steady_as_rate_changes)
{
    const double rates[] = {-1, 0, 1, 500, 1023.9, 1024, 10240, 100000, 1048575, 3.3e6,
                            5e6, 2e7, 1.2e8, 1.07e9, 1.2e9, 1.1e10, 1e13};
    const std::int64_t totals[] = {static_cast<std::int64_t>(MiB), 2910000000,
                                   static_cast<std::int64_t>(5 * TiB)};
    for (int width = 30; width <= 200; width++) {
        for (std::int64_t total : totals) {
            std::set<std::size_t> bar_ends, elapsed_at, lengths;
            for (double rate : rates) {
                ProgressSnapshot s = snap(static_cast<std::uint64_t>(total) / 3, total, 754.0, rate);
                std::string l = format_bar_line(s, width);
                lengths.insert(l.size());
                bar_ends.insert(l.find(']'));
                elapsed_at.insert(l.find("12:34"));
            }
            ck_assert_msg(lengths.size() == 1, "length changes at width %d", width);
            ck_assert_msg(bar_ends.size() == 1, "the bar moves with the rate at width %d, total %lld",
                          width, static_cast<long long>(total));
            ck_assert_msg(elapsed_at.size() == 1, "the elapsed time moves at width %d, total %lld",
                          width, static_cast<long long>(total));
        }
    }

    /* every ETA fits the 7 characters the bar leaves for it */
    for (double t = 0; t < 1e9; t = t * 1.07 + 1) {
        ck_assert_msg(eta_text(t).size() <= 7, "ETA for %.0f s: '%s'", t, eta_text(t).c_str());
    }
    ck_assert_sstr_eq(eta_text(-1), "--:--");
    ck_assert_sstr_eq(eta_text(253), "04:13");
    ck_assert_sstr_eq(eta_text(35999), "9:59:59");
    ck_assert_sstr_eq(eta_text(36000), "10h00m");
    ck_assert_sstr_eq(eta_text(52428.8), "14h33m");
    ck_assert_sstr_eq(eta_text(359999), "99h59m");
    ck_assert_sstr_eq(eta_text(360000), "4d04h");
    ck_assert_sstr_eq(eta_text(37 * 86400 + 2 * 3600 + 5), "37d02h");
    ck_assert_sstr_eq(eta_text(999.0 * 86400 + 23 * 3600), "999d23h");
    ck_assert_sstr_eq(eta_text(1000.0 * 86400), ">999d");
    ck_assert_sstr_eq(eta_text(1.0 / 0.0), "--:--");
}
END_TEST

START_TEST(plain_lines)
{
    ProgressSnapshot s = snap(1310000000, 2910000000, 11.4, 112.0 * MiB);
    ck_assert_sstr_eq(format_plain_line(s),
                     "45% 1.22 GiB / 2.71 GiB, 112 MiB/s, 00:11 elapsed, ETA 00:13");
    s.phase = Phase::waiting;
    s.done = 2910000000;
    ck_assert_sstr_eq(format_plain_line(s),
                     "100% 2.71 GiB / 2.71 GiB, 00:11 elapsed, waiting for server");
    s.phase = Phase::done;
    ck_assert_sstr_eq(format_plain_line(s),
                     "100% 2.71 GiB / 2.71 GiB, 112 MiB/s, 00:11 elapsed, done");
}
END_TEST

START_TEST(rate_window)
{
    RateWindow w(5.0);
    ck_assert(w.rate() < 0);
    w.add(0.0, 0);
    ck_assert(w.rate() < 0);
    w.add(0.1, 10 * MiB);
    ck_assert(w.rate() < 0); /* too short a span to say */
    for (int i = 1; i <= 100; i++) {
        w.add(i * 0.1, static_cast<std::uint64_t>(i) * 10 * MiB); /* 100 MiB/s */
    }
    ck_assert_msg(std::abs(w.rate() - 100.0 * MiB) < 1.0, "rate %f", w.rate());
    /* the speed halves: after a full window the rate follows */
    std::uint64_t b = 1000 * MiB;
    for (int i = 101; i <= 200; i++) {
        b += 5 * MiB;
        w.add(i * 0.1, b);
    }
    ck_assert_msg(std::abs(w.rate() - 50.0 * MiB) < 0.03 * MiB, "rate %f", w.rate() / MiB);
    /* time going backwards is ignored */
    w.add(1.0, 0);
    ck_assert_msg(std::abs(w.rate() - 50.0 * MiB) < 0.03 * MiB, "rate %f", w.rate() / MiB);
    w.reset();
    ck_assert(w.rate() < 0);
}
END_TEST

START_TEST(meter_bar_throttle_and_final)
{
    Capture cap;
    ProgressMeter m(ProgressMode::bar, cap.f, [] { return 80; });
    m.start(100 * MiB, 0.0);
    /* 2 seconds of updates every 5 ms: at most 10 draws a second */
    for (int i = 0; i <= 400; i++) {
        double t = i * 0.005;
        if (m.due(t)) {
            m.update(t, static_cast<std::uint64_t>(i) * 200 * KiB, false);
        }
    }
    ck_assert_msg(m.draws() >= 19 && m.draws() <= 21, "draws %d", m.draws());
    m.finish(2.5, 100 * MiB, true);
    std::string out = cap.text();
    /* every draw is "\r" + 79 columns; the last one is 100% and ends the line */
    ck_assert_int_eq(count(out, '\r'), m.draws());
    ck_assert_int_eq(count(out, '\n'), 1);
    std::size_t last = out.rfind('\r');
    std::string final_line = out.substr(last + 1);
    ck_assert_uint_eq(final_line.size(), 80); /* 79 + "\n" */
    ck_assert_msg(has(final_line, "100% [") && has(final_line, " 100 MiB /  100 MiB")
                      && has(final_line, "done"),
                  "final: '%s'", final_line.c_str());
}
END_TEST

START_TEST(meter_final_100_even_when_throttled)
{
    Capture cap;
    ProgressMeter m(ProgressMode::bar, cap.f, [] { return 60; });
    m.start(1000, 0.0);
    m.update(0.0, 10, false);
    m.update(0.01, 500, false); /* throttled */
    ck_assert_int_eq(m.draws(), 1);
    m.finish(0.02, 500, true);  /* the final 100% is never throttled */
    ck_assert_int_eq(m.draws(), 2);
    ck_assert(has(cap.text(), "100% ["));
}
END_TEST

START_TEST(meter_monotonic_and_waiting)
{
    Capture cap;
    ProgressMeter m(ProgressMode::bar, cap.f, [] { return 80; });
    m.start(1000, 0.0);
    m.update(0.0, 600, false);
    m.update(0.2, 400, false); /* lower than before: kept at 600 */
    ck_assert_uint_eq(m.snapshot().done, 600);
    m.update(0.4, 5000, false); /* more than the total: clamped */
    ck_assert_uint_eq(m.snapshot().done, 1000);
    m.update(0.6, 1000, true);
    ck_assert(m.snapshot().phase == Phase::waiting);
    ck_assert(has(cap.text(), "waiting for server"));
}
END_TEST

START_TEST(meter_failure_ends_line)
{
    Capture cap;
    ProgressMeter m(ProgressMode::bar, cap.f, [] { return 80; });
    m.start(1000, 0.0);
    m.update(0.0, 300, false);
    m.finish(1.0, 300, false);
    std::string out = cap.text();
    ck_assert(!has(out, "100%"));
    ck_assert(out.back() == '\n'); /* the error message starts on its own line */
}
END_TEST

START_TEST(meter_message_clears_bar)
{
    Capture cap;
    ProgressMeter m(ProgressMode::bar, cap.f, [] { return 40; });
    m.start(1000, 0.0);
    m.update(0.0, 300, false);
    m.message("bgclient: retrying");
    std::string out = cap.text();
    ck_assert(out.find("\r" + std::string(39, ' ') + "\rbgclient: retrying\n") != std::string::npos);
    /* the bar comes back on the next update, even within 100 ms */
    int before = m.draws();
    m.update(0.01, 310, false);
    ck_assert_int_eq(m.draws(), before + 1);
}
END_TEST

START_TEST(meter_plain)
{
    Capture cap;
    ProgressMeter m(ProgressMode::plain, cap.f);
    m.start(100 * MiB, 0.0);
    for (int i = 0; i <= 120; i++) { /* 12 s */
        m.update(i * 0.1, static_cast<std::uint64_t>(i) * 800 * KiB, false);
    }
    ck_assert_int_eq(m.draws(), 2); /* at 5 s and 10 s */
    m.update(12.1, 100 * MiB, true); /* waiting: said at once, once */
    m.update(12.2, 100 * MiB, true);
    ck_assert_int_eq(m.draws(), 3);
    m.finish(13.0, 100 * MiB, true);
    std::string out = cap.text();
    ck_assert_int_eq(count(out, '\n'), 4);
    ck_assert_int_eq(count(out, '\r'), 0);
    ck_assert(has(out, "waiting for server\n"));
    ck_assert(has(out, "100% 100 MiB / 100 MiB, 7.69 MiB/s, 00:13 elapsed, done\n"));
}
END_TEST

START_TEST(meter_none)
{
    Capture cap;
    ProgressMeter m(ProgressMode::none, cap.f);
    m.start(100, 0.0);
    ck_assert(!m.due(1.0));
    m.update(1.0, 50, false);
    m.finish(2.0, 100, true);
    ck_assert(!m.active());
    ck_assert_uint_eq(cap.text().size(), 0);
}
END_TEST

START_TEST(width_fallback)
{
    /* not a terminal: $COLUMNS, else 80 */
    int fd = fileno(std::tmpfile());
    setenv("COLUMNS", "123", 1);
    ck_assert_int_eq(terminal_width(fd), 123);
    setenv("COLUMNS", "junk", 1);
    ck_assert_int_eq(terminal_width(fd), 80);
    unsetenv("COLUMNS");
    ck_assert_int_eq(terminal_width(fd), 80);
}
END_TEST

Suite *client_progress_suite(void);

Suite *client_progress_suite(void)
{
    Suite *s = suite_create("client_progress");
    TCase *tc = tcase_create("progress");
    tcase_add_test(tc, percent_and_eta);
    tcase_add_test(tc, bar_golden_80);
    tcase_add_test(tc, bar_golden_40_and_200);
    tcase_add_test(tc, bar_all_widths_and_sizes);
    tcase_add_test(tc, bar_sizes_0_to_5tib);
    tcase_add_test(tc, unknown_total);
    tcase_add_test(tc, eta_and_rate_unknown);
    tcase_add_test(tc, bar_steady_as_rate_changes);
    tcase_add_test(tc, plain_lines);
    tcase_add_test(tc, rate_window);
    tcase_add_test(tc, meter_bar_throttle_and_final);
    tcase_add_test(tc, meter_final_100_even_when_throttled);
    tcase_add_test(tc, meter_monotonic_and_waiting);
    tcase_add_test(tc, meter_failure_ends_line);
    tcase_add_test(tc, meter_message_clears_bar);
    tcase_add_test(tc, meter_plain);
    tcase_add_test(tc, meter_none);
    tcase_add_test(tc, width_fallback);
    suite_add_tcase(s, tc);
    return s;
}
