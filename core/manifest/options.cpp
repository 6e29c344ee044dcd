// Plugin options as the manifest gives them, read against the plugin's declaration: every key
// known (did-you-mean otherwise), every value of its declared type, required ones present, at
// every depth of nested tables, each problem at its place.
#include "manifest/tables.h"

namespace shootout::core::tables {
namespace {

// Reads plugin option values against their declaration, at every depth of nested tables.
// `ctx` names the entry ("scenario 'x': "); options are named by their path from the entry's
// table ("expect.status", "request[1].path"), which is also the key their locations are kept
// under, so a plugin's config_error about a nested key is reported at that key.
class option_reader {
public:
    option_reader(checker& c, plugin_entry& entry)
        : c_(c), entry_(entry), ctx_(fmt::format("{} '{}': ", kind_name(entry.kind), entry.name)) {}

    void read_entry(const toml::table* table, const manifest_location& entry_where) {
        const auto& info = *entry_.plugin;
        entry_.options = info.defaults;
        read_level(table, table ? c_.at(*table) : entry_where, info.options.data(), info.options.size(), "",
                   entry_.options);
    }

private:
    // One table's keys: unknown ones, each declared one's value, the required ones missing.
    void read_level(const toml::table* table, const manifest_location& missing_at, const sdk::option_spec* specs,
                    std::size_t count, const std::string& path, sdk::option_values& values) {
        if (table) {
            std::vector<std::string> known;
            if (path.empty()) known.push_back("plugin");
            if (path.empty() && entry_.kind == plugin_kind::scenario) known.push_back("keep_alive");  // the host's key
            for (std::size_t i = 0; i < count; ++i) known.push_back(specs[i].key);
            c_.known_keys(*table, known, path.empty() ? ctx_ : fmt::format("{}option '{}': ", ctx_, path));
            for (std::size_t i = 0; i < count; ++i)
                if (const toml::node* node = table->get(specs[i].key)) read_value(specs[i], *node, values);
        }
        for (std::size_t i = 0; i < count; ++i) {
            const auto& spec = specs[i];
            if (!values.contains(spec.key)) c_.incomplete(entry_.kind, entry_.name);
            if (spec.default_value || (table && table->get(spec.key))) continue;
            c_.error(missing_at, fmt::format("{}missing required option '{}' ({}: {})", ctx_, values.key_path(spec.key),
                                             describe(spec.type), spec.description ? spec.description : ""));
        }
    }

    void read_value(const sdk::option_spec& spec, const toml::node& node, sdk::option_values& values) {
        const std::string key = values.key_path(spec.key);
        entry_.option_locations[key] = c_.at(node);
        if (spec.type == sdk::option_type::table) return read_table(spec, node, key, values);
        if (spec.type == sdk::option_type::table_list) return read_table_list(spec, node, key, values);
        if (spec.type == sdk::option_type::json) return read_json(spec, node, key, values);
        std::string problem;
        auto value = convert(spec.type, node, problem);
        if (value && std::holds_alternative<std::string>(*value) && breaks_lines(std::get<std::string>(*value)))
            c_.error(node, fmt::format("{}option '{}' holds a line break (CR or LF) or NUL, which would split the "
                                       "request it goes into; remove it",
                                       ctx_, key));
        else if (value) values.set(spec.key, std::move(*value));
        else c_.error(node, fmt::format("{}option '{}' must be {}, {}", ctx_, key, describe(spec.type), problem));
    }

    // A value the plugin reads itself: every place inside it is kept ("headers.Accept",
    // "expect.json.items[2]"), so the plugin's config_error about a part is reported there.
    void read_json(const sdk::option_spec& spec, const toml::node& node, const std::string& key,
                   sdk::option_values& values) {
        locate_parts(node, key);
        std::string problem;
        values.set(spec.key, std::move(*convert(spec.type, node, problem)));  // any TOML value converts
    }

    void locate_parts(const toml::node& node, const std::string& path) {
        entry_.option_locations[path] = c_.at(node);
        if (const auto* table = node.as_table())
            for (const auto& [k, v] : *table) locate_parts(v, fmt::format("{}.{}", path, k.str()));
        else if (const auto* array = node.as_array())
            for (std::size_t i = 0; i < array->size(); ++i) locate_parts((*array)[i], fmt::format("{}[{}]", path, i));
    }

    // A table's fields start from their defaults, whatever the table held before.
    sdk::option_values read_nested(const sdk::option_spec& spec, const toml::table& table, const std::string& path) {
        sdk::option_values nested = declared_defaults(spec.fields, spec.field_count, path);
        read_level(&table, c_.at(table), spec.fields, spec.field_count, path, nested);
        return nested;
    }

    void read_table(const sdk::option_spec& spec, const toml::node& node, const std::string& key,
                    sdk::option_values& values) {
        const auto* table = node.as_table();
        if (!table)
            return c_.error(node, fmt::format("{}option '{}' must be {}, {}", ctx_, key, describe(spec.type), found(node)));
        values.set(spec.key, std::make_shared<const sdk::option_values>(read_nested(spec, *table, key)));
    }

    void read_table_list(const sdk::option_spec& spec, const toml::node& node, const std::string& key,
                         sdk::option_values& values) {
        const auto* array = node.as_array();
        const toml::node* wrong = array ? nullptr : &node;
        if (array)
            for (const auto& element : *array)
                if (!element.is_table()) { wrong = &element; break; }
        if (wrong)
            return c_.error(*wrong, fmt::format("{}option '{}' must be {}, {}", ctx_, key, describe(spec.type),
                                                array ? "found an array holding " + found(*wrong).substr(6) : found(node)));
        std::vector<sdk::option_values> tables;
        for (std::size_t i = 0; i < array->size(); ++i) {
            const std::string path = fmt::format("{}[{}]", key, i);
            entry_.option_locations[path] = c_.at((*array)[i]);
            tables.push_back(read_nested(spec, *(*array)[i].as_table(), path));
        }
        values.set(spec.key, std::move(tables));
    }

    checker& c_;
    plugin_entry& entry_;
    const std::string ctx_;
};

}  // namespace

void read_plugin_options(checker& c, plugin_entry& entry, const toml::table* table, const manifest_location& entry_where) {
    option_reader(c, entry).read_entry(table, entry_where);
}

}  // namespace shootout::core::tables
