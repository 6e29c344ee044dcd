// Thresholds: "p99 < 50ms", "error_rate < 0.1%", "rps > 2000", each a bound on one figure of a
// (framework, scenario, pattern) over all its runs. One grammar for the manifest's
// [[verdict.threshold]] and `shootout run --threshold`, and one judge, which the summary calls for
// every group (core/stats/summarize.cpp), so the console, the exit code and every report agree.
//
// The grammar (docs/manifest.md, "Thresholds"): FIGURE COMPARISON BOUND, spaces optional.
// - FIGURE: pN, a latency percentile with 0 < N < 100 (p50, p90, p95, p99, p99.9), mean or max
//   (latencies: the histogram the reports rank by, corrected for coordinated omission under the
//   open model), rps (the median req/s of the runs) or error_rate (errors / (completed + errors)
//   over every measured run).
// - COMPARISON: <, <=, > or >=.
// - BOUND: a number without sign, then for a latency its unit (us, ms or s), for error_rate % or
//   nothing (a fraction, at most 1), for rps nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include <shootout/sdk/summary.h>

namespace shootout::core::verdict {

using sdk::stats::threshold;

/// Why a condition does not parse: what is wrong and how to write it, and where.
struct threshold_problem {
    std::size_t offset = 0;  ///< of the offending part, in the condition as given
    std::string message;     ///< to follow "threshold \"p99 < 5xs\": "
};

/// The condition's figure, comparison and bound (its scope lists empty), or what is wrong with it.
std::variant<threshold, threshold_problem> parse_threshold(std::string_view condition);

/// Whether `glob` (fnmatch: '*', '?', [...]) matches all of `name`.
bool glob_matches(const std::string& glob, const std::string& name);

/// Whether `t` applies to a group: each of its scope lists empty, or one of its globs matching.
bool applies_to(const threshold& t, const std::string& framework, const std::string& scenario, const std::string& pattern);

/// `t` (at `index` in the criteria) judged on the figures of `g`, which must have measured runs.
sdk::stats::threshold_check judge_threshold(const threshold& t, std::size_t index, const sdk::stats::group& g);

}  // namespace shootout::core::verdict
