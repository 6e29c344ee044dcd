#include "run/judge.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace shootout::core {
namespace {

// The first few failures, each reason once, in order, with how often it was among them.
std::string errors_warning(const sdk::measurement& m, const std::vector<std::string>& failures) {
    std::vector<std::pair<std::string, unsigned>> reasons;
    for (const auto& f : failures) {
        auto it = std::find_if(reasons.begin(), reasons.end(), [&](const auto& r) { return r.first == f; });
        if (it == reasons.end()) reasons.emplace_back(f, 1);
        else ++it->second;
    }
    std::string text;
    for (const auto& [reason, times] : reasons)
        text += (text.empty() ? "" : "; ") + (times > 1 ? fmt::format("{} (×{})", reason, times) : reason);
    return fmt::format("{} error(s); first: {}", m.errors.total(), text);
}

// The open model's own honesty: say when the plan was not carried out as planned, and which of
// the two held the load back: every connection of the pool busy (the server is slower than the
// rate), or the generator itself. (Less than one request planned is no load to fall short of.)
void open_model_warnings(sdk::measurement& m) {
    if (m.planned_rate * m.seconds >= 1 && m.achieved_rate < 0.95 * m.planned_rate) {
        const bool pool_full = m.connections_established >= m.connections_asked;
        const auto failed_connections = m.errors.connect + m.errors.read + m.errors.write;
        const std::string why =
            pool_full ? fmt::format("all {} connections of the pool were busy, so the server answers more slowly than the "
                                    "rate needs: raise the pattern's connections or lower the rate",
                                    m.connections_asked)
            : failed_connections > 0
                ? fmt::format("the pool was not full ({} of {} connections) because the server refused or dropped "
                              "connections ({} connect, read or write errors): the server, not the generator, held the "
                              "load back",
                              m.connections_established, m.connections_asked, failed_connections)
                : fmt::format("the pool was not full ({} of {} connections), so the generator could not keep up: give "
                              "it more CPU or threads",
                              m.connections_established, m.connections_asked);
        const auto waiting = m.requests_unsent_at_end;
        m.warnings.push_back(fmt::format(
            "{}planned load not reached: {:.0f} requests/s sent of {:.0f} planned, {} still waiting when the load "
            "stopped; {}",
            pool_full || failed_connections == 0 ? "generator-bound: " : "", m.achieved_rate, m.planned_rate, waiting, why));
    }
    const auto sent = static_cast<double>(m.achieved_rate * m.seconds);
    if (m.late_requests > 0 && sent > 0)
        m.warnings.push_back(fmt::format(
            "{} request(s) ({:.2f} %) went out 1 ms or more after their planned time, waiting for a free connection or "
            "for the generator; their latency counts from the planned time",
            m.late_requests, 100.0 * static_cast<double>(m.late_requests) / sent));
}

// Nothing completed means no figure at all, never a result of 0 req/s that could be ranked.
std::string nothing_completed_reason(const sdk::measurement& m, const judge_inputs& in) {
    if (in.interrupted) return "interrupted before any request of the measured time completed";
    if (m.planned_rate > 0 && m.planned_rate * m.seconds < 1)
        return fmt::format("the plan has less than one request ({:.2f}/s for {:.1f} s): raise the rate or the duration",
                           m.planned_rate, m.seconds);
    if (m.warnings.empty())
        return fmt::format("no request completed in the measured time ({:.3f} s) and none failed: the server answered "
                           "nothing in that time (a request fails only after the request timeout, {} ms)",
                           m.seconds, std::chrono::duration_cast<std::chrono::milliseconds>(in.request_timeout).count());
    return fmt::format("no request completed in the measured time: {}", fmt::join(m.warnings, "; "));
}

}  // namespace

