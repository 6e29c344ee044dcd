// `shootout run`: one scenario against one URL, from flags instead of a manifest.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include "stats/summarize.h"

#include "errors.h"
#include "files.h"
#include "names.h"
#include "option_parsing.h"
#include "plugin_host.h"
#include "printable.h"
#include "results/environment.h"
#include "results/raw_json.h"
#include "results/summary_json.h"
#include "run/console.h"
#include "run/interrupt.h"
#include "run/search.h"
#include "runner.h"
#include "verdict/threshold.h"

namespace shootout::core {
namespace {

// Sets one option from its text: `path` is the key split at its dots ("expect", "status"),
// walked through the declared tables; `shown` names the pair in messages.
void set_cli_option(const plugin_info& info, const sdk::option_spec* specs, std::size_t count,
                    const std::vector<std::string>& path, std::size_t depth, const std::string& value,
                    sdk::option_values& values, const std::string& shown) {
    const std::string& key = path[depth];
    const std::string dotted = values.key_path(key);
    const auto* spec = std::find_if(specs, specs + count, [&](const sdk::option_spec& s) { return key == s.key; });
    if (spec == specs + count) {
        std::vector<std::string> known;
        for (std::size_t i = 0; i < count; ++i) known.push_back(values.key_path(specs[i].key));
        throw config_error(fmt::format("{}: {} '{}' has no option '{}' (known: {}){}", shown, kind_name(info.kind),
                                       info.id, dotted,
                                       known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", ")),
                                       did_you_mean(dotted, known)));
    }
    const bool last = depth + 1 == path.size();
    if (spec->type == sdk::option_type::table_list)
        throw config_error(fmt::format("{}: '{}' is {}, which only a manifest can give: write it in the plugin's table "
                                       "there",
                                       shown, dotted, describe(spec->type)));
    if (spec->type == sdk::option_type::table && !last) {
        // A copy of the table with the field set: the table held is immutable.
        sdk::option_values table = values.table(key);
        set_cli_option(info, spec->fields, spec->field_count, path, depth + 1, value, table, shown);
        values.set(key, std::make_shared<const sdk::option_values>(std::move(table)));
        return;
    }
    if (!last)
        throw config_error(fmt::format("{}: '{}' is {}, which has no fields", shown, dotted, describe(spec->type)));
    if (spec->type == sdk::option_type::table)
        throw config_error(fmt::format("{}: '{}' is {}; give its fields one by one ({}.KEY=VALUE)", shown, dotted,
                                       describe(spec->type), dotted));
    auto parsed = parse_default(spec->type, value);
    if (!parsed)
        throw config_error(fmt::format("{}: '{}' must be {}{}", shown, dotted, describe(spec->type),
                                       spec->type == sdk::option_type::json ? ", written as in TOML" : ""));
    values.set(key, std::move(*parsed));
}

// Applies "key=value" pairs to a plugin's options, typed by its declaration; a nested table's
// field is "table.key=value".
void apply_cli_options(const plugin_info& info, const std::vector<std::string>& pairs, sdk::option_values& values,
                       std::string_view flag) {
    for (const auto& pair : pairs) {
        const auto eq = pair.find('=');
        if (eq == std::string::npos)
            throw config_error(fmt::format("{} {}: write it as key=value", flag, pair));
        std::vector<std::string> path;
        for (std::string_view rest = std::string_view(pair).substr(0, eq);;) {
            const auto dot = rest.find('.');
            path.emplace_back(rest.substr(0, dot));
            if (dot == std::string_view::npos) break;
            rest.remove_prefix(dot + 1);
        }
        set_cli_option(info, info.options.data(), info.options.size(), path, 0, pair.substr(eq + 1), values,
                       fmt::format("{} {}", flag, pair));
    }
}

// The judged sample of bodies, with the failed fraction and its Wilson 95 % interval: run --json's verdict.
boost::json::object judged_sample_to_json(const sdk::sample_checks& c) {
    boost::json::object o{{"judged", c.judged}, {"failed", c.failed}};
    if (c.judged) {
        const auto range = stats::wilson95(c.failed, c.judged);
        o["failed_fraction"] = static_cast<double>(c.failed) / static_cast<double>(c.judged);
        o["interval95"] = {range.low, range.high};
    }
    return o;
}

/// Version of the `run --json` document; bumped when a field changes meaning or goes away.
constexpr int run_schema_version = 1;

