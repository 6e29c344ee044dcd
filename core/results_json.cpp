#include "results_json.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <numeric>
#include <tuple>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "bounded_read.h"
#include "engine/engine.h"
#include "names.h"
#include "printable.h"
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
    doc["body_checks"] = {{"judged", m.body_checks.judged}, {"failed", m.body_checks.failed}};
    doc["unfinished"] = {{"requests", m.unfinished}, {"oldest_wait_us", m.unfinished_oldest_us}};
    doc["latency_us"] = histogram_to_json(m.latency_us);
    if (m.latency_uncorrected_us) doc["latency_uncorrected_us"] = histogram_to_json(*m.latency_uncorrected_us);
    if (m.first_byte_us) doc["first_byte_us"] = histogram_to_json(*m.first_byte_us);
    if (m.connect_us) doc["connect_us"] = histogram_to_json(*m.connect_us);
    if (m.handshake_us) doc["handshake_us"] = histogram_to_json(*m.handshake_us);
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
    // A failure names the file asked for and removes the temporary; the file as it was before
    // (a result written earlier) stays whole, since only a complete temporary replaces it.
    auto fail = [&](const std::string& why) {
        ::unlink(temporary.c_str());
        throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), why));
    };
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(std::strerror(errno));
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            fail(std::strerror(error));
        }
        done += static_cast<std::size_t>(n);
    }
    // close() reports what the file system could not store (a full disk on NFS, say).
    if (::close(fd) != 0) fail(std::strerror(errno));
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
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

namespace {

// Reading is strict about what a field holds and names the field when it is wrong, so a broken
// or hand-edited document is reported precisely rather than read as zeros.
const json::value& field(const json::object& o, std::string_view key, std::string_view where) {
    if (const auto* v = o.if_contains(key)) return *v;
    throw raw_result_error(fmt::format("{}: missing field '{}'", where, key));
}

template <typename T>
T number(const json::object& o, std::string_view key, std::string_view where) {
    const auto& v = field(o, key, where);
    try {
        return v.to_number<T>();
    } catch (const std::exception&) {
        throw raw_result_error(fmt::format("{}: field '{}' must be a number, not {}", where, key, json::serialize(v)));
    }
}

// A bucket's index or count (found by fuzz/raw_result_json: Boost.JSON's own "not exact" escaped,
// naming no field).
template <typename T>
T bucket_number(const json::value& v, std::string_view what) {
    try {
        return v.to_number<T>();
    } catch (const std::exception&) {
        throw raw_result_error(fmt::format("histogram: a bucket's {} must be a whole number, not {}", what, json::serialize(v)));
    }
}

template <typename T>
T number_or(const json::object& o, std::string_view key, std::string_view where, T fallback) {
    return o.contains(key) ? number<T>(o, key, where) : fallback;
}

std::string text(const json::object& o, std::string_view key, std::string_view where) {
    const auto& v = field(o, key, where);
    if (!v.is_string()) throw raw_result_error(fmt::format("{}: field '{}' must be a string", where, key));
    return std::string(v.get_string());
}

const json::object& object_at(const json::object& o, std::string_view key, std::string_view where) {
    const auto& v = field(o, key, where);
    if (!v.is_object()) throw raw_result_error(fmt::format("{}: field '{}' must be an object", where, key));
    return v.get_object();
}

const json::array& array_at(const json::object& o, std::string_view key, std::string_view where) {
    const auto& v = field(o, key, where);
    if (!v.is_array()) throw raw_result_error(fmt::format("{}: field '{}' must be an array", where, key));
    return v.get_array();
}

const json::object& as_object(const json::value& v, std::string_view where) {
    if (!v.is_object()) throw raw_result_error(fmt::format("{}: must be an object", where));
    return v.get_object();
}

sdk::error_counts errors_from_json(const json::object& o, std::string_view where) {
    sdk::error_counts e;
    e.connect = number<std::uint64_t>(o, "connect", where);
    e.read = number<std::uint64_t>(o, "read", where);
    e.write = number<std::uint64_t>(o, "write", where);
    e.timeout = number<std::uint64_t>(o, "timeout", where);
    e.status = number<std::uint64_t>(o, "status", where);
    e.verify = number<std::uint64_t>(o, "verify", where);
    return e;
}

std::vector<sdk::resource_sample> samples_from_json(const json::array& a, std::string_view where) {
    std::vector<sdk::resource_sample> samples;
    for (const auto& v : a) {
        const auto& o = as_object(v, where);
        samples.push_back({number<double>(o, "second", where), number<double>(o, "cpu_percent", where),
                           number<std::uint64_t>(o, "rss_bytes", where)});
    }
    return samples;
}

sdk::outcome outcome_from(std::string_view name) {
    if (name == "measured") return sdk::outcome::measured;
    if (name == "failed") return sdk::outcome::failed;
    if (name == "skipped") return sdk::outcome::skipped;
    if (name == "not_supported") return sdk::outcome::not_supported;
    throw raw_result_error(fmt::format("field 'outcome' is '{}' (known: measured, failed, skipped, not_supported)", name));
}

}  // namespace

