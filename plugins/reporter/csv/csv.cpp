// `csv`: summary.csv, one row per (framework, scenario, pattern), for spreadsheets. The first
// twelve columns are the original suite's; the rest add the pattern, the interval, the verdict,
// the errors by class and the failed thresholds. Failed, skipped and unsupported rows have empty figures, never zeros.
#include <fmt/format.h>

#include "report_common.h"

namespace {

using namespace shootout;
using namespace shootout::reporters;
namespace stats = sdk::stats;

class csv_reporter final : public summary_file_reporter {
public:
    static constexpr auto options = summary_file_options("summary.csv");

    using summary_file_reporter::summary_file_reporter;

private:
    std::string render(const sdk::result_set& /*results: the summary holds every column*/, const stats::summary& summary) override {
        std::string out =
            "framework,scenario,runs,req_s,req_s_stdev,p50_ms,p95_ms,p99_ms,avg_ms,errors,cpu_pct,mem_mib,"
            "pattern,status,rank,req_s_ci_low,req_s_ci_high,req_s_cv_pct,noisy,p99_ms_run_min,p99_ms_run_max,p999_ms,"
            "error_rate_pct,errors_connect,errors_read,errors_write,errors_timeout,errors_status,errors_verify,"
            "p99_uncorrected_ms,planned_rate,achieved_rate,late_requests,reason,warnings,thresholds_failed\n";
        auto fixed = [](double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); };
        auto ms = [&](double us) { return fixed(us / 1000.0, 3); };
        for (const auto& r : summary.rankings) {
            std::vector<std::pair<const stats::group*, std::string>> rows;
            for (std::size_t i = 0; i < r.ranked.size(); ++i) rows.emplace_back(r.ranked[i], std::to_string(r.rank[i]));
            for (const auto* g : r.unranked) rows.emplace_back(g, "");
            for (const auto& [g, rank] : rows) {
                std::vector<std::string> f{g->framework, g->scenario, std::to_string(g->runs_measured)};
                const bool figures = g->runs_measured > 0 && g->verdict != stats::verdict::skipped &&
                                     g->verdict != stats::verdict::not_supported;
                const auto& h = g->latency_us;
                auto figure = [&](std::string v) { return figures ? v : std::string(); };
                f.push_back(figure(fixed(g->rate.median, 1)));
                f.push_back(figure(g->rate.n >= 2 ? fixed(g->rate.stdev, 1) : ""));
                f.push_back(figure(ms(static_cast<double>(h.value_at_percentile(50)))));
                f.push_back(figure(ms(static_cast<double>(h.value_at_percentile(95)))));
                f.push_back(figure(ms(static_cast<double>(h.value_at_percentile(99)))));
                f.push_back(figure(ms(h.mean())));
                f.push_back(figure(std::to_string(g->errors.total())));
                f.push_back(figure(g->cpu_percent ? fixed(*g->cpu_percent, 1) : ""));
                f.push_back(figure(g->rss_mib ? fixed(*g->rss_mib, 1) : ""));
                f.push_back(g->pattern);
                f.push_back(stats::verdict_name(g->verdict));
                f.push_back(rank);
                f.push_back(figure(g->rate.interval95 ? fixed(g->rate.interval95->low, 1) : ""));
                f.push_back(figure(g->rate.interval95 ? fixed(g->rate.interval95->high, 1) : ""));
                f.push_back(figure(g->rate.n >= 2 ? fixed(100 * g->rate.cv, 2) : ""));
                f.push_back(figure(g->rate.n >= 2 ? (g->noisy ? "true" : "false") : ""));
                f.push_back(figure(ms(g->p99_us.min)));
                f.push_back(figure(ms(g->p99_us.max)));
                f.push_back(figure(ms(static_cast<double>(h.value_at_percentile(99.9)))));
                f.push_back(figure(fixed(100 * g->error_rate, 4)));
                for (auto n : {g->errors.connect, g->errors.read, g->errors.write, g->errors.timeout, g->errors.status,
                               g->errors.verify})
                    f.push_back(figure(std::to_string(n)));
                f.push_back(figure(g->latency_uncorrected_us ? ms(static_cast<double>(g->latency_uncorrected_us->value_at_percentile(99))) : ""));
                f.push_back(figure(g->planned_rate > 0 ? fixed(g->planned_rate, 1) : ""));
                f.push_back(figure(g->planned_rate > 0 ? fixed(g->achieved_rate, 1) : ""));
                f.push_back(figure(g->planned_rate > 0 ? std::to_string(g->late_requests) : ""));
                f.push_back(g->reason);
                std::string warnings;
                if (g->noisy) warnings = fmt::format("noisy: req/s varied {:.1f} % across runs", 100 * g->rate.cv);
                for (const auto& w : g->warnings) warnings += (warnings.empty() ? "" : "; ") + w;
                f.push_back(warnings);
                std::string failed;
                for (const auto& c : g->thresholds)
                    if (!c.passed) failed += (failed.empty() ? "" : "; ") + c.text;
                f.push_back(failed);
                std::string line;
                for (std::size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + csv_field(f[i]);
                out += line + '\n';
            }
        }
        return out;
    }
};

}  // namespace

SHOOTOUT_REGISTER_REPORTER(csv_reporter, "csv", "1.0.0", "summary.csv: one row per framework, scenario and pattern")
