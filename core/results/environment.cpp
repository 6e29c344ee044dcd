#include "results/environment.h"

#include <sys/utsname.h>

#include <fstream>
#include <string>

#include <fmt/format.h>

#include "engine/engine.h"

namespace shootout::core {

sdk::environment current_environment() {
    sdk::environment env;
    env.shootout_version = SHOOTOUT_VERSION;
    env.build_type = SHOOTOUT_BUILD_TYPE;
    env.cores = engine::default_threads();
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            env.cpu_model = line.substr(line.find(':') + 2);
            break;
        }
    utsname u{};
    if (uname(&u) == 0) {
        env.kernel = fmt::format("{} {}", u.sysname, u.release);
        env.hostname = u.nodename;
    }
    return env;
}

sdk::environment merge_environments(const std::vector<sdk::environment>& environments) {
    sdk::environment merged;
    if (environments.empty()) return merged;
    merged = environments.back();
    for (const auto& e : environments) {
        // ISO-8601 UTC strings compare in time order.
        if (!e.started_at.empty() && (merged.started_at.empty() || e.started_at < merged.started_at)) merged.started_at = e.started_at;
        if (e.finished_at > merged.finished_at) merged.finished_at = e.finished_at;
        for (const auto& [fw, version] : e.framework_versions) merged.framework_versions[fw] = version;
    }
    return merged;
}

}  // namespace shootout::core
