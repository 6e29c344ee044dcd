#include "run/console.h"

#include <unistd.h>

#include <algorithm>
#include <ostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "observe/resource_summary.h"
#include "run/search.h"

namespace shootout::core {

double ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

std::string seconds_text(std::chrono::nanoseconds d) {
    return fmt::format("{:.3g}s", std::chrono::duration<double>(d).count());
}

std::string clock_text(double seconds) {
    const auto total = static_cast<long long>(std::max(seconds, 0.0) + 0.5);
    if (total >= 3600) return fmt::format("{}h{:02}m{:02}s", total / 3600, total / 60 % 60, total % 60);
    if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
    return fmt::format("{}s", total);
}

std::string outcome_text(sdk::outcome o) {
    switch (o) {
        case sdk::outcome::measured: return "measured";
        case sdk::outcome::failed: return "FAILED";
        case sdk::outcome::skipped: return "skipped";
        case sdk::outcome::not_supported: return "n/a";
    }
    return "?";
}

void print_summary(const std::vector<sdk::measurement>& all, std::ostream& out) {
    std::vector<std::pair<std::string, std::string>> groups;  // (scenario, pattern) in first-seen order
    for (const auto& m : all)
        if (std::find(groups.begin(), groups.end(), std::pair(m.scenario, m.pattern)) == groups.end())
            groups.emplace_back(m.scenario, m.pattern);
    for (const auto& [scenario, pattern] : groups) {
        out << fmt::format("\n== {} / {} ==\n", scenario, pattern);
        out << fmt::format("{:<12} {:>3}  {:<9} {:>11} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>11} {:>7} {:>8}\n", "framework",
                           "run", "outcome", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "verified",
                           "connections", "cpu %", "rss MiB");
        for (const auto& m : all) {
            if (m.scenario != scenario || m.pattern != pattern) continue;
            if (m.outcome != sdk::outcome::measured) {
                out << fmt::format("{:<12} {:>3}  {:<9} {}\n", m.framework, m.run, outcome_text(m.outcome), m.reason);
                continue;
            }
            const auto& h = m.latency_us;
            // The server's CPU (mean) and RSS (peak) over the measured seconds; "-" for a server
            // shootout cannot see (external, without a container).
            const auto resources = observe::summarize_resources(m);
            const std::string cpu = resources ? fmt::format("{:.0f}", resources->mean_cpu_percent) : "-";
            const std::string rss =
                resources ? fmt::format("{:.0f}", static_cast<double>(resources->peak_rss_bytes) / (1024.0 * 1024.0)) : "-";
            out << fmt::format("{:<12} {:>3}  {:<9} {:>11.1f} {:>8.2f} {:>8.2f} {:>8.2f} {:>9.2f} {:>8} {:>8} {:>5}/{:<5} {:>7} {:>8}\n",
                               m.framework, m.run, outcome_text(m.outcome), m.rate, ms(h.value_at_percentile(50)),
                               ms(h.value_at_percentile(95)), ms(h.value_at_percentile(99)), ms(h.max()),
                               m.errors.total(), m.verified, m.connections_established, m.connections_asked, cpu, rss);
            if (m.writes)
                out << fmt::format("             writes: {} rows added for {} answers 2xx ({} in flight at the end)\n",
                                   m.writes->rows_added, m.writes->answered_2xx, m.writes->in_flight_at_end);
            if (m.search) out << "             search: " << found_line(*m.search) << '\n';
            if (m.profile) out << fmt::format("             profile: {} samples ({}) in {}\n", m.profile->samples, m.profile->profiler, m.profile->folded_path);
            for (const auto& w : m.warnings) out << "             warning: " << w << '\n';
        }
    }
}

bool print_thresholds(const sdk::stats::summary& summary, std::ostream& out) {
    const auto& thresholds = summary.criteria.thresholds;
    if (thresholds.empty()) return false;
    std::size_t checks = 0;
    std::vector<std::size_t> judged(thresholds.size(), 0);
    std::string failures;
    for (const auto& g : summary.groups)
        for (const auto& c : g.thresholds) {
            ++checks;
            ++judged[c.threshold_index];
            if (!c.passed) failures += fmt::format("  {} / {} / {}: {}\n", g.framework, g.scenario, g.pattern, c.text);
        }
    if (!failures.empty()) out << "\nthresholds failed:\n" << failures;
    else if (checks) out << fmt::format("\nthresholds: all {} check(s) of {} threshold(s) passed\n", checks, thresholds.size());
    else out << "\nthresholds: none judged\n";
    for (std::size_t i = 0; i < thresholds.size(); ++i)
        if (judged[i] == 0)
            out << fmt::format("  warning: threshold {} judged nothing: nothing it applies to was measured\n",
                               thresholds[i].text());
    return !failures.empty();
}

}  // namespace shootout::core
