#include "runner.h"

#include <sched.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <variant>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <shootout/sdk/statistics.h>

#include "database/postgres.h"
#include "engine/engine.h"
#include "launcher/http_probe.h"
#include "launcher/local_process.h"
#include "observe/docker_stats.h"
#include "observe/process_tree.h"
#include "observe/resource_summary.h"
#include "errors.h"
#include "option_parsing.h"
#include "names.h"
#include "printable.h"
#include "report.h"
#include "results_json.h"

namespace shootout::core {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) {
    interrupted.store(true);
    std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
    std::signal(SIGTERM, SIG_DFL);
}

double ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

std::string seconds_text(std::chrono::nanoseconds d) {
    return fmt::format("{:.3g}s", std::chrono::duration<double>(d).count());
}

// The plan must be something the engine can carry out; say what is wrong otherwise.
std::optional<std::string> plan_problem(const sdk::load_plan& plan) {
    bool measured = false;
    for (const auto& phase : plan.phases) {
        if (phase.length < std::chrono::nanoseconds::zero()) return fmt::format("phase '{}' has a negative length", phase.name);
        if (phase.measured && phase.length > std::chrono::nanoseconds::zero()) measured = true;
        if (std::max(phase.connections_start, phase.connections_end) == 0)
            return fmt::format("phase '{}' asks for no connection at all", phase.name);
        if (plan.model == sdk::load_model::open &&
            (phase.rate_start < 0 || phase.rate_end < 0 || !std::isfinite(phase.rate_start) || !std::isfinite(phase.rate_end)))
            return fmt::format("phase '{}' has a negative or infinite rate", phase.name);
    }
    if (!measured) return "the plan has no measured phase of non-zero length";
    return std::nullopt;
}

std::string clock_text(double seconds) {
    const auto total = static_cast<long long>(std::max(seconds, 0.0) + 0.5);
    if (total >= 3600) return fmt::format("{}h{:02}m{:02}s", total / 3600, total / 60 % 60, total % 60);
    if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
    return fmt::format("{}s", total);
}

// One line on a terminal, rewritten in place; plain log lines every 10 s otherwise. Shows the
// measurement (framework, scenario, pattern, run), its phase, elapsed and remaining time, the
// live req/s and errors, and for a manifest run where the whole run is and how long is left.
class progress_printer {
public:
    progress_printer(std::string label, const run_progress* overall)
        : label_(std::move(label)), overall_(overall), tty_(::isatty(2) == 1) {}
    ~progress_printer() {
        if (tty_ && printed_) std::fprintf(stderr, "\r\033[K");
    }
    void operator()(double elapsed, double total, const std::string& phase, std::uint64_t completed,
                    std::uint64_t errors, std::uint32_t open) {
        const double rate = static_cast<double>(completed - last_completed_) / std::max(elapsed - last_elapsed_, 1e-3);
        last_completed_ = completed;
        last_elapsed_ = elapsed;
        std::string line = fmt::format("{} | {} {}/{} ({} left) | {:.0f} req/s | {} errors | {} conns", label_,
                                       phase.empty() ? "load" : phase, clock_text(elapsed), clock_text(total),
                                       clock_text(total - elapsed), rate, errors, open);
        if (overall_) {
            const double run_elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - overall_->started).count();
            // What is left: this measurement's rest, and the planned time of those not started.
            const double left = std::max(total - elapsed, 0.0) + overall_->planned_seconds_left;
            line = fmt::format("[{}/{}] {} | all: {} elapsed, ~{} left", overall_->current, overall_->total, line,
                               clock_text(run_elapsed), clock_text(left));
        }
        if (tty_) {
            std::fprintf(stderr, "\r\033[K%s", line.c_str());
            std::fflush(stderr);
            printed_ = true;
        } else if (elapsed - last_logged_ >= 10) {
            last_logged_ = elapsed;
            spdlog::info("{}", line);
        }
    }

private:
    std::string label_;
    const run_progress* overall_;
    bool tty_;
    bool printed_ = false;
    std::uint64_t last_completed_ = 0;
    double last_elapsed_ = 0, last_logged_ = 0;
};

std::string outcome_text(sdk::outcome o) {
    switch (o) {
        case sdk::outcome::measured: return "measured";
        case sdk::outcome::failed: return "FAILED";
        case sdk::outcome::skipped: return "skipped";
        case sdk::outcome::not_supported: return "n/a";
    }
    return "?";
}

