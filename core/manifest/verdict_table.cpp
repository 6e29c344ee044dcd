// [verdict]: what a measurement must meet to pass (core/verdict/criteria.h), one table for the
// console and every report.
#include "manifest/tables.h"

namespace shootout::core::tables {
namespace {

const std::vector<std::string> verdict_keys = {"max_error_rate"};

}  // namespace

// [verdict]: what a measurement must meet to pass, for the console and every report alike.
void read_verdict(checker& c, const toml::table& root, verdict::criteria& criteria) {
    auto* table = c.typed<toml::table>(root, "verdict", "", "a table");
    if (!table) return;
    const std::string ctx = "verdict: ";
    c.known_keys(*table, verdict_keys, ctx);
    const toml::node* node = table->get("max_error_rate");
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
