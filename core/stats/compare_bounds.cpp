#include "stats/compare_bounds.h"

#include <charconv>

#include <fmt/format.h>

#include "errors.h"

namespace shootout::core::stats {

namespace {

[[noreturn]] void malformed(const std::string& expression, const char* what) {
    throw config_error(fmt::format("--fail-on \"{}\": {}; accepted forms: {}", expression, what, bound_forms));
}

const char* figure_label(bounded_figure f) {
    switch (f) {
        case bounded_figure::rps: return "req/s";
        case bounded_figure::p50: return "p50";
        case bounded_figure::p99: return "p99";
    }
    return "?";
}

std::string group_label(const group_comparison& g) {
    return fmt::format("{} / {} / {}", g.next->framework, g.next->scenario, g.next->pattern);
}

std::string percent(double fraction) { return fmt::format("{:+.2f} %", 100 * fraction); }

}  // namespace

bound parse_bound(const std::string& expression) {
    const auto colon = expression.find(':');
    if (colon == std::string::npos) malformed(expression, "no ':' between the figure and the limit");
    const std::string name = expression.substr(0, colon), limit = expression.substr(colon + 1);
    bound b;
    b.expression = expression;
    if (name == "rps") b.figure = bounded_figure::rps;
    else if (name == "p50") b.figure = bounded_figure::p50;
    else if (name == "p99") b.figure = bounded_figure::p99;
    else malformed(expression, "the figure must be rps, p50 or p99");
    const char wanted = b.figure == bounded_figure::rps ? '-' : '+';
    if (limit.empty() || limit.front() != wanted)
        malformed(expression, b.figure == bounded_figure::rps ? "req/s bounds a drop, so its limit starts with '-'"
                                                               : "a latency bound limits a rise, so its limit starts with '+'");
    if (limit.size() < 3 || limit.back() != '%') malformed(expression, "the limit is a percentage ending in '%'");
    double value = 0;
    const char* first = limit.data() + 1;
    const char* last = limit.data() + limit.size() - 1;
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc{} || end != last || !(value >= 0) || value > 1000)
        malformed(expression, "the limit is a number of percent from 0 to 1000");
    b.limit = (wanted == '-' ? -value : value) / 100;
    return b;
}

namespace {

const figure_change& figure_of(const group_comparison& g, bounded_figure f) {
    return f == bounded_figure::rps ? g.rps : f == bounded_figure::p50 ? g.p50 : g.p99;
}

void check_one(const bound& b, const group_comparison& g, bound_results& out) {
    if (g.verdict == change::not_comparable) {
        out.unjudged.push_back({&b, &g, g.note});
        return;
    }
    const auto& f = figure_of(g, b.figure);
    const bool rps = b.figure == bounded_figure::rps;
    if (!f.point || (rps && !f.interval95)) {
        out.unjudged.push_back({&b, &g, rps ? "no interval: one run on a side" : "no base value to compare with"});
        return;
    }
    // req/s: the whole interval below the limit. Latency: the whole interval above it, or the
    // merged histograms' change when one side has a single run.
    const bool broken = rps ? f.interval95->high < b.limit : f.interval95 ? f.interval95->low > b.limit : *f.point > b.limit;
    if (!broken) return;
    const std::string range = f.interval95 ? fmt::format(" (95 % interval {} to {})", percent(f.interval95->low),
                                                         percent(f.interval95->high))
                                           : " (merged histograms; one run on a side, so no interval)";
    out.broken.push_back({&b, &g, *f.point, f.interval95,
                          fmt::format("{}: {} {}{}, beyond {}", group_label(g), figure_label(b.figure), percent(*f.point),
                                      range, percent(b.limit))});
}

}  // namespace

bound_results check_bounds(const comparison& c, const std::vector<bound>& bounds) {
    bound_results out;
    for (const auto& b : bounds)
        for (const auto& g : c.groups) check_one(b, g, out);
    return out;
}

}  // namespace shootout::core::stats
