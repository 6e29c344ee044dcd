#include "profiler.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <thread>

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/runtime_symbol_info.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "launcher/local_process.h"
#include "process_tree.h"
#include "files.h"

extern char** environ;

namespace shootout::core::observe {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Runs `argv` with stdout to `out` and stderr to `err` (appended). Returns the pid, or -1 with
// errno set (posix_spawnp returns its error instead of setting errno).
pid_t spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return pid;
}

// Waits up to `timeout` for `pid`; SIGKILLs it after that. Returns its exit status text.
std::string wait_for(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return fmt::format("did not finish within {} s and was killed", timeout.count() / 1000);
        }
        std::this_thread::sleep_for(20ms);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) return "";  // perf re-raises the SIGINT that stopped it, after writing
    return launcher::describe_exit_status(status);
}

std::string last_line_of(const fs::path& file) {
    std::ifstream in(file);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    return last;
}

}  // namespace

const char* profiler_name(profiler_kind kind) {
    switch (kind) {
        case profiler_kind::python_sampler: return "python-sampler";
        case profiler_kind::py_spy: return "py-spy";
        case profiler_kind::perf: return "perf";
    }
    return "?";
}

fs::path python_sampler_dir() {
    std::error_code ec;
    const auto installed =
        (boost::dll::program_location(ec).parent_path() / SHOOTOUT_SAMPLER_DIR_FROM_BINARY).lexically_normal();
    if (!ec && fs::is_regular_file(installed / "sitecustomize.py", ec)) return installed;
    const fs::path source = SHOOTOUT_SAMPLER_SOURCE_DIR;
    if (fs::is_regular_file(source / "sitecustomize.py", ec)) return source;
    return {};
}

std::vector<std::pair<std::string, std::string>> python_sampler_environment(const fs::path& control_dir, unsigned frequency,
                                                                            const std::string& inherited_pythonpath) {
    const auto dir = python_sampler_dir().string();
    return {{"PYTHONPATH", inherited_pythonpath.empty() ? dir : dir + ":" + inherited_pythonpath},
            {"SHOOTOUT_PROFILE_DIR", control_dir.string()},
            {"SHOOTOUT_PROFILE_HZ", std::to_string(frequency)}};
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const auto colon = rest.find(':');
        const fs::path candidate = fs::path(rest.substr(0, colon)) / program;
        if (::access(candidate.c_str(), X_OK) == 0) return true;
        if (colon == std::string_view::npos) return false;
        rest.remove_prefix(colon + 1);
    }
}

bool is_python_process(pid_t pid) {
    std::error_code ec;
    const auto exe = fs::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
    return !ec && exe.filename().string().rfind("python", 0) == 0;
}

profile_session::profile_session(profile_plan plan) : plan_(std::move(plan)) {}

profile_session::~profile_session() {
    if (started_) stop();
}

void profile_session::start(std::chrono::nanoseconds length) {
    if (started_) return;
    started_ = true;
    std::error_code ec;
    fs::create_directories(plan_.work_dir, ec);
    const auto frequency = std::to_string(plan_.frequency);
    switch (plan_.kind) {
        case profiler_kind::python_sampler: {
            // Written whole, then renamed, so a sampler never reads half a session name.
            try {
                fs::remove_all(plan_.control_dir / plan_.session, ec);
                write_file_atomically(plan_.control_dir / "recording", plan_.session);
            } catch (const std::exception& e) {
                start_warnings_.push_back(fmt::format("profile: could not start the Python sampler: {}", e.what()));
            }
            return;
        }
        case profiler_kind::py_spy: {
            output_ = plan_.work_dir / (plan_.session + ".py-spy.folded");
            log_ = plan_.work_dir / (plan_.session + ".py-spy.log");
            const auto seconds = static_cast<long>(std::ceil(std::chrono::duration<double>(length).count())) + 5;
            child_ = spawn({"py-spy", "record", "--pid", std::to_string(plan_.pid), "--subprocesses", "--nonblocking",
                            "--rate", frequency, "--format", "raw", "--duration", std::to_string(seconds), "-o",
                            output_.string()},
                           log_, log_);
            break;
        }
        case profiler_kind::perf: {
            // Every process of the tree now: perf -p follows threads, not processes forked later.
            std::vector<pid_t> tree;
            for (const auto& [pid, cpu] : read_tree(plan_.pid).cpu_seconds) tree.push_back(pid);
            const std::string pids = tree.empty() ? std::to_string(plan_.pid) : fmt::format("{}", fmt::join(tree, ","));
            output_ = plan_.work_dir / (plan_.session + ".perf.data");
            log_ = plan_.work_dir / (plan_.session + ".perf.log");
            child_ = spawn({"perf", "record", "-q", "-e", "cpu-clock", "-F", frequency, "-g", "-p", pids, "-o", output_.string()},
                           log_, log_);
            break;
        }
    }
    if (child_ < 0)
        start_warnings_.push_back(fmt::format("profile: could not start {}: {}", profiler_name(plan_.kind), std::strerror(errno)));
}

