// `html`: report.html, one self-contained file that opens offline: the ranked tables and SVG
// charts drawn here (req/s with interval whiskers, the latency spectrum, each run over time,
// spike stages, an SLO search's probes, the server's CPU and RSS). Every string from a manifest or a server is escaped.
// A small inline script counts, on load, the charts and the drawn marks in each, and writes
// the result into #render-check, so a headless browser can tell that every chart rendered.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "report_common.h"
#include "svg.h"

namespace {

using namespace shootout;
using namespace shootout::reporters;
namespace stats = sdk::stats;

constexpr const char* style = R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:4px 8px;font-size:13px}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.unranked td{color:#777;background:#fafafa}.warn{color:#a15c00}.bad{color:#b00020}
.charts{display:flex;flex-wrap:wrap;gap:12px}details{margin:8px 0 24px}summary{cursor:pointer;font-weight:600}
#render-check{color:#777;font-size:12px}
)";

constexpr const char* render_check_script = R"(<script>
(function () {
  var charts = document.querySelectorAll('svg.chart'), empty = [];
  charts.forEach(function (svg) {
    var drawn = 0;
    svg.querySelectorAll('.mark').forEach(function (m) {
      var box = m.getBoundingClientRect();
      if (box.width > 0 || box.height > 0) drawn++;
    });
    if (drawn === 0) empty.push(svg.getAttribute('aria-label'));
  });
  var out = document.getElementById('render-check');
  out.setAttribute('data-status', 'done');
  out.setAttribute('data-charts', String(charts.length));
  out.setAttribute('data-empty', String(empty.length));
  out.textContent = 'charts: ' + charts.length + ', without drawn data: ' + empty.length +
    (empty.length ? ' (' + empty.join('; ') + ')' : '');
})();
</script>
)";

std::string esc(std::string_view s) { return html_escape(s); }

std::string anchor(const std::string& scenario, const std::string& pattern) {
    std::string id = "s-";
    for (char c : scenario + "-" + pattern) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    return id;
}

class html_reporter final : public summary_file_reporter {
public:
    static constexpr auto options = summary_file_options("report.html");

    using summary_file_reporter::summary_file_reporter;

private:
    std::string render(const sdk::result_set& results, const stats::summary& summary) override {
        const auto facts = methodology_of(results, summary);
        for (std::size_t i = 0; i < facts.frameworks.size(); ++i) colours_[facts.frameworks[i]] = framework_colour(i);
        const auto& env = results.environment;
        std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                          "<title>Shootout report</title>\n<style>\n";
        out += style;
        out += "</style>\n</head>\n<body>\n<h1>Shootout report</h1>\n";
        out += fmt::format("<p>{} framework(s), {} scenario(s), {} load pattern(s), {} run(s); measured from {} to {} on {} ({} "
                           "cores). Figures are medians across runs with a 95&nbsp;% interval; see <a "
                           "href=\"#methodology\">Methodology</a>.</p>\n",
                           facts.frameworks.size(), facts.scenarios.size(), facts.patterns.size(), facts.runs,
                           esc(env.started_at), esc(env.finished_at), esc(env.cpu_model), env.cores);
        if (env.build_type != "Release")
            out += fmt::format("<p class=\"warn\"><strong>Warning:</strong> shootout was a {} build; its figures are not "
                               "comparable with a Release build's.</p>\n",
                               esc(env.build_type.empty() ? "unknown" : env.build_type));
        out += executive_summary(summary);
        for (const auto& r : summary.rankings) out += section(r, results);
        out += "<h2 id=\"methodology\">Methodology</h2>\n<ul>\n";
        for (const auto& [label, text] : methodology_lines(results, summary, facts))
            out += fmt::format("<li><strong>{}:</strong> {}</li>\n", esc(label), esc(text));
        out += "</ul>\n<p id=\"render-check\" data-status=\"not run\">The chart check runs when the page loads.</p>\n";
        out += render_check_script;
        out += "</body>\n</html>\n";
        return out;
    }

    std::string colour(const std::string& framework) const {
        auto it = colours_.find(framework);
        return it == colours_.end() ? "#888" : it->second;
    }

