// `shootout --config FILE`: every framework × scenario × pattern × run of a manifest, each
// recorded as soon as it ends, then the reports and the verdicts.
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <shootout/sdk/reporter.h>
#include <shootout/sdk/statistics.h>

#include "database/postgres.h"
#include "errors.h"
#include "launcher/framework_server.h"
#include "names.h"
#include "observe/profile_window.h"
#include "printable.h"
#include "report.h"
#include "results_json.h"
#include "run/console.h"
#include "run/interrupt.h"
#include "runner.h"

namespace shootout::core {
namespace {

namespace fs = std::filesystem;

std::string cpu_list(const std::vector<int>& cpus) { return fmt::format("{}", fmt::join(cpus, ",")); }

bool listed(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

struct recorded {
    raw_result document;  ///< as read back from the text written
    bool saved = true;    ///< false: the file could not be written (the reports still have it)
};

// Writes a measurement's raw result as soon as it exists (an interrupted run keeps every finished
// one) and reads it back, as `shootout report` would. Each document's environment ends when it
// does, so the last one's end is the run's. If the measurement cannot be recorded as it is, it
// is recorded as failed with the reason: a measurement is never lost, nor the run with it.
recorded record(sdk::measurement& result, sdk::environment& environment, const fs::path& raw_dir, std::size_t sequence) {
    environment.finished_at = utc_now();
    const auto file = sdk::path_inside(raw_dir, result_stem(result.framework, result.scenario, result.pattern, result.run) + ".json");
    recorded r;
    for (int attempt = 0;; ++attempt) {
        std::string text;
        try {
            auto doc = measurement_to_json(result, environment);
            doc.as_object()["sequence"] = sequence;
            text = boost::json::serialize(doc);
            r.document = measurement_from_json(boost::json::parse(text));
        } catch (const std::exception& e) {
            if (attempt > 0) throw;  // a failed measurement with its reason is always recordable
            spdlog::error("{} / {} / {} run {}: the result could not be recorded: {}", result.framework, result.scenario,
                          result.pattern, result.run, e.what());
            auto failed = sdk::measurement{};
            failed.framework = result.framework;
            failed.scenario = result.scenario;
            failed.pattern = result.pattern;
            failed.run = result.run;
            failed.outcome = sdk::outcome::failed;
            failed.reason = printable(fmt::format("the result could not be recorded: {}", e.what()));
            result = std::move(failed);
            continue;
        }
        try {
            write_file_atomically(file, text);
        } catch (const std::exception& e) {
            spdlog::error("could not save a result: {}", e.what());
            r.saved = false;
        }
        r.document.source = file.filename().string();
        return r;
    }
}

// Only the link shootout made is replaced: a real directory (or file) of that name is someone's,
// and is said to be in the way rather than removed or silently left pointing nowhere new.
void point_latest_at(const fs::path& latest, const fs::path& run_dir) {
    std::error_code ec;
    const auto status = fs::symlink_status(latest, ec);
    if (fs::exists(status) && !fs::is_symlink(status)) {
        spdlog::warn("{} is a {}, not the link shootout keeps to the latest run, so it was left as it is and does not "
                     "point at {}; move it away to have the link back",
                     latest.string(), fs::is_directory(status) ? "directory" : "file", run_dir.string());
        return;
    }
    fs::remove(latest, ec);
    fs::create_directory_symlink(run_dir.filename(), latest, ec);
    if (ec) spdlog::warn("could not point {} at {}: {}", latest.string(), run_dir.string(), ec.message());
}

}  // namespace

int run_manifest(const manifest& m, plugin_instances& instances, std::ostream& out) {
    sdk::result_set results;
    results.environment = current_environment();
    results.environment.manifest_path = m.file.string();
    results.environment.manifest_sha256 = m.sha256;
    results.environment.started_at = utc_now();

    // A directory of its own for this run, never one that exists: two runs started in the same
    // second get "-2", "-3"...
    std::error_code ec;
    fs::create_directories(m.output_dir, ec);
    fs::path run_dir = m.output_dir / utc_now("%Y%m%d-%H%M%S");
    for (int n = 2; !ec && !fs::create_directory(run_dir, ec) && n < 1000; ++n)
        run_dir = m.output_dir / (utc_now("%Y%m%d-%H%M%S") + "-" + std::to_string(n));
    const fs::path raw_dir = run_dir / "raw";
    if (!ec) fs::create_directories(raw_dir, ec);
    if (ec) throw config_error(fmt::format("cannot create the output directory {}: {}; set output_dir in {} to a "
                                           "writable place",
                                           raw_dir.string(), ec.message(), m.file.string()));
    spdlog::info("results go to {}", run_dir.string());

    const sdk::report_context report_context{run_dir, out, std::cerr};
    for (std::size_t i = 0; i < instances.reporters.size(); ++i) {
        try {
            instances.reporters[i]->begin(report_context);
        } catch (const std::exception& e) {
            spdlog::error("reporter '{}' failed to begin: {}", m.reporters[i].name, e.what());
        }
    }

    std::optional<interrupt_scope> interrupts(std::in_place);

    // The generator's CPUs: pinned before any worker thread exists, so all of them inherit it.
    if (!m.engine.cpus.empty()) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int c : m.engine.cpus) CPU_SET(c, &set);
        if (::sched_setaffinity(0, sizeof set, &set) != 0)
            throw config_error(fmt::format("[engine] cpus = [{}]: cannot pin the generator: {}", cpu_list(m.engine.cpus),
                                           std::strerror(errno)));
        spdlog::info("generator pinned to CPU {}", cpu_list(m.engine.cpus));
    }

