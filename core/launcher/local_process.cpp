#include "local_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "printable.h"

extern char** environ;

namespace shootout::core::launcher {

std::string describe_exit_status(int status) {
    if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
    return "stopped";
}

namespace {

using namespace std::chrono_literals;


bool group_alive(pid_t group) { return ::kill(-group, 0) == 0 || errno == EPERM; }

// One process as /proc/PID/stat shows it: its parent, whether it is a zombie, and when it
// started (clock ticks since boot), which tells a process from a later one given the same pid.
struct proc_entry {
    pid_t ppid = 0;
    bool zombie = false;
    unsigned long long start_ticks = 0;
};

// The command name (field 2) may hold spaces and parentheses, so fields count from the last ')'.
std::optional<proc_entry> read_proc_entry(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 > line.size()) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string state, skip;
    proc_entry e;
    fields >> state >> e.ppid;
    for (int i = 5; i < 22; ++i) fields >> skip;  // pgrp (5) .. itrealvalue (21)
    fields >> e.start_ticks;                      // starttime (22)
    if (!fields) return std::nullopt;
    e.zombie = state == "Z" || state == "X";
    return e;
}

// Every descendant of `root` alive now, found by parent links in /proc: unlike the process
// group, this also holds a worker that called setsid() or setpgid() to leave the group.
std::map<pid_t, unsigned long long> descendants_of(pid_t root) {
    std::map<pid_t, proc_entry> all;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto pid = static_cast<pid_t>(std::stol(name));
        if (auto e = read_proc_entry(pid)) all[pid] = *e;
    }
    std::map<pid_t, unsigned long long> found;
    std::vector<pid_t> frontier{root};
    while (!frontier.empty()) {
        const pid_t parent = frontier.back();
        frontier.pop_back();
        for (const auto& [pid, e] : all)
            if (e.ppid == parent && !found.count(pid)) {
                found[pid] = e.start_ticks;
                frontier.push_back(pid);
            }
    }
    return found;
}

// Whether the process `pid` that started at `start_ticks` is still running (a zombie is not:
// it holds no port and uses no CPU, and its parent reaps it).
bool still_running(pid_t pid, unsigned long long start_ticks) {
    const auto e = read_proc_entry(pid);
    return e && !e->zombie && e->start_ticks == start_ticks;
}

}  // namespace

local_process::local_process(const process_spec& spec) {
    if (spec.command.empty()) throw std::runtime_error("no command to start");
    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<std::string> env_storage;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        if (!spec.environment.count(name)) env_storage.push_back(std::move(entry));
    }
    for (const auto& [k, v] : spec.environment) env_storage.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = spec.command;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string dir = spec.working_dir.string();
    const std::string log = spec.log_file.string();
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    for (int c : spec.cpus) CPU_SET(c, &cpus);
    const pid_t parent = ::getpid();
    // What the child says if it cannot go on, written before fork: after it, only write().
    const std::string cannot_exec = "shootout: cannot execute `" + spec.command.front() +
                                    "` (not found in PATH, or not executable)\n";
    const std::string cannot_chdir = "shootout: cannot enter the working directory " + dir + "\n";
    const std::string cannot_pin = "shootout: cannot pin the server to the requested CPUs (do they exist?)\n";

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(127);  // shootout died before prctl took effect
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGHUP, SIG_DFL);
        ::signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        const int in = ::open("/dev/null", O_RDONLY);
        if (in > 0) {
            ::dup2(in, 0);
            ::close(in);
        }
        if (!log.empty()) {
            const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (out >= 0) {
                ::dup2(out, 1);
                ::dup2(out, 2);
                if (out > 2) ::close(out);
            }
        }
        if (!spec.cpus.empty() && ::sched_setaffinity(0, sizeof cpus, &cpus) != 0) {
            ::write(2, cannot_pin.data(), cannot_pin.size());
            ::_exit(127);
        }
        if (!dir.empty() && ::chdir(dir.c_str()) != 0) {
            ::write(2, cannot_chdir.data(), cannot_chdir.size());
            ::_exit(127);
        }
        ::execvpe(argv[0], argv.data(), envp.data());
        ::write(2, cannot_exec.data(), cannot_exec.size());
        ::_exit(127);
    }
    ::setpgid(pid_, pid_);  // also from the parent, so the group exists before anyone signals it
}

