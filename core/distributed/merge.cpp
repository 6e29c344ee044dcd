#include "distributed/merge.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bounded_read.h"

namespace shootout::core::distributed {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

raw_result read_one(const fs::path& file) {
    std::string text;
    try {
        text = read_bounded(file, raw_result_size_limit);
    } catch (const file_read_error& e) {
        throw merge_error(fmt::format("{}: cannot read: {}", file.string(), e.detail()));
    }
    boost::system::error_code ec;
    auto doc = json::parse(text, ec);
    if (ec) throw merge_error(fmt::format("{}: broken JSON: {}", file.string(), ec.message()));
    // `shootout run --json` holds the raw result as its "measurement".
    if (const auto* o = doc.if_object(); o && o->contains("schema") && o->at("schema") == "shootout.run" && o->contains("measurement"))
        doc = json::value(o->at("measurement"));
    try {
        auto r = measurement_from_json(doc);
        r.source = file.string();
        return r;
    } catch (const std::exception& e) {
        throw merge_error(fmt::format("{}: {}", file.string(), e.what()));
    }
}

std::string label(const sdk::measurement& m) {
    return fmt::format("{} / {} / {} run {}", m.framework, m.scenario, m.pattern, m.run);
}

// Sorted by index, every result a shard of one plan cut into the same count; the indices absent.
std::vector<std::uint32_t> check_belong(std::vector<raw_result>& shards) {
    for (const auto& r : shards)
        if (!r.measurement.shard)
            throw merge_error(fmt::format("{}: not a shard's result (no placement.shard): make it with --shard i/N{}", r.source,
                                          r.measurement.merged ? "; it is a merge already" : ""));
    std::stable_sort(shards.begin(), shards.end(),
                     [](const raw_result& a, const raw_result& b) { return a.measurement.shard->index < b.measurement.shard->index; });
    const auto& first = shards.front();
    const auto& s0 = *first.measurement.shard;
    for (std::size_t i = 1; i < shards.size(); ++i) {
        const auto& r = shards[i];
        const auto& s = *r.measurement.shard;
        if (s.count != s0.count)
            throw merge_error(fmt::format("{}: shard {} of {}, but {} is shard {} of {}: they are not cuts of one load",
                                          r.source, s.index, s.count, first.source, s0.index, s0.count));
        if (s.plan_sha256 != s0.plan_sha256)
            throw merge_error(fmt::format("{}: shard {} ran another plan than {} (plan_sha256 {} against {}): the shards "
                                          "differ in the load, scenario, target, threads or connection mode",
                                          r.source, s.index, first.source, s.plan_sha256, s0.plan_sha256));
        if (!r.measurement.latency_us.same_layout(first.measurement.latency_us))
            throw merge_error(fmt::format("{}: its latency histogram's layout (highest {}, {} digits) is not {}'s ({}, {})",
                                          r.source, r.measurement.latency_us.highest(),
                                          r.measurement.latency_us.significant_digits(), first.source,
                                          first.measurement.latency_us.highest(), first.measurement.latency_us.significant_digits()));
        if (s.index == shards[i - 1].measurement.shard->index)
            throw merge_error(fmt::format("{} and {} are both shard {} of {} of {}", shards[i - 1].source, r.source, s.index,
                                          s.count, label(r.measurement)));
    }
    std::vector<std::uint32_t> missing;
    for (std::uint32_t index = 0, at = 0; index < s0.count; ++index) {
        if (at < shards.size() && shards[at].measurement.shard->index == index) ++at;
        else missing.push_back(index);
    }
    return missing;
}

void add_optional(std::optional<sdk::histogram>& into, const std::optional<sdk::histogram>& from) {
    if (!from) return;
    if (into) into->merge(*from);
    else into = from;
}

// The counters and histograms of `from` added to `into`.
void add_counts(sdk::measurement& into, const sdk::measurement& from) {
    into.completed += from.completed;
    into.errors += from.errors;
    into.verified += from.verified;
    into.body_checks.judged += from.body_checks.judged;
    into.body_checks.failed += from.body_checks.failed;
    into.unfinished += from.unfinished;
    into.unfinished_oldest_us = std::max(into.unfinished_oldest_us, from.unfinished_oldest_us);
    into.latency_us.merge(from.latency_us);
    add_optional(into.latency_uncorrected_us, from.latency_uncorrected_us);
    add_optional(into.first_byte_us, from.first_byte_us);
    add_optional(into.connect_us, from.connect_us);
    add_optional(into.handshake_us, from.handshake_us);
    add_optional(into.send_lag_us, from.send_lag_us);
    // Each shard's plan figures are its part of the plan's (the engine's shard_part): they add up.
    into.connections_asked += from.connections_asked;
    into.planned_rate += from.planned_rate;
    into.connections_established += from.connections_established;
    into.late_requests += from.late_requests;
    into.requests_sent += from.requests_sent;
    into.requests_unsent_at_end += from.requests_unsent_at_end;
    into.bytes_sent += from.bytes_sent;
    into.bytes_received += from.bytes_received;
    into.generator_cpu_seconds += from.generator_cpu_seconds;
    into.answered_2xx_all_phases += from.answered_2xx_all_phases;
    into.in_flight_at_end += from.in_flight_at_end;
}

// Phase k of every shard is phase k of the plan: counts added, the connections open summed,
// its length the longest shard's (one cut short by an interrupt is shorter).
void add_phases(sdk::measurement& into, const sdk::measurement& from, const std::string& source) {
    if (from.phases.size() != into.phases.size())
        throw merge_error(fmt::format("{}: {} measured phases where the first shard has {}", source, from.phases.size(),
                                      into.phases.size()));
    for (std::size_t k = 0; k < from.phases.size(); ++k) {
        auto& p = into.phases[k];
        const auto& q = from.phases[k];
        p.completed += q.completed;
        p.errors += q.errors;
        p.latency_us.merge(q.latency_us);
        p.connections_open += q.connections_open;
        p.connections_planned += q.connections_planned;
        p.seconds = std::max(p.seconds, q.seconds);
    }
}

// Request kind k of every shard is the scenario's kind k: the same labels in the same order
// (one manifest), counts added and histograms merged by label.
void add_requests(sdk::measurement& into, const sdk::measurement& from, const std::string& source) {
    const auto same = [&] {
        if (from.requests.size() != into.requests.size()) return false;
        for (std::size_t k = 0; k < from.requests.size(); ++k)
            if (from.requests[k].label != into.requests[k].label) return false;
        return true;
    };
    const auto labels = [](const sdk::measurement& m) {
        std::vector<std::string> l;
        for (const auto& r : m.requests) l.push_back(r.label);
        return l.empty() ? std::string("none") : fmt::format("{}", fmt::join(l, ", "));
    };
    if (!same())
        throw merge_error(fmt::format("{}: its requests are {} where the first shard's are {}: the shards ran different "
                                      "scenarios",
                                      source, labels(from), labels(into)));
    for (std::size_t k = 0; k < from.requests.size(); ++k) {
        into.requests[k].completed += from.requests[k].completed;
        into.requests[k].errors += from.requests[k].errors;
        into.requests[k].latency_us.merge(from.requests[k].latency_us);
    }
}

// Second k of every shard counts from that shard's own measured start on its monotonic clock,
// which is the plan's clock: the seconds add up by index, never by a host's wall clock.
std::vector<sdk::timeline_point> merged_timeline(const std::vector<raw_result>& shards) {
    std::map<double, sdk::timeline_point> by_second;
    std::map<double, sdk::histogram> buckets;
    const auto& layout = shards.front().measurement.latency_us;
    for (const auto& r : shards)
        for (const auto& t : r.measurement.timeline) {
            auto [it, first] = by_second.try_emplace(t.second, t);
            auto& h = buckets.try_emplace(t.second, layout.highest(), layout.significant_digits()).first->second;
            h.add_sparse(t.latency_buckets);
            if (first) continue;
            it->second.completed += t.completed;
            it->second.errors += t.errors;
            it->second.open_connections += t.open_connections;
            it->second.planned_connections += t.planned_connections;
            it->second.planned_rate += t.planned_rate;
        }
    std::vector<sdk::timeline_point> timeline;
    for (auto& [second, point] : by_second) {
        const auto& h = buckets.at(second);
        point.latency_buckets = h.sparse();
        point.p50_us = h.value_at_percentile(50);
        point.p99_us = h.value_at_percentile(99);
        timeline.push_back(std::move(point));
    }
    return timeline;
}

bool generator_bound(const sdk::measurement& m) {
    return std::any_of(m.warnings.begin(), m.warnings.end(),
                       [](const std::string& w) { return w.rfind("generator-bound", 0) == 0; });
}

// The measured windows by the shards' wall clocks: the union's length, each shard's offset
// from the first start, and the spread of the starts.
struct windows {
    double union_seconds = 0;
    std::int64_t first_start_ns = 0, start_skew_us = 0;
};

// A shard's window start by the first shard's clock, where an offset was estimated (MPI).
std::int64_t window_start(const sdk::measurement& m) {
    return m.shard->window_start_unix_ns - m.shard->clock_offset_us * 1000;
}

windows windows_of(const std::vector<raw_result>& shards) {
    std::int64_t first = INT64_MAX, last_start = INT64_MIN;
    double last_end = -1e300;
    for (const auto& r : shards) {
        const auto start = window_start(r.measurement);
        first = std::min(first, start);
        last_start = std::max(last_start, start);
        last_end = std::max(last_end, static_cast<double>(start) + r.measurement.seconds * 1e9);
    }
    return {(last_end - static_cast<double>(first)) / 1e9, first, (last_start - first) / 1000};
}

sdk::merge_info merge_info_of(const std::vector<raw_result>& shards, const windows& w, std::vector<std::uint32_t> missing) {
    sdk::merge_info info;
    info.count = shards.front().measurement.shard->count;
    info.missing = std::move(missing);
    info.start_skew_us = w.start_skew_us;
    for (const auto& r : shards) {
        const auto& m = r.measurement;
        info.shards.push_back({.index = m.shard->index,
                               .hostname = m.shard->hostname,
                               .source_address = m.shard->source_address,
                               .completed = m.completed,
                               .errors = m.errors.total(),
                               .rate = m.rate,
                               .p99_us = m.latency_us.value_at_percentile(99),
                               .start_offset_us = (window_start(m) - w.first_start_ns) / 1000,
                               .clock_offset_us = m.shard->clock_offset_us,
                               .generator_bound = generator_bound(m)});
    }
    return info;
}

// The writes were counted once, by shard 0, against every shard's 2xx answers.
void recount_writes(sdk::measurement& m) {
    if (!m.writes) return;
    auto& w = *m.writes;
    w.answered_2xx = m.answered_2xx_all_phases;
    w.in_flight_at_end = m.in_flight_at_end;
    w.lost = w.answered_2xx > w.rows_added ? w.answered_2xx - w.rows_added : 0;
    const auto accounted = w.answered_2xx + w.in_flight_at_end;
    w.phantom = w.rows_added > accounted ? w.rows_added - accounted : 0;
    if (w.lost && m.outcome == sdk::outcome::measured) {
        m.outcome = sdk::outcome::failed;
        m.reason = fmt::format("lost writes: {} answered 2xx across the shards but only {} rows were added", w.answered_2xx,
                               w.rows_added);
    }
}

// A shard that failed fails the whole; a partial merge is never a measurement of the plan.
void judge_merged(sdk::measurement& m, const std::vector<raw_result>& shards) {
    for (const auto& r : shards)
        if (r.measurement.outcome != sdk::outcome::measured) {
            m.outcome = r.measurement.outcome == sdk::outcome::not_supported ? sdk::outcome::not_supported : sdk::outcome::failed;
            m.reason = fmt::format("shard {}: {}", r.measurement.shard->index, r.measurement.reason);
            return;
        }
    if (m.merged->partial()) {
        m.outcome = sdk::outcome::failed;
        m.reason = fmt::format("partial merge: shard{} {} of {} missing", m.merged->missing.size() > 1 ? "s" : "",
                               fmt::join(m.merged->missing, ", "), m.merged->count);
        return;
    }
    recount_writes(m);
}

}  // namespace

