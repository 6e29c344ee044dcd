#include <algorithm>
#include <array>
#include <ostream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "commands/commands.h"
#include "errors.h"
#include "manifest.h"

namespace shootout::core {
namespace {

std::string_view type_name(sdk::option_type type) {
    switch (type) {
        case sdk::option_type::boolean: return "boolean";
        case sdk::option_type::integer: return "integer";
        case sdk::option_type::number: return "number";
        case sdk::option_type::string: return "string";
        case sdk::option_type::duration: return "duration";
        case sdk::option_type::size: return "size";
        case sdk::option_type::string_list: return "string list";
        case sdk::option_type::integer_list: return "integer list";
        case sdk::option_type::number_list: return "number list";
        case sdk::option_type::table: return "table";
        case sdk::option_type::table_list: return "table list";
        case sdk::option_type::json: return "any value";
    }
    return "value";
}

// A plugin's options for `list-plugins --json`, a table's fields nested under "fields".
boost::json::array options_json(const sdk::option_spec* specs, std::size_t count) {
    boost::json::array opts;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& o = specs[i];
        boost::json::object entry{{"key", o.key},
                                  {"type", type_name(o.type)},
                                  {"default", o.default_value ? boost::json::value(o.default_value) : nullptr},
                                  {"description", o.description ? o.description : ""}};
        if (o.fields) entry["fields"] = options_json(o.fields, o.field_count);
        opts.push_back(std::move(entry));
    }
    return opts;
}

// A plugin's options for `list-plugins --options`, a table's fields indented under it.
void print_options(const sdk::option_spec* specs, std::size_t count, const std::string& indent, std::ostream& out) {
    for (std::size_t i = 0; i < count; ++i) {
        const auto& o = specs[i];
        out << fmt::format("{}{} ({}, default {}): {}\n", indent, o.key, type_name(o.type),
                           o.default_value ? fmt::format("\"{}\"", o.default_value) : "none: required",
                           o.description ? o.description : "");
        if (o.fields) print_options(o.fields, o.field_count, indent + "    ", out);
    }
}

void print_problems(const plugin_host& host, std::ostream& err) {
    for (const auto& p : host.problems()) err << "error: " << p.message << '\n';
}

}  // namespace

int list_plugins(const std::string& config, bool json, bool options, std::ostream& out, std::ostream& err) {
    plugin_host host;
    auto dirs = base_search_dirs();
    if (!config.empty())
        for (auto& d : manifest_plugin_dirs(config)) dirs.push_back(std::move(d));
    host.discover(dirs);

    auto plugins = host.plugins();
    std::stable_sort(plugins.begin(), plugins.end(), [](const plugin_info& a, const plugin_info& b) {
        return std::pair(a.kind, a.id) < std::pair(b.kind, b.id);
    });

    if (json) {
        boost::json::object doc;
        doc["schema_version"] = 1;
        boost::json::array list;
        for (const auto& p : plugins) {
            list.push_back({{"kind", kind_name(p.kind)},
                            {"id", p.id},
                            {"version", p.version},
                            {"description", p.description},
                            {"file", p.file.string()},
                            {"options", options_json(p.options.data(), p.options.size())}});
        }
        doc["plugins"] = std::move(list);
        boost::json::array problems;
        for (const auto& p : host.problems()) problems.push_back({{"file", p.file.string()}, {"message", p.message}});
        doc["problems"] = std::move(problems);
        boost::json::array searched;
        for (const auto& d : host.searched()) searched.push_back({{"path", d.path.string()}, {"origin", d.origin}});
        doc["search_path"] = std::move(searched);
        out << boost::json::serialize(doc) << '\n';
    } else {
        std::vector<std::array<std::string, 5>> rows{{"KIND", "ID", "VERSION", "DESCRIPTION", "FILE"}};
        for (const auto& p : plugins)
            rows.push_back({std::string(kind_name(p.kind)), p.id, p.version, p.description, p.file.string()});
        std::array<std::size_t, 5> width{};
        for (const auto& r : rows)
            for (std::size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], r[i].size());
        for (const auto& r : rows) {
            std::string line;
            for (std::size_t i = 0; i < 4; ++i) line += fmt::format("{:<{}}  ", r[i], width[i]);
            out << line << r[4] << '\n';
            if (options && &r != &rows.front()) {
                const auto* info = host.find(r[0] == "scenario" ? plugin_kind::scenario
                                             : r[0] == "pattern" ? plugin_kind::load_pattern
                                                                 : plugin_kind::reporter,
                                             r[1]);
                print_options(info->options.data(), info->options.size(), "    ", out);
            }
        }
        if (plugins.empty()) {
            err << "no plugins found; searched:";
            for (const auto& d : host.searched()) err << ' ' << d.path.string() << " (" << d.origin << ')';
            err << '\n';
        }
    }
    print_problems(host, err);
    return host.problems().empty() ? exit_ok : exit_usage;
}


}  // namespace shootout::core
