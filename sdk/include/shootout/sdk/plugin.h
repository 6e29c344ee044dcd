// The one header a plugin author includes, and the one-line registration macros.
//
//   class ping final : public shootout::sdk::scenario {
//   public:
//       static constexpr std::array<shootout::sdk::option_spec, 0> options{};
//       explicit ping(const shootout::sdk::plugin_context& ctx);
//       ...
//   };
//   SHOOTOUT_REGISTER_SCENARIO(ping, "ping", "1.0.0", "GET /ping, expects 200 text/plain 'pong'")
//
// The class needs a constructor taking `const plugin_context&` and a static constexpr array
// `options` of sdk::option_spec (empty if it takes none). The macro builds the descriptor and
// exports it through a Boost.DLL alias in the `shootout` section. Use it once per library.
#pragma once

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/alias.hpp>

#include "abi.h"
#include "host.h"
#include "load_pattern.h"
#include "options.h"
#include "reporter.h"
#include "scenario.h"

#define SHOOTOUT_DETAIL_REGISTER(kind_value, interface, class_name, id_text, version_text, description_text) \
    namespace shootout_plugin_registration {                                                              \
    static void* create(const ::shootout::sdk::plugin_context& context) {                                 \
        return static_cast<interface*>(new class_name(context));                                          \
    }                                                                                                     \
    const ::shootout_plugin_descriptor descriptor = {                                                     \
        .abi_version = SHOOTOUT_ABI_VERSION,                                                              \
        .measurement_size = static_cast<std::uint32_t>(sizeof(::shootout::sdk::measurement)),              \
        .abi_tag = SHOOTOUT_ABI_TAG,                                                                      \
        .kind = kind_value,                                                                               \
        .id = id_text,                                                                                    \
        .version = version_text,                                                                          \
        .description = description_text,                                                                  \
        .options = class_name::options.data(),                                                            \
        .option_count = class_name::options.size(),                                                       \
        .create = &create};                                                                               \
    }                                                                                                     \
    BOOST_DLL_ALIAS_SECTIONED(shootout_plugin_registration::descriptor, shootout_plugin, shootout)

#define SHOOTOUT_REGISTER_SCENARIO(class_name, id, version, description) \
    SHOOTOUT_DETAIL_REGISTER(shootout_kind_scenario, ::shootout::sdk::scenario, class_name, id, version, description)
#define SHOOTOUT_REGISTER_LOAD_PATTERN(class_name, id, version, description) \
    SHOOTOUT_DETAIL_REGISTER(shootout_kind_load_pattern, ::shootout::sdk::load_pattern, class_name, id, version, description)
#define SHOOTOUT_REGISTER_REPORTER(class_name, id, version, description) \
    SHOOTOUT_DETAIL_REGISTER(shootout_kind_reporter, ::shootout::sdk::reporter, class_name, id, version, description)