std::vector<raw_result> read_shard_files(const std::vector<fs::path>& inputs) {
    std::vector<fs::path> files;
    for (const auto& input : inputs) {
        std::error_code ec;
        if (fs::is_directory(input, ec)) {
            std::vector<fs::path> found;
            for (auto it = fs::recursive_directory_iterator(input, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
                if (it->is_regular_file() && it->path().extension() == ".json") found.push_back(it->path());
            if (ec) throw merge_error(fmt::format("{}: cannot list: {}", input.string(), ec.message()));
            if (found.empty()) throw merge_error(fmt::format("{}: holds no *.json result", input.string()));
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(input, ec)) {
            files.push_back(input);
        } else {
            throw merge_error(fmt::format("{}: no such file or directory", input.string()));
        }
    }
    std::vector<raw_result> read;
    for (const auto& f : files) read.push_back(read_one(f));
    return read;
}

raw_result merge_shards(std::vector<raw_result> shards, bool allow_partial) {
    if (shards.empty()) throw merge_error("nothing to merge");
    auto missing = check_belong(shards);
    const auto& s0 = *shards.front().measurement.shard;
    if (!missing.empty() && !allow_partial)
        throw merge_error(fmt::format("{}: shard{} {} of {} missing (have {}): give the missing result, or --allow-partial "
                                      "to merge the others into a result that is reported but never ranked",
                                      label(shards.front().measurement), missing.size() > 1 ? "s" : "",
                                      fmt::join(missing, ", "), s0.count, shards.size()));
    raw_result merged = shards.front();
    auto& m = merged.measurement;
    // Shard 0 (or the lowest) watched the server: its resources, profile and writes stay.
    // Everything counted starts again from zero and adds up over every shard.
    m.completed = 0, m.errors = {}, m.verified = 0, m.body_checks = {}, m.unfinished = 0, m.unfinished_oldest_us = 0;
    m.latency_us.reset();
    m.latency_uncorrected_us.reset(), m.first_byte_us.reset(), m.connect_us.reset(), m.handshake_us.reset(), m.send_lag_us.reset();
    m.connections_asked = 0, m.planned_rate = 0, m.connections_established = 0, m.late_requests = 0, m.requests_sent = 0, m.requests_unsent_at_end = 0;
    m.bytes_sent = 0, m.bytes_received = 0, m.generator_cpu_seconds = 0, m.answered_2xx_all_phases = 0, m.in_flight_at_end = 0;
    for (auto& p : m.phases) p.completed = 0, p.errors = {}, p.latency_us.reset(), p.connections_open = 0, p.connections_planned = 0, p.seconds = 0;
    for (auto& q : m.requests) q.completed = 0, q.errors = {}, q.latency_us.reset();
    m.warnings.clear();
    m.generator_resources.clear();  // each shard's own; no one process's samples describe the whole
    for (const auto& r : shards) {
        add_counts(m, r.measurement);
        add_phases(m, r.measurement, r.source);
        add_requests(m, r.measurement, r.source);
        for (const auto& w : r.measurement.warnings) m.warnings.push_back(fmt::format("shard {}: {}", r.measurement.shard->index, w));
        merged.environment.started_at = std::min(merged.environment.started_at, r.environment.started_at);
        merged.environment.finished_at = std::max(merged.environment.finished_at, r.environment.finished_at);
    }
    m.timeline = merged_timeline(shards);
    const auto w = windows_of(shards);
    m.seconds = w.union_seconds;
    m.rate = m.seconds > 0 ? static_cast<double>(m.completed) / m.seconds : 0;
    if (m.requests_sent || m.planned_rate > 0) m.achieved_rate = m.seconds > 0 ? static_cast<double>(m.requests_sent) / m.seconds : 0;
    m.merged = merge_info_of(shards, w, std::move(missing));
    m.shard.reset();
    judge_merged(m, shards);
    merged.source = fmt::format("{} shards of {}", shards.size(), label(m));
    return merged;
}

std::vector<raw_result> merge_all(std::vector<raw_result> documents, bool allow_partial) {
    std::vector<std::tuple<std::string, std::string, std::string, unsigned>> order;
    std::map<std::tuple<std::string, std::string, std::string, unsigned>, std::vector<raw_result>> groups;
    for (auto& d : documents) {
        const auto& m = d.measurement;
        auto key = std::tuple{m.framework, m.scenario, m.pattern, m.run};
        auto [it, first] = groups.try_emplace(key);
        if (first) order.push_back(key);
        it->second.push_back(std::move(d));
    }
    std::vector<raw_result> merged;
    for (const auto& key : order) merged.push_back(merge_shards(std::move(groups.at(key)), allow_partial));
    return merged;
}

}  // namespace shootout::core::distributed
