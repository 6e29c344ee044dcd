// `shootout --config FILE`: every framework × scenario × pattern × run of a manifest, each
// recorded as soon as it ends, then the reports and the verdicts.
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <shootout/sdk/reporter.h>
#include "stats/summarize.h"

#include "database/postgres.h"
#include "errors.h"
#include "launcher/framework_server.h"
#include "names.h"
#include "observe/profile_window.h"
#include "printable.h"
#include "report.h"
#include "files.h"
#include "results/environment.h"
#include "results/raw_json.h"
#include "run/console.h"
#include "run/search.h"
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

}  // namespace

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

namespace {

// A directory of its own for this run, never one that exists: two runs started in the same
// second get "-2", "-3"...
fs::path make_run_directory(const manifest& m) {
    std::error_code ec;
    fs::create_directories(m.output_dir, ec);
    fs::path run_dir = m.output_dir / utc_now("%Y%m%d-%H%M%S");
    for (int n = 2; !ec && !fs::create_directory(run_dir, ec) && n < 1000; ++n)
        run_dir = m.output_dir / (utc_now("%Y%m%d-%H%M%S") + "-" + std::to_string(n));
    if (!ec) fs::create_directories(run_dir / "raw", ec);
    if (ec) throw config_error(fmt::format("cannot create the output directory {}: {}; set output_dir in {} to a "
                                           "writable place",
                                           (run_dir / "raw").string(), ec.message(), m.file.string()));
    spdlog::info("results go to {}", run_dir.string());
    return run_dir;
}

// The generator's CPUs: pinned before any worker thread exists, so all of them inherit it.
void pin_generator(const manifest& m) {
    if (m.engine.cpus.empty()) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : m.engine.cpus) CPU_SET(c, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0)
        throw config_error(fmt::format("[engine] cpus = [{}]: cannot pin the generator: {}", cpu_list(m.engine.cpus),
                                       std::strerror(errno)));
    spdlog::info("generator pinned to CPU {}", cpu_list(m.engine.cpus));
}

// The database belongs to the systems under test: on the servers' CPUs ([local] cpus), or at
// least off the generator's, never competing with the load it answers.
std::unique_ptr<database::postgres> start_database(const manifest& m) {
    if (m.database.mode == database_settings::kind::external)
        return database::connect_external(m.database.dsn, m.database.init_sql);
    if (m.database.mode != database_settings::kind::embedded) return nullptr;
    std::vector<int> db_cpus = m.local.cpus;
    if (db_cpus.empty() && !m.engine.cpus.empty()) {
        // (Not this process's affinity: the generator is pinned already.)
        const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
        for (int c = 0; c < online; ++c)
            if (std::find(m.engine.cpus.begin(), m.engine.cpus.end(), c) == m.engine.cpus.end()) db_cpus.push_back(c);
    }
    spdlog::info("starting an embedded PostgreSQL{}", db_cpus.empty() ? std::string() : fmt::format(" on CPU {}", cpu_list(db_cpus)));
    return database::start_embedded(m.database.init_sql, m.database.max_connections, db_cpus);
}

// Rows a write scenario added, against the answers the generator saw: a framework that answered
// 2xx for writes it did not make lost them, and fails.
void audit_writes(database::postgres& db, std::uint64_t rows_before, sdk::measurement& result) {
    sdk::write_accounting w;
    try {
        const auto rows_after = db.row_count();
        w.rows_added = rows_after >= rows_before ? rows_after - rows_before : 0;
        w.answered_2xx = result.answered_2xx_all_phases;
        w.in_flight_at_end = result.in_flight_at_end;
        w.lost = w.answered_2xx > w.rows_added ? w.answered_2xx - w.rows_added : 0;
        const auto accounted = w.answered_2xx + w.in_flight_at_end;
        w.phantom = w.rows_added > accounted ? w.rows_added - accounted : 0;
        result.writes = w;
        if (w.lost) {
            result.outcome = sdk::outcome::failed;
            result.reason = fmt::format("lost writes: {} answered 2xx but only {} rows were added", w.answered_2xx, w.rows_added);
        }
        if (w.phantom)
            result.warnings.push_back(fmt::format("phantom writes: {} rows added, {} answered 2xx, {} in flight at the end",
                                                  w.rows_added, w.answered_2xx, w.in_flight_at_end));
    } catch (const std::exception& e) {
        result.warnings.push_back(fmt::format("could not count the rows written: {}", e.what()));
    }
}

