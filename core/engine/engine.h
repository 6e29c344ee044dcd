// The load engine: drives one scenario against one target under one load plan.
//
// N worker threads, each with its own single-threaded event loop, its own connections and its
// own statistics; nothing is shared on the request path. Workers meet only at the end, when the
// control thread merges their histograms and counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <shootout/sdk/load_pattern.h>
#include <shootout/sdk/results.h>
#include <shootout/sdk/scenario.h>

#include "schedule.h"

namespace shootout::core::engine {

struct engine_config {
    std::string host;  ///< numeric or resolvable; resolved once before the run
    std::uint16_t port = 80;
    unsigned threads = 1;
    std::chrono::nanoseconds connect_timeout = std::chrono::seconds(5);
    std::chrono::nanoseconds request_timeout = std::chrono::seconds(30);
    /// Verify one response in this many per worker thread (1: every response, 0: none).
    std::uint32_t verify_sample = 100;
    /// HTTP connection mode: the client closes a connection after this many requests, sending
    /// `Connection: close` on the last one (1: a new connection per request; 0: keep-alive, no
    /// limit). WebSocket connections are kept for the whole run whatever it says.
    std::uint32_t requests_per_connection = 0;
    std::uint64_t seed = 1;
    sdk::session_role role = sdk::session_role::load;
    /// Stop after this many completed requests in all (0: run the whole plan). The correctness
    /// check uses it with one connection.
    std::uint64_t request_budget = 0;
    /// Stop at the first error of any class (the correctness check: one failure decides it).
    bool stop_on_first_error = false;
    /// When the plan's first phase begins (the workers wait until then); now if unset. Shards
    /// given one start time send as one generator would.
    std::optional<std::chrono::steady_clock::time_point> start_at;
    /// This process's part of the load, when several share it: its workers are slices
    /// `shard.index * threads + worker` of `shard.count * threads`.
    slice shard;
    /// Local addresses to bind the connections to, numeric (--source-address): connection k
    /// (numbered across every shard) takes address k mod their number. Empty: the kernel chooses.
    std::vector<std::string> source_addresses;
    /// Set from a signal handler: the engine stops within a tick and returns what it measured.
    const std::atomic<bool>* interrupted = nullptr;
    /// Called on the control thread about once a second with the live state: `responses` counts
    /// every response so far, warm-up included (its rate is the live req/s); `errors` the
    /// measured phases' errors.
    std::function<void(double elapsed_s, double total_s, const std::string& phase, std::uint64_t responses,
                       std::uint64_t errors, std::uint32_t open)>
        progress;
};

struct engine_result {
    sdk::measurement measurement;            ///< framework/scenario/pattern names left empty
    std::vector<std::string> failures;       ///< first few reasons of verify/status/IO failures
    std::vector<double> worker_cpu_seconds;  ///< each worker thread's CPU time during the measured phases
    /// When the first measured phase began: second 0 of the timeline, for aligning what others
    /// sampled meanwhile (the server's resources).
    std::chrono::steady_clock::time_point measure_origin{};
    bool interrupted = false;
    /// The longest wait for an answer in the measured time (an error status included), before
    /// any unfinished wait was added to the latency: a wait far beyond it means the server
    /// stopped answering.
    std::int64_t slowest_answered_us = 0;
    /// How long the measured time went on after its last answer (all of it if none came): a
    /// server killed or hung near the end answers nothing for its last seconds.
    std::int64_t silent_tail_us = 0;
    /// Requests failed during that silent end (a dead server's refused reconnects).
    bool failed_in_silent_tail = false;
    /// WebSocket: the status a server answered an upgrade with, when it was not 101 (it does not
    /// offer WebSocket there), and the reason as one line.
    std::optional<unsigned> upgrade_refused_status;
    std::string upgrade_refused_reason;
};

/// Carries out `plan`. `scenario` must have been prepared for `target`. Throws only for
/// setup problems (an unresolvable host); everything that happens on the wire is counted.
engine_result run(const engine_config& config, const sdk::scenario& scenario, const sdk::target& target,
                  const sdk::load_plan& plan);

/// Threads to use by default: the CPUs this process may run on.
unsigned default_threads();

}  // namespace shootout::core::engine
