// Reading raw results back: schema v2, and v1 (without per-second buckets; its `extra` strings
// become the typed fields that replaced them). Strict: a field of the wrong type, a missing one,
// or a derived figure its counts contradict is an error naming the field.
#include "results/raw_json.h"

#include <cmath>
#include <functional>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "printable.h"

namespace shootout::core {

namespace json = boost::json;

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


namespace {

using histogram_reader = std::function<sdk::histogram(const json::value&)>;

// The percentiles written beside a histogram's buckets are what people and scripts read: in a
// version 2 document they must be the buckets' own. (Version 1 rounded some up by one rank.)
void check_percentiles(const json::value& v, const sdk::histogram& h) {
    const auto& o = v.get_object();
    for (const auto& [key, p] : {std::pair{"p50", 50.0}, {"p95", 95.0}, {"p99", 99.0}, {"p999", 99.9}})
        if (o.contains(key) && number<std::int64_t>(o, key, "histogram") != h.value_at_percentile(p))
            throw raw_result_error(fmt::format("histogram: '{}' says {} but its buckets give {}", key,
                                               number<std::int64_t>(o, key, "histogram"), h.value_at_percentile(p)));
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> sparse_from_json(const json::array& a, std::string_view where) {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;
    buckets.reserve(a.size());
    for (const auto& b : a) {
        if (!b.is_array() || b.get_array().size() != 2)
            throw raw_result_error(fmt::format("{}: each bucket must be [index, count]", where));
        buckets.emplace_back(bucket_number<std::uint32_t>(b.get_array()[0], "index"),
                             bucket_number<std::uint64_t>(b.get_array()[1], "count"));
    }
    return buckets;
}

void names_from_json(const json::object& doc, sdk::measurement& m) {
    const std::string_view top = "document";
    m.framework = text(doc, "framework", top);
    m.scenario = text(doc, "scenario", top);
    m.pattern = text(doc, "pattern", top);
    m.run = number<unsigned>(doc, "run", top);
    m.outcome = outcome_from(text(doc, "outcome", top));
    m.reason = text(doc, "reason", top);
}

// body_checks and unfinished came late in version 1, so a version 1 file may lack them: then
// nothing was judged apart from `verified`, and nothing was unfinished.
void checks_from_json(const json::object& doc, int version, sdk::measurement& m) {
    const std::string_view top = "document";
    if (version >= 2 || doc.contains("body_checks")) {
        const auto& c = object_at(doc, "body_checks", top);
        m.body_checks = {number<std::uint64_t>(c, "judged", "body_checks"), number<std::uint64_t>(c, "failed", "body_checks")};
        if (m.body_checks.failed > m.body_checks.judged)
            throw raw_result_error(fmt::format("body_checks: {} failed of {} judged", m.body_checks.failed, m.body_checks.judged));
    } else {
        m.body_checks = {m.verified, 0};
    }
    if (version >= 2 || doc.contains("unfinished")) {
        const auto& u = object_at(doc, "unfinished", top);
        m.unfinished = number<std::uint64_t>(u, "requests", "unfinished");
        m.unfinished_oldest_us = number<std::int64_t>(u, "oldest_wait_us", "unfinished");
    }
}

void histograms_from_json(const json::object& doc, const histogram_reader& read, sdk::measurement& m) {
    m.latency_us = read(field(doc, "latency_us", "document"));
    if (doc.contains("latency_uncorrected_us")) m.latency_uncorrected_us = read(doc.at("latency_uncorrected_us"));
    if (doc.contains("first_byte_us")) m.first_byte_us = read(doc.at("first_byte_us"));
    if (doc.contains("connect_us")) m.connect_us = read(doc.at("connect_us"));
    if (doc.contains("handshake_us")) m.handshake_us = read(doc.at("handshake_us"));
}

void rate_plan_from_json(const json::object& doc, int version, const histogram_reader& read, sdk::measurement& m) {
    const auto& plan = object_at(doc, "rate_plan", "document");
    m.planned_rate = number<double>(plan, "planned", "rate_plan");
    m.achieved_rate = number<double>(plan, "achieved", "rate_plan");
    m.late_requests = number<std::uint64_t>(plan, "late_requests", "rate_plan");
    if (version < 2) return;
    m.requests_sent = number<std::uint64_t>(plan, "sent", "rate_plan");
    m.requests_unsent_at_end = number<std::uint64_t>(plan, "unsent_at_end", "rate_plan");
    if (plan.contains("send_lag_us")) m.send_lag_us = read(plan.at("send_lag_us"));
}

// connections.keep_alive: true (or absent: files written before it was recorded), false, or the
// requests per connection (2 or more).
std::uint32_t keep_alive_from_json(const json::object& connections) {
    const auto* v = connections.if_contains("keep_alive");
    if (!v || (v->is_bool() && v->get_bool())) return 0;
    if (v->is_bool()) return 1;
    const auto n = number<std::uint32_t>(connections, "keep_alive", "connections");
    if (n < 2)
        throw raw_result_error(fmt::format("connections: field 'keep_alive' must be true, false or 2 or more requests "
                                           "per connection, not {}", n));
    return n;
}

void counters_from_json(const json::object& doc, sdk::measurement& m) {
    const std::string_view top = "document";
    m.seconds = number<double>(doc, "seconds", top);
    m.completed = number<std::uint64_t>(doc, "completed", top);
    m.rate = number<double>(doc, "rate", top);
    m.errors = errors_from_json(object_at(doc, "errors", top), "errors");
    m.verified = number<std::uint64_t>(doc, "verified", top);
    const auto& connections = object_at(doc, "connections", top);
    m.connections_asked = number<std::uint32_t>(connections, "asked", "connections");
    m.connections_established = number<std::uint32_t>(connections, "established", "connections");
    m.requests_per_connection = keep_alive_from_json(connections);
    const auto& bytes = object_at(doc, "bytes", top);
    m.bytes_sent = number<std::uint64_t>(bytes, "sent", "bytes");
    m.bytes_received = number<std::uint64_t>(bytes, "received", "bytes");
    m.answered_2xx_all_phases = number<std::uint64_t>(doc, "answered_2xx_all_phases", top);
    m.in_flight_at_end = number<std::uint64_t>(doc, "in_flight_at_end", top);
    m.generator_cpu_seconds = number<double>(object_at(doc, "generator", top), "cpu_seconds", "generator");
    if (doc.contains("writes")) {
        const auto& w = object_at(doc, "writes", top);
        m.writes = sdk::write_accounting{number<std::uint64_t>(w, "rows_added", "writes"),
                                         number<std::uint64_t>(w, "answered_2xx", "writes"),
                                         number<std::uint64_t>(w, "in_flight_at_end", "writes"),
                                         number<std::uint64_t>(w, "lost", "writes"),
                                         number<std::uint64_t>(w, "phantom", "writes")};
    }
}

void timeline_from_json(const json::object& doc, int version, sdk::measurement& m) {
    for (const auto& v : array_at(doc, "timeline", "document")) {
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
        if (version >= 2) t.latency_buckets = sparse_from_json(array_at(p, "latency_buckets", "timeline"), "timeline.latency_buckets");
        m.timeline.push_back(std::move(t));
    }
}

void phases_from_json(const json::object& doc, const histogram_reader& read, sdk::measurement& m) {
    for (const auto& v : array_at(doc, "phases", "document")) {
        const auto& p = as_object(v, "phases");
        sdk::phase_result phase;
        phase.name = text(p, "name", "phases");
        phase.seconds = number<double>(p, "seconds", "phases");
        phase.completed = number<std::uint64_t>(p, "completed", "phases");
        phase.errors = errors_from_json(object_at(p, "errors", "phases"), "phases.errors");
        phase.latency_us = read(field(p, "latency_us", "phases"));
        phase.connections_planned = number<std::uint32_t>(p, "connections_planned", "phases");
        phase.connections_open = number<std::uint32_t>(p, "connections_open", "phases");
        m.phases.push_back(std::move(phase));
    }
}

// Each kind of request's counts (optional: only a scenario with several kinds has them).
void requests_from_json(const json::object& doc, const histogram_reader& read, sdk::measurement& m) {
    if (!doc.contains("requests")) return;
    for (const auto& v : array_at(doc, "requests", "document")) {
        const auto& r = as_object(v, "requests");
        m.requests.push_back({text(r, "label", "requests"), number<std::uint64_t>(r, "completed", "requests"),
                              errors_from_json(object_at(r, "errors", "requests"), "requests.errors"),
                              read(field(r, "latency_us", "requests"))});
    }
}

// An SLO search's probes (optional: only a search measurement has them).
sdk::search_result search_from_json(const json::object& o) {
    const std::string_view where = "search";
    sdk::search_result s;
    s.found_rate = number<double>(o, "found_rate", where);
    s.resolution = number<double>(o, "resolution", where);
    s.max_p99_us = number<std::int64_t>(o, "max_p99", where);
    s.max_error_rate = number<double>(o, "max_error_rate", where);
    s.ended = text(o, "ended", where);
    for (const auto& v : array_at(o, "probes", where)) {
        const auto& p = as_object(v, "search.probes");
        const std::string_view at = "search.probes";
        sdk::search_probe probe;
        probe.rate = number<double>(p, "rate", at);
        probe.step = text(p, "step", at);
        probe.seconds = number<double>(p, "seconds", at);
        probe.completed = number<std::uint64_t>(p, "completed", at);
        probe.p50_us = number<std::int64_t>(p, "p50", at);
        probe.p99_us = number<std::int64_t>(p, "p99", at);
        probe.error_rate = number<double>(p, "error_rate", at);
        probe.achieved_rate = number<double>(p, "achieved_rate", at);
        probe.late_requests = number<std::uint64_t>(p, "late_requests", at);
        probe.unsent = number<std::uint64_t>(p, "unsent", at);
        const auto& passed = field(p, "passed", at);
        if (!passed.is_bool()) throw raw_result_error("search.probes: field 'passed' must be true or false");
        probe.passed = passed.get_bool();
        probe.reason = text(p, "reason", at);
        s.probes.push_back(std::move(probe));
    }
    return s;
}

void observations_from_json(const json::object& doc, sdk::measurement& m) {
    const std::string_view top = "document";
    m.server_resources = samples_from_json(array_at(doc, "server_resources", top), "server_resources");
    m.generator_resources = samples_from_json(array_at(doc, "generator_resources", top), "generator_resources");
    if (doc.contains("profile")) {
        const auto& p = object_at(doc, "profile", top);
        m.profile = sdk::profile_info{text(p, "profiler", "profile"), text(p, "folded_path", "profile"),
                                      number<std::uint64_t>(p, "samples", "profile")};
    }
    if (doc.contains("search")) m.search = search_from_json(object_at(doc, "search", top));
    for (const auto& w : array_at(doc, "warnings", top)) {
        if (!w.is_string()) throw raw_result_error("warnings: each warning must be a string");
        m.warnings.emplace_back(w.get_string());
    }
}

// Version 1 kept the open model's counters and the CPU placement as strings in `extra`; its
// send-lag percentiles have no histogram to become, and are left out.
void extra_v1_from_json(const json::object& doc, sdk::measurement& m) {
    for (const auto& [k, v] : object_at(doc, "extra", "document")) {
        if (!v.is_string()) throw raw_result_error(fmt::format("extra: '{}' must be a string", std::string_view(k)));
        const std::string value(v.get_string());
        const std::string key(k);  // clang 14 cannot capture a structured binding
        const auto whole_number = [&] {
            std::size_t used = 0;
            std::uint64_t n = 0;
            try {
                n = std::stoull(value, &used);
            } catch (const std::exception&) {
            }
            if (value.empty() || used != value.size())
                throw raw_result_error(fmt::format("extra: '{}' must be a whole number, not \"{}\"", key, value));
            return n;
        };
        if (k == "requests_sent") m.requests_sent = whole_number();
        else if (k == "requests_due_unsent_at_end") m.requests_unsent_at_end = whole_number();
        else if (k == "server_cpus") m.placement.server_cpus = value;
        else if (k == "generator_cpus") m.placement.generator_cpus = value;
    }
}

sdk::shard_info shard_from_json(const json::object& s) {
    const std::string_view where = "placement.shard";
    sdk::shard_info shard;
    shard.index = number<std::uint32_t>(s, "index", where);
    shard.count = number<std::uint32_t>(s, "count", where);
    if (shard.count == 0 || shard.index >= shard.count)
        throw raw_result_error(fmt::format("{}: index {} of count {} is not a shard (0 <= index < count)", where,
                                           shard.index, shard.count));
    shard.plan_sha256 = text(s, "plan_sha256", where);
    shard.hostname = text(s, "hostname", where);
    shard.pid = number<std::uint32_t>(s, "pid", where);
    shard.start_at = text(s, "start_at", where);
    shard.window_start_unix_ns = number<std::int64_t>(s, "window_start_unix_ns", where);
    shard.source_address = text(s, "source_address", where);
    shard.clock_offset_us = number<std::int64_t>(s, "clock_offset_us", where);
    return shard;
}

sdk::merge_info merge_from_json(const json::object& p) {
    sdk::merge_info merged;
    const auto& info = object_at(p, "merge", "placement");
    merged.count = number<std::uint32_t>(info, "count", "placement.merge");
    merged.start_skew_us = number<std::int64_t>(info, "start_skew_us", "placement.merge");
    for (const auto& i : array_at(info, "missing", "placement.merge"))
        merged.missing.push_back(bucket_number<std::uint32_t>(i, "missing shard index"));
    for (const auto& v : array_at(p, "shards", "placement")) {
        const auto& s = as_object(v, "placement.shards[]");
        const std::string_view where = "placement.shards[]";
        sdk::shard_summary one;
        one.index = number<std::uint32_t>(s, "index", where);
        one.hostname = text(s, "hostname", where);
        one.source_address = text(s, "source_address", where);
        one.completed = number<std::uint64_t>(s, "completed", where);
        one.errors = number<std::uint64_t>(s, "errors", where);
        one.rate = number<double>(s, "rate", where);
        one.p99_us = number<std::int64_t>(s, "p99_us", where);
        one.start_offset_us = number<std::int64_t>(s, "start_offset_us", where);
        one.clock_offset_us = number<std::int64_t>(s, "clock_offset_us", where);
        const auto& bound = field(s, "generator_bound", where);
        if (!bound.is_bool()) throw raw_result_error("placement.shards[]: field 'generator_bound' must be true or false");
        one.generator_bound = bound.get_bool();
        merged.shards.push_back(std::move(one));
    }
    return merged;
}

void placement_from_json(const json::object& doc, sdk::measurement& m) {
    const auto& p = object_at(doc, "placement", "document");
    m.placement = {text(p, "server_cpus", "placement"), text(p, "generator_cpus", "placement")};
    if (p.contains("shard")) m.shard = shard_from_json(object_at(p, "shard", "placement"));
    if (p.contains("merge")) m.merged = merge_from_json(p);
}

sdk::environment environment_from_json(const json::object& env) {
    sdk::environment e;
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
    return e;
}

int schema_version_of(const json::object& doc) {
    const auto* schema = doc.if_contains("schema");
    if (!schema || !schema->is_string() || schema->get_string() != "shootout.raw-result")
        throw raw_result_error("not a shootout raw result (no \"schema\": \"shootout.raw-result\")");
    const auto version = number<int>(doc, "schema_version", "document");
    if (version < oldest_raw_result_schema_version || version > raw_result_schema_version)
        throw raw_result_error(fmt::format("unknown schema_version {} (this shootout reads versions {} to {}); read it with "
                                           "the shootout that wrote it",
                                           version, oldest_raw_result_schema_version, raw_result_schema_version));
    return version;
}

}  // namespace

raw_result measurement_from_json(const json::value& value) {
    const auto& doc = as_object(value, "document");
    const int version = schema_version_of(doc);
    std::size_t budget = histogram_counts_budget;
    const histogram_reader read = [&budget, version](const json::value& v) {
        auto h = histogram_from_json(v, budget);
        if (version >= 2) check_percentiles(v, h);
        return h;
    };
    raw_result r;
    auto& m = r.measurement;
    names_from_json(doc, m);
    counters_from_json(doc, m);
    checks_from_json(doc, version, m);
    histograms_from_json(doc, read, m);
    rate_plan_from_json(doc, version, read, m);
    timeline_from_json(doc, version, m);
    phases_from_json(doc, read, m);
    requests_from_json(doc, read, m);
    observations_from_json(doc, m);
    if (version >= 2) placement_from_json(doc, m);
    else extra_v1_from_json(doc, m);
    r.environment = environment_from_json(object_at(doc, "environment", "document"));
    if (doc.contains("sequence")) r.sequence = number<std::uint64_t>(doc, "sequence", "document");
    // Version 1 documents were never checked, and hand-made ones (the report fixture) disagree.
    if (version >= 2) check_consistency(m);
    // JSON may carry any code point, escape characters too: reports get printable text only.
    make_printable(m);
    make_printable(r.environment);
    return r;
}

}  // namespace shootout::core
