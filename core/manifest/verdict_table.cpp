// [verdict]: what a measurement must meet to pass (core/verdict/criteria.h), one table for the
// console and every report: the error threshold and the [[verdict.threshold]] entries.
#include "manifest/tables.h"
#include "verdict/threshold.h"

namespace shootout::core::tables {
namespace {

const std::vector<std::string> verdict_keys = {"max_error_rate", "threshold"};
const std::vector<std::string> threshold_keys = {"condition", "frameworks", "scenarios", "patterns"};

// Where in the manifest the part of a condition at `offset` is: exact when the string is written
// on one line without escapes (its text is its source), else the string's opening quote.
manifest_location place_in(const checker& c, const toml::node& node, std::string_view text, std::size_t offset) {
    auto where = c.at(node);
    const auto& region = node.source();
    if (region.begin.line == region.end.line && region.end.column - region.begin.column == text.size() + 2)
        where.column += static_cast<std::uint32_t>(1 + offset);
    return where;
}

// A scope list's globs, each matching some name the manifest has: a misspelt one would judge
// nothing and pass in silence.
std::vector<std::string> read_scope(checker& c, const toml::table& table, std::string_view key,
                                    const std::vector<std::string>& names, const char* what, const std::string& ctx) {
    std::vector<std::string> globs;
    auto items = c.strings(table, key, ctx);
    if (!items) return globs;
    for (const auto& [glob, where] : *items) {
        if (std::none_of(names.begin(), names.end(), [&](const std::string& n) { return verdict::glob_matches(glob, n); }))
            c.error(where, fmt::format("{}{}: '{}' matches no {} of this manifest (it has: {}){}", ctx, key, glob, what,
                                       joined(names), did_you_mean(glob, names)));
        globs.push_back(glob);
    }
    if (items->empty())
        c.error(*table.get(key), fmt::format("{}'{}' is empty, so the threshold would apply to nothing: list {} names "
                                             "or globs, or leave the key out for every {}",
                                             ctx, key, what, what));
    return globs;
}

void read_threshold(checker& c, const toml::table& table, const manifest& m, verdict::criteria& criteria) {
    const std::string ctx = "verdict.threshold: ";
    c.known_keys(table, threshold_keys, ctx);
    auto* condition = c.typed<std::string>(table, "condition", ctx, "a string like \"p99 < 50ms\"");
    if (!condition) {
        if (!table.get("condition"))
            c.error(table, ctx + "missing key 'condition': write the bound, like condition = \"p99 < 50ms\", "
                                 "\"error_rate < 0.1%\" or \"rps > 2000\"");
        return;
    }
    auto parsed = verdict::parse_threshold(condition->get());
    if (auto* problem = std::get_if<verdict::threshold_problem>(&parsed)) {
        c.error(place_in(c, *condition, condition->get(), problem->offset),
                fmt::format("{}condition \"{}\": {}", ctx, printable(condition->get()), problem->message));
        return;
    }
    auto& t = std::get<verdict::threshold>(parsed);
    std::vector<std::string> frameworks, scenarios, patterns;
    for (const auto& f : m.frameworks) frameworks.push_back(f.name);
    for (const auto& e : m.scenarios) scenarios.push_back(e.name);
    for (const auto& e : m.patterns) patterns.push_back(e.name);
    t.frameworks = read_scope(c, table, "frameworks", frameworks, "framework", ctx);
    t.scenarios = read_scope(c, table, "scenarios", scenarios, "scenario", ctx);
    t.patterns = read_scope(c, table, "patterns", patterns, "pattern", ctx);
    criteria.thresholds.push_back(std::move(t));
}

void read_thresholds(checker& c, const toml::table& verdict_table, const manifest& m, verdict::criteria& criteria) {
    const toml::node* node = verdict_table.get("threshold");
    if (!node) return;
    auto* array = node->as_array();
    if (!array || !array->is_array_of_tables()) {
        c.error(*node, fmt::format("verdict: 'threshold' must be an array of tables ([[verdict.threshold]], each with "
                                   "condition = \"p99 < 50ms\"), found {}",
                                   type_of(*node)));
        return;
    }
    for (const auto& element : *array) read_threshold(c, *element.as_table(), m, criteria);
}

void read_max_error_rate(checker& c, const toml::table& table, verdict::criteria& criteria) {
    const std::string ctx = "verdict: ";
    const toml::node* node = table.get("max_error_rate");
    if (!node) return;
    std::optional<double> rate;
    if (auto i = node->as_integer()) rate = static_cast<double>(i->get());
    else if (auto f = node->as_floating_point()) rate = f->get();
    if (!rate)
        c.error(*node, fmt::format("{}'max_error_rate' must be a number, a fraction like 0.001 (0.1 %), found {}", ctx,
                                   type_of(*node)));
    else if (!(*rate >= 0 && *rate < 1))
        c.error(*node, fmt::format("{}'max_error_rate' must be a fraction from 0 up to but not including 1, like 0.001 "
                                   "(0.1 %) or 0.05 (5 %), found {}",
                                   ctx, to_text(*rate)));
    else criteria.max_error_rate = *rate;
}

}  // namespace

// [verdict]: what a measurement must meet to pass, for the console and every report alike. Its
// thresholds name what the manifest has, so this table is read after the frameworks, scenarios
// and patterns.
void read_verdict(checker& c, const toml::table& root, manifest& m) {
    auto* table = c.typed<toml::table>(root, "verdict", "", "a table");
    if (!table) return;
    c.known_keys(*table, verdict_keys, "verdict: ");
    read_max_error_rate(c, *table, m.verdict);
    read_thresholds(c, *table, m, m.verdict);
}

// max_error_rate was a reporter option; one per reporter let the console and the reports
// disagree. It is the [verdict] table's now, and a reporter's is refused rather than ignored.
void refuse_moved_threshold(checker& c, const toml::table& options, const plugin_entry& entry) {
    const toml::node* node = options.get("max_error_rate");
    if (!node) return;
    std::string value = "0.001";
    if (auto v = node->value<double>()) value = to_text(*v);
    c.error(c.at(options.find("max_error_rate")->first.source()),
            fmt::format("reporter '{}': 'max_error_rate' moved to the [verdict] table, where it applies to the console "
                        "and every report alike: remove it here and write [verdict] max_error_rate = {}",
                        entry.name, value));
}

}  // namespace shootout::core::tables
