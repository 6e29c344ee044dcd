// The TOML manifest: what to run, against what, how, and where the results go.
//
// Loading is all-or-nothing and reports every problem it finds at once, each as
// `file:line:col: error: ...` naming the key, what was expected and what was found.
#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <shootout/sdk/options.h>

#include "did_you_mean.h"
#include "plugin_host.h"
#include "verdict/criteria.h"

namespace shootout::core {

/// A place in the manifest, for messages.
struct manifest_location {
    std::string file;
    std::uint32_t line = 0, column = 0;
    std::string str() const;  ///< "shootout.toml:14:9"
};

/// How to start a framework on this machine (filled in by the launcher; see README).
struct local_launch {
    std::vector<std::string> command;
    /// Run before starting: a non-zero exit means "not installed here", and the framework is
    /// skipped with missing_hint ("run scripts/setup.sh, which builds .venvs/sanic").
    std::vector<std::string> check_command;
    std::string missing_hint;
    /// Prints the framework's version (recorded in the results), optional.
    std::vector<std::string> version_command;
    std::vector<int> cpus;  ///< pin the server to these CPUs (empty: [local] cpus, or none)
    std::filesystem::path working_dir;
    std::map<std::string, std::string> environment;
    std::string health_path = "/ping";
    std::chrono::nanoseconds start_timeout = std::chrono::seconds(30);
    std::chrono::nanoseconds stop_timeout = std::chrono::seconds(10);
};

struct framework_entry {
    enum class launch_mode { external, local };
    std::string name;
    launch_mode mode = launch_mode::external;
    std::string url;          ///< normalised: "http://127.0.0.1:8083", no trailing slash
    std::string host;         ///< "127.0.0.1"
    std::uint16_t port = 80;
    std::string path_prefix;  ///< "" or "/api"
    bool websocket = true;    ///< false: WebSocket scenarios are reported "not supported"
    std::string container;    ///< external: the Docker container serving it, for CPU and memory ("" none)
    std::optional<local_launch> local;
    manifest_location where;
};

/// Sets `fw`'s url, host, port and path prefix from an http:// URL (a manifest's `url`, or
/// `--target`). Returns what is wrong with it, to follow the name of the setting ("" when fine).
std::string set_target_url(framework_entry& fw, const std::string& text);

/// One scenario, pattern or reporter as the manifest names it. `name` is what the manifest
/// and the results call it; `plugin` is the plugin that implements it (the same unless the
/// table says `plugin = "..."`, which lets one plugin appear twice with different options).
struct plugin_entry {
    plugin_kind kind;
    std::string name;
    const plugin_info* plugin = nullptr;
    sdk::option_values options;
    manifest_location where;
    std::map<std::string, manifest_location> option_locations;  ///< for config_error from plugins
    /// A scenario's own `keep_alive`, overriding [engine]'s (engine_settings::requests_per_connection).
    std::optional<std::uint32_t> requests_per_connection;

    /// A scenario's own `patterns`: the only patterns that measure it, where each is named (empty:
    /// every pattern, the whole matrix).
    std::vector<std::pair<std::string, manifest_location>> only_patterns;

