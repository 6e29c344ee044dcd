// `shootout selftest` at the bar: D = 1.5 s, T = 30 s, 2,000 requests/s.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "errors.h"
#include "test_helpers.h"

using namespace shootout;

TEST_CASE("selftest: a 1.5 s stall in a 30 s run at 2000/s shows in the corrected latency, as modelled",
          "[selftest][slow]") {
    auto r = test::run_shootout({"--log-level", "warn", "selftest", "--json"});
    INFO(r.out << r.err);
    REQUIRE(!r.out.empty());
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("stall_s").to_number<double>() == 1.5);
    CHECK(doc.at("duration_s").to_number<double>() == 30);
    CHECK(doc.at("rate").to_number<double>() == 2000);
    CHECK(doc.at("model_p99_s").to_number<double>() == Approx(1.2));
    const auto& checks = doc.at("checks").as_array();
    REQUIRE(checks.size() == 3);
    for (const auto& c : checks) {
        INFO(boost::json::serialize(c));
        CHECK(c.at("ok").as_bool());
    }
    // The bounds themselves, so that a loosened bound cannot pass unnoticed.
    CHECK(checks[0].at("name") == "corrected p99");
    CHECK(checks[0].at("low_s").to_number<double>() == Approx(1.08));
    CHECK(checks[0].at("high_s").to_number<double>() == Approx(1.8));
    CHECK(checks[2].at("name") == "uncorrected p99");
    CHECK(checks[2].at("high_s").to_number<double>() == Approx(0.075));
    CHECK(doc.at("errors").to_number<std::uint64_t>() == 0);
    CHECK(doc.at("pass").as_bool());
    CHECK(r.exit_code == 0);
}

TEST_CASE("selftest: a stall the p99 cannot see is refused with the reason", "[selftest]") {
    auto r = test::run_shootout({"selftest", "--stall", "100ms", "--duration", "30s"});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == "--stall 100ms: must be longer than 2 % of --duration (30s) for the p99 to see it\n");
}

TEST_CASE("selftest: a pool too large for the run's requests is refused, since its own check could not pass",
          "[selftest]") {
    // 100/s for 10 s is 1,000 requests: 32 connections caught by the stall would be 3.2 % of them,
    // past the 1 % the uncorrected p99 ignores.
    auto r = test::run_shootout({"selftest", "--rate", "100", "--duration", "10s", "--stall", "1s"});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == "--connections 32: at most 0.5 % of the 1000 requests planned (--rate × --duration) may be caught "
                   "on the wire by the stall, or the uncorrected p99 sees it too; use --connections 5 or fewer, or "
                   "raise --rate or --duration\n");
}