    std::unique_ptr<database::postgres> db;
    if (m.database.mode == database_settings::kind::embedded) {
        // The database belongs to the systems under test: on the servers' CPUs ([local] cpus), or
        // at least off the generator's, never competing with the load it answers.
        std::vector<int> db_cpus = m.local.cpus;
        if (db_cpus.empty() && !m.engine.cpus.empty()) {
            // (Not this process's affinity: the generator is pinned already.)
            const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
            for (int c = 0; c < online; ++c)
                if (std::find(m.engine.cpus.begin(), m.engine.cpus.end(), c) == m.engine.cpus.end()) db_cpus.push_back(c);
        }
        spdlog::info("starting an embedded PostgreSQL{}",
                     db_cpus.empty() ? std::string() : fmt::format(" on CPU {}", cpu_list(db_cpus)));
        db = database::start_embedded(m.database.init_sql, m.database.max_connections, db_cpus);
    } else if (m.database.mode == database_settings::kind::external) {
        db = database::connect_external(m.database.dsn, m.database.init_sql);
    }

    // Where the whole run is, for the progress line: the planned load time of each pattern
    // (start-up and correctness checks are not planned, so "left" is a lower bound).
    std::vector<double> planned_seconds(m.patterns.size(), 0.0);
    for (std::size_t p = 0; p < m.patterns.size(); ++p) {
        try {
            for (const auto& phase : instances.patterns[p]->plan().phases)
                planned_seconds[p] += std::chrono::duration<double>(phase.length).count();
        } catch (const std::exception&) {
            // measure() reports a pattern that cannot plan; here it only counts as no time.
        }
    }
    std::map<std::string, std::optional<std::string>> not_installed;
    for (const auto& fw : m.frameworks) {
        not_installed[fw.name] = installation_problem(fw);
        if (not_installed[fw.name]) spdlog::warn("{}: will be skipped: {}", fw.name, *not_installed[fw.name]);
    }
    // Measurements that will not load anything (a framework not installed, WebSocket where the
    // manifest says there is none) take no planned time.
    auto will_load = [&](const framework_entry& fw, std::size_t s) {
        return !not_installed[fw.name] &&
               (instances.scenarios[s]->transport() != sdk::transport::websocket || fw.websocket);
    };
    run_progress overall;
    overall.started = std::chrono::steady_clock::now();
    overall.total = m.runs * m.frameworks.size() * m.scenarios.size() * m.patterns.size();
    for (const auto& fw : m.frameworks)
        for (std::size_t s = 0; s < m.scenarios.size(); ++s)
            for (std::size_t p = 0; p < m.patterns.size(); ++p)
                if (will_load(fw, s)) overall.planned_seconds_left += planned_seconds[p] * m.runs;

