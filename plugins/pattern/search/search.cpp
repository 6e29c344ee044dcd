// The SLO search: the highest constant rate a server sustains while its corrected p99 and its
// error rate stay under bounds. It brackets (doubling from a start rate until a probe fails),
// bisects between the highest rate that held and the lowest that did not down to a resolution,
// then measures the rate found again for a longer window. A failure below a rate that held is
// measured once more before it counts (a stall of a loaded machine looks like a limit once). Each probe is an open-model load
// (constant-rate's), so the latency it judges counts from the planned send time.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <string_view>

#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;
using std::chrono::nanoseconds;

constexpr double highest_rate = 10'000'000;

// "5%" (of the lowest failed rate) or "50" (requests per second).
struct resolution_text {
    double value = 0;
    bool percent = false;
    double at(double failed_rate) const { return percent ? failed_rate * value / 100 : value; }
};

resolution_text parse_resolution(const std::string& text) {
    std::string_view digits = text;
    const bool percent = !digits.empty() && digits.back() == '%';
    if (percent) digits.remove_suffix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size() || !std::isfinite(value) || value <= 0 ||
        (percent && value >= 100))
        throw config_error("resolution", "'" + text +
                                             "' is not a resolution: write requests per second (\"50\") or a "
                                             "percentage of the rate, more than 0 and under 100 (\"2%\")");
    return {value, percent};
}

std::string ms_text(std::int64_t us) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f ms", static_cast<double>(us) / 1000.0);
    return buffer;
}

std::string percent_text(double fraction) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f %%", fraction * 100);
    return buffer;
}

// The highest rate that held below the lowest that did not (0 when none held there), and that
// lowest failed rate (0 when none failed). A pass above a failure is noise near the knee and
// ignored: the bracket only ever narrows. A failed confirmation is a failure at its rate; a
// failure that a later probe at the same rate held (a retry) is not.
struct bracket {
    double held = 0, failed = 0;
};

bool retried_and_held(const std::vector<search_probe>& probes, std::size_t i) {
    for (std::size_t j = i + 1; j < probes.size(); ++j)
        if (probes[j].rate == probes[i].rate && probes[j].passed) return true;
    return false;
}

bracket bracket_of(const std::vector<search_probe>& probes) {
    bracket b;
    for (std::size_t i = 0; i < probes.size(); ++i)
        if (!probes[i].passed && !retried_and_held(probes, i) && (b.failed == 0 || probes[i].rate < b.failed))
            b.failed = probes[i].rate;
    for (const auto& p : probes)
        if (p.passed && (b.failed == 0 || p.rate < b.failed)) b.held = std::max(b.held, p.rate);
    return b;
}

// The last probe failed at a rate no higher than one that held, for the first time at that rate:
// a contradiction a stall of the machine (or of the server, once) explains as well as the
// server's limit, so the rate is measured once more before it bounds the search.
bool contradicted(const std::vector<search_probe>& probes) {
    if (probes.empty() || probes.back().passed) return false;
    const double rate = probes.back().rate;
    std::size_t failures = 0;
    bool held_at_or_above = false;
    for (const auto& p : probes) {
        if (!p.passed && p.rate == rate) ++failures;
        if (p.passed && p.rate >= rate) held_at_or_above = true;
    }
    return held_at_or_above && failures == 1;
}

class search final : public adaptive_load_pattern {
public:
    static constexpr std::array<option_spec, 13> options{{
        {"max_p99", option_type::duration, nullptr, "the bound on the corrected p99 latency a rate must hold (required)"},
        {"max_error_rate", option_type::number, "0.001",
         "the bound on errors / (completed + errors); left out, the [verdict] max_error_rate"},
        {"start_rate", option_type::number, "100", "the first probe's rate; doubled until a probe fails"},
        {"max_rate", option_type::number, "1000000", "the highest rate probed; a search that holds it ends there"},
        {"min_rate", option_type::number, "1", "below this, the search gives up: no rate held"},
        {"resolution", option_type::string, "2%",
         "bisect until the rate that held and the one that failed are this close: requests per second (\"50\") or a "
         "percentage of the failed rate (\"2%\")"},
        {"duration", option_type::duration, "10s", "each probe's measured time"},
        {"warmup", option_type::duration, "2s", "each probe's unmeasured lead at its rate (0s for none)"},
        {"rest", option_type::duration, "2s",
         "after a failed probe, this long without load before the next, for the server to work off its queue"},
        {"confirm", option_type::duration, "30s",
         "the measured time of the found rate's confirmation (0s: none, the last rate that held is the result)"},
        {"connections", option_type::integer, "256", "cap of the connection pool, as constant-rate's"},
        {"max_lag_share", option_type::number, "0.5",
         "a probe fails when the p99 of its sends' lag behind their planned times is above this share of max_p99 "
         "(the rate was not offered as planned)"},
        {"max_probes", option_type::integer, "30", "the search stops after this many probes"},
    }};