    /// Whether pattern `name` measures this scenario.
    bool measured_under(const std::string& name) const {
        return only_patterns.empty() ||
               std::any_of(only_patterns.begin(), only_patterns.end(), [&](const auto& p) { return p.first == name; });
    }
};

/// The database behind db-read and db-write (the [database] table).
struct database_settings {
    enum class kind { none, embedded, external };
    kind mode = kind::none;
    std::filesystem::path init_sql;
    std::string dsn;                  ///< external only
    unsigned max_connections = 200;   ///< embedded only
    std::vector<std::string> reset_before{"db-read", "db-write"};  ///< scenarios that start from the seed rows
    std::vector<std::string> count_writes{"db-write"};  ///< scenarios whose 2xx answers must each add one row
};

/// Defaults for every local framework (the [local] table).
struct local_defaults {
    std::map<std::string, std::string> environment;  ///< WORKERS, DB_POOL_MAX...: the same for every framework
    std::vector<int> cpus;
};

/// Load-engine settings shared by every scenario (the [engine] table).
struct engine_settings {
    std::vector<int> cpus;  ///< pin the generator to these CPUs (empty: no pinning)
    unsigned threads = 0;  ///< 0: one per CPU available to the generator
    std::chrono::nanoseconds connect_timeout = std::chrono::seconds(5);
    std::chrono::nanoseconds request_timeout = std::chrono::seconds(30);
    std::uint32_t verify_sample = 100;  ///< verify one response in this many during load
    /// keep_alive: the client closes an HTTP connection after this many requests (0: true,
    /// keep-alive; 1: false, a new connection per request). Not for WebSocket scenarios.
    std::uint32_t requests_per_connection = 0;
    std::chrono::nanoseconds sample_interval = std::chrono::seconds(1);  ///< local servers' CPU and RSS
    std::uint64_t seed = 1;
};

/// What to profile while it is measured (the [profile] table).
struct profile_settings {
    enum class choice { automatic, python_sampler, py_spy, perf };
    /// "framework/scenario" or "framework/scenario/pattern"; "*" matches any name.
    struct target {
        std::string framework, scenario, pattern = "*";
        manifest_location where;
    };
    std::vector<target> targets;  ///< empty: nothing is profiled
    choice profiler = choice::automatic;
    unsigned frequency = 97;  ///< samples per second (a prime, so it does not beat with periodic work)

    bool wants(const std::string& framework, const std::string& scenario, const std::string& pattern) const;
    bool wants_framework(const std::string& framework) const;
};

struct manifest {
    std::filesystem::path file;  ///< as given
    std::filesystem::path dir;   ///< relative paths in the manifest are relative to this
    std::string sha256;          ///< of the file's bytes
    std::filesystem::path output_dir;
    unsigned runs = 1;
    bool interleave = true;  ///< run 1 of every framework, then run 2, ...
    std::vector<std::filesystem::path> plugin_paths;
    std::vector<framework_entry> frameworks;
    std::vector<plugin_entry> scenarios, patterns, reporters;
    engine_settings engine;
    database_settings database;
    local_defaults local;
    profile_settings profile;
    verdict::criteria verdict;  ///< the [verdict] table
};

/// Parses and validates a manifest from its text, against the plugins `catalog` has already
/// discovered. `source` names it in messages ("shootout.toml:14:9") and is its `file`; relative
/// paths resolve against the directory of `source`. Its plugin_paths are checked and recorded,
/// not searched: the caller discovers them (load_manifest does). Throws manifest_error with
/// every located problem.
manifest parse_manifest(std::string_view text, const std::string& source, const plugin_host& catalog);

/// Reads and validates `file`. Discovers plugins into `host` from `base_dirs` followed by the
/// manifest's plugin_paths. Throws manifest_error (every located problem) or plugin_error
/// (libraries in the search path that are not usable plugins).
manifest load_manifest(const std::filesystem::path& file, plugin_host& host,
                       const std::vector<search_dir>& base_dirs);

/// The plugin_paths of a manifest, read leniently (for `list-plugins --config`): a file that
/// cannot be read or parsed gives none.
std::vector<search_dir> manifest_plugin_dirs(const std::filesystem::path& file);

/// Narrows a manifest to some frameworks, scenarios and patterns (by name) and a number of runs,
/// as `shootout --framework flask --scenario ping --runs 1` does. Empty lists keep everything.
/// Throws config_error naming the unknown name and listing the manifest's names.
void apply_filters(manifest& m, const std::vector<std::string>& frameworks, const std::vector<std::string>& scenarios,
                   const std::vector<std::string>& patterns, std::optional<unsigned> runs);

/// Plugin instances for every entry of a manifest.
struct plugin_instances {
    std::vector<std::unique_ptr<sdk::scenario>> scenarios;
    std::vector<std::unique_ptr<sdk::load_pattern>> patterns;
    std::vector<std::unique_ptr<sdk::reporter>> reporters;
};

/// Creates every plugin the manifest names. A plugin's sdk::config_error is reported at the
/// option's place in the manifest (manifest_error); other failures as plugin_error.
plugin_instances instantiate(const manifest& m, const plugin_host& host);

}  // namespace shootout::core