    // The reports are made from the documents as written (read back from their text), exactly
    // as `shootout report` reads them from disk, so both produce the same bytes.
    std::vector<raw_result> documents;
    bool any_failed = false;
    auto one = [&](const framework_entry& fw, running_framework& server, std::size_t s, std::size_t p, unsigned run) {
        ++overall.current;
        if (will_load(fw, s))
            overall.planned_seconds_left = std::max(0.0, overall.planned_seconds_left - planned_seconds[p]);
        sdk::measurement result;
        const auto& scenario_entry = m.scenarios[s];
        const auto& pattern_entry = m.patterns[p];
        auto* scenario = instances.scenarios[s].get();
        const bool counts_writes = db && listed(m.database.count_writes, scenario_entry.name);
        std::uint64_t rows_before = 0;
        try {
            if (scenario->transport() == sdk::transport::websocket && !fw.websocket) {
                result.outcome = sdk::outcome::not_supported;  // known without running anything
                result.reason = fmt::format("{} has no WebSocket support (websocket = false in the manifest)", fw.name);
            } else if (interrupt_requested()) {
                result.outcome = sdk::outcome::skipped;
                result.reason = "the run was interrupted";
            } else if (server.unavailable()) {
                result.outcome = sdk::outcome::skipped;
                result.reason = *server.unavailable();
            } else if (auto died = server.died()) {
                result.outcome = sdk::outcome::failed;
                result.reason = *died;
            } else {
                try {
                    if (db && listed(m.database.reset_before, scenario_entry.name)) db->reset();
                    if (counts_writes) rows_before = db->row_count();
                } catch (const std::exception& e) {
                    result.outcome = sdk::outcome::failed;
                    result.reason = fmt::format("the database could not be prepared: {}", e.what());
                }
                if (result.reason.empty()) {
                    measure_request request;
                    request.target = target_of(fw);
                    request.scenario = scenario;
                    request.scenario_name = scenario_entry.name;
                    request.pattern_name = pattern_entry.name;
                    request.run = run;
                    request.engine = m.engine;
                    request.interrupted = &interrupt_flag();
                    request.server_pid = server.pid();
                    request.overall = &overall;
                    if (server.pid() == 0) request.container = fw.container;
                    std::optional<std::string> profile_problem;
                    if (m.profile.wants(fw.name, scenario_entry.name, pattern_entry.name)) {
                        auto chosen = choose_profiler(m.profile, fw, server.pid(), server.sampler_dir());
                        if (auto* plan = std::get_if<observe::profile_plan>(&chosen)) {
                            const auto stem = result_stem(fw.name, scenario_entry.name, pattern_entry.name, run);
                            plan->session = stem;
                            plan->work_dir = run_dir / "profiles" / ".work";
                            request.profile = *plan;
                            request.profile_relative = "profiles/" + stem + ".folded";
                            request.profile_output = sdk::path_inside(run_dir, request.profile_relative);
                        } else {
                            profile_problem = "profile: " + std::get<std::string>(chosen);
                            spdlog::warn("{} / {}: {}", fw.name, scenario_entry.name, *profile_problem);
                        }
                    }
                    std::string plan_problem;
                    if (auto plan = plan_of(*instances.patterns[p], pattern_entry.name, plan_problem)) {
                        request.plan = std::move(*plan);
                        result = measure(request);
                    } else {
                        result = failed_measurement(request, plan_problem);
                    }
                    if (profile_problem) result.warnings.push_back(*profile_problem);
                    if (auto died = server.died()) {
                        // What was measured stays in the raw result; the verdict is that the server died.
                        result.outcome = sdk::outcome::failed;
                        result.reason = *died;
                    }
                    if (counts_writes && result.outcome == sdk::outcome::measured) {
                        sdk::write_accounting w;
                        try {
                            const auto rows_after = db->row_count();
                            w.rows_added = rows_after >= rows_before ? rows_after - rows_before : 0;
                            w.answered_2xx = result.answered_2xx_all_phases;
                            w.in_flight_at_end = result.in_flight_at_end;
                            w.lost = w.answered_2xx > w.rows_added ? w.answered_2xx - w.rows_added : 0;
                            const auto accounted = w.answered_2xx + w.in_flight_at_end;
                            w.phantom = w.rows_added > accounted ? w.rows_added - accounted : 0;
                            result.writes = w;
                            if (w.lost) {
                                result.outcome = sdk::outcome::failed;
                                result.reason = fmt::format("lost writes: {} answered 2xx but only {} rows were added", w.answered_2xx,
                                                            w.rows_added);
                            }
                            if (w.phantom)
                                result.warnings.push_back(fmt::format("phantom writes: {} rows added, {} answered 2xx, {} in flight "
                                                                      "at the end",
                                                                      w.rows_added, w.answered_2xx, w.in_flight_at_end));
                        } catch (const std::exception& e) {
                            result.warnings.push_back(fmt::format("could not count the rows written: {}", e.what()));
                        }
                    }
                }
            }
        } catch (const std::exception& e) {
            // Whatever went wrong, it concerns this measurement only: it fails, the run goes on.
            result = sdk::measurement{};
            result.outcome = sdk::outcome::failed;
            result.reason = fmt::format("the measurement could not be made: {}", e.what());
        }
        result.framework = fw.name;
        result.scenario = scenario_entry.name;
        result.pattern = pattern_entry.name;
        result.run = run;
        if (!server.cpus().empty()) result.extra["server_cpus"] = cpu_list(server.cpus());
        if (!m.engine.cpus.empty()) result.extra["generator_cpus"] = cpu_list(m.engine.cpus);
        if (!server.version().empty()) results.environment.framework_versions[fw.name] = printable(server.version());
        make_printable(result);  // the database's and launcher's messages may quote the server too
        auto raw = record(result, results.environment, raw_dir, documents.size());
        if (!raw.saved) any_failed = true;
        if (result.outcome == sdk::outcome::failed) any_failed = true;
        if (result.outcome == sdk::outcome::measured)
            spdlog::info("{} / {} / {} run {}: {:.1f} req/s, p99 {:.2f} ms, {} errors", fw.name, scenario_entry.name,
                         pattern_entry.name, run, result.rate, ms(result.latency_us.value_at_percentile(99)),
                         result.errors.total());
        else
            spdlog::warn("{} / {} / {} run {}: {}: {}", fw.name, scenario_entry.name, pattern_entry.name, run,
                         outcome_text(result.outcome), result.reason);
        documents.push_back(std::move(raw.document));
        for (std::size_t i = 0; i < instances.reporters.size(); ++i) {
            try {
                instances.reporters[i]->on_measurement(result);
            } catch (const std::exception& e) {
                spdlog::error("reporter '{}' failed on a measurement: {}", m.reporters[i].name, e.what());
            }
        }
        results.measurements.push_back(std::move(result));
    };

