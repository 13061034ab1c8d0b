// What the status endpoint reports: counters that live in nginx's shared
// memory (plain data, no pointers, so every worker can add to them), and the
// JSON and Prometheus texts built from a snapshot of them.  The glue takes
// the snapshot under the zone's lock; everything here is pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bigupload {

// Why uploads failed: the "error" codes of the JSON answers.  A fixed list,
// so shared memory can count each; a code not in it counts as "other".
extern const char *const failure_reasons[];
extern const std::size_t failure_reason_count;   // including "other", last

std::size_t failure_reason_index(std::string_view code);

// The dialects counted apart (the front-ends' names); "native" is also what
// an upload of no named dialect counts as.  A fixed list, as above.
extern const char *const protocol_names[];
constexpr std::size_t protocol_count = 4;     // native, tus, ietf, form

std::size_t protocol_index(std::string_view name);

// Upper bounds of the histogram buckets (a last, +Inf bucket follows).
constexpr std::size_t size_bucket_count = 9;
extern const std::uint64_t size_buckets[size_bucket_count];        // bytes
constexpr std::size_t duration_bucket_count = 8;
extern const double duration_buckets[duration_bucket_count];       // seconds

// How one upload request ended: the values of $bigupload_result.
enum class Result {
    none,        // not an upload request, or not ended yet
    complete,    // the file is stored
    partial,     // resumable: the bytes received are kept for a later request
    failed,      // answered with an error; nothing kept
    cancelled,   // the client went away (a plain upload), or DELETE of a partial
};

const char *result_name(Result r);

// Counters since the zone was created.  Plain data: it lives in shared
// memory and is updated under the zone's lock.
struct StatusCounters {
    std::int64_t started = 0;                // unix seconds
    std::uint64_t completed = 0;
    std::uint64_t partial = 0;               // requests that left a partial
    std::uint64_t cancelled = 0;
    std::uint64_t expired = 0;               // partials removed by the sweep
    std::uint64_t failed[64] = {};           // by failure_reason_index()
    std::uint64_t bytes_received = 0;        // request body bytes, all results
    std::uint64_t bytes_stored = 0;          // sizes of the completed files
    std::uint64_t untracked = 0;             // uploads the zone had no room for
    std::uint64_t size_hist[size_bucket_count + 1] = {};
    std::uint64_t size_sum = 0;
    std::uint64_t duration_hist[duration_bucket_count + 1] = {};
    std::uint64_t duration_sum_ms = 0;
    std::uint64_t requests = 0;              // upload requests ended
    // by protocol_index(): files stored, and upload requests that failed
    std::uint64_t completed_by_protocol[protocol_count] = {};
    std::uint64_t failed_by_protocol[protocol_count] = {};

    // One upload request ended (PUT/POST: everything but HEAD and DELETE).
    void record_upload(Result r, std::string_view error_code, std::uint64_t received,
                       std::uint64_t stored_size, std::uint64_t duration_ms,
                       std::string_view protocol = std::string_view());
    // A DELETE cancelled a partial.
    void record_cancel() { cancelled++; }
};

// One upload in flight, as the zone knows it.
struct LiveUpload {
    std::string path;
    std::string client;
    std::uint64_t received = 0;              // bytes of this request's body
    std::uint64_t buffered = 0;              // memory its ring of buffers holds
    std::optional<std::uint64_t> length;     // the file's length, when declared
    std::uint64_t offset = 0;                // where this request's bytes go
    double rate = 0;                         // bytes per second, recently
    std::int64_t started_ms = 0;             // unix milliseconds
    bool resumable = false;
    long pid = 0;                            // the worker receiving it
    std::string protocol;                    // its dialect: "native", "tus", …
};

// One partial kept on disk for resuming.
struct PartialListing {
    std::string path;
    std::uint64_t offset = 0;                // contiguous bytes from 0
    std::uint64_t received = 0;              // all bytes held
    std::optional<std::uint64_t> length;
    std::int64_t updated = 0;                // unix seconds
    std::int64_t expires = 0;
    std::string protocol;                    // the dialect that made it
};

struct StatusSnapshot {
    std::int64_t now_ms = 0;
    std::size_t zone_size = 0;
    StatusCounters counters;
    std::vector<LiveUpload> uploads;
    std::vector<PartialListing> partials;
    bool partials_listed = true;             // false: the stores could not be read
};

// The bytes an upload received in each of its last tenths of a second, so
// that its rate is over the last second: a stalled upload shows 0 between
// 1.0 and 1.1 s after its last byte.  Plain data in the upload's zone slot:
// one writer (the worker receiving the upload) records without the zone's
// lock, readers in any worker may read at any time.  A tenth's entry is
// claimed (its count zeroed, then its tick published) before it counts, so
// a reader sees either an old tick (outside the window: ignored) or the new
// tick with a count of this tenth.  Times are monotonic milliseconds
// (ngx_current_msec), the same clock in every worker.
struct RateWindow {
    static constexpr std::int64_t tick_ms = 100;
    static constexpr std::int64_t window_ticks = 10;   // one second
    static constexpr std::size_t ring = 16;            // more than a window

    std::int64_t begun_ms = 0;          // when counting began (the upload's start)
    std::uint64_t counted = 0;          // the byte total seen by record(); writer only
    std::int64_t tick[ring] = {};       // which tenth (ms / tick_ms) each entry counts
    std::uint64_t bytes[ring] = {};

    // Counting begins at "now_ms", from a total of 0 bytes.
    void start(std::int64_t now_ms);
    // The upload has received "total" bytes by "now_ms" (never less than
    // before; a smaller total is taken as no new bytes).
    void record(std::int64_t now_ms, std::uint64_t total);
    // Bytes per second over the second before the current tenth began
    // (over less, since "begun_ms", when the upload is younger; within its
    // first tenth, over its age).  0 when nothing arrived in that window.
    double rate(std::int64_t now_ms) const;
};

// "2026-11-28T06:48:05Z" (with ".123" when "ms" is not a whole second).
std::string rfc3339(std::int64_t ms, bool millis = false);

std::string status_json(const StatusSnapshot &s);

// The Prometheus text exposition format (version 0.0.4).
std::string status_prometheus(const StatusSnapshot &s);

}  // namespace bigupload
