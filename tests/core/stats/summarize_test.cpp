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