    // Local frameworks run one at a time: started before their scenarios, stopped after.
    const fs::path log_dir = run_dir / "logs";
    auto with_framework = [&](const framework_entry& fw, auto&& body) {
        // A Python server to profile loads the sampler at start; [profile] picks when it records.
        const bool sampler = fw.mode == framework_entry::launch_mode::local && m.profile.wants_framework(fw.name) &&
                             (m.profile.profiler == profile_settings::choice::automatic ||
                              m.profile.profiler == profile_settings::choice::python_sampler) &&
                             !observe::python_sampler_dir().empty();
        running_framework server(fw, m, db.get(), log_dir,
                                 // absolute: the servers change directory (gunicorn --chdir)
                                 sampler ? fs::absolute(sdk::path_inside(run_dir, fs::path("profiles") / ".python-sampler" / fw.name))
                                         : fs::path(),
                                 not_installed[fw.name]);
        if (server.unavailable() && !not_installed[fw.name]) spdlog::warn("{}: skipped: {}", fw.name, *server.unavailable());
        body(server);
    };
    if (m.interleave) {
        for (unsigned run = 1; run <= m.runs; ++run)
            for (const auto& fw : m.frameworks)
                with_framework(fw, [&](running_framework& server) {
                    for (std::size_t s = 0; s < m.scenarios.size(); ++s)
                        for (std::size_t p = 0; p < m.patterns.size(); ++p) one(fw, server, s, p, run);
                });
    } else {
        for (const auto& fw : m.frameworks)
            with_framework(fw, [&](running_framework& server) {
                for (unsigned run = 1; run <= m.runs; ++run)
                    for (std::size_t s = 0; s < m.scenarios.size(); ++s)
                        for (std::size_t p = 0; p < m.patterns.size(); ++p) one(fw, server, s, p, run);
            });
    }
    interrupts.reset();  // reports are written whatever the user presses now