// One manifest run: its directory, database, progress and documents, and one step per
// measurement. Local frameworks run one at a time, started before their scenarios and stopped
// after.
// A manifest run cut into shards has no barrier: every shard starts each measurement at a
// planned instant, the first at --start-at and each next one a planned load plus the gap later
// (shard 0 stops and starts servers, resets the database and checks correctness in the gap). A
// measurement that is skipped keeps its slot, so that every shard counts the same slots.
class shard_slots {
public:
    shard_slots(const distributed::distributed_plan& plan, std::chrono::nanoseconds gap) : plan_(plan), gap_(gap) {
        if (plan.shard && !plan.start_at)
            throw config_error("a manifest run with --shard needs --start-at: the shards start each measurement at a "
                               "planned instant (shootout-mpi starts them together instead)");
        next_ = plan.start_at;
    }
    bool sharded() const { return plan_.shard.has_value(); }
    const std::optional<distributed::shard_spec>& shard() const { return plan_.shard; }
    /// The start of the next measurement's slot (none without a start time), and the slot after.
    std::optional<std::chrono::system_clock::time_point> take(double planned_seconds) {
        const auto now = next_;
        if (next_)
            *next_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::duration<double>(planned_seconds) + gap_);
        return now;
    }

private:
    distributed::distributed_plan plan_;
    std::chrono::nanoseconds gap_;
    std::optional<std::chrono::system_clock::time_point> next_;
};

class manifest_run {
public:
    manifest_run(const manifest& m, plugin_instances& instances, std::ostream& out, const distributed::distributed_plan& distributed,
                 std::optional<std::string> source_address, std::chrono::nanoseconds shard_gap)
        : m_(m), instances_(instances), out_(out), slots_(distributed, shard_gap), source_address_(std::move(source_address)),
          run_dir_(make_run_directory(m)), raw_dir_(run_dir_ / "raw") {
        results_.environment = current_environment();
        results_.environment.manifest_path = m.file.string();
        results_.environment.manifest_sha256 = m.sha256;
        results_.environment.started_at = utc_now();
    }

    int run() {
        begin_reporters();
        std::optional<interrupt_scope> interrupts(std::in_place);
        pin_generator(m_);
        db_ = start_database(m_);
        plan_progress();
        for_each_measurement();
        int code;
        {
            // The reports are written and the database stopped and removed whatever the user
            // presses now: a signal waits for them, then counts as an interrupt (or, if it is the
            // second, ends the process as it would have).
            const signals_held_back held;
            code = finish();
            db_.reset();
        }
        interrupts.reset();
        return interrupt_requested() ? exit_run_failed : code;
    }

private:
    void begin_reporters() {
        const sdk::report_context report_context{run_dir_, out_, std::cerr};
        for (std::size_t i = 0; i < instances_.reporters.size(); ++i) {
            try {
                instances_.reporters[i]->begin(report_context);
            } catch (const std::exception& e) {
                spdlog::error("reporter '{}' failed to begin: {}", m_.reporters[i].name, e.what());
            }
        }
    }

    // Where the whole run is, for the progress line: the planned load time of each pattern
    // (start-up and correctness checks are not planned, so "left" is a lower bound).
    void plan_progress() {
        planned_seconds_.assign(m_.patterns.size(), 0.0);
        for (std::size_t p = 0; p < m_.patterns.size(); ++p) {
            try {
                for (const auto& phase : instances_.patterns[p]->plan().phases)
                    planned_seconds_[p] += std::chrono::duration<double>(phase.length).count();
            } catch (const std::exception&) {
                // measure() reports a pattern that cannot plan; here it only counts as no time.
            }
        }
        for (const auto& fw : m_.frameworks) {
            not_installed_[fw.name] = installation_problem(fw);
            if (not_installed_[fw.name]) spdlog::warn("{}: will be skipped: {}", fw.name, *not_installed_[fw.name]);
        }
        overall_.started = std::chrono::steady_clock::now();
        overall_.total = 0;
        for (const auto& fw : m_.frameworks)
            for (std::size_t s = 0; s < m_.scenarios.size(); ++s)
                for (std::size_t p = 0; p < m_.patterns.size(); ++p) {
                    if (!measures(s, p)) continue;
                    overall_.total += m_.runs;
                    if (will_load(fw, s)) overall_.planned_seconds_left += planned_seconds_[p] * m_.runs;
                }
    }

