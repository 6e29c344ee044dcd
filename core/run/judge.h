// The verdict on one measurement, from its figures alone: the warnings a careful reader needs
// and whether it counts as measured or failed. Pure (no sockets, no clock), so every rule is
// tested on made-up measurements. The error-rate rules that also apply across runs live in
// core/stats/summarize.h (error_problem), for the reports to share.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <shootout/sdk/results.h>

namespace shootout::core {

/// What the engine knew beyond the measurement itself.
struct judge_inputs {
    std::vector<double> worker_cpu_seconds{};  ///< each worker thread's CPU time in the measured phases
    std::vector<std::string> failures{};       ///< the first few failures' reasons, in order
    std::int64_t slowest_answered_us = 0;    ///< the longest wait for any answer (errors included)
    std::int64_t silent_tail_us = 0;         ///< the measured time after its last answer
    bool failed_in_silent_tail = false;      ///< requests failed after the last answer
    bool interrupted = false;                ///< the load was stopped early (Ctrl-C)
    bool open_model = false;
    std::chrono::nanoseconds request_timeout{std::chrono::seconds(30)};
};

/// Adds the warnings to `m` (interrupted, generator-bound, the errors' reasons, the open model's
/// shortfall and late sends, connections not established) and fails it when nothing completed
/// or when the server stopped answering. `m.outcome` must be `measured` on entry.
void judge(sdk::measurement& m, const judge_inputs& in);

/// "generator-bound" warnings: one per worker thread that was busy more than 90 % of the
/// measured time, since then the generator, not the server, may have set the pace.
std::vector<std::string> generator_bound_warnings(const std::vector<double>& worker_cpu_seconds, double seconds);

/// The reason a measurement whose server stopped answering fails, or nothing: it answered
/// nothing for the end of the measured time while requests failed in it (killed) or one waited
/// through it (hung). "Far longer" is over a second and over twice the slowest answer, so a
/// server whose every answer is slow is not taken for a dead one. A request left waiting while
/// the server went on answering others is a warning (judge), not this.
std::optional<std::string> stall_problem(const sdk::measurement& m, std::int64_t slowest_answered_us,
                                         std::int64_t silent_tail_us, bool failed_in_silent_tail);

}  // namespace shootout::core
