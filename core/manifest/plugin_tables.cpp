// The scenarios, patterns and reporters a manifest lists, the plugins that implement them, and
// their instances.
#include "errors.h"
#include "manifest/tables.h"
#include "names.h"

namespace shootout::core {
namespace tables {
namespace {

using located_names = std::vector<std::pair<std::string, manifest_location>>;

// The `list_key` list (scenarios = [...]): absent or empty is an error where the kind is required.
located_names listed_names(checker& c, const toml::table& root, const plugin_host& host, plugin_kind kind,
                           std::string_view list_key, bool required) {
    std::optional<located_names> names = c.strings(root, list_key);
    if (!names) {
        if (!root.get(list_key) && required)
            c.error(manifest_location{c.file(), 1, 1},
                    fmt::format("missing key '{}': list the {}s to run, like {} = [\"{}\"] (available: {})", list_key,
                                kind_name(kind), list_key,
                                kind == plugin_kind::scenario ? "ping" : kind == plugin_kind::load_pattern ? "steady" : "md",
                                host.available(kind)));
        return {};
    }
    if (names->empty() && required) {
        // An empty list would run nothing and exit 0, as if everything had passed.
        c.error(*root.get(list_key), fmt::format("'{}' is empty: list at least one {}, like {} = [\"{}\"] (available: {})",
                                                 list_key, kind_name(kind), list_key,
                                                 kind == plugin_kind::scenario ? "ping" : "steady", host.available(kind)));
    }
    return *names;
}

// The entry's options table ([scenario.NAME], or null) and the plugin id it names; false when the
// table is unusable (already reported).
bool entry_table(checker& c, const toml::table* tables, std::string_view table_key, plugin_kind kind,
                 const std::string& name, const toml::table*& options, std::string& plugin_id) {
    options = nullptr;
    plugin_id = name;
    const toml::node* node = tables ? tables->get(name) : nullptr;
    if (!node) return true;
    options = node->as_table();
    if (!options) {
        c.error(*node, fmt::format("{}.{} must be a table of options, found {}", table_key, name, type_of(*node)));
        return false;
    }
    const toml::node* p = options->get("plugin");
    if (!p) return true;
    if (auto id = p->value<std::string>()) {
        plugin_id = *id;
        return true;
    }
    c.error(*p, fmt::format("{} '{}': 'plugin' must be a string naming a {} plugin, found {}", kind_name(kind), name,
                            kind_name(kind), type_of(*p)));
    return false;
}

// A table for an entry the list does not name would configure nothing, silently.
void refuse_unlisted_tables(checker& c, const toml::table& tables, const std::set<std::string>& seen,
                            std::string_view list_key, std::string_view table_key, plugin_kind kind) {
    for (const auto& [key, value] : tables) {
        if (seen.count(std::string(key.str()))) continue;
        c.error(c.at(key.source()),
                fmt::format("[{}.{}] configures a {} that '{}' does not list; add \"{}\" to {} = [...] or remove "
                            "the table",
                            table_key, key.str(), kind_name(kind), list_key, key.str(), list_key));
    }
}

void read_scenario_patterns(checker& c, const toml::table& options, plugin_entry& entry) {
    const auto names = c.strings(options, "patterns", fmt::format("scenario '{}': ", entry.name));
    if (!names) return;
    if (names->empty())
        c.error(*options.get("patterns"), fmt::format("scenario '{}': 'patterns' is empty, so no pattern would measure it; "
                                                      "list at least one, or remove the key to measure it under every pattern",
                                                      entry.name));
    entry.only_patterns = *names;
}

}  // namespace

void read_plugin_entries(checker& c, const toml::table& root, const plugin_host& host, plugin_kind kind,
                         std::string_view list_key, std::string_view table_key, bool required,
                         std::vector<plugin_entry>& out) {
    const toml::table* tables = c.typed<toml::table>(root, table_key, "", "a table of tables");
    std::set<std::string> seen;
    const located_names names = listed_names(c, root, host, kind, list_key, required);
    for (const auto& [name, where] : names) {
        if (auto problem = name_problem(name); !problem.empty()) {
            c.error(where, fmt::format("{} name \"{}\" {}", kind_name(kind), name, problem));
            seen.insert(name);  // its table is not "unlisted" as well
            continue;
        }
        if (!seen.insert(name).second) {
            c.error(where, fmt::format("{} '{}' is listed twice in '{}'", kind_name(kind), name, list_key));
            continue;
        }
        const toml::table* options = nullptr;
        std::string plugin_id;
        if (!entry_table(c, tables, table_key, kind, name, options, plugin_id)) continue;
        plugin_entry entry{kind, name, host.find(kind, plugin_id), {}, where, {}, std::nullopt, {}};
        if (!entry.plugin) {
            const bool aliased = plugin_id != name;
            c.error(aliased ? c.at(*options->get("plugin")) : where, host.unknown_plugin_message(kind, plugin_id));
            continue;
        }
        // A reporter's max_error_rate gets its own message (it moved to [verdict]), not also
        // "unknown key", and a scenario's keep_alive is the host's, not the plugin's: the
        // options are read without either.
        toml::table without_host_keys;
        if (kind == plugin_kind::reporter && options && options->contains("max_error_rate")) {
            refuse_moved_threshold(c, *options, entry);
            without_host_keys = *options;
            without_host_keys.erase("max_error_rate");
            options = &without_host_keys;
        }
        if (kind == plugin_kind::scenario && options && options->contains("keep_alive")) {
            const toml::node& node = *options->get("keep_alive");
            entry.option_locations["keep_alive"] = c.at(node);
            entry.requests_per_connection = read_keep_alive(c, node, fmt::format("scenario '{}': ", name));
            without_host_keys = *options;
            without_host_keys.erase("keep_alive");
            options = &without_host_keys;
        }
        // A scenario's `patterns` is the host's (which patterns measure it), not the plugin's.
        toml::table without_patterns;
        if (kind == plugin_kind::scenario && options && options->contains("patterns")) {
            read_scenario_patterns(c, *options, entry);
            without_patterns = *options;
            without_patterns.erase("patterns");
            options = &without_patterns;
        }
        read_plugin_options(c, entry, options, where);
        out.push_back(std::move(entry));
    }
    if (tables) refuse_unlisted_tables(c, *tables, seen, list_key, table_key, kind);
}

void check_scenario_patterns(checker& c, const manifest& m) {
    std::vector<std::string> known;
    for (const auto& p : m.patterns) known.push_back(p.name);
    for (const auto& s : m.scenarios) {
        std::set<std::string> seen;
        for (const auto& [name, where] : s.only_patterns) {
            if (!seen.insert(name).second)
                c.error(where, fmt::format("scenario '{}': pattern '{}' is listed twice in its 'patterns'", s.name, name));
            else if (std::find(known.begin(), known.end(), name) == known.end())
                c.error(where, fmt::format("scenario '{}': 'patterns' names pattern '{}', which 'patterns' at the top does "
                                           "not list (it lists: {}){}",
                                           s.name, name, joined(known), did_you_mean(name, known)));
        }
    }
}

void check_reporter_files(checker& c, const manifest& m) {
    std::map<std::string, std::string> writer;  // file -> reporter
    for (const auto& r : m.reporters) {
        if (!r.options.contains("file")) continue;
        const std::string file = r.options.string("file");
        auto [it, first] = writer.emplace(file, r.name);
        if (first) continue;
        auto where = r.option_locations.find("file");
        c.error(where != r.option_locations.end() ? where->second : r.where,
                fmt::format("reporter '{}': file '{}' is written by reporter '{}' too, and one report would overwrite "
                            "the other; give each reporter its own 'file'",
                            r.name, file, it->second));
    }
}

}  // namespace tables

plugin_instances instantiate(const manifest& m, const plugin_host& host) {
    plugin_instances instances;
    std::vector<std::string> diagnostics;
    const std::string dir = m.dir.string();
    auto make = [&](const plugin_entry& entry, auto&& factory) {
        if (!entry.plugin) return decltype(factory(*entry.plugin, entry.options, dir)){};  // already reported
        try {
            return factory(*entry.plugin, entry.options, dir);
        } catch (const sdk::config_error& e) {
            auto it = entry.option_locations.find(e.key());
            const manifest_location& where = it != entry.option_locations.end() ? it->second : entry.where;
            diagnostics.push_back(fmt::format("{}: error: {} '{}': option '{}': {}", where.str(), kind_name(entry.kind),
                                              entry.name, e.key(), e.what()));
            return decltype(factory(*entry.plugin, entry.options, dir)){};
        } catch (const std::exception& e) {
            diagnostics.push_back(fmt::format("{}: error: {} '{}' (plugin '{}') refused its options: {}", entry.where.str(),
                                              kind_name(entry.kind), entry.name, entry.plugin->id, e.what()));
            return decltype(factory(*entry.plugin, entry.options, dir)){};
        }
    };
    for (const auto& e : m.scenarios) {
        instances.scenarios.push_back(make(e, [&](auto&&... a) { return host.make_scenario(a...); }));
        const auto& made = instances.scenarios.back();
        if (made && e.requests_per_connection && made->transport() != sdk::transport::http)
            diagnostics.push_back(fmt::format("{}: error: scenario '{}': 'keep_alive' is for HTTP scenarios; '{}' speaks "
                                              "WebSocket, whose one connection carries every message: remove it",
                                              e.option_locations.at("keep_alive").str(), e.name, e.plugin->id));
    }
    for (const auto& e : m.patterns)
        instances.patterns.push_back(make(e, [&](auto&&... a) { return host.make_load_pattern(a...); }));
    for (const auto& e : m.reporters)
        instances.reporters.push_back(make(e, [&](auto&&... a) { return host.make_reporter(a...); }));
    if (!diagnostics.empty()) throw manifest_error(diagnostics);
    return instances;
}

}  // namespace shootout::core
