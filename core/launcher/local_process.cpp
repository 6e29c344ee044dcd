#include "local_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

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

std::string local_process::stop(std::chrono::nanoseconds grace) {
    if (pid_ <= 0) return "stopped";
    ::kill(-pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    std::string how = "stopped";
    // Wait for the leader, then for the rest of the group (workers may outlive their master).
    while (std::chrono::steady_clock::now() < deadline) {
        exited();
        if (reaped_ && !group_alive(pid_)) break;
        std::this_thread::sleep_for(20ms);
    }
    exited();
    if (!reaped_ || group_alive(pid_)) {
        ::kill(-pid_, SIGKILL);
        how = fmt::format("killed after {} s", std::chrono::duration_cast<std::chrono::seconds>(grace).count());
        for (int i = 0; i < 250 && (!reaped_ || group_alive(pid_)); ++i) {
            exited();
            std::this_thread::sleep_for(20ms);
        }
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
    std::string text;
    for (const auto& l : last) text += (text.empty() ? "" : "\n") + l;
    return text;
}

command_result run_command(const std::vector<std::string>& command, const std::filesystem::path& working_dir,
                           std::chrono::nanoseconds timeout) {
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
        while (!(status = p.exited()) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        result.timed_out = !status;
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
