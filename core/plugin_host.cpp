#include "plugin_host.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <set>

#include <boost/dll/library_info.hpp>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "errors.h"
#include "option_parsing.h"

#ifndef SHOOTOUT_PLUGIN_DIR_FROM_BINARY
#error "the build must define SHOOTOUT_PLUGIN_DIR_FROM_BINARY"
#endif

namespace shootout::core {
namespace {

namespace fs = std::filesystem;

// Libraries stay loaded until the process exits: plugin objects, their vtables and the strings
// in their descriptors live in them, and unloading at static-destruction time would race with
// anything still holding one. Deliberately never freed.
std::deque<boost::dll::shared_library>& loaded_libraries() {
    static auto* libraries = new std::deque<boost::dll::shared_library>;
    return *libraries;
}

// The loggers handed to plugin instances, kept as long as the libraries for the same reason.
std::deque<plugin_log>& plugin_logs() {
    static auto* logs = new std::deque<plugin_log>;
    return *logs;
}

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

}  // namespace

std::string_view kind_name(plugin_kind kind) {
    switch (kind) {
        case plugin_kind::scenario: return "scenario";
        case plugin_kind::load_pattern: return "pattern";
        case plugin_kind::reporter: return "reporter";
    }
    return "plugin";
}

fs::path builtin_plugin_dir() {
    return (boost::dll::program_location().parent_path() / SHOOTOUT_PLUGIN_DIR_FROM_BINARY).lexically_normal();
}

std::vector<search_dir> env_plugin_dirs() {
    std::vector<search_dir> dirs;
    const char* value = std::getenv("SHOOTOUT_PLUGIN_PATH");
    if (!value) return dirs;
    std::string_view rest = value;
    while (true) {
        auto colon = rest.find(':');
        auto item = rest.substr(0, colon);
        if (!item.empty()) dirs.push_back({fs::path(item), "SHOOTOUT_PLUGIN_PATH"});
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    return dirs;
}

void plugin_host::discover(const std::vector<search_dir>& dirs) {
    for (const auto& dir : dirs) {
        searched_.push_back(dir);
        std::error_code ec;
        if (!fs::is_directory(dir.path, ec)) {
            // The user named this one (the built-in directory may be absent in a partial install).
            if (dir.origin == "SHOOTOUT_PLUGIN_PATH")
                spdlog::warn("SHOOTOUT_PLUGIN_PATH names {}, which is not a directory: no plugin is loaded from it",
                             dir.path.string());
            else
                spdlog::debug("plugin directory {} ({}) does not exist; skipped", dir.path.string(), dir.origin);
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir.path, ec))
            if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) files.push_back(entry.path());
        std::sort(files.begin(), files.end());  // a stable order, whatever the file system says
        for (const auto& file : files) {
            auto canonical = fs::weakly_canonical(file, ec);
            if (std::find(seen_.begin(), seen_.end(), canonical) != seen_.end()) continue;
            seen_.push_back(canonical);
            load(file);
        }
    }
}

void plugin_host::load(const fs::path& file) {
    const std::string name = file.string();
    auto problem = [&](std::string message) { problems_.push_back({file, std::move(message)}); };

    // Look for the descriptor's section before loading, so a library that is not a plugin never
    // has its code run.
    try {
        boost::dll::library_info info(file);
        auto symbols = info.symbols(SHOOTOUT_PLUGIN_SECTION);
        if (std::find(symbols.begin(), symbols.end(), SHOOTOUT_PLUGIN_ALIAS) == symbols.end()) {
            problem(fmt::format("'{}' is not a shootout plugin: it has no '{}' entry point in section '{}'. "
                                "Register the plugin with one SHOOTOUT_REGISTER_* macro from "
                                "<shootout/sdk/plugin.h>, or remove the file from the plugin path",
                                name, SHOOTOUT_PLUGIN_ALIAS, SHOOTOUT_PLUGIN_SECTION));
            return;
        }
    } catch (const std::ios_base::failure&) {
        // Boost.DLL reads the headers with a stream: a short or foreign file fails as a bare
        // "iostream error", which would tell the user nothing.
        problem(fmt::format("'{}' is not a shared library shootout can read (not an ELF file, or a truncated one); "
                            "remove it from the plugin path",
                            name));
        return;
    } catch (const std::exception& e) {
        problem(fmt::format("'{}' is not a shared library shootout can read ({}); remove it from the plugin path",
                            name, e.what()));
        return;
    }

    boost::dll::shared_library library;
    try {
        library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        problem(fmt::format("'{}' could not be loaded: {}", name, e.what()));
        return;
    }
    const auto* descriptor = &library.get_alias<const shootout_plugin_descriptor>(SHOOTOUT_PLUGIN_ALIAS);

    // The ABI version first: nothing else in the descriptor means anything if it differs.
    if (descriptor->abi_version != SHOOTOUT_ABI_VERSION) {
        problem(fmt::format("Wrong ABI version on plugin '{}'. Got version {}, supported version is {}. "
                            "Rebuild the plugin against this shootout's SDK",
                            name, descriptor->abi_version, SHOOTOUT_ABI_VERSION));
        return;
    }
    if (descriptor->kind < shootout_kind_scenario || descriptor->kind > shootout_kind_reporter) {
        problem(fmt::format("plugin '{}' declares unknown kind {} (1 scenario, 2 load pattern, 3 reporter)",
                            name, descriptor->kind));
        return;
    }
    if (!descriptor->id || !valid_id(descriptor->id)) {
        problem(fmt::format("plugin '{}' has an invalid id '{}': use 1 to 64 of a-z, 0-9, '-' and '_'", name,
                            descriptor->id ? descriptor->id : "(null)"));
        return;
    }
    if (!descriptor->create) {
        problem(fmt::format("plugin '{}' ('{}') has no factory function", name, descriptor->id));
        return;
    }

    plugin_info info;
    info.kind = static_cast<plugin_kind>(descriptor->kind);
    info.id = descriptor->id;
    info.version = descriptor->version ? descriptor->version : "";
    info.description = descriptor->description ? descriptor->description : "";
    info.file = file;
    info.descriptor = descriptor;
    std::set<std::string> keys;
    for (std::size_t i = 0; i < descriptor->option_count; ++i) {
        const auto& spec = descriptor->options[i];
        const std::string key = spec.key ? spec.key : "";
        if (key.empty() || key == "plugin" || !keys.insert(key).second) {
            problem(fmt::format("plugin '{}' ('{}') declares option '{}' {}; every key must be unique, non-empty "
                                "and not 'plugin'",
                                name, info.id, key, key == "plugin" ? "which is reserved" : "more than once or empty"));
            return;
        }
        if (spec.default_value) {
            auto value = parse_default(spec.type, spec.default_value);
            if (!value) {
                problem(fmt::format("plugin '{}' ('{}'): the default \"{}\" of option '{}' is not {}", name, info.id,
                                    spec.default_value, key, describe(spec.type)));
                return;
            }
            info.defaults.set(key, *value);
        }
        info.options.push_back(spec);
    }

    for (const auto& other : plugins_) {
        if (other.kind == info.kind && other.id == info.id) {
            problem(fmt::format("two {} plugins have the id '{}': '{}' and '{}'. Remove one of them from the plugin "
                                "path, or give one another id",
                                kind_name(info.kind), info.id, other.file.string(), name));
            return;
        }
    }
    spdlog::debug("loaded {} plugin '{}' {} from {}", kind_name(info.kind), info.id, info.version, name);
    loaded_libraries().push_back(std::move(library));
    plugins_.push_back(std::move(info));
}

