// The open model's arrival schedule: when each request of one slice of the load is due.
//
// The load is cut into slices (today one per worker thread; with shards, shard × workers +
// worker). Each slice carries its share of the plan's rate, in proportion to its share of the
// pool's connections, with its sends offset by a fraction of its interval, so that the slices'
// requests interleave into one even stream rather than leave in bursts. N slices together plan
// what one slice of the whole plans: with equal shares, exactly the same send times.
#pragma once

#include <cstdint>
#include <vector>

#include "plan_clock.h"

namespace shootout::core::engine {

/// One of `count` slices of the load; `index` in [0, count).
struct slice {
    std::uint32_t index = 0, count = 1;
};

/// A slice's part of the load.
struct slice_share {
    std::uint32_t connections = 0;  ///< its part of the pool's cap: the cap split so the parts add up exactly
    double rate_share = 0;          ///< connections / cap: its fraction of the plan's rate (0 with no connection)
    double first_offset = 0;        ///< where its first request falls, in units of its own interval
};

/// The share of slice `s` of a pool of at most `cap` connections. Offsets are spread over the
/// slices that send at all: with more slices than connections, offsets bunched near 0 would
/// each round their count up, and the whole would send too much.
slice_share share_of(std::uint32_t cap, slice s);

/// Walks one slice's planned send times through the plan. Within a phase the rate moves
/// linearly, so the time to the next request solves  r·Δ + (slope/2)·Δ² = need  for the slice's
/// share of the rate; what is left of that one request at a phase's end carries into the next
/// phase, so a ramp across phases neither drops nor adds requests (k6's ramping arrival rate,
/// lib/executor/ramping_arrival_rate.go, counts the same area under the rate). A copy is
/// a second cursor over the same sequence: the worker keeps one for what is due and one for
/// what was sent, and the gap is the backlog, without a queue that could grow without bound
/// while a server stalls.
class arrival_schedule {
public:
    arrival_schedule() = default;
    /// The schedule of the slice with `share` of the plan's windows (which must outlive it).
    arrival_schedule(const std::vector<phase_window>& windows, const slice_share& share);
    bool done() const { return done_; }
    /// The planned send time of the current request (valid while !done()).
    clock_type::time_point planned() const { return planned_; }
    void next() { advance(1.0); }

private:
    void advance(double need);

    const std::vector<phase_window>* windows_ = nullptr;
    std::size_t window_ = 0;
    double share_ = 0;
    clock_type::time_point planned_{};
    bool done_ = true;
};

}  // namespace shootout::core::engine
