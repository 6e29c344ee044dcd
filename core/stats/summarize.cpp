#include "stats/summarize.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <tuple>

#include "verdict/threshold.h"

namespace shootout::core::stats {

using sdk::stats::group;
using sdk::stats::ranking;
using sdk::stats::summary;
using sdk::stats::verdict;
using sdk::error_counts;
using sdk::histogram;
using sdk::measurement;
using sdk::outcome;
using sdk::result_set;
using sdk::sample_checks;

// Tabulated to 30 degrees of freedom; above, the value of the next tabulated row (slightly
// narrow between rows: runs are 1 to 10, so only the table is reached in practice).
double t_975(unsigned dof) noexcept {
    static constexpr double table[] = {0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                       2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                       2.080,  2.074,  2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (dof == 0) return 0;
    if (dof <= 30) return table[dof];
    if (dof <= 40) return 2.021;
    if (dof <= 60) return 2.000;
    if (dof <= 120) return 1.980;
    return 1.960;
}

interval wilson95(std::uint64_t failed, std::uint64_t trials) noexcept {
    if (trials == 0) return {0, 1};
    const double n = static_cast<double>(trials), p = static_cast<double>(failed) / n, z = 1.959964;
    const double centre = p + z * z / (2 * n);
    const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
    const double scale = 1 + z * z / n;
    return {std::max(0.0, (centre - half) / scale), std::min(1.0, (centre + half) / scale)};
}

std::string percent_text(double fraction) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f %%", 100 * fraction);
    return buf;
}

std::optional<std::string> error_problem(std::uint64_t completed, const error_counts& errors,
                                                const sample_checks& bodies, const criteria& c) {
    const auto attempts = completed + errors.total();
    const double rate = attempts ? static_cast<double>(errors.total()) / static_cast<double>(attempts) : 0;
    if (rate > c.max_error_rate)
        return "error rate " + percent_text(rate) + " is above the threshold of " + percent_text(c.max_error_rate) + " (" +
               std::to_string(errors.total()) + " errors for " + std::to_string(completed) + " completed requests)";
    if (bodies.judged == 0) return std::nullopt;
    const double wrong = static_cast<double>(bodies.failed) / static_cast<double>(bodies.judged);
    if (wrong <= c.max_error_rate) return std::nullopt;
    const auto range = wilson95(bodies.failed, bodies.judged);
    return "wrong bodies in " + std::to_string(bodies.failed) + " of the " + std::to_string(bodies.judged) +
           " responses judged (" + percent_text(wrong) + ", 95 % interval " + percent_text(range.low) + " to " +
           percent_text(range.high) + "), above the threshold of " + percent_text(c.max_error_rate) +
           ": bodies are judged on a sample, so about that share of all responses is wrong";
}

spread spread_of(std::vector<double> values) {
    spread s;
    s.n = values.size();
    if (values.empty()) return s;
    std::sort(values.begin(), values.end());
    s.min = values.front();
    s.max = values.back();
    const std::size_t mid = values.size() / 2;
    s.median = values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    if (values.size() < 2) return s;
    double squares = 0;
    for (double v : values) squares += (v - s.mean) * (v - s.mean);
    s.stdev = std::sqrt(squares / static_cast<double>(values.size() - 1));
    s.cv = s.mean > 0 ? s.stdev / s.mean : 0;
    const double half = t_975(static_cast<unsigned>(values.size() - 1)) * s.stdev / std::sqrt(static_cast<double>(values.size()));
    s.interval95 = interval{s.mean - half, s.mean + half};
    return s;
}

/// The server's mean CPU % and peak RSS over the measured seconds of one run, as the run
/// summary shows them; empty without samples (an external server shootout cannot see).
std::optional<std::pair<double, double>> server_usage(const measurement& m) {
    // Each sample weighs the time since the one before, so a late or missed reading (a slow
    // Docker engine) does not tilt the mean; the same rule as the raw results' summary
    // (core/observe/resource_summary.cpp), so the console and every report agree.
    double previous = 0, covered = 0, cpu_seconds = 0, rss_peak = 0;
    int samples = 0;
    for (const auto& r : m.server_resources) {
        const double since = std::max(previous, 0.0);
        previous = r.second;
        if (r.second <= 0 || r.second > m.seconds + 0.5) continue;
        covered += r.second - since;
        cpu_seconds += r.cpu_percent / 100.0 * (r.second - since);
        rss_peak = std::max(rss_peak, static_cast<double>(r.rss_bytes) / (1024.0 * 1024.0));
        ++samples;
    }
    if (!samples) return std::nullopt;
    return std::pair(covered > 0 ? 100.0 * cpu_seconds / covered : 0.0, rss_peak);
}

namespace {

// On the group's figures over all its runs, as the reports show them; a group without figures
// (skipped, not supported, nothing measured) has none to judge.
void judge_thresholds(group& g, const criteria& c) {
    if (g.runs_measured == 0 || g.verdict == verdict::skipped || g.verdict == verdict::not_supported) return;
    for (std::size_t i = 0; i < c.thresholds.size(); ++i)
        if (core::verdict::applies_to(c.thresholds[i], g.framework, g.scenario, g.pattern))
            g.thresholds.push_back(core::verdict::judge_threshold(c.thresholds[i], i, g));
}

// Each kind of request of a scenario with several, over the measured runs: found by label
// (every run of one manifest names the same kinds, in the same order).
void summarize_requests(group& g) {
    double seconds = 0;
    for (const auto* m : g.runs) {
        if (m->outcome != outcome::measured) continue;
        seconds += m->seconds;
        for (const auto& r : m->requests) {
            auto it = std::find_if(g.requests.begin(), g.requests.end(), [&](const auto& q) { return q.label == r.label; });
            if (it == g.requests.end()) {
                g.requests.push_back({r.label, 0, 0, 0, {}, 0, sdk::histogram(r.latency_us.highest(), r.latency_us.significant_digits())});
                it = std::prev(g.requests.end());
            }
            it->completed += r.completed;
            it->errors += r.errors;
            if (it->latency_us.same_layout(r.latency_us)) it->latency_us.merge(r.latency_us);
        }
    }
    for (auto& q : g.requests) {
        q.rate = seconds > 0 ? static_cast<double>(q.completed) / seconds : 0;
        q.share = g.completed ? static_cast<double>(q.completed) / static_cast<double>(g.completed) : 0;
        const auto attempts = q.completed + q.errors.total();
        q.error_rate = attempts ? static_cast<double>(q.errors.total()) / static_cast<double>(attempts) : 0;
    }
}

group summarize_group(std::vector<const measurement*> runs, const criteria& c) {
    group g;
    g.framework = runs.front()->framework;
    g.scenario = runs.front()->scenario;
    g.pattern = runs.front()->pattern;
    std::stable_sort(runs.begin(), runs.end(), [](const measurement* a, const measurement* b) { return a->run < b->run; });
    g.runs = runs;

    std::vector<double> rates, p99s, cpus;
    double rss_peak = -1;
    bool have_histogram = false;
    const measurement* failed = nullptr;
    const measurement* unsupported = nullptr;
    for (const auto* m : runs) {
        for (const auto& w : m->warnings) g.warnings.push_back("run " + std::to_string(m->run) + ": " + w);
        if (m->outcome == outcome::failed && !failed) failed = m;
        if (m->outcome == outcome::not_supported && !unsupported) unsupported = m;
        if (m->outcome != outcome::measured) continue;
        ++g.runs_measured;
        rates.push_back(m->rate);
        p99s.push_back(static_cast<double>(m->latency_us.value_at_percentile(99)));
        if (!have_histogram) {
            g.latency_us = m->latency_us;
            have_histogram = true;
        } else if (g.latency_us.same_layout(m->latency_us)) {
            g.latency_us.merge(m->latency_us);
        } else {
            // Histograms of another range or precision (results from another shootout version)
            // cannot be merged bucket by bucket: say so rather than leave the run out in silence.
            g.warnings.push_back("run " + std::to_string(m->run) +
                                 ": its latency histogram has another layout and is left out of the merged percentiles");
        }
        if (m->latency_uncorrected_us) {
            if (!g.latency_uncorrected_us) g.latency_uncorrected_us = *m->latency_uncorrected_us;
            else if (g.latency_uncorrected_us->same_layout(*m->latency_uncorrected_us)) g.latency_uncorrected_us->merge(*m->latency_uncorrected_us);
        }
        g.completed += m->completed;
        g.errors += m->errors;
        g.body_checks.judged += m->body_checks.judged;
        g.body_checks.failed += m->body_checks.failed;
        if (auto usage = server_usage(*m)) {
            cpus.push_back(usage->first);
            rss_peak = std::max(rss_peak, usage->second);
        }
        g.planned_rate += m->planned_rate;
        g.achieved_rate += m->achieved_rate;
        g.late_requests += m->late_requests;
    }
    g.rate = spread_of(rates);
    g.p99_us = spread_of(p99s);
    g.noisy = g.rate.n >= 2 && g.rate.cv > c.noisy_cv;
    const auto attempts = g.completed + g.errors.total();
    g.error_rate = attempts ? static_cast<double>(g.errors.total()) / static_cast<double>(attempts) : 0;
    if (!cpus.empty()) g.cpu_percent = std::accumulate(cpus.begin(), cpus.end(), 0.0) / static_cast<double>(cpus.size());
    if (rss_peak >= 0) g.rss_mib = rss_peak;
    if (g.runs_measured) {
        g.planned_rate /= static_cast<double>(g.runs_measured);
        g.achieved_rate /= static_cast<double>(g.runs_measured);
    }

    const auto error_reason = error_problem(g.completed, g.errors, g.body_checks, c);
    if (unsupported) {
        g.verdict = verdict::not_supported;
        g.reason = unsupported->reason;
    } else if (failed) {
        g.verdict = verdict::failed;
        g.reason = (runs.size() > 1 ? "run " + std::to_string(failed->run) + ": " : std::string()) + failed->reason;
    } else if (g.runs_measured == 0) {
        g.verdict = verdict::skipped;
        g.reason = runs.front()->reason;
    } else if (error_reason) {
        g.verdict = verdict::failed;
        g.reason = *error_reason;
    } else if (g.runs_measured < runs.size()) {
        g.warnings.push_back("only " + std::to_string(g.runs_measured) + " of " + std::to_string(runs.size()) +
                             " runs were measured");
    }
    summarize_requests(g);
    judge_thresholds(g, c);
    return g;
}
}  // namespace

/// Summarises a result set: groups the measurements, computes each group's figures and
/// verdict, and ranks each (scenario, pattern).
summary summarize(const result_set& results, const criteria& c) {
    summary s;
    s.criteria = c;
    std::vector<std::pair<std::string, std::string>> order;  // (scenario, pattern), first seen first
    std::vector<std::vector<std::string>> frameworks;        // per (scenario, pattern), first seen first
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<const measurement*>> members;
    for (const auto& m : results.measurements) {
        const auto key = std::pair(m.scenario, m.pattern);
        auto at = std::find(order.begin(), order.end(), key);
        if (at == order.end()) {
            order.push_back(key);
            frameworks.emplace_back();
            at = order.end() - 1;
        }
        auto& names = frameworks[static_cast<std::size_t>(at - order.begin())];
        if (std::find(names.begin(), names.end(), m.framework) == names.end()) names.push_back(m.framework);
        members[{m.scenario, m.pattern, m.framework}].push_back(&m);
    }
    for (std::size_t i = 0; i < order.size(); ++i)
        for (const auto& fw : frameworks[i]) {
            s.groups.push_back(summarize_group(members[{order[i].first, order[i].second, fw}], c));
            s.max_runs = std::max(s.max_runs, s.groups.back().runs.size());
        }
    for (const auto& [scenario, pattern] : order) {
        ranking r;
        r.scenario = scenario;
        r.pattern = pattern;
        for (const auto& g : s.groups)
            if (g.scenario == scenario && g.pattern == pattern)
                (g.verdict == verdict::ranked ? r.ranked : r.unranked).push_back(&g);
        // Under an open-model pattern every server that keeps up completes the planned rate, so
        // req/s says nothing: those sections rank by the corrected p99 instead (lower first), and
        // runs whose p99 ranges overlap are ties. An SLO search is open-model too, but what it
        // finds is a rate (its confirmation's req/s), under a p99 bound: it ranks by req/s.
        const auto searched = [](const group* g) {
            return std::any_of(g->runs.begin(), g->runs.end(), [](const sdk::measurement* m) { return m->search.has_value(); });
        };
        r.by_latency = !r.ranked.empty() && std::all_of(r.ranked.begin(), r.ranked.end(), [&](const group* g) {
            return g->open_model() && !searched(g);
        });
        if (r.by_latency)
            std::stable_sort(r.ranked.begin(), r.ranked.end(), [](const group* a, const group* b) {
                return a->latency_us.value_at_percentile(99) < b->latency_us.value_at_percentile(99);
            });
        else
            std::stable_sort(r.ranked.begin(), r.ranked.end(),
                             [](const group* a, const group* b) { return a->rate.median > b->rate.median; });
        // Neighbours whose intervals overlap are ties; a single run counts as the point it measured.
        auto span = [&r](const group* g) {
            if (r.by_latency) return interval{g->p99_us.min, g->p99_us.max};
            return g->rate.interval95.value_or(interval{g->rate.median, g->rate.median});
        };
        for (std::size_t i = 0; i < r.ranked.size(); ++i) {
            const bool tie = i > 0 && span(r.ranked[i]).overlaps(span(r.ranked[i - 1]));
            r.tied_with_previous.push_back(tie);
            r.rank.push_back(tie ? r.rank.back() : static_cast<unsigned>(i + 1));
        }
        s.rankings.push_back(std::move(r));
    }
    return s;
}

}  // namespace shootout::core::stats