profile_result profile_session::stop() {
    if (!started_) return {{}, {"profile: the profiler was never started (the measured phase did not begin)"}};
    started_ = false;
    profile_result result = plan_.kind == profiler_kind::python_sampler ? stop_python_sampler()
                                                                         : stop_child(profiler_name(plan_.kind));
    result.warnings.insert(result.warnings.begin(), start_warnings_.begin(), start_warnings_.end());
    return result;
}

profile_result profile_session::stop_python_sampler() {
    profile_result result;
    std::error_code ec;
    fs::remove(plan_.control_dir / "recording", ec);
    // Every Python process of the tree writes <session>/<pid>.folded within one idle poll
    // (50 ms) of seeing the control file gone; a busy one may need its GIL turn first.
    const fs::path session_dir = plan_.control_dir / plan_.session;
    std::vector<pid_t> expected;
    for (const auto& [pid, cpu] : read_tree(plan_.pid).cpu_seconds)
        if (is_python_process(pid)) expected.push_back(pid);
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    std::vector<pid_t> missing;
    do {
        missing.clear();
        for (pid_t pid : expected)
            if (!fs::exists(session_dir / fmt::format("{}.folded", pid), ec) && ::kill(pid, 0) == 0) missing.push_back(pid);
        if (missing.empty()) break;
        std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(session_dir, ec)) {
        if (entry.path().extension() != ".folded") continue;
        std::ifstream in(entry.path());
        add_folded(in, result.stacks);
        ++files;
    }
    fs::remove_all(session_dir, ec);
    if (files == 0)
        result.warnings.push_back(fmt::format(
            "profile: the Python sampler wrote nothing into {}: the server does not seem to load it (is it a Python "
            "server started by shootout? it needs the PYTHONPATH shootout sets)",
            session_dir.string()));
    else if (!missing.empty())
        result.warnings.push_back(fmt::format("profile: {} of {} Python processes did not write their samples within 3 s",
                                              missing.size(), expected.size()));
    return result;
}

profile_result profile_session::stop_child(const char* what) {
    profile_result result;
    if (child_ < 0) return result;
    ::kill(child_, SIGINT);  // both write their output on SIGINT, like Ctrl-C
    const auto status = wait_for(child_, 15s);
    child_ = -1;
    if (!status.empty())
        result.warnings.push_back(fmt::format("profile: {} {}: {} (log: {})", what, status, last_line_of(log_), log_.string()));
    std::error_code ec;
    if (!fs::exists(output_, ec)) {
        if (status.empty())
            result.warnings.push_back(fmt::format("profile: {} wrote no output: {} (log: {})", what, last_line_of(log_), log_.string()));
        return result;
    }
    if (plan_.kind == profiler_kind::py_spy) {
        {
            std::ifstream in(output_);
            add_folded(in, result.stacks);
        }
        fs::remove(output_, ec);
        if (result.warnings.empty()) fs::remove(log_, ec);
        return result;
    }
    const auto script = plan_.work_dir / (plan_.session + ".perf-script.txt");
    const pid_t pid = spawn({"perf", "script", "-i", output_.string()}, script, log_);
    if (pid < 0) {
        result.warnings.push_back(fmt::format("profile: could not run perf script: {}", std::strerror(errno)));
        return result;
    }
    if (const auto s = wait_for(pid, 120s); !s.empty())
        result.warnings.push_back(fmt::format("profile: perf script {}: {} (log: {})", s, last_line_of(log_), log_.string()));
    {
        std::ifstream in(script);
        result.stacks = fold_perf_script(in);
    }
    fs::remove(script, ec);
    fs::remove(output_, ec);
    if (result.warnings.empty()) fs::remove(log_, ec);
    return result;
}

}  // namespace shootout::core::observe