// What decides run's exit code, and why it is not 0.
struct adhoc_verdict {
    std::vector<std::string> problems;         ///< the judge's failure reason, the error problem, an interrupt
    std::optional<std::string> error_problem;  ///< stats::error_problem's, when the errors fail it
    double error_rate = 0;                     ///< errors / (completed + errors)
    bool ok() const noexcept { return problems.empty(); }
};

// Exit 0 only for a measurement that was measured, stayed under the reports' error thresholds,
// met every --threshold and was not interrupted: every other case names its problem.
adhoc_verdict judge_adhoc(const sdk::measurement& m, const sdk::stats::group& judged, const sdk::stats::criteria& criteria,
                          bool interrupted) {
    adhoc_verdict v;
    const auto attempts = m.completed + m.errors.total();
    v.error_rate = attempts ? static_cast<double>(m.errors.total()) / static_cast<double>(attempts) : 0.0;
    v.error_problem = stats::error_problem(m.completed, m.errors, m.body_checks, criteria);
    if (m.outcome != sdk::outcome::measured) v.problems.push_back(m.reason.empty() ? std::string(outcome_name(m.outcome)) : m.reason);
    if (v.error_problem) v.problems.push_back(*v.error_problem);
    for (const auto& check : judged.thresholds)
        if (!check.passed) v.problems.push_back("threshold failed: " + check.text);
    if (interrupted && m.outcome == sdk::outcome::measured)
        v.problems.push_back(fmt::format("interrupted after {:.1f} s, before the load's planned end", m.seconds));
    return v;
}

// --threshold, each parsed before any load is sent: a typo costs no measurement.
sdk::stats::criteria adhoc_criteria(const adhoc_options& o) {
    sdk::stats::criteria criteria;  // the reports' max_error_rate (0.1 %, [verdict]'s default)
    for (const auto& text : o.thresholds) {
        auto parsed = verdict::parse_threshold(text);
        if (auto* problem = std::get_if<verdict::threshold_problem>(&parsed))
            throw config_error(fmt::format("--threshold \"{}\": {}", printable(text), problem->message));
        criteria.thresholds.push_back(std::move(std::get<sdk::stats::threshold>(parsed)));
    }
    return criteria;
}

// The framework name of an ad-hoc measurement in --json (the URL is the document's "target"): a
// valid manifest name, so that "measurement" saved as raw/target__<scenario>__<pattern>__run1.json
// is read by `shootout report` like any raw result.
constexpr const char* adhoc_framework_name = "target";

// `run --json`: the measurement's summary entry, exactly as summary.json's results[] holds it
// (one measurement is one group of one run), the measurement exactly as a raw result holds it,
// and the verdict that decided the exit code. docs/running.md lists where each figure is.
boost::json::object run_to_json(const adhoc_options& o, const sdk::measurement& m, const sdk::result_set& one,
                                const sdk::stats::summary& summary, const adhoc_verdict& v) {
    auto entries = results_to_json(summary);
    return {{"schema", "shootout.run"},
            {"schema_version", run_schema_version},
            {"target", o.target},
            {"scenario", o.scenario},
            {"pattern", o.pattern},
            {"summary", std::move(entries.at(0))},
            {"measurement", measurement_to_json(one.measurements.front(), one.environment)},
            {"verdict",
             {{"ok", v.ok()},
              {"problems", boost::json::value_from(v.problems)},
              {"error_rate", v.error_rate},
              {"body_checks", judged_sample_to_json(m.body_checks)}}}};
}

// The console's table, then the totals wrk users look for.
void print_adhoc_text(const sdk::measurement& m, std::ostream& out) {
    print_summary({m}, out);
    if (m.outcome != sdk::outcome::measured) return;
    out << fmt::format("\n{} requests in {:.2f} s, {:.1f} MB read ({:.1f} MB/s), {:.1f} MB sent ({:.1f} MB/s), "
                       "generator CPU {:.2f} s\n",
                       m.completed, m.seconds, static_cast<double>(m.bytes_received) / 1e6,
                       static_cast<double>(m.bytes_received) / 1e6 / std::max(m.seconds, 1e-9),
                       static_cast<double>(m.bytes_sent) / 1e6,
                       static_cast<double>(m.bytes_sent) / 1e6 / std::max(m.seconds, 1e-9), m.generator_cpu_seconds);
    if (m.requests_per_connection != 0)  // keep-alive, the default, goes without saying
        out << fmt::format("connections: {}, closed by the client (connect times apart from the latency)\n",
                           sdk::connection_mode_text(m.requests_per_connection));
}

