#include "stats/compare.h"

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

namespace shootout::core::stats {

using sdk::outcome;

double t_975_real(double dof) {
    const boost::math::students_t distribution(dof);
    return boost::math::quantile(distribution, 0.975);
}

std::optional<welch_interval> welch95(const spread& base, const spread& next) {
    if (base.n < 2 || next.n < 2) return std::nullopt;
    const double nb = static_cast<double>(base.n), nn = static_cast<double>(next.n);
    const double vb = base.stdev * base.stdev / nb, vn = next.stdev * next.stdev / nn;
    welch_interval w;
    w.difference = next.mean - base.mean;
    const double se2 = vb + vn;
    // Both sides without spread: the Welch–Satterthwaite ratio is 0/0; the interval is the point.
    w.dof = se2 > 0 ? se2 * se2 / (vb * vb / (nb - 1) + vn * vn / (nn - 1)) : nb + nn - 2;
    const double half = se2 > 0 ? t_975_real(w.dof) * std::sqrt(se2) : 0;
    w.range = {w.difference - half, w.difference + half};
    return w;
}

std::optional<unsigned> runs_needed(double difference, double stdev, unsigned cap) {
    const double d = std::abs(difference);
    if (d == 0) return std::nullopt;
    for (unsigned n = 2; n <= cap; ++n)
        if (t_975_real(2.0 * n - 2) * stdev * std::sqrt(2.0 / n) < d) return n;
    return std::nullopt;
}

const char* change_name(change c) noexcept {
    switch (c) {
        case change::faster: return "faster";
        case change::slower: return "slower";
        case change::no_detectable_change: return "no detectable change";
        case change::no_interval: return "no interval";
        case change::not_comparable: return "not comparable";
    }
    return "unknown";
}

spread per_run_percentile(const group& g, double p) {
    std::vector<double> values;
    for (const auto* m : g.runs)
        if (m->outcome == outcome::measured) values.push_back(static_cast<double>(m->latency_us.value_at_percentile(p)));
    return spread_of(std::move(values));
}

namespace {

std::optional<double> relative(double from, double to) {
    if (from <= 0) return std::nullopt;
    return (to - from) / from;
}

// The interval on the difference of the per-run values, as a fraction of the base's mean.
std::optional<interval> relative_interval(const std::optional<welch_interval>& w, const spread& base) {
    if (!w || base.mean <= 0) return std::nullopt;
    return interval{w->range.low / base.mean, w->range.high / base.mean};
}

figure_change latency_change(const group& base, const group& next, double p) {
    figure_change c;
    c.point = relative(static_cast<double>(base.latency_us.value_at_percentile(p)),
                       static_cast<double>(next.latency_us.value_at_percentile(p)));
    const auto b = per_run_percentile(base, p), n = per_run_percentile(next, p);
    c.interval95 = relative_interval(welch95(b, n), b);
    return c;
}

std::string verdict_words(verdict v) {
    std::string words = verdict_name(v);
    std::replace(words.begin(), words.end(), '_', ' ');
    return words;
}

std::string not_ranked_note(const group& base, const group& next) {
    auto why = [](const group& g) { return verdict_words(g.verdict) + (g.reason.empty() ? "" : ": " + g.reason); };
    if (base.verdict != verdict::ranked && next.verdict == base.verdict && next.reason == base.reason)
        return "not ranked in BASE nor in NEW, " + why(next);
    std::string note;
    for (const auto& [side, g] : {std::pair{"BASE", &base}, {"NEW", &next}}) {
        if (g->verdict == verdict::ranked) continue;
        if (!note.empty()) note += "; ";
        note += fmt::format("not ranked in {}, {}", side, why(*g));
    }
    return note;
}

// One run on a side: how many runs per side would tell the change seen from the spread seen.
std::string one_run_note(const group& base, const group& next) {
    const spread& wide = base.rate.n >= 2 ? base.rate : next.rate;
    if (wide.n < 2) return "no interval: at least 2 runs per side are needed to tell a change from noise";
    const char* side = base.rate.n >= 2 ? "BASE" : "NEW";
    const auto n = runs_needed(next.rate.median - base.rate.median, wide.stdev);
    if (!n)
        return fmt::format("no interval: at least 2 runs per side are needed, and with {}'s spread (s = {:.1f} req/s) "
                           "more than 1000 to tell a change of {:.1f} req/s from noise",
                           side, wide.stdev, next.rate.median - base.rate.median);
    return fmt::format("no interval: {} runs per side are needed (from {}'s spread, s = {:.1f} req/s, and the change of "
                       "{:.1f} req/s seen)",
                       *n, side, wide.stdev, next.rate.median - base.rate.median);
}

group_comparison compare_group(const group& base, const group& next) {
    group_comparison c;
    c.base = &base;
    c.next = &next;
    if (base.verdict != verdict::ranked || next.verdict != verdict::ranked) {
        c.verdict = change::not_comparable;
        c.note = not_ranked_note(base, next);
        return c;
    }
    c.rps.point = relative(base.rate.median, next.rate.median);
    c.rps_difference = welch95(base.rate, next.rate);
    c.rps.interval95 = relative_interval(c.rps_difference, base.rate);
    c.p50 = latency_change(base, next, 50);
    c.p99 = latency_change(base, next, 99);
    if (!c.rps_difference) {
        c.verdict = change::no_interval;
        c.note = one_run_note(base, next);
    } else if (c.rps_difference->range.low > 0) {
        c.verdict = change::faster;
    } else if (c.rps_difference->range.high < 0) {
        c.verdict = change::slower;
    } else {
        c.verdict = change::no_detectable_change;
    }
    if (base.open_model() || next.open_model())
        c.note += std::string(c.note.empty() ? "" : "; ") +
                  "open model: req/s follows the planned rate, so the latency change says more";
    return c;
}

bool same_key(const group& a, const group& b) {
    return a.framework == b.framework && a.scenario == b.scenario && a.pattern == b.pattern;
}

}  // namespace

comparison compare(const summary& base, const summary& next) {
    comparison result;
    for (const auto& g : next.groups) {
        const auto* b = find_group(base, g.framework, g.scenario, g.pattern);
        if (b) result.groups.push_back(compare_group(*b, g));
        else result.only_new.push_back({g.framework, g.scenario, g.pattern});
    }
    for (const auto& g : base.groups) {
        const bool in_next = std::any_of(next.groups.begin(), next.groups.end(), [&](const group& n) { return same_key(g, n); });
        if (!in_next) result.only_base.push_back({g.framework, g.scenario, g.pattern});
    }
    return result;
}

}  // namespace shootout::core::stats
