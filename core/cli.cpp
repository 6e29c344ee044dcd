#include "cli.h"

#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "errors.h"
#include "logging.h"
#include "manifest.h"
#include "option_parsing.h"
#include "plugin_host.h"
#include "report.h"
#include "runner.h"
#include "selftest/selftest.h"

namespace shootout::core {
namespace {

namespace fs = std::filesystem;

std::vector<search_dir> base_search_dirs() {
    std::vector<search_dir> dirs{{builtin_plugin_dir(), "next to the binary"}};
    for (auto& d : env_plugin_dirs()) dirs.push_back(std::move(d));
    return dirs;
}

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

int validate(const std::string& config, std::ostream& out) {
    plugin_host host;
    manifest m = load_manifest(config, host, base_search_dirs());
    auto instances = instantiate(m, host);
    out << fmt::format("{}: ok: {} framework(s), {} scenario(s), {} pattern(s), {} reporter(s), {} run(s)\n", config,
                       m.frameworks.size(), m.scenarios.size(), m.patterns.size(), m.reporters.size(), m.runs);
    return exit_ok;
}

}  // namespace

int run_cli(int argc, char** argv) { return run_cli(argc, argv, std::cout, std::cerr); }

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"shootout: benchmark web frameworks, honestly.\n"
                 "Runs a TOML manifest (shootout --config shootout.toml), or one target ad hoc (shootout run)."};
    app.set_version_flag("--version", fmt::format("shootout {} ({} build, plugin ABI {})", SHOOTOUT_VERSION,
                                                  SHOOTOUT_BUILD_TYPE, SHOOTOUT_ABI_VERSION));
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();

    std::string config;
    std::vector<std::string> only_frameworks, only_scenarios, only_patterns;
    std::optional<unsigned> runs;
    std::vector<CLI::Option*> manifest_run_options{
        app.add_option("-c,--config", config, "the manifest to run")->check(CLI::ExistingFile),
        app.add_option("--framework", only_frameworks, "run only these frameworks (repeat, or comma-separated)")
            ->delimiter(','),
        app.add_option("--scenario", only_scenarios, "run only these scenarios (repeat, or comma-separated)")
            ->delimiter(','),
        app.add_option("--pattern", only_patterns, "run only these load patterns (repeat, or comma-separated)")
            ->delimiter(','),
        app.add_option("--runs", runs, "override the manifest's number of runs")->check(CLI::Range(1u, 1000u))};

    auto* list_cmd = app.add_subcommand("list-plugins", "list the plugins shootout can load");
    bool list_json = false, list_options = false;
    std::string list_config;
    list_cmd->add_flag("--json", list_json, "one JSON document for machines");
    list_cmd->add_flag("--options", list_options, "also list each plugin's options");
    list_cmd->add_option("-c,--config", list_config, "also search this manifest's plugin_paths")
        ->check(CLI::ExistingFile);

    auto* validate_cmd = app.add_subcommand("validate", "check a manifest and every plugin option table, run nothing");
    std::string validate_config;
    validate_cmd->add_option("-c,--config", validate_config, "the manifest to check")
        ->required()
        ->check(CLI::ExistingFile);

    adhoc_options adhoc;
    auto* run_cmd = app.add_subcommand("run", "measure one target without a manifest, like wrk");
    add_adhoc_options(*run_cmd, adhoc);

    selftest::options selftest_options;
    auto* selftest_cmd = app.add_subcommand(
        "selftest", "prove the open model is honest here: a server stalls mid-run and the latency must show it");
    selftest::add_options(*selftest_cmd, selftest_options);
    report_options report;
    auto* report_cmd = app.add_subcommand("report", "regenerate the reports from a run's raw results, without running load");
    report_cmd->add_option("--results", report.results, "a run directory (like results/latest) or its raw/ directory")
        ->required();
    report_cmd->add_option("--output", report.output, "write the reports here (default: the run directory)");
    report_cmd->add_option("--reporter", report.reporters,
                           "reporter ids (repeat, or comma-separated; default: md, csv, json, html, or the manifest's)")
        ->delimiter(',');
    report_cmd->add_option("-c,--config", report.config, "take the reporters and their options from this manifest")
        ->check(CLI::ExistingFile);

    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, out, err);
        return code == 0 ? exit_ok : exit_usage;
    }

    // Before a command they would be silently ignored: `shootout --config m.toml report ...` must
    // not quietly use the default reporters.
    if (!app.get_subcommands().empty()) {
        std::vector<std::string> given;
        for (const auto* option : manifest_run_options)
            if (option->count() > 0) given.push_back(option->get_name());
        if (!given.empty()) {
            const auto* command = app.get_subcommands().front();
            err << fmt::format("shootout: {} before '{}' applies to a manifest run, not to '{}'; {}\n",
                               fmt::join(given, ", "), command->get_name(), command->get_name(),
                               command->get_name() == "run"
                                   ? "'run' measures one target without a manifest (see shootout run --help)"
                                   : fmt::format("give the command's own options after it (see shootout {} --help)",
                                                 command->get_name()));
            return exit_usage;
        }
    }

    try {
        init_logging(log_level);
        if (list_cmd->parsed()) return list_plugins(list_config, list_json, list_options, out, err);
        if (validate_cmd->parsed()) return validate(validate_config, out);
        if (run_cmd->parsed()) return run_adhoc(adhoc, base_search_dirs(), out);
        if (selftest_cmd->parsed()) return selftest::run(selftest_options, base_search_dirs(), out);
        if (report_cmd->parsed()) return run_report(report, base_search_dirs(), out, err);
        if (config.empty()) {
            err << "shootout: nothing to do: give a manifest with --config FILE, or a command "
                   "(list-plugins, validate, run, report, selftest); see --help\n";
            return exit_usage;
        }
        plugin_host host;
        manifest m = load_manifest(config, host, base_search_dirs());
        apply_filters(m, only_frameworks, only_scenarios, only_patterns, runs);
        auto instances = instantiate(m, host);
        return run_manifest(m, instances, out);
    } catch (const config_error& e) {
        err << e.what() << '\n';
        return exit_usage;
    } catch (const sdk::config_error& e) {
        err << "error: option '" << e.key() << "': " << e.what() << '\n';
        return exit_usage;
    } catch (const std::exception& e) {
        err << "shootout: " << e.what() << '\n';
        return exit_run_failed;
    }
}

}  // namespace shootout::core