local_process::~local_process() { stop(5s); }

std::optional<std::string> local_process::exited() {
    if (reaped_) return status_;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        status_ = describe_exit_status(status);
    }
    return status_;
}

void local_process::note_descendants() {
    // Once the leader is reaped its pid may be someone else's: only its own children are followed.
    if (pid_ <= 0 || reaped_) return;
    for (const auto& [pid, start] : descendants_of(pid_)) descendants_.emplace(pid, start);
}

bool local_process::anything_left() {
    exited();
    if (!reaped_ || group_alive(pid_)) return true;
    return std::any_of(descendants_.begin(), descendants_.end(),
                       [](const auto& d) { return still_running(d.first, d.second); });
}

void local_process::signal_all(int signal) {
    ::kill(-pid_, signal);
    for (const auto& [pid, start] : descendants_)
        if (still_running(pid, start)) ::kill(pid, signal);
}

std::string local_process::stop(std::chrono::nanoseconds grace) {
    if (pid_ <= 0) return "stopped";
    // The group, and every descendant, also one that left the group with setsid(): found now,
    // while the leader still links them to it (an orphan's parent becomes init).
    note_descendants();
    signal_all(SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    std::string how = "stopped";
    // Wait for the leader, then for the rest (workers may outlive their master).
    while (std::chrono::steady_clock::now() < deadline) {
        note_descendants();  // forked while stopping: a new process is also ours to stop
        if (!anything_left()) break;
        std::this_thread::sleep_for(20ms);
    }
    if (anything_left()) {
        note_descendants();
        signal_all(SIGKILL);
        how = fmt::format("killed after {} s", std::chrono::duration_cast<std::chrono::seconds>(grace).count());
        for (int i = 0; i < 250 && anything_left(); ++i) std::this_thread::sleep_for(20ms);
        if (!reaped_) {
            int status = 0;
            ::waitpid(pid_, &status, 0);
            reaped_ = true;
        }
    }
    pid_ = -1;
    return how;
}

std::string tail_of(const std::filesystem::path& file, std::size_t lines) {
    std::ifstream in(file);
    std::deque<std::string> last;
    for (std::string line; std::getline(in, line);) {
        last.push_back(line);
        if (last.size() > lines) last.pop_front();
    }
    // A server's log may hold anything, terminal escape sequences included: each line is made
    // printable, so an error message that quotes it cannot repaint or retitle the terminal.
    std::string text;
    for (const auto& l : last) text += (text.empty() ? "" : "\n") + printable(l);
    return text;
}

command_result run_command(const std::vector<std::string>& command, const std::filesystem::path& working_dir,
                           std::chrono::nanoseconds timeout, const std::atomic<bool>* interrupted) {
    command_result result;
    char pattern[] = "/tmp/shootout-cmd-XXXXXX";
    const int fd = ::mkstemp(pattern);
    if (fd < 0) return result;
    ::close(fd);
    const std::filesystem::path log = pattern;
    {
        process_spec spec{command, working_dir, {}, log, {}};
        local_process p(spec);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::optional<std::string> status;
        auto asked_to_stop = [&] { return interrupted && interrupted->load(); };
        while (!(status = p.exited()) && std::chrono::steady_clock::now() < deadline && !asked_to_stop())
            std::this_thread::sleep_for(10ms);
        result.interrupted = !status && asked_to_stop();
        result.timed_out = !status && !result.interrupted;
        if (status && status->rfind("exited with status ", 0) == 0) result.exit_code = std::stoi(status->substr(19));
        p.stop(1s);
    }
    result.output = tail_of(log, 20);
    while (!result.output.empty() && (result.output.back() == '\n' || result.output.back() == ' '))
        result.output.pop_back();
    std::filesystem::remove(log);
    return result;
}

}  // namespace shootout::core::launcher
