#include <algorithm>
// The [verdict] table: the one place a manifest says what fails, for the console and every report.
#include <catch2/catch.hpp>

#include "errors.h"
#include "manifest.h"
#include "test_helpers.h"

using namespace shootout;
using shootout::test::temp_dir;

namespace {

const std::string head = "scenarios = [\"ping\"]\npatterns = [\"steady\"]\nreporters = [\"md\", \"json\"]\n"
                         "[[framework]]\nname = \"local\"\nurl = \"http://127.0.0.1:8080\"\n";

core::manifest load(temp_dir& dir, const std::string& text) {
    core::plugin_host host;
    return core::load_manifest(dir.write("m.toml", text), host, {{test::builtin_plugins(), "next to the binary"}});
}

std::string diagnostics_of(const std::string& text) {
    return test::manifest_diagnostics(text, {{test::builtin_plugins(), "next to the binary"}});
}

}  // namespace

TEST_CASE("verdict table: max_error_rate defaults to 0.1 %, and no reporter declares its own", "[core][manifest]") {
    temp_dir dir;
    auto m = load(dir, head);
    CHECK(m.verdict.max_error_rate == 0.001);
    auto set = load(dir, head + "[verdict]\nmax_error_rate = 0.05\n");
    CHECK(set.verdict.max_error_rate == 0.05);
    REQUIRE(set.reporters.size() == 2);
    // The reports get the criteria with the summary the host makes (report_test.cpp checks it).
    CHECK(load(dir, head + "[verdict]\nmax_error_rate = 0\n").verdict.max_error_rate == 0.0);
}

