// Statistics across runs: spreads and intervals, the error verdict, and the summary every
// report and the console use. Pure functions of the results (no clock, no randomness), so a
// report regenerated from raw results is the same byte for byte. The data types are the SDK's
// (sdk/summary.h); the rules are here, in the host, once.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <shootout/sdk/summary.h>

namespace shootout::core::stats {

using sdk::stats::criteria;
using sdk::stats::find_group;
using sdk::stats::group;
using sdk::stats::interval;
using sdk::stats::spread;
using sdk::stats::summary;
using sdk::stats::verdict;
using sdk::stats::verdict_name;

/// The 0.975 quantile of Student's t distribution with `dof` degrees of freedom (two-sided 95 %).
double t_975(unsigned dof) noexcept;

/// Wilson's 95 % score interval for a proportion of `failed` in `trials`: unlike the normal
/// approximation it stays inside [0, 1] and honest with few trials, none failed or all failed.
interval wilson95(std::uint64_t failed, std::uint64_t trials) noexcept;

/// "1.23 %" (two decimals), as every verdict message writes a fraction.
std::string percent_text(double fraction);

/// The error part of a verdict: why a measurement (or a group of runs) that was measured counts
/// as failed, or nothing. Two rules, each against max_error_rate:
/// - the error rate, errors / (completed + errors), over every response (status, content type,
///   length and connection failures are known for each one);
/// - the share of wrong bodies among those judged. Bodies are judged on a sample, so their
///   failures divided by all responses would shrink a server's lies by the sampling factor: a
///   server whose every body is wrong would show 1 % with one response in 100 judged.
std::optional<std::string> error_problem(std::uint64_t completed, const sdk::error_counts& errors,
                                         const sdk::sample_checks& bodies, const criteria& c);

/// Median, mean, sample deviation, CV, extremes and (two values or more) the t interval.
spread spread_of(std::vector<double> values);

/// The server's mean CPU % and peak RSS (MiB) over the measured seconds of one run; empty
/// without samples (an external server shootout cannot see).
std::optional<std::pair<double, double>> server_usage(const sdk::measurement& m);

/// Groups the measurements, computes each group's figures and verdict, judges the thresholds
/// of `c` on every group they apply to, and ranks each (scenario, pattern). Pointers in the
/// summary refer into `results`, which must outlive it.
sdk::stats::summary summarize(const sdk::result_set& results, const criteria& c = {});

}  // namespace shootout::core::stats
