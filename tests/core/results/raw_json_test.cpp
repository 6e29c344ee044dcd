// Raw results (core/results): schema v2 written and read back losslessly, version 1 still read,
// and documents whose derived figures contradict their counts refused with the figure named.
#include <filesystem>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "result_fixture.h"
#include "results/raw_json.h"
#include "test_helpers.h"

using namespace shootout;
using namespace shootout::test;
namespace fs = std::filesystem;

namespace {

// The message measurement_from_json refuses `doc` with, or "" if it reads it.
std::string refusal(const boost::json::value& doc) {
    try {
        core::measurement_from_json(doc);
        return "";
    } catch (const core::raw_result_error& e) {
        return e.what();
    }
}

boost::json::object written(const sdk::measurement& m) {
    return core::measurement_to_json(m, fixture_environment()).as_object();
}

}  // namespace

TEST_CASE("raw results: a document read back is the measurement that was written, histograms included", "[core][results]") {
    auto m = measured("fast<api>", "ping", "steady", 2, 1234.5, 4200, 7);
    m.latency_uncorrected_us = latencies(3000, 500, 8);
    m.first_byte_us = latencies(100, 50, 9);
    m.connect_us = latencies(300, 50, 10);
    m.handshake_us = latencies(900, 60, 10);
    m.latency_us.record(7'200'000'000);  // above the highest trackable value: clamped and counted as such
    m.errors = {1, 2, 3, 4, 5, 6};
    m.planned_rate = 2000.25;
    m.achieved_rate = 1999.5;
    m.late_requests = 17;
    m.writes = sdk::write_accounting{10, 11, 1, 1, 0};
    m.profile = sdk::profile_info{"perf", "profiles/x.folded", 99};
    m.warnings = {"generator-bound: worker 0", "only 49 of 50 connections established"};
    m.requests_sent = 12345;
    m.requests_unsent_at_end = 3;
    m.send_lag_us = latencies(40, 100, 11);
    m.placement = {"1", "0-1"};
    // A second whose figures come from its buckets, as the engine writes them.
    m.timeline[3].latency_buckets = latencies(5000, 300, 12).sparse();
    {
        sdk::histogram second;
        second.add_sparse(m.timeline[3].latency_buckets);
        m.timeline[3].p50_us = second.value_at_percentile(50);
        m.timeline[3].p99_us = second.value_at_percentile(99);
    }
    m.generator_resources.push_back({0.5, 12.25, 4096});
    // Two kinds of request that share the completed requests (the reader checks they add up).
    m.requests = {{"list", m.completed / 4, {0, 1, 0, 2, 3, 0}, latencies(4000, 200, 13)},
                  {"detail", m.completed - m.completed / 4, {0, 1, 2, 2, 2, 6}, latencies(6000, 300, 14)}};
    auto env = fixture_environment();
    env.framework_versions["fast<api>"] = "0.92";
    env.finished_at = "2026-01-02T03:14:15Z";

    const auto text = boost::json::serialize(core::measurement_to_json(m, env));
    const auto back = core::measurement_from_json(boost::json::parse(text));
    const auto& r = back.measurement;
    CHECK(r.framework == m.framework);
    CHECK(r.run == 2);
    CHECK(r.completed == m.completed);
    CHECK(r.rate == Approx(m.rate).epsilon(1e-15));
    CHECK(r.errors.total() == 21);
    CHECK(r.errors.verify == 6);
    CHECK(r.latency_us.counts() == m.latency_us.counts());
    CHECK(r.latency_us.count() == m.latency_us.count());
    CHECK(r.latency_us.clamped() == 1);
    CHECK(r.latency_us.min() == m.latency_us.min());
    CHECK(r.latency_us.max() == m.latency_us.max());
    CHECK(r.latency_us.value_at_percentile(99.9) == m.latency_us.value_at_percentile(99.9));
    REQUIRE(r.latency_uncorrected_us);
    CHECK(r.latency_uncorrected_us->counts() == m.latency_uncorrected_us->counts());
    REQUIRE(r.first_byte_us);
    CHECK(r.first_byte_us->counts() == m.first_byte_us->counts());
    REQUIRE(r.connect_us);
    CHECK(r.connect_us->min() == m.connect_us->min());
    REQUIRE(r.handshake_us);
    CHECK(r.handshake_us->count() == m.handshake_us->count());
    CHECK(r.handshake_us->max() == m.handshake_us->max());
    CHECK(r.planned_rate == 2000.25);
    CHECK(r.late_requests == 17);
    REQUIRE(r.timeline.size() == m.timeline.size());
    CHECK(r.timeline[3].p99_us == m.timeline[3].p99_us);
    CHECK(r.timeline[3].completed == m.timeline[3].completed);
    REQUIRE(r.phases.size() == 1);
    CHECK(r.phases[0].latency_us.counts() == m.phases[0].latency_us.counts());
    CHECK(r.server_resources.size() == 10);
    CHECK(r.server_resources[4].rss_bytes == m.server_resources[4].rss_bytes);
    CHECK(r.generator_resources.at(0).cpu_percent == 12.25);
    REQUIRE(r.writes);
    CHECK(r.writes->lost == 1);
    REQUIRE(r.profile);
    CHECK(r.profile->samples == 99);
    CHECK(r.warnings == m.warnings);
    CHECK(r.requests_sent == 12345);
    CHECK(r.requests_unsent_at_end == 3);
    REQUIRE(r.send_lag_us);
    CHECK(r.send_lag_us->counts() == m.send_lag_us->counts());
    CHECK(r.placement.generator_cpus == "0-1");
    CHECK(r.timeline[3].latency_buckets == m.timeline[3].latency_buckets);
    CHECK(r.timeline[2].latency_buckets.empty());
    REQUIRE(r.requests.size() == 2);
    CHECK(r.requests[1].label == "detail");
    CHECK(r.requests[1].completed == m.requests[1].completed);
    CHECK(r.requests[0].errors.status == 3);
    CHECK(r.requests[1].latency_us.counts() == m.requests[1].latency_us.counts());
    CHECK(back.environment.framework_versions.at("fast<api>") == "0.92");
    CHECK(back.environment.finished_at == "2026-01-02T03:14:15Z");
    // Written again, it is the same document.
    CHECK(boost::json::serialize(core::measurement_to_json(r, back.environment)) == text);
}

TEST_CASE("raw results: another schema_version, a missing field and broken JSON are named with the file, and the rest is read",
          "[core][results]") {
    test::temp_dir dir;
    auto doc = core::measurement_to_json(measured("fastapi", "ping", "steady", 1, 100, 1000, 1), fixture_environment());
    dir.write("raw/good.json", boost::json::serialize(doc));
    auto future = doc;
    future.as_object()["schema_version"] = 99;
    dir.write("raw/future.json", boost::json::serialize(future));
    auto missing = doc;
    missing.as_object().erase("rate");
    dir.write("raw/missing.json", boost::json::serialize(missing));
    dir.write("raw/broken.json", "{\"schema\": \"shootout.raw-result\", ");

    const auto loaded = core::load_raw_results(dir.path() / "raw");
    CHECK(loaded.files == 4);
    REQUIRE(loaded.results.measurements.size() == 1);
    REQUIRE(loaded.problems.size() == 3);
    const auto all = loaded.problems[0] + "\n" + loaded.problems[1] + "\n" + loaded.problems[2];
    CHECK_THAT(all, Catch::Contains("broken.json: broken JSON"));
    CHECK_THAT(all, Catch::Contains("future.json: unknown schema_version 99 (this shootout reads versions 1 to 2)"));
    CHECK_THAT(all, Catch::Contains("missing.json: document: missing field 'rate'"));
}

// Found by fuzz/raw_result_json (fuzz/crashes/raw_result_json-bucket-not-whole): a bucket of
// [1.5, 2] or ["x", 1] escaped as Boost.JSON's "not exact", which names no field.
TEST_CASE("raw results: a histogram bucket that is not two whole numbers is refused, naming the bucket", "[core][results]") {
    sdk::histogram h;
    h.record(1000);
    const auto good = core::histogram_to_json(h);
    for (const auto& [bucket, reason] : std::vector<std::pair<std::string, std::string>>{
             {"[1.5, 1]", "histogram: a bucket's index must be a whole number, not 1.5E0"},
             {"[\"x\", 1]", "histogram: a bucket's index must be a whole number, not \"x\""},
             {"[0, -1]", "histogram: a bucket's count must be a whole number, not -1"}}) {
        INFO(bucket);
        auto doc = good;
        doc.as_object()["buckets"] = boost::json::array{boost::json::parse(bucket)};
        try {
            core::histogram_from_json(doc);
            FAIL("read");
        } catch (const core::raw_result_error& e) {
            CHECK(std::string(e.what()) == reason);
        }
    }
}


TEST_CASE("raw results: a version 1 document is read, its extra strings becoming the typed fields", "[core][results]") {
    // As shootout 0.1 wrote it: schema_version 1, open-model counters and placement in `extra`.
    auto doc = written(measured("fastapi", "json", "constant-rate", 1, 100, 1000, 1));
    doc["schema_version"] = 1;
    for (const char* key : {"placement", "body_checks", "unfinished"}) doc.erase(key);
    auto& plan = doc["rate_plan"].as_object();
    plan.erase("sent");
    plan.erase("unsent_at_end");
    for (auto& t : doc["timeline"].as_array()) t.as_object().erase("latency_buckets");
    doc["extra"] = {{"requests_sent", "1002"}, {"requests_due_unsent_at_end", "7"}, {"send_lag_p99_us", "40"},
                    {"server_cpus", "1"}, {"generator_cpus", "0"}};
    const auto r = core::measurement_from_json(doc).measurement;
    CHECK(r.requests_sent == 1002);
    CHECK(r.requests_unsent_at_end == 7);
    CHECK_FALSE(r.send_lag_us);
    CHECK(r.placement.server_cpus == "1");
    CHECK(r.placement.generator_cpus == "0");
    CHECK(r.body_checks.judged == r.verified);  // before body_checks: only `verified` was judged
    CHECK(r.timeline.size() == 10);

    doc["extra"].as_object()["requests_sent"] = "12x";
    CHECK(refusal(doc) == "extra: 'requests_sent' must be a whole number, not \"12x\"");
    // Version 2 has no `extra`, and needs what replaced it.
    auto v2 = written(measured("fastapi", "json", "steady", 1, 100, 1000, 1));
    v2.erase("placement");
    CHECK(refusal(v2) == "document: missing field 'placement'");
}

TEST_CASE("raw results: a figure that disagrees with its counts is refused, naming the figure", "[core][results]") {
    auto m = measured("fastapi", "ping", "steady", 1, 1000, 4200, 3);
    m.timeline[0].latency_buckets = m.latency_us.sparse();
    m.timeline[0].p50_us = m.latency_us.value_at_percentile(50);
    m.timeline[0].p99_us = m.latency_us.value_at_percentile(99);
    const auto good = written(m);
    CHECK(refusal(good) == "");

    auto rate = good;
    rate["rate"] = 2000.0;  // completed / seconds is 10000 / 10
    CHECK(refusal(rate) == "'rate' says 2000 but completed / seconds is 10000 / 10 = 1000");

    auto p99 = good;
    p99["latency_us"].as_object()["p99"] = 1;
    CHECK_THAT(refusal(p99), Catch::StartsWith("histogram: 'p99' says 1 but its buckets give "));

    auto second = good;
    second["timeline"].as_array()[0].as_object()["p99_us"] = 2;
    CHECK_THAT(refusal(second), Catch::StartsWith("timeline: second 0 says p50 ") && Catch::Contains("p99 2 µs but its buckets give"));

    auto phases = good;
    phases["phases"].as_array()[0].as_object()["seconds"] = 9.0;
    CHECK(refusal(phases) == "the phases last 9 s in all but 'seconds' says 10");

    auto kinds = m;
    kinds.requests = {{"a", 6000, {}, latencies(6000, 100, 1)}, {"b", 3999, {}, latencies(3999, 100, 2)}};
    CHECK(refusal(written(kinds)) == "the requests' 'completed' add up to 9999 but 'completed' says 10000");

    auto bucket = good;
    bucket["timeline"].as_array()[0].as_object()["latency_buckets"] = boost::json::array{boost::json::array{99999999, 1}};
    CHECK(refusal(bucket) == "timeline: second 0 has a bucket outside the latency layout");
}

TEST_CASE("raw results: per-second buckets merge to the measurement's histogram when every second is kept", "[core][results]") {
    // What shards rely on: seconds added bucket by bucket give the whole, never averaged percentiles.
    sdk::histogram whole;
    std::vector<sdk::histogram> seconds(3);
    for (int s = 0; s < 3; ++s) {
        seconds[s] = latencies(1000 * (s + 1), 200, static_cast<std::uint32_t>(s));
        whole.merge(seconds[s]);
    }
    sdk::histogram again;
    for (const auto& s : seconds) REQUIRE(again.add_sparse(s.sparse()));
    CHECK(again.counts() == whole.counts());
    CHECK(again.value_at_percentile(99) == whole.value_at_percentile(99));
}

TEST_CASE("raw results: a file over 256 MiB, and histograms that would take absurd memory, are refused, naming the file",
          "[core][results][limits]") {
    test::temp_dir dir;
    auto doc = core::measurement_to_json(measured("fastapi", "ping", "steady", 1, 100, 1000, 1), fixture_environment());
    dir.write("raw/good.json", boost::json::serialize(doc));
    const auto huge = dir.write("raw/huge.json", boost::json::serialize(doc));
    fs::resize_file(huge, (std::uintmax_t{256} << 20) + 1);  // sparse: no disk is used, and it is never read
    // INT64_MAX at 5 digits: 6 million counts (49 MB) from a few bytes of JSON, beyond a document's budget.
    auto wide = doc;
    wide.as_object()["run"] = 2;
    auto& histogram = wide.as_object()["latency_us"].as_object();
    histogram["highest"] = INT64_MAX;
    histogram["significant_digits"] = 5;
    histogram["buckets"] = boost::json::array{};
    histogram["count"] = 0;
    dir.write("raw/wide.json", boost::json::serialize(wide));
    auto outside = doc;
    outside.as_object()["run"] = 3;
    outside.as_object()["latency_us"].as_object()["buckets"] = boost::json::array{boost::json::array{1u << 30, 5}};
    dir.write("raw/outside.json", boost::json::serialize(outside));
    auto overflowing = doc;
    overflowing.as_object()["run"] = 4;
    overflowing.as_object()["latency_us"].as_object()["buckets"] =
        boost::json::array{boost::json::array{1, UINT64_MAX}, boost::json::array{2, 2}};
    overflowing.as_object()["latency_us"].as_object()["count"] = 1;  // what the wrapped sum would say
    dir.write("raw/overflowing.json", boost::json::serialize(overflowing));

    const auto loaded = core::load_raw_results(dir.path() / "raw");
    CHECK(loaded.files == 5);
    CHECK(loaded.results.measurements.size() == 1);
    std::string all;
    for (const auto& p : loaded.problems) all += p + "\n";
    INFO(all);
    CHECK(loaded.problems.size() == 4);
    CHECK_THAT(all, Catch::Contains(huge.string() + ": too large for a raw result: it is 268435457 bytes, more than the "
                                                    "limit of 256 MiB"));
    CHECK_THAT(all, Catch::Contains("wide.json: histogram: highest 9223372036854775807 and significant_digits 5 need "));
    CHECK_THAT(all, Catch::Contains("shootout writes histograms of 23552 counts"));
    CHECK_THAT(all, Catch::Contains("outside.json: histogram: bucket index 1073741824 is outside the layout"));
    CHECK_THAT(all, Catch::Contains("overflowing.json: histogram: the bucket counts add up to more than"));
}

TEST_CASE("raw results: files written by schema version 1 (shootout 0.1) are still read", "[core][results]") {
    // Kept as shootout 0.1 wrote them: a spike with stages, an open-model run, a steady run.
    const auto loaded = core::load_raw_results(fs::path(SHOOTOUT_SOURCE_DIR) / "tests" / "fixtures" / "results" / "raw-v1");
    CHECK(loaded.problems.empty());
    REQUIRE(loaded.results.measurements.size() == 3);
    for (const auto& m : loaded.results.measurements) {
        INFO(m.framework << " / " << m.scenario << " / " << m.pattern);
        CHECK(m.latency_us.count() > 0);
        CHECK_FALSE(m.timeline.empty());
        CHECK(m.timeline.front().latency_buckets.empty());  // version 1 had none
        CHECK(m.placement.server_cpus == "1");
    }
}

TEST_CASE("raw results: the connection mode is written as keep_alive true, false or a count, and read back",
          "[core][results][keep-alive]") {
    for (const std::uint32_t requests : {0u, 1u, 10u}) {
        INFO(requests);
        auto m = measured("fastapi", "ping", "steady", 1, 1000, 4000, 3);
        m.requests_per_connection = requests;
        const auto doc = written(m);
        const auto& keep_alive = doc.at("connections").at("keep_alive");
        if (requests == 0) CHECK(keep_alive == true);
        else if (requests == 1) CHECK(keep_alive == false);
        else CHECK(keep_alive == requests);
        CHECK(core::measurement_from_json(doc).measurement.requests_per_connection == requests);
    }
    // Written before the mode was recorded: keep-alive, the only mode there was.
    auto doc = written(measured("fastapi", "ping", "steady", 1, 1000, 4000, 3));
    doc["connections"].as_object().erase("keep_alive");
    CHECK(core::measurement_from_json(doc).measurement.requests_per_connection == 0);
    for (const auto& bad : {boost::json::value(1), boost::json::value(0), boost::json::value("yes")}) {
        doc["connections"].as_object()["keep_alive"] = bad;
        CHECK_THAT(refusal(doc), Catch::Contains("connections: field 'keep_alive' must be"));
    }
}