TEST_CASE("verdict table: a bad max_error_rate, an unknown key or a reporter's own threshold is refused at its place",
          "[core][manifest]") {
    struct broken {
        const char* what;
        std::string text;
        std::string expected;
    };
    const std::vector<broken> cases = {
        {"a rate of 1 or more", "[verdict]\nmax_error_rate = 1.5\n",
         "m.toml:8:18: error: verdict: 'max_error_rate' must be a fraction from 0 up to but not including 1, like 0.001 "
         "(0.1 %) or 0.05 (5 %), found 1.5"},
        {"a negative rate", "[verdict]\nmax_error_rate = -0.01\n",
         "m.toml:8:18: error: verdict: 'max_error_rate' must be a fraction from 0 up to but not including 1, like 0.001 "
         "(0.1 %) or 0.05 (5 %), found -0.01"},
        {"not a number", "[verdict]\nmax_error_rate = \"0.1%\"\n",
         "m.toml:8:18: error: verdict: 'max_error_rate' must be a number, a fraction like 0.001 (0.1 %), found a "
         "string"},
        {"nan", "[verdict]\nmax_error_rate = nan\n",
         "m.toml:8:18: error: verdict: 'max_error_rate' must be a fraction from 0 up to but not including 1, like 0.001 "
         "(0.1 %) or 0.05 (5 %), found nan"},
        {"a misspelt key", "[verdict]\nmax_eror_rate = 0.01\n",
         "m.toml:8:1: error: verdict: unknown key 'max_eror_rate' (known: max_error_rate, threshold); did you mean "
         "'max_error_rate'?"},
        {"a reporter's own threshold", "[reporter.md]\nmax_error_rate = 0.005\n",
         "m.toml:8:1: error: reporter 'md': 'max_error_rate' moved to the [verdict] table, where it applies to the "
         "console and every report alike: remove it here and write [verdict] max_error_rate = 0.005"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(diagnostics_of(head + c.text) == c.expected);
    }
    CHECK(diagnostics_of("verdict = 0.01\n" + head) == "m.toml:1:11: error: 'verdict' must be a table, found a float");
}

TEST_CASE("verdict table: [[verdict.threshold]] entries load in order, each with its condition and scope", "[core][manifest]") {
    temp_dir dir;
    auto m = load(dir, head + "[verdict]\nmax_error_rate = 0.01\n"
                              "[[verdict.threshold]]\ncondition = \"p99 < 50ms\"\n"
                              "[[verdict.threshold]]\ncondition = \"rps > 2000\"\nframeworks = [\"loc*\"]\n"
                              "scenarios = [\"ping\"]\npatterns = [\"steady\", \"st*\"]\n");
    CHECK(m.verdict.max_error_rate == 0.01);
    REQUIRE(m.verdict.thresholds.size() == 2);
    const auto& p99 = m.verdict.thresholds[0];
    CHECK(p99.condition == "p99 < 50ms");
    CHECK(p99.bound == 50);
    CHECK(p99.unit == "ms");
    CHECK(p99.frameworks.empty());
    const auto& rps = m.verdict.thresholds[1];
    CHECK(rps.text() == "rps > 2000 (frameworks loc*; scenarios ping; patterns steady, st*)");
    // The summary the console and the reports judge by gets them as written.
    const auto criteria = m.verdict.for_summary();
    CHECK(criteria.max_error_rate == 0.01);
    REQUIRE(criteria.thresholds.size() == 2);
    CHECK(criteria.thresholds[1].patterns == std::vector<std::string>{"steady", "st*"});
}

TEST_CASE("verdict table: a bad threshold is refused at its place: the part of the condition, the key or the glob",
          "[core][manifest]") {
    struct broken {
        const char* what;
        std::string text;
        std::string expected;
    };
    const std::string entry = "[[verdict.threshold]]\n";
    const std::vector<broken> cases = {
        {"a bad unit, at the unit", entry + "condition = \"p99 < 50xs\"\n",
         "m.toml:8:22: error: verdict.threshold: condition \"p99 < 50xs\": unknown unit 'xs' for a latency (known: us, "
         "ms, s); did you mean 'us'?"},
        {"an unknown figure, at the figure", entry + "condition = \" p99x < 5ms\"\n",
         "m.toml:8:15: error: verdict.threshold: condition \" p99x < 5ms\": unknown figure 'p99x' (known: pN for a "
         "latency percentile, like p50, p90, p95, p99 or p99.9; mean; max; rps; error_rate); did you mean 'p99'?"},
        {"a bad comparison, at the comparison", entry + "condition = 'p99 => 5ms'\n",
         "m.toml:8:18: error: verdict.threshold: condition \"p99 => 5ms\": unknown comparison '=>' (known: <, <=, >, "
         ">=); did you mean '>='?"},
        {"an escape in the string: at its opening quote", entry + "condition = \"p99 < 50\\u0078s\"\n",
         "m.toml:8:13: error: verdict.threshold: condition \"p99 < 50xs\": unknown unit 'xs' for a latency (known: us, "
         "ms, s); did you mean 'us'?"},
        {"a misspelt key", entry + "condition = \"p99 < 5ms\"\nframework = [\"local\"]\n",
         "m.toml:9:1: error: verdict.threshold: unknown key 'framework' (known: condition, frameworks, scenarios, "
         "patterns); did you mean 'frameworks'?"},
        {"no condition", entry + "frameworks = [\"local\"]\n",
         "m.toml:7:1: error: verdict.threshold: missing key 'condition': write the bound, like condition = \"p99 < "
         "50ms\", \"error_rate < 0.1%\" or \"rps > 2000\""},
        {"a condition that is not a string", entry + "condition = 50\n",
         "m.toml:8:13: error: verdict.threshold: 'condition' must be a string like \"p99 < 50ms\", found an integer"},
        {"a glob that matches no framework", entry + "condition = \"p99 < 5ms\"\nframeworks = [\"locl\"]\n",
         "m.toml:9:15: error: verdict.threshold: frameworks: 'locl' matches no framework of this manifest (it has: "
         "local); did you mean 'local'?"},
        {"a glob that matches no pattern", entry + "condition = \"p99 < 5ms\"\npatterns = [\"spike*\"]\n",
         "m.toml:9:13: error: verdict.threshold: patterns: 'spike*' matches no pattern of this manifest (it has: "
         "steady)"},
        {"an empty scope", entry + "condition = \"p99 < 5ms\"\nscenarios = []\n",
         "m.toml:9:13: error: verdict.threshold: 'scenarios' is empty, so the threshold would apply to nothing: list "
         "scenario names or globs, or leave the key out for every scenario"},
        {"a threshold that is not an array of tables", "[verdict]\nthreshold = \"p99 < 5ms\"\n",
         "m.toml:8:13: error: verdict: 'threshold' must be an array of tables ([[verdict.threshold]], each with "
         "condition = \"p99 < 50ms\"), found a string"},
        {"a misspelt [verdict] key", "[verdict]\nthresholds = []\n",
         "m.toml:8:1: error: verdict: unknown key 'thresholds' (known: max_error_rate, threshold); did you mean "
         "'threshold'?"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(diagnostics_of(head + c.text) == c.expected);
    }
    // Every bad entry at once, in file order.
    CHECK(diagnostics_of(head + entry + "condition = \"p99 < 5\"\n" + entry + "condition = \"rps >= x\"\n") ==
          "m.toml:8:21: error: verdict.threshold: condition \"p99 < 5\": a latency needs a unit: 5us, 5ms or 5s\n"
          "m.toml:10:21: error: verdict.threshold: condition \"rps >= x\": the bound 'x' is not a number");
}
