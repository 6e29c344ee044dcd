// The ABI between the shootout host and its plugins.
//
// Every plugin library exports exactly one `shootout_plugin_descriptor` through a Boost.DLL alias
// named `shootout_plugin` in the ELF section `shootout`. The host finds that section without
// loading the library, loads it, and reads `abi_version` before it touches any other field: a
// library built against another ABI is refused with both numbers, never called. Then the
// toolchain tag and the size of sdk::measurement: a library built by another compiler family or
// major version, another standard library ABI or another SDK minor version is refused the same way.
#pragma once

#include <cstddef>
#include <cstdint>

/// Bumped whenever any SDK type that crosses the library boundary changes its layout or
/// semantics (the descriptor, the option and result structs, the virtual interfaces).
/// 2: http_session::expected() (a head every response is checked against), measurement's
///    `unfinished` and `body_checks`.
/// 3: reporter::finish(const report_input&) (the host's summary handed over, the statistics
///    out of the SDK); measurement's per-second latency buckets, typed open-model counters and
///    placement in place of `extra`, its connection mode (requests_per_connection); the descriptor's `abi_tag` and `measurement_size` (checked right after the version);
///    options v2: option_values::given(), nested `table` and `table_list` options (option_spec's
///    `fields`), `integer_list` and `number_list`.
/// 4: the summary's thresholds: criteria::thresholds (sdk::stats::threshold) and each group's
///    judged `thresholds` (sdk::stats::threshold_check); option_type::json (any TOML value,
///    handed to the plugin as its JSON text);
///    load_pattern::adaptive() and sdk::adaptive_load_pattern (the SLO search proposes one probe
///    at a time); measurement's `search` (its probes and the rate found), `shard` and `merged`
///    (a distributed load's shard, and what `shootout merge` made a measurement from).
/// 5: per-request counts of a scenario with several requests: scenario::request_labels(),
///    wire_request::kind, measurement's `requests` and the summary group's `requests`.
#define SHOOTOUT_ABI_VERSION 5u

/// The SDK's version, major and minor. Plugins are built for one minor version: the tag below
/// carries it, so a plugin built against another minor version is refused. (Checked against
/// the project's version when shootout is configured: sdk/CMakeLists.txt.)
#define SHOOTOUT_SDK_VERSION_MAJOR 0
#define SHOOTOUT_SDK_VERSION_MINOR 1

#define SHOOTOUT_DETAIL_STRINGIFY2(x) #x
#define SHOOTOUT_DETAIL_STRINGIFY(x) SHOOTOUT_DETAIL_STRINGIFY2(x)

// The compiler family and major version: the C++ ABI is shared within one family's major
// version; across them, layouts of the standard types the SDK uses may differ.
#if defined(__clang__)
#define SHOOTOUT_DETAIL_COMPILER "clang-" SHOOTOUT_DETAIL_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define SHOOTOUT_DETAIL_COMPILER "gcc-" SHOOTOUT_DETAIL_STRINGIFY(__GNUC__)
#else
#define SHOOTOUT_DETAIL_COMPILER "unknown-compiler"
#endif

// The standard library, and for libstdc++ its string ABI (std::string and std::list changed
// layout with _GLIBCXX_USE_CXX11_ABI; the option and result types hold std::string).
#if defined(_LIBCPP_VERSION)
#define SHOOTOUT_DETAIL_STDLIB "libc++"
#elif defined(_GLIBCXX_USE_CXX11_ABI)
#define SHOOTOUT_DETAIL_STDLIB "libstdc++ cxx11-abi=" SHOOTOUT_DETAIL_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#else
#define SHOOTOUT_DETAIL_STDLIB "unknown-stdlib"
#endif

/// What besides SHOOTOUT_ABI_VERSION must agree between the host and a plugin, as one string:
/// "gcc-12 libstdc++ cxx11-abi=1 sdk-0.1". The host compares it whole with its own.
#define SHOOTOUT_ABI_TAG                                          \
    SHOOTOUT_DETAIL_COMPILER " " SHOOTOUT_DETAIL_STDLIB " sdk-"   \
    SHOOTOUT_DETAIL_STRINGIFY(SHOOTOUT_SDK_VERSION_MAJOR) "." SHOOTOUT_DETAIL_STRINGIFY(SHOOTOUT_SDK_VERSION_MINOR)

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
/// reads it after checking `abi_version`, then `abi_tag` and `measurement_size`, and keeps the
/// library loaded until exit, so every pointer here stays valid for the life of the process.
struct shootout_plugin_descriptor {
    std::uint32_t abi_version;  ///< SHOOTOUT_ABI_VERSION the plugin was built with; always first.
    /// sizeof(shootout::sdk::measurement) as the plugin saw it: a second key, so a plugin built
    /// against headers that changed the results without a version bump is refused too.
    std::uint32_t measurement_size;
    const char* abi_tag;        ///< SHOOTOUT_ABI_TAG the plugin was built with
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
