#include "launcher/framework_server.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/ranges.h>

#include "launcher/http_probe.h"
#include "observe/profiler.h"
#include "run/console.h"
#include "run/interrupt.h"

namespace shootout::core {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string join_command(const std::vector<std::string>& command) { return fmt::format("{}", fmt::join(command, " ")); }

std::optional<std::string> installation_problem(const framework_entry& fw) {
    if (fw.mode != framework_entry::launch_mode::local || fw.local->check_command.empty()) return std::nullopt;
    const auto& local = *fw.local;
    if (interrupt_requested()) return "the run was interrupted";
    auto check = launcher::run_command(local.check_command, local.working_dir, 60s, &interrupt_flag());
    if (check.interrupted)
        return fmt::format("the run was interrupted (during {}'s check `{}`)", fw.name, join_command(local.check_command));
    if (check.timed_out)
        return fmt::format("{}: `{}` did not finish within 60 s", fw.name, join_command(local.check_command));
    if (check.exit_code == 0) return std::nullopt;
    const auto last = check.output.substr(check.output.rfind('\n') == std::string::npos ? 0 : check.output.rfind('\n') + 1);
    return fmt::format("{} is not installed here (`{}` failed: {}){}", fw.name, join_command(local.check_command),
                       last.empty() ? "no output" : last, local.missing_hint.empty() ? "" : "; " + local.missing_hint);
}

running_framework::running_framework(const framework_entry& fw, const manifest& m, const database::postgres* db,
                                     const fs::path& log_dir, const fs::path& sampler_dir,
                                     const std::optional<std::string>& not_installed)
    : fw_(fw) {

    if (fw.mode != framework_entry::launch_mode::local) return;
    if (interrupt_requested()) {
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
        if (interrupt_requested()) {
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
    process_->note_descendants();  // a worker that daemonizes (double fork, setsid) is still stopped
    spdlog::info("{}: healthy after {:.1f} s (pid {}, log {})", fw.name,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), process_->pid(),
                 log_.string());
}

}  // namespace shootout::core