    std::vector<std::string> reporter_names;
    for (const auto& r : m.reporters) reporter_names.push_back(r.name);
    if (!finish_reporters(instances.reporters, reporter_names, assemble_results(std::move(documents)))) any_failed = true;
    if (!instances.reporters.empty()) spdlog::info("reports ({}) in {}", fmt::join(reporter_names, ", "), run_dir.string());
    print_summary(results.measurements, out);
    // The verdicts the reports give, on the console and in the exit code too: a framework over
    // the error threshold failed, even though each of its runs was measured.
    // The threshold a reporter's table sets (the first one that does), else the reports' default.
    sdk::stats::criteria criteria;
    for (const auto& r : m.reporters) {
        const auto spec = std::find_if(r.plugin->options.begin(), r.plugin->options.end(), [](const sdk::option_spec& o) {
            return std::string_view(o.key) == "max_error_rate" && o.type == sdk::option_type::number;
        });
        if (spec != r.plugin->options.end() && r.option_locations.count("max_error_rate")) {
            criteria.max_error_rate = r.options.number("max_error_rate");
            break;
        }
    }
    bool heading = false;
    for (const auto& g : sdk::stats::summarize(results, criteria).groups) {
        if (g.verdict != sdk::stats::verdict::failed) continue;
        if (!heading) out << "\nfailed:\n";
        heading = true;
        out << fmt::format("  {} / {} / {}: {}\n", g.framework, g.scenario, g.pattern, g.reason);
        any_failed = true;
    }
    out << fmt::format("\nraw results: {}\n", raw_dir.string());

    // `latest` points at this run, for people and scripts; the run directories themselves are never reused.
    // The profilers' scratch space (control files, perf.data) is not a result.
    fs::remove_all(run_dir / "profiles" / ".python-sampler", ec);
    fs::remove(run_dir / "profiles" / ".work", ec);  // kept if a profiler left its log there

    point_latest_at(m.output_dir / "latest", run_dir);

    if (interrupt_requested()) {
        spdlog::warn("interrupted: the measurements finished so far are saved in {}", raw_dir.string());
        return exit_run_failed;
    }
    return any_failed ? exit_run_failed : exit_ok;
}

}  // namespace shootout::core
