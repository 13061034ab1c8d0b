#include "report/status.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

namespace bigupload {

const char *const failure_reasons[] = {
    "bad_path", "is_collection", "path_too_long", "bad_upload_key",
    "bad_upload_header", "bad_content_range", "range_length_mismatch",
    "range_not_satisfiable", "length_required", "too_large", "bad_precondition",
    "precondition_failed", "exists", "is_directory", "bad_body",
    "upload_key_mismatch", "length_mismatch", "cancelled", "partial_corrupt",
    "no_space", "quota_exceeded", "file_too_large", "forbidden", "read_only",
    "no_parent", "not_a_directory", "symlink", "cross_device", "io_error",
    "internal", "backend", "method_not_allowed", "bad_format", "needs_upload_key",
    "upload_length_mismatch", "protocol_not_enabled", "unsupported_media_type",
    "offset_mismatch", "not_found", "client_closed", "digest_mismatch",
    "too_many_ranges", "file_digest_mismatch", "bad_digest_field",
    "bad_form", "bad_filename", "no_file",
    "unsupported_version", "superseded",
    // tus
    "tus_version", "gone", "final_upload", "bad_concat",
    "other",
};

const std::size_t failure_reason_count = sizeof(failure_reasons) / sizeof(failure_reasons[0]);

static_assert(sizeof(failure_reasons) / sizeof(failure_reasons[0])
                  <= sizeof(StatusCounters::failed) / sizeof(std::uint64_t),
              "StatusCounters::failed has a counter per reason");

const char *const protocol_names[protocol_count] = {"native", "tus", "ietf", "form"};

std::size_t protocol_index(std::string_view name)
{
    for (std::size_t i = 0; i < protocol_count; i++) {
        if (name == protocol_names[i]) {
            return i;
        }
    }
    return 0;
}

const std::uint64_t size_buckets[size_bucket_count] = {
    1ull << 20, 16ull << 20, 128ull << 20, 1ull << 30, 4ull << 30,
    16ull << 30, 64ull << 30, 256ull << 30, 1ull << 40,
};

const double duration_buckets[duration_bucket_count] = {
    1, 5, 30, 60, 300, 1800, 3600, 21600,
};

std::size_t failure_reason_index(std::string_view code)
{
    for (std::size_t i = 0; i + 1 < failure_reason_count; i++) {
        if (code == failure_reasons[i]) {
            return i;
        }
    }
    return failure_reason_count - 1;
}

const char *result_name(Result r)
{
    switch (r) {
    case Result::none: return "";
    case Result::complete: return "complete";
    case Result::partial: return "partial";
    case Result::failed: return "failed";
    case Result::cancelled: return "cancelled";
    }
    return "";
}

void StatusCounters::record_upload(Result r, std::string_view error_code,
                                   std::uint64_t received, std::uint64_t stored_size,
                                   std::uint64_t duration_ms, std::string_view protocol)
{
    std::size_t proto = protocol_index(protocol);

    requests++;
    bytes_received += received;

    switch (r) {
    case Result::complete: {
        completed++;
        completed_by_protocol[proto]++;
        bytes_stored += stored_size;
        std::size_t i = 0;
        while (i < size_bucket_count && stored_size > size_buckets[i]) {
            i++;
        }
        size_hist[i]++;
        size_sum += stored_size;
        break;
    }
    case Result::partial:
        partial++;
        break;
    case Result::cancelled:
        cancelled++;
        break;
    case Result::failed:
        failed[failure_reason_index(error_code)]++;
        failed_by_protocol[proto]++;
        break;
    case Result::none:
        break;
    }

    std::size_t i = 0;
    while (i < duration_bucket_count && duration_ms > duration_buckets[i] * 1000) {
        i++;
    }
    duration_hist[i]++;
    duration_sum_ms += duration_ms;
}

void RateWindow::start(std::int64_t now_ms)
{
    begun_ms = now_ms;
    counted = 0;
    for (std::size_t i = 0; i < ring; i++) {
        /* a tick no window reaches */
        __atomic_store_n(&tick[i], INT64_MIN, __ATOMIC_RELAXED);
        __atomic_store_n(&bytes[i], 0, __ATOMIC_RELAXED);
    }
}

void RateWindow::record(std::int64_t now_ms, std::uint64_t total)
{
    if (total <= counted || now_ms < 0) {
        return;
    }

    std::int64_t t = now_ms / tick_ms;
    std::size_t i = std::size_t(t) % ring;

    if (__atomic_load_n(&tick[i], __ATOMIC_RELAXED) != t) {
        /* claimed: zeroed before its new tick is published */
        __atomic_store_n(&bytes[i], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&tick[i], t, __ATOMIC_RELEASE);
    }

    std::uint64_t n = __atomic_load_n(&bytes[i], __ATOMIC_RELAXED) + (total - counted);
    __atomic_store_n(&bytes[i], n, __ATOMIC_RELAXED);
    counted = total;
}

double RateWindow::rate(std::int64_t now_ms) const
{
    std::int64_t now_t = (now_ms >= 0 ? now_ms : 0) / tick_ms;
    std::int64_t from_t, to_t, from_ms, to_ms;

    if (now_t * tick_ms > begun_ms) {
        /* the whole tenths of the last second, none before the start */
        from_t = now_t - window_ticks;
        to_t = now_t - 1;
        to_ms = now_t * tick_ms;
        from_ms = std::max(from_t * tick_ms, begun_ms);

    } else {
        /* the upload's first tenth: its bytes so far over its age */
        from_t = to_t = now_t;
        from_ms = begun_ms;
        to_ms = now_ms;
    }

    if (to_ms <= from_ms) {
        return 0;
    }

    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < ring; i++) {
        std::int64_t t = __atomic_load_n(&tick[i], __ATOMIC_ACQUIRE);
        if (t >= from_t && t <= to_t) {
            sum += __atomic_load_n(&bytes[i], __ATOMIC_RELAXED);
        }
    }