void print_summary(const std::vector<sdk::measurement>& all, std::ostream& out) {
    std::vector<std::pair<std::string, std::string>> groups;  // (scenario, pattern) in first-seen order
    for (const auto& m : all)
        if (std::find(groups.begin(), groups.end(), std::pair(m.scenario, m.pattern)) == groups.end())
            groups.emplace_back(m.scenario, m.pattern);
    for (const auto& [scenario, pattern] : groups) {
        out << fmt::format("\n== {} / {} ==\n", scenario, pattern);
        out << fmt::format("{:<12} {:>3}  {:<9} {:>11} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>11} {:>7} {:>8}\n", "framework",
                           "run", "outcome", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "verified",
                           "connections", "cpu %", "rss MiB");
        for (const auto& m : all) {
            if (m.scenario != scenario || m.pattern != pattern) continue;
            if (m.outcome != sdk::outcome::measured) {
                out << fmt::format("{:<12} {:>3}  {:<9} {}\n", m.framework, m.run, outcome_text(m.outcome), m.reason);
                continue;
            }
            const auto& h = m.latency_us;
            // The server's CPU (mean) and RSS (peak) over the measured seconds; "-" for a server
            // shootout cannot see (external, without a container).
            const auto resources = observe::summarize_resources(m);
            const std::string cpu = resources ? fmt::format("{:.0f}", resources->mean_cpu_percent) : "-";
            const std::string rss =
                resources ? fmt::format("{:.0f}", static_cast<double>(resources->peak_rss_bytes) / (1024.0 * 1024.0)) : "-";
            out << fmt::format("{:<12} {:>3}  {:<9} {:>11.1f} {:>8.2f} {:>8.2f} {:>8.2f} {:>9.2f} {:>8} {:>8} {:>5}/{:<5} {:>7} {:>8}\n",
                               m.framework, m.run, outcome_text(m.outcome), m.rate, ms(h.value_at_percentile(50)),
                               ms(h.value_at_percentile(95)), ms(h.value_at_percentile(99)), ms(h.max()),
                               m.errors.total(), m.verified, m.connections_established, m.connections_asked, cpu, rss);
            if (m.writes)
                out << fmt::format("             writes: {} rows added for {} answers 2xx ({} in flight at the end)\n",
                                   m.writes->rows_added, m.writes->answered_2xx, m.writes->in_flight_at_end);
            if (m.profile) out << fmt::format("             profile: {} samples ({}) in {}\n", m.profile->samples, m.profile->profiler, m.profile->folded_path);
            for (const auto& w : m.warnings) out << "             warning: " << w << '\n';
        }
    }
}

// Applies "key=value" pairs to a plugin's options, typed by its declaration.
void apply_cli_options(const plugin_info& info, const std::vector<std::string>& pairs, sdk::option_values& values,
                       std::string_view flag) {
    for (const auto& pair : pairs) {
        const auto eq = pair.find('=');
        if (eq == std::string::npos)
            throw config_error(fmt::format("{} {}: write it as key=value", flag, pair));
        const std::string key = pair.substr(0, eq);
        const auto spec = std::find_if(info.options.begin(), info.options.end(),
                                       [&](const sdk::option_spec& s) { return key == s.key; });
        if (spec == info.options.end()) {
            std::vector<std::string> known;
            for (const auto& s : info.options) known.push_back(s.key);
            throw config_error(fmt::format("{} {}: {} '{}' has no option '{}' (known: {}){}", flag, pair,
                                           kind_name(info.kind), info.id, key,
                                           known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", ")),
                                           did_you_mean(key, known)));
        }
        auto value = parse_default(spec->type, pair.substr(eq + 1));
        if (!value)
            throw config_error(fmt::format("{} {}: '{}' must be {}", flag, pair, key, describe(spec->type)));
        values.set(key, std::move(*value));
    }
}


std::string join_command(const std::vector<std::string>& command) { return fmt::format("{}", fmt::join(command, " ")); }

// Why a local framework cannot run here, from its check_command (nullopt: it can, or it has no
// check). Run once per framework before any load, so the run knows from the start what it will
// skip: the log says so at once, and the progress line's estimate leaves it out.
std::optional<std::string> installation_problem(const framework_entry& fw) {
    if (fw.mode != framework_entry::launch_mode::local || fw.local->check_command.empty()) return std::nullopt;
    const auto& local = *fw.local;
    auto check = launcher::run_command(local.check_command, local.working_dir, 60s);
    if (check.timed_out)
        return fmt::format("{}: `{}` did not finish within 60 s", fw.name, join_command(local.check_command));
    if (check.exit_code == 0) return std::nullopt;
    const auto last = check.output.substr(check.output.rfind('\n') == std::string::npos ? 0 : check.output.rfind('\n') + 1);
    return fmt::format("{} is not installed here (`{}` failed: {}){}", fw.name, join_command(local.check_command),
                       last.empty() ? "no output" : last, local.missing_hint.empty() ? "" : "; " + local.missing_hint);
}

