// What a measurement must meet to pass: the manifest's [verdict] table. The console, `run`,
// the reports and (later) `compare` and the SLO search all judge by this one struct, so a
// threshold is never copied per reporter. Thresholds on latency and rate ([[verdict.threshold]])
// will join it here.
#pragma once

namespace shootout::core::verdict {

struct criteria {
    /// A measurement whose errors / (completed + errors) over its measured phases is above this,
    /// or whose share of wrong bodies is above it with confidence, failed and is not ranked.
    /// A fraction: 0 <= x < 1 (0.001 is 0.1 %).
    double max_error_rate = 0.001;
};

}  // namespace shootout::core::verdict
