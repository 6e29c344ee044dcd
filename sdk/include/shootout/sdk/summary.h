// The summary of a result set, as reporters receive it: one group per (framework, scenario,
// pattern) over all its runs, and a ranking per (scenario, pattern) that calls overlapping
// intervals ties. Data only: the host computes it once (core/stats/summarize.cpp) with the
// manifest's [verdict] criteria and hands it to every reporter, so every report, the console and
// `shootout run` judge by the same rules, and a plugin never carries a copy of them.
//
// The figures. Runs are few (1 to 10), so a distribution-free interval on the median (order
// statistics) would span all the runs or more and say nothing. The figure is the median req/s
// of the runs (robust to one disturbed run) and its uncertainty Student's t 95 % interval for
// the mean of the runs: mean ± t(0.975, n-1) · s / √n. With one run there is no interval, and
// the summary says so (`rate.interval95` is empty). docs/results.md has the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results.h"

namespace shootout::sdk::stats {

/// A bound on one figure of a (framework, scenario, pattern): a manifest's [[verdict.threshold]]
/// or `shootout run --threshold`, parsed and judged by the host (core/verdict/threshold.h) on
/// the group's figures over all its runs. A failed threshold fails a run (exit 1) and is listed in
/// every report; it does not unrank the group, whose figures stand.
struct threshold {
    enum class figure { percentile, mean, max, rps, error_rate };
    enum class comparison { less, less_equal, greater, greater_equal };
    std::string condition;  ///< as written, trimmed: "p99 < 50ms"
    figure what = figure::percentile;  ///< the figure it bounds
    double percentile = 0;  ///< figure::percentile: 99 for p99, 99.9 for p99.9
    comparison op = comparison::less;
    double bound = 0;       ///< as written, in `unit`
    std::string unit;       ///< "us", "ms" or "s" (latencies), "req/s" (rps), "%" or "fraction" (error_rate)
    /// Globs (fnmatch: '*', '?', [...]) on the names; empty: every one.
    std::vector<std::string> frameworks, scenarios, patterns;

    /// The condition and its scope: "p99 < 50ms (frameworks fastapi, sanic*; patterns steady)".
    std::string text() const {
        std::string scope;
        auto add = [&scope](const char* key, const std::vector<std::string>& globs) {
            if (globs.empty()) return;
            scope += std::string(scope.empty() ? "" : "; ") + key;
            for (std::size_t i = 0; i < globs.size(); ++i) scope += (i ? ", " : " ") + globs[i];
        };
        add("frameworks", frameworks);
        add("scenarios", scenarios);
        add("patterns", patterns);
        return scope.empty() ? condition : condition + " (" + scope + ")";
    }
};

/// What makes a result count as failed, beyond failing its correctness check.
struct criteria {
    double max_error_rate = 0.001;  ///< errors / (completed + errors) over the measured phases
    double noisy_cv = 0.05;         ///< coefficient of variation of req/s across runs above which a result is noisy
    std::vector<threshold> thresholds;  ///< in the order written
};

/// One threshold judged on one group.
struct threshold_check {
    std::size_t threshold_index = 0;  ///< in summary.criteria.thresholds
    double measured = 0;              ///< the group's figure, in the threshold's unit
    bool passed = true;
    std::string text;                 ///< "p99 62.31 ms is not < 50 ms", "p99 31.20 ms is < 50 ms"
};

struct interval {
    double low = 0, high = 0;
    bool overlaps(const interval& o) const noexcept { return low <= o.high && o.low <= high; }
};

/// A figure measured once per run, summarised across runs.
struct spread {
    std::size_t n = 0;
    double median = 0, mean = 0;
    double stdev = 0;  ///< sample standard deviation (n - 1); 0 with one run
    double cv = 0;     ///< stdev / mean; 0 with one run
    double min = 0, max = 0;
    std::optional<interval> interval95;  ///< Student's t for the mean; empty with fewer than two runs
};

/// How one (framework, scenario, pattern) came out over all its runs.
enum class verdict {
    ranked,         ///< measured, verified, errors under the threshold
    failed,         ///< a run failed its correctness check or the server died, or too many errors
    skipped,        ///< no run could be attempted (not installed, interrupted)
    not_supported,  ///< the framework does not offer this scenario
};

inline const char* verdict_name(verdict v) noexcept {
    switch (v) {
        case verdict::ranked: return "ranked";
        case verdict::failed: return "failed";
        case verdict::skipped: return "skipped";
        case verdict::not_supported: return "not_supported";
    }
    return "unknown";
}

/// The percentiles a latency spectrum shows, in order.
inline constexpr double spectrum_percentiles[] = {50, 75, 90, 95, 99, 99.9, 99.99};

/// One kind of request of a scenario with several (measurement::requests), over a group's
/// measured runs: counts summed, histograms merged.
struct request_summary {
    std::string label;
    std::uint64_t completed = 0;
    double rate = 0;            ///< completed / the measured runs' seconds: its share of the group's mean req/s
    double share = 0;           ///< completed / the group's completed
    error_counts errors;
    double error_rate = 0;      ///< errors / (completed + errors)
    histogram latency_us;
};

/// One (framework, scenario, pattern) over all its runs.
struct group {
    std::string framework, scenario, pattern;
    stats::verdict verdict = stats::verdict::ranked;
    std::string reason;  ///< why it is failed, skipped or not supported; empty when ranked
    std::vector<const measurement*> runs;  ///< every run, in run order (whatever its outcome)
    std::size_t runs_measured = 0;         ///< runs that were measured (the figures come from these)

