// Writing raw results (schema v2): every count, and beside them the figures derived from them.
#include "results/raw_json.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "observe/resource_summary.h"

namespace shootout::core {

namespace json = boost::json;

json::value histogram_to_json(const sdk::histogram& h) {
    json::array buckets;
    const auto& counts = h.counts();
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i]) buckets.push_back(json::array{i, counts[i]});
    return json::object{{"unit", "us"},
                        {"highest", h.highest()},
                        {"significant_digits", h.significant_digits()},
                        {"count", h.count()},
                        {"min", h.min()},
                        {"max", h.max()},
                        {"clamped", h.clamped()},
                        {"p50", h.value_at_percentile(50)},
                        {"p95", h.value_at_percentile(95)},
                        {"p99", h.value_at_percentile(99)},
                        {"p999", h.value_at_percentile(99.9)},
                        {"buckets", std::move(buckets)}};
}

json::object errors_to_json(const sdk::error_counts& e) {
    return {{"connect", e.connect}, {"read", e.read},     {"write", e.write},
            {"timeout", e.timeout}, {"status", e.status}, {"verify", e.verify}};
}

json::object body_checks_to_json(const sdk::sample_checks& c) {
    return {{"judged", c.judged}, {"failed", c.failed}};
}

json::object throughput_to_json(const sdk::measurement& m) {
    const auto rate = [&](std::uint64_t bytes) { return m.seconds > 0 ? static_cast<double>(bytes) / 1e6 / m.seconds : 0.0; };
    return {{"sent", rate(m.bytes_sent)}, {"received", rate(m.bytes_received)}};
}

std::string_view outcome_name(sdk::outcome o) {
    switch (o) {
        case sdk::outcome::measured: return "measured";
        case sdk::outcome::failed: return "failed";
        case sdk::outcome::skipped: return "skipped";
        case sdk::outcome::not_supported: return "not_supported";
    }
    return "unknown";
}

namespace {

json::array samples_to_json(const std::vector<sdk::resource_sample>& samples) {
    json::array a;
    for (const auto& s : samples) a.push_back({{"second", s.second}, {"cpu_percent", s.cpu_percent}, {"rss_bytes", s.rss_bytes}});
    return a;
}

json::array sparse_to_json(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& buckets) {
    json::array a;
    a.reserve(buckets.size());
    for (const auto& [index, count] : buckets) a.push_back(json::array{index, count});
    return a;
}

json::array timeline_to_json(const std::vector<sdk::timeline_point>& timeline) {
    json::array a;
    for (const auto& p : timeline)
        a.push_back({{"second", p.second},
                     {"completed", p.completed},
                     {"errors", p.errors},
                     {"p50_us", p.p50_us},
                     {"p99_us", p.p99_us},
                     {"open_connections", p.open_connections},
                     {"planned_connections", p.planned_connections},
                     {"planned_rate", p.planned_rate},
                     {"latency_buckets", sparse_to_json(p.latency_buckets)}});
    return a;
}

json::array phases_to_json(const std::vector<sdk::phase_result>& phases) {
    json::array a;
    for (const auto& p : phases)
        a.push_back({{"name", p.name},
                     {"seconds", p.seconds},
                     {"completed", p.completed},
                     {"errors", errors_to_json(p.errors)},
                     {"latency_us", histogram_to_json(p.latency_us)},
                     {"connections_planned", p.connections_planned},
                     {"connections_open", p.connections_open}});
    return a;
}

// A scenario with several kinds of request: each kind's counts (absent otherwise).
json::array requests_to_json(const std::vector<sdk::request_result>& requests) {
    json::array a;
    for (const auto& r : requests)
        a.push_back({{"label", r.label},
                     {"completed", r.completed},
                     {"errors", errors_to_json(r.errors)},
                     {"latency_us", histogram_to_json(r.latency_us)}});
    return a;
}

json::object rate_plan_to_json(const sdk::measurement& m) {
    json::object o{{"planned", m.planned_rate},
                   {"achieved", m.achieved_rate},
                   {"late_requests", m.late_requests},
                   {"sent", m.requests_sent},
                   {"unsent_at_end", m.requests_unsent_at_end}};
    if (m.send_lag_us) o["send_lag_us"] = histogram_to_json(*m.send_lag_us);
    return o;
}

json::value resources_summary_to_json(const sdk::measurement& m) {
    const auto summary = observe::summarize_resources(m);
    if (!summary) return nullptr;
    return {{"samples", summary->samples},
            {"mean_cpu_percent", summary->mean_cpu_percent},
            {"peak_cpu_percent", summary->peak_cpu_percent},
            {"peak_rss_bytes", summary->peak_rss_bytes},
            {"cpu_seconds", summary->cpu_seconds},
            {"cpu_seconds_per_1000_requests", summary->cpu_seconds_per_1000_requests}};
}

json::object environment_to_json(const sdk::environment& env) {
    json::object fw_versions;
    for (const auto& [k, v] : env.framework_versions) fw_versions[k] = v;
    return {{"shootout_version", env.shootout_version},
            {"build_type", env.build_type},
            {"cpu_model", env.cpu_model},
            {"cores", env.cores},
            {"kernel", env.kernel},
            {"hostname", env.hostname},
            {"manifest_path", env.manifest_path},
            {"manifest_sha256", env.manifest_sha256},
            {"started_at", env.started_at},
            {"finished_at", env.finished_at},
            {"framework_versions", std::move(fw_versions)}};
}

json::object search_to_json(const sdk::search_result& s) {
    json::array probes;
    for (const auto& p : s.probes)
        probes.push_back({{"rate", p.rate},
                          {"step", p.step},
                          {"seconds", p.seconds},
                          {"completed", p.completed},
                          {"p50", p.p50_us},
                          {"p99", p.p99_us},
                          {"error_rate", p.error_rate},
                          {"achieved_rate", p.achieved_rate},
                          {"late_requests", p.late_requests},
                          {"unsent", p.unsent},
                          {"passed", p.passed},
                          {"reason", p.reason}});
    return {{"found_rate", s.found_rate},     {"resolution", s.resolution}, {"max_p99", s.max_p99_us},
            {"max_error_rate", s.max_error_rate}, {"ended", s.ended},       {"probes", std::move(probes)}};
}

// The optional parts: histograms only some scenarios or models have, the write audit, the
// profile, an SLO search's probes.
void optional_parts_to_json(const sdk::measurement& m, json::object& doc) {
    if (m.search) doc["search"] = search_to_json(*m.search);
    if (m.latency_uncorrected_us) doc["latency_uncorrected_us"] = histogram_to_json(*m.latency_uncorrected_us);
    if (m.first_byte_us) doc["first_byte_us"] = histogram_to_json(*m.first_byte_us);
    if (m.connect_us) doc["connect_us"] = histogram_to_json(*m.connect_us);
    if (m.handshake_us) doc["handshake_us"] = histogram_to_json(*m.handshake_us);
    if (!m.requests.empty()) doc["requests"] = requests_to_json(m.requests);
    if (m.writes)
        doc["writes"] = {{"rows_added", m.writes->rows_added},
                         {"answered_2xx", m.writes->answered_2xx},
                         {"in_flight_at_end", m.writes->in_flight_at_end},
                         {"lost", m.writes->lost},
                         {"phantom", m.writes->phantom}};
    if (m.profile)
        doc["profile"] = {{"profiler", m.profile->profiler},
                          {"folded_path", m.profile->folded_path},
                          {"samples", m.profile->samples}};
}

// Where the measurement was made: the CPUs, and under a distributed load the shard it was or the
// shards it was merged from (docs/distributed.md).
json::object placement_to_json(const sdk::measurement& m) {
    json::object p{{"server_cpus", m.placement.server_cpus}, {"generator_cpus", m.placement.generator_cpus}};
    if (const auto& s = m.shard)
        p["shard"] = {{"index", s->index},
                      {"count", s->count},
                      {"plan_sha256", s->plan_sha256},
                      {"hostname", s->hostname},
                      {"pid", s->pid},
                      {"start_at", s->start_at},
                      {"window_start_unix_ns", s->window_start_unix_ns},
                      {"source_address", s->source_address},
                      {"clock_offset_us", s->clock_offset_us}};
    if (const auto& merged = m.merged) {
        json::array shards;
        for (const auto& s : merged->shards)
            shards.push_back({{"index", s.index},
                              {"hostname", s.hostname},
                              {"source_address", s.source_address},
                              {"completed", s.completed},
                              {"errors", s.errors},
                              {"rate", s.rate},
                              {"p99_us", s.p99_us},
                              {"start_offset_us", s.start_offset_us},
                              {"clock_offset_us", s.clock_offset_us},
                              {"generator_bound", s.generator_bound}});
        p["shards"] = std::move(shards);
        p["merge"] = {{"count", merged->count},
                      {"partial", merged->partial()},
                      {"missing", json::value_from(merged->missing)},
                      {"start_skew_us", merged->start_skew_us}};
    }
    return p;
}

}  // namespace

