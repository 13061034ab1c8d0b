/* Status counters and their JSON and Prometheus texts. */
#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>
#include <string>

#include "report/status.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

static StatusSnapshot sample(void)
{
    StatusSnapshot s;
    s.now_ms = 1795848485123;               /* 2026-11-28T06:48:05.123Z */
    s.zone_size = 1048576;
    s.counters.started = 1795848000;

    s.counters.record_upload(Result::complete, "", 2048, 2048, 1500);
    s.counters.record_upload(Result::complete, "", 5ull << 30, 5ull << 30, 90000);
    s.counters.record_upload(Result::failed, "no_space", 100, 0, 10);
    s.counters.record_upload(Result::failed, "exists", 0, 0, 1);
    s.counters.record_upload(Result::failed, "something_new", 0, 0, 1);
    s.counters.record_upload(Result::partial, "", 300, 0, 2000);
    s.counters.record_upload(Result::cancelled, "", 7, 0, 3);
    s.counters.record_cancel();
    s.counters.expired = 2;

    LiveUpload u;
    u.path = "/isos/a \"b\".iso";
    u.client = "127.0.0.1";
    u.received = 1000;
    u.buffered = 16384;
    u.rate = 512.4;
    u.started_ms = 1795848484000;
    u.resumable = true;
    u.pid = 42;
    s.uploads.push_back(u);

    PartialListing p;
    p.path = "/p.bin";
    p.offset = 10;
    p.received = 20;
    p.length = 100;
    p.updated = 1795848400;
    p.expires = 1795848400 + 86400;
    s.partials.push_back(p);
    return s;
}

START_TEST(test_reasons)
{
    ck_assert_sstr_eq(failure_reasons[failure_reason_index("no_space")], "no_space");
    ck_assert_sstr_eq(failure_reasons[failure_reason_index("nope")], "other");
    ck_assert_sstr_eq(failure_reasons[failure_reason_count - 1], "other");
    ck_assert_sstr_eq(result_name(Result::partial), "partial");
    ck_assert_sstr_eq(result_name(Result::none), "");
}
END_TEST

START_TEST(test_counters)
{
    StatusSnapshot s = sample();
    const StatusCounters &c = s.counters;

    ck_assert_int_eq(c.completed, 2);
    ck_assert_int_eq(c.partial, 1);
    ck_assert_int_eq(c.cancelled, 2);
    ck_assert_int_eq(c.requests, 7);
    ck_assert_int_eq(c.failed[failure_reason_index("no_space")], 1);
    ck_assert_int_eq(c.failed[failure_reason_index("other")], 1);
    ck_assert_int_eq(c.bytes_received, 2048 + (5ull << 30) + 100 + 300 + 7);
    ck_assert_int_eq(c.bytes_stored, 2048 + (5ull << 30));
    /* 2048 B in the first bucket (<= 1 MiB), 5 GiB in the one up to 16 GiB */
    ck_assert_int_eq(c.size_hist[0], 1);
    ck_assert_int_eq(c.size_hist[5], 1);
    /* 1.5 s in the "<= 5 s" bucket, 90 s in "<= 300 s" */
    ck_assert_int_eq(c.duration_hist[1], 2);
    ck_assert_int_eq(c.duration_hist[4], 1);
}
END_TEST

/* what each dialect stored and failed, and where its uploads are */
START_TEST(test_by_protocol)
{
    StatusSnapshot s = sample();
    s.counters.record_upload(Result::complete, "", 10, 10, 1, "tus");
    s.counters.record_upload(Result::failed, "gone", 0, 0, 1, "tus");
    s.counters.record_upload(Result::partial, "", 5, 0, 1, "tus");
    ck_assert_uint_eq(s.counters.completed, 3);
    ck_assert_uint_eq(s.counters.completed_by_protocol[protocol_index("native")], 2);
    ck_assert_uint_eq(s.counters.completed_by_protocol[protocol_index("tus")], 1);
    ck_assert_uint_eq(s.counters.failed_by_protocol[protocol_index("native")], 3);
    ck_assert_uint_eq(s.counters.failed_by_protocol[protocol_index("tus")], 1);
    /* no dialect named, or an unknown one: native */
    ck_assert_uint_eq(protocol_index(""), protocol_index("native"));
    ck_assert_sstr_eq(protocol_names[protocol_index("form")], "form");

    s.uploads[0].protocol = "tus";
    s.partials[0].protocol = "";
    nlohmann::json j = nlohmann::json::parse(status_json(s));
    ck_assert_sstr_eq(j["uploads"][0]["protocol"].get<std::string>(), "tus");
    ck_assert_sstr_eq(j["partials"][0]["protocol"].get<std::string>(), "native");
    ck_assert_int_eq(j["counters"]["by_protocol"]["tus"]["completed"].get<int>(), 1);
    ck_assert_int_eq(j["counters"]["by_protocol"]["tus"]["failed"].get<int>(), 1);
    ck_assert_int_eq(j["counters"]["by_protocol"]["native"]["completed"].get<int>(), 2);
    ck_assert_int_eq(j["counters"]["by_protocol"]["ietf"]["completed"].get<int>(), 0);

    std::string p = status_prometheus(s);
    ck_assert(p.find("bigupload_protocol_uploads_completed_total{protocol=\"tus\"} 1\n")
              != std::string::npos);
    ck_assert(p.find("bigupload_protocol_uploads_failed_total{protocol=\"native\"} 3\n")
              != std::string::npos);
}
END_TEST

