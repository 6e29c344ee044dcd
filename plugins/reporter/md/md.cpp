// `md`: REPORT.md, for people. An executive summary (winners per scenario, what failed), one
// section per (scenario, pattern) ranked with ties, and a methodology section stated from what
// the results record, never from a template.
#include <fmt/format.h>

#include "report_common.h"

namespace {

using namespace shootout;
using namespace shootout::reporters;
namespace stats = sdk::stats;

std::string section_anchor(const stats::ranking& r) { return r.scenario + " / " + r.pattern; }

class md_reporter final : public summary_file_reporter {
public:
    static constexpr auto options = summary_file_options("REPORT.md");

    using summary_file_reporter::summary_file_reporter;

private:
    std::string render(const sdk::result_set& results, const stats::summary& summary) override {
        const auto& env = results.environment;
        const auto facts = methodology_of(results, summary);
        std::string out = "# Shootout report\n\n";
        out += fmt::format("{} framework(s), {} scenario(s), {} load pattern(s), {} run(s); measured from {} to {} on {} "
                           "({} cores). Figures are medians across runs with a 95 % interval; see "
                           "[Methodology](#methodology).\n\n",
                           facts.frameworks.size(), facts.scenarios.size(), facts.patterns.size(), facts.runs,
                           md_cell(env.started_at), md_cell(env.finished_at), md_cell(env.cpu_model), env.cores);
        if (env.build_type != "Release")
            out += fmt::format("> **Warning:** shootout was a {} build; its figures are not comparable with a Release "
                               "build's.\n\n",
                               md_cell(env.build_type.empty() ? "unknown" : env.build_type));

        out += "## Executive summary\n\n";
        out += "| scenario | pattern | winner | req/s | order |\n|---|---|---|---|---|\n";
        for (const auto& r : summary.rankings) {
            if (r.ranked.empty()) {
                out += fmt::format("| {} | {} | none ranked | - | - |\n", md_cell(r.scenario), md_cell(r.pattern));
                continue;
            }
            std::string winners;
            for (std::size_t i = 0; i < r.ranked.size() && r.rank[i] == 1; ++i)
                winners += (i ? " ≈ " : "") + md_cell(r.ranked[i]->framework);
            // Open model: every server that keeps up completes the planned rate, so the figure
            // that decides is the corrected p99.
            const auto figure = r.by_latency
                                    ? fmt::format("p99 {} ms (corrected; ranked by latency)",
                                                  ms_text(r.ranked.front()->latency_us.value_at_percentile(99)))
                                    : rate_with_interval(*r.ranked.front());
            out += fmt::format("| {} | {} | {} | {} | {} |\n", md_cell(r.scenario), md_cell(r.pattern), winners, figure,
                               md_cell(r.order_text()));
        }
        out += '\n';
        std::string not_ranked, noisy;
        for (const auto& e : unranked_entries(summary))
            not_ranked += fmt::format("- **{}**, {}: {}: {}\n", md_cell(e.framework), md_cell(unranked_scope(e)),
                                      verdict_text(e.verdict), md_cell(e.reason));
        for (const auto& g : summary.groups) {
            if (g.verdict == stats::verdict::ranked && g.noisy)
                noisy += fmt::format("- **{}**, {} / {}: req/s varied {:.1f} % across {} runs\n", md_cell(g.framework),
                                     md_cell(g.scenario), md_cell(g.pattern), 100 * g.rate.cv, g.rate.n);
        }
        if (!not_ranked.empty()) out += "Not ranked (failed, skipped or not supported):\n\n" + not_ranked + '\n';
        if (const auto heading = thresholds_heading(summary); !heading.empty()) {
            out += heading + "\n\n";
            for (const auto& f : threshold_failures(summary))
                out += fmt::format("- **{}**, {} / {}: {}\n", md_cell(f.group->framework), md_cell(f.group->scenario),
                                   md_cell(f.group->pattern), md_cell(f.text));
            if (!threshold_failures(summary).empty()) out += '\n';
        }
        if (!noisy.empty())
            out += fmt::format("Noisy (coefficient of variation above {:.0f} %): treat their order with care.\n\n{}\n",
                               100 * summary.criteria.noisy_cv, noisy);

        for (const auto& r : summary.rankings) out += section(r);
        out += methodology_section(results, summary, facts);
        return out;
    }

