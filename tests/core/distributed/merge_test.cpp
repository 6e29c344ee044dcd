// shootout merge's algebra on made-up shards: bucket-wise sums, counters summed, seconds aligned
// by index, the union window, and every refusal naming the file and the difference.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "distributed/merge.h"
#include "result_fixture.h"

using namespace shootout;
using core::distributed::merge_error;
using core::distributed::merge_shards;

namespace {

constexpr std::int64_t base_ns = 1'764'651'600'000'000'000;  // 2025-12-02T05:00:00Z

// Shard `index` of `count`: 10 s at a rate of its own, a timeline whose seconds carry buckets,
// its window starting `offset_us` after the first shard's.
core::raw_result shard(std::uint32_t index, std::uint32_t count, std::int64_t offset_us = 0, std::string plan = "plan-a") {
    auto m = test::measured("target", "ping", "steady", 1, 1000.0 + 100 * index, 800 + 50 * index, 7 + index);
    for (auto& t : m.timeline) {
        sdk::histogram h;
        for (std::uint64_t k = 0; k < t.completed; ++k) h.record(500 + static_cast<std::int64_t>((k * 37 + index) % 900));
        t.latency_buckets = h.sparse();
        t.p50_us = h.value_at_percentile(50);
        t.p99_us = h.value_at_percentile(99);
    }
    m.errors.status = index;
    m.warnings = index == 2 ? std::vector<std::string>{"generator-bound: worker 0 at 97 % CPU"} : std::vector<std::string>{};
    m.shard = sdk::shard_info{.index = index,
                              .count = count,
                              .plan_sha256 = std::move(plan),
                              .hostname = "gen" + std::to_string(index),
                              .pid = 100 + index,
                              .start_at = "2025-12-02T04:59:58Z",
                              .window_start_unix_ns = base_ns + offset_us * 1000,
                              .source_address = "127.0.0." + std::to_string(10 + index)};
    core::raw_result r;
    r.measurement = std::move(m);
    r.environment = test::fixture_environment();
    r.source = "shard" + std::to_string(index) + ".json";
    return r;
}

std::vector<core::raw_result> four(std::int64_t skew_us = 0) {
    return {shard(0, 4), shard(1, 4, skew_us / 3), shard(2, 4, skew_us), shard(3, 4, skew_us / 2)};
}

std::string refusal(std::vector<core::raw_result> shards, bool allow_partial = false) {
    try {
        merge_shards(std::move(shards), allow_partial);
    } catch (const merge_error& e) {
        return e.what();
    }
    return "(merged)";
}

}  // namespace

TEST_CASE("merge: histograms add bucket by bucket and counters sum", "[distributed][merge]") {
    const auto shards = four();
    const auto merged = merge_shards(shards, false).measurement;
    sdk::histogram sum;
    std::uint64_t completed = 0, status = 0, bytes = 0;
    for (const auto& s : shards) {
        sum.merge(s.measurement.latency_us);
        completed += s.measurement.completed;
        status += s.measurement.errors.status;
        bytes += s.measurement.bytes_received;
    }
    CHECK(merged.latency_us.sparse() == sum.sparse());
    CHECK(merged.latency_us.count() == sum.count());
    CHECK(merged.latency_us.value_at_percentile(99) == sum.value_at_percentile(99));
    CHECK(merged.completed == completed);
    CHECK(merged.errors.status == status);
    CHECK(merged.bytes_received == bytes);
    CHECK(merged.phases.at(0).completed == completed);
    CHECK(merged.connections_established == 200);
    CHECK(merged.connections_asked == 200);  // each shard's part of the plan's, added up
    CHECK(merged.outcome == sdk::outcome::measured);
    CHECK_FALSE(merged.shard);
    REQUIRE(merged.merged);
    CHECK(merged.merged->shards.size() == 4);
    CHECK(merged.merged->shards.at(3).source_address == "127.0.0.13");
}

TEST_CASE("merge: each kind of request adds up by label, and shards that name other kinds are refused",
          "[distributed][merge]") {
    auto shards = four();
    for (auto& s : shards) {
        auto& m = s.measurement;
        const auto index = m.shard->index;
        sdk::histogram list, detail;
        for (std::uint64_t k = 0; k < m.completed; ++k) (k % 3 ? detail : list).record(300 + static_cast<std::int64_t>((k * 13 + index) % 700));
        m.requests = {{"list", list.count(), {0, index, 0, 0, 1, 0}, list}, {"detail", detail.count(), {}, detail}};
    }
    const auto merged = merge_shards(shards, false).measurement;
    REQUIRE(merged.requests.size() == 2);
    sdk::histogram detail;
    std::uint64_t list_completed = 0, list_read = 0;
    for (const auto& s : shards) {
        detail.merge(s.measurement.requests[1].latency_us);
        list_completed += s.measurement.requests[0].completed;
        list_read += s.measurement.requests[0].errors.read;
    }
    CHECK(merged.requests[0].label == "list");
    CHECK(merged.requests[0].completed == list_completed);
    CHECK(merged.requests[0].errors.read == list_read);
    CHECK(merged.requests[0].errors.status == 4);
    CHECK(merged.requests[1].latency_us.sparse() == detail.sparse());
    CHECK(merged.requests[0].completed + merged.requests[1].completed == merged.completed);

    shards[2].measurement.requests[1].label = "details";
    CHECK(refusal(shards) == "shard2.json: its requests are list, details where the first shard's are list, detail: "
                             "the shards ran different scenarios");
    shards[2].measurement.requests.clear();
    CHECK_THAT(refusal(shards), Catch::Contains("its requests are none where"));
}

