// The statistics across runs (core/stats): spreads and intervals against known values, ties,
// and what is not ranked.
#include <cmath>

#include <catch2/catch.hpp>

#include "result_fixture.h"
#include "stats/summarize.h"

using namespace shootout;
using namespace shootout::test;
namespace stats = shootout::core::stats;

TEST_CASE("statistics: median, Student's t interval, coefficient of variation, and one run has no interval", "[core][statistics]") {
    const auto s = stats::spread_of({100, 110, 90});
    CHECK(s.median == 100);
    CHECK(s.mean == Approx(100));
    CHECK(s.stdev == Approx(10));
    CHECK(s.cv == Approx(0.1));
    REQUIRE(s.interval95);
    // t(0.975, 2) = 4.303: 100 ± 4.303 · 10 / √3
    CHECK(s.interval95->low == Approx(100 - 4.303 * 10 / std::sqrt(3.0)));
    CHECK(s.interval95->high == Approx(100 + 4.303 * 10 / std::sqrt(3.0)));
    const auto one = stats::spread_of({42});
    CHECK(one.median == 42);
    CHECK_FALSE(one.interval95);
    CHECK(one.cv == 0);
    CHECK(stats::spread_of({1, 2, 3, 10}).median == 2.5);
}

TEST_CASE("statistics: overlapping intervals tie, failed and over-threshold results are not ranked", "[core][statistics]") {
    sdk::result_set results;
    results.measurements = make_fixture();
    const auto summary = stats::summarize(results);
    const auto& ping = summary.rankings.at(0);
    REQUIRE(ping.scenario == "ping");
    CHECK(ping.order_text() == "sanic ≈ fastapi > tornado > flask");
    CHECK(ping.rank == std::vector<unsigned>{1, 1, 3, 4});
    REQUIRE(ping.unranked.size() == 2);
    CHECK(ping.unranked[0]->framework == "django");
    CHECK(ping.unranked[0]->verdict == stats::verdict::failed);
    CHECK_THAT(ping.unranked[0]->reason, Catch::StartsWith("run 2: correctness check failed"));
    CHECK(ping.unranked[1]->verdict == stats::verdict::skipped);
    const auto* flask = stats::find_group(summary, "flask", "ping", "steady");
    CHECK(flask->noisy);
    const auto* tornado = stats::find_group(summary, "tornado", "ping", "steady");
    CHECK_FALSE(tornado->noisy);
    const auto* flask_upload = stats::find_group(summary, "flask", "upload", "steady");
    CHECK(flask_upload->verdict == stats::verdict::failed);
    CHECK_THAT(flask_upload->reason, Catch::StartsWith("error rate 0.37 % is above the threshold of 0.10 % (33 errors"));
    // A looser threshold ranks it.
    stats::criteria loose;
    loose.max_error_rate = 0.01;
    CHECK(stats::find_group(stats::summarize(results, loose), "flask", "upload", "steady")->verdict == stats::verdict::ranked);
    CHECK(stats::find_group(summary, "flask", "ws-echo", "steady")->verdict == stats::verdict::not_supported);
    const auto* spike = stats::find_group(summary, "fastapi", "ping", "spike");
    CHECK(spike->runs_measured == 1);
    CHECK_FALSE(spike->rate.interval95);
}


TEST_CASE("statistics: each kind of request sums over the measured runs, its rate and share from the counts",
          "[core][statistics]") {
    sdk::result_set results;
    for (unsigned run = 1; run <= 2; ++run) {
        auto m = measured("fastapi", "mixed", "steady", run, 1000.0, 800, 3);  // 10 s, 10,000 completed
        sdk::histogram list, detail;
        for (int k = 0; k < 2500; ++k) list.record(run == 1 ? 100 : 300);
        for (int k = 0; k < 7500; ++k) detail.record(1000);
        m.requests = {{"list", 2500, {0, 0, 0, 0, run, 0}, list}, {"detail", 7500, {}, detail}};
        results.measurements.push_back(std::move(m));
    }
    auto skipped = measured("fastapi", "mixed", "steady", 3, 1000.0, 800, 3);
    skipped.outcome = sdk::outcome::skipped;  // not measured: not counted
    skipped.requests = {{"list", 1, {}, {}}};
    results.measurements.push_back(std::move(skipped));
    const auto summary = stats::summarize(results);
    const auto& g = summary.groups.at(0);
    REQUIRE(g.requests.size() == 2);
    const auto& list = g.requests[0];
    CHECK(list.label == "list");
    CHECK(list.completed == 5000);
    CHECK(list.rate == Approx(250.0));  // 5,000 in the two runs' 20 s
    CHECK(list.share == Approx(0.25));
    CHECK(list.errors.status == 3);
    CHECK(list.error_rate == Approx(3.0 / 5003));
    CHECK(list.latency_us.value_at_percentile(50) == 100);  // half at 100 µs, half at 300
    CHECK(list.latency_us.value_at_percentile(99) == 300);
    CHECK(g.requests[1].latency_us.count() == 15000);
}
