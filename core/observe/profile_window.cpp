#include "observe/profile_window.h"

#include <fmt/format.h>

#include "observe/docker_stats.h"

namespace shootout::core {

std::variant<observe::profile_plan, std::string> choose_profiler(const profile_settings& settings,
                                                                 const framework_entry& fw, int server_pid,
                                                                 const std::filesystem::path& sampler_dir) {
    using choice = profile_settings::choice;
    observe::profile_plan plan;
    plan.frequency = settings.frequency;
    plan.pid = server_pid;
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
                               fw.name, perf ? "" : " (scripts/setup.sh installs it from PyPI into .venvs/tools and links /usr/local/bin/py-spy)");
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
            if (python && !sampler_dir.empty()) {
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
            if (!python || sampler_dir.empty())
                return fmt::format("{}'s server (pid {}) is not a Python interpreter, so the Python sampler cannot run in "
                                   "it; use profiler = \"perf\" or \"auto\"",
                                   fw.name, plan.pid);
            plan.kind = observe::profiler_kind::python_sampler;
            break;
        case choice::py_spy:
            if (!observe::on_path("py-spy")) return "py-spy is not on PATH (scripts/setup.sh installs it from PyPI and links /usr/local/bin/py-spy)";
            plan.kind = observe::profiler_kind::py_spy;
            break;
        case choice::perf:
            if (!observe::on_path("perf")) return "perf is not on PATH (install linux-perf)";
            plan.kind = observe::profiler_kind::perf;
            break;
    }
    plan.control_dir = sampler_dir;
    return plan;
}

}  // namespace shootout::core