    // Whether pattern p measures scenario s at all: a scenario's `patterns` can leave some out.
    bool measures(std::size_t s, std::size_t p) const { return m_.scenarios[s].measured_under(m_.patterns[p].name); }

    // Measurements that will not load anything (a framework not installed, WebSocket where the
    // manifest says there is none) take no planned time.
    bool will_load(const framework_entry& fw, std::size_t s) {
        return !not_installed_[fw.name] && (instances_.scenarios[s]->transport() != sdk::transport::websocket || fw.websocket);
    }

    void for_each_measurement() {
        auto all_of = [&](const framework_entry& fw, running_framework& server, unsigned run) {
            for (std::size_t s = 0; s < m_.scenarios.size(); ++s)
                for (std::size_t p = 0; p < m_.patterns.size(); ++p)
                    if (measures(s, p)) one(fw, server, s, p, run);
        };
        if (m_.interleave) {
            for (unsigned run = 1; run <= m_.runs; ++run)
                for (const auto& fw : m_.frameworks) with_framework(fw, [&](running_framework& server) { all_of(fw, server, run); });
        } else {
            for (const auto& fw : m_.frameworks)
                with_framework(fw, [&](running_framework& server) {
                    for (unsigned run = 1; run <= m_.runs; ++run) all_of(fw, server, run);
                });
        }
    }

    template <typename Body>
    void with_framework(const framework_entry& fw, Body&& body) {
        // A Python server to profile loads the sampler at start; [profile] picks when it records.
        const bool sampler = fw.mode == framework_entry::launch_mode::local && m_.profile.wants_framework(fw.name) &&
                             (m_.profile.profiler == profile_settings::choice::automatic ||
                              m_.profile.profiler == profile_settings::choice::python_sampler) &&
                             !observe::python_sampler_dir().empty();
        running_framework server(fw, m_, db_.get(), run_dir_ / "logs",
                                 // absolute: the servers change directory (gunicorn --chdir)
                                 sampler ? fs::absolute(sdk::path_inside(run_dir_, fs::path("profiles") / ".python-sampler" / fw.name))
                                         : fs::path(),
                                 not_installed_[fw.name]);
        if (server.unavailable() && !not_installed_[fw.name]) spdlog::warn("{}: skipped: {}", fw.name, *server.unavailable());
        body(server);
    }

    // Why this measurement is not attempted at all, as its outcome, or nothing.
    std::optional<std::pair<sdk::outcome, std::string>> not_attempted(const framework_entry& fw, running_framework& server,
                                                                      std::size_t s) {
        if (instances_.scenarios[s]->transport() == sdk::transport::websocket && !fw.websocket)
            return std::pair(sdk::outcome::not_supported,  // known without running anything
                             fmt::format("{} has no WebSocket support (websocket = false in the manifest)", fw.name));
        if (interrupt_requested()) return std::pair(sdk::outcome::skipped, std::string("the run was interrupted"));
        if (server.unavailable()) return std::pair(sdk::outcome::skipped, *server.unavailable());
        if (auto died = server.died()) return std::pair(sdk::outcome::failed, *died);
        return std::nullopt;
    }

