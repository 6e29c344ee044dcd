// Reading a manifest: from a file (discovering its plugin_paths first) or from text, then every
// table in order, all problems at once.
#include <climits>
#include <cstdio>

#include <openssl/evp.h>

#include "bounded_read.h"
#include "errors.h"
#include "manifest/tables.h"

namespace shootout::core {
namespace {

namespace fs = std::filesystem;
using namespace tables;

const std::vector<std::string> top_level_keys = {"output_dir", "runs",     "interleave", "plugin_paths", "scenarios",
                                                 "patterns",   "reporters", "framework", "scenario",     "pattern",
                                                 "reporter",   "engine",    "database",  "local",
                                                 "profile",    "verdict"};

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

// A manifest is a short text; anything much larger is a wrong path (--config /dev/zero).
constexpr std::uintmax_t manifest_size_limit = 4 * 1024 * 1024;

std::string read_manifest_text(const fs::path& file) {
    try {
        return read_bounded(file, manifest_size_limit);
    } catch (const file_read_error& e) {
        throw config_error(fmt::format("{}: error: {} {}; check the path given to --config", file.string(),
                                       e.too_large() ? "the manifest is too large:" : "cannot read the manifest:", e.detail()));
    }
}

fs::path dir_of(const fs::path& file) { return file.parent_path().empty() ? fs::path(".") : file.parent_path(); }

toml::table parse_toml(std::string_view text, const std::string& source) {
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw manifest_error({fmt::format("{}:{}:{}: error: not valid TOML: {}", source, e.source().begin.line,
                                          e.source().begin.column, e.description())});
    }
}

// The manifest's plugin_paths as search directories, read leniently (the checker reports what
// is wrong with them): only strings, and with `existing`, only directories that exist.
std::vector<search_dir> plugin_dirs_of(const toml::table& root, const fs::path& dir, const std::string& source,
                                       bool existing) {
    std::vector<search_dir> dirs;
    if (auto* paths = root["plugin_paths"].as_array())
        for (const auto& p : *paths)
            if (auto s = p.value<std::string>()) {
                const fs::path resolved = fs::path(*s).is_absolute() ? fs::path(*s) : dir / *s;
                std::error_code ec;
                if (!existing || fs::is_directory(resolved, ec)) dirs.push_back({resolved, "plugin_paths in " + source});
            }
    return dirs;
}

// A manifest with problems is refused, but the plugins' own checks of their values (ranges,
// combinations) run too, so that one pass shows every problem rather than revealing them a
// layer at a time.
[[noreturn]] void throw_with_plugin_checks(const checker& c, const manifest& m, const plugin_host& host) {
    auto all = c.diagnostics();
    manifest complete = m;
    for (auto* entries : {&complete.scenarios, &complete.patterns, &complete.reporters})
        std::erase_if(*entries, [&](const plugin_entry& e) { return c.is_incomplete(e); });
    try {
        instantiate(complete, host);
    } catch (const manifest_error& e) {
        all.insert(all.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    // In file order, as one would fix them.
    auto position = [](const std::string& d) {
        std::pair<long, long> at{LONG_MAX, LONG_MAX};
        std::sscanf(d.c_str() + std::min(d.find(':'), d.size()), ":%ld:%ld", &at.first, &at.second);
        return at;
    };
    std::stable_sort(all.begin(), all.end(),
                     [&](const std::string& a, const std::string& b) { return position(a) < position(b); });
    throw manifest_error(all);
}

// Every table of a parsed manifest, checked against the plugins `host` has. Throws
// manifest_error with every problem, in file order.
manifest check_document(const toml::table& root, manifest m, const plugin_host& host) {
    const auto in_dir = [&](const std::string& relative) { return (m.dir / relative).lexically_normal(); };
    checker c(m.file.string());
    c.known_keys(root, top_level_keys, "");
    if (auto paths = c.strings(root, "plugin_paths")) {
        for (const auto& [path, where] : *paths) {
            fs::path resolved = fs::path(path).is_absolute() ? fs::path(path) : m.dir / path;
            std::error_code ec;
            if (!fs::is_directory(resolved, ec)) {
                c.error(where, fmt::format("plugin_paths: \"{}\" is not a directory ({})", path, resolved.string()));
                continue;
            }
            m.plugin_paths.push_back(resolved);
        }
    }
    m.output_dir = in_dir(c.string(root, "output_dir").value_or("results"));
    if (auto runs = c.integer(root, "runs", 1, 1000)) m.runs = static_cast<unsigned>(*runs);
    if (auto interleave = c.boolean(root, "interleave")) m.interleave = *interleave;
    read_engine(c, root, m.engine);
    scenario_name_lists database_scenarios;
    read_database(c, root, m, database_scenarios);
    read_local_defaults(c, root, m);
    read_frameworks(c, root, m);
    read_plugin_entries(c, root, host, plugin_kind::scenario, "scenarios", "scenario", true, m.scenarios);
    // Only the entries that exist are named; a list that is absent keeps its defaults, which need not be run.
    check_scenario_names(c, m, database_scenarios);
    read_plugin_entries(c, root, host, plugin_kind::load_pattern, "patterns", "pattern", true, m.patterns);
    check_scenario_patterns(c, m);
    read_plugin_entries(c, root, host, plugin_kind::reporter, "reporters", "reporter", false, m.reporters);
    check_reporter_files(c, m);
    read_verdict(c, root, m);
    read_profile(c, root, m);
    if (!c.diagnostics().empty()) throw_with_plugin_checks(c, m, host);
    return m;
}

}  // namespace

std::vector<search_dir> manifest_plugin_dirs(const fs::path& file) {
    try {
        return plugin_dirs_of(toml::parse(read_manifest_text(file), file.string()), dir_of(file), file.string(), false);
    } catch (const std::exception&) {
        return {};  // `validate` reports what is wrong with the file
    }
}

manifest parse_manifest(std::string_view text, const std::string& source, const plugin_host& catalog) {
    manifest m;
    m.file = source;
    m.dir = dir_of(m.file);
    m.sha256 = sha256_hex(text);
    return check_document(parse_toml(text, source), std::move(m), catalog);
}

manifest load_manifest(const fs::path& file, plugin_host& host, const std::vector<search_dir>& base_dirs) {
    const std::string name = file.string();
    const std::string text = read_manifest_text(file);
    manifest m;
    m.file = file;
    m.dir = dir_of(file);
    m.sha256 = sha256_hex(text);
    const toml::table root = parse_toml(text, name);
    // plugin_paths first: the plugins they hold are needed to check the rest.
    std::vector<search_dir> dirs = base_dirs;
    for (auto& d : plugin_dirs_of(root, m.dir, name, true)) dirs.push_back(std::move(d));
    host.discover(dirs);
    if (!host.problems().empty()) {
        std::string message = "some libraries in the plugin path are not usable plugins:";
        for (const auto& p : host.problems()) message += "\n  " + p.message;
        throw plugin_error(message);
    }
    return check_document(root, std::move(m), host);
}

void apply_filters(manifest& m, const std::vector<std::string>& frameworks, const std::vector<std::string>& scenarios,
                   const std::vector<std::string>& patterns, std::optional<unsigned> runs) {
    auto keep = [](auto& entries, const std::vector<std::string>& wanted, std::string_view what, auto name_of) {
        if (wanted.empty()) return;
        std::vector<std::string> all;
        for (const auto& e : entries) all.push_back(name_of(e));
        for (const auto& w : wanted)
            if (std::find(all.begin(), all.end(), w) == all.end())
                throw config_error(fmt::format("--{} {}: the manifest has no {} '{}' (it has: {}){}", what, w, what, w,
                                               joined(all), did_you_mean(w, all)));
        std::erase_if(entries, [&](const auto& e) {
            return std::find(wanted.begin(), wanted.end(), name_of(e)) == wanted.end();
        });
    };
    keep(m.frameworks, frameworks, "framework", [](const framework_entry& f) { return f.name; });
    keep(m.scenarios, scenarios, "scenario", [](const plugin_entry& e) { return e.name; });
    keep(m.patterns, patterns, "pattern", [](const plugin_entry& e) { return e.name; });
    if (runs) m.runs = *runs;
}

}  // namespace shootout::core
