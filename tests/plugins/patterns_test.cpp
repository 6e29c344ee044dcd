// Load patterns through the whole tool: the plan each makes, and the load the engine applies.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "errors.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;

TEST_CASE("patterns: spike opens and retires connections as planned, stage by stage", "[plugins][patterns]") {
    test::test_server server(2);
    auto r = test::run_shootout({"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", "ping",
                                 "--pattern", "spike", "--threads", "2", "--pattern-option",
                                 "stages=ramp 2s 10->500, hold 3s 500, cooldown 2s 500->10", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("errors").at("connect").to_number<std::uint64_t>() == 0);
    CHECK(doc.at("connections").at("asked").to_number<std::uint64_t>() == 500);
    const auto& stages = doc.at("stages").as_array();
    REQUIRE(stages.size() == 3);
    CHECK(stages[0].at("name") == "ramp");
    CHECK(stages[1].at("name") == "hold");
    CHECK(stages[2].at("name") == "cooldown");
    for (const auto& s : stages) CHECK(s.at("requests").to_number<std::uint64_t>() > 0);
    CHECK(stages[1].at("connections").at("open").to_number<std::int64_t>() == 500);
    CHECK(stages[2].at("connections").at("open").to_number<std::int64_t>() <= 20);

    // The bar: during the hold, the open connections follow the plan within 5 % at every second.
    const auto& timeline = doc.at("timeline").as_array();
    REQUIRE(timeline.size() == 7);
    for (std::size_t second = 2; second < 5; ++second) {
        const auto& point = timeline[second].at("connections");
        const auto planned = point.at("planned").to_number<double>();
        const auto open = point.at("open").to_number<double>();
        INFO("second " << second << ": planned " << planned << ", open " << open);
        CHECK(planned == 500);
        CHECK(std::abs(open - planned) <= 0.05 * planned);
    }
    // During the ramp the pool grows with the plan, not all at once.
    const auto first = timeline[0].at("connections").at("open").to_number<double>();
    CHECK(first < 400);
    CHECK(first > 150);
}

TEST_CASE("patterns: spike stages that do not parse name the stage and the fix", "[plugins][patterns]") {
    auto r = test::run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "spike", "--pattern-option",
                                 "stages=ramp 60 10->500"});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err.rfind("--pattern-option stages: pattern 'spike': stage \"ramp 60 10->500\": '60' is not a duration; "
                      "write \"NAME DURATION FROM->TO\" or \"NAME DURATION N\"",
                      0) == 0);
}