// --keep-alive: true (0, no limit), false (1) or the requests per connection, like the
// manifest's [engine] keep_alive.
std::uint32_t requests_per_connection_of(const std::string& text) {
    if (text == "true") return 0;
    if (text == "false") return 1;
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n == 0)
        throw config_error(fmt::format("--keep-alive {}: must be true (keep connections alive), false (a new connection "
                                       "per request) or a number of requests per connection from 1 to {}",
                                       text, UINT32_MAX));
    return n;
}

}  // namespace

void add_adhoc_options(CLI::App& command, adhoc_options& o) {
    command.add_option("--target", o.target, "base URL of the server, like http://127.0.0.1:8080")->required();
    command.add_option("--scenario", o.scenario, "scenario plugin id")->capture_default_str();
    command.add_option("--pattern", o.pattern, "load-pattern plugin id")->capture_default_str();
    command.add_option("--connections", o.connections,
                       "connections (sets the pattern's 'connections'; with constant-rate, the pool's cap)");
    command.add_option("--rate", o.rate, "requests or messages per second (sets the pattern's 'rate': constant-rate)");
    command.add_option("--duration", o.duration, "measured time, like 10s (sets the pattern's 'duration')");
    command.add_option("--warmup", o.warmup, "unmeasured warm-up, like 2s (sets the pattern's 'warmup')");
    command.add_option("--threads", o.threads, "worker threads (0: one per CPU)")->capture_default_str();
    command.add_option("--connect-timeout", o.connect_timeout, "connect timeout")->capture_default_str();
    command.add_option("--request-timeout", o.request_timeout, "request timeout")->capture_default_str();
    command.add_option("--verify-sample", o.verify_sample, "verify one response in N (0: none)")->capture_default_str();
    command.add_option("--keep-alive", o.keep_alive,
                       "HTTP connection mode: true (keep-alive), false (a new connection per request) or N "
                       "(the client closes each connection after N requests)")
        ->capture_default_str();
    command.add_option("--scenario-option", o.scenario_options, "scenario option as key=value (repeatable)");
    command.add_option("--pattern-option", o.pattern_options, "pattern option as key=value (repeatable)");
    command.add_option("--threshold", o.thresholds,
                       "a bound the run must meet, or exit 1: \"p99 < 20ms\", \"rps > 2000\", \"error_rate < 0.1%\" "
                       "(repeatable; the grammar of [[verdict.threshold]])")
        ->allow_extra_args(false);
    command.add_flag("--json", o.json, "print one JSON object to stdout");
    add_distributed_options(command, o.distributed);
    command.add_option("--shard-output", o.shard_output,
                       "write this shard's raw result to DIR/shard-<i>-of-<N>/raw/ (for shootout merge)");
}

void add_distributed_options(CLI::App& command, distributed::distributed_options& o) {
    command.add_option("--shard", o.shard, "drive shard i of N of the load: i/N, or auto (from MPI, Slurm or Kubernetes)");
    command.add_option("--shard-count", o.shard_count, "the shard count when the environment gives only an index "
                                                        "(JOB_COMPLETION_INDEX)");
    command.add_option("--start-at", o.start_at, "start the plan at this instant, ISO 8601 UTC (2026-12-02T05:00:00Z); "
                                                  "a shard ready later refuses to run (exit 3)");
    command.add_option("--source-address", o.source_address,
                       "bind connections to ADDR[,ADDR...] (connection k to address k mod their number), or auto "
                       "(127.0.0.(10+i) for shard i on loopback)");
}