    spread rate;                ///< req/s of the measured runs
    bool noisy = false;         ///< rate.cv above criteria::noisy_cv (two runs or more)
    histogram latency_us;       ///< every measured run's histogram merged
    std::optional<histogram> latency_uncorrected_us;  ///< open model: merged from the actual sends
    spread p99_us;              ///< per-run p99, for its spread across runs
    std::uint64_t completed = 0;
    error_counts errors;        ///< summed over the measured runs
    double error_rate = 0;      ///< errors / (completed + errors)
    sample_checks body_checks;  ///< the judged bodies, summed over the measured runs
    std::optional<double> cpu_percent;  ///< the server's mean CPU over the measured seconds (local servers only)
    std::optional<double> rss_mib;      ///< the server's peak RSS over the measured seconds
    double planned_rate = 0, achieved_rate = 0;  ///< open model: means over the runs; 0 otherwise
    std::uint64_t late_requests = 0;             ///< open model: summed
    std::vector<std::string> warnings;  ///< each run's warnings, prefixed "run N: "
    /// Every threshold that applies to it, in the order written; none for a group without figures
    /// (skipped, not supported, nothing measured).
    std::vector<threshold_check> thresholds;
    /// A scenario with several kinds of request: each kind over the measured runs, in the
    /// scenario's order; empty otherwise.
    std::vector<request_summary> requests;

    bool open_model() const noexcept { return planned_rate > 0 || latency_uncorrected_us.has_value(); }
};

/// The order of frameworks for one (scenario, pattern): ranked ones best first, then the rest.
struct ranking {
    std::string scenario, pattern;
    std::vector<const group*> ranked;  ///< by median req/s, best first (by corrected p99 when by_latency)
    bool by_latency = false;           ///< every ranked group is open-model: ranked by corrected p99, lowest first
    std::vector<unsigned> rank;        ///< 1-based, parallel to `ranked`; tied frameworks share one
    std::vector<bool> tied_with_previous;  ///< parallel to `ranked`: "≈" rather than ">" before it
    std::vector<const group*> unranked;    ///< failed, skipped, not supported: in first-seen order
    /// "fastapi ≈ sanic > tornado", or "" when nothing was ranked.
    std::string order_text(const char* tie = "≈", const char* ahead = ">") const {
        std::string s;
        for (std::size_t i = 0; i < ranked.size(); ++i) {
            if (i) s += std::string(" ") + (tied_with_previous[i] ? tie : ahead) + " ";
            s += ranked[i]->framework;
        }
        return s;
    }
};

/// Everything a report needs. `groups` are in first-seen order of (scenario, pattern), then
/// framework; `rankings` in first-seen order of (scenario, pattern). Pointers refer into
/// `groups` and into the result_set, which must outlive the summary.
struct summary {
    stats::criteria criteria;
    std::vector<group> groups;
    std::vector<ranking> rankings;
    std::size_t max_runs = 0;  ///< the most runs any group had
};

/// Whether any threshold failed on any group: the run then exits 1.
inline bool any_threshold_failed(const summary& s) {
    for (const auto& g : s.groups)
        for (const auto& c : g.thresholds)
            if (!c.passed) return true;
    return false;
}

/// The group of (framework, scenario, pattern) in a summary, or nullptr.
inline const group* find_group(const summary& s, const std::string& framework, const std::string& scenario,
                               const std::string& pattern) {
    for (const auto& g : s.groups)
        if (g.framework == framework && g.scenario == scenario && g.pattern == pattern) return &g;
    return nullptr;
}

}  // namespace shootout::sdk::stats
