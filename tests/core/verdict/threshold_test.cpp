// Thresholds (core/verdict/threshold.h): the grammar, good and bad, with the exact messages, and
// the judge against groups of known figures.
#include <catch2/catch.hpp>

#include "result_fixture.h"
#include "stats/summarize.h"
#include "verdict/threshold.h"

using namespace shootout;
namespace verdict = shootout::core::verdict;
namespace stats = shootout::core::stats;
using figure = sdk::stats::threshold::figure;
using comparison = sdk::stats::threshold::comparison;

namespace {

sdk::stats::threshold parsed(const std::string& text) {
    auto result = verdict::parse_threshold(text);
    if (auto* p = std::get_if<verdict::threshold_problem>(&result)) FAIL("\"" << text << "\": " << p->message);
    return std::get<sdk::stats::threshold>(result);
}

// "at N: message", so that one CHECK holds both.
std::string problem_of(const std::string& text) {
    auto result = verdict::parse_threshold(text);
    if (auto* p = std::get_if<verdict::threshold_problem>(&result)) return "at " + std::to_string(p->offset) + ": " + p->message;
    return "parsed";
}

// One run whose latencies are exactly 1, 2, ..., 1000 µs (below 2048 the histogram is exact):
// p50 500, p99 990, p99.9 999, max 1000, mean 500.5; 2000 req/s; 1 error in 1000 attempts.
sdk::result_set known_run() {
    sdk::measurement m = test::measured("fw", "ping", "steady", 1, 2000, 500, 1);
    m.latency_us.reset();
    for (std::int64_t us = 1; us <= 1000; ++us) m.latency_us.record(us);
    m.completed = 999;
    m.errors.status = 1;
    m.rate = 2000;
    return {test::fixture_environment(), {m}};
}

sdk::stats::threshold_check judged(const std::string& condition) {
    static const auto results = known_run();
    sdk::stats::criteria loose;
    loose.max_error_rate = 0.5;  // the group stays ranked: only the threshold is judged here
    const auto summary = stats::summarize(results, loose);
    return verdict::judge_threshold(parsed(condition), 0, summary.groups.at(0));
}

}  // namespace

TEST_CASE("threshold: figures, comparisons and bounds parse, in the condition's unit, spaces optional", "[core][verdict]") {
    auto p99 = parsed("p99 < 50ms");
    CHECK(p99.condition == "p99 < 50ms");
    CHECK(p99.what == figure::percentile);
    CHECK(p99.percentile == 99);
    CHECK(p99.op == comparison::less);
    CHECK(p99.bound == 50);
    CHECK(p99.unit == "ms");

    auto tail = parsed("  p99.9<=1.5s ");
    CHECK(tail.condition == "p99.9<=1.5s");
    CHECK(tail.percentile == 99.9);
    CHECK(tail.op == comparison::less_equal);
    CHECK(tail.bound == 1.5);
    CHECK(tail.unit == "s");

    CHECK(parsed("p50 < 800us").unit == "us");
    CHECK(parsed("p90 < 2 ms").percentile == 90);
    CHECK(parsed("p95 < 2ms").percentile == 95);
    CHECK(parsed("mean < 2ms").what == figure::mean);
    CHECK(parsed("max <= 1s").what == figure::max);

    auto rps = parsed("rps > 2000");
    CHECK(rps.what == figure::rps);
    CHECK(rps.op == comparison::greater);
    CHECK(rps.unit == "req/s");
    CHECK(parsed("rps >= 99.5").op == comparison::greater_equal);

    auto percent = parsed("error_rate < 0.1%");
    CHECK(percent.what == figure::error_rate);
    CHECK(percent.bound == 0.1);
    CHECK(percent.unit == "%");
    auto fraction = parsed("error_rate <= 0.001");
    CHECK(fraction.unit == "fraction");
    CHECK(fraction.bound == 0.001);
    CHECK(parsed("error_rate <= 0").bound == 0);
}

