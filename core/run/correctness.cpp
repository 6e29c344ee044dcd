#include "run/correctness.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "run/console.h"

namespace shootout::core {

correctness_verdict check_correctness(const engine::engine_config& base, const engine_settings& settings,
                                      const sdk::scenario& scenario, const sdk::target& target, const std::string& label) {
    correctness_verdict verdict;
    auto fail = [&](std::string reason) {
        verdict.outcome = sdk::outcome::failed;
        verdict.reason = std::move(reason);
        return verdict;
    };
    try {
        auto check = base;
        check.threads = 1;
        check.role = sdk::session_role::correctness_check;
        check.verify_sample = 1;
        const unsigned probes = std::max(1u, scenario.correctness_requests());
        check.request_budget = probes;
        check.stop_on_first_error = true;
        sdk::load_plan plan;
        plan.phases.push_back({.name = "correctness-check",
                               .length = settings.connect_timeout + settings.request_timeout * probes,
                               .measured = true,
                               .connections_start = 1,
                               .connections_end = 1});
        spdlog::info("{}: correctness check ({} request(s))", label, probes);
        const auto checked = engine::run(check, scenario, target, plan);
        verdict.answered_2xx = checked.measurement.answered_2xx_all_phases;
        verdict.in_flight_at_end = checked.measurement.in_flight_at_end;
        if (checked.interrupted) {
            // The user stopped the run: nothing is known about the framework, so it did not fail.
            verdict.outcome = sdk::outcome::skipped;
            verdict.reason = "the run was interrupted (during the correctness check)";
            return verdict;
        }
        if (checked.upgrade_refused_status) {
            // A framework without WebSocket at that path: not an error storm, not a zero.
            verdict.outcome = sdk::outcome::not_supported;
            verdict.reason = fmt::format("the server does not offer WebSocket at {}{} (the upgrade was answered with status {})",
                                         target.path_prefix, scenario.websocket_path(), *checked.upgrade_refused_status);
            return verdict;
        }
        if (checked.measurement.completed < probes)
            return fail("correctness check failed: " + (checked.failures.empty()
                                                            ? fmt::format("no complete answer within {}",
                                                                          seconds_text(plan.phases[0].length))
                                                            : checked.failures.front()));
    } catch (const std::exception& e) {
        return fail(fmt::format("correctness check could not run: {}", e.what()));
    }
    return verdict;
}

}  // namespace shootout::core
