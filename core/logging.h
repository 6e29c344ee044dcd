// The host's log: spdlog to stderr, and the sdk::host_services that plugins log through.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include <shootout/sdk/host.h>

namespace shootout::core {

/// Sets the default logger: stderr, coloured when stderr is a terminal. `level` is one of
/// trace, debug, info, warn, error, off; throws config_error otherwise.
void init_logging(const std::string& level);

/// What a plugin instance logs through: the host's logger, tagged with "<kind> '<id>'".
class plugin_log final : public sdk::host_services {
public:
    explicit plugin_log(std::string tag) : tag_(std::move(tag)) {}
    void log(sdk::log_level level, std::string_view message) const noexcept override;

private:
    std::string tag_;
};

}  // namespace shootout::core
