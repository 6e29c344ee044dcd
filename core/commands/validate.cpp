#include <ostream>

#include <fmt/format.h>

#include "commands/commands.h"
#include "errors.h"
#include "manifest.h"
#include "runner.h"

namespace shootout::core {

std::vector<search_dir> base_search_dirs() {
    std::vector<search_dir> dirs{{builtin_plugin_dir(), "next to the binary"}};
    for (auto& d : env_plugin_dirs()) dirs.push_back(std::move(d));
    return dirs;
}

int validate(const std::string& config, std::ostream& out) {
    plugin_host host;
    manifest m = load_manifest(config, host, base_search_dirs());
    auto instances = instantiate(m, host);
    out << fmt::format("{}: ok: {} framework(s), {} scenario(s), {} pattern(s), {} reporter(s), {} run(s)\n", config,
                       m.frameworks.size(), m.scenarios.size(), m.patterns.size(), m.reporters.size(), m.runs);
    return exit_ok;
}


}  // namespace shootout::core
