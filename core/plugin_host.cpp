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

namespace {

// Looks for the descriptor's section before loading, so a library that is not a plugin never
// has its code run. Returns what is wrong, or "".
std::string entry_point_problem(const fs::path& file) {
    const std::string name = file.string();
    try {
        boost::dll::library_info info(file);
        auto symbols = info.symbols(SHOOTOUT_PLUGIN_SECTION);
        if (std::find(symbols.begin(), symbols.end(), SHOOTOUT_PLUGIN_ALIAS) != symbols.end()) return {};
        return fmt::format("'{}' is not a shootout plugin: it has no '{}' entry point in section '{}'. "
                           "Register the plugin with one SHOOTOUT_REGISTER_* macro from "
                           "<shootout/sdk/plugin.h>, or remove the file from the plugin path",
                           name, SHOOTOUT_PLUGIN_ALIAS, SHOOTOUT_PLUGIN_SECTION);
    } catch (const std::ios_base::failure&) {
        // Boost.DLL reads the headers with a stream: a short or foreign file fails as a bare
        // "iostream error", which would tell the user nothing.
        return fmt::format("'{}' is not a shared library shootout can read (not an ELF file, or a truncated one); "
                           "remove it from the plugin path",
                           name);
    } catch (const std::exception& e) {
        return fmt::format("'{}' is not a shared library shootout can read ({}); remove it from the plugin path", name,
                           e.what());
    }
}

// The descriptor's fixed part: the ABI version first (nothing else in it means anything if that
// differs), then the toolchain tag and the measurement's size, then kind, id and factory.
std::string descriptor_problem(const shootout_plugin_descriptor& d, const std::string& name) {
    if (d.abi_version != SHOOTOUT_ABI_VERSION)
        return fmt::format("Wrong ABI version on plugin '{}'. Got version {}, supported version is {}. "
                           "Rebuild the plugin against this shootout's SDK",
                           name, d.abi_version, SHOOTOUT_ABI_VERSION);
    const std::string_view tag = d.abi_tag ? d.abi_tag : "(no tag)";
    if (tag != SHOOTOUT_ABI_TAG)
        return fmt::format("plugin '{}' was built with \"{}\", this shootout is \"{}\": rebuild the plugin against "
                           "this SDK (plugins are rebuilt for each shootout minor version, with the same compiler "
                           "family and major version)",
                           name, tag, SHOOTOUT_ABI_TAG);
    if (d.measurement_size != sizeof(sdk::measurement))
        return fmt::format("plugin '{}' was built with an sdk::measurement of {} bytes, this shootout's is {} bytes: "
                           "rebuild the plugin against this SDK",
                           name, d.measurement_size, sizeof(sdk::measurement));
    if (d.kind < shootout_kind_scenario || d.kind > shootout_kind_reporter)
        return fmt::format("plugin '{}' declares unknown kind {} (1 scenario, 2 load pattern, 3 reporter)", name, d.kind);
    if (!d.id || !valid_id(d.id))
        return fmt::format("plugin '{}' has an invalid id '{}': use 1 to 64 of a-z, 0-9, '-' and '_'", name,
                           d.id ? d.id : "(null)");
    if (!d.create) return fmt::format("plugin '{}' ('{}') has no factory function", name, d.id);
    return {};
}

bool is_table(sdk::option_type type) {
    return type == sdk::option_type::table || type == sdk::option_type::table_list;
}

// Tables inside tables are allowed, to this depth: deeper is surely a declaration that points
// back at itself.
constexpr int max_option_depth = 8;

// Checks one level of declared options (and, recursively, the fields of its tables): keys
// unique, non-empty and not 'plugin' at the top; defaults that parse; fields on tables only.
// Returns the first problem, naming the option by its path ("expect.status"), or "".
std::string declaration_problem(const sdk::option_spec* specs, std::size_t count, const std::string& path, int depth,
                                const std::string& who) {
    std::set<std::string> keys;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& spec = specs[i];
        const std::string key = spec.key ? spec.key : "";
        const std::string shown = path.empty() ? key : path + "." + key;
        const bool reserved = path.empty() && key == "plugin";
        if (key.empty() || reserved || !keys.insert(key).second)
            return fmt::format("{} declares option '{}' {}; every key must be unique, non-empty and not 'plugin'", who,
                               shown, reserved ? "which is reserved" : "more than once or empty");
        if (spec.default_value && !parse_default(spec.type, spec.default_value))
            return fmt::format("{}: the default \"{}\" of option '{}' is not {}{}", who, spec.default_value, shown,
                               describe(spec.type), is_table(spec.type) ? " (a table's default can only be \"\": optional)" : "");
        if (is_table(spec.type) != (spec.fields != nullptr && spec.field_count > 0))
            return fmt::format("{} declares option '{}' {}", who, shown,
                               is_table(spec.type) ? "as a table without fields: list them in option_spec::fields"
                                                   : "with fields, which only a table or table_list has");
        if (!is_table(spec.type)) continue;
        if (depth + 1 >= max_option_depth)
            return fmt::format("{} declares option '{}' more than {} tables deep", who, shown, max_option_depth);
        if (auto problem = declaration_problem(spec.fields, spec.field_count, shown, depth + 1, who); !problem.empty())
            return problem;
    }
    return {};
}

}  // namespace

void plugin_host::load(const fs::path& file) {
    const std::string name = file.string();
    auto problem = [&](std::string message) { problems_.push_back({file, std::move(message)}); };
    if (auto p = entry_point_problem(file); !p.empty()) return problem(std::move(p));

    boost::dll::shared_library library;
    try {
        library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        return problem(fmt::format("'{}' could not be loaded: {}", name, e.what()));
    }
    const auto* descriptor = &library.get_alias<const shootout_plugin_descriptor>(SHOOTOUT_PLUGIN_ALIAS);
    if (auto p = descriptor_problem(*descriptor, name); !p.empty()) return problem(std::move(p));

    plugin_info info;
    info.kind = static_cast<plugin_kind>(descriptor->kind);
    info.id = descriptor->id;
    info.version = descriptor->version ? descriptor->version : "";
    info.description = descriptor->description ? descriptor->description : "";
    info.file = file;
    info.descriptor = descriptor;
    const std::string who = fmt::format("plugin '{}' ('{}')", name, info.id);
    if (auto p = declaration_problem(descriptor->options, descriptor->option_count, "", 0, who); !p.empty())
        return problem(std::move(p));
    info.options.assign(descriptor->options, descriptor->options + descriptor->option_count);
    info.defaults = declared_defaults(descriptor->options, descriptor->option_count);

    for (const auto& other : plugins_)
        if (other.kind == info.kind && other.id == info.id)
            return problem(fmt::format("two {} plugins have the id '{}': '{}' and '{}'. Remove one of them from the "
                                       "plugin path, or give one another id",
                                       kind_name(info.kind), info.id, other.file.string(), name));
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
