// Thresholds end to end against the test server: `run --threshold` and a manifest's
// [[verdict.threshold]] decide the exit code, and say which bound failed with what figure, on the
// console, in `run --json` and in the reports.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;

namespace {

test::cli_result adhoc(const test::test_server& server, std::vector<std::string> extra) {
    std::vector<std::string> args{"--log-level", "warn", "run",   "--target", server.base_url(), "--connections", "2",
                                  "--threads",   "1",    "--warmup", "0s",  "--duration",      "500ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_shootout(args);
}

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("thresholds: run --threshold exits 0 when every bound holds and 1 when one fails, naming the figure and the "
          "bound in verdict.problems",
          "[verdict][thresholds]") {
    test::test_server server(1);
    const auto held = adhoc(server, {"--json", "--threshold", "p99 < 30s", "--threshold", "error_rate <= 0"});
    INFO(held.out << held.err);
    CHECK(held.exit_code == 0);
    const auto ok = boost::json::parse(held.out).as_object();
    CHECK(ok.at("verdict").at("ok") == true);
    REQUIRE(ok.at("summary").at("thresholds").as_array().size() == 2);
    CHECK(ok.at("summary").at("thresholds").at(1).at("text") == "error_rate 0.0000 is <= 0");

    // No server answers 10^9 requests a second.
    const auto failed = adhoc(server, {"--json", "--threshold", "p99 < 30s", "--threshold", "rps > 1000000000"});
    INFO(failed.out << failed.err);
    CHECK(failed.exit_code == 1);
    const auto doc = boost::json::parse(failed.out).as_object();
    CHECK(doc.at("verdict").at("ok") == false);
    const auto& problems = doc.at("verdict").at("problems").as_array();
    REQUIRE(problems.size() == 1);
    const std::string problem(problems.at(0).as_string());
    CHECK_THAT(problem, Catch::StartsWith("threshold failed: rps "));
    CHECK_THAT(problem, Catch::EndsWith(" req/s is not > 1000000000 req/s"));
    const auto& check = doc.at("summary").at("thresholds").at(1).as_object();
    CHECK(check.at("passed") == false);
    CHECK(check.at("measured").to_number<double>() == doc.at("summary").at("req_s").at("median").to_number<double>());
    CHECK(doc.at("summary").at("status") == "ranked");  // the figures stand

    // Without --json, the console lists it after the table, by the URL the table names.
    const auto text = adhoc(server, {"--threshold", "rps > 1000000000"});
    CHECK(text.exit_code == 1);
    CHECK_THAT(text.out, Catch::Contains("\nthresholds failed:\n  " + server.base_url() + " / ping / steady: rps "));
}

TEST_CASE("thresholds: a bad --threshold is refused before any load, exit 2, with what is wrong and how to write it",
          "[verdict][thresholds]") {
    test::test_server server(1);
    const auto r = adhoc(server, {"--json", "--threshold", "p99 < 20xs"});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains("--threshold \"p99 < 20xs\": unknown unit 'xs' for a latency (known: us, ms, s); did "
                                      "you mean 'us'?"));
    CHECK(server.requests() == 0);
}

TEST_CASE("thresholds: in a manifest run, a failed [[verdict.threshold]] is listed on the console and in the report, "
          "and the run exits 1, and with all held it exits 0",
          "[verdict][thresholds]") {
    test::test_server fast(1), slow(1);
    test::faults delay;
    delay.delay = std::chrono::milliseconds(20);
    slow.set_faults(delay);
    test::temp_dir dir;
    const std::string head = "output_dir = \"out\"\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n"
                             "reporters = [\"md\", \"csv\"]\n[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\n"
                             "duration = \"1s\"\n[engine]\nthreads = 1\n"
                             "[[framework]]\nname = \"fast\"\nurl = \"" + fast.base_url() + "\"\n"
                             "[[framework]]\nname = \"slow\"\nurl = \"" + slow.base_url() + "\"\n";
    // Every answer of slow takes 20 ms or more; neither server errs.
    const auto failing = dir.write("failing.toml", head +
                                                       "[[verdict.threshold]]\ncondition = \"p50 < 10ms\"\nframeworks = [\"slow\"]\n"
                                                       "[[verdict.threshold]]\ncondition = \"error_rate < 0.1%\"\n");
    auto r = test::run_shootout({"--log-level", "warn", "--config", failing.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("\nthresholds failed:\n  slow / ping / steady: p50 "));
    CHECK_THAT(r.out, Catch::Contains(" ms is not < 10 ms\n"));
    CHECK_THAT(r.out, !Catch::Contains("\nfailed:\n"));  // no framework failed: a threshold did
    const auto report = slurp(dir.path() / "out" / "latest" / "REPORT.md");
    CHECK_THAT(report, Catch::Contains("Thresholds failed (1 of 3 checks):\n\n- **slow**, ping / steady: p50 "));
    CHECK_THAT(slurp(dir.path() / "out" / "latest" / "summary.csv"), Catch::Contains(" ms is not < 10 ms\n"));

    const auto holding = dir.write("holding.toml", head +
                                                       "[[verdict.threshold]]\ncondition = \"p50 >= 20ms\"\nframeworks = [\"slow\"]\n");
    r = test::run_shootout({"--log-level", "warn", "--config", holding.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("\nthresholds: all 1 check(s) of 1 threshold(s) passed\n"));
}
