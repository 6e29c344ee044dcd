// Control-plane errors. Each carries a message for a person: the thing, the place, the fix.
// The data plane (the load engine) never throws per request; it counts outcomes instead.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace shootout::core {

/// Exit codes of the `shootout` command.
/// 3: a shard was ready only after its --start-at and refused to run (docs/distributed.md).
enum exit_code : int { exit_ok = 0, exit_run_failed = 1, exit_usage = 2, exit_late_start = 3 };

/// Bad command line or manifest, or a plugin that cannot be used: exit code 2.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Several located diagnostics, each already formatted as `file:line:col: error: ...`.
class manifest_error : public config_error {
public:
    explicit manifest_error(std::vector<std::string> diagnostics)
        : config_error(join(diagnostics)), diagnostics_(std::move(diagnostics)) {}
    const std::vector<std::string>& diagnostics() const noexcept { return diagnostics_; }

private:
    static std::string join(const std::vector<std::string>& lines) {
        std::string text;
        for (const auto& line : lines) {
            if (!text.empty()) text += '\n';
            text += line;
        }
        return text;
    }
    std::vector<std::string> diagnostics_;
};

/// A plugin that cannot be loaded or created.
class plugin_error : public config_error {
public:
    using config_error::config_error;
};

}  // namespace shootout::core
