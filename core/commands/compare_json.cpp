// `shootout compare --json` and compare.json: one document, figures as numbers, null where none.
#include <boost/json.hpp>

#include "commands/compare_render.h"

namespace shootout::core {

namespace json = boost::json;

namespace {

json::value percent_or_null(const std::optional<double>& fraction) {
    return fraction ? json::value(100 * *fraction) : json::value(nullptr);
}
json::value range_json(const std::optional<sdk::stats::interval>& r, double scale) {
    if (!r) return nullptr;
    return json::object{{"low", scale * r->low}, {"high", scale * r->high}};
}

json::object side_json(const sdk::stats::group& g) {
    const bool figures = g.runs_measured > 0;
    auto at = [&](double p) { return figures ? json::value(g.latency_us.value_at_percentile(p)) : json::value(nullptr); };
    return {{"verdict", sdk::stats::verdict_name(g.verdict)},
            {"reason", g.reason.empty() ? json::value(nullptr) : json::value(g.reason)},
            {"runs", g.runs.size()},
            {"runs_measured", g.runs_measured},
            {"rps_median", figures ? json::value(g.rate.median) : json::value(nullptr)},
            {"rps_mean", figures ? json::value(g.rate.mean) : json::value(nullptr)},
            {"rps_stdev", g.rate.n >= 2 ? json::value(g.rate.stdev) : json::value(nullptr)},
            {"p50_us", at(50)},
            {"p99_us", at(99)}};
}

json::object change_json(const stats::figure_change& c) {
    return {{"change_percent", percent_or_null(c.point)}, {"change_interval95_percent", range_json(c.interval95, 100)}};
}

json::object group_json(const stats::group_comparison& g) {
    auto rps = change_json(g.rps);
    rps["difference"] = g.rps_difference ? json::value(g.rps_difference->difference) : json::value(nullptr);
    rps["difference_interval95"] = g.rps_difference ? range_json(g.rps_difference->range, 1) : json::value(nullptr);
    rps["dof"] = g.rps_difference ? json::value(g.rps_difference->dof) : json::value(nullptr);
    return {{"framework", g.next->framework},
            {"scenario", g.next->scenario},
            {"pattern", g.next->pattern},
            {"verdict", stats::change_name(g.verdict)},
            {"note", g.note.empty() ? json::value(nullptr) : json::value(g.note)},
            {"base", side_json(*g.base)},
            {"new", side_json(*g.next)},
            {"rps", std::move(rps)},
            {"p50", change_json(g.p50)},
            {"p99", change_json(g.p99)}};
}

json::array keys_json(const std::vector<stats::group_key>& keys) {
    json::array a;
    for (const auto& k : keys) a.push_back(json::object{{"framework", k.framework}, {"scenario", k.scenario}, {"pattern", k.pattern}});
    return a;
}

json::object bounds_json(const compare_document& d) {
    json::array given, broken, unjudged;
    if (d.bounds)
        for (const auto& b : *d.bounds) given.push_back(json::value(b.expression));
    if (d.checked) {
        for (const auto& b : d.checked->broken)
            broken.push_back(json::object{{"expression", b.limit->expression},
                                          {"framework", b.group->next->framework},
                                          {"scenario", b.group->next->scenario},
                                          {"pattern", b.group->next->pattern},
                                          {"change_percent", 100 * b.change},
                                          {"change_interval95_percent", range_json(b.range, 100)},
                                          {"text", b.text}});
        for (const auto& u : d.checked->unjudged)
            unjudged.push_back(json::object{{"expression", u.limit->expression},
                                            {"framework", u.group->next->framework},
                                            {"scenario", u.group->next->scenario},
                                            {"pattern", u.group->next->pattern},
                                            {"why", u.why}});
    }
    return {{"given", std::move(given)}, {"failed", std::move(broken)}, {"not_judged", std::move(unjudged)}};
}

}  // namespace

json::value compare_json(const compare_document& d) {
    json::array groups;
    for (const auto& g : d.comparison->groups) groups.push_back(group_json(g));
    return json::object{{"schema", "shootout.compare"},
                        {"schema_version", compare_schema_version},
                        {"base", d.base},
                        {"new", d.next},
                        {"groups", std::move(groups)},
                        {"only_in_base", keys_json(d.comparison->only_base)},
                        {"only_in_new", keys_json(d.comparison->only_new)},
                        {"fail_on", bounds_json(d)}};
}

}  // namespace shootout::core
