// The summary schema the core owns: one entry per (framework, scenario, pattern) over all its
// runs, as summary.json's `results[]` holds it and as `shootout run --json` shows its one
// measurement under `summary`. One writer for both, in a small library that the core and the
// json reporter plugin both link, so the two documents cannot drift apart. docs/results.md
// describes the fields.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <shootout/sdk/summary.h>

namespace shootout::core {

/// Version of summary.json; bumped when a field changes meaning or goes away.
inline constexpr int summary_schema_version = 1;

/// A latency histogram in milliseconds: p50 … p99.99 (stats::spectrum_percentiles), max, mean
/// and the count.
boost::json::object latency_ms(const sdk::histogram& h);

/// One group's entry: its verdict, rank (null when not ranked) and, when it has figures, req/s
/// across runs, latency, errors and the server's resources, and the thresholds of `criteria`
/// judged on it. Figures that do not exist are null.
boost::json::object group_to_json(const sdk::stats::group& g, const sdk::stats::criteria& criteria, boost::json::value rank,
                                  bool tied_with_previous);

/// A threshold as summary.json's `criteria.thresholds` lists it: its condition and scope.
boost::json::object threshold_to_json(const sdk::stats::threshold& t);

/// summary.json's `results`: every ranking's ranked groups, best first, then its unranked ones.
boost::json::array results_to_json(const sdk::stats::summary& summary);

}  // namespace shootout::core