sdk::measurement measure_adhoc(const adhoc_options& o, const std::vector<search_dir>& plugin_dirs) {
    plugin_host host;
    host.discover(plugin_dirs);
    if (!host.problems().empty()) {
        std::string message = "some libraries in the plugin path are not usable plugins:";
        for (const auto& p : host.problems()) message += "\n  " + p.message;
        throw plugin_error(message);
    }
    const auto* scenario_info = host.find(plugin_kind::scenario, o.scenario);
    if (!scenario_info) throw config_error("--scenario: " + host.unknown_plugin_message(plugin_kind::scenario, o.scenario));
    const auto* pattern_info = host.find(plugin_kind::load_pattern, o.pattern);
    if (!pattern_info) throw config_error("--pattern: " + host.unknown_plugin_message(plugin_kind::load_pattern, o.pattern));

    // The target, checked like a manifest's url.
    framework_entry fw;
    fw.name = "target";
    if (auto problem = set_target_url(fw, o.target); !problem.empty()) throw config_error("--target " + problem);

    sdk::option_values scenario_values = scenario_info->defaults;
    apply_cli_options(*scenario_info, o.scenario_options, scenario_values, "--scenario-option");
    sdk::option_values pattern_values = pattern_info->defaults;
    // Each flag sets the pattern option of its name, and its errors name the flag.
    auto set_pattern_option = [&](const char* flag, const char* key, const std::string& value) {
        const auto spec = std::find_if(pattern_info->options.begin(), pattern_info->options.end(),
                                       [key](const sdk::option_spec& s) { return std::string_view(s.key) == key; });
        if (spec == pattern_info->options.end())
            throw config_error(fmt::format("{}: pattern '{}' has no option '{}'{}", flag, o.pattern, key,
                                           std::string_view(key) == "rate" ? "; use --pattern constant-rate"
                                           : o.pattern == "spike"          ? "; give spike its stages with --pattern-option "
                                                                             "stages=..."
                                                                           : ""));
        auto parsed = parse_default(spec->type, value);
        if (!parsed)
            throw config_error(fmt::format("{} {}: {}", flag, value,
                                           spec->type == sdk::option_type::duration ? duration_problem(value)
                                                                                    : "must be " + describe(spec->type)));
        pattern_values.set(key, std::move(*parsed));
    };
    if (o.connections) set_pattern_option("--connections", "connections", std::to_string(*o.connections));
    if (o.rate) set_pattern_option("--rate", "rate", fmt::format("{}", *o.rate));
    if (o.duration) set_pattern_option("--duration", "duration", *o.duration);
    if (o.warmup) set_pattern_option("--warmup", "warmup", *o.warmup);
    apply_cli_options(*pattern_info, o.pattern_options, pattern_values, "--pattern-option");

    std::unique_ptr<sdk::scenario> scenario;
    std::unique_ptr<sdk::load_pattern> pattern;
    try {
        scenario = host.make_scenario(*scenario_info, scenario_values);
    } catch (const sdk::config_error& e) {
        throw config_error(fmt::format("--scenario-option {}: scenario '{}': {}", e.key(), o.scenario, e.what()));
    }
    try {
        pattern = host.make_load_pattern(*pattern_info, pattern_values);
    } catch (const sdk::config_error& e) {
        // Named by the flag that set it, when a flag did.
        const bool by_option = std::any_of(o.pattern_options.begin(), o.pattern_options.end(),
                                           [&](const std::string& kv) { return kv.rfind(e.key() + "=", 0) == 0; });
        const bool by_flag = !by_option && ((e.key() == "connections" && o.connections) || (e.key() == "rate" && o.rate) ||
                                            (e.key() == "duration" && o.duration) || (e.key() == "warmup" && o.warmup));
        throw config_error(by_flag ? fmt::format("--{}: pattern '{}': {}", e.key(), o.pattern, e.what())
                                   : fmt::format("--pattern-option {}: pattern '{}': {}", e.key(), o.pattern, e.what()));
    }

    measure_request request;
    request.target = target_of(fw);
    request.target.framework = o.target;
    request.scenario = scenario.get();
    request.scenario_name = o.scenario;
    request.pattern_name = o.pattern;
    auto duration_of = [](const std::string& text, std::string_view flag) {
        auto d = parse_duration(text);
        if (!d) throw config_error(fmt::format("{} {}: {}", flag, text, duration_problem(text)));
        return *d;
    };
    // The same bounds as the manifest's [engine] table.
    if (o.threads > 1024) throw config_error(fmt::format("--threads {}: must be at most 1024 (0: one per CPU)", o.threads));
    request.engine.threads = o.threads;
    request.engine.connect_timeout = duration_of(o.connect_timeout, "--connect-timeout");
    request.engine.request_timeout = duration_of(o.request_timeout, "--request-timeout");
    for (auto [flag, value] : {std::pair{"--connect-timeout", request.engine.connect_timeout},
                               std::pair{"--request-timeout", request.engine.request_timeout}})
        if (value < std::chrono::milliseconds(1))
            throw config_error(fmt::format("{}: must be at least 1ms; every request would time out", flag));
    request.engine.verify_sample = o.verify_sample;
    request.engine.requests_per_connection = requests_per_connection_of(o.keep_alive);
    if (request.engine.requests_per_connection != 0 && scenario->transport() != sdk::transport::http)
        throw config_error(fmt::format("--keep-alive {}: scenario '{}' speaks WebSocket, whose connection carries every "
                                       "message of the run; the connection mode applies to HTTP scenarios only",
                                       o.keep_alive, o.scenario));
    const auto distributed = distributed::read_distributed_options(o.distributed, std::getenv);
    if (!o.shard_output.empty() && !distributed.shard)
        throw config_error("--shard-output goes with --shard: it writes one shard's result for shootout merge");
    request.shard = distributed.shard;
    request.start_at = distributed.start_at;
    request.start_at_text = distributed.start_at_text;
    request.source_addresses = distributed::source_addresses(o.distributed.source_address, distributed.shard, fw.host);
    request.synchronise = o.synchronise;
    request.interrupted = &interrupt_flag();
    request.show_progress = true;
    const interrupt_scope interrupts;  // first, so that no earlier interrupt is read as this one's
    // run_adhoc judges by the default criteria; a search's error bound defaults to the same.
    return measure_with(std::move(request), *pattern, sdk::stats::criteria{}.max_error_rate);
}