sdk::histogram histogram_from_json(const json::value& v) {
    std::size_t budget = histogram_counts_budget;
    return histogram_from_json(v, budget);
}

sdk::histogram histogram_from_json(const json::value& v, std::size_t& counts_budget) {
    const auto& o = as_object(v, "histogram");
    const auto highest = number<std::int64_t>(o, "highest", "histogram");
    const auto digits = number<int>(o, "significant_digits", "histogram");
    if (highest < 2 || digits < 1 || digits > 5)
        throw raw_result_error(fmt::format("histogram: highest {} and significant_digits {} are not a valid layout", highest, digits));
    sdk::histogram h(highest, digits);
    // A few bytes of JSON can ask for megabytes of counts: the document's histograms share a budget.
    if (h.counts().size() > counts_budget)
        throw raw_result_error(fmt::format("histogram: highest {} and significant_digits {} need {} counts, and the "
                                           "document's histograms may hold {} in all ({} left); shootout writes "
                                           "histograms of {} counts",
                                           highest, digits, h.counts().size(), histogram_counts_budget, counts_budget,
                                           sdk::histogram().counts().size()));
    counts_budget -= h.counts().size();
    for (const auto& b : array_at(o, "buckets", "histogram")) {
        if (!b.is_array() || b.get_array().size() != 2)
            throw raw_result_error("histogram: each bucket must be [index, count]");
        const auto index = bucket_number<std::size_t>(b.get_array()[0], "index");
        const auto count = bucket_number<std::uint64_t>(b.get_array()[1], "count");
        if (h.count() + count < h.count())
            throw raw_result_error(fmt::format("histogram: the bucket counts add up to more than {}", UINT64_MAX));
        if (!h.add_at_index(index, count))
            throw raw_result_error(fmt::format("histogram: bucket index {} is outside the layout", index));
    }
    h.add_clamped(number_or<std::uint64_t>(o, "clamped", "histogram", 0));
    h.restore_extremes(number<std::int64_t>(o, "min", "histogram"), number<std::int64_t>(o, "max", "histogram"));
    if (h.count() != number<std::uint64_t>(o, "count", "histogram"))
        throw raw_result_error(fmt::format("histogram: its buckets hold {} values but 'count' says {}", h.count(),
                                           number<std::uint64_t>(o, "count", "histogram")));
    return h;
}