/* 1000 bytes at the start of every tenth from 0 to "last_ms" */
static RateWindow steady(std::int64_t last_ms)
{
    RateWindow w;
    w.start(0);
    for (std::int64_t ms = 0; ms <= last_ms; ms += 100) {
        w.record(ms, std::uint64_t(ms / 100 + 1) * 1000);
    }
    return w;
}

START_TEST(test_rate)
{
    /* a steady 10000 B/s: the second before the current tenth */
    RateWindow w = steady(5000);
    ck_assert(w.rate(5000) == 10000.0);
    ck_assert(w.rate(5099) == 10000.0);
    /* the tenth 5000-5099 is now the last of the window */
    ck_assert(w.rate(5100) == 10000.0);
    ck_assert(w.rate(5150) == 10000.0);
    ck_assert(w.rate(5200) == 9000.0);
    ck_assert(w.rate(5999) == 2000.0);
    ck_assert(w.rate(6099) == 1000.0);
    /* stalled since 5000: 0 once a second has passed since its tenth ended */
    ck_assert(w.rate(6100) == 0.0);
    ck_assert(w.rate(60000) == 0.0);
}
END_TEST

START_TEST(test_rate_young)
{
    RateWindow w;
    w.start(1050);
    ck_assert(w.rate(1050) == 0.0);                 /* no time, no rate */
    ck_assert(w.rate(1060) == 0.0);                 /* no bytes yet */
    w.record(1060, 500);
    /* within its first tenth: 500 bytes over its 30 ms */
    ck_assert(w.rate(1080) == 500.0 * 1000 / 30);
    w.record(1090, 1000);
    /* a whole tenth past its start: 1000 bytes over the 50 ms it had */
    ck_assert(w.rate(1100) == 20000.0);
    ck_assert(w.rate(1150) == 20000.0);
    w.record(1150, 3000);
    ck_assert(w.rate(1199) == 20000.0);             /* this tenth is not over */
    ck_assert(w.rate(1200) == 3000.0 * 1000 / 150);
    /* the start leaves the window after a second */
    ck_assert(w.rate(2050) == 3000.0 * 1000 / 950);
    ck_assert(w.rate(2100) == 2000.0);              /* 1000 ms, the 2000 B of 1100-1199 */
    ck_assert(w.rate(2200) == 0.0);
}
END_TEST

START_TEST(test_rate_totals)
{
    RateWindow w;
    w.start(0);
    w.record(10, 100);
    w.record(20, 100);                  /* the same total: nothing new */
    w.record(30, 50);                   /* a smaller total: nothing new */
    w.record(40, 300);
    ck_assert(w.rate(100) == 300.0 * 10);
    /* an entry reused 1.6 s later counts only its new tenth */
    w.record(1610, 400);
    ck_assert(w.rate(1700) == 100.0);
    ck_assert_int_eq(w.counted, 400);
    /* a reader whose clock lags the writer's ignores the writer's newer tenth */
    w.record(1720, 450);
    ck_assert(w.rate(1650) == 0.0);
}
END_TEST

START_TEST(test_rfc3339)
{
    ck_assert_sstr_eq(rfc3339(0), "1970-01-01T00:00:00Z");
    ck_assert_sstr_eq(rfc3339(1795848485123), "2026-11-28T06:48:05Z");
    ck_assert_sstr_eq(rfc3339(1795848485123, true), "2026-11-28T06:48:05.123Z");
}
END_TEST

