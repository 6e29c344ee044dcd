#include "resource_summary.h"

#include <algorithm>

namespace shootout::core::observe {

std::optional<resource_summary> summarize_resources(const sdk::measurement& m) {
    resource_summary s;
    double previous = 0, covered = 0;
    // Half a second of slack: the last reading may land just after the load stopped.
    for (const auto& r : m.server_resources) {
        const double since = std::max(previous, 0.0);
        previous = r.second;
        if (r.second <= 0 || r.second > m.seconds + 0.5) continue;
        const double dt = r.second - since;
        ++s.samples;
        covered += dt;
        s.cpu_seconds += r.cpu_percent / 100.0 * dt;
        s.peak_cpu_percent = std::max(s.peak_cpu_percent, r.cpu_percent);
        s.peak_rss_bytes = std::max(s.peak_rss_bytes, r.rss_bytes);
    }
    if (s.samples == 0) return std::nullopt;
    s.mean_cpu_percent = covered > 0 ? 100.0 * s.cpu_seconds / covered : 0;
    s.cpu_seconds_per_1000_requests = m.completed ? s.cpu_seconds / static_cast<double>(m.completed) * 1000.0 : 0;
    return s;
}

}  // namespace shootout::core::observe