TEST_CASE("merge: second k of the merge is the sum of every shard's second k", "[distributed][merge]") {
    const auto shards = four(4000);
    const auto merged = merge_shards(shards, false).measurement;
    REQUIRE(merged.timeline.size() == 10);
    for (std::size_t k = 0; k < 10; ++k) {
        sdk::histogram sum;
        std::uint64_t completed = 0;
        for (const auto& s : shards) {
            sum.add_sparse(s.measurement.timeline[k].latency_buckets);
            completed += s.measurement.timeline[k].completed;
        }
        CHECK(merged.timeline[k].second == static_cast<double>(k));
        CHECK(merged.timeline[k].completed == completed);
        CHECK(merged.timeline[k].latency_buckets == sum.sparse());
        CHECK(merged.timeline[k].p99_us == sum.value_at_percentile(99));
        CHECK(merged.timeline[k].open_connections == 200);
        CHECK(merged.timeline[k].planned_connections == 200);
    }
}

TEST_CASE("merge: req/s over the union of the measured windows, the skew recorded", "[distributed][merge]") {
    const auto merged = merge_shards(four(30'000), false).measurement;  // one shard 30 ms late
    CHECK(merged.seconds == Approx(10.030));
    CHECK(merged.rate == Approx(static_cast<double>(merged.completed) / 10.030));
    CHECK(merged.merged->start_skew_us == 30'000);
    CHECK(merged.merged->shards.at(2).start_offset_us == 30'000);
    // and the document reads back, its figures checked, as `shootout report` reads it
    const auto doc = core::measurement_to_json(merged, test::fixture_environment());
    const auto back = core::measurement_from_json(boost::json::parse(boost::json::serialize(doc))).measurement;
    CHECK(back.rate == Approx(merged.rate));
    REQUIRE(back.merged);
    CHECK(back.merged->start_skew_us == 30'000);
    CHECK(back.merged->shards.at(2).generator_bound);
}

TEST_CASE("merge: a generator-bound shard is named on the merged result", "[distributed][merge]") {
    const auto merged = merge_shards(four(), false).measurement;
    REQUIRE(merged.warnings.size() == 1);
    CHECK(merged.warnings[0] == "shard 2: generator-bound: worker 0 at 97 % CPU");
}

TEST_CASE("merge: one shard of one merges into itself", "[distributed][merge]") {
    const auto one = shard(0, 1);
    const auto merged = merge_shards({one}, false).measurement;
    CHECK(merged.latency_us.sparse() == one.measurement.latency_us.sparse());
    CHECK(merged.completed == one.measurement.completed);
    CHECK(merged.rate == Approx(one.measurement.rate));
    CHECK(merged.timeline.size() == one.measurement.timeline.size());
}

TEST_CASE("merge: refuses shards that do not belong together, naming the file", "[distributed][merge]") {
    auto shards = four();
    shards[2] = shard(2, 4, 0, "plan-b");
    CHECK_THAT(refusal(shards), Catch::Contains("shard2.json: shard 2 ran another plan than shard0.json") &&
                                    Catch::Contains("plan-b against plan-a"));

    shards = four();
    shards[1] = shard(1, 5);
    CHECK_THAT(refusal(shards), Catch::Contains("shard1.json: shard 1 of 5, but shard0.json is shard 0 of 4"));

    shards = four();
    shards[3] = shard(1, 4);
    shards[3].source = "again.json";
    CHECK_THAT(refusal(shards), Catch::Contains("are both shard 1 of 4"));

    shards = four();
    shards[1].measurement.latency_us = sdk::histogram(60'000'000, 2);
    CHECK_THAT(refusal(shards), Catch::Contains("shard1.json: its latency histogram's layout"));

    shards = four();
    shards[0].measurement.shard.reset();
    CHECK_THAT(refusal(shards), Catch::Contains("shard0.json: not a shard's result (no placement.shard)"));
}

TEST_CASE("merge: a missing shard is refused, or merged as failed with --allow-partial", "[distributed][merge]") {
    auto shards = four();
    shards.erase(shards.begin() + 3);
    CHECK_THAT(refusal(shards), Catch::Contains("shard 3 of 4 missing (have 3)") && Catch::Contains("--allow-partial"));
    const auto partial = merge_shards(shards, true).measurement;
    CHECK(partial.outcome == sdk::outcome::failed);
    CHECK(partial.reason == "partial merge: shard 3 of 4 missing");
    CHECK(partial.merged->missing == std::vector<std::uint32_t>{3});
}

TEST_CASE("merge: a failed shard fails the merge with its reason", "[distributed][merge]") {
    auto shards = four();
    shards[1].measurement.outcome = sdk::outcome::failed;
    shards[1].measurement.reason = "the server stopped answering";
    const auto merged = merge_shards(shards, false).measurement;
    CHECK(merged.outcome == sdk::outcome::failed);
    CHECK(merged.reason == "shard 1: the server stopped answering");
}