// A framework made ready for measurement: started and healthy if it is local, nothing to do
// if it is external. Stops the server (the whole process group) when it goes out of scope.
class running_framework {
public:
    /// `sampler_dir`: where this framework's Python sampler is controlled ([profile] names it), or empty.
    /// `not_installed`: what installation_problem() found, if anything.
    running_framework(const framework_entry& fw, const manifest& m, const database::postgres* db,
                      const fs::path& log_dir, const fs::path& sampler_dir,
                      const std::optional<std::string>& not_installed)
        : fw_(fw) {
        if (fw.mode != framework_entry::launch_mode::local) return;
        if (interrupted.load()) {
            unavailable_ = "the run was interrupted";
            return;
        }
        if (not_installed) {
            unavailable_ = not_installed;
            return;
        }
        const auto& local = *fw.local;
        if (!local.version_command.empty()) {
            auto v = launcher::run_command(local.version_command, local.working_dir, 30s);
            if (v.exit_code == 0) version_ = v.output.substr(0, v.output.find('\n'));
        }
        launcher::process_spec spec;
        spec.command = local.command;
        spec.working_dir = local.working_dir;
        spec.environment = m.local.environment;
        for (const auto& [k, v] : local.environment) spec.environment[k] = v;
        spec.environment.try_emplace("PORT", std::to_string(fw.port));
        if (db) spec.environment.try_emplace("DATABASE_URL", db->dsn());
        if (!sampler_dir.empty()) {
            // Every Python process of the server loads the sampler; it records only when told to.
            std::error_code ec;
            fs::create_directories(sampler_dir, ec);
            const auto inherited = spec.environment.count("PYTHONPATH") ? spec.environment["PYTHONPATH"]
                                   : std::getenv("PYTHONPATH")          ? std::string(std::getenv("PYTHONPATH"))
                                                                        : std::string();
            for (auto& [k, v] : observe::python_sampler_environment(sampler_dir, m.profile.frequency, inherited))
                spec.environment[k] = v;
            sampler_dir_ = sampler_dir;
        }
        spec.cpus = local.cpus.empty() ? m.local.cpus : local.cpus;
        cpus_ = spec.cpus;
        fs::create_directories(log_dir);
        log_ = log_dir / (fw.name + ".log");
        spec.log_file = log_;
        if (launcher::port_taken(fw.host, fw.port)) {
            unavailable_ = fmt::format("{}'s port {} is already taken: something answers at {}:{} before {} is started, "
                                       "so its health check and load would reach that instead; stop it, or give {} "
                                       "another port in its url",
                                       fw.name, fw.port, fw.host, fw.port, fw.name, fw.name);
            return;
        }
        const auto started = std::chrono::steady_clock::now();
        spdlog::info("{}: starting `{}`", fw.name, join_command(local.command));
        try {
            process_ = std::make_unique<launcher::local_process>(spec);
        } catch (const std::exception& e) {
            unavailable_ = fmt::format("{} could not be started: {}", fw.name, e.what());
            return;
        }
        const auto deadline = started + local.start_timeout;
        std::string last = "no answer yet";
        while (true) {
            if (interrupted.load()) {
                unavailable_ = fmt::format("{} was being started when the run was interrupted", fw.name);
                stop();
                return;
            }
            if (auto status = process_->exited()) {
                unavailable_ = fmt::format("{} {} while starting; the end of {}:\n{}", fw.name, *status, log_.string(),
                                           launcher::tail_of(log_));
                stop();
                return;
            }
            auto probe = launcher::http_get(fw.host, fw.port, fw.path_prefix + local.health_path, 1s);
            if (probe.status == 200u) break;
            last = probe.status ? fmt::format("status {}", *probe.status) : probe.error;
            if (std::chrono::steady_clock::now() > deadline) {
                unavailable_ = fmt::format("{} did not answer GET {} with 200 within {} (last: {}); the end of {}:\n{}",
                                           fw.name, local.health_path, seconds_text(local.start_timeout), last,
                                           log_.string(), launcher::tail_of(log_));
                stop();
                return;
            }
            std::this_thread::sleep_for(100ms);
        }
        spdlog::info("{}: healthy after {:.1f} s (pid {}, log {})", fw.name,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), process_->pid(),
                     log_.string());
    }

    ~running_framework() { stop(); }

    const std::optional<std::string>& unavailable() const { return unavailable_; }
    const std::string& version() const { return version_; }
    const std::vector<int>& cpus() const { return cpus_; }
    int pid() const { return process_ ? process_->pid() : 0; }
    const fs::path& sampler_dir() const { return sampler_dir_; }

    /// Set once the server has exited on its own (it crashed, or was killed).
    std::optional<std::string> died() {
        if (!process_) return std::nullopt;
        if (auto status = process_->exited())
            return fmt::format("the {} server {} during the run; the end of {}:\n{}", fw_.name, *status, log_.string(),
                               launcher::tail_of(log_, 6));
        return std::nullopt;
    }

    void stop() {
        if (!process_) return;
        const auto how = process_->stop(fw_.local->stop_timeout);
        spdlog::info("{}: {}", fw_.name, how);
        process_.reset();
    }

private:
    const framework_entry& fw_;
    std::unique_ptr<launcher::local_process> process_;
    std::optional<std::string> unavailable_;
    std::string version_;
    std::vector<int> cpus_;
    fs::path log_;
    fs::path sampler_dir_;
};

// Runs a profile session over the measured phases only, on a thread of its own that follows the
// load's clock: recording starts when the first measured phase begins and stops when the last
// one ends, or as soon as the load is over (interrupted, say), whichever comes first.
class measured_phase_profiler {
public:
    measured_phase_profiler(observe::profile_plan plan, std::chrono::steady_clock::time_point begin,
                            std::chrono::steady_clock::time_point end)
        : session_(std::move(plan)), thread_([this, begin, end] { run(begin, end); }) {}
    ~measured_phase_profiler() { finish(); }

