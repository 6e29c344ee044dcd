#include "plan_clock.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace shootout::core::engine {

double seconds_of(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

double phase_window::progress(clock_type::time_point t) const {
    const double span = seconds_of(end - start);
    return span > 0 ? std::clamp(seconds_of(t - start) / span, 0.0, 1.0) : 1.0;
}

double phase_window::connections_at(clock_type::time_point t) const {
    return phase->connections_start + (double(phase->connections_end) - phase->connections_start) * progress(t);
}

double phase_window::rate_at(clock_type::time_point t) const {
    return phase->rate_start + (phase->rate_end - phase->rate_start) * progress(t);
}

timed_plan::timed_plan(const sdk::load_plan& plan, clock_type::time_point start) {
    auto at = start;
    for (const auto& phase : plan.phases) {
        phase_window w;
        w.start = at;
        at += std::chrono::duration_cast<clock_type::duration>(phase.length);
        w.end = at;
        w.phase = &phase;
        w.measured_index = phase.measured ? static_cast<int>(measured_++) : -1;
        windows_.push_back(w);
    }
    if (windows_.empty() || measured_ == 0) throw std::runtime_error("the load plan has no measured phase");
}

clock_type::time_point timed_plan::measured_begin() const {
    for (const auto& w : windows_)
        if (w.measured_index >= 0) return w.start;
    return start();  // unreachable: the constructor requires a measured phase
}

const phase_window* timed_plan::holding(clock_type::time_point t) const {
    for (const auto& w : windows_)
        if (t > w.start && t <= w.end) return &w;
    return nullptr;
}

double timed_plan::rate_at(clock_type::time_point t) const {
    const auto* w = holding(t);
    return w ? w->rate_at(t) : 0.0;
}

std::uint32_t timed_plan::connections_at(clock_type::time_point t) const {
    const auto* w = holding(t);
    return w ? static_cast<std::uint32_t>(std::lround(w->connections_at(t))) : 0;
}

double timed_plan::measured_requests_until(clock_type::time_point until) const {
    double planned = 0;
    for (const auto& w : windows_) {
        if (w.measured_index < 0) continue;
        const auto end = std::min(w.end, until);
        if (end <= w.start) continue;
        planned += (w.phase->rate_start + w.rate_at(end)) / 2 * seconds_of(end - w.start);
    }
    return planned;
}

double timed_plan::measured_seconds_until(clock_type::time_point until) const {
    double seconds = 0;
    for (const auto& w : windows_) {
        if (w.measured_index < 0) continue;
        const auto end = std::min(w.end, until);
        if (end > w.start) seconds += seconds_of(end - w.start);
    }
    return seconds;
}

std::uint32_t timed_plan::most_connections() const {
    std::uint32_t most = 0;
    for (const auto& w : windows_) most = std::max({most, w.phase->connections_start, w.phase->connections_end});
    return most;
}

}  // namespace shootout::core::engine