json::value measurement_to_json(const sdk::measurement& m, const sdk::environment& env) {
    json::object doc;
    doc["schema"] = "shootout.raw-result";
    doc["schema_version"] = raw_result_schema_version;
    doc["framework"] = m.framework;
    doc["scenario"] = m.scenario;
    doc["pattern"] = m.pattern;
    doc["run"] = m.run;
    doc["outcome"] = outcome_name(m.outcome);
    doc["reason"] = m.reason;
    doc["seconds"] = m.seconds;
    doc["completed"] = m.completed;
    doc["rate"] = m.rate;
    doc["errors"] = errors_to_json(m.errors);
    doc["verified"] = m.verified;
    doc["body_checks"] = body_checks_to_json(m.body_checks);
    doc["unfinished"] = {{"requests", m.unfinished}, {"oldest_wait_us", m.unfinished_oldest_us}};
    doc["latency_us"] = histogram_to_json(m.latency_us);
    // The connection mode as the manifest writes it: true (keep-alive), false (a new connection
    // per request) or the requests per connection.
    json::value keep_alive = m.requests_per_connection == 0   ? json::value(true)
                             : m.requests_per_connection == 1 ? json::value(false)
                                                              : json::value(m.requests_per_connection);
    doc["connections"] = {{"asked", m.connections_asked},
                          {"established", m.connections_established},
                          {"keep_alive", std::move(keep_alive)}};
    doc["rate_plan"] = rate_plan_to_json(m);
    doc["bytes"] = {{"sent", m.bytes_sent}, {"received", m.bytes_received}};
    doc["throughput_mb_s"] = throughput_to_json(m);
    doc["answered_2xx_all_phases"] = m.answered_2xx_all_phases;
    doc["in_flight_at_end"] = m.in_flight_at_end;
    optional_parts_to_json(m, doc);
    doc["timeline"] = timeline_to_json(m.timeline);
    doc["phases"] = phases_to_json(m.phases);
    doc["server_resources"] = samples_to_json(m.server_resources);
    doc["server_resources_summary"] = resources_summary_to_json(m);
    doc["generator_resources"] = samples_to_json(m.generator_resources);
    doc["generator"] = {{"cpu_seconds", m.generator_cpu_seconds}};
    doc["placement"] = placement_to_json(m);
    doc["warnings"] = json::value_from(m.warnings);
    doc["environment"] = environment_to_json(env);
    return doc;
}

}  // namespace shootout::core