    std::string section(const stats::ranking& r) const {
        bool open_model = false;
        for (const auto* g : r.ranked) open_model = open_model || g->open_model();
        std::string out = fmt::format("## {}\n\n", md_cell(section_anchor(r)));
        if (r.by_latency)
            out += "Open model (planned send times): every server that keeps up completes the planned rate, so the "
                   "rank follows the corrected p99, lowest first; overlapping ranges of the runs' p99 are ties.\n\n";
        out += "| rank | framework | req/s (95 % interval) | p50 ms | p95 ms | p99 ms (runs' range) | errors | CPU % | RSS MiB | runs |";
        out += open_model ? " planned / achieved req/s | p99 uncorrected ms | late |\n" : "\n";
        out += "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|";
        out += open_model ? "---:|---:|---:|\n" : "\n";
        std::vector<std::string> notes;
        // A note number next to the figure a warning affects (req/s: every warning we record
        // is about the pace or the completeness of the load).
        auto mark_for = [&](const stats::group& g) {
            std::string marks;
            if (g.noisy) {
                notes.push_back(fmt::format("{}: noisy: req/s varied {:.1f} % across runs (coefficient of variation)",
                                            md_cell(g.framework), 100 * g.rate.cv));
                marks += fmt::format(" [{}]", notes.size());
            }
            for (const auto& w : g.warnings) {
                notes.push_back(fmt::format("{}: {}", md_cell(g.framework), md_cell(w)));
                marks += fmt::format(" [{}]", notes.size());
            }
            return marks;
        };
        for (std::size_t i = 0; i < r.ranked.size(); ++i) {
            const auto& g = *r.ranked[i];
            const auto& h = g.latency_us;
            std::string p99 = ms_text(h.value_at_percentile(99));
            if (g.p99_us.n >= 2)
                p99 += fmt::format(" ({}–{})", ms_text(static_cast<std::int64_t>(g.p99_us.min)),
                                   ms_text(static_cast<std::int64_t>(g.p99_us.max)));
            std::string name = md_cell(g.framework);
            if (!g.runs.empty() && g.runs.front()->profile)
                name += fmt::format(" ([flamegraph]({}))", sdk::flamegraph_path(g.framework, g.scenario, g.pattern, g.runs.front()->run));
            out += fmt::format("| {}{} | {} | {}{} | {} | {} | {} | {} | {} | {} | {} |", r.rank[i],
                               r.tied_with_previous[i] || (i + 1 < r.ranked.size() && r.tied_with_previous[i + 1]) ? "=" : "",
                               name, rate_with_interval(g), mark_for(g), ms_text(h.value_at_percentile(50)),
                               ms_text(h.value_at_percentile(95)), p99, md_cell(errors_text(g)),
                               optional_text(g.cpu_percent, 0), optional_text(g.rss_mib, 0), g.runs_measured);
            if (open_model)
                out += fmt::format(" {} / {} | {} | {} |",
                                   g.planned_rate > 0 ? rate_text(g.planned_rate) : "-",
                                   g.planned_rate > 0 ? rate_text(g.achieved_rate) : "-",
                                   g.latency_uncorrected_us ? ms_text(g.latency_uncorrected_us->value_at_percentile(99)) : "-",
                                   g.late_requests);
            out += '\n';
        }
        for (const auto* g : r.unranked)
            out += fmt::format("| {} | {} | - | - | - | - | - | - | - | {} |{}\n", verdict_text(g->verdict), md_cell(g->framework),
                               g->runs_measured, open_model ? " - | - | - |" : "");
        out += '\n';
        if (!r.ranked.empty()) out += fmt::format("Order: {}\n\n", md_cell(r.order_text()));
        out += searches(r);
        out += requests(r);
        for (const auto* g : r.unranked)
            out += fmt::format("- **{}** {}: {}\n", md_cell(g->framework), verdict_text(g->verdict), md_cell(g->reason));
        if (!r.unranked.empty()) out += '\n';
        for (std::size_t i = 0; i < notes.size(); ++i) out += fmt::format("[{}] {}  \n", i + 1, notes[i]);
        if (!notes.empty()) out += '\n';
        return out;
    }

    // Each SLO search (the `search` pattern), ranked or not: the rate found and every probe.
    static std::string searches(const stats::ranking& r) {
        std::string out;
        for (const auto* g : groups_of(r))
            for (const auto* m : g->runs) {
                if (!m->search) continue;
                const auto& s = *m->search;
                out += fmt::format("SLO search, **{}** run {}: {}\n\n", md_cell(m->framework), m->run, md_cell(search_text(s)));
                out += "| probe | step | req/s planned | sent req/s | p50 ms | p99 ms | errors | result |\n"
                       "|---:|---|---:|---:|---:|---:|---:|---|\n";
                for (std::size_t i = 0; i < s.probes.size(); ++i) {
                    const auto& p = s.probes[i];
                    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", i + 1, md_cell(p.step), rate_text(p.rate),
                                       rate_text(p.achieved_rate), ms_text(p.p50_us), ms_text(p.p99_us),
                                       percent_text(p.error_rate), p.passed ? "held" : "failed: " + md_cell(p.reason));
                }
                out += '\n';
            }
        return out;
    }

    // A scenario with several kinds of request: each kind apart, framework by framework.
    static std::string requests(const stats::ranking& r) {
        std::string out;
        for (const auto* g : groups_of(r)) {
            if (g->requests.empty()) continue;
            out += fmt::format("Requests of **{}** (over its measured runs):\n\n", md_cell(g->framework));
            out += "| request | req/s | share | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---|\n";
            for (const auto& q : g->requests)
                out += fmt::format("| {} | {} | {} | {} | {} | {} ({}) |\n", md_cell(q.label), rate_text(q.rate),
                                   percent_text(q.share), ms_text(q.latency_us.value_at_percentile(50)),
                                   ms_text(q.latency_us.value_at_percentile(99)), q.errors.total(), percent_text(q.error_rate));
            out += '\n';
        }
        return out;
    }

    std::string methodology_section(const sdk::result_set& results, const stats::summary& summary,
                                     const methodology& facts) const {
        std::string out = "## Methodology\n\n";
        for (const auto& [label, text] : methodology_lines(results, summary, facts))
            out += fmt::format("- **{}:** {}\n", md_cell(label), md_cell(text));
        return out;
    }

};

}  // namespace

SHOOTOUT_REGISTER_REPORTER(md_reporter, "md", "1.0.0", "REPORT.md: ranked tables per scenario, summary, methodology")
