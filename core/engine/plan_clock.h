// The plan on the clock: a load plan's phases laid out from a start time, and what the plan asks
// for at any instant (connections, rate) or over a span (requests). Pure: no threads, no I/O, so
// the worker, the merge, the runner's samplers and the tests all read the plan the same way.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <shootout/sdk/load_pattern.h>

namespace shootout::core::engine {

using clock_type = std::chrono::steady_clock;

double seconds_of(clock_type::duration d);

/// One phase of the plan, placed on the clock: [start, end).
struct phase_window {
    clock_type::time_point start, end;
    const sdk::load_phase* phase = nullptr;
    int measured_index = -1;  ///< index among the measured phases, -1 if unmeasured

    /// How far into the window `t` is, from 0 at its start to 1 at its end (clamped).
    double progress(clock_type::time_point t) const;
    /// The connections the phase asks for at `t`, moving linearly from its start to its end value.
    double connections_at(clock_type::time_point t) const;
    /// The requests per second the phase asks for at `t` (open model), linear within the phase.
    double rate_at(clock_type::time_point t) const;
};

class timed_plan {
public:
    /// Lays `plan` out from `start`. Throws std::runtime_error if it has no measured phase. The
    /// plan must outlive this object (the windows point into its phases).
    timed_plan(const sdk::load_plan& plan, clock_type::time_point start);

    const std::vector<phase_window>& windows() const { return windows_; }
    std::size_t measured_phases() const { return measured_; }
    clock_type::time_point start() const { return windows_.front().start; }
    clock_type::time_point end() const { return windows_.back().end; }
    /// The start of the first measured phase: second 0 of the timeline.
    clock_type::time_point measured_begin() const;

    /// The window that holds `t` in (start, end] (so a phase's end belongs to it), or nullptr.
    const phase_window* holding(clock_type::time_point t) const;
    /// The plan's rate at `t`: the rate of the window holding it, 0 outside the plan.
    double rate_at(clock_type::time_point t) const;
    /// The plan's connections at `t`, rounded to whole connections; 0 outside the plan.
    std::uint32_t connections_at(clock_type::time_point t) const;
    /// Requests the plan asks for in its measured phases up to `until` (the integral of a linear
    /// rate is its mean times the time), and the measured seconds up to it.
    double measured_requests_until(clock_type::time_point until) const;
    double measured_seconds_until(clock_type::time_point until) const;
    /// The most connections any phase asks for (the open model's pool cap).
    std::uint32_t most_connections() const;

private:
    std::vector<phase_window> windows_;
    std::size_t measured_ = 0;
};

}  // namespace shootout::core::engine