    /// After the load: stops recording if it still runs and returns what was captured.
    observe::profile_result finish() {
        {
            std::lock_guard lock(mutex_);
            load_over_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
        return std::move(result_);
    }

private:
    void run(std::chrono::steady_clock::time_point begin, std::chrono::steady_clock::time_point end) {
        std::unique_lock lock(mutex_);
        if (wake_.wait_until(lock, begin, [this] { return load_over_; })) {
            result_.warnings.push_back("profile: the load ended before its measured phase began; nothing was recorded");
            return;
        }
        lock.unlock();
        session_.start(end - begin);
        lock.lock();
        wake_.wait_until(lock, end, [this] { return load_over_; });
        lock.unlock();
        result_ = session_.stop();
    }

    observe::profile_session session_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool load_over_ = false;
    observe::profile_result result_;
    std::thread thread_;
};

std::string cpu_list(const std::vector<int>& cpus) { return fmt::format("{}", fmt::join(cpus, ",")); }

bool listed(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}
// Which profiler can reach this server, and how. A profiler that cannot is a warning in the
// measurement (returned as the error), never a failed measurement.
std::variant<observe::profile_plan, std::string> choose_profiler(const profile_settings& settings,
                                                                 const framework_entry& fw, running_framework& server) {
    using choice = profile_settings::choice;
    observe::profile_plan plan;
    plan.frequency = settings.frequency;
    plan.pid = server.pid();
    const bool local = plan.pid > 0;
    if (!local) {
        if (settings.profiler == choice::python_sampler)
            return fmt::format("the Python sampler profiles only local frameworks that shootout starts; {} is external "
                               "(use profiler = \"py-spy\" with its container)",
                               fw.name);
        if (fw.container.empty())
            return fmt::format("{} is external and has no 'container': shootout cannot reach its processes; add "
                               "container = \"...\" to its [[framework]] table",
                               fw.name);
        const bool perf = settings.profiler == choice::perf;
        if (!observe::on_path(perf ? "perf" : "py-spy"))
            return fmt::format("{} is not on PATH, so {}'s container cannot be profiled{}", perf ? "perf" : "py-spy",
                               fw.name, perf ? "" : " (py-spy is not packaged in Debian 12; pip install py-spy)");
        try {
            plan.pid = observe::container_pid(observe::docker_socket_path(), fw.container);
        } catch (const observe::docker_error& e) {
            return std::string(e.what());
        }
        plan.kind = perf ? observe::profiler_kind::perf : observe::profiler_kind::py_spy;
        return plan;
    }
    const bool python = observe::is_python_process(plan.pid);
    switch (settings.profiler) {
        case choice::automatic:
            if (python && !server.sampler_dir().empty()) {
                plan.kind = observe::profiler_kind::python_sampler;
            } else if (python && observe::on_path("py-spy")) {
                plan.kind = observe::profiler_kind::py_spy;
            } else if (!python && observe::on_path("perf")) {
                plan.kind = observe::profiler_kind::perf;
            } else {
                return fmt::format("no profiler for {}: {}", fw.name,
                                   python ? "the Python sampler was not loaded and py-spy is not on PATH"
                                          : "perf is not on PATH (install linux-perf)");
            }
            break;
        case choice::python_sampler:
            if (!python || server.sampler_dir().empty())
                return fmt::format("{}'s server (pid {}) is not a Python interpreter, so the Python sampler cannot run in "
                                   "it; use profiler = \"perf\" or \"auto\"",
                                   fw.name, plan.pid);
            plan.kind = observe::profiler_kind::python_sampler;
            break;
        case choice::py_spy:
            if (!observe::on_path("py-spy")) return "py-spy is not on PATH (it is not packaged in Debian 12; pip install py-spy)";
            plan.kind = observe::profiler_kind::py_spy;
            break;
        case choice::perf:
            if (!observe::on_path("perf")) return "perf is not on PATH (install linux-perf)";
            plan.kind = observe::profiler_kind::perf;
            break;
    }
    plan.control_dir = server.sampler_dir();
    return plan;
}

}  // namespace

std::vector<std::string> generator_bound_warnings(const std::vector<double>& worker_cpu_seconds, double seconds) {
    std::vector<std::string> warnings;
    if (seconds <= 0) return warnings;
    for (std::size_t i = 0; i < worker_cpu_seconds.size(); ++i) {
        const double busy = worker_cpu_seconds[i] / seconds;
        if (busy > 0.9)
            warnings.push_back(fmt::format("generator-bound: worker {} was busy {:.0f} % of the measured time, so the "
                                           "generator may have set the pace; give it more threads or CPUs",
                                           i, 100 * std::min(busy, 1.0)));
    }
    return warnings;
}

sdk::target target_of(const framework_entry& fw) {
    sdk::target t;
    t.framework = fw.name;
    t.base_url = fw.url;
    t.host_header = fw.port == 80 ? fw.host : fmt::format("{}:{}", fw.host, fw.port);
    t.path_prefix = fw.path_prefix;
    return t;
}

// The judged sample of bodies, with the failed fraction and its interval, as run --json shows it.
boost::json::object body_checks_to_json(const sdk::sample_checks& c) {
    boost::json::object o{{"judged", c.judged}, {"failed", c.failed}};
    if (c.judged) {
        const auto range = sdk::stats::wilson95(c.failed, c.judged);
        o["failed_fraction"] = static_cast<double>(c.failed) / static_cast<double>(c.judged);
        o["interval95"] = {range.low, range.high};
    }
    return o;
}

// A server that stopped answering: a request still waiting when the load stopped, for over a
// second and over twice as long as the slowest request that was answered (rightly or not). Closed-loop load
// sends nothing more once every connection waits, so without this a hang near the end would
// pass with the req/s of the time before it (and the open model's unsent requests are counted
// in its latency, but the verdict should say what happened).
std::optional<std::string> stall_problem(const sdk::measurement& m, std::int64_t slowest_answered_us) {
    constexpr std::int64_t at_least_us = 1'000'000;
    if (m.unfinished == 0 || m.unfinished_oldest_us <= std::max(at_least_us, 2 * slowest_answered_us)) return std::nullopt;
    return fmt::format("the server stopped answering: {} request(s) were unanswered when the measured time ended, the "
                       "oldest after {:.2f} s, over twice as long as the slowest answered request ({:.1f} ms); their waits "
                       "so far are in the latency",
                       m.unfinished, static_cast<double>(m.unfinished_oldest_us) / 1e6,
                       static_cast<double>(slowest_answered_us) / 1e3);
}

