// The host's side of an adaptive pattern (sdk::adaptive_load_pattern, the SLO search): it asks
// the pattern for one probe at a time, measures each as a real load with measure(), hands the
// measurement back for judging, and prints a line per probe. The loop itself takes any probe
// function, so the search's logic is tested without a server.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include <shootout/sdk/load_pattern.h>

#include "runner.h"

namespace shootout::core {

/// Measures one probe: the step the pattern asked for, and its 0-based index in the search.
using probe_function = std::function<sdk::measurement(const sdk::search_step& step, std::size_t index)>;
/// Told each probe as soon as it is judged.
using probe_listener = std::function<void(const sdk::search_probe& probe, std::size_t index)>;

/// The probe's figures from its measurement (corrected latency, the open model's counters).
sdk::search_probe probe_figures(const sdk::search_step& step, const sdk::measurement& m);

/// Runs the search to its end, or until a probe is not measured (its outcome is failed: that
/// measurement is returned, with `search.ended` saying so) or `interrupted` is set. Returns the
/// last passed confirmation's measurement, or else the last probe's, carrying `search`.
sdk::measurement run_search(const sdk::adaptive_load_pattern& pattern, double verdict_max_error_rate,
                            const probe_function& probe, const probe_listener& listener = {},
                            const std::atomic<bool>* interrupted = nullptr);

/// measure(request) for a fixed pattern; the search with measure() as its probe for an adaptive
/// one, the correctness check made once before the first probe. `request.plan` is replaced.
sdk::measurement measure_with(measure_request request, const sdk::load_pattern& pattern,
                              double verdict_max_error_rate);

/// "probe 3 (bisect): 375 req/s: p99 12.3 ms, errors 0.00 %: held" and the like, for the console.
std::string probe_line(const sdk::search_probe& probe, std::size_t index);
/// "found 243.8 req/s (p99 ≤ 20.0 ms, errors ≤ 0.10 %; resolution 3.9 req/s) after 11 probes: converged...".
std::string found_line(const sdk::search_result& s);

}  // namespace shootout::core
