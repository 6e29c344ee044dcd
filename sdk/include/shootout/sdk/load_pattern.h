// Load-pattern plugins: how much load, over what time, in named phases. A pattern is pure
// data: it returns a plan and the host's engine carries it out. An adaptive pattern (an SLO
// search) proposes one probe at a time from the results of the probes before it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "abi.h"
#include "results.h"

namespace shootout::sdk {

/// Closed: a number of connections, each sending its next request when the last answer arrives
/// (wrk, the original suite). Open: requests sent at planned times at a given rate whatever the
/// server does, with latency measured from the planned time (no coordinated omission).
enum class load_model { closed, open };

/// One stretch of the plan. Within a phase the host moves linearly from the `*_start` value to
/// the `*_end` value (equal values hold steady).
struct load_phase {
    std::string name;                 ///< "warmup", "measure", "ramp", "hold", "cooldown"...
    std::chrono::nanoseconds length{};
    bool measured = true;             ///< false: load is applied but nothing is recorded
    /// Closed model: connections open. Open model: the cap of the connection pool.
    std::uint32_t connections_start = 0;
    std::uint32_t connections_end = 0;
    /// Open model only: requests (or WebSocket messages) per second.
    double rate_start = 0;
    double rate_end = 0;
};

/// A whole plan: the phases in order, run back to back without a pause.
struct load_plan {
    load_model model = load_model::closed;
    std::vector<load_phase> phases;
};

class adaptive_load_pattern;

/// A load pattern: one instance per manifest entry, made on the control thread.
class SHOOTOUT_SDK_API load_pattern {
public:
    virtual ~load_pattern() = default;
    /// The plan to carry out, called on the control thread before each measurement. Must return
    /// at least one measured phase of non-zero length. An adaptive pattern returns its first
    /// probe's plan (what the host uses to estimate the run's length).
    virtual load_plan plan() const = 0;
    /// This pattern as an adaptive one, or nullptr (the default): a fixed plan.
    virtual const adaptive_load_pattern* adaptive() const { return nullptr; }
};

/// One probe an adaptive pattern asks for: a plan (its measured phases hold `rate`) and why.
struct search_step {
    double rate = 0;
    std::string step;  ///< "bracket", "bisect", "confirm", "retry": copied into the probe's record
    load_plan plan;
};

/// What a probe's measurement says against the pattern's bounds.
struct probe_verdict {
    bool passed = false;
    std::string reason;  ///< every bound it broke, in words; "" when it passed
};

/// A pattern that searches (the SLO search): instead of one plan, the host asks it for one probe
/// at a time and measures each as a real load (with the scenario, the engine and the observers of
/// any measurement). For each measurement, on the control thread, the host calls:
///
///   1. begin(verdict_max_error_rate) once: the search's bounds, no probe yet;
///   2. next(so_far): the next probe, or nothing when the search is over (then so_far holds the
///      found rate, the resolution and how it ended, set by next());
///   3. after measuring that probe: judge(measured), whose verdict the host stores with the
///      probe's figures in so_far.probes; then back to 2.
///
/// The host stops early, and keeps what was found so far, when the run is interrupted or a probe
/// could not be measured (its correctness check failed, the server died). The pattern keeps no
/// state between calls: one instance serves every measurement of a run.
class SHOOTOUT_SDK_API adaptive_load_pattern : public load_pattern {
public:
    /// The bounds the search holds probes to, with no probe. `verdict_max_error_rate` is the
    /// run's [verdict] max_error_rate, the default for a pattern that sets no bound of its own.
    virtual search_result begin(double verdict_max_error_rate) const = 0;
    /// The next probe given the probes so far (in the order they ran, each judged), or nothing
    /// when the search is over, having set so_far's found_rate, resolution and ended.
    virtual std::optional<search_step> next(search_result& so_far) const = 0;
    /// Whether one probe's measurement (outcome measured, open model) held the bounds.
    virtual probe_verdict judge(const measurement& measured, const search_result& so_far) const = 0;

    const adaptive_load_pattern* adaptive() const final { return this; }
};

}  // namespace shootout::sdk
