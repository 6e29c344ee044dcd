// The results a run produces, as reporters see them. Plain data owned by the host.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "histogram.h"

namespace shootout::sdk {

/// Failed requests by cause. None of them counts as a completed request.
struct error_counts {
    std::uint64_t connect = 0;  ///< a connection could not be established
    std::uint64_t read = 0;     ///< the connection failed or closed while reading a response
    std::uint64_t write = 0;    ///< the connection failed while sending a request
    std::uint64_t timeout = 0;  ///< no complete response within the request timeout
    std::uint64_t status = 0;   ///< a complete response with a non-2xx status
    std::uint64_t verify = 0;   ///< a sampled response that failed the scenario's check

    std::uint64_t total() const noexcept { return connect + read + write + timeout + status + verify; }
    error_counts& operator+=(const error_counts& o) noexcept {
        connect += o.connect;
        read += o.read;
        write += o.write;
        timeout += o.timeout;
        status += o.status;
        verify += o.verify;
        return *this;
    }
};

/// Responses whose body the scenario judged: a sample under load (one in verify_sample per
/// worker; every WebSocket reply). The fraction that failed estimates the share of wrong bodies
/// among all responses, which errors.verify (counting only the judged ones) cannot.
struct sample_checks {
    std::uint64_t judged = 0;  ///< bodies judged in the measured time (passed + failed)
    std::uint64_t failed = 0;  ///< of those, judged wrong (each is also in errors.verify)
};

/// One second of a measurement (relative to the start of its first measured phase).
struct timeline_point {
    double second = 0;                    ///< start of the interval, seconds
    std::uint64_t completed = 0;          ///< requests completed without error in the interval
    std::uint64_t errors = 0;             ///< of any class, in the interval
    std::int64_t p50_us = 0, p99_us = 0;  ///< latency of the requests completed in the interval
    /// This second's latencies as sparse counts of the measurement's latency_us layout, (index,
    /// count) in index order: what p50_us and p99_us were derived from, and what merges exactly
    /// (second by second, across threads or shards). The last measured second also holds the
    /// waits of the unfinished requests that count in latency_us.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> latency_buckets;
    std::uint32_t open_connections = 0;   ///< at the end of the interval
    std::uint32_t planned_connections = 0;
    double planned_rate = 0;              ///< open model only
};

/// One phase of the plan as it actually went (spike stages, constant-rate ramps).
struct phase_result {
    std::string name;
    double seconds = 0;
    std::uint64_t completed = 0;
    error_counts errors;
    histogram latency_us;
    std::uint32_t connections_planned = 0;  ///< at the end of the phase
    std::uint32_t connections_open = 0;     ///< at the end of the phase
};

/// A sample of a process tree's resource use (the server's or the generator's).
struct resource_sample {
    double second = 0;
    double cpu_percent = 0;  ///< 100 = one core fully busy
    std::uint64_t rss_bytes = 0;
};

/// Rows a write scenario added, against the answers the generator saw (db-write).
struct write_accounting {
    std::uint64_t rows_added = 0;     ///< counted in the database, after minus before
    std::uint64_t answered_2xx = 0;   ///< 2xx answers in every phase, correctness check and warm-up included
    std::uint64_t in_flight_at_end = 0;  ///< requests sent but unanswered when the load stopped
    std::uint64_t lost = 0;     ///< answered 2xx, but no row: answered_2xx - rows_added, if positive
    std::uint64_t phantom = 0;  ///< rows nobody was told about beyond those in flight
};

/// Stack samples of the server taken while this measurement ran (the manifest's [profile]).
struct profile_info {
    std::string profiler;     ///< "python-sampler", "py-spy" or "perf"
    std::string folded_path;  ///< folded stacks ("a;b;c 42" per line), relative to the run directory
    std::uint64_t samples = 0;
};

/// Where the flamegraph reporter writes the flamegraph of a profiled measurement, relative to the
/// run directory, so other reports can link to it without knowing whether it ran.
inline std::string flamegraph_path(const std::string& framework, const std::string& scenario,
                                   const std::string& pattern, unsigned run) {
    return "flamegraphs/" + framework + "__" + scenario + "__" + pattern + "__run" + std::to_string(run) + ".svg";
}

/// The CPUs a measurement's processes were pinned to, as lists ("0-1,3"); empty when not pinned.
struct cpu_placement {
    std::string server_cpus, generator_cpus;
};

/// Which shard of a distributed load made a measurement (docs/distributed.md): shard `index`
/// of `count`, each driving its slice of one plan, merged afterwards by `shootout merge`.
struct shard_info {
    std::uint32_t index = 0, count = 1;
    std::string plan_sha256;       ///< the plan, scenario, target, threads and connection mode, hashed
    std::string hostname;
    std::uint32_t pid = 0;
    std::string start_at;          ///< the start time it was given (ISO 8601 UTC), or empty
    /// When its measured window began by its wall clock, in ns since the Unix epoch (its
    /// timeline's second 0 is this instant on its monotonic clock).
    std::int64_t window_start_unix_ns = 0;
    std::string source_address;    ///< the local address(es) its connections were bound to, or empty
    /// Its wall clock minus the first shard's, as estimated over MPI (0 without an estimate):
    /// window_start_unix_ns - 1000 · clock_offset_us is its window start by the first shard's clock.
    std::int64_t clock_offset_us = 0;
};

/// One shard as a merged measurement remembers it.
struct shard_summary {
    std::uint32_t index = 0;
    std::string hostname, source_address;
    std::uint64_t completed = 0, errors = 0;
    double rate = 0;                   ///< its own completed / seconds
    std::int64_t p99_us = 0;
    std::int64_t start_offset_us = 0;  ///< its window start after the first shard's (their wall clocks, offsets corrected)
    std::int64_t clock_offset_us = 0;  ///< its shard_info's
    bool generator_bound = false;
};

/// What `shootout merge` made a measurement from.
struct merge_info {
    std::uint32_t count = 0;             ///< the shards the plan was cut into
    std::vector<std::uint32_t> missing;  ///< indices absent (only with --allow-partial)
    std::int64_t start_skew_us = 0;      ///< the spread of the shards' window starts
    std::vector<shard_summary> shards;   ///< those merged, by index
    bool partial() const noexcept { return !missing.empty(); }
};

/// One probe of an SLO search (the `search` pattern): a constant rate measured, and judged
/// against the search's bounds. Latencies are corrected (from the planned send time).
struct search_probe {
    double rate = 0;              ///< the planned rate, requests per second
    std::string step;             ///< why it was probed: "bracket", "bisect", "confirm" or "retry"
    double seconds = 0;           ///< measured time
    std::uint64_t completed = 0;
    std::int64_t p50_us = 0, p99_us = 0;
    double error_rate = 0;        ///< errors / (completed + errors)
    double achieved_rate = 0;     ///< requests actually sent per second
    std::uint64_t late_requests = 0, unsent = 0;  ///< the generator's lag behind the plan
    bool passed = false;
    std::string reason;           ///< why it failed, every bound it broke ("" when it passed)
};

/// An SLO search's outcome: the highest constant rate that held the bounds over a confirmation
/// window, and every probe that led there, in the order they ran.
struct search_result {
    double found_rate = 0;        ///< 0: no rate held the bounds
    double resolution = 0;        ///< req/s between the found rate and the lowest failed one above it (0: none failed)
    std::int64_t max_p99_us = 0;  ///< the bounds
    double max_error_rate = 0;
    std::string ended;            ///< how the search ended, in words ("converged", "max_rate held", ...)
    std::vector<search_probe> probes;
};

/// How a (framework, scenario, pattern, run) ended.
enum class outcome {
    measured,       ///< passed its correctness check and was measured
    failed,         ///< failed its correctness check (or the server died): not ranked
    skipped,        ///< could not be attempted (framework not installed, filtered by the manifest)
    not_supported,  ///< the framework does not offer this scenario (no WebSocket)
};

/// One kind of request of a scenario with several (scenario::request_labels()), counted apart.
/// The kinds' `completed` add up to the measurement's; their errors add up to its errors except
/// those with no request on the wire (a failed connect, a read error on an idle connection),
/// which are counted in the totals only.
struct request_result {
    std::string label;
    std::uint64_t completed = 0;  ///< answered 2xx and right, in the measured time
    error_counts errors;          ///< of this request, in the measured time (connect is always 0)
    histogram latency_us;         ///< of its completed requests (corrected under the open model)
};

/// One measurement: framework × scenario × pattern × run.
struct measurement {
    std::string framework, scenario, pattern;
    unsigned run = 1;  ///< 1-based
    sdk::outcome outcome = outcome::measured;
    std::string reason;  ///< why it failed, was skipped or is not supported; empty if measured