    measure_request request_for(const framework_entry& fw, running_framework& server, std::size_t s, std::size_t p,
                                unsigned run, std::optional<std::string>& profile_problem) {
        const auto& scenario_entry = m_.scenarios[s];
        const auto& pattern_entry = m_.patterns[p];
        measure_request request;
        request.target = target_of(fw);
        request.scenario = instances_.scenarios[s].get();
        request.scenario_name = scenario_entry.name;
        request.pattern_name = pattern_entry.name;
        request.run = run;
        request.engine = m_.engine;
        if (scenario_entry.requests_per_connection)
            request.engine.requests_per_connection = *scenario_entry.requests_per_connection;
        request.interrupted = &interrupt_flag();
        request.server_pid = server.pid();
        request.overall = &overall_;
        request.shard = slots_.shard();
        request.start_at = slot_;
        if (slot_) request.start_at_text = distributed::utc_text(*slot_);
        request.source_addresses = distributed::source_addresses(source_address_, slots_.shard(), fw.host);
        if (server.pid() == 0) request.container = fw.container;
        if (!m_.profile.wants(fw.name, scenario_entry.name, pattern_entry.name)) return request;
        auto chosen = choose_profiler(m_.profile, fw, server.pid(), server.sampler_dir());
        if (auto* plan = std::get_if<observe::profile_plan>(&chosen)) {
            const auto stem = result_stem(fw.name, scenario_entry.name, pattern_entry.name, run);
            plan->session = stem;
            plan->work_dir = run_dir_ / "profiles" / ".work";
            request.profile = *plan;
            request.profile_relative = "profiles/" + stem + ".folded";
            request.profile_output = sdk::path_inside(run_dir_, request.profile_relative);
        } else {
            profile_problem = "profile: " + std::get<std::string>(chosen);
            spdlog::warn("{} / {}: {}", fw.name, scenario_entry.name, *profile_problem);
        }
        return request;
    }

    // The database prepared, the measurement made, the server's death and the writes judged.
    sdk::measurement attempt(const framework_entry& fw, running_framework& server, std::size_t s, std::size_t p,
                             unsigned run) {
        sdk::measurement result;
        const auto& scenario_name = m_.scenarios[s].name;
        const bool counts_writes = db_ && listed(m_.database.count_writes, scenario_name);
        std::uint64_t rows_before = 0;
        try {
            if (db_ && listed(m_.database.reset_before, scenario_name)) db_->reset();
            if (counts_writes) rows_before = db_->row_count();
        } catch (const std::exception& e) {
            result.outcome = sdk::outcome::failed;
            result.reason = fmt::format("the database could not be prepared: {}", e.what());
            return result;
        }
        std::optional<std::string> profile_problem;
        auto request = request_for(fw, server, s, p, run, profile_problem);
        result = measure_with(std::move(request), *instances_.patterns[p], m_.verdict.max_error_rate);
        if (profile_problem) result.warnings.push_back(*profile_problem);
        if (auto died = server.died()) {
            // What was measured stays in the raw result; the verdict is that the server died.
            result.outcome = sdk::outcome::failed;
            result.reason = *died;
        }
        if (counts_writes && result.outcome == sdk::outcome::measured) {
            // The other shards' last answers come within their start skew of this one's end.
            if (slots_.sharded()) std::this_thread::sleep_for(std::chrono::seconds(1));
            audit_writes(*db_, rows_before, result);
        }
        return result;
    }

    void one(const framework_entry& fw, running_framework& server, std::size_t s, std::size_t p, unsigned run) {
        ++overall_.current;
        if (will_load(fw, s)) overall_.planned_seconds_left = std::max(0.0, overall_.planned_seconds_left - planned_seconds_[p]);
        slot_ = slots_.take(planned_seconds_[p]);
        sdk::measurement result;
        try {
            if (auto why = not_attempted(fw, server, s)) {
                result.outcome = why->first;
                result.reason = why->second;
            } else {
                result = attempt(fw, server, s, p, run);
            }
        } catch (const distributed::late_start&) {
            throw;  // the shard refuses to go on: the others' slots no longer match its own
        } catch (const std::exception& e) {
            // Whatever went wrong, it concerns this measurement only: it fails, the run goes on.
            result = sdk::measurement{};
            result.outcome = sdk::outcome::failed;
            result.reason = fmt::format("the measurement could not be made: {}", e.what());
        }
        result.framework = fw.name;
        result.scenario = m_.scenarios[s].name;
        result.pattern = m_.patterns[p].name;
        result.run = run;
        if (!server.cpus().empty()) result.placement.server_cpus = cpu_list(server.cpus());
        if (!m_.engine.cpus.empty()) result.placement.generator_cpus = cpu_list(m_.engine.cpus);
        if (!server.version().empty()) results_.environment.framework_versions[fw.name] = printable(server.version());
        make_printable(result);  // the database's and launcher's messages may quote the server too
        keep(std::move(result));
    }

