// What one slice of the load counted, in a form that adds up: merge(a, b) holds what one slice
// that did the work of both would have counted. Threads merge with it today, shards tomorrow;
// every figure a measurement shows is derived from a merged load_counts in one place
// (engine.cpp), never averaged or added after being derived.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <shootout/sdk/histogram.h>
#include <shootout/sdk/results.h>

namespace shootout::core::engine {

/// The first failures' reasons kept for the report; the counters keep the rest.
inline constexpr std::size_t max_failure_reasons = 5;

/// One second of the measured time (relative to the first measured phase's start).
struct second_counts {
    std::int64_t second = 0;
    std::uint64_t completed = 0, errors = 0;  ///< in this second
    std::uint32_t open = 0;                   ///< connections open at its end
    std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;  ///< sparse latency histogram (index, count)
};

/// One kind of request of a scenario with several (sdk::scenario::request_labels()).
struct request_kind_counts {
    std::uint64_t completed = 0;
    sdk::error_counts errors;  ///< connect errors are never here: no request was chosen yet
    sdk::histogram latency_us;
};

/// One measured phase.
struct phase_counts {
    sdk::histogram latency_us;
    std::uint64_t completed = 0;
    sdk::error_counts errors;
    std::uint32_t open_at_end = 0;  ///< connections open when the phase ended
};

struct load_counts {
    // Histograms: merged bucket by bucket (same layout everywhere).
    sdk::histogram latency_us;              ///< completed requests (corrected under the open model), then the unfinished that count
    sdk::histogram latency_uncorrected_us;  ///< open model: from the actual send
    sdk::histogram first_byte_us, connect_us;
    sdk::histogram handshake_us;            ///< WebSocket: upgrade request to 101
    sdk::histogram send_lag_us;             ///< open model: actual send minus planned, measured sends only
    sdk::histogram unfinished_unsent_us;    ///< open model: waits of requests due but never sent when the plan ended

    // Counters: summed.
    sdk::error_counts errors;
    std::uint64_t completed = 0;        ///< measured, answered 2xx and right (the req/s)
    std::uint64_t verified = 0;         ///< of completed, those whose body was judged (and passed)
    std::uint64_t bodies_failed = 0;    ///< judged bodies that failed: a subset of errors.verify
    std::uint64_t bytes_sent = 0, bytes_received = 0;
    std::uint64_t answered_2xx = 0;     ///< 2xx answers in every phase, warm-up included (what the server did)
    std::uint64_t in_flight_at_end = 0; ///< requests on the wire when the load stopped, any phase
    std::uint64_t sent_measured = 0;    ///< open model: requests sent in the measured phases
    std::uint64_t late = 0;             ///< open model: of sent_measured, those sent 1 ms or more after their plan
    std::uint64_t backlog = 0;          ///< open model: due but unsent when the load stopped
    std::uint64_t unfinished = 0;       ///< measured requests unanswered at the plan's end (in flight + due unsent)
    double cpu_seconds = 0;             ///< generator threads' CPU time in the measured phases
    /// Each slice's most open connections, summed: an upper bound of the peak of the whole, as
    /// slices peak at different times (exact for a steady pool).
    std::uint32_t peak_open = 0;

    // The larger of the two.
    std::int64_t slowest_answer_us = 0;  ///< the longest wait for any answer in the measured time, errors included
    /// When the last answer of the measured time came (any status), from the start of the first
    /// measured phase; -1 if none did.
    std::int64_t last_answer_at_us = -1;
    std::int64_t last_error_at_us = -1;  ///< when the last error of the measured time was counted, on the same clock

    // Concatenated.
    std::vector<std::int64_t> unfinished_in_flight_us;  ///< waits of the requests in flight at the plan's end (one per connection at most)
    std::vector<second_counts> seconds;  ///< aligned by `second` when the timeline is made
    std::vector<std::string> failures;   ///< the first max_failure_reasons reasons, in order

    // Phase by phase, and request kind by request kind: element by element.
    std::vector<phase_counts> phases;  ///< one per measured phase
    std::vector<request_kind_counts> requests;  ///< one per request label; empty for a scenario without

    // The first slice's that has one.
    unsigned upgrade_refused_status = 0;  ///< WebSocket: the status an upgrade was refused with
    std::string upgrade_refused_reason;

    void merge(const load_counts& other);
};

}  // namespace shootout::core::engine