raw_result measurement_from_json(const json::value& value) {
    const auto& doc = as_object(value, "document");
    const auto* schema = doc.if_contains("schema");
    if (!schema || !schema->is_string() || schema->get_string() != "shootout.raw-result")
        throw raw_result_error("not a shootout raw result (no \"schema\": \"shootout.raw-result\")");
    const auto version = number<int>(doc, "schema_version", "document");
    if (version != raw_result_schema_version)
        throw raw_result_error(fmt::format("unknown schema_version {} (this shootout reads version {}); read it with the "
                                           "shootout that wrote it",
                                           version, raw_result_schema_version));
    raw_result r;
    auto& m = r.measurement;
    const std::string_view top = "document";
    std::size_t budget = histogram_counts_budget;
    const auto histogram_at = [&budget](const json::value& h) { return histogram_from_json(h, budget); };
    m.framework = text(doc, "framework", top);
    m.scenario = text(doc, "scenario", top);
    m.pattern = text(doc, "pattern", top);
    m.run = number<unsigned>(doc, "run", top);
    m.outcome = outcome_from(text(doc, "outcome", top));
    m.reason = text(doc, "reason", top);
    m.seconds = number<double>(doc, "seconds", top);
    m.completed = number<std::uint64_t>(doc, "completed", top);
    m.rate = number<double>(doc, "rate", top);
    m.errors = errors_from_json(object_at(doc, "errors", top), "errors");
    m.verified = number<std::uint64_t>(doc, "verified", top);
    // Added in the same schema version, so older files (without them) still read: nothing judged
    // apart from `verified`, nothing unfinished.
    if (doc.contains("body_checks")) {
        const auto& c = object_at(doc, "body_checks", top);
        m.body_checks = {number<std::uint64_t>(c, "judged", "body_checks"), number<std::uint64_t>(c, "failed", "body_checks")};
        if (m.body_checks.failed > m.body_checks.judged)
            throw raw_result_error(fmt::format("body_checks: {} failed of {} judged", m.body_checks.failed, m.body_checks.judged));
    } else {
        m.body_checks = {m.verified, 0};
    }
    if (doc.contains("unfinished")) {
        const auto& u = object_at(doc, "unfinished", top);
        m.unfinished = number<std::uint64_t>(u, "requests", "unfinished");
        m.unfinished_oldest_us = number<std::int64_t>(u, "oldest_wait_us", "unfinished");
    }
    m.latency_us = histogram_at(field(doc, "latency_us", top));
    if (doc.contains("latency_uncorrected_us")) m.latency_uncorrected_us = histogram_at(doc.at("latency_uncorrected_us"));
    if (doc.contains("first_byte_us")) m.first_byte_us = histogram_at(doc.at("first_byte_us"));
    if (doc.contains("connect_us")) m.connect_us = histogram_at(doc.at("connect_us"));
    if (doc.contains("handshake_us")) m.handshake_us = histogram_at(doc.at("handshake_us"));
    const auto& connections = object_at(doc, "connections", top);
    m.connections_asked = number<std::uint32_t>(connections, "asked", "connections");
    m.connections_established = number<std::uint32_t>(connections, "established", "connections");
    const auto& plan = object_at(doc, "rate_plan", top);
    m.planned_rate = number<double>(plan, "planned", "rate_plan");
    m.achieved_rate = number<double>(plan, "achieved", "rate_plan");
    m.late_requests = number<std::uint64_t>(plan, "late_requests", "rate_plan");
    const auto& bytes = object_at(doc, "bytes", top);
    m.bytes_sent = number<std::uint64_t>(bytes, "sent", "bytes");
    m.bytes_received = number<std::uint64_t>(bytes, "received", "bytes");
    m.answered_2xx_all_phases = number<std::uint64_t>(doc, "answered_2xx_all_phases", top);
    m.in_flight_at_end = number<std::uint64_t>(doc, "in_flight_at_end", top);
    if (doc.contains("writes")) {
        const auto& w = object_at(doc, "writes", top);
        m.writes = sdk::write_accounting{number<std::uint64_t>(w, "rows_added", "writes"),
                                         number<std::uint64_t>(w, "answered_2xx", "writes"),
                                         number<std::uint64_t>(w, "in_flight_at_end", "writes"),
                                         number<std::uint64_t>(w, "lost", "writes"),
                                         number<std::uint64_t>(w, "phantom", "writes")};
    }
    for (const auto& v : array_at(doc, "timeline", top)) {
        const auto& p = as_object(v, "timeline");
        sdk::timeline_point t;
        t.second = number<double>(p, "second", "timeline");
        t.completed = number<std::uint64_t>(p, "completed", "timeline");
        t.errors = number<std::uint64_t>(p, "errors", "timeline");
        t.p50_us = number<std::int64_t>(p, "p50_us", "timeline");
        t.p99_us = number<std::int64_t>(p, "p99_us", "timeline");
        t.open_connections = number<std::uint32_t>(p, "open_connections", "timeline");
        t.planned_connections = number<std::uint32_t>(p, "planned_connections", "timeline");
        t.planned_rate = number_or<double>(p, "planned_rate", "timeline", 0);
        m.timeline.push_back(t);
    }
    for (const auto& v : array_at(doc, "phases", top)) {
        const auto& p = as_object(v, "phases");
        sdk::phase_result phase;
        phase.name = text(p, "name", "phases");
        phase.seconds = number<double>(p, "seconds", "phases");
        phase.completed = number<std::uint64_t>(p, "completed", "phases");
        phase.errors = errors_from_json(object_at(p, "errors", "phases"), "phases.errors");
        phase.latency_us = histogram_at(field(p, "latency_us", "phases"));
        phase.connections_planned = number<std::uint32_t>(p, "connections_planned", "phases");
        phase.connections_open = number<std::uint32_t>(p, "connections_open", "phases");
        m.phases.push_back(std::move(phase));
    }
    m.server_resources = samples_from_json(array_at(doc, "server_resources", top), "server_resources");
    m.generator_resources = samples_from_json(array_at(doc, "generator_resources", top), "generator_resources");
    m.generator_cpu_seconds = number<double>(object_at(doc, "generator", top), "cpu_seconds", "generator");
    if (doc.contains("profile")) {
        const auto& p = object_at(doc, "profile", top);
        m.profile = sdk::profile_info{text(p, "profiler", "profile"), text(p, "folded_path", "profile"),
                                      number<std::uint64_t>(p, "samples", "profile")};
    }
    for (const auto& w : array_at(doc, "warnings", top)) {
        if (!w.is_string()) throw raw_result_error("warnings: each warning must be a string");
        m.warnings.emplace_back(w.get_string());
    }
    for (const auto& [k, v] : object_at(doc, "extra", top)) {
        if (!v.is_string()) throw raw_result_error(fmt::format("extra: '{}' must be a string", std::string_view(k)));
        m.extra[std::string(k)] = std::string(v.get_string());
    }
    const auto& env = object_at(doc, "environment", top);
    auto& e = r.environment;
    const std::string_view where = "environment";
    e.shootout_version = text(env, "shootout_version", where);
    e.build_type = text(env, "build_type", where);
    e.cpu_model = text(env, "cpu_model", where);
    e.cores = number<unsigned>(env, "cores", where);
    e.kernel = text(env, "kernel", where);
    e.hostname = text(env, "hostname", where);
    e.manifest_path = text(env, "manifest_path", where);
    e.manifest_sha256 = text(env, "manifest_sha256", where);
    e.started_at = text(env, "started_at", where);
    e.finished_at = text(env, "finished_at", where);
    for (const auto& [k, v] : object_at(env, "framework_versions", where)) {
        if (!v.is_string()) throw raw_result_error(fmt::format("environment.framework_versions: '{}' must be a string", std::string_view(k)));
        e.framework_versions[std::string(k)] = std::string(v.get_string());
    }
    if (doc.contains("sequence")) r.sequence = number<std::uint64_t>(doc, "sequence", top);
    // JSON may carry any code point, escape characters too: reports get printable text only.
    make_printable(m);
    make_printable(e);
    return r;
}

