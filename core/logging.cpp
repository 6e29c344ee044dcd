#include "logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "errors.h"

namespace shootout::core {

void init_logging(const std::string& level) {
    auto parsed = spdlog::level::from_str(level);
    // from_str answers "off" for anything it does not know; only accept "off" when asked for.
    if (parsed == spdlog::level::off && level != "off")
        throw config_error("--log-level: unknown level '" + level +
                           "' (known: trace, debug, info, warn, error, off)");
    spdlog::drop("shootout");  // run_cli may be called more than once in a process (tests)
    auto logger = spdlog::stderr_color_mt("shootout");
    logger->set_pattern("%^[%H:%M:%S.%e %l]%$ %v");
    logger->set_level(parsed);
    spdlog::set_default_logger(logger);
}

void plugin_log::log(sdk::log_level level, std::string_view message) const noexcept {
    try {
        const auto spd = level == sdk::log_level::debug  ? spdlog::level::debug
                         : level == sdk::log_level::info ? spdlog::level::info
                         : level == sdk::log_level::warn ? spdlog::level::warn
                                                         : spdlog::level::err;
        spdlog::log(spd, "{}: {}", tag_, message);
    } catch (...) {
        // Logging must never take a plugin down.
    }
}

}  // namespace shootout::core
