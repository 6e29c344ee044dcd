#include "results_json.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "engine/engine.h"
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

json::object throughput_to_json(const sdk::measurement& m) {
    const auto rate = [&](std::uint64_t bytes) { return m.seconds > 0 ? static_cast<double>(bytes) / 1e6 / m.seconds : 0.0; };
    return {{"sent", rate(m.bytes_sent)}, {"received", rate(m.bytes_received)}};
}

namespace {

std::string_view outcome_name(sdk::outcome o) {
    switch (o) {
        case sdk::outcome::measured: return "measured";
        case sdk::outcome::failed: return "failed";
        case sdk::outcome::skipped: return "skipped";
        case sdk::outcome::not_supported: return "not_supported";
    }
    return "unknown";
}

json::array samples_to_json(const std::vector<sdk::resource_sample>& samples) {
    json::array a;
    for (const auto& s : samples) a.push_back({{"second", s.second}, {"cpu_percent", s.cpu_percent}, {"rss_bytes", s.rss_bytes}});
    return a;
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
    doc["latency_us"] = histogram_to_json(m.latency_us);
    if (m.latency_uncorrected_us) doc["latency_uncorrected_us"] = histogram_to_json(*m.latency_uncorrected_us);
    if (m.first_byte_us) doc["first_byte_us"] = histogram_to_json(*m.first_byte_us);
    if (m.connect_us) doc["connect_us"] = histogram_to_json(*m.connect_us);
    doc["connections"] = {{"asked", m.connections_asked}, {"established", m.connections_established}};
    doc["rate_plan"] = {{"planned", m.planned_rate}, {"achieved", m.achieved_rate}, {"late_requests", m.late_requests}};
    doc["bytes"] = {{"sent", m.bytes_sent}, {"received", m.bytes_received}};
    doc["throughput_mb_s"] = throughput_to_json(m);
    doc["answered_2xx_all_phases"] = m.answered_2xx_all_phases;
    doc["in_flight_at_end"] = m.in_flight_at_end;
    if (m.writes)
        doc["writes"] = {{"rows_added", m.writes->rows_added},
                         {"answered_2xx", m.writes->answered_2xx},
                         {"in_flight_at_end", m.writes->in_flight_at_end},
                         {"lost", m.writes->lost},
                         {"phantom", m.writes->phantom}};
    json::array timeline;
    for (const auto& p : m.timeline)
        timeline.push_back({{"second", p.second},
                            {"completed", p.completed},
                            {"errors", p.errors},
                            {"p50_us", p.p50_us},
                            {"p99_us", p.p99_us},
                            {"open_connections", p.open_connections},
                            {"planned_connections", p.planned_connections},
                            {"planned_rate", p.planned_rate}});
    doc["timeline"] = std::move(timeline);
    json::array phases;
    for (const auto& p : m.phases)
        phases.push_back({{"name", p.name},
                          {"seconds", p.seconds},
                          {"completed", p.completed},
                          {"errors", errors_to_json(p.errors)},
                          {"latency_us", histogram_to_json(p.latency_us)},
                          {"connections_planned", p.connections_planned},
                          {"connections_open", p.connections_open}});
    doc["phases"] = std::move(phases);
    doc["server_resources"] = samples_to_json(m.server_resources);
    if (const auto summary = observe::summarize_resources(m))
        doc["server_resources_summary"] = {{"samples", summary->samples},
                                           {"mean_cpu_percent", summary->mean_cpu_percent},
                                           {"peak_cpu_percent", summary->peak_cpu_percent},
                                           {"peak_rss_bytes", summary->peak_rss_bytes},
                                           {"cpu_seconds", summary->cpu_seconds},
                                           {"cpu_seconds_per_1000_requests", summary->cpu_seconds_per_1000_requests}};
    else
        doc["server_resources_summary"] = nullptr;
    doc["generator_resources"] = samples_to_json(m.generator_resources);
    doc["generator"] = {{"cpu_seconds", m.generator_cpu_seconds}};
    if (m.profile)
        doc["profile"] = {{"profiler", m.profile->profiler},
                          {"folded_path", m.profile->folded_path},
                          {"samples", m.profile->samples}};
    json::array warnings;
    for (const auto& w : m.warnings) warnings.push_back(json::string(w));
    doc["warnings"] = std::move(warnings);
    json::object extra;
    for (const auto& [k, v] : m.extra) extra[k] = v;
    doc["extra"] = std::move(extra);
    json::object fw_versions;
    for (const auto& [k, v] : env.framework_versions) fw_versions[k] = v;
    doc["environment"] = {{"shootout_version", env.shootout_version},
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
    return doc;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
    auto temporary = path;
    temporary += fmt::format(".tmp.{}", ::getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error(fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno)));
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.flush();
        if (!out) throw std::runtime_error(fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno)));
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", temporary.string(), path.string(), ec.message()));
}

std::string utc_now(const char* strftime_format) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, strftime_format, &tm);
    return buf;
}

sdk::environment current_environment() {
    sdk::environment env;
    env.shootout_version = SHOOTOUT_VERSION;
    env.build_type = SHOOTOUT_BUILD_TYPE;
    env.cores = engine::default_threads();
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            env.cpu_model = line.substr(line.find(':') + 2);
            break;
        }
    utsname u{};
    if (uname(&u) == 0) {
        env.kernel = fmt::format("{} {}", u.sysname, u.release);
        env.hostname = u.nodename;
    }
    return env;
}

}  // namespace shootout::core