sdk::environment merge_environments(const std::vector<sdk::environment>& environments) {
    sdk::environment merged;
    if (environments.empty()) return merged;
    merged = environments.back();
    for (const auto& e : environments) {
        // ISO-8601 UTC strings compare in time order.
        if (!e.started_at.empty() && (merged.started_at.empty() || e.started_at < merged.started_at)) merged.started_at = e.started_at;
        if (e.finished_at > merged.finished_at) merged.finished_at = e.finished_at;
        for (const auto& [fw, version] : e.framework_versions) merged.framework_versions[fw] = version;
    }
    return merged;
}

namespace {

// What a raw file says that paths are built from: its names (raw, profile and flamegraph file
// names) and its profile (read by the flamegraph reporter) must stay inside the run directory.
void check_paths(const sdk::measurement& m) {
    for (const auto& [what, name] : {std::pair{"framework", &m.framework}, {"scenario", &m.scenario}, {"pattern", &m.pattern}})
        if (auto problem = name_problem(*name); !problem.empty())
            throw raw_result_error(fmt::format("field '{}': name \"{}\" {}", what, *name, problem));
    if (!m.profile) return;
    const std::filesystem::path folded(m.profile->folded_path);
    const bool inside = folded.is_relative() && !folded.empty() &&
                        std::none_of(folded.begin(), folded.end(), [](const auto& part) { return part == ".."; });
    if (!inside)
        throw raw_result_error(fmt::format("profile: folded_path \"{}\" must be a path relative to the run directory, "
                                           "without '..' (shootout writes profiles/<name>.folded)",
                                           m.profile->folded_path));
}

std::optional<raw_result> read_raw_file(const std::filesystem::path& file, std::vector<std::string>& problems) {
    std::string text;
    try {
        text = read_bounded(file, raw_result_size_limit);
    } catch (const file_read_error& e) {
        problems.push_back(fmt::format("{}: {}: {}", file.string(), e.too_large() ? "too large for a raw result" : "cannot read",
                                       e.detail()));
        return std::nullopt;
    }
    boost::system::error_code ec;
    auto doc = json::parse(text, ec);
    if (ec) {
        problems.push_back(fmt::format("{}: broken JSON: {}", file.string(), ec.message()));
        return std::nullopt;
    }
    try {
        auto r = measurement_from_json(doc);
        check_paths(r.measurement);
        r.source = file.filename().string();
        return r;
    } catch (const std::exception& e) {
        problems.push_back(fmt::format("{}: {}", file.string(), e.what()));
        return std::nullopt;
    }
}

}  // namespace

