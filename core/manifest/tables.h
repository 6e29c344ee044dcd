// The readers of a manifest's tables, one room each, called in order by check_document
// (manifest/parse.cpp). Each reads its table from the document's root into the manifest and
// reports what is wrong through the checker; none throws for a bad value.
#pragma once

#include "manifest/document.h"

namespace shootout::core::tables {

// settings_tables.cpp
/// keep_alive = true (0: keep-alive), false (1: a new connection per request) or N (requests
/// per connection), from [engine] or a scenario's table; nullopt when wrong (reported).
std::optional<std::uint32_t> read_keep_alive(checker& c, const toml::node& node, const std::string& ctx);
void read_engine(checker& c, const toml::table& root, engine_settings& engine);
void read_database(checker& c, const toml::table& root, manifest& m, scenario_name_lists& named_scenarios);
/// [database] names scenarios; a misspelt one would silently turn a check off.
void check_scenario_names(checker& c, const manifest& m, const scenario_name_lists& lists);
void read_local_defaults(checker& c, const toml::table& root, manifest& m);
/// shootout sets PORT from the framework's url and probes that port: an environment that set
/// it too would start the server on one port and measure another.
void refuse_port_variable(checker& c, const toml::table& table, const std::map<std::string, std::string>& environment,
                          const std::string& ctx);

// frameworks_table.cpp
void read_frameworks(checker& c, const toml::table& root, manifest& m);

// plugin_tables.cpp
/// The `list_key` list (scenarios = [...]) and the `table_key` tables ([scenario.x]) of one kind.
void read_plugin_entries(checker& c, const toml::table& root, const plugin_host& host, plugin_kind kind,
                         std::string_view list_key, std::string_view table_key, bool required,
                         std::vector<plugin_entry>& out);
/// A scenario's `patterns` must name patterns the manifest lists (read after the scenarios).
void check_scenario_patterns(checker& c, const manifest& m);
/// Two reporters writing one file would leave only the last one's report.
void check_reporter_files(checker& c, const manifest& m);

// options.cpp
/// Sets `entry.options` from its plugin's defaults and `table` (null: the manifest has no table
/// for it), checked against the declaration at every depth of nested tables.
void read_plugin_options(checker& c, plugin_entry& entry, const toml::table* table, const manifest_location& entry_where);

// verdict_table.cpp
void read_verdict(checker& c, const toml::table& root, manifest& m);
/// A reporter table's max_error_rate, which moved to [verdict], is refused rather than ignored.
void refuse_moved_threshold(checker& c, const toml::table& options, const plugin_entry& entry);

// profile_table.cpp
void read_profile(checker& c, const toml::table& root, manifest& m);

}  // namespace shootout::core::tables