TEST_CASE("threshold: a bad figure, comparison, bound or unit is refused, naming the part, where it is and the fix",
          "[core][verdict]") {
    struct broken {
        std::string text, expected;
    };
    const std::vector<broken> cases = {
        {"", "at 0: is empty: write a condition like \"p99 < 50ms\", \"error_rate < 0.1%\" or \"rps > 2000\""},
        {"< 50ms", "at 0: must start with the figure it bounds (known: pN for a latency percentile, like p50, p90, p95, "
                   "p99 or p99.9; mean; max; rps; error_rate)"},
        {"latency < 50ms", "at 0: unknown figure 'latency' (known: pN for a latency percentile, like p50, p90, p95, p99 "
                           "or p99.9; mean; max; rps; error_rate)"},
        {"eror_rate < 1%", "at 0: unknown figure 'eror_rate' (known: pN for a latency percentile, like p50, p90, p95, "
                           "p99 or p99.9; mean; max; rps; error_rate); did you mean 'error_rate'?"},
        {"p999 < 50ms", "at 0: 'p999' is no percentile: N in pN must be above 0 and below 100 (the largest latency is "
                        "max); did you mean 'p99.9'?"},
        {"p100 < 50ms", "at 0: 'p100' is no percentile: N in pN must be above 0 and below 100 (the largest latency is "
                        "max)"},
        {"p0 < 50ms", "at 0: 'p0' is no percentile: N in pN must be above 0 and below 100 (the largest latency is max)"},
        {"p99 50ms", "at 4: needs a comparison after 'p99': <, <=, > or >=, like p99 < 50ms"},
        {"p99 = 50ms", "at 4: unknown comparison '=' (known: <, <=, >, >=)"},
        {"p99 == 50ms", "at 4: unknown comparison '==' (known: <, <=, >, >=)"},
        {"p99 =< 50ms", "at 4: unknown comparison '=<' (known: <, <=, >, >=); did you mean '<='?"},
        {"rps => 10", "at 4: unknown comparison '=>' (known: <, <=, >, >=); did you mean '>='?"},
        {"rps 2000", "at 4: needs a comparison after 'rps': <, <=, > or >=, like rps > 2000"},
        {"p99 <", "at 5: needs a bound after '<', like p99 < 50ms"},
        {"rps >=", "at 6: needs a bound after '>=', like rps >= 2000"},
        {"error_rate<", "at 11: needs a bound after '<', like error_rate < 0.1%"},
        {"p99 < fast", "at 6: the bound 'fast' is not a number"},
        {"p99 < 1.2.3ms", "at 6: the bound '1.2.3ms' is not a number"},
        {"p99 < -5ms", "at 6: the bound must not be negative: no figure is below 0"},
        {"p99 < 50", "at 8: a latency needs a unit: 50us, 50ms or 50s"},
        {"p99 < 50xs", "at 8: unknown unit 'xs' for a latency (known: us, ms, s); did you mean 'us'?"},
        {"p99 < 50 msec", "at 9: unknown unit 'msec' for a latency (known: us, ms, s); did you mean 'ms'?"},
        {"rps > 2k", "at 7: rps is requests per second and takes no unit, found 'k'"},
        {"error_rate < 5", "at 14: error_rate without % is a fraction, at most 1; for a percentage write 5%"},
        {"error_rate < 150%", "at 16: error_rate is a share of at most 100 %, found 150 %"},
        {"error_rate < 1 percent", "at 15: unknown unit 'percent' for error_rate (known: % for a percentage, none for a "
                                   "fraction like 0.001)"},
        {"p99 < 50ms and rps > 10", "at 11: unexpected 'and rps > 10' after the bound: a threshold is one condition, give "
                                    "each its own"},
        {"p99 < 0ms", "at 4: 'p99 < 0ms' can never hold: no figure is below 0"},
        {"error_rate < 0%", "at 11: 'error_rate < 0%' can never hold: no figure is below 0; for no errors at all write "
                            "error_rate <= 0"},
        {"error_rate > 100%", "at 11: 'error_rate > 100%' can never hold: error_rate is never above 100 %"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        CHECK(problem_of(c.text) == c.expected);
    }
}

TEST_CASE("threshold: judged on a group's figures over its runs, each in the condition's unit, equality exact",
          "[core][verdict]") {
    struct expectation {
        std::string condition;
        bool passed;
        double measured;
        std::string text;
    };
    const std::vector<expectation> cases = {
        {"p50 <= 500us", true, 500, "p50 500 us is <= 500 us"},
        {"p99 < 1ms", true, 0.99, "p99 0.99 ms is < 1 ms"},
        {"p99 <= 0.99ms", true, 0.99, "p99 0.99 ms is <= 0.99 ms"},
        {"p99 < 0.99ms", false, 0.99, "p99 0.99 ms is not < 0.99 ms"},
        {"p99 < 0.989ms", false, 0.99, "p99 0.990 ms is not < 0.989 ms"},  // more decimals than 0.99 vs 0.99
        {"p99.9 < 999us", false, 999, "p99.9 999 us is not < 999 us"},
        {"p99.9 >= 0.000999s", true, 0.000999, "p99.9 0.000999 s is >= 0.000999 s"},
        {"max <= 1ms", true, 1, "max 1.00 ms is <= 1 ms"},
        {"max > 1ms", false, 1, "max 1.00 ms is not > 1 ms"},
        {"mean > 500.5us", false, 500.5, "mean 500.5 us is not > 500.5 us"},
        {"mean < 0.6ms", true, 0.5005, "mean 0.50 ms is < 0.6 ms"},
        {"rps > 2000", false, 2000, "rps 2000.0 req/s is not > 2000 req/s"},
        {"rps >= 2000", true, 2000, "rps 2000.0 req/s is >= 2000 req/s"},
        {"rps > 1999.5", true, 2000, "rps 2000.0 req/s is > 1999.5 req/s"},
        {"error_rate <= 0.1%", true, 0.1, "error_rate 0.10 % is <= 0.1 %"},
        {"error_rate < 0.1%", false, 0.1, "error_rate 0.10 % is not < 0.1 %"},
        {"error_rate < 0.001", false, 0.001, "error_rate 0.0010 is not < 0.001"},
        {"error_rate <= 0", false, 0.001, "error_rate 0.0010 is not <= 0"},
    };
    for (const auto& c : cases) {
        INFO(c.condition);
        const auto check = judged(c.condition);
        CHECK(check.passed == c.passed);
        CHECK(check.measured == Approx(c.measured));
        CHECK(check.text == c.text);
    }
}

TEST_CASE("threshold: scope globs pick the groups, and the summary judges each group they apply to, merged over its "
          "runs",
          "[core][verdict]") {
    auto t = parsed("rps > 5000");
    CHECK(verdict::applies_to(t, "flask", "ping", "steady"));
    t.frameworks = {"fast*", "sanic"};
    t.patterns = {"ste?dy"};
    CHECK(verdict::applies_to(t, "fastapi", "ping", "steady"));
    CHECK(verdict::applies_to(t, "sanic", "upload", "steady"));
    CHECK_FALSE(verdict::applies_to(t, "flask", "ping", "steady"));
    CHECK_FALSE(verdict::applies_to(t, "fastapi", "ping", "spike"));
    CHECK(t.text() == "rps > 5000 (frameworks fast*, sanic; patterns ste?dy)");

    // The fixture's flask / ping / steady ran at 3000, 3300 and 2900 req/s: the median, 3000, is judged.
    sdk::result_set results;
    results.measurements = test::make_fixture();
    sdk::stats::criteria c;
    auto rps = parsed("rps > 5000");
    rps.scenarios = {"ping"};
    rps.patterns = {"steady"};
    c.thresholds = {rps, parsed("p99 < 1s")};
    const auto summary = stats::summarize(results, c);
    const auto* flask = stats::find_group(summary, "flask", "ping", "steady");
    REQUIRE(flask->thresholds.size() == 2);
    CHECK(flask->thresholds[0].threshold_index == 0);
    CHECK(flask->thresholds[0].text == "rps 3000.0 req/s is not > 5000 req/s");
    CHECK(flask->thresholds[1].passed);
    CHECK(flask->verdict == sdk::stats::verdict::ranked);  // a failed threshold fails the run, not the ranking
    const auto* tornado = stats::find_group(summary, "tornado", "ping", "steady");
    CHECK(tornado->thresholds.at(0).passed);  // 6000 req/s
    // Out of scope: only the second threshold; nothing measured: nothing judged.
    CHECK(stats::find_group(summary, "flask", "upload", "steady")->thresholds.size() == 1);
    CHECK(stats::find_group(summary, "aquilia", "ping", "steady")->thresholds.empty());
    CHECK(stats::find_group(summary, "flask", "ws-echo", "steady")->thresholds.empty());
    CHECK(sdk::stats::any_threshold_failed(summary));
}
