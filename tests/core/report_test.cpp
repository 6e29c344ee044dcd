// Raw results read back, statistics across runs, and the reports `shootout report` makes from a
// fixed raw-results fixture (tests/fixtures/results/raw), compared byte for byte with the goldens
// in tests/golden/report.
//
// To change the fixture or the goldens deliberately:
//   SHOOTOUT_UPDATE_GOLDEN=1 build/bin/shootout_tests "[golden]"
// rewrites tests/fixtures/results/raw from make_fixture() below and the goldens from the
// reporters; review the diff with git before committing it.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "files.h"
#include "result_fixture.h"
#include "stats/summarize.h"
#include "results/raw_json.h"
#include "test_helpers.h"

using namespace shootout;
using namespace shootout::test;
namespace fs = std::filesystem;
namespace stats = shootout::core::stats;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool updating_goldens() {
    const char* v = std::getenv("SHOOTOUT_UPDATE_GOLDEN");
    return v && std::string(v) == "1";
}

void write_fixture(const fs::path& raw_dir) {
    fs::remove_all(raw_dir);
    fs::create_directories(raw_dir);
    auto env = fixture_environment();
    env.framework_versions = {{"fastapi", "fastapi 0.92.0"}, {"tornado", "tornado 6.2"}, {"flask", "flask 2.2.2"}};
    std::uint64_t sequence = 0;
    int minute = 5;
    for (const auto& m : make_fixture()) {
        env.finished_at = fmt::format("2026-01-02T03:{:02}:00Z", minute++ % 60);
        auto doc = core::measurement_to_json(m, env);
        doc.as_object()["sequence"] = sequence++;
        core::write_file_atomically(raw_dir / fmt::format("{}__{}__{}__run{}.json", m.framework, m.scenario, m.pattern, m.run),
                                    boost::json::serialize(doc));
    }
}

const fs::path fixture_raw = fs::path(SHOOTOUT_SOURCE_DIR) / "tests" / "fixtures" / "results" / "raw";
const fs::path golden_dir = fs::path(SHOOTOUT_SOURCE_DIR) / "tests" / "golden" / "report";

// A unified diff for the failure message (diff(1) is in every Debian base system).
std::string diff_of(const fs::path& expected, const fs::path& actual) {
    test::temp_dir dir;
    const auto out = dir.path() / "diff";
    std::system(("diff -u '" + expected.string() + "' '" + actual.string() + "' > '" + out.string() + "'").c_str());
    return slurp(out);
}

}  // namespace

TEST_CASE("report: the md, csv and json reports of the fixture match the goldens byte for byte", "[core][report][golden]") {
    if (updating_goldens()) write_fixture(fixture_raw);
    test::temp_dir dir;
    fs::create_directories(dir.path() / "run" / "raw");
    fs::copy(fixture_raw, dir.path() / "run" / "raw", fs::copy_options::recursive);
    const auto out = dir.path() / "reports";
    auto r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--output",
                                 out.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* name : {"REPORT.md", "summary.csv", "summary.json"}) {
        INFO(name);
        if (updating_goldens()) {
            fs::create_directories(golden_dir);
            fs::copy_file(out / name, golden_dir / name, fs::copy_options::overwrite_existing);
        }
        const auto expected = slurp(golden_dir / name), actual = slurp(out / name);
        INFO("differences (regenerate deliberately with SHOOTOUT_UPDATE_GOLDEN=1):\n" << diff_of(golden_dir / name, out / name));
        CHECK(actual == expected);
    }
    // The html report escapes what came from servers and manifests.
    const auto html = slurp(out / "report.html");
    CHECK(html.find("<script>alert(1)") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)") != std::string::npos);
}