    std::string executive_summary(const stats::summary& summary) const {
        std::string out = "<h2>Executive summary</h2>\n<table>\n<tr><th>scenario</th><th>pattern</th><th>winner</th>"
                          "<th>req/s (95&nbsp;% interval)</th><th>order</th></tr>\n";
        for (const auto& r : summary.rankings) {
            std::string winners = "none ranked", rate = "-";
            if (!r.ranked.empty()) {
                winners.clear();
                for (std::size_t i = 0; i < r.ranked.size() && r.rank[i] == 1; ++i)
                    winners += (i ? " ≈ " : "") + esc(r.ranked[i]->framework);
                rate = esc(rate_with_interval(*r.ranked.front()));
            }
            out += fmt::format("<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                               anchor(r.scenario, r.pattern), esc(r.scenario), esc(r.pattern), winners, rate,
                               esc(r.order_text()));
        }
        out += "</table>\n";
        std::string not_ranked;
        for (const auto& e : unranked_entries(summary))
            not_ranked += fmt::format("<li><strong>{}</strong>, {}: <span class=\"bad\">{}</span>: {}</li>\n",
                                      esc(e.framework), esc(unranked_scope(e)), verdict_text(e.verdict), esc(e.reason));
        if (!not_ranked.empty()) out += "<p>Not ranked (failed, skipped or not supported):</p>\n<ul>\n" + not_ranked + "</ul>\n";
        if (const auto heading = thresholds_heading(summary); !heading.empty()) {
            const auto failures = threshold_failures(summary);
            out += fmt::format("<p{}>{}</p>\n", failures.empty() ? "" : " class=\"bad\"", esc(heading));
            if (!failures.empty()) {
                out += "<ul>\n";
                for (const auto& f : failures)
                    out += fmt::format("<li><strong>{}</strong>, {} / {}: <span class=\"bad\">{}</span></li>\n",
                                       esc(f.group->framework), esc(f.group->scenario), esc(f.group->pattern), esc(f.text));
                out += "</ul>\n";
            }
        }
        return out;
    }

    std::string section(const stats::ranking& r, const sdk::result_set& results) const {
        bool open_model = false;
        for (const auto* g : r.ranked) open_model = open_model || g->open_model();
        std::string out = fmt::format("<h2 id=\"{}\">{} / {}</h2>\n<table>\n<tr><th>rank</th><th>framework</th>"
                                      "<th>req/s (95&nbsp;% interval)</th><th>p50 ms</th><th>p95 ms</th>"
                                      "<th>p99 ms (runs' range)</th><th>errors</th><th>CPU %</th><th>RSS MiB</th><th>runs</th>{}"
                                      "<th>notes</th></tr>\n",
                                      anchor(r.scenario, r.pattern), esc(r.scenario), esc(r.pattern),
                                      open_model ? "<th>planned / achieved req/s</th><th>p99 uncorrected ms</th><th>late</th>" : "");
        for (std::size_t i = 0; i < r.ranked.size(); ++i) {
            const auto& g = *r.ranked[i];
            const auto& h = g.latency_us;
            std::string p99 = ms_text(h.value_at_percentile(99));
            if (g.p99_us.n >= 2)
                p99 += fmt::format(" ({}–{})", ms_text(static_cast<std::int64_t>(g.p99_us.min)),
                                   ms_text(static_cast<std::int64_t>(g.p99_us.max)));
            std::string notes;
            if (g.noisy) notes += fmt::format("<div class=\"warn\">noisy: req/s varied {:.1f} % across runs</div>", 100 * g.rate.cv);
            for (const auto& w : g.warnings) notes += "<div class=\"warn\">" + esc(w) + "</div>";
            for (const auto& c : g.thresholds)
                if (!c.passed) notes += "<div class=\"bad\">threshold failed: " + esc(c.text) + "</div>";
            std::string name = esc(g.framework);
            if (!g.runs.empty() && g.runs.front()->profile)
                name += fmt::format(" (<a href=\"{}\">flamegraph</a>)",
                                    esc(sdk::flamegraph_path(g.framework, g.scenario, g.pattern, g.runs.front()->run)));
            out += fmt::format("<tr><td class=\"num\">{}{}</td><td>{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td>"
                               "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>"
                               "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                               r.rank[i], r.tied_with_previous[i] || (i + 1 < r.ranked.size() && r.tied_with_previous[i + 1]) ? "=" : "",
                               name, esc(rate_with_interval(g)), g.noisy || !g.warnings.empty() ? " <span class=\"warn\">⚠</span>" : "",
                               ms_text(h.value_at_percentile(50)), ms_text(h.value_at_percentile(95)), p99, esc(errors_text(g)),
                               optional_text(g.cpu_percent, 0), optional_text(g.rss_mib, 0), g.runs_measured);
            if (open_model)
                out += fmt::format("<td class=\"num\">{} / {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
                                   g.planned_rate > 0 ? rate_text(g.planned_rate) : "-",
                                   g.planned_rate > 0 ? rate_text(g.achieved_rate) : "-",
                                   g.latency_uncorrected_us ? ms_text(g.latency_uncorrected_us->value_at_percentile(99)) : "-",
                                   g.late_requests);
            out += "<td>" + notes + "</td></tr>\n";
        }
        for (const auto* g : r.unranked)
            out += fmt::format("<tr class=\"unranked\"><td class=\"bad\">{}</td><td>{}</td><td colspan=\"7\">{}</td>"
                               "<td class=\"num\">{}</td>{}<td></td></tr>\n",
                               verdict_text(g->verdict), esc(g->framework), esc(g->reason), g->runs_measured,
                               open_model ? "<td></td><td></td><td></td>" : "");
        out += "</table>\n";
        if (!r.ranked.empty()) out += "<p>Order: " + esc(r.order_text()) + "</p>\n";
        out += searches(r);
        out += requests(r);
        if (r.ranked.empty()) return out + "<p>No framework was ranked in this scenario, so there is nothing to chart.</p>\n";

        out += "<div class=\"charts\">\n" + rate_chart(r) + spectrum_chart(r) + stage_charts(r) + "</div>\n";
        out += run_charts(r, results);
        return out;
    }