std::vector<std::string> generator_bound_warnings(const std::vector<double>& worker_cpu_seconds, double seconds) {
    std::vector<std::string> warnings;
    if (seconds <= 0) return warnings;
    for (std::size_t i = 0; i < worker_cpu_seconds.size(); ++i) {
        const double busy = worker_cpu_seconds[i] / seconds;
        if (busy > 0.9)
            warnings.push_back(fmt::format("generator-bound: worker {} was busy {:.0f} % of the measured time, so the "
                                           "generator may have set the pace; give it more threads or CPUs",
                                           i, 100 * std::min(busy, 1.0)));
    }
    return warnings;
}

// Closed-loop load sends nothing more once every connection waits, and a dead server's refused
// connects are few: without this, a server that hung or died near the end passed with the req/s
// of the time before.
std::optional<std::string> stall_problem(const sdk::measurement& m, std::int64_t slowest_answered_us,
                                         std::int64_t silent_tail_us, bool failed_in_silent_tail) {
    constexpr std::int64_t at_least_us = 1'000'000;
    const std::int64_t far = std::max(at_least_us, 2 * slowest_answered_us);
    // Silence alone is no fault (a plan that ends idle, a low rate): it takes requests failing in
    // it (a dead server refusing connects) or one waiting through it (a hung one).
    const bool long_wait = m.unfinished > 0 && m.unfinished_oldest_us > far;
    if (silent_tail_us > far && (failed_in_silent_tail || long_wait))
        return fmt::format("the server stopped answering: nothing was answered in the last {:.2f} s of the measured "
                           "time, over twice as long as the slowest answer ({:.1f} ms); meanwhile {} request(s) failed "
                           "and {} were still unanswered at the end (their waits so far are in the latency)",
                           static_cast<double>(silent_tail_us) / 1e6, static_cast<double>(slowest_answered_us) / 1e3,
                           m.errors.total(), m.unfinished);
    return std::nullopt;
}

// Requests the server left behind while it went on answering others (seen from gunicorn's
// gthread workers: one connection's request waits the whole run). Not a dead server, so not a
// failure, but a reader must know: their waits are in the latency's maximum.
std::optional<std::string> left_behind_warning(const sdk::measurement& m, std::int64_t slowest_answered_us) {
    constexpr std::int64_t at_least_us = 1'000'000;
    if (m.unfinished == 0 || m.unfinished_oldest_us <= std::max(at_least_us, 2 * slowest_answered_us)) return std::nullopt;
    return fmt::format("a request was left unanswered while others were answered: {} request(s) were unanswered when the "
                       "measured time ended, the oldest after {:.2f} s, over twice as long as the slowest answered request "
                       "({:.1f} ms); its wait so far is in the latency",
                       m.unfinished, static_cast<double>(m.unfinished_oldest_us) / 1e6,
                       static_cast<double>(slowest_answered_us) / 1e3);
}

void judge(sdk::measurement& m, const judge_inputs& in) {
    // First, before what the observers said (already in m.warnings).
    if (in.interrupted) m.warnings.insert(m.warnings.begin(), fmt::format("interrupted after {:.1f} s", m.seconds));
    for (auto& w : generator_bound_warnings(in.worker_cpu_seconds, m.seconds)) m.warnings.push_back(std::move(w));
    if (m.errors.total()) m.warnings.push_back(errors_warning(m, in.failures));
    if (in.open_model)
        open_model_warnings(m);
    else if (m.connections_established < m.connections_asked)
        m.warnings.push_back(
            fmt::format("only {} of {} connections established", m.connections_established, m.connections_asked));
    if (m.completed == 0) {
        m.outcome = sdk::outcome::failed;
        m.reason = nothing_completed_reason(m, in);
    } else if (auto stalled = stall_problem(m, in.slowest_answered_us, in.silent_tail_us, in.failed_in_silent_tail)) {
        m.outcome = sdk::outcome::failed;
        m.reason = std::move(*stalled);
    } else if (auto behind = left_behind_warning(m, in.slowest_answered_us)) {
        m.warnings.push_back(std::move(*behind));
    }
}

}  // namespace shootout::core
