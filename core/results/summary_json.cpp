// The summary entries (summary_json.h): moved here from the json reporter so that summary.json
// and `run --json` share one writer.
#include "summary_json.h"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace shootout::core {

namespace json = boost::json;
namespace stats = sdk::stats;

namespace {

json::value optional_number(const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object req_s_to_json(const stats::group& g) {
    json::array per_run;
    for (const auto* m : g.runs)
        if (m->outcome == sdk::outcome::measured) per_run.push_back(m->rate);
    return {{"median", g.rate.median},
            {"mean", g.rate.mean},
            {"stdev", g.rate.n >= 2 ? json::value(g.rate.stdev) : json::value(nullptr)},
            {"cv", g.rate.n >= 2 ? json::value(g.rate.cv) : json::value(nullptr)},
            {"min", g.rate.min},
            {"max", g.rate.max},
            {"ci95", g.rate.interval95 ? json::value{{"low", g.rate.interval95->low}, {"high", g.rate.interval95->high}}
                                       : json::value(nullptr)},
            {"per_run", std::move(per_run)}};
}

// A scenario with several kinds of request: each kind over the measured runs.
json::array requests_to_json(const stats::group& g) {
    json::array a;
    for (const auto& r : g.requests)
        a.push_back({{"label", r.label},
                     {"req_s", r.rate},
                     {"share", r.share},
                     {"completed", r.completed},
                     {"errors", {{"total", r.errors.total()},
                                 {"rate", r.error_rate},
                                 {"read", r.errors.read},
                                 {"write", r.errors.write},
                                 {"timeout", r.errors.timeout},
                                 {"status", r.errors.status},
                                 {"verify", r.errors.verify}}},
                     {"latency_ms", latency_ms(r.latency_us)}});
    return a;
}

// The figures of a group that has measured runs, in summary.json's order.
void figures_to_json(const stats::group& g, json::object& o) {
    o["req_s"] = req_s_to_json(g);
    o["noisy"] = g.noisy;
    o["latency_ms"] = latency_ms(g.latency_us);
    o["p99_ms_runs"] = {{"min", g.p99_us.min / 1000.0}, {"max", g.p99_us.max / 1000.0}};
    if (g.latency_uncorrected_us) o["latency_uncorrected_ms"] = latency_ms(*g.latency_uncorrected_us);
    if (g.planned_rate > 0)
        o["rate_plan"] = {{"planned", g.planned_rate}, {"achieved", g.achieved_rate}, {"late_requests", g.late_requests}};
    o["completed"] = g.completed;
    o["errors"] = {{"total", g.errors.total()},
                   {"rate", g.error_rate},
                   {"connect", g.errors.connect},
                   {"read", g.errors.read},
                   {"write", g.errors.write},
                   {"timeout", g.errors.timeout},
                   {"status", g.errors.status},
                   {"verify", g.errors.verify}};
    o["server"] = {{"cpu_percent", optional_number(g.cpu_percent)}, {"rss_mib", optional_number(g.rss_mib)}};
    if (!g.requests.empty()) o["requests"] = requests_to_json(g);
}

// Every threshold judged on the group: its condition, the figure and the bound in the
// condition's unit, whether it held, and the sentence the reports show.
json::array thresholds_to_json(const stats::group& g, const stats::criteria& criteria) {
    json::array checks;
    for (const auto& c : g.thresholds) {
        const auto& t = criteria.thresholds.at(c.threshold_index);
        checks.push_back({{"condition", t.condition},
                          {"passed", c.passed},
                          {"measured", c.measured},
                          {"bound", t.bound},
                          {"unit", t.unit},
                          {"text", c.text}});
    }
    return checks;
}

// The SLO searches of a group's runs: the rate each found under its bounds.
json::value searches_to_json(const stats::group& g) {
    json::array runs;
    for (const auto* m : g.runs) {
        if (!m->search) continue;
        const auto& s = *m->search;
        runs.push_back({{"run", m->run},
                        {"found_rate", s.found_rate},
                        {"resolution", s.resolution},
                        {"max_p99_ms", static_cast<double>(s.max_p99_us) / 1000.0},
                        {"max_error_rate", s.max_error_rate},
                        {"probes", s.probes.size()},
                        {"ended", s.ended}});
    }
    if (runs.empty()) return nullptr;
    return runs;
}

}  // namespace

json::object threshold_to_json(const stats::threshold& t) {
    return {{"condition", t.condition},
            {"frameworks", json::value_from(t.frameworks)},
            {"scenarios", json::value_from(t.scenarios)},
            {"patterns", json::value_from(t.patterns)}};
}

json::object latency_ms(const sdk::histogram& h) {
    json::object o;
    for (double p : stats::spectrum_percentiles)
        o[fmt::format("p{}", fmt::format("{:g}", p))] = static_cast<double>(h.value_at_percentile(p)) / 1000.0;
    o["max"] = static_cast<double>(h.max()) / 1000.0;
    o["mean"] = h.mean() / 1000.0;
    o["count"] = h.count();
    return o;
}

json::object group_to_json(const stats::group& g, const stats::criteria& criteria, json::value rank, bool tied_with_previous) {
    json::object o;
    o["framework"] = g.framework;
    o["scenario"] = g.scenario;
    o["pattern"] = g.pattern;
    o["status"] = stats::verdict_name(g.verdict);
    o["reason"] = g.reason;
    o["rank"] = std::move(rank);
    o["tied_with_previous"] = tied_with_previous;
    o["runs"] = g.runs.size();
    o["runs_measured"] = g.runs_measured;
    const bool figures = g.runs_measured > 0 && g.verdict != stats::verdict::skipped && g.verdict != stats::verdict::not_supported;
    if (figures) {
        figures_to_json(g, o);
    } else {
        o["req_s"] = nullptr;
        o["latency_ms"] = nullptr;
    }
    o["warnings"] = json::value_from(g.warnings);
    o["thresholds"] = thresholds_to_json(g, criteria);
    if (auto searches = searches_to_json(g); !searches.is_null()) o["search"] = std::move(searches);
    if (!g.runs.empty() && g.runs.front()->profile)
        o["flamegraph"] = sdk::flamegraph_path(g.framework, g.scenario, g.pattern, g.runs.front()->run);
    return o;
}

json::array results_to_json(const stats::summary& summary) {
    json::array results;
    for (const auto& r : summary.rankings) {
        for (std::size_t i = 0; i < r.ranked.size(); ++i)
            results.push_back(group_to_json(*r.ranked[i], summary.criteria, r.rank[i], r.tied_with_previous[i]));
        for (const auto* g : r.unranked) results.push_back(group_to_json(*g, summary.criteria, nullptr, false));
    }
    return results;
}

}  // namespace shootout::core
