// Runs measurements: a whole manifest, or one target ad hoc (`shootout run`).
#pragma once

#include <atomic>
#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <shootout/sdk/results.h>

#include "manifest.h"
#include "observe/profiler.h"
#include "run/judge.h"

namespace CLI { class App; }

namespace shootout::core {

/// The flags of `shootout run`.
struct adhoc_options {
    std::string target;
    std::string scenario = "ping";
    std::string pattern = "steady";
    std::optional<std::int64_t> connections;
    std::optional<double> rate;
    std::optional<std::string> duration, warmup;
    unsigned threads = 0;
    std::string connect_timeout = "5s", request_timeout = "30s";
    std::uint32_t verify_sample = 100;
    std::string keep_alive = "true";  // "true", "false" or requests per connection
    std::vector<std::string> scenario_options, pattern_options;  // "key=value"
    bool json = false;
};

void add_adhoc_options(CLI::App& command, adhoc_options& options);

/// `shootout run`: one scenario against one URL. Prints one JSON document (--json: schema
/// "shootout.run", docs/running.md) or the console's table.
int run_adhoc(const adhoc_options& options, const std::vector<search_dir>& plugin_dirs, std::ostream& out);

/// The measurement `shootout run` makes, for callers that judge it themselves (`shootout selftest`).
/// Ctrl-C stops the load early; adhoc_interrupted() then says so.
sdk::measurement measure_adhoc(const adhoc_options& options, const std::vector<search_dir>& plugin_dirs);
bool adhoc_interrupted();

/// `shootout --config FILE`: every framework × scenario × pattern × run of the manifest.
/// Writes raw results as each measurement ends, then the reports. Returns the exit code:
/// 0 if every measurement that could run was measured, 1 if any failed or the run was interrupted.
int run_manifest(const manifest& m, plugin_instances& instances, std::ostream& out);

/// Where a manifest run is, for the progress line. Updated by the control thread only.
struct run_progress {
    std::chrono::steady_clock::time_point started;
    std::size_t current = 0, total = 0;  ///< 1-based index of the measurement under way, of all
    double planned_seconds_left = 0;     ///< planned load time of the measurements not yet started
};

/// What one measurement needs.
struct measure_request {
    sdk::target target;
    sdk::scenario* scenario = nullptr;
    std::string scenario_name;
    sdk::load_plan plan;  ///< what the load does (a pattern's plan, or one made for a probe)
    std::string pattern_name;
    unsigned run = 1;
    engine_settings engine;
    const std::atomic<bool>* interrupted = nullptr;
    bool show_progress = true;
    /// false: no correctness check before the load (an SLO search's probes after its first,
    /// against a server the first one checked).
    bool check_correctness = true;
    int server_pid = 0;  ///< a local server: its process tree's CPU and RSS are sampled during the load
    const run_progress* overall = nullptr;  ///< a manifest run: shown on the progress line
    std::string container;  ///< an external server in Docker: its container's CPU and memory are sampled instead
    /// Set to profile the server during the measured phases; the folded stacks go to
    /// `profile_output`, which the measurement names as `profile_relative` (to the run directory).
    std::optional<observe::profile_plan> profile;
    std::filesystem::path profile_output;
    std::string profile_relative;
};

/// Prepares the scenario, runs its correctness check, then the load. Never throws for what the
/// server does: a failed check or a broken plan comes back as outcome::failed with the reason.
sdk::measurement measure(const measure_request& request);

/// The pattern's plan, or nothing with `problem` saying why it could not make one.
std::optional<sdk::load_plan> plan_of(const sdk::load_pattern& pattern, const std::string& name, std::string& problem);
/// The request's measurement, failed with `reason` before anything ran.
sdk::measurement failed_measurement(const measure_request& request, std::string reason);

/// Target fields from a framework entry.
sdk::target target_of(const framework_entry& fw);

}  // namespace shootout::core