    return double(sum) * 1000.0 / double(to_ms - from_ms);
}

std::string rfc3339(std::int64_t ms, bool millis)
{
    std::time_t t = (std::time_t) (ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    char buf[64];

    gmtime_r(&t, &tm);
    std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    if (millis) {
        n += std::snprintf(buf + n, sizeof(buf) - n, ".%03d",
                           (int) (ms - (std::int64_t) t * 1000));
    }
    std::snprintf(buf + n, sizeof(buf) - n, "Z");
    return buf;
}

namespace {

using ojson = nlohmann::ordered_json;

std::string dump(const ojson &j)
{
    return j.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n";
}

std::uint64_t failed_total(const StatusCounters &c)
{
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < failure_reason_count; i++) {
        n += c.failed[i];
    }
    return n;
}

// A sample value as Prometheus writes floats: integers without a fraction.
std::string prom_number(double v)
{
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof(buf), "%.0f", v);
    } else {
        /* the shortest form that reads back as the same double */
        for (int precision = 15; precision <= 17; precision++) {
            std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
            if (std::strtod(buf, nullptr) == v) {
                break;
            }
        }
    }
    return buf;
}

// Label values escape backslash, double quote and line feed.
std::string prom_label(std::string_view v)
{
    std::string out;
    for (char ch : v) {
        if (ch == '\\') {
            out += "\\\\";
        } else if (ch == '"') {
            out += "\\\"";
        } else if (ch == '\n') {
            out += "\\n";
        } else {
            out += ch;
        }
    }
    return out;
}

class Exposition {
public:
    void family(const char *name, const char *type, const char *help)
    {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }

    void sample(const std::string &name, double v, const std::string &labels = "")
    {
        out_ += name;
        if (!labels.empty()) {
            out_ += '{';
            out_ += labels;
            out_ += '}';
        }
        out_ += ' ';
        out_ += prom_number(v);
        out_ += '\n';
    }

    // A family of one sample without labels.
    void single(const char *name, const char *type, const char *help, double v)
    {
        family(name, type, help);
        sample(name, v);
    }

    template <typename Bound, std::size_t N>
    void histogram(const std::string &name, const char *help, const Bound (&bounds)[N],
                   const std::uint64_t (&counts)[N + 1], double sum)
    {
        family(name.c_str(), "histogram", help);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < N; i++) {
            cumulative += counts[i];
            sample(name + "_bucket", double(cumulative),
                   "le=\"" + prom_number(double(bounds[i])) + "\"");
        }
        cumulative += counts[N];
        sample(name + "_bucket", double(cumulative), "le=\"+Inf\"");
        sample(name + "_sum", sum);
        sample(name + "_count", double(cumulative));
    }

    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

}  // namespace

