// What a measurement must meet to pass: the manifest's [verdict] table. The console, `run`,
// the reports and (later) `compare` and the SLO search all judge by this one struct, so a
// threshold is never copied per reporter.
#pragma once

#include <vector>

#include <shootout/sdk/summary.h>

namespace shootout::core::verdict {

struct criteria {
    /// A measurement whose errors / (completed + errors) over its measured phases is above this,
    /// or whose share of wrong bodies is above it with confidence, failed and is not ranked.
    /// A fraction: 0 <= x < 1 (0.001 is 0.1 %).
    double max_error_rate = 0.001;
    /// [[verdict.threshold]]: bounds on figures ("p99 < 50ms"), judged on every group they apply
    /// to (core/verdict/threshold.h). A failed one fails the run; the group stays ranked.
    std::vector<sdk::stats::threshold> thresholds;

    /// As the summary takes them (core/stats/summarize.h), for the console and the reports alike.
    sdk::stats::criteria for_summary() const {
        sdk::stats::criteria c;
        c.max_error_rate = max_error_rate;
        c.thresholds = thresholds;
        return c;
    }
};

}  // namespace shootout::core::verdict
