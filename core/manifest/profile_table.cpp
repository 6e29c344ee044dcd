// [profile]: what to profile, with which profiler, how often.
#include "manifest/tables.h"

namespace shootout::core {

bool profile_settings::wants(const std::string& framework, const std::string& scenario, const std::string& pattern) const {
    auto match = [](const std::string& wanted, const std::string& name) { return wanted == "*" || wanted == name; };
    return std::any_of(targets.begin(), targets.end(), [&](const target& t) {
        return match(t.framework, framework) && match(t.scenario, scenario) && match(t.pattern, pattern);
    });
}

bool profile_settings::wants_framework(const std::string& framework) const {
    return std::any_of(targets.begin(), targets.end(),
                       [&](const target& t) { return t.framework == "*" || t.framework == framework; });
}

namespace tables {
namespace {

const std::vector<std::string> profile_keys = {"targets", "profiler", "frequency"};

// "framework/scenario" or "framework/scenario/pattern" as its parts ("" parts included).
std::vector<std::string> target_parts(const std::string& text) {
    std::vector<std::string> parts;
    for (std::size_t at = 0;;) {
        const auto slash = text.find('/', at);
        parts.push_back(text.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
        if (slash == std::string::npos) break;
        at = slash + 1;
    }
    return parts;
}

// One target, checked against the names the manifest has: a misspelt one is an error rather than
// a run without its flamegraph.
void read_target(checker& c, const std::string& text, const manifest_location& where, const manifest& m,
                 profile_settings& p) {
    const std::string ctx = "profile: ";
    std::vector<std::string> frameworks, scenarios, patterns;
    for (const auto& f : m.frameworks) frameworks.push_back(f.name);
    for (const auto& e : m.scenarios) scenarios.push_back(e.name);
    for (const auto& e : m.patterns) patterns.push_back(e.name);
    const auto parts = target_parts(text);
    if (parts.size() < 2 || parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](const auto& s) { return s.empty(); })) {
        c.error(where, fmt::format("{}target \"{}\" must be framework/scenario or framework/scenario/pattern, like "
                                   "\"fastapi/json\" or \"*/db-read/steady\"",
                                   ctx, text));
        return;
    }
    bool known = true;
    auto check = [&](const std::string& name, const std::vector<std::string>& names, const char* what) {
        if (name == "*" || std::find(names.begin(), names.end(), name) != names.end()) return;
        c.error(where, fmt::format("{}target \"{}\" names {} '{}', which the manifest does not have (it has: {}){}", ctx,
                                   text, what, name, joined(names), did_you_mean(name, names)));
        known = false;
    };
    check(parts[0], frameworks, "framework");
    check(parts[1], scenarios, "scenario");
    if (parts.size() == 3) check(parts[2], patterns, "pattern");
    if (known) p.targets.push_back({parts[0], parts[1], parts.size() == 3 ? parts[2] : "*", where});
}

}  // namespace

// Targets name what the manifest has, so this table is read after the frameworks, scenarios and
// patterns.
void read_profile(checker& c, const toml::table& root, manifest& m) {
    auto* table = c.typed<toml::table>(root, "profile", "", "a table");
    if (!table) return;
    const std::string ctx = "profile: ";
    c.known_keys(*table, profile_keys, ctx);
    auto& p = m.profile;
    if (auto name = c.string(*table, "profiler", ctx)) {
        if (*name == "auto") p.profiler = profile_settings::choice::automatic;
        else if (*name == "python-sampler") p.profiler = profile_settings::choice::python_sampler;
        else if (*name == "py-spy") p.profiler = profile_settings::choice::py_spy;
        else if (*name == "perf") p.profiler = profile_settings::choice::perf;
        else
            c.error(*table->get("profiler"),
                    fmt::format("{}'profiler' must be \"auto\", \"python-sampler\", \"py-spy\" or \"perf\", found \"{}\"{}", ctx,
                                *name, did_you_mean(*name, {"auto", "python-sampler", "py-spy", "perf"})));
    }
    if (auto hz = c.integer(*table, "frequency", 1, 1000, ctx)) p.frequency = static_cast<unsigned>(*hz);
    auto targets = c.strings(*table, "targets", ctx);
    if (!targets) {
        if (!table->get("targets"))
            c.error(*table, ctx + "missing key 'targets': list what to profile, like targets = [\"fastapi/json\"] "
                                  "(framework/scenario or framework/scenario/pattern; '*' matches any)");
        return;
    }
    for (const auto& [text, where] : *targets) read_target(c, text, where, m, p);
}

}  // namespace tables
}  // namespace shootout::core
