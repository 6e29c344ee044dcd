// `json`: summary.json, the statistics for machines. Schema-versioned like the raw results:
// "schema": "shootout.summary", "schema_version": 1. The results[] entries are the core's summary
// schema (core/results/summary_json.h), shared with `shootout run --json`. Figures that do not
// exist (a failed framework's req/s, an interval from one run) are null, never zero.
#include <boost/json.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "report_common.h"
#include "summary_json.h"

namespace {

using namespace shootout;
using namespace shootout::reporters;
namespace stats = sdk::stats;
namespace json = boost::json;

// Indented, keys in insertion order: people read this file and diff it.
void pretty_into(std::string& out, const json::value& v, int depth) {
    const std::string indent(static_cast<std::size_t>(depth + 1) * 2, ' '), close(static_cast<std::size_t>(depth) * 2, ' ');
    if (v.is_object() && !v.get_object().empty()) {
        out += "{\n";
        bool first = true;
        for (const auto& [k, e] : v.get_object()) {
            out += (first ? "" : ",\n") + indent + json::serialize(json::string(k)) + ": ";
            pretty_into(out, e, depth + 1);
            first = false;
        }
        out += "\n" + close + "}";
    } else if (v.is_array() && !v.get_array().empty()) {
        out += "[\n";
        bool first = true;
        for (const auto& e : v.get_array()) {
            out += (first ? "" : ",\n") + indent;
            pretty_into(out, e, depth + 1);
            first = false;
        }
        out += "\n" + close + "]";
    } else if (v.is_double()) {
        // Seven significant digits, then the shortest form of that: "10050.5", not "1.00505E4", and
        // a CPU % of 93.8 rather than 93.80000000000001. Seven digits keep every figure here
        // (req/s up to millions, latencies in ms to the µs, error rates) exact to what was measured.
        out += fmt::format("{}", std::strtod(fmt::format("{:.7g}", v.get_double()).c_str(), nullptr));  // strtod: no throw on tiny values
    } else {
        out += json::serialize(v);
    }
}

std::string pretty(const json::value& v) {
    std::string out;
    pretty_into(out, v, 0);
    return out;
}

class json_reporter final : public summary_file_reporter {
public:
    static constexpr auto options = summary_file_options("summary.json");

    using summary_file_reporter::summary_file_reporter;

private:
    std::string render(const sdk::result_set& results, const stats::summary& summary) override {
        const auto& env = results.environment;
        json::object doc;
        doc["schema"] = "shootout.summary";
        doc["schema_version"] = core::summary_schema_version;
        json::object versions;
        for (const auto& [fw, v] : env.framework_versions) versions[fw] = v;
        doc["environment"] = {{"shootout_version", env.shootout_version}, {"build_type", env.build_type},
                              {"cpu_model", env.cpu_model},               {"cores", env.cores},
                              {"kernel", env.kernel},                     {"hostname", env.hostname},
                              {"manifest_path", env.manifest_path},       {"manifest_sha256", env.manifest_sha256},
                              {"started_at", env.started_at},             {"finished_at", env.finished_at},
                              {"framework_versions", std::move(versions)}};
        json::array thresholds;
        for (const auto& t : summary.criteria.thresholds) thresholds.push_back(core::threshold_to_json(t));
        doc["criteria"] = {{"max_error_rate", summary.criteria.max_error_rate},
                           {"noisy_cv", summary.criteria.noisy_cv},
                           {"thresholds", std::move(thresholds)},
                           {"req_s", "median of the runs"},
                           {"interval", "Student's t 95 % interval for the mean of the runs; null with one run"},
                           {"tie", "neighbours in the order whose intervals overlap"}};
        json::array rankings;
        for (const auto& r : summary.rankings) {
            json::array ranked, not_ranked;
            for (std::size_t i = 0; i < r.ranked.size(); ++i)
                ranked.push_back({{"framework", r.ranked[i]->framework}, {"rank", r.rank[i]}, {"tied_with_previous", bool(r.tied_with_previous[i])}});
            for (const auto* g : r.unranked)
                not_ranked.push_back({{"framework", g->framework}, {"status", stats::verdict_name(g->verdict)}, {"reason", g->reason}});
            rankings.push_back({{"scenario", r.scenario},
                                {"pattern", r.pattern},
                                {"order", r.order_text()},
                                {"ranked_by", r.by_latency ? "latency_p99_corrected" : "req_s"},
                                {"ranked", std::move(ranked)},
                                {"not_ranked", std::move(not_ranked)}});
        }
        // One entry per group, written by the core's summary schema (core/results/summary_json.h),
        // the same entries `shootout run --json` shows.
        doc["results"] = core::results_to_json(summary);
        doc["rankings"] = std::move(rankings);
        return pretty(doc) + "\n";
    }
};

}  // namespace

SHOOTOUT_REGISTER_REPORTER(json_reporter, "json", "1.0.0", "summary.json: the statistics, schema-versioned")