    explicit search(const plugin_context& context) {
        const auto& o = context.options;
        max_p99_ = o.duration("max_p99");
        if (max_p99_ < std::chrono::microseconds(1)) throw config_error("max_p99", "must be at least 1us, like 20ms");
        if (o.given("max_error_rate")) {
            max_error_rate_ = o.number("max_error_rate");
            if (!(max_error_rate_ >= 0 && max_error_rate_ < 1))
                throw config_error("max_error_rate", "must be a fraction from 0 up to but not including 1, like 0.001 (0.1 %)");
        }
        start_rate_ = rate_option(o, "start_rate");
        max_rate_ = rate_option(o, "max_rate");
        min_rate_ = rate_option(o, "min_rate");
        if (start_rate_ > max_rate_) throw config_error("start_rate", "is above max_rate: lower it, or raise max_rate");
        if (min_rate_ > start_rate_) throw config_error("min_rate", "is above start_rate: lower it, or raise start_rate");
        resolution_ = parse_resolution(o.string("resolution"));
        duration_ = o.duration("duration");
        if (duration_ < std::chrono::seconds(1))
            throw config_error("duration", "must be at least 1s: a probe's p99 needs the requests of a whole second or more");
        warmup_ = o.duration("warmup");
        rest_ = o.duration("rest");
        confirm_ = o.duration("confirm");
        if (confirm_ > nanoseconds::zero() && confirm_ < duration_)
            throw config_error("confirm", "is shorter than a probe's duration: a confirmation measures longer (or 0s for none)");
        connections_ = o.integer("connections");
        if (connections_ < 1 || connections_ > 1'000'000) throw config_error("connections", "must be 1 to 1000000");
        max_lag_share_ = o.number("max_lag_share");
        if (!(max_lag_share_ > 0 && max_lag_share_ <= 1))
            throw config_error("max_lag_share", "must be a fraction more than 0 and at most 1, like 0.5");
        max_probes_ = o.integer("max_probes");
        if (max_probes_ < 2 || max_probes_ > 1000) throw config_error("max_probes", "must be 2 to 1000");
    }

    load_plan plan() const override { return probe_plan(start_rate_, duration_, "probe", false); }

    search_result begin(double verdict_max_error_rate) const override {
        search_result s;
        s.max_p99_us = std::chrono::duration_cast<std::chrono::microseconds>(max_p99_).count();
        s.max_error_rate = max_error_rate_ ? *max_error_rate_ : verdict_max_error_rate;
        return s;
    }

    std::optional<search_step> next(search_result& s) const override {
        const auto& probes = s.probes;
        const auto b = bracket_of(probes);
        if (!probes.empty() && probes.back().step == "confirm" && probes.back().passed)
            return finish(s, probes.back().rate, b,
                          probes.back().rate >= max_rate_ ? "max_rate held its confirmation: the server may sustain more"
                                                          : "converged: the found rate held its confirmation");
        if (probes.size() >= static_cast<std::size_t>(max_probes_))
            return finish(s, b.held, b, "stopped after max_probes probes: the rate found is the last that held, unconfirmed");
        if (contradicted(probes)) {
            const auto& last = probes.back();
            if (last.step == "confirm")
                return search_step{last.rate, "confirm", probe_plan(last.rate, confirm_, "confirm", true)};
            return search_step{last.rate, "retry", probe_plan(last.rate, duration_, "probe", true)};
        }
        if (b.failed == 0) {
            if (probes.empty()) return step(probes, start_rate_, "bracket");
            if (b.held >= max_rate_) return confirm_or_finish(s, b, "max_rate held: the server may sustain more");
            return step(probes, std::min(2 * b.held, max_rate_), "bracket");
        }
        if (b.held == 0 && b.failed <= min_rate_) return finish(s, 0, b, "no rate held, down to min_rate");
        if (b.failed - b.held <= resolution_.at(b.failed)) {
            if (b.held == 0) return finish(s, 0, b, "no rate held: the lowest that failed is within the resolution of 0");
            return confirm_or_finish(s, b, "converged");
        }
        // Below every rate tried, halve (a bracket downwards); between two rates, bisect.
        return step(probes, (b.held + b.failed) / 2, b.held == 0 ? "bracket" : "bisect");
    }