loaded_results load_raw_results(const std::filesystem::path& raw_dir) {
    loaded_results loaded;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(raw_dir))
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    loaded.files = files.size();
    std::vector<raw_result> read;
    // Two files of one measurement would be counted twice, or one would hide the other.
    std::map<std::tuple<std::string, std::string, std::string, unsigned>, std::string> seen;
    for (const auto& file : files) {
        auto r = read_raw_file(file, loaded.problems);
        if (!r) continue;
        const auto& m = r->measurement;
        auto [it, first] = seen.emplace(std::tuple{m.framework, m.scenario, m.pattern, m.run}, r->source);
        if (!first) {
            loaded.duplicates.push_back(fmt::format("{} and {} both hold {} / {} / {} / run {}", it->second, r->source,
                                                    m.framework, m.scenario, m.pattern, m.run));
            continue;
        }
        read.push_back(std::move(*r));
    }
    loaded.results = assemble_results(std::move(read));
    return loaded;
}

sdk::result_set assemble_results(std::vector<raw_result> read) {
    // Files without a sequence (written by hand) go after those with one, by file name.
    std::stable_sort(read.begin(), read.end(), [](const raw_result& a, const raw_result& b) {
        const auto sa = a.sequence.value_or(UINT64_MAX), sb = b.sequence.value_or(UINT64_MAX);
        return sa != sb ? sa < sb : a.source < b.source;
    });
    sdk::result_set results;
    std::vector<sdk::environment> environments;
    for (auto& r : read) {
        environments.push_back(std::move(r.environment));
        results.measurements.push_back(std::move(r.measurement));
    }
    results.environment = merge_environments(environments);
    return results;
}

}  // namespace shootout::core
