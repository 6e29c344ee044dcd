// Runs measurements: a whole manifest, or one target ad hoc (`shootout run`).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <shootout/sdk/results.h>

#include "distributed/shard.h"
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
    std::vector<std::string> thresholds;  // "p99 < 20ms", as --threshold gives them
    bool json = false;
    distributed::distributed_options distributed;  // --shard, --shard-count, --start-at, --source-address
    std::string shard_output;                       // --shard-output DIR
    /// Set by shootout-mpi: see measure_request::synchronise.
    std::function<std::optional<std::chrono::system_clock::time_point>(bool ready)> synchronise;
};

void add_adhoc_options(CLI::App& command, adhoc_options& options);
/// --shard, --shard-count, --start-at, --source-address (docs/distributed.md), for `run` and a manifest run.
void add_distributed_options(CLI::App& command, distributed::distributed_options& options);

/// `shootout run`: one scenario against one URL. Prints one JSON document (--json: schema
/// "shootout.run", docs/running.md) or the console's table.
int run_adhoc(const adhoc_options& options, const std::vector<search_dir>& plugin_dirs, std::ostream& out);

/// The measurement `shootout run` makes, for callers that judge it themselves (`shootout selftest`).
/// Ctrl-C stops the load early; adhoc_interrupted() then says so.
sdk::measurement measure_adhoc(const adhoc_options& options, const std::vector<search_dir>& plugin_dirs);
bool adhoc_interrupted();
/// What `run` prints for `m` (the --json document, with `extra`'s fields added at its top, or
/// the table) and its exit code: for a measurement merged elsewhere (shootout-mpi's first rank).
int print_adhoc_result(const adhoc_options& options, const sdk::measurement& m, const sdk::environment& environment,
                       std::ostream& out, const boost::json::object& extra = {});
/// `m` as the raw result `run --json` holds as its "measurement" (the framework named "target").
boost::json::object adhoc_raw_document(const sdk::measurement& m, const sdk::environment& environment);

/// Points the link `latest` (output_dir/latest) at `run_dir`; a real file or directory of that
/// name is left alone, with a warning.
void point_latest_at(const std::filesystem::path& latest, const std::filesystem::path& run_dir);

/// `shootout --config FILE`: every framework × scenario × pattern × run of the manifest.
/// Writes raw results as each measurement ends, then the reports. Returns the exit code:
/// 0 if every measurement that could run was measured, 1 if any failed or the run was interrupted.
/// A shard other than the first leaves the servers and the database to shard 0: its frameworks
/// become external (their url), its manifest has no database to start, reset or count.
void follow_shard_zero(manifest& m);

/// `distributed`: this process's shard and the start time, when it is one shard of a distributed
/// run (docs/distributed.md): shard 0 starts the servers and the database, the others only load.
int run_manifest(const manifest& m, plugin_instances& instances, std::ostream& out,
                 const distributed::distributed_plan& distributed = {}, const std::optional<std::string>& source_address = {},
                 std::chrono::nanoseconds shard_gap = std::chrono::seconds(20));

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
    /// A distributed load (docs/distributed.md): this process's shard of the plan (only shard 0
    /// runs the correctness check), the instant its plan starts (a shard ready later refuses:
    /// distributed::late_start), as given, and the local addresses its connections come from.
    std::optional<distributed::shard_spec> shard;
    std::optional<std::chrono::system_clock::time_point> start_at;
    std::string start_at_text;
    std::vector<std::string> source_addresses;
    /// A shard under an engine with a barrier (shootout-mpi): called once the load is ready to
    /// start (scenario prepared, correctness checked) with true, and by the caller with false
    /// when it never got there; returns the instant the plan starts at by this host's clock, or
    /// nothing when another shard cannot start (the measurement then fails).
    std::function<std::optional<std::chrono::system_clock::time_point>(bool ready)> synchronise;
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
