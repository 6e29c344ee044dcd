// Stack samples of a server taken during one measured phase, as folded stacks: from the Python
// sampler the project ships (apps/shared/profiler), from py-spy, or from `perf record`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "folded_stacks.h"

namespace shootout::core::observe {

enum class profiler_kind { python_sampler, py_spy, perf };

/// "python-sampler", "py-spy", "perf": the names the manifest and the results use.
const char* profiler_name(profiler_kind kind);

/// The directory holding the Python sampler's sitecustomize.py: next to the binary
/// (share/shootout/python-sampler, in the build and the install tree), else the source tree's
/// apps/shared/profiler. Empty if neither exists.
std::filesystem::path python_sampler_dir();

/// The environment a local Python server needs for the sampler: PYTHONPATH (the sampler first,
/// then `inherited_pythonpath`), SHOOTOUT_PROFILE_DIR and SHOOTOUT_PROFILE_HZ.
std::vector<std::pair<std::string, std::string>> python_sampler_environment(const std::filesystem::path& control_dir,
                                                                            unsigned frequency,
                                                                            const std::string& inherited_pythonpath);

/// Whether `program` is an executable file in PATH.
bool on_path(const std::string& program);

/// Whether a process runs a Python interpreter (its executable is named python*).
bool is_python_process(pid_t pid);

/// What one profiled measurement needs.
struct profile_plan {
    profiler_kind kind = profiler_kind::python_sampler;
    unsigned frequency = 97;              ///< samples per second
    pid_t pid = 0;                        ///< the server (the root of its process tree)
    std::filesystem::path control_dir;    ///< python-sampler: the server's SHOOTOUT_PROFILE_DIR
    std::string session;                  ///< file-safe name of this measurement
    std::filesystem::path work_dir;       ///< scratch space (perf.data, py-spy output), created
};

struct profile_result {
    folded_stacks stacks;
    std::vector<std::string> warnings;  ///< what did not work; the measurement stands regardless
};

/// One profiler run over one measured phase. start() when the phase begins, stop() when it
/// ends; both from the same thread. Never throws for what the profiler does: problems come
/// back as warnings. The destructor stops a profiler still running.
class profile_session {
public:
    explicit profile_session(profile_plan plan);
    ~profile_session();
    profile_session(const profile_session&) = delete;
    profile_session& operator=(const profile_session&) = delete;

    /// Starts recording; `length` is how long the phase is planned to last (py-spy's backstop).
    void start(std::chrono::nanoseconds length);
    /// Stops recording and collects the stacks. Calling it without start() gives a warning.
    profile_result stop();

private:
    profile_result stop_python_sampler();
    profile_result stop_child(const char* what);

    profile_plan plan_;
    bool started_ = false;
    pid_t child_ = -1;  ///< py-spy or perf record
    std::filesystem::path output_, log_;
    std::vector<std::string> start_warnings_;
};

}  // namespace shootout::core::observe
