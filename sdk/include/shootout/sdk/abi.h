// The ABI between the shootout host and its plugins.
//
// Every plugin library exports exactly one `shootout_plugin_descriptor` through a Boost.DLL alias
// named `shootout_plugin` in the ELF section `shootout`. The host finds that section without
// loading the library, loads it, and reads `abi_version` before it touches any other field: a
// library built against another ABI is refused with both numbers, never called.
#pragma once

#include <cstddef>
#include <cstdint>

/// Bumped whenever any SDK type that crosses the library boundary changes its layout or
/// semantics (the descriptor, the option and result structs, the virtual interfaces).
/// 2: http_session::expected() (a head every response is checked against), measurement's
///    `unfinished` and `body_checks`.
/// 3: reporter::finish(const report_input&) (the host's summary handed over, the statistics
///    out of the SDK), measurement's per-second latency buckets and typed open-model counters
///    and placement in place of `extra`.
#define SHOOTOUT_ABI_VERSION 3u

/// Symbols and types that must be shared between the host and plugins built with
/// -fvisibility=hidden (virtual tables, type_info for exceptions) are marked with this.
#define SHOOTOUT_SDK_API __attribute__((visibility("default")))

/// The alias name and the section that hold the descriptor. Section names are at most 8 bytes.
#define SHOOTOUT_PLUGIN_ALIAS "shootout_plugin"
#define SHOOTOUT_PLUGIN_SECTION "shootout"

namespace shootout::sdk {
struct option_spec;
struct plugin_context;
}  // namespace shootout::sdk

extern "C" {

/// The three kinds of plugin. The value is part of the ABI.
enum shootout_plugin_kind : std::uint32_t {
    shootout_kind_scenario = 1,      ///< builds requests and verifies responses (sdk/scenario.h)
    shootout_kind_load_pattern = 2,  ///< says how much load, and when (sdk/load_pattern.h)
    shootout_kind_reporter = 3,      ///< turns results into reports (sdk/reporter.h)
};

/// The one thing a plugin library exports. Static, immutable, owned by the library; the host
/// reads it after checking `abi_version` and keeps the library loaded until exit, so every
/// pointer here stays valid for the life of the process.
struct shootout_plugin_descriptor {
    std::uint32_t abi_version;  ///< SHOOTOUT_ABI_VERSION the plugin was built with; always first.
    std::uint32_t kind;         ///< a shootout_plugin_kind
    const char* id;             ///< short lowercase id used in manifests: "ping", "steady", "md"
    const char* version;        ///< the plugin's own version, free text ("1.0.0")
    const char* description;    ///< one line for `shootout list-plugins`
    const shootout::sdk::option_spec* options;  ///< the options the plugin accepts (may be null)
    std::size_t option_count;
    /// Makes one plugin instance from validated options. Called on the control thread. Returns
    /// a pointer to the kind's interface (sdk::scenario, sdk::load_pattern or sdk::reporter),
    /// owned by the host, which destroys it with `delete` through the virtual destructor.
    /// May throw sdk::config_error (naming an option) or any std::exception.
    void* (*create)(const shootout::sdk::plugin_context& context);
};

}  // extern "C"
