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
         "m.toml:8:1: error: verdict: unknown key 'max_eror_rate' (known: max_error_rate); did you mean "
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
