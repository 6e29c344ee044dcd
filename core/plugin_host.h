// Finds, checks and loads plugin libraries, and makes plugin instances.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <shootout/sdk/plugin.h>

#include "logging.h"

namespace shootout::core {

enum class plugin_kind { scenario = 1, load_pattern = 2, reporter = 3 };

/// "scenario", "pattern", "reporter": the words used in manifests and messages.
std::string_view kind_name(plugin_kind kind);

/// One plugin that loaded and passed every check.
struct plugin_info {
    plugin_kind kind;
    std::string id, version, description;
    std::filesystem::path file;
    std::vector<sdk::option_spec> options;
    sdk::option_values defaults;  ///< every option that has a default, parsed
    const shootout_plugin_descriptor* descriptor = nullptr;
};

/// A library in the search path that is not a usable plugin, and why.
struct plugin_problem {
    std::filesystem::path file;
    std::string message;  ///< names the file, the problem and the fix
};

/// One directory to search and where it came from (for messages).
struct search_dir {
    std::filesystem::path path;
    std::string origin;  ///< "next to the binary", "SHOOTOUT_PLUGIN_PATH", "plugin_paths in x.toml"
};

/// The plugins directory next to the running binary (the same relative place in the build
/// tree and the install tree).
std::filesystem::path builtin_plugin_dir();

/// The directories in SHOOTOUT_PLUGIN_PATH (colon-separated), if set.
std::vector<search_dir> env_plugin_dirs();

class plugin_host {
public:
    /// Scans every `*.so` in `dirs` (not recursively), in order. A library that is not a usable
    /// plugin becomes a problem, not an exception; a directory that does not exist is skipped.
    void discover(const std::vector<search_dir>& dirs);

    const std::vector<plugin_info>& plugins() const noexcept { return plugins_; }
    const std::vector<plugin_problem>& problems() const noexcept { return problems_; }
    const std::vector<search_dir>& searched() const noexcept { return searched_; }

    /// The plugin of `kind` named `id`, or nullptr.
    const plugin_info* find(plugin_kind kind, std::string_view id) const noexcept;
    /// "csv, html, json, md" (sorted), or "none".
    std::string available(plugin_kind kind) const;
    /// The message for an unknown id: lists the available ones and the search path.
    std::string unknown_plugin_message(plugin_kind kind, std::string_view id) const;

    /// Makes an instance. `options` must have been validated against info.options. The
    /// returned object must not outlive the process's plugins (they are never unloaded).
    /// Throws sdk::config_error from the plugin unchanged; any other exception becomes a
    /// plugin_error naming the plugin and its file.
    std::unique_ptr<sdk::scenario> make_scenario(const plugin_info& info, const sdk::option_values& options,
                                                 std::string_view manifest_dir = {}) const;
    std::unique_ptr<sdk::load_pattern> make_load_pattern(const plugin_info& info, const sdk::option_values& options,
                                                         std::string_view manifest_dir = {}) const;
    std::unique_ptr<sdk::reporter> make_reporter(const plugin_info& info, const sdk::option_values& options,
                                                 std::string_view manifest_dir = {}) const;

private:
    void load(const std::filesystem::path& file);
    void* create(const plugin_info& info, plugin_kind expected, const sdk::option_values& options,
                 std::string_view manifest_dir) const;

    std::vector<plugin_info> plugins_;
    std::vector<plugin_problem> problems_;
    std::vector<search_dir> searched_;
    std::vector<std::filesystem::path> seen_;  // canonical paths, so a file found twice loads once
};

}  // namespace shootout::core
