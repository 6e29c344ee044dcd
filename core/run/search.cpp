#include "run/search.h"

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "run/console.h"

namespace shootout::core {

sdk::search_probe probe_figures(const sdk::search_step& step, const sdk::measurement& m) {
    sdk::search_probe p;
    p.rate = step.rate;
    p.step = step.step;
    p.seconds = m.seconds;
    p.completed = m.completed;
    p.p50_us = m.latency_us.value_at_percentile(50);
    p.p99_us = m.latency_us.value_at_percentile(99);
    const auto attempts = m.completed + m.errors.total();
    p.error_rate = attempts ? static_cast<double>(m.errors.total()) / static_cast<double>(attempts) : 0.0;
    p.achieved_rate = m.achieved_rate;
    p.late_requests = m.late_requests;
    p.unsent = m.requests_unsent_at_end;
    return p;
}

sdk::measurement run_search(const sdk::adaptive_load_pattern& pattern, double verdict_max_error_rate,
                            const probe_function& probe, const probe_listener& listener,
                            const std::atomic<bool>* interrupted) {
    auto search = pattern.begin(verdict_max_error_rate);
    std::optional<sdk::measurement> confirmed, last;
    while (auto step = pattern.next(search)) {
        const auto index = search.probes.size();
        auto m = probe(*step, index);
        if (m.outcome != sdk::outcome::measured) {
            // Not the server's capacity but a measurement that could not be made: the search
            // has no answer, and the measurement says why.
            search.found_rate = 0;
            search.resolution = 0;
            search.ended = fmt::format("probe {} at {:.1f} req/s could not be measured: {}", index + 1, step->rate, m.reason);
            m.search = std::move(search);
            return m;
        }
        auto figures = probe_figures(*step, m);
        const auto verdict = pattern.judge(m, search);
        figures.passed = verdict.passed;
        figures.reason = verdict.reason;
        if (listener) listener(figures, index);
        search.probes.push_back(std::move(figures));
        (step->step == "confirm" && verdict.passed ? confirmed : last) = std::move(m);
        if (interrupted && interrupted->load()) {
            search.found_rate = 0;
            search.resolution = 0;
            search.ended = fmt::format("interrupted after {} probes, before the search's end", search.probes.size());
            break;
        }
    }
    if (!confirmed && !last) throw std::runtime_error("the pattern proposed no probe at all");
    auto result = confirmed ? std::move(*confirmed) : std::move(*last);
    if (search.found_rate <= 0) result.warnings.push_back("search: no rate held the bounds: " + search.ended);
    result.search = std::move(search);
    return result;
}

std::string probe_line(const sdk::search_probe& p, std::size_t index) {
    return fmt::format("probe {} ({}): {:.1f} req/s: p50 {:.2f} ms, p99 {:.2f} ms, errors {:.2f} %, sent {:.1f} req/s: {}",
                       index + 1, p.step, p.rate, ms(p.p50_us), ms(p.p99_us), p.error_rate * 100, p.achieved_rate,
                       p.passed ? "held" : "FAILED (" + p.reason + ")");
}

std::string found_line(const sdk::search_result& s) {
    const auto bounds = fmt::format("p99 ≤ {:.1f} ms, errors ≤ {:.2f} %", ms(s.max_p99_us), s.max_error_rate * 100);
    if (s.found_rate <= 0) return fmt::format("no rate found ({}) after {} probes: {}", bounds, s.probes.size(), s.ended);
    return fmt::format("found {:.1f} req/s ({}; resolution {:.1f} req/s) after {} probes: {}", s.found_rate, bounds,
                       s.resolution, s.probes.size(), s.ended);
}

sdk::measurement measure_with(measure_request request, const sdk::load_pattern& pattern, double verdict_max_error_rate) {
    std::string problem;
    auto plan = plan_of(pattern, request.pattern_name, problem);
    if (!plan) return failed_measurement(request, problem);
    const auto* adaptive = pattern.adaptive();
    if (!adaptive) {
        request.plan = std::move(*plan);
        return measure(request);
    }
    const std::string label = fmt::format("{} / {} / {} run {}", request.target.framework, request.scenario_name,
                                          request.pattern_name, request.run);
    auto probe = [&](const sdk::search_step& step, std::size_t index) {
        request.plan = step.plan;
        // The first probe checks the answers; the rest only load the server already checked.
        request.check_correctness = index == 0;
        return measure(request);
    };
    auto listener = [&](const sdk::search_probe& p, std::size_t index) { spdlog::info("{}: {}", label, probe_line(p, index)); };
    sdk::measurement m;
    try {
        m = run_search(*adaptive, verdict_max_error_rate, probe, listener, request.interrupted);
    } catch (const std::exception& e) {
        return failed_measurement(request, fmt::format("pattern '{}': the search failed: {}", request.pattern_name, e.what()));
    }
    if (m.search) spdlog::info("{}: {}", label, found_line(*m.search));
    return m;
}

}  // namespace shootout::core