START_TEST(test_json)
{
    auto j = nlohmann::json::parse(status_json(sample()));

    ck_assert_sstr_eq(j["now"].get<std::string>(), "2026-11-28T06:48:05Z");
    ck_assert_int_eq(j["uploads"].size(), 1);
    ck_assert_sstr_eq(j["uploads"][0]["path"].get<std::string>(), "/isos/a \"b\".iso");
    ck_assert(j["uploads"][0]["length"].is_null());
    ck_assert_int_eq(j["uploads"][0]["rate"].get<int>(), 512);
    ck_assert_int_eq(j["uploads"][0]["buffered"].get<int>(), 16384);
    ck_assert(j["uploads"][0]["resumable"].get<bool>());
    ck_assert_sstr_eq(j["uploads"][0]["started"].get<std::string>(),
                      "2026-11-28T06:48:04.000Z");
    ck_assert_int_eq(j["partials"][0]["offset"].get<int>(), 10);
    ck_assert_int_eq(j["partials"][0]["length"].get<int>(), 100);
    ck_assert_sstr_eq(j["partials"][0]["expires"].get<std::string>(),
                      "2026-11-29T06:46:40Z");
    ck_assert_int_eq(j["counters"]["completed"].get<int>(), 2);
    ck_assert_int_eq(j["counters"]["failed"].get<int>(), 3);
    ck_assert_int_eq(j["counters"]["failed_by_reason"]["no_space"].get<int>(), 1);
    ck_assert_int_eq(j["counters"]["failed_by_reason"]["other"].get<int>(), 1);
    ck_assert(!j["counters"]["failed_by_reason"].contains("io_error"));
    ck_assert_int_eq(j["counters"]["expired"].get<int>(), 2);
    ck_assert_int_eq(j["zone"]["size"].get<int>(), 1048576);

    StatusSnapshot s = sample();
    s.partials_listed = false;
    j = nlohmann::json::parse(status_json(s));
    ck_assert(j["partials"].is_null());
}
END_TEST

/* Every line of the exposition against the text format's grammar, every
 * sample under a family declared (HELP, then TYPE) before it. */
START_TEST(test_prometheus_grammar)
{
    std::string text = status_prometheus(sample());
    std::istringstream in(text);
    std::string line, family, type;
    int samples = 0;

    const std::regex help("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\\n]+");
    const std::regex typ("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)");
    const std::regex smp("([a-zA-Z_:][a-zA-Z0-9_:]*)"
                         "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\""
                         "(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\")*\\})?"
                         " (-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?|[+-]Inf|NaN)");
    std::smatch m;

    ck_assert(!text.empty() && text.back() == '\n');

    while (std::getline(in, line)) {
        if (std::regex_match(line, m, help)) {
            family = m[1];
            ck_assert_msg(family.rfind("bigupload_", 0) == 0, "%s", line.c_str());
            type.clear();

        } else if (std::regex_match(line, m, typ)) {
            ck_assert_sstr_eq(m[1].str(), family);
            type = m[2];
            if (type == "counter") {
                ck_assert_msg(family.size() > 6
                              && family.compare(family.size() - 6, 6, "_total") == 0,
                              "counter %s ends in _total", family.c_str());
            }

        } else {
            ck_assert_msg(std::regex_match(line, m, smp), "bad line: %s", line.c_str());
            std::string name = m[1];
            ck_assert_msg(!type.empty(), "sample before TYPE: %s", line.c_str());
            if (type == "histogram") {
                ck_assert_msg(name == family + "_bucket" || name == family + "_sum"
                              || name == family + "_count", "%s", line.c_str());
            } else {
                ck_assert_sstr_eq(name, family);
            }
            samples++;
        }
    }

    ck_assert_int_gt(samples, 20);
    ck_assert(text.find("bigupload_uploads_failed_total{reason=\"no_space\"} 1\n")
              != std::string::npos);
    ck_assert(text.find("bigupload_upload_size_bytes_bucket{le=\"1048576\"} 1\n")
              != std::string::npos);
    ck_assert(text.find("bigupload_upload_size_bytes_bucket{le=\"+Inf\"} 2\n")
              != std::string::npos);
    ck_assert(text.find("bigupload_upload_size_bytes_count 2\n") != std::string::npos);
    ck_assert(text.find("bigupload_upload_duration_seconds_sum 93.515\n")
              != std::string::npos);
    ck_assert(text.find("bigupload_uploads_in_flight 1\n") != std::string::npos);
    ck_assert(text.find("bigupload_partial_bytes 20\n") != std::string::npos);
}
END_TEST

Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_reasons);
    tcase_add_test(tc, test_counters);
    tcase_add_test(tc, test_by_protocol);
    tcase_add_test(tc, test_rate);
    tcase_add_test(tc, test_rate_young);
    tcase_add_test(tc, test_rate_totals);
    tcase_add_test(tc, test_rfc3339);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_prometheus_grammar);
    suite_add_tcase(s, tc);

    return s;
}
