#include "cli.h"

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "commands/commands.h"
#include "errors.h"
#include "logging.h"
#include "manifest.h"
#include "option_parsing.h"
#include "plugin_host.h"
#include "report.h"
#include "runner.h"
#include "selftest/selftest.h"

namespace shootout::core {

int run_cli(int argc, char** argv) { return run_cli(argc, argv, std::cout, std::cerr); }

namespace {

// Everything the command line can say, filled in by CLI11.
struct command_line {
    std::string log_level = "info";
    // A manifest run.
    std::string config;
    std::vector<std::string> only_frameworks, only_scenarios, only_patterns;
    std::optional<unsigned> runs;
    distributed::distributed_options distributed;
    std::string shard_gap = "20s";
    std::vector<CLI::Option*> manifest_run_options;
    // The commands.
    CLI::App *list_cmd = nullptr, *validate_cmd = nullptr, *run_cmd = nullptr, *selftest_cmd = nullptr,
             *report_cmd = nullptr, *compare_cmd = nullptr, *merge_cmd = nullptr,
             *k8s_job_cmd = nullptr;
    bool list_json = false, list_options = false;
    std::string list_config, validate_config;
    adhoc_options adhoc;
    selftest::options selftest_options;
    report_options report;
    compare_options compare;
    merge_options merge;
    k8s_job_options k8s_job;
};

void add_manifest_run_options(CLI::App& app, command_line& c) {
    c.manifest_run_options = {
        app.add_option("-c,--config", c.config, "the manifest to run")->check(CLI::ExistingFile),
        app.add_option("--framework", c.only_frameworks, "run only these frameworks (repeat, or comma-separated)")
            ->delimiter(','),
        app.add_option("--scenario", c.only_scenarios, "run only these scenarios (repeat, or comma-separated)")
            ->delimiter(','),
        app.add_option("--pattern", c.only_patterns, "run only these load patterns (repeat, or comma-separated)")
            ->delimiter(','),
        app.add_option("--runs", c.runs, "override the manifest's number of runs")->check(CLI::Range(1u, 1000u))};
    add_distributed_options(app, c.distributed);
    app.add_option("--shard-gap", c.shard_gap,
                   "with --shard: the time between one measurement's planned end and the next one's start, for shard 0 "
                   "to start servers and check them")
        ->capture_default_str();
    for (const char* name : {"--shard", "--shard-count", "--start-at", "--source-address", "--shard-gap"})
        c.manifest_run_options.push_back(app.get_option(name));
}

void add_k8s_job_command(CLI::App& app, command_line& c) {
    auto& o = c.k8s_job;
    c.k8s_job_cmd = app.add_subcommand("k8s-job", "print a Kubernetes Indexed Job that runs a manifest's shards (never applied)");
    c.k8s_job_cmd->footer(k8s_job_help());
    auto* cmd = c.k8s_job_cmd;
    cmd->add_option("-c,--config", o.config, "the manifest every shard runs")->required()->check(CLI::ExistingFile);
    cmd->add_option("--shards", o.shards, "how many shards (pods, one per node)")->required()->check(CLI::Range(1u, 1024u));
    cmd->add_option("--image", o.image, "the container image with shootout in it")->required();
    cmd->add_option("--start-in", o.start_in, "start the shards together this long after now (room for scheduling and pulls)")
        ->capture_default_str();
    cmd->add_option("--shard-gap", o.shard_gap, "the shards' time between one measurement's end and the next one's start")
        ->capture_default_str();
    cmd->add_option("--name", o.name, "the Job's name (default: shootout-<start time>)");
    cmd->add_option("--namespace", o.namespace_, "put every resource in this namespace");
    cmd->add_option("--binary", o.binary, "shootout's path in the image")->capture_default_str();
    cmd->add_option("--cpu", o.cpu, "each shard's CPU request and limit, like 4 (Guaranteed QoS)");
    cmd->add_option("--memory", o.memory, "each shard's memory request and limit, like 2Gi");
    cmd->add_option("--results-claim", o.results_claim, "an existing ReadWriteMany claim for the results (default: one is made)");
    cmd->add_option("--results-size", o.results_size, "the size of the claim made")->capture_default_str();
    cmd->add_option("--storage-class", o.storage_class, "the storage class of the claim made (one that offers ReadWriteMany)");
    cmd->add_option("--collector-image", o.collector_image, "the image of the pod the results are copied out of (with tar)")
        ->capture_default_str();
}

void add_commands(CLI::App& app, command_line& c) {
    c.list_cmd = app.add_subcommand("list-plugins", "list the plugins shootout can load");
    c.list_cmd->add_flag("--json", c.list_json, "one JSON document for machines");
    c.list_cmd->add_flag("--options", c.list_options, "also list each plugin's options");
    c.list_cmd->add_option("-c,--config", c.list_config, "also search this manifest's plugin_paths")
        ->check(CLI::ExistingFile);

    c.validate_cmd = app.add_subcommand("validate", "check a manifest and every plugin option table, run nothing");
    c.validate_cmd->add_option("-c,--config", c.validate_config, "the manifest to check")
        ->required()
        ->check(CLI::ExistingFile);

    c.run_cmd = app.add_subcommand("run", "measure one target without a manifest, like wrk");
    add_adhoc_options(*c.run_cmd, c.adhoc);

    c.selftest_cmd = app.add_subcommand(
        "selftest", "prove the open model is honest here: a server stalls mid-run and the latency must show it");
    selftest::add_options(*c.selftest_cmd, c.selftest_options);

    c.report_cmd = app.add_subcommand("report", "regenerate the reports from a run's raw results, without running load");
    c.report_cmd->add_option("--results", c.report.results, "a run directory (like results/latest) or its raw/ directory")
        ->required();
    c.report_cmd->add_option("--output", c.report.output, "write the reports here (default: the run directory)");
    c.report_cmd->add_option("--reporter", c.report.reporters,
                             "reporter ids (repeat, or comma-separated; default: md, csv, json, html, or the manifest's)")
        ->delimiter(',');
    c.report_cmd->add_option("-c,--config", c.report.config, "take the reporters and their options from this manifest")
        ->check(CLI::ExistingFile);

    c.compare_cmd = app.add_subcommand("compare", "compare two runs: the change in req/s with a 95 % interval, p50 and p99");
    c.compare_cmd->add_option("BASE", c.compare.base, "the run before: a run directory, its raw/ directory, or one raw .json file")
        ->required();
    c.compare_cmd->add_option("NEW", c.compare.next, "the run after, the same way")->required();
    c.compare_cmd->add_flag("--json", c.compare.json, "one JSON document (schema shootout.compare) instead of the table");
    c.compare_cmd->add_option("--output", c.compare.output, "also write compare.md, compare.json and compare.html here");
    c.compare_cmd->add_option("--fail-on", c.compare.fail_on,
                              "exit 1 when a change beyond this bound is detected: rps:-5%, p50:+10%, p99:+10% (repeat)");

    c.merge_cmd = app.add_subcommand("merge", "add up the raw results of a distributed run's shards, exactly");
    c.merge_cmd->add_option("DIR", c.merge.inputs, "shard output directories, run or raw/ directories, or raw .json files")
        ->required();
    c.merge_cmd->add_option("--output", c.merge.output, "write the merged raw results to DIR/raw/")->required();
    c.merge_cmd->add_flag("--allow-partial", c.merge.allow_partial,
                          "merge without a missing shard; the result is failed (reported, never ranked)");

    add_k8s_job_command(app, c);
}

// Before a command they would be silently ignored: `shootout --config m.toml report ...` must
// not quietly use the default reporters. The message, or "" if nothing is misplaced.
std::string misplaced_manifest_options(const CLI::App& app, const command_line& c) {
    if (app.get_subcommands().empty()) return "";
    std::vector<std::string> given;
    for (const auto* option : c.manifest_run_options)
        if (option->count() > 0) given.push_back(option->get_name());
    if (given.empty()) return "";
    const auto name = app.get_subcommands().front()->get_name();
    return fmt::format("shootout: {} before '{}' applies to a manifest run, not to '{}'; {}\n", fmt::join(given, ", "),
                       name, name,
                       name == "run" ? "'run' measures one target without a manifest (see shootout run --help)"
                                     : fmt::format("give the command's own options after it (see shootout {} --help)", name));
}

int dispatch(const command_line& c, std::ostream& out, std::ostream& err) {
    if (c.list_cmd->parsed()) return list_plugins(c.list_config, c.list_json, c.list_options, out, err);
    if (c.validate_cmd->parsed()) return validate(c.validate_config, out);
    if (c.run_cmd->parsed()) return run_adhoc(c.adhoc, base_search_dirs(), out);
    if (c.selftest_cmd->parsed()) return selftest::run(c.selftest_options, base_search_dirs(), out);
    if (c.report_cmd->parsed()) return run_report(c.report, base_search_dirs(), out, err);
    if (c.compare_cmd->parsed()) return compare(c.compare, out, err);
    if (c.merge_cmd->parsed()) return merge(c.merge, out, err);
    if (c.k8s_job_cmd->parsed()) return k8s_job(c.k8s_job, base_search_dirs(), out, err);
    if (c.config.empty()) {
        err << "shootout: nothing to do: give a manifest with --config FILE, or a command "
               "(list-plugins, validate, run, report, compare, merge, selftest, k8s-job); see --help\n";
        return exit_usage;
    }
    plugin_host host;
    manifest m = load_manifest(c.config, host, base_search_dirs());
    apply_filters(m, c.only_frameworks, c.only_scenarios, c.only_patterns, c.runs);
    const auto distributed = distributed::read_distributed_options(c.distributed, std::getenv);
    if (distributed.shard && distributed.shard->index != 0) follow_shard_zero(m);
    auto instances = instantiate(m, host);
    const auto gap = parse_duration(c.shard_gap);
    if (!gap) throw config_error(fmt::format("--shard-gap {}: {}", c.shard_gap, duration_problem(c.shard_gap)));
    return run_manifest(m, instances, out, distributed, c.distributed.source_address, *gap);
}

}  // namespace

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"shootout: benchmark web frameworks, honestly.\n"
                 "Runs a TOML manifest (shootout --config shootout.toml), or one target ad hoc (shootout run)."};
    app.set_version_flag("--version", fmt::format("shootout {} ({} build, plugin ABI {})", SHOOTOUT_VERSION,
                                                  SHOOTOUT_BUILD_TYPE, SHOOTOUT_ABI_VERSION));
    command_line c;
    app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
    add_manifest_run_options(app, c);
    add_commands(app, c);
    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, out, err);
        return code == 0 ? exit_ok : exit_usage;
    }
    if (const auto misplaced = misplaced_manifest_options(app, c); !misplaced.empty()) {
        err << misplaced;
        return exit_usage;
    }
    try {
        init_logging(c.log_level);
        return dispatch(c, out, err);
    } catch (const distributed::late_start& e) {
        err << "shootout: " << e.what() << '\n';
        return exit_late_start;
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
