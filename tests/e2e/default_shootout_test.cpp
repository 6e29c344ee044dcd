// The main job, shortened: the six real apps, each from its venv (scripts/setup.sh), started by
// the launcher against an embedded PostgreSQL, every scenario on every framework. Each (framework,
// scenario) must be measured and verified, db-write must lose no row, and nothing may be left
// running. Then one framework under load profiled by py-spy and by the project's Python sampler.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <map>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <shootout/sdk/results.h>

#include "launcher/http_probe.h"
#include "test_helpers.h"

using namespace shootout;
namespace fs = std::filesystem;

namespace {
bool anything_running(const std::string& pattern) {
    return std::system(("pgrep -f -- '" + pattern + "' >/dev/null").c_str()) == 0;
}

// The pids whose command line matches `pattern`: another checkout's test run on the same machine
// may have a PostgreSQL of its own, so only the ones that appear during this run count.
std::set<std::string> running(const std::string& pattern) {
    std::set<std::string> pids;
    if (FILE* p = ::popen(("pgrep -f -- '" + pattern + "'").c_str(), "r")) {
        char line[64];
        while (std::fgets(line, sizeof line, p)) pids.insert(line);
        ::pclose(p);
    }
    return pids;
}

// py-spy (from PyPI, linked onto PATH by scripts/setup.sh) and the project's own sampler
// (apps/shared/profiler) each profile a real framework under load, and each flamegraph must hold
// the app's handler. FastAPI's json endpoint: one uvicorn process, so both see the same code (its
// pool opens at start-up, hence the database). Part of the e2e test case, not one of its own, so
// the two never run side by side and the check that nothing is left running stays exact.
void check_profilers_on_a_real_framework() {
    const std::string source = SHOOTOUT_SOURCE_DIR;
    for (const char* profiler : {"py-spy", "python-sampler"}) {
        INFO(profiler);
        test::temp_dir dir;
        const auto manifest = dir.write(
            "profile.toml",
            fmt::format(R"(output_dir = "results"
scenarios = ["json"]
patterns = ["steady"]
reporters = ["flamegraph"]
[profile]
targets = ["fastapi/json"]
profiler = "{0}"
frequency = 499
[pattern.steady]
connections = 4
warmup = "0s"
duration = "3s"
[engine]
threads = 1
[database]
mode = "embedded"
init_sql = "{2}/apps/shared/init.sql"
[local]
environment = {{ WORKERS = "1" }}
[[framework]]
name = "fastapi"
url = "http://127.0.0.1:{1}"
[framework.local]
command = ["{2}/apps/fastapi/serve.sh"]
check_command = ["{2}/.venvs/fastapi/bin/python", "-c", "import fastapi"]
)",
                        profiler, core::launcher::free_loopback_port(), source));
        auto r = test::run_shootout({"--log-level", "warn", "--config", manifest.string()});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        const auto run_dir = dir.path() / "results" / "latest";
        std::ifstream in(run_dir / "raw" / "fastapi__json__steady__run1.json");
        std::stringstream text;
        text << in.rdbuf();
        const auto doc = boost::json::parse(text.str()).as_object();
        INFO(boost::json::serialize(doc.at("warnings")));
        CHECK(doc.at("outcome") == "measured");
        REQUIRE(doc.contains("profile"));
        CHECK(doc.at("profile").at("profiler") == profiler);
        CHECK(doc.at("profile").at("samples").to_number<std::uint64_t>() > 0);
        const auto svg_file = run_dir / sdk::flamegraph_path("fastapi", "json", "steady", 1);
        REQUIRE(fs::exists(svg_file));
        std::ifstream svg_in(svg_file);
        std::stringstream svg;
        svg << svg_in.rdbuf();
        // The handler of apps/fastapi/app.py: py-spy names it "json_endpoint (app.py:N)", the
        // sampler "app:json_endpoint".
        CHECK(svg.str().find(std::string(profiler) == "py-spy" ? "json_endpoint (app.py:" : "app:json_endpoint") !=
              std::string::npos);
    }
}
}  // namespace