    probe_verdict judge(const measurement& m, const search_result& s) const override {
        std::vector<std::string> broken;
        const auto p99 = m.latency_us.value_at_percentile(99);
        if (m.completed == 0) broken.push_back("nothing completed");
        if (p99 > s.max_p99_us) broken.push_back("p99 " + ms_text(p99) + " > " + ms_text(s.max_p99_us));
        const auto attempts = m.completed + m.errors.total();
        const double error_rate = attempts ? static_cast<double>(m.errors.total()) / static_cast<double>(attempts) : 0.0;
        if (error_rate > s.max_error_rate)
            broken.push_back("errors " + percent_text(error_rate) + " > " + percent_text(s.max_error_rate));
        // The open model counts what was not sent on time: a rate not offered was never tested,
        // so the probe fails rather than credit the server with the generator's limit, and the
        // reason says whose limit it was where the measurement tells.
        for (const auto& w : m.warnings)
            if (w.rfind("generator-bound: worker", 0) == 0) broken.push_back(w.substr(0, w.find(',')));
        const bool pool_full = m.connections_asked > 0 && m.connections_established >= m.connections_asked;
        const auto dropped = m.errors.connect + m.errors.read + m.errors.write;
        const std::string pool = pool_full ? "all " + std::to_string(m.connections_asked) + " connections busy: the server's pace"
                                 : dropped ? "connections refused or dropped: the server's pace"
                                           : "the pool not full: the generator's pace";
        // Short of the plan by more than 5 % (and one request, which a slow probe rounds away)...
        const double planned = m.planned_rate * m.seconds, sent = static_cast<double>(m.requests_sent);
        if (sent + 1 < 0.95 * planned)
            broken.push_back((pool_full || dropped ? std::string() : std::string("generator-bound: ")) + "sent " +
                             std::to_string(static_cast<long long>(m.achieved_rate)) + " of " +
                             std::to_string(static_cast<long long>(m.planned_rate)) + " req/s planned (" + pool + ")");
        // ...or late by so much that the lag alone spent its share of the bound. A send waits
        // for a free connection (the server is slow) or for the generator (out of CPU).
        const auto lag_p99 = m.send_lag_us ? m.send_lag_us->value_at_percentile(99) : 0;
        const auto lag_bound = static_cast<std::int64_t>(max_lag_share_ * static_cast<double>(s.max_p99_us));
        if (lag_p99 > lag_bound)
            broken.push_back("send lag p99 " + ms_text(lag_p99) + " > " + ms_text(lag_bound) + " (" +
                             std::to_string(m.late_requests) + " of " + std::to_string(m.requests_sent) + " sent late; " +
                             (pool_full ? pool : "waiting for a connection or for the generator") + ")");
        probe_verdict v;
        v.passed = broken.empty();
        for (std::size_t i = 0; i < broken.size(); ++i) v.reason += (i ? "; " : "") + broken[i];
        return v;
    }

private:
    static double rate_option(const option_values& o, const char* key) {
        const double rate = o.number(key);
        if (!(rate > 0 && rate <= highest_rate)) throw config_error(key, "must be more than 0 and at most 10000000");
        return rate;
    }

    // A rest (no load) when the probe before failed: an overloaded server has up to `connections`
    // requests queued, which the next probe would otherwise inherit as latency of its own.
    load_plan probe_plan(double rate, nanoseconds length, const char* name, bool rest) const {
        load_plan plan;
        plan.model = load_model::open;
        const auto cap = static_cast<std::uint32_t>(connections_);
        if (rest && rest_ > nanoseconds::zero()) plan.phases.push_back({"rest", rest_, false, cap, cap, 0, 0});
        if (warmup_ > nanoseconds::zero()) plan.phases.push_back({"warmup", warmup_, false, cap, cap, rate, rate});
        plan.phases.push_back({name, length, true, cap, cap, rate, rate});
        return plan;
    }

    search_step step(const std::vector<search_probe>& probes, double rate, const char* why) const {
        return {rate, why, probe_plan(rate, duration_, "probe", after_failure(probes))};
    }
    static bool after_failure(const std::vector<search_probe>& probes) { return !probes.empty() && !probes.back().passed; }

    std::optional<search_step> confirm_or_finish(search_result& s, const bracket& b, const char* ended) const {
        if (confirm_ == nanoseconds::zero()) return finish(s, b.held, b, ended);
        return search_step{b.held, "confirm", probe_plan(b.held, confirm_, "confirm", after_failure(s.probes))};
    }

    static std::optional<search_step> finish(search_result& s, double found, const bracket& b, const char* ended) {
        s.found_rate = found;
        s.resolution = b.failed > found ? b.failed - found : 0;
        s.ended = ended;
        return std::nullopt;
    }

    nanoseconds max_p99_{};
    std::optional<double> max_error_rate_;
    double start_rate_ = 0, max_rate_ = 0, min_rate_ = 0;
    resolution_text resolution_;
    nanoseconds duration_{}, warmup_{}, rest_{}, confirm_{};
    std::int64_t connections_ = 0;
    double max_lag_share_ = 0;
    std::int64_t max_probes_ = 0;
};

}  // namespace

SHOOTOUT_REGISTER_LOAD_PATTERN(search, "search", "1.0.0",
                               "the highest constant rate whose corrected p99 and error rate stay under bounds (SLO search)")