namespace {

sdk::measurement measure_unguarded(const measure_request& request) {
    sdk::measurement m;
    m.framework = request.target.framework;
    m.scenario = request.scenario_name;
    m.pattern = request.pattern_name;
    m.run = request.run;
    auto fail = [&](std::string reason) {
        m.outcome = sdk::outcome::failed;
        m.reason = std::move(reason);
        return m;
    };

    const auto& settings = request.engine;
    std::string host = request.target.host_header;
    std::uint16_t port = 80;
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.back() != ']') {
        port = static_cast<std::uint16_t>(std::stoi(host.substr(colon + 1)));
        host.resize(colon);
    }
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);

    sdk::load_plan plan;
    try {
        plan = request.pattern->plan();
    } catch (const std::exception& e) {
        return fail(fmt::format("pattern '{}' could not make a plan: {}", request.pattern_name, e.what()));
    }
    if (auto problem = plan_problem(plan)) return fail(fmt::format("pattern '{}': {}", request.pattern_name, *problem));

    try {
        request.scenario->prepare(request.target);
    } catch (const std::exception& e) {
        return fail(fmt::format("scenario '{}' could not prepare: {}", request.scenario_name, e.what()));
    }

    engine::engine_config config;
    config.host = host;
    config.port = port;
    config.connect_timeout = settings.connect_timeout;
    config.request_timeout = settings.request_timeout;
    config.seed = settings.seed + request.run;
    config.interrupted = request.interrupted;

    // Correctness first, on one connection with every response checked: a framework that
    // answers wrongly is reported as failed, never measured.
    std::uint64_t check_answered = 0, check_in_flight = 0;
    try {
        auto check = config;
        check.threads = 1;
        check.role = sdk::session_role::correctness_check;
        check.verify_sample = 1;
        const unsigned probes = std::max(1u, request.scenario->correctness_requests());
        check.request_budget = probes;
        check.stop_on_first_error = true;
        sdk::load_plan check_plan;
        check_plan.phases.push_back(
            {"correctness-check", settings.connect_timeout + settings.request_timeout * probes, true, 1, 1, 0, 0});
        spdlog::info("{} / {} / {} run {}: correctness check ({} request(s))", m.framework, m.scenario, m.pattern, m.run,
                     probes);
        auto checked = engine::run(check, *request.scenario, request.target, check_plan);
        check_answered = checked.measurement.answered_2xx_all_phases;
        check_in_flight = checked.measurement.in_flight_at_end;
        if (checked.interrupted) {
            // The user stopped the run: nothing is known about the framework, so it did not fail.
            m.outcome = sdk::outcome::skipped;
            m.reason = "the run was interrupted (during the correctness check)";
            return m;
        }
        if (checked.upgrade_refused_status) {
            // A framework without WebSocket at that path: not an error storm, not a zero.
            m.outcome = sdk::outcome::not_supported;
            m.reason = fmt::format("the server does not offer WebSocket at {}{} (the upgrade was answered with status {})",
                                   request.target.path_prefix, request.scenario->websocket_path(),
                                   *checked.upgrade_refused_status);
            return m;
        }
        if (checked.measurement.completed < probes) {
            std::string reason = checked.failures.empty() ? fmt::format("no complete answer within {}",
                                                                        seconds_text(check_plan.phases[0].length))
                                                          : checked.failures.front();
            return fail("correctness check failed: " + reason);
        }
    } catch (const std::exception& e) {
        return fail(fmt::format("correctness check could not run: {}", e.what()));
    }

    config.threads = settings.threads ? settings.threads : engine::default_threads();
    config.role = sdk::session_role::load;
    config.verify_sample = settings.verify_sample;
    std::optional<progress_printer> progress;
    if (request.show_progress) {
        progress.emplace(fmt::format("{} / {} / {} run {}", m.framework, m.scenario, m.pattern, m.run), request.overall);
        config.progress = [&progress](double e, double t, const std::string& p, std::uint64_t c, std::uint64_t err,
                                      std::uint32_t o) { (*progress)(e, t, p, c, err, o); };
    }
    // The server is sampled once a second (sample_interval), on the load's clock: second 0 is the
    // start of the first measured phase, as in the timeline. A local server's whole process tree
    // is read from /proc; an external one's container from the Docker engine.
    auto lead = std::chrono::nanoseconds::zero(), measured_end = std::chrono::nanoseconds::zero(), at = lead;
    bool seen_measured = false;
    for (const auto& phase : plan.phases) {
        if (!phase.measured && !seen_measured) lead += phase.length;
        seen_measured = seen_measured || phase.measured;
        at += phase.length;
        if (phase.measured) measured_end = at;
    }
    const auto load_start = std::chrono::steady_clock::now();
    const auto origin = load_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(lead);
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(settings.sample_interval);
    std::vector<std::string> observe_warnings;
    std::optional<observe::tree_sampler> sampler;
    std::optional<observe::container_sampler> container_sampler;
    if (request.server_pid > 0) {
        sampler.emplace(request.server_pid, interval, origin);
    } else if (!request.container.empty()) {
        try {
            container_sampler.emplace(observe::docker_socket_path(), request.container, interval, origin);
            if (auto problem = container_sampler->problem()) {
                observe_warnings.push_back(fmt::format("server resources not sampled: {}", *problem));
                container_sampler.reset();
            }
        } catch (const observe::docker_error& e) {
            observe_warnings.push_back(fmt::format("server resources not sampled: {}", e.what()));
        }
        if (!observe_warnings.empty()) spdlog::warn("{} / {}: {}", m.framework, m.scenario, observe_warnings.back());
    }
    // The samplers' start-up (a Docker engine call, say) took time: the load starts now, and the
    // profiler's window is taken from here. The samples are re-based on the engine's own origin
    // below, so their seconds line up with the timeline's.
    const auto engine_start = std::chrono::steady_clock::now();
    std::optional<measured_phase_profiler> profiler;
    if (request.profile)
        profiler.emplace(*request.profile,
                         engine_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(lead),
                         engine_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(measured_end));
    engine::engine_result result;
    try {
        result = engine::run(config, *request.scenario, request.target, plan);
    } catch (const std::exception& e) {
        return fail(fmt::format("load could not run: {}", e.what()));
    }
    if (sampler) result.measurement.server_resources = sampler->finish();
    auto rebase = [shift = std::chrono::duration<double>(origin - result.measure_origin).count()](
                      std::vector<sdk::resource_sample>& samples) {
        for (auto& sample : samples) sample.second += shift;
    };
    if (container_sampler) {
        result.measurement.server_resources = container_sampler->finish();
        if (auto problem = container_sampler->problem())
            observe_warnings.push_back(fmt::format("server resources sampled only until: {}", *problem));
    }
    rebase(result.measurement.server_resources);
    if (profiler) {
        auto captured = profiler->finish();
        const char* name = observe::profiler_name(request.profile->kind);
        for (auto& w : captured.warnings) observe_warnings.push_back(std::move(w));
        if (const auto samples = observe::total_samples(captured.stacks); samples == 0) {
            observe_warnings.push_back(fmt::format("profile: {} captured no sample of the server", name));
        } else {
            try {
                std::filesystem::create_directories(request.profile_output.parent_path());
                observe::write_folded(request.profile_output, captured.stacks);
                result.measurement.profile = sdk::profile_info{name, request.profile_relative, samples};
                spdlog::info("{} / {}: {} samples from {} in {}", m.framework, m.scenario, samples, name,
                             request.profile_output.string());
            } catch (const std::exception& e) {
                observe_warnings.push_back(fmt::format("profile: could not save the stacks: {}", e.what()));
            }
        }
    }
    progress.reset();
    auto measured = std::move(result.measurement);
    measured.framework = m.framework;
    measured.scenario = m.scenario;
    measured.pattern = m.pattern;
    measured.run = m.run;
    measured.outcome = sdk::outcome::measured;
    measured.answered_2xx_all_phases += check_answered;
    measured.in_flight_at_end += check_in_flight;
    if (result.interrupted) measured.warnings.push_back(fmt::format("interrupted after {:.1f} s", measured.seconds));
    for (auto& w : observe_warnings) measured.warnings.push_back(std::move(w));
    for (auto& w : generator_bound_warnings(result.worker_cpu_seconds, measured.seconds)) measured.warnings.push_back(std::move(w));
    if (measured.errors.total()) {
        // The first few failures, each reason once, in order, with how often it was among them.
        std::vector<std::pair<std::string, unsigned>> reasons;
        for (const auto& f : result.failures) {
            auto it = std::find_if(reasons.begin(), reasons.end(), [&](const auto& r) { return r.first == f; });
            if (it == reasons.end()) reasons.emplace_back(f, 1);
            else ++it->second;
        }
        std::string text;
        for (const auto& [reason, times] : reasons)
            text += (text.empty() ? "" : "; ") + (times > 1 ? fmt::format("{} (×{})", reason, times) : reason);
        measured.warnings.push_back(fmt::format("{} error(s); first: {}", measured.errors.total(), text));
    }
    if (plan.model == sdk::load_model::open) {
        // The open model's own honesty: say when the plan was not carried out as planned.
        // Which of the two held the load back: every connection of the pool busy (the server is
        // slower than the rate), or the generator itself.
        // (Less than one request planned in the whole run is no load to fall short of.)
        if (measured.planned_rate * measured.seconds >= 1 && measured.achieved_rate < 0.95 * measured.planned_rate) {
            const bool pool_full = measured.connections_established >= measured.connections_asked;
            const auto failed_connections = measured.errors.connect + measured.errors.read + measured.errors.write;
            const std::string why =
                pool_full ? fmt::format("all {} connections of the pool were busy, so the server answers more slowly "
                                        "than the rate needs: raise the pattern's connections or lower the rate",
                                        measured.connections_asked)
                : failed_connections > 0
                    ? fmt::format("the pool was not full ({} of {} connections) because the server refused or dropped "
                                  "connections ({} connect, read or write errors): the server, not the generator, "
                                  "held the load back",
                                  measured.connections_established, measured.connections_asked, failed_connections)
                    : fmt::format("the pool was not full ({} of {} connections), so the generator could not keep "
                                  "up: give it more CPU or threads",
                                  measured.connections_established, measured.connections_asked);
            measured.warnings.push_back(fmt::format(
                "{}planned load not reached: {:.0f} requests/s sent of {:.0f} planned, {} still waiting when the load "
                "stopped; {}",
                pool_full || failed_connections == 0 ? "generator-bound: " : "", measured.achieved_rate,
                measured.planned_rate, measured.extra["requests_due_unsent_at_end"], why));
        }
        const auto sent = static_cast<double>(measured.achieved_rate * measured.seconds);
        if (measured.late_requests > 0 && sent > 0)
            measured.warnings.push_back(fmt::format(
                "{} request(s) ({:.2f} %) went out 1 ms or more after their planned time, waiting for a free "
                "connection or for the generator; their latency counts from the planned time",
                measured.late_requests, 100.0 * static_cast<double>(measured.late_requests) / sent));
    } else if (measured.connections_established < measured.connections_asked)
        measured.warnings.push_back(fmt::format("only {} of {} connections established", measured.connections_established,
                                                measured.connections_asked));
    // Nothing completed means no figure at all, never a result of 0 req/s that could be ranked.
    if (measured.completed == 0) {
        measured.outcome = sdk::outcome::failed;
        if (result.interrupted)
            measured.reason = "interrupted before any request of the measured time completed";
        else if (measured.planned_rate > 0 && measured.planned_rate * measured.seconds < 1)
            measured.reason = fmt::format("the plan has less than one request ({:.2f}/s for {:.1f} s): raise the rate "
                                          "or the duration",
                                          measured.planned_rate, measured.seconds);
        else if (measured.warnings.empty())
            measured.reason = fmt::format(
                "no request completed in the measured time ({:.3f} s) and none failed: the server answered nothing in "
                "that time (a request fails only after the request timeout, {} ms)",
                measured.seconds, std::chrono::duration_cast<std::chrono::milliseconds>(config.request_timeout).count());
        else
            measured.reason = fmt::format("no request completed in the measured time: {}", fmt::join(measured.warnings, "; "));
    } else if (auto stalled = stall_problem(measured, result.slowest_answered_us)) {
        measured.outcome = sdk::outcome::failed;
        measured.reason = std::move(*stalled);
    }
    return measured;
}

}  // namespace