TEST_CASE("e2e: the default shootout measures and verifies every scenario on every local framework", "[e2e]") {
    // The manifest is copied into a temporary directory with its "../../apps" made absolute, so
    // results go there and not into the source tree.
    test::temp_dir dir;
    std::ifstream in(fs::path(SHOOTOUT_SOURCE_DIR) / "tests" / "e2e" / "shootout-e2e.toml");
    std::stringstream original;
    original << in.rdbuf();
    std::string text = original.str();
    const std::string source = std::string(SHOOTOUT_SOURCE_DIR) + "/";
    for (std::size_t at; (at = text.find("../../")) != std::string::npos;) text.replace(at, 6, source);
    for (const char* port : {"18081", "18082", "18083", "18084", "18085", "18086"})  // free ports, not fixed ones
        text.replace(text.find(port), 5, std::to_string(core::launcher::free_loopback_port()));
    const auto manifest = dir.write("shootout-e2e.toml", text);
    const auto out = dir.path() / "results-e2e";
    const auto clusters_before = running("[s]hootout-pg-");
    auto r = test::run_shootout({"--log-level", "warn", "--config", manifest.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);

    const auto raw = out / "latest" / "raw";
    REQUIRE(fs::is_directory(raw));
    std::map<std::string, boost::json::object> results;
    for (const auto& entry : fs::directory_iterator(raw)) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        auto doc = boost::json::parse(text.str()).as_object();
        results[std::string(doc.at("framework").as_string()) + "/" + std::string(doc.at("scenario").as_string())] = doc;
    }
    for (const char* fw : {"flask", "django", "fastapi", "aquilia", "sanic", "tornado"})
        for (const char* scenario : {"ping", "json", "db-read", "db-write", "upload", "stream", "ws-echo"}) {
            const std::string key = std::string(fw) + "/" + scenario;
            INFO(key);
            REQUIRE(results.count(key));
            const auto& doc = results[key];
            INFO(doc.at("reason").as_string().c_str());
            // Flask and Django have no WebSocket: "not supported", never a zero or an error storm.
            // Flask's manifest entry says so; Django's 404 to the upgrade is found out.
            if (std::string(scenario) == "ws-echo" && (std::string(fw) == "flask" || std::string(fw) == "django")) {
                CHECK(doc.at("outcome") == "not_supported");
                CHECK(doc.at("completed").to_number<std::uint64_t>() == 0);
                CHECK(doc.at("errors").at("connect").to_number<std::uint64_t>() == 0);
                const std::string reason(doc.at("reason").as_string());
                if (std::string(fw) == "flask")
                    CHECK(reason == "flask has no WebSocket support (websocket = false in the manifest)");
                else
                    CHECK(reason.rfind("the server does not offer WebSocket at /ws-echo (the upgrade was answered with "
                                       "status 4",
                                       0) == 0);
                continue;
            }
            CHECK(doc.at("outcome") == "measured");
            CHECK(doc.at("completed").to_number<std::uint64_t>() > 0);
            CHECK(doc.at("verified").to_number<std::uint64_t>() > 0);
            CHECK(doc.at("errors").at("verify").to_number<std::uint64_t>() == 0);
            CHECK(doc.at("errors").at("status").to_number<std::uint64_t>() == 0);
            // The server's process tree was watched while it worked.
            double cpu = 0, rss = 0;
            for (const auto& sample : doc.at("server_resources").as_array()) {
                cpu = std::max(cpu, sample.at("cpu_percent").to_number<double>());
                rss = std::max(rss, sample.at("rss_bytes").to_number<double>());
            }
            CHECK(cpu > 0);
            CHECK(rss > 10 * 1048576.0);
            REQUIRE(doc.at("server_resources_summary").is_object());
            const auto& summary = doc.at("server_resources_summary").as_object();
            CHECK(summary.at("mean_cpu_percent").to_number<double>() > 0);
            CHECK(summary.at("peak_rss_bytes").to_number<std::uint64_t>() > 10 * 1048576u);
            CHECK(summary.at("cpu_seconds_per_1000_requests").to_number<double>() > 0);
            // Only what [profile] names is profiled.
            CHECK(doc.contains("profile") == (key == "fastapi/json"));
            if (std::string(scenario) == "db-write") {
                const auto& writes = doc.at("writes").as_object();
                CHECK(writes.at("lost").to_number<std::uint64_t>() == 0);
                CHECK(writes.at("phantom").to_number<std::uint64_t>() == 0);
                CHECK(writes.at("rows_added").to_number<std::uint64_t>() >= writes.at("answered_2xx").to_number<std::uint64_t>());
            }
        }
    // `shootout report` on the run's raw results reproduces the reports the run wrote, byte for byte.
    const auto run_dir = fs::canonical(out / "latest");
    const auto again = dir.path() / "reports-again";
    auto report = test::run_shootout({"--log-level", "warn", "report", "--results", run_dir.string(), "--output", again.string()});
    INFO(report.out << report.err);
    CHECK(report.exit_code == 0);
    auto slurp = [](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    for (const char* name : {"REPORT.md", "summary.csv", "summary.json", "report.html"}) {
        INFO(name);
        REQUIRE(fs::exists(run_dir / name));
        CHECK(slurp(run_dir / name) == slurp(again / name));
    }
    // The hdr reporter: an interval log with one histogram per measured second of each result.
    {
        const auto& doc = results["fastapi/ping"];
        const auto log = slurp(run_dir / "hdr" / "fastapi__ping__steady__run1.hlog");
        const auto lines = static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n'));
        CHECK(lines == 3 + doc.at("timeline").as_array().size());  // two comments and the legend first
        CHECK(fs::exists(run_dir / "hdr" / "fastapi__ping__steady__run1.latency.hdr"));
    }
    // The report's header names every framework's exact version, from its venv's version_command.
    const auto report_md = slurp(run_dir / "REPORT.md");
    for (const char* version : {"flask: flask 3.", "django: django 5.2.", "fastapi: fastapi 0.", "aquilia: aquilia 1.",
                                "sanic: sanic 2", "tornado: tornado 6."}) {
        INFO(version);
        CHECK_THAT(report_md, Catch::Contains(version));
    }
    // The profiled measurement has a flamegraph a person can open, showing the app's own code.
    const auto& profiled = results["fastapi/json"];
    INFO(boost::json::serialize(profiled.at("warnings")));
    REQUIRE(profiled.contains("profile"));
    CHECK(profiled.at("profile").at("profiler") == "python-sampler");
    CHECK(profiled.at("profile").at("samples").to_number<std::uint64_t>() > 0);
    CHECK(fs::exists(out / "latest" / std::string(profiled.at("profile").at("folded_path").as_string())));
    const auto svg_file = out / "latest" / sdk::flamegraph_path("fastapi", "json", "steady", 1);
    REQUIRE(fs::exists(svg_file));
    std::ifstream svg_in(svg_file);
    std::stringstream svg;
    svg << svg_in.rdbuf();
    CHECK(svg.str().find("data-n=\"app:") != std::string::npos);  // a frame of apps/fastapi/app.py

    check_profilers_on_a_real_framework();

    // Nothing left behind: no app server, no PostgreSQL of ours.
    // (Only this tree's apps: another checkout on the machine may be running its own.)
    CHECK_FALSE(anything_running(std::string(SHOOTOUT_SOURCE_DIR) + "/[a]pps/(flask|django|fastapi|aquilia|sanic|tornado)"));
    for (const auto& pid : running("[s]hootout-pg-")) {
        INFO("a PostgreSQL of shootout's, pid " << pid);
        CHECK(clusters_before.count(pid));
    }
}