    // Recorded at once (an interrupted run keeps it), logged, handed to the reporters. The reports
    // are made from the documents as written (read back from their text), exactly as `shootout
    // report` reads them from disk, so both produce the same bytes.
    void keep(sdk::measurement result) {
        auto raw = record(result, results_.environment, raw_dir_, documents_.size());
        if (!raw.saved || result.outcome == sdk::outcome::failed) any_failed_ = true;
        if (result.outcome == sdk::outcome::measured)
            spdlog::info("{} / {} / {} run {}: {:.1f} req/s, p99 {:.2f} ms, {} errors", result.framework, result.scenario,
                         result.pattern, result.run, result.rate, ms(result.latency_us.value_at_percentile(99)),
                         result.errors.total());
        else
            spdlog::warn("{} / {} / {} run {}: {}: {}", result.framework, result.scenario, result.pattern, result.run,
                         outcome_text(result.outcome), result.reason);
        documents_.push_back(std::move(raw.document));
        for (std::size_t i = 0; i < instances_.reporters.size(); ++i) {
            try {
                instances_.reporters[i]->on_measurement(result);
            } catch (const std::exception& e) {
                spdlog::error("reporter '{}' failed on a measurement: {}", m_.reporters[i].name, e.what());
            }
        }
        results_.measurements.push_back(std::move(result));
    }

    // The reports, the table, the verdicts the reports give (on the console and in the exit code
    // too: a framework over the error threshold failed, even though each run was measured), and
    // the thresholds' (a failed one fails the run).
    int finish() {
        std::vector<std::string> reporter_names;
        for (const auto& r : m_.reporters) reporter_names.push_back(r.name);
        const auto criteria = m_.verdict.for_summary();
        const bool reports_ok = finish_reporters(instances_.reporters, reporter_names, assemble_results(std::move(documents_)), criteria);
        if (!reports_ok) any_failed_ = true;
        if (!instances_.reporters.empty() && reports_ok)
            spdlog::info("reports ({}) in {}", fmt::join(reporter_names, ", "), run_dir_.string());
        print_summary(results_.measurements, out_);
        const auto summary = stats::summarize(results_, criteria);
        bool heading = false;
        for (const auto& g : summary.groups) {
            if (g.verdict != sdk::stats::verdict::failed) continue;
            if (!heading) out_ << "\nfailed:\n";
            heading = true;
            out_ << fmt::format("  {} / {} / {}: {}\n", g.framework, g.scenario, g.pattern, g.reason);
            any_failed_ = true;
        }
        if (print_thresholds(summary, out_)) any_failed_ = true;
        out_ << fmt::format("\nraw results: {}\n", raw_dir_.string());

        // The profilers' scratch space (control files, perf.data) is not a result.
        std::error_code ec;
        fs::remove_all(run_dir_ / "profiles" / ".python-sampler", ec);
        fs::remove(run_dir_ / "profiles" / ".work", ec);  // kept if a profiler left its log there
        // `latest` points at this run, for people and scripts; run directories are never reused.
        point_latest_at(m_.output_dir / "latest", run_dir_);
        if (interrupt_requested()) {
            spdlog::warn("interrupted: the measurements finished so far are saved in {}", raw_dir_.string());
            return exit_run_failed;
        }
        return any_failed_ ? exit_run_failed : exit_ok;
    }

    const manifest& m_;
    plugin_instances& instances_;
    std::ostream& out_;
    shard_slots slots_;
    std::optional<std::string> source_address_;
    std::optional<std::chrono::system_clock::time_point> slot_;  ///< the measurement under way's start
    fs::path run_dir_, raw_dir_;
    sdk::result_set results_;
    std::unique_ptr<database::postgres> db_;
    std::vector<double> planned_seconds_;
    std::map<std::string, std::optional<std::string>> not_installed_;
    run_progress overall_;
    std::vector<raw_result> documents_;
    bool any_failed_ = false;
};

}  // namespace

void follow_shard_zero(manifest& m) {
    for (auto& fw : m.frameworks) fw.mode = framework_entry::launch_mode::external;
    m.database.mode = database_settings::kind::none;
}

int run_manifest(const manifest& m, plugin_instances& instances, std::ostream& out,
                 const distributed::distributed_plan& distributed, const std::optional<std::string>& source_address,
                 std::chrono::nanoseconds shard_gap) {
    return manifest_run(m, instances, out, distributed, source_address, shard_gap).run();
}

}  // namespace shootout::core