TEST_CASE("report: without raw results, with an unknown reporter, and with broken files, it says what and where", "[core][report]") {
    test::temp_dir dir;
    fs::create_directories(dir.path() / "empty");
    auto r = test::run_shootout({"report", "--results", (dir.path() / "empty").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("no raw results here (expected " + (dir.path() / "empty").string() + "/raw/*.json"));

    fs::create_directories(dir.path() / "run" / "raw");
    fs::copy(fixture_raw, dir.path() / "run" / "raw", fs::copy_options::recursive);
    r = test::run_shootout({"report", "--results", (dir.path() / "run").string(), "--reporter", "xml"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("no reporter 'xml'; available: csv, flamegraph, hdr, html, json, md"));

    dir.write("run/raw/zz-broken.json", "not json");
    r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--reporter", "csv"});
    CHECK(r.exit_code == 1);  // the reports were written, without that file
    CHECK_THAT(r.err, Catch::Contains("zz-broken.json: broken JSON"));
    CHECK_THAT(r.err, Catch::Contains("leave out 1 of"));
    CHECK(fs::exists(dir.path() / "run" / "summary.csv"));
}

TEST_CASE("report: with --output elsewhere, the flamegraph reporter reads the run's profiles, and a reporter given twice "
          "is refused",
          "[core][report]") {
    test::temp_dir dir;
    fs::create_directories(dir.path() / "run" / "raw");
    fs::copy(fixture_raw, dir.path() / "run" / "raw", fs::copy_options::recursive);
    // The fixture's one profiled measurement (fastapi / ping / steady) points at this file.
    dir.write("run/profiles/fastapi__ping__steady__run1.folded", "main;serve;handle 3000\nmain;serve;idle 1000\n");
    const auto out = dir.path() / "elsewhere";
    auto r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--output",
                                 out.string(), "--reporter", "flamegraph"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(out / sdk::flamegraph_path("fastapi", "ping", "steady", 1)));

    auto twice = test::run_shootout({"report", "--results", (dir.path() / "run").string(), "--reporter", "md,md"});
    CHECK(twice.exit_code == 2);
    CHECK(twice.err == "--reporter md: given twice; each reporter writes its report once\n");
}

TEST_CASE("report: two raw files of one measurement are refused, naming both, exit 1, and no report is written",
          "[core][report][names]") {
    test::temp_dir dir;
    fs::create_directories(dir.path() / "run" / "raw");
    fs::copy(fixture_raw, dir.path() / "run" / "raw", fs::copy_options::recursive);
    // What x__ping / ping and x / ping__ping once both wrote: two documents, one measurement.
    fs::copy_file(fixture_raw / "flask__ping__steady__run2.json", dir.path() / "run" / "raw" / "flask__ping__steady__run2-copy.json");
    const auto out = dir.path() / "reports";
    auto r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--output",
                                 out.string(), "--reporter", "md"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("error: flask__ping__steady__run2-copy.json and flask__ping__steady__run2.json both "
                                      "hold flask / ping / steady / run 2\n"));
    CHECK_THAT(r.err, Catch::Contains("no report written"));
    CHECK_FALSE(fs::exists(out / "REPORT.md"));
}

TEST_CASE("report: a raw file whose names or profile lead out of the run directory is left out, naming what is wrong, "
          "and nothing is read or written outside",
          "[core][report][names]") {
    test::temp_dir dir;
    fs::create_directories(dir.path() / "run" / "raw");
    dir.write("secret.folded", "main;secret 100\n");  // outside the run directory
    dir.write("run/profiles/ok.folded", "main;serve 100\n");
    auto doc = core::measurement_to_json(measured("fastapi", "ping", "steady", 1, 100, 1000, 1), fixture_environment());
    doc.as_object()["profile"] = {{"profiler", "perf"}, {"folded_path", "profiles/ok.folded"}, {"samples", 100}};
    dir.write("run/raw/good.json", boost::json::serialize(doc));
    auto escaping_name = doc;
    escaping_name.as_object()["scenario"] = "/../../../../x";
    escaping_name.as_object()["run"] = 2;
    dir.write("run/raw/name.json", boost::json::serialize(escaping_name));
    auto absolute_profile = doc;
    absolute_profile.as_object()["run"] = 3;
    absolute_profile.as_object()["profile"].as_object()["folded_path"] = (dir.path() / "secret.folded").string();
    dir.write("run/raw/absolute.json", boost::json::serialize(absolute_profile));
    auto climbing_profile = doc;
    climbing_profile.as_object()["run"] = 4;
    climbing_profile.as_object()["profile"].as_object()["folded_path"] = "profiles/../../secret.folded";
    dir.write("run/raw/climbing.json", boost::json::serialize(climbing_profile));

    const auto out = dir.path() / "run" / "reports";
    auto r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--output",
                                 out.string(), "--reporter", "flamegraph,md"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("name.json: field 'scenario': name \"/../../../../x\" must be 1 to 64 letters"));
    CHECK_THAT(r.err, Catch::Contains("absolute.json: profile: folded_path \"" + (dir.path() / "secret.folded").string() +
                                      "\" must be a path relative to the run directory, without '..'"));
    CHECK_THAT(r.err, Catch::Contains("climbing.json: profile: folded_path \"profiles/../../secret.folded\" must be"));
    CHECK_THAT(r.err, Catch::Contains("leave out 3 of 4"));
    CHECK(fs::exists(out / sdk::flamegraph_path("fastapi", "ping", "steady", 1)));  // the good one
    std::size_t svgs = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir.path())) svgs += entry.path().extension() == ".svg";
    CHECK(svgs == 1);
}