    double seconds = 0;           ///< measured time (sum of measured phases)
    std::uint64_t completed = 0;  ///< requests (or messages) completed without error
    double rate = 0;              ///< completed / seconds
    error_counts errors;
    std::uint64_t verified = 0;   ///< responses checked by the scenario during measurement
    sample_checks body_checks;    ///< the judged sample, passed and failed
    /// Measured requests still unanswered when the load stopped: in flight, and (open model)
    /// due but never sent. Not completed and not errors; those that had waited longer than the
    /// slowest answered request (and every unsent one) are in latency_us at their wait so far.
    std::uint64_t unfinished = 0;
    std::int64_t unfinished_oldest_us = 0;  ///< the longest wait among them

    histogram latency_us;                            ///< corrected latency for the open model
    std::optional<histogram> latency_uncorrected_us;  ///< open model: from the actual send
    std::optional<histogram> first_byte_us;          ///< time to first byte, for large bodies
    std::optional<histogram> connect_us;             ///< TCP connection latency
    std::optional<histogram> handshake_us;           ///< WebSocket: upgrade request to 101, apart from the TCP connect

    std::uint32_t connections_asked = 0, connections_established = 0;
    /// The connection mode (HTTP): the client closed each connection after this many requests,
    /// the last one saying `Connection: close`. 0: keep-alive, no limit (the default, and always
    /// for WebSocket); 1: a new connection per request (keep_alive = false).
    std::uint32_t requests_per_connection = 0;
    /// Open model only: requests per second the plan asked for over the measured time, and
    /// requests actually sent per second in it (`rate` counts those answered without error).
    double planned_rate = 0, achieved_rate = 0;
    std::uint64_t late_requests = 0;             ///< open model: sent 1 ms or more after their planned time
    std::uint64_t requests_sent = 0;             ///< open model: requests sent in the measured time
    std::uint64_t requests_unsent_at_end = 0;    ///< open model: due but never sent when the plan ended
    std::optional<histogram> send_lag_us;        ///< open model: each measured send's lag behind its plan
    std::uint64_t bytes_sent = 0, bytes_received = 0;

