// The figures of a raw result checked against the counts they were derived from
// (raw_json.h, check_consistency): a hand-edited or corrupted document is refused naming the figure.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "results/raw_json.h"

namespace shootout::core {
namespace {

// Values within a part in 10^9 (and a microsecond for times) are equal: the writer prints
// doubles in full, but a file may pass through a tool that rounds them.
bool close_to(double a, double b, double absolute = 1e-6) {
    return std::abs(a - b) <= std::max(absolute, 1e-9 * std::max(std::abs(a), std::abs(b)));
}

}  // namespace

void check_consistency(const sdk::measurement& m) {
    const double expected_rate = m.seconds > 0 ? static_cast<double>(m.completed) / m.seconds : 0;
    if (!close_to(m.rate, expected_rate))
        throw raw_result_error(fmt::format("'rate' says {} but completed / seconds is {} / {} = {}", m.rate, m.completed,
                                           m.seconds, expected_rate));
    if (!m.phases.empty()) {
        double phase_seconds = 0;
        for (const auto& p : m.phases) phase_seconds += p.seconds;
        // A merge's measured time is the union of the shards' windows: longer than its phases
        // (each the longest shard's) by up to the spread of the windows' starts.
        const double slack = m.merged ? static_cast<double>(m.merged->start_skew_us) / 1e6 : 0.0;
        const bool fits = m.merged ? phase_seconds <= m.seconds * (1 + 1e-3) && m.seconds - phase_seconds <= slack + m.seconds * 1e-3
                                   : close_to(phase_seconds, m.seconds, 1e-3);
        if (!fits)
            throw raw_result_error(fmt::format("the phases last {} s in all but 'seconds' says {}", phase_seconds, m.seconds));
    }
    if (!m.requests.empty()) {
        std::uint64_t completed = 0;
        for (const auto& r : m.requests) completed += r.completed;
        if (completed != m.completed)
            throw raw_result_error(fmt::format("the requests' 'completed' add up to {} but 'completed' says {}", completed,
                                               m.completed));
    }
    sdk::histogram second(m.latency_us.highest(), m.latency_us.significant_digits());
    for (const auto& t : m.timeline) {
        if (t.latency_buckets.empty()) continue;  // version 1: nothing to check against
        second.reset();
        if (!second.add_sparse(t.latency_buckets))
            throw raw_result_error(fmt::format("timeline: second {} has a bucket outside the latency layout", t.second));
        if (second.value_at_percentile(50) != t.p50_us || second.value_at_percentile(99) != t.p99_us)
            throw raw_result_error(fmt::format("timeline: second {} says p50 {} µs and p99 {} µs but its buckets give {} and {}",
                                               t.second, t.p50_us, t.p99_us, second.value_at_percentile(50),
                                               second.value_at_percentile(99)));
    }
}

}  // namespace shootout::core
