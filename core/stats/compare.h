// Two result sets side by side (`shootout compare BASE NEW`): for every (framework, scenario,
// pattern) in both, the change in req/s with a 95 % interval on the difference of the means
// across runs, a verdict, and the change in p50 and p99. Pure functions of the two summaries.
//
// The interval is Welch's: (mean_new - mean_base) ± t(0.975, ν) · √(s_b²/n_b + s_n²/n_n), with
// the Welch–Satterthwaite ν (not rounded: the t quantile is Boost.Math's for real ν). It does not
// assume both sides are equally noisy. As a percentage it is divided by the base's mean (the base
// taken as the reference, its own uncertainty is in the interval already). With one run on a
// side there is no spread to judge by, and no verdict is guessed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stats/summarize.h"

namespace shootout::core::stats {

/// The 0.975 quantile of Student's t for real degrees of freedom (`dof` > 0).
double t_975_real(double dof);

/// Welch's 95 % interval on mean(next) - mean(base): each side needs two values or more.
struct welch_interval {
    double difference = 0;  ///< mean(next) - mean(base)
    interval range;         ///< the 95 % interval on it
    double dof = 0;         ///< Welch–Satterthwaite degrees of freedom
};
std::optional<welch_interval> welch95(const spread& base, const spread& next);

/// Runs per side for Welch's interval to exclude 0 when the true difference is `difference` and
/// each side's deviation is `stdev` (equal runs per side, so ν = 2n - 2). Empty above `cap`.
std::optional<unsigned> runs_needed(double difference, double stdev, unsigned cap = 1000);

/// What the comparison of one (framework, scenario, pattern) concluded about req/s.
enum class change { faster, slower, no_detectable_change, no_interval, not_comparable };
/// "faster", "slower", "no detectable change", "no interval", "not comparable".
const char* change_name(change c) noexcept;

/// A figure's change from base to new: the point change, and the interval when there is one.
/// Fractions of the base's value (0.05 is +5 %).
struct figure_change {
    std::optional<double> point;         ///< of the medians (req/s) or of the merged histograms (latency)
    std::optional<interval> interval95;  ///< Welch's on the per-run values over the base's mean
};

/// One (framework, scenario, pattern) present on both sides.
struct group_comparison {
    const group* base = nullptr;
    const group* next = nullptr;
    change verdict = change::not_comparable;
    std::string note;  ///< why there is no verdict (not ranked, one run), or what to keep in mind
    std::optional<welch_interval> rps_difference;  ///< req/s, absolute
    figure_change rps, p50, p99;
};

/// A (framework, scenario, pattern) named in one side only.
struct group_key {
    std::string framework, scenario, pattern;
};

struct comparison {
    std::vector<group_comparison> groups;  ///< in the new side's order
    std::vector<group_key> only_base, only_new;
};

/// Pointers in the comparison refer into both summaries, which must outlive it.
comparison compare(const summary& base, const summary& next);

/// One figure per measured run of a group (p is a percentile of each run's histogram).
spread per_run_percentile(const group& g, double p);

}  // namespace shootout::core::stats