const plugin_info* plugin_host::find(plugin_kind kind, std::string_view id) const noexcept {
    for (const auto& p : plugins_)
        if (p.kind == kind && p.id == id) return &p;
    return nullptr;
}

std::string plugin_host::available(plugin_kind kind) const {
    std::vector<std::string> ids;
    for (const auto& p : plugins_)
        if (p.kind == kind) ids.push_back(p.id);
    if (ids.empty()) return "none";
    std::sort(ids.begin(), ids.end());
    return fmt::format("{}", fmt::join(ids, ", "));
}

std::string plugin_host::unknown_plugin_message(plugin_kind kind, std::string_view id) const {
    std::vector<std::string> dirs;
    for (const auto& d : searched_) dirs.push_back(d.path.string());
    return fmt::format("no {} '{}'; available: {} (searched: {})", kind_name(kind), id, available(kind),
                       dirs.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(dirs, ", ")));
}

void* plugin_host::create(const plugin_info& info, plugin_kind expected, const sdk::option_values& options,
                          std::string_view manifest_dir) const {
    if (info.kind != expected)
        throw plugin_error(fmt::format("plugin '{}' is a {}, not a {}", info.id, kind_name(info.kind),
                                       kind_name(expected)));
    auto& log = plugin_logs().emplace_back(fmt::format("{} '{}'", kind_name(info.kind), info.id));
    const sdk::plugin_context context{options, log, manifest_dir};
    void* instance = nullptr;
    try {
        instance = info.descriptor->create(context);
    } catch (const sdk::config_error&) {
        throw;
    } catch (const std::exception& e) {
        throw plugin_error(fmt::format("{} '{}' ({}) failed to start: {}", kind_name(info.kind), info.id,
                                       info.file.string(), e.what()));
    } catch (...) {
        throw plugin_error(fmt::format("{} '{}' ({}) failed to start: it threw something that is not a "
                                       "std::exception",
                                       kind_name(info.kind), info.id, info.file.string()));
    }
    if (!instance)
        throw plugin_error(fmt::format("{} '{}' ({}) failed to start: its factory returned nothing",
                                       kind_name(info.kind), info.id, info.file.string()));
    return instance;
}

std::unique_ptr<sdk::scenario> plugin_host::make_scenario(const plugin_info& info, const sdk::option_values& options,
                                                          std::string_view manifest_dir) const {
    return std::unique_ptr<sdk::scenario>(
        static_cast<sdk::scenario*>(create(info, plugin_kind::scenario, options, manifest_dir)));
}

std::unique_ptr<sdk::load_pattern> plugin_host::make_load_pattern(const plugin_info& info,
                                                                  const sdk::option_values& options,
                                                                  std::string_view manifest_dir) const {
    return std::unique_ptr<sdk::load_pattern>(
        static_cast<sdk::load_pattern*>(create(info, plugin_kind::load_pattern, options, manifest_dir)));
}

std::unique_ptr<sdk::reporter> plugin_host::make_reporter(const plugin_info& info, const sdk::option_values& options,
                                                          std::string_view manifest_dir) const {
    return std::unique_ptr<sdk::reporter>(
        static_cast<sdk::reporter*>(create(info, plugin_kind::reporter, options, manifest_dir)));
}

}  // namespace shootout::core