TEST_CASE("report: the manifest's [verdict] decides what every report fails, and a reporter's own threshold is refused",
          "[core][report]") {
    test::temp_dir dir;
    fs::create_directories(dir.path() / "run" / "raw");
    fs::copy(fixture_raw, dir.path() / "run" / "raw", fs::copy_options::recursive);
    // flask's upload has 0.37 % errors: failed at the default 0.1 %, ranked at 1 %.
    const std::string head = "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\n"
                             "url = \"http://127.0.0.1:1\"\n";
    const auto loose = dir.write("loose.toml", "reporters = [\"json\", \"md\"]\n" + head + "[verdict]\nmax_error_rate = 0.01\n");
    auto r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--output",
                                 (dir.path() / "loose").string(), "--config", loose.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto summary = slurp(dir.path() / "loose" / "summary.json");
    CHECK(summary.find("\"max_error_rate\": 0.01") != std::string::npos);
    CHECK(slurp(dir.path() / "loose" / "REPORT.md").find("upload | steady | fastapi | 802 (800–804) | fastapi > sanic > tornado > flask") !=
          std::string::npos);

    const auto old = dir.write("old.toml", "reporters = [\"md\"]\n" + head + "[reporter.md]\nmax_error_rate = 0.01\n");
    r = test::run_shootout({"report", "--results", (dir.path() / "run").string(), "--output", (dir.path() / "old").string(),
                            "--config", old.string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("old.toml:8:1: error: reporter 'md': 'max_error_rate' moved to the [verdict] table"));
    CHECK_THAT(r.err, !Catch::Contains("unknown"));
}

TEST_CASE("report: a run that did not keep its connections alive says how in REPORT.md's methodology",
          "[core][report][keep-alive]") {
    test::temp_dir dir;
    const auto raw_dir = dir.path() / "run" / "raw";
    fs::create_directories(raw_dir);
    auto fast = measured("fastapi", "ping", "steady", 1, 1000, 4000, 3);
    fast.requests_per_connection = 1;
    auto json = measured("fastapi", "json", "steady", 1, 900, 4500, 4);
    json.requests_per_connection = 10;
    for (const auto& m : {fast, json, measured("flask", "ping", "steady", 1, 500, 8000, 5)})
        core::write_file_atomically(raw_dir / fmt::format("{}__{}__{}__run1.json", m.framework, m.scenario, m.pattern),
                                    boost::json::serialize(core::measurement_to_json(m, fixture_environment())));
    const auto out = dir.path() / "reports";
    auto r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--output",
                                 out.string(), "--reporter", "md"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto report = slurp(out / "REPORT.md");
    CHECK_THAT(report, Catch::Contains("10 requests per connection (json); a new connection per request (ping); "
                                       "keep-alive (ping). The client closes a connection after its last request"));
    // The golden fixture is all keep-alive: its report has no such line (the golden test holds it to that).
    CHECK_THAT(slurp(golden_dir / "REPORT.md"), !Catch::Contains("Connections"));
}

TEST_CASE("report: every report lists each failed [[verdict.threshold]] with the measured figure and the bound, and "
          "leaves the ranking as measured",
          "[core][report][thresholds]") {
    test::temp_dir dir;
    fs::create_directories(dir.path() / "run" / "raw");
    fs::copy(fixture_raw, dir.path() / "run" / "raw", fs::copy_options::recursive);
    // ping / steady ran at (median) fastapi 10000, sanic 10050, tornado 6000, flask 3000 and django
    // 3025 req/s (its two measured runs); aquilia was skipped, so nothing of it is judged.
    const auto manifest = dir.write("m.toml", "reporters = [\"md\", \"csv\", \"json\", \"html\"]\nscenarios = [\"ping\"]\n"
                                              "patterns = [\"steady\"]\n[[framework]]\nname = \"flask\"\n"
                                              "url = \"http://127.0.0.1:1\"\n"
                                              "[[verdict.threshold]]\ncondition = \"rps > 5000\"\nscenarios = [\"ping\"]\n"
                                              "patterns = [\"steady\"]\n"
                                              "[[verdict.threshold]]\ncondition = \"p99 < 1s\"\nframeworks = [\"fla*\"]\n");
    const auto out = dir.path() / "reports";
    auto r = test::run_shootout({"--log-level", "warn", "report", "--results", (dir.path() / "run").string(), "--output",
                                 out.string(), "--config", manifest.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);  // regenerating reports is no run: the exit code is the run's

    const auto md = slurp(out / "REPORT.md");
    CHECK_THAT(md, Catch::Contains("Thresholds failed (2 of 7 checks):\n\n"
                                   "- **flask**, ping / steady: rps 3000.0 req/s is not > 5000 req/s\n"
                                   "- **django**, ping / steady: rps 3025.0 req/s is not > 5000 req/s\n\n"));
    CHECK_THAT(md, Catch::Contains("- **Thresholds:** rps > 5000 (scenarios ping; patterns steady): 5 check(s), 2 failed; "
                                   "p99 &lt; 1s (frameworks fla*): 2 check(s), 0 failed. Each is judged on a framework"));
    CHECK_THAT(md, Catch::Contains("| ping | steady | sanic ≈ fastapi | 10050 (9721–10346) | sanic ≈ fastapi > tornado > flask |"));

    const auto csv = slurp(out / "summary.csv");
    CHECK_THAT(csv, Catch::Contains(",warnings,thresholds_failed\n"));
    CHECK_THAT(csv, Catch::Contains(",rps 3000.0 req/s is not > 5000 req/s\n"));
    CHECK_THAT(csv, Catch::Contains(",rps 3025.0 req/s is not > 5000 req/s\n"));

    const auto json = boost::json::parse(slurp(out / "summary.json")).as_object();
    const auto& thresholds = json.at("criteria").at("thresholds").as_array();
    REQUIRE(thresholds.size() == 2);
    CHECK(thresholds.at(0) == boost::json::parse(R"({"condition": "rps > 5000", "frameworks": [], "scenarios": ["ping"],
                                                     "patterns": ["steady"]})"));
    bool found_flask = false;
    for (const auto& entry : json.at("results").as_array()) {
        const auto& e = entry.as_object();
        if (e.at("framework") != "flask" || e.at("scenario") != "ping") continue;
        found_flask = true;
        CHECK(e.at("status") == "ranked");
        CHECK(e.at("thresholds").as_array().at(0) ==
              boost::json::parse(R"({"condition": "rps > 5000", "passed": false, "measured": 3000, "bound": 5000,
                                     "unit": "req/s", "text": "rps 3000.0 req/s is not > 5000 req/s"})"));
        CHECK(e.at("thresholds").as_array().at(1).at("passed") == true);
    }
    CHECK(found_flask);

    const auto html = slurp(out / "report.html");
    CHECK_THAT(html, Catch::Contains("<p class=\"bad\">Thresholds failed (2 of 7 checks):</p>\n<ul>\n"
                                     "<li><strong>flask</strong>, ping / steady: <span class=\"bad\">rps 3000.0 req/s is "
                                     "not &gt; 5000 req/s</span></li>\n"));
    CHECK_THAT(html, Catch::Contains("<div class=\"bad\">threshold failed: rps 3000.0 req/s is not &gt; 5000 req/s</div>"));
}