bool adhoc_interrupted() { return interrupt_requested(); }

namespace {

// --shard-output: the shard's raw result where `shootout merge` finds it, named as a manifest
// run's raw/ names it (the framework is "target", as in --json).
void write_shard_output(const adhoc_options& o, const sdk::measurement& m, const sdk::environment& environment) {
    const auto dir = std::filesystem::path(o.shard_output) /
                     fmt::format("shard-{}-of-{}", m.shard ? m.shard->index : 0, m.shard ? m.shard->count : 1) / "raw";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error(fmt::format("--shard-output: cannot create {}: {}", dir.string(), ec.message()));
    const auto file = dir / (result_stem(adhoc_framework_name, m.scenario, m.pattern, m.run) + ".json");
    write_file_atomically(file, boost::json::serialize(adhoc_raw_document(m, environment)));
    spdlog::info("shard result in {}", file.string());
}

}  // namespace

int run_adhoc(const adhoc_options& o, const std::vector<search_dir>& plugin_dirs, std::ostream& out) {
    // A bad --threshold is an error before any load is sent (print_adhoc_result judges by them).
    static_cast<void>(adhoc_criteria(o));
    auto environment = current_environment();
    environment.started_at = utc_now();
    sdk::measurement m;
    try {
        m = measure_adhoc(o, plugin_dirs);
    } catch (const distributed::late_start& e) {
        spdlog::error("{}", e.what());
        return exit_late_start;
    }
    environment.finished_at = utc_now();
    if (!o.shard_output.empty()) write_shard_output(o, m, environment);
    return print_adhoc_result(o, m, environment, out);
}

boost::json::object adhoc_raw_document(const sdk::measurement& m, const sdk::environment& environment) {
    auto named = m;
    named.framework = adhoc_framework_name;
    return measurement_to_json(named, environment).as_object();
}

int print_adhoc_result(const adhoc_options& o, const sdk::measurement& m, const sdk::environment& environment,
                       std::ostream& out, const boost::json::object& extra) {
    // The reports' threshold (max_error_rate, 0.1 % by default): above it the server failed under
    // this load, and the exit code says so, as a manifest run's does; and every --threshold.
    const auto criteria = adhoc_criteria(o);
    // One measurement is one group of one run, summarised as a manifest run's would be; named
    // by its URL on the console (as its table row), by adhoc_framework_name in --json.
    sdk::result_set one{environment, {m}};
    if (o.json) one.measurements.front().framework = adhoc_framework_name;
    const auto summary = stats::summarize(one, criteria);
    const auto verdict = judge_adhoc(m, summary.groups.front(), criteria, interrupt_requested());
    if (verdict.error_problem && m.outcome == sdk::outcome::measured) spdlog::error("failed: {}", *verdict.error_problem);
    // Standard output is the result (a file, a pipe): if it could not take it, say so, never exit 0.
    // errno is cleared before the writing, which a large document does before the flush.
    errno = 0;
    if (o.json) {
        for (const auto& check : summary.groups.front().thresholds)
            if (!check.passed) spdlog::error("threshold failed: {}", check.text);
        auto doc = run_to_json(o, m, one, summary, verdict);
        for (const auto& [key, value] : extra) doc[key] = value;
        out << boost::json::serialize(doc) << '\n';
    } else {
        print_adhoc_text(m, out);
        print_thresholds(summary, out);
    }
    out.flush();
    if (!out) {
        spdlog::error("cannot write the {} to standard output: {}", o.json ? "--json result" : "result",
                      errno ? std::strerror(errno) : "the stream failed");
        return exit_run_failed;
    }
    return verdict.ok() ? exit_ok : exit_run_failed;
}

}  // namespace shootout::core