std::string status_json(const StatusSnapshot &s)
{
    const StatusCounters &c = s.counters;
    ojson j;

    j["now"] = rfc3339(s.now_ms);
    j["started"] = rfc3339(c.started * 1000);

    ojson uploads = ojson::array();
    for (const auto &u : s.uploads) {
        ojson o;
        o["path"] = u.path;
        o["received"] = u.received;
        o["buffered"] = u.buffered;
        o["offset"] = u.offset;
        o["length"] = u.length ? ojson(*u.length) : ojson(nullptr);
        o["rate"] = (std::uint64_t) std::llround(u.rate);
        o["started"] = rfc3339(u.started_ms, true);
        o["client"] = u.client;
        o["resumable"] = u.resumable;
        o["pid"] = u.pid;
        o["protocol"] = u.protocol.empty() ? std::string("native") : u.protocol;
        uploads.push_back(std::move(o));
    }
    j["uploads"] = std::move(uploads);

    ojson partials = ojson::array();
    for (const auto &p : s.partials) {
        ojson o;
        o["path"] = p.path;
        o["offset"] = p.offset;
        o["received"] = p.received;
        o["length"] = p.length ? ojson(*p.length) : ojson(nullptr);
        o["updated"] = rfc3339(p.updated * 1000);
        o["expires"] = rfc3339(p.expires * 1000);
        o["protocol"] = p.protocol.empty() ? std::string("native") : p.protocol;
        partials.push_back(std::move(o));
    }
    j["partials"] = s.partials_listed ? std::move(partials) : ojson(nullptr);

    ojson failed = ojson::object();
    for (std::size_t i = 0; i < failure_reason_count; i++) {
        if (c.failed[i]) {
            failed[failure_reasons[i]] = c.failed[i];
        }
    }

    ojson counters;
    counters["completed"] = c.completed;
    counters["failed"] = failed_total(c);
    counters["failed_by_reason"] = std::move(failed);
    counters["cancelled"] = c.cancelled;
    counters["partial"] = c.partial;
    counters["expired"] = c.expired;
    counters["bytes_received"] = c.bytes_received;
    counters["bytes_stored"] = c.bytes_stored;
    ojson by_protocol = ojson::object();
    for (std::size_t i = 0; i < protocol_count; i++) {
        ojson one;
        one["completed"] = c.completed_by_protocol[i];
        one["failed"] = c.failed_by_protocol[i];
        by_protocol[protocol_names[i]] = std::move(one);
    }
    counters["by_protocol"] = std::move(by_protocol);
    j["counters"] = std::move(counters);

    ojson zone;
    zone["size"] = s.zone_size;
    zone["untracked"] = c.untracked;
    j["zone"] = std::move(zone);

    return dump(j);
}

std::string status_prometheus(const StatusSnapshot &s)
{
    const StatusCounters &c = s.counters;
    Exposition e;

    e.single("bigupload_uploads_completed_total", "counter",
             "Uploads stored as complete files.",
             double(c.completed));

    e.family("bigupload_uploads_failed_total", "counter",
             "Upload requests answered with an error, by the error code of the answer.");
    for (std::size_t i = 0; i < failure_reason_count; i++) {
        if (c.failed[i]) {
            e.sample("bigupload_uploads_failed_total", double(c.failed[i]),
                     std::string("reason=\"") + prom_label(failure_reasons[i]) + "\"");
        }
    }

    e.family("bigupload_protocol_uploads_completed_total", "counter",
             "Uploads stored as complete files, by the protocol they came in.");
    for (std::size_t i = 0; i < protocol_count; i++) {
        e.sample("bigupload_protocol_uploads_completed_total",
                 double(c.completed_by_protocol[i]),
                 std::string("protocol=\"") + protocol_names[i] + "\"");
    }

    e.family("bigupload_protocol_uploads_failed_total", "counter",
             "Upload requests answered with an error, by the protocol they came in.");
    for (std::size_t i = 0; i < protocol_count; i++) {
        e.sample("bigupload_protocol_uploads_failed_total", double(c.failed_by_protocol[i]),
                 std::string("protocol=\"") + protocol_names[i] + "\"");
    }

    e.single("bigupload_uploads_cancelled_total", "counter",
             "Plain uploads abandoned by their client, and partials removed by DELETE.",
             double(c.cancelled));

    e.single("bigupload_uploads_partial_total", "counter",
             "Resumable upload requests that ended with their bytes kept for resuming.",
             double(c.partial));

    e.single("bigupload_partials_expired_total", "counter",
             "Partials removed because they were not resumed within bigupload_expire.",
             double(c.expired));

    e.single("bigupload_received_bytes_total", "counter",
             "Request body bytes received by upload requests.",
             double(c.bytes_received));

    e.single("bigupload_stored_bytes_total", "counter",
             "Bytes of the files stored as complete.",
             double(c.bytes_stored));

    e.single("bigupload_status_untracked_total", "counter",
             "Uploads not listed because the bigupload_zone was full.",
             double(c.untracked));

    std::uint64_t in_flight_bytes = 0;
    for (const auto &u : s.uploads) {
        in_flight_bytes += u.received;
    }

    e.single("bigupload_uploads_in_flight", "gauge",
             "Upload requests receiving their body now, in all worker processes.",
             double(s.uploads.size()));

    e.single("bigupload_in_flight_received_bytes", "gauge",
             "Bytes received so far by the uploads in flight.",
             double(in_flight_bytes));

    if (s.partials_listed) {
        std::uint64_t held = 0;
        for (const auto &p : s.partials) {
            held += p.received;
        }

        e.single("bigupload_partials", "gauge", "Partials kept on disk for resuming.",
                 double(s.partials.size()));

        e.single("bigupload_partial_bytes", "gauge", "Bytes held by the partials on disk.",
                 double(held));
    }

    e.histogram("bigupload_upload_size_bytes", "Sizes of the files stored as complete.",
                size_buckets, c.size_hist, double(c.size_sum));

    e.histogram("bigupload_upload_duration_seconds",
                "Durations of upload requests, from their headers to their answer.",
                duration_buckets, c.duration_hist, double(c.duration_sum_ms) / 1000.0);

    e.single("bigupload_start_time_seconds", "gauge",
             "When these counters started, in seconds since the epoch.",
             double(c.started));

    return e.take();
}

}  // namespace bigupload