sdk::measurement measure(const measure_request& request) {
    sdk::measurement m;
    try {
        m = measure_unguarded(request);
    } catch (const std::exception& e) {
        // A bug or a resource running out, not the server: this measurement fails, the run goes on.
        m = sdk::measurement{};
        m.framework = request.target.framework;
        m.scenario = request.scenario_name;
        m.pattern = request.pattern_name;
        m.run = request.run;
        m.outcome = sdk::outcome::failed;
        m.reason = fmt::format("the measurement could not be made: {}", e.what());
    }
    // What the server sent is in the reason and warnings now: from here on it is printed and saved.
    make_printable(m);
    return m;
}

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
    command.add_option("--scenario-option", o.scenario_options, "scenario option as key=value (repeatable)");
    command.add_option("--pattern-option", o.pattern_options, "pattern option as key=value (repeatable)");
    command.add_flag("--json", o.json, "print one JSON object to stdout");
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
    // constant-rate's stages replace its rate and duration: both given, one would be dropped unsaid.
    const bool stages_given = std::any_of(o.pattern_options.begin(), o.pattern_options.end(),
                                          [](const std::string& kv) { return kv.rfind("stages=", 0) == 0; });
    if (stages_given && o.pattern == "constant-rate" && (o.rate || o.duration))
        throw config_error("--pattern-option stages=... sets the rate and the measured time stage by stage: drop "
                           "--rate and --duration, or drop the stages");
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
    request.pattern = pattern.get();
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
    request.interrupted = &interrupted;
    request.show_progress = true;

    interrupted.store(false);
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    auto m = measure(request);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    return m;
}