    // Each SLO search (the `search` pattern), ranked or not: the rate found, the curve of every
    // probe (p50 and p99 against the rate, with the p99 bound, errors on the right axis) and
    // the probes in the order they ran.
    std::string searches(const stats::ranking& r) const {
        std::string out;
        for (const auto* g : groups_of(r))
            for (const auto* m : g->runs)
                if (m->search) out += search_curve(*m) + search_table(*m);
        return out;
    }

    // A scenario with several kinds of request: each kind apart, framework by framework.
    static std::string requests(const stats::ranking& r) {
        std::string out;
        for (const auto* g : groups_of(r)) {
            if (g->requests.empty()) continue;
            out += fmt::format("<p><strong>Requests of {}</strong> (over its measured runs):</p>\n<table>\n<tr><th>request</th>"
                               "<th>req/s</th><th>share</th><th>p50 ms</th><th>p99 ms</th><th>errors</th></tr>\n",
                               esc(g->framework));
            for (const auto& q : g->requests)
                out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                                   "<td class=\"num\">{}</td><td class=\"num\"{}>{} ({})</td></tr>\n",
                                   esc(q.label), rate_text(q.rate), percent_text(q.share),
                                   ms_text(q.latency_us.value_at_percentile(50)), ms_text(q.latency_us.value_at_percentile(99)),
                                   q.errors.total() ? " class=\"bad\"" : "", q.errors.total(), percent_text(q.error_rate));
            out += "</table>\n";
        }
        return out;
    }

    static std::string search_curve(const sdk::measurement& m) {
        const auto& s = *m.search;
        auto probes = s.probes;
        std::stable_sort(probes.begin(), probes.end(), [](const auto& a, const auto& b) { return a.rate < b.rate; });
        svg::series p50{"p50 ms", "#0072B2", {}, false, false}, p99{"p99 ms", "#D55E00", {}, false, false};
        svg::series bound{"p99 bound", "#B00020", {}, false, true}, errors{"errors %", "#009E73", {}, true, false};
        // ms on a log axis: a failed probe's p99 is often a thousand times the bound.
        auto at_least = [](std::int64_t us) { return std::max(static_cast<double>(us) / 1000.0, 0.001); };
        for (const auto& p : probes) {
            p50.points.emplace_back(p.rate, at_least(p.p50_us));
            p99.points.emplace_back(p.rate, at_least(p.p99_us));
            errors.points.emplace_back(p.rate, p.error_rate * 100);
        }
        if (probes.empty()) return "";
        bound.points = {{probes.front().rate, at_least(s.max_p99_us)}, {probes.back().rate, at_least(s.max_p99_us)}};
        std::vector<svg::series> lines{p50, p99, bound, errors};
        if (s.found_rate > 0) {  // a vertical line at the rate found, across the whole latency range
            double low = at_least(s.max_p99_us), high = low;
            for (const auto& p : probes) {
                low = std::min(low, at_least(p.p50_us));
                high = std::max(high, at_least(p.p99_us));
            }
            lines.push_back(svg::series{"found rate", "#444", {{s.found_rate, low}, {s.found_rate, high}}, false, true});
        }
        return svg::line_chart("search-curve",
                               fmt::format("{} run {}: SLO search, latency and errors against the rate", m.framework, m.run),
                               svg::axis{"req/s", false, {}}, svg::axis{"ms (log)", true, {}}, svg::axis{"errors %", false, {}},
                               lines);
    }

    static std::string search_table(const sdk::measurement& m) {
        const auto& s = *m.search;
        std::string out = fmt::format("<p><strong>{} run {}:</strong> {}</p>\n<table>\n<tr><th>probe</th><th>step</th>"
                                      "<th>req/s planned</th><th>sent req/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th>"
                                      "<th>result</th></tr>\n",
                                      esc(m.framework), m.run, esc(search_text(s)));
        for (std::size_t i = 0; i < s.probes.size(); ++i) {
            const auto& p = s.probes[i];
            out += fmt::format("<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                               "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td{}>{}</td></tr>\n",
                               i + 1, esc(p.step), rate_text(p.rate), rate_text(p.achieved_rate), ms_text(p.p50_us),
                               ms_text(p.p99_us), percent_text(p.error_rate), p.passed ? "" : " class=\"bad\"",
                               p.passed ? "held" : "failed: " + esc(p.reason));
        }
        return out + "</table>\n";
    }

    std::string rate_chart(const stats::ranking& r) const {
        std::vector<svg::bar> bars;
        for (const auto* g : r.ranked) {
            svg::bar b{g->framework, colour(g->framework), g->rate.median, std::nullopt, ""};
            if (g->rate.interval95) b.whisker = std::pair(g->rate.interval95->low, g->rate.interval95->high);
            else b.note = "1 run: no interval";
            bars.push_back(std::move(b));
        }
        return svg::bar_chart("req-s", fmt::format("{} / {}: req/s (median, 95 % interval)", r.scenario, r.pattern), "req/s", bars);
    }

    std::string spectrum_chart(const stats::ranking& r) const {
        // x: how rare the latency is, log10(100 / (100 - p)): p50 at 0.3, p99 at 2, p99.99 at 4.
        auto position = [](double p) { return std::log10(100.0 / (100.0 - p)); };
        svg::axis x{"percentile", false, {}};
        for (double p : stats::spectrum_percentiles) x.ticks.emplace_back(position(p), fmt::format("p{:g}", p));
        std::vector<svg::series> lines;
        for (const auto* g : r.ranked) {
            svg::series s{g->framework, colour(g->framework), {}, false, false};
            for (double p : stats::spectrum_percentiles)
                s.points.emplace_back(position(p), static_cast<double>(g->latency_us.value_at_percentile(p)) / 1000.0);
            lines.push_back(std::move(s));
        }
        return svg::line_chart("latency-spectrum", fmt::format("{} / {}: latency spectrum (all runs merged)", r.scenario, r.pattern),
                               x, svg::axis{"ms (log)", true, {}}, std::nullopt, lines);
    }

    // A multi-stage pattern (spike): req/s and p99 against each stage's connections.
    std::string stage_charts(const stats::ranking& r) const {
        std::size_t stages = 0;
        for (const auto* g : r.ranked)
            for (const auto* m : g->runs)
                if (m->outcome == sdk::outcome::measured) stages = std::max(stages, m->phases.size());
        if (stages < 2) return "";
        svg::axis x{"stage (connections at its end)", false, {}};
        std::vector<svg::series> rates, p99s;
        for (const auto* g : r.ranked) {
            const sdk::measurement* first = nullptr;
            for (const auto* m : g->runs)
                if (m->outcome == sdk::outcome::measured) { first = m; break; }
            if (!first) continue;
            svg::series rate{g->framework, colour(g->framework), {}, false, false}, p99 = rate;
            for (std::size_t i = 0; i < first->phases.size(); ++i) {
                // Stage figures are the mean req/s and the merged p99 over the runs.
                double sum = 0;
                int n = 0;
                sdk::histogram merged = first->phases[i].latency_us;
                merged.reset();
                for (const auto* m : g->runs)
                    if (m->outcome == sdk::outcome::measured && i < m->phases.size()) {
                        const auto& ph = m->phases[i];
                        sum += ph.seconds > 0 ? static_cast<double>(ph.completed) / ph.seconds : 0;
                        ++n;
                        if (merged.same_layout(ph.latency_us)) merged.merge(ph.latency_us);
                    }
                rate.points.emplace_back(static_cast<double>(i), n ? sum / n : 0);
                p99.points.emplace_back(static_cast<double>(i), static_cast<double>(merged.value_at_percentile(99)) / 1000.0);
                if (x.ticks.size() <= i)
                    x.ticks.emplace_back(static_cast<double>(i), fmt::format("{} ({})", first->phases[i].name,
                                                                             first->phases[i].connections_planned));
            }
            rates.push_back(std::move(rate));
            p99s.push_back(std::move(p99));
        }
        return svg::line_chart("spike-rate", fmt::format("{} / {}: req/s per stage", r.scenario, r.pattern), x,
                               svg::axis{"req/s", false, {}}, std::nullopt, rates) +
               svg::line_chart("spike-p99", fmt::format("{} / {}: p99 per stage", r.scenario, r.pattern), x,
                               svg::axis{"p99 ms", false, {}}, std::nullopt, p99s);
    }

    // Every run of every ranked framework over time: req/s and p99 (and connections for a
    // pattern that changes them), then the server's CPU and RSS when they were sampled.
    std::string run_charts(const stats::ranking& r, const sdk::result_set&) const {
        std::string charts;
        for (const auto* g : r.ranked)
            for (const auto* m : g->runs) {
                if (m->outcome != sdk::outcome::measured || m->timeline.empty()) continue;
                const std::string label = fmt::format("{} run {}", m->framework, m->run);
                svg::series rate{"req/s", "#0072B2", {}, false, false}, p99{"p99 ms", "#D55E00", {}, true, false};
                svg::series open{"open connections", "#666", {}, false, true};
                bool connections_vary = false;
                for (const auto& t : m->timeline) {
                    rate.points.emplace_back(t.second, static_cast<double>(t.completed));
                    p99.points.emplace_back(t.second, static_cast<double>(t.p99_us) / 1000.0);
                    open.points.emplace_back(t.second, t.open_connections);
                    if (t.open_connections != m->timeline.front().open_connections) connections_vary = true;
                }
                std::vector<svg::series> lines{rate, p99};
                if (connections_vary) lines.push_back(open);
                charts += svg::line_chart("timeline", fmt::format("{}: req/s and p99 over time", label),
                                          svg::axis{"second", false, {}},
                                          svg::axis{connections_vary ? "req/s, connections" : "req/s", false, {}},
                                          svg::axis{"p99 ms", false, {}}, lines);
                if (!m->server_resources.empty()) {
                    svg::series cpu{"CPU %", "#009E73", {}, false, false}, rss{"RSS MiB", "#CC79A7", {}, true, false};
                    for (const auto& s : m->server_resources) {
                        cpu.points.emplace_back(s.second, s.cpu_percent);
                        rss.points.emplace_back(s.second, static_cast<double>(s.rss_bytes) / (1024.0 * 1024.0));
                    }
                    charts += svg::line_chart("resources", fmt::format("{}: server CPU and RSS over time", label),
                                              svg::axis{"second", false, {}}, svg::axis{"CPU %", false, {}},
                                              svg::axis{"RSS MiB", false, {}}, {cpu, rss});
                }
            }
        if (charts.empty()) return "";
        return "<details open>\n<summary>Each run over time</summary>\n<div class=\"charts\">\n" + charts + "</div>\n</details>\n";
    }

    std::map<std::string, std::string> colours_;
};

}  // namespace

SHOOTOUT_REGISTER_REPORTER(html_reporter, "html", "1.0.0", "report.html: self-contained, with SVG charts, opens offline")
