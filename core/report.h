// `shootout report`: regenerates reports from stored raw results, without running any load.
//
// A manifest run and `shootout report` hand reporters the same result set, built the same way
// (raw documents read back, in run order, environments merged), so the reports `shootout report`
// writes from a run's raw results are the reports that run wrote, byte for byte.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <shootout/sdk/reporter.h>

#include "plugin_host.h"
#include "results/raw_json.h"

namespace shootout::core {

/// The reporters a run uses when the manifest names none, and `shootout report` by default.
inline const std::vector<std::string> default_reporters{"md", "csv", "json", "html"};

/// The flags of `shootout report`.
struct report_options {
    std::filesystem::path results;  ///< a run directory (with raw/) or a raw/ directory itself
    std::filesystem::path output;   ///< where reports go; empty: the run directory
    std::vector<std::string> reporters;  ///< ids; empty: the manifest's, or default_reporters
    std::string config;  ///< a manifest whose reporters (and their options) to use, optional
};

/// The raw/ directory of `results` (a run directory or raw/ itself). Throws config_error
/// naming the directory (after `given_as`, the flag or argument it came from) and what was
/// expected when there are no raw results there.
std::filesystem::path raw_results_dir(const std::filesystem::path& results, std::string_view given_as = "--results");

/// Runs finish() of every reporter on `results` and their summary (computed here, once, with
/// `criteria`); a reporter that throws is logged with its name and the others still run.
/// Returns false if any failed.
bool finish_reporters(const std::vector<std::unique_ptr<sdk::reporter>>& reporters,
                      const std::vector<std::string>& names, const sdk::result_set& results,
                      const sdk::stats::criteria& criteria);

/// `shootout report`. Returns the exit code.
int run_report(const report_options& options, const std::vector<search_dir>& plugin_dirs, std::ostream& out,
               std::ostream& err);

}  // namespace shootout::core