bool adhoc_interrupted() { return interrupted.load(); }

int run_adhoc(const adhoc_options& o, const std::vector<search_dir>& plugin_dirs, std::ostream& out) {
    const auto m = measure_adhoc(o, plugin_dirs);
    // The reports' threshold (max_error_rate, 0.1 % by default): above it the server failed under
    // this load, and the exit code says so, as a manifest run's does.
    const sdk::stats::criteria criteria;
    const auto attempts = m.completed + m.errors.total();
    const double error_rate = attempts ? static_cast<double>(m.errors.total()) / static_cast<double>(attempts) : 0.0;
    const auto error_problem = sdk::stats::error_problem(m.completed, m.errors, m.body_checks, criteria);
    const bool too_many_errors = error_problem.has_value();
    if (too_many_errors && m.outcome == sdk::outcome::measured) spdlog::error("failed: {}", *error_problem);
    if (o.json) {
        const auto& h = m.latency_us;
        boost::json::object doc{
            {"target", o.target},
            {"scenario", o.scenario},
            {"pattern", o.pattern},
            {"outcome", outcome_name(m.outcome)},
            {"reason", m.reason},
            {"requests", m.completed},
            {"seconds", m.seconds},
            {"rps", m.rate},
            {"errors", errors_to_json(m.errors)},
            {"error_rate", error_rate},
            {"error_rate_ok", !too_many_errors},
            {"verified", m.verified},
            {"body_checks", body_checks_to_json(m.body_checks)},
            {"unfinished", {{"requests", m.unfinished}, {"oldest_wait_us", m.unfinished_oldest_us}}},
            {"latency_us",
             {{"p50", h.value_at_percentile(50)},
              {"p95", h.value_at_percentile(95)},
              {"p99", h.value_at_percentile(99)},
              {"p999", h.value_at_percentile(99.9)},
              {"max", h.max()},
              {"mean", h.mean()}}},
            {"connections", {{"asked", m.connections_asked}, {"established", m.connections_established}}},
            {"bytes", {{"sent", m.bytes_sent}, {"received", m.bytes_received}}},
            {"throughput_mb_s", throughput_to_json(m)},
            {"generator", {{"cpu_seconds", m.generator_cpu_seconds}}},
            {"warnings", boost::json::value_from(m.warnings)}};
        if (m.latency_uncorrected_us) {
            const auto& u = *m.latency_uncorrected_us;
            doc["latency_uncorrected_us"] = {{"p50", u.value_at_percentile(50)},
                                             {"p95", u.value_at_percentile(95)},
                                             {"p99", u.value_at_percentile(99)},
                                             {"p999", u.value_at_percentile(99.9)},
                                             {"max", u.max()},
                                             {"mean", u.mean()}};
            auto figure = [&m](const char* key) {
                auto it = m.extra.find(key);
                return it == m.extra.end() ? std::int64_t{0} : std::stoll(it->second);
            };
            doc["rate"] = {{"planned", m.planned_rate},
                           {"achieved", m.achieved_rate},
                           {"late_requests", m.late_requests},
                           {"due_unsent_at_end", figure("requests_due_unsent_at_end")},
                           {"send_lag_us", {{"p50", figure("send_lag_p50_us")},
                                            {"p99", figure("send_lag_p99_us")},
                                            {"max", figure("send_lag_max_us")}}}};
        }
        if (m.handshake_us)
            doc["handshake_us"] = {{"p50", m.handshake_us->value_at_percentile(50)},
                                   {"p99", m.handshake_us->value_at_percentile(99)},
                                   {"max", m.handshake_us->max()}};
        if (m.connect_us)
            doc["connect_us"] = {{"p50", m.connect_us->value_at_percentile(50)},
                                 {"p99", m.connect_us->value_at_percentile(99)},
                                 {"max", m.connect_us->max()}};
        if (m.first_byte_us)
            doc["first_byte_us"] = {{"p50", m.first_byte_us->value_at_percentile(50)},
                                    {"p99", m.first_byte_us->value_at_percentile(99)}};
        // Every measured phase on its own: a spike's stages, or steady's single "measure".
        boost::json::array stages;
        for (const auto& p : m.phases)
            stages.push_back({{"name", p.name},
                              {"seconds", p.seconds},
                              {"requests", p.completed},
                              {"rps", p.seconds > 0 ? static_cast<double>(p.completed) / p.seconds : 0.0},
                              {"errors", p.errors.total()},
                              {"latency_us", {{"p50", p.latency_us.value_at_percentile(50)}, {"p99", p.latency_us.value_at_percentile(99)}}},
                              {"connections", {{"planned", p.connections_planned}, {"open", p.connections_open}}}});
        doc["stages"] = std::move(stages);
        boost::json::array timeline;
        for (const auto& t : m.timeline)
            timeline.push_back({{"second", t.second},
                                {"requests", t.completed},
                                {"errors", t.errors},
                                {"p50_us", t.p50_us},
                                {"p99_us", t.p99_us},
                                {"connections", {{"planned", t.planned_connections}, {"open", t.open_connections}}},
                                {"planned_rate", t.planned_rate}});
        doc["timeline"] = std::move(timeline);
        doc["histogram"] = histogram_to_json(h);
        out << boost::json::serialize(doc) << '\n';
    } else {
        print_summary({m}, out);
        if (m.outcome == sdk::outcome::measured)
            out << fmt::format("\n{} requests in {:.2f} s, {:.1f} MB read ({:.1f} MB/s), {:.1f} MB sent ({:.1f} MB/s), "
                               "generator CPU {:.2f} s\n",
                               m.completed, m.seconds, static_cast<double>(m.bytes_received) / 1e6,
                               static_cast<double>(m.bytes_received) / 1e6 / std::max(m.seconds, 1e-9),
                               static_cast<double>(m.bytes_sent) / 1e6,
                               static_cast<double>(m.bytes_sent) / 1e6 / std::max(m.seconds, 1e-9), m.generator_cpu_seconds);
    }
    return m.outcome == sdk::outcome::measured && !too_many_errors && !interrupted.load() ? exit_ok : exit_run_failed;
}

namespace {

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

namespace {

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

    interrupted.store(false);
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);

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
            } else if (interrupted.load()) {
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
                    request.pattern = instances.patterns[p].get();
                    request.pattern_name = pattern_entry.name;
                    request.run = run;
                    request.engine = m.engine;
                    request.interrupted = &interrupted;
                    request.server_pid = server.pid();
                    request.overall = &overall;
                    if (server.pid() == 0) request.container = fw.container;
                    std::optional<std::string> profile_problem;
                    if (m.profile.wants(fw.name, scenario_entry.name, pattern_entry.name)) {
                        auto chosen = choose_profiler(m.profile, fw, server);
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
                    result = measure(request);
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
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

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

    if (interrupted.load()) {
        spdlog::warn("interrupted: the measurements finished so far are saved in {}", raw_dir.string());
        return exit_run_failed;
    }
    return any_failed ? exit_run_failed : exit_ok;
}

}  // namespace shootout::core