    std::vector<timeline_point> timeline;
    std::vector<phase_result> phases;
    /// A scenario with several kinds of request: each kind's counts, in request_labels() order;
    /// empty otherwise.
    std::vector<request_result> requests;
    std::vector<resource_sample> server_resources;
    std::vector<resource_sample> generator_resources;
    double generator_cpu_seconds = 0;
    std::uint64_t answered_2xx_all_phases = 0;  ///< 2xx answers including unmeasured phases (what the server did)
    std::uint64_t in_flight_at_end = 0;         ///< requests sent but not answered when the load stopped
    std::optional<write_accounting> writes;     ///< for scenarios whose writes are counted in the database
    std::optional<profile_info> profile;        ///< set when the server was profiled during this measurement
    /// An SLO search (an adaptive pattern): its probes and the rate found. The rest of the
    /// measurement is the last probe's (the confirmation of the found rate, when it held).
    std::optional<search_result> search;
    std::vector<std::string> warnings;  ///< e.g. "generator-bound: worker 0 at 97 % CPU"
    cpu_placement placement;            ///< where the server and the generator were pinned
    std::optional<shard_info> shard;    ///< set when this is one shard's part of a distributed load
    std::optional<merge_info> merged;   ///< set when `shootout merge` made it from shards
};

/// The connection mode in words, as the manifest's `keep_alive` means it: "keep-alive",
/// "a new connection per request" or "N requests per connection".
inline std::string connection_mode_text(std::uint32_t requests_per_connection) {
    if (requests_per_connection == 0) return "keep-alive";
    if (requests_per_connection == 1) return "a new connection per request";
    std::string text = std::to_string(requests_per_connection);
    text.append(" requests per connection");  // not operator+: GCC 12's -Wrestrict misfires on it here
    return text;
}

/// Where and with what the results were produced.
struct environment {
    std::string shootout_version, build_type;
    std::string cpu_model, kernel, hostname;
    unsigned cores = 0;
    std::string manifest_path, manifest_sha256;
    std::string started_at, finished_at;  ///< ISO-8601 UTC
    std::map<std::string, std::string> framework_versions;
};

/// Everything a reporter sees.
struct result_set {
    sdk::environment environment;
    std::vector<measurement> measurements;  ///< in the order they were run
};

}  // namespace shootout::sdk
