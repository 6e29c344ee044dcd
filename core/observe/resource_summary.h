// The per-measurement figures of a server's resource samples: what reports compare.
#pragma once

#include <cstdint>
#include <optional>

#include <shootout/sdk/results.h>

namespace shootout::core::observe {

struct resource_summary {
    std::size_t samples = 0;        ///< samples inside the measured time
    double mean_cpu_percent = 0;    ///< time-weighted over the measured time; 100 = one core
    double peak_cpu_percent = 0;
    std::uint64_t peak_rss_bytes = 0;
    double cpu_seconds = 0;         ///< CPU time the server used while measured
    double cpu_seconds_per_1000_requests = 0;  ///< cpu_seconds / completed * 1000
};

/// Summarises the samples that fall in the measured time (0, seconds]; a sample covers the time
/// since the previous one. Nothing if no sample falls there (an external server without container).
std::optional<resource_summary> summarize_resources(const sdk::measurement& m);

}  // namespace shootout::core::observe
