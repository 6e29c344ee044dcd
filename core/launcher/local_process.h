// Starts a system under test as a process group on this machine, and stops all of it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shootout::core::launcher {

struct process_spec {
    std::vector<std::string> command;                ///< program and arguments; looked up in shootout's own PATH
    std::filesystem::path working_dir;               ///< empty: the current directory
    std::map<std::string, std::string> environment;  ///< added to (and overriding) the inherited environment
    std::filesystem::path log_file;                  ///< stdout and stderr go here (appended)
    std::vector<int> cpus;                           ///< pin to these CPUs; empty: no pinning
};

/// A running process group: the command and every process it forks (gunicorn's workers,
/// uvicorn's), stopped together, also those that left the group (setsid()): they are found by
/// their parent links in /proc. The destructor stops it, so no server outlives shootout's
/// scope; and the group leader gets SIGTERM if shootout itself dies (PR_SET_PDEATHSIG).
class local_process {
public:
    /// Forks and execs. Throws std::runtime_error if the fork fails; an exec failure shows up as
    /// an exit with status 127 and the reason in the log file.
    explicit local_process(const process_spec& spec);
    ~local_process();
    local_process(const local_process&) = delete;
    local_process& operator=(const local_process&) = delete;

    pid_t pid() const noexcept { return pid_; }

    /// The exit status if the leader has exited ("exited with status 1", "was killed by signal 9 (Killed)").
    std::optional<std::string> exited();

    /// SIGTERM to the whole group and to every descendant, then SIGKILL to what is left after
    /// `grace`. Waits for the leader and checks that the group and the descendants are gone.
    /// Idempotent. Returns what was needed ("stopped", "killed after 10 s").
    std::string stop(std::chrono::nanoseconds grace);

    /// Remembers the descendants alive now. stop() does so itself; calling it while the server
    /// runs (say, once it is healthy) also catches a daemon whose parent exits before stop().
    void note_descendants();

private:
    bool anything_left();
    void signal_all(int signal);

    pid_t pid_ = -1;  // also the process group id
    bool reaped_ = false;
    std::optional<std::string> status_;
    std::map<pid_t, unsigned long long> descendants_;  // pid -> start time (clock ticks), as seen in /proc
};

/// The last `lines` lines of a file, for error messages ("" if unreadable), each made
/// printable() (a server's escape sequences do not reach the terminal).
std::string tail_of(const std::filesystem::path& file, std::size_t lines = 12);

/// Runs a command to completion (no shell), capturing its first line of output and its exit
/// code; gives up after `timeout`, or as soon as `*interrupted` is true (Ctrl-C). For
/// check_command and version_command.
struct command_result {
    int exit_code = -1;  ///< -1 if it could not run, timed out or was interrupted
    bool timed_out = false;
    bool interrupted = false;  ///< `*interrupted` became true while it ran; it was stopped
    std::string output;  ///< stdout and stderr, trimmed
};
command_result run_command(const std::vector<std::string>& command, const std::filesystem::path& working_dir,
                           std::chrono::nanoseconds timeout, const std::atomic<bool>* interrupted = nullptr);

/// A waitpid() status in words: "exited with status 1", "was killed by signal 9 (Killed)".
std::string describe_exit_status(int status);

}  // namespace shootout::core::launcher
