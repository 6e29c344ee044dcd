// What the host hands every plugin: its validated options and a way to log.
#pragma once

#include <string>
#include <string_view>

#include "abi.h"
#include "options.h"

namespace shootout::sdk {

enum class log_level { debug, info, warn, error };

/// The host's services. Implemented by the host; a plugin only calls it. Safe to call from any
/// thread; messages go to the host's log (stderr), tagged with the plugin's id.
class SHOOTOUT_SDK_API host_services {
public:
    virtual ~host_services() = default;
    /// `info` marks phases, `warn` degraded results, `debug` per-connection detail.
    virtual void log(log_level level, std::string_view message) const noexcept = 0;
    void debug(std::string_view m) const noexcept { log(log_level::debug, m); }
    void info(std::string_view m) const noexcept { log(log_level::info, m); }
    void warn(std::string_view m) const noexcept { log(log_level::warn, m); }
    void error(std::string_view m) const noexcept { log(log_level::error, m); }
};

/// Passed to the descriptor's `create`. Owned by the host; `host` outlives the plugin instance,
/// `options` does not (copy what you keep).
struct plugin_context {
    const option_values& options;
    const host_services& host;
    std::string_view manifest_dir;  ///< directory of the manifest, for relative paths ("" ad hoc)
};

}  // namespace shootout::sdk
