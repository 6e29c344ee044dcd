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
#include <shootout/sdk/statistics.h>

#include "results_json.h"
#include "test_helpers.h"

using namespace shootout;
namespace fs = std::filesystem;
namespace stats = sdk::stats;

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

// Deterministic latencies around `median_us` with a long tail (no randomness, so the fixture is stable).
sdk::histogram latencies(std::int64_t median_us, std::uint64_t n, std::uint32_t seed) {
    sdk::histogram h;
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::uint64_t i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        const double u = static_cast<double>(x >> 8) / static_cast<double>(1u << 24);
        const double factor = u < 0.5 ? 0.6 + 0.8 * u : u < 0.99 ? 1.0 + (u - 0.5) * 2 : 2 + (u - 0.99) * 800;
        h.record(static_cast<std::int64_t>(static_cast<double>(median_us) * factor));
    }
    return h;
}

sdk::environment fixture_environment() {
    sdk::environment e;
    e.shootout_version = "0.1.0";
    e.build_type = "Release";
    e.cpu_model = "Example CPU @ 3.00GHz";
    e.cores = 2;
    e.kernel = "Linux 6.1.0-example";
    e.hostname = "bench-host";
    e.manifest_path = "shootout.toml";
    e.manifest_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    e.started_at = "2026-01-02T03:04:05Z";
    return e;
}

sdk::measurement measured(const std::string& fw, const std::string& scenario, const std::string& pattern, unsigned run,
                          double rate, std::int64_t median_us, std::uint32_t seed) {
    sdk::measurement m;
    m.framework = fw;
    m.scenario = scenario;
    m.pattern = pattern;
    m.run = run;
    m.seconds = 10;
    m.completed = static_cast<std::uint64_t>(rate * m.seconds);
    m.rate = static_cast<double>(m.completed) / m.seconds;
    m.verified = m.completed / 100;
    m.latency_us = latencies(median_us, 1000, seed);
    m.connections_asked = m.connections_established = 50;
    m.bytes_sent = m.completed * 80;
    m.bytes_received = m.completed * 150;
    for (int s = 0; s < 10; ++s) {
        sdk::timeline_point t;
        t.second = s;
        t.completed = m.completed / 10 + static_cast<std::uint64_t>((s * 37 + seed) % 50);
        t.p50_us = median_us;
        t.p99_us = median_us * 2 + (s * 13 + seed) % 300;
        t.open_connections = t.planned_connections = 50;
        m.timeline.push_back(t);
        m.server_resources.push_back({s + 1.0, 90.0 + (s * 7 + seed) % 9, (60u + (seed + s) % 5) * 1048576u});
    }
    sdk::phase_result measure;
    measure.name = "measure";
    measure.seconds = m.seconds;
    measure.completed = m.completed;
    measure.latency_us = m.latency_us;
    measure.connections_planned = measure.connections_open = 50;
    m.phases.push_back(measure);
    m.generator_cpu_seconds = 4.5;
    m.answered_2xx_all_phases = m.completed + 100;
    m.extra["server_cpus"] = "1";
    m.extra["generator_cpus"] = "0";
    return m;
}

sdk::measurement not_measured(const std::string& fw, const std::string& scenario, const std::string& pattern, unsigned run,
                              sdk::outcome outcome, const std::string& reason) {
    sdk::measurement m;
    m.framework = fw;
    m.scenario = scenario;
    m.pattern = pattern;
    m.run = run;
    m.outcome = outcome;
    m.reason = reason;
    return m;
}

// The fixture: a tie (fastapi ≈ sanic), a clear order (> tornado), a noisy framework (flask),
// one that failed verification in one run (django), one not installed (aquilia), one over the
// error threshold (flask, upload), one not supported (flask, ws-echo), single-run patterns
// (spike with stages; constant-rate with open-model figures), a warning and a profile.
std::vector<sdk::measurement> make_fixture() {
    std::vector<sdk::measurement> all;
    const double fastapi[] = {10000, 10100, 9950}, sanic[] = {10050, 9900, 10150}, tornado[] = {6000, 6050, 5980},
                 flask[] = {3000, 3300, 2900}, django[] = {3000, 0, 3050};
    for (unsigned run = 1; run <= 3; ++run) {  // interleaved, as a run does by default
        auto f = measured("fastapi", "ping", "steady", run, fastapi[run - 1], 4200, run);
        if (run == 1) f.profile = sdk::profile_info{"python-sampler", "profiles/fastapi__ping__steady__run1.folded", 4000};
        all.push_back(f);
        all.push_back(measured("fastapi", "upload", "steady", run, 800 + run, 60000, 10 + run));
        all.push_back(not_measured("fastapi", "ws-echo", "steady", run, sdk::outcome::skipped, "the run was interrupted"));
        all.push_back(measured("sanic", "ping", "steady", run, sanic[run - 1], 4100, 20 + run));
        all.push_back(measured("sanic", "upload", "steady", run, 790 + run, 61000, 30 + run));
        all.push_back(not_measured("sanic", "ws-echo", "steady", run, sdk::outcome::skipped, "the run was interrupted"));
        auto t = measured("tornado", "ping", "steady", run, tornado[run - 1], 7800, 40 + run);
        if (run == 2)
            t.warnings.push_back("generator-bound: worker 0 was busy 97 % of the measured time, so the generator may "
                                 "have set the pace; give it more threads or CPUs");
        all.push_back(t);
        all.push_back(measured("tornado", "upload", "steady", run, 500 + run, 95000, 50 + run));
        all.push_back(not_measured("tornado", "ws-echo", "steady", run, sdk::outcome::skipped, "the run was interrupted"));
        all.push_back(measured("flask", "ping", "steady", run, flask[run - 1], 11000, 60 + run));
        auto upload = measured("flask", "upload", "steady", run, 300, 150000, 70 + run);
        upload.errors.status = 5 * run;
        upload.errors.timeout = 1;
        all.push_back(upload);
        all.push_back(not_measured("flask", "ws-echo", "steady", run, sdk::outcome::not_supported,
                                   "flask has no WebSocket support (websocket = false in the manifest)"));
        if (run == 2)
            all.push_back(not_measured("django", "ping", "steady", run, sdk::outcome::failed,
                                       "correctness check failed: GET /ping: body \"<html><script>alert(1)</script>\" is not "
                                       "'pong' | status 200"));
        else
            all.push_back(measured("django", "ping", "steady", run, django[run - 1], 14000, 80 + run));
        all.push_back(not_measured("aquilia", "ping", "steady", run, sdk::outcome::skipped,
                                   "aquilia is not installed here (`/usr/bin/python3 -c import aquilia` failed: "
                                   "ModuleNotFoundError: No module named 'aquilia'); measure it with docker compose"));
        if (run > 1) continue;
        // One run of a spike: stages, and connections that change every second.
        for (const auto& [fw, base] : {std::pair<std::string, double>{"fastapi", 9000}, {"tornado", 5200}}) {
            auto m = measured(fw, "ping", "spike", 1, base, fw == "fastapi" ? 9000 : 15000, fw == "fastapi" ? 91 : 92);
            m.phases.clear();
            m.timeline.clear();
            const std::tuple<const char*, double, std::uint32_t, double> stages[] = {
                {"ramp", 4, 500, 0.9}, {"hold", 6, 500, 1.0}, {"cooldown", 3, 10, 0.7}};
            double second = 0;
            for (const auto& [name, seconds, connections, share] : stages) {
                sdk::phase_result p;
                p.name = name;
                p.seconds = seconds;
                p.completed = static_cast<std::uint64_t>(base * share * seconds);
                p.latency_us = latencies(fw == "fastapi" ? static_cast<std::int64_t>(9000 * share) : static_cast<std::int64_t>(15000 * share), 1000, static_cast<std::uint32_t>(seconds));
                p.connections_planned = p.connections_open = connections;
                m.phases.push_back(p);
                for (int s = 0; s < static_cast<int>(seconds); ++s, ++second) {
                    sdk::timeline_point t;
                    t.second = second;
                    t.completed = static_cast<std::uint64_t>(base * share);
                    t.p50_us = static_cast<std::int64_t>(9000 * share);
                    t.p99_us = static_cast<std::int64_t>(30000 * share);
                    t.planned_connections = std::string(name) == "ramp" ? static_cast<std::uint32_t>(10 + 122 * (s + 1))
                                            : std::string(name) == "hold" ? 500u
                                                                           : static_cast<std::uint32_t>(500 - 163 * (s + 1));
                    t.open_connections = t.planned_connections;
                    m.timeline.push_back(t);
                }
            }
            m.seconds = 13;
            m.connections_asked = 500;
            all.push_back(m);
        }
        // One run of an open-model pattern: corrected and uncorrected latency, planned and achieved rate.
        for (const auto& [fw, achieved] : {std::pair<std::string, double>{"fastapi", 1995}, {"tornado", 1890}}) {
            auto m = measured(fw, "json", "constant-rate", 1, achieved, fw == "fastapi" ? 3000 : 9000, fw == "fastapi" ? 95 : 96);
            m.latency_uncorrected_us = latencies(fw == "fastapi" ? 2500 : 5000, 3000, 97);
            m.planned_rate = 2000;
            m.achieved_rate = achieved;
            m.late_requests = fw == "fastapi" ? 12 : 1400;
            for (auto& t : m.timeline) t.planned_rate = 2000;
            all.push_back(m);
        }
    }
    return all;
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

TEST_CASE("raw results: a document read back is the measurement that was written, histograms included", "[core][results]") {
    auto m = measured("fast<api>", "ping", "steady", 2, 1234.5, 4200, 7);
    m.latency_uncorrected_us = latencies(3000, 500, 8);
    m.first_byte_us = latencies(100, 50, 9);
    m.connect_us = latencies(300, 50, 10);
    m.handshake_us = latencies(900, 60, 10);
    m.latency_us.record(7'200'000'000);  // above the highest trackable value: clamped and counted as such
    m.errors = {1, 2, 3, 4, 5, 6};
    m.planned_rate = 2000.25;
    m.achieved_rate = 1999.5;
    m.late_requests = 17;
    m.writes = sdk::write_accounting{10, 11, 1, 1, 0};
    m.profile = sdk::profile_info{"perf", "profiles/x.folded", 99};
    m.warnings = {"generator-bound: worker 0", "only 49 of 50 connections established"};
    m.extra["k"] = "v";
    m.generator_resources.push_back({0.5, 12.25, 4096});
    auto env = fixture_environment();
    env.framework_versions["fast<api>"] = "0.92";
    env.finished_at = "2026-01-02T03:14:15Z";

    const auto text = boost::json::serialize(core::measurement_to_json(m, env));
    const auto back = core::measurement_from_json(boost::json::parse(text));
    const auto& r = back.measurement;
    CHECK(r.framework == m.framework);
    CHECK(r.run == 2);
    CHECK(r.completed == m.completed);
    CHECK(r.rate == Approx(m.rate).epsilon(1e-15));
    CHECK(r.errors.total() == 21);
    CHECK(r.errors.verify == 6);
    CHECK(r.latency_us.counts() == m.latency_us.counts());
    CHECK(r.latency_us.count() == m.latency_us.count());
    CHECK(r.latency_us.clamped() == 1);
    CHECK(r.latency_us.min() == m.latency_us.min());
    CHECK(r.latency_us.max() == m.latency_us.max());
    CHECK(r.latency_us.value_at_percentile(99.9) == m.latency_us.value_at_percentile(99.9));
    REQUIRE(r.latency_uncorrected_us);
    CHECK(r.latency_uncorrected_us->counts() == m.latency_uncorrected_us->counts());
    REQUIRE(r.first_byte_us);
    CHECK(r.first_byte_us->counts() == m.first_byte_us->counts());
    REQUIRE(r.connect_us);
    CHECK(r.connect_us->min() == m.connect_us->min());
    REQUIRE(r.handshake_us);
    CHECK(r.handshake_us->count() == m.handshake_us->count());
    CHECK(r.handshake_us->max() == m.handshake_us->max());
    CHECK(r.planned_rate == 2000.25);
    CHECK(r.late_requests == 17);
    REQUIRE(r.timeline.size() == m.timeline.size());
    CHECK(r.timeline[3].p99_us == m.timeline[3].p99_us);
    CHECK(r.timeline[3].completed == m.timeline[3].completed);
    REQUIRE(r.phases.size() == 1);
    CHECK(r.phases[0].latency_us.counts() == m.phases[0].latency_us.counts());
    CHECK(r.server_resources.size() == 10);
    CHECK(r.server_resources[4].rss_bytes == m.server_resources[4].rss_bytes);
    CHECK(r.generator_resources.at(0).cpu_percent == 12.25);
    REQUIRE(r.writes);
    CHECK(r.writes->lost == 1);
    REQUIRE(r.profile);
    CHECK(r.profile->samples == 99);
    CHECK(r.warnings == m.warnings);
    CHECK(r.extra == m.extra);
    CHECK(back.environment.framework_versions.at("fast<api>") == "0.92");
    CHECK(back.environment.finished_at == "2026-01-02T03:14:15Z");
    // Written again, it is the same document.
    CHECK(boost::json::serialize(core::measurement_to_json(r, back.environment)) == text);
}

TEST_CASE("raw results: another schema_version, a missing field and broken JSON are named with the file, and the rest is read",
          "[core][results]") {
    test::temp_dir dir;
    auto doc = core::measurement_to_json(measured("fastapi", "ping", "steady", 1, 100, 1000, 1), fixture_environment());
    dir.write("raw/good.json", boost::json::serialize(doc));
    auto future = doc;
    future.as_object()["schema_version"] = 99;
    dir.write("raw/future.json", boost::json::serialize(future));
    auto missing = doc;
    missing.as_object().erase("rate");
    dir.write("raw/missing.json", boost::json::serialize(missing));
    dir.write("raw/broken.json", "{\"schema\": \"shootout.raw-result\", ");

    const auto loaded = core::load_raw_results(dir.path() / "raw");
    CHECK(loaded.files == 4);
    REQUIRE(loaded.results.measurements.size() == 1);
    REQUIRE(loaded.problems.size() == 3);
    const auto all = loaded.problems[0] + "\n" + loaded.problems[1] + "\n" + loaded.problems[2];
    CHECK_THAT(all, Catch::Contains("broken.json: broken JSON"));
    CHECK_THAT(all, Catch::Contains("future.json: unknown schema_version 99 (this shootout reads version 1)"));
    CHECK_THAT(all, Catch::Contains("missing.json: document: missing field 'rate'"));
}

// Found by fuzz/raw_result_json (fuzz/crashes/raw_result_json-bucket-not-whole): a bucket of
// [1.5, 2] or ["x", 1] escaped as Boost.JSON's "not exact", which names no field.
TEST_CASE("raw results: a histogram bucket that is not two whole numbers is refused, naming the bucket", "[core][results]") {
    sdk::histogram h;
    h.record(1000);
    const auto good = core::histogram_to_json(h);
    for (const auto& [bucket, reason] : std::vector<std::pair<std::string, std::string>>{
             {"[1.5, 1]", "histogram: a bucket's index must be a whole number, not 1.5E0"},
             {"[\"x\", 1]", "histogram: a bucket's index must be a whole number, not \"x\""},
             {"[0, -1]", "histogram: a bucket's count must be a whole number, not -1"}}) {
        INFO(bucket);
        auto doc = good;
        doc.as_object()["buckets"] = boost::json::array{boost::json::parse(bucket)};
        try {
            core::histogram_from_json(doc);
            FAIL("read");
        } catch (const core::raw_result_error& e) {
            CHECK(std::string(e.what()) == reason);
        }
    }
}

TEST_CASE("statistics: median, Student's t interval, coefficient of variation, and one run has no interval", "[sdk][statistics]") {
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

TEST_CASE("statistics: overlapping intervals tie, failed and over-threshold results are not ranked", "[sdk][statistics]") {
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
    CHECK_THAT(r.err, Catch::Contains("no reporter 'xml'; available: csv, flamegraph, html, json, md"));

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

TEST_CASE("raw results: a file over 256 MiB, and histograms that would take absurd memory, are refused, naming the file",
          "[core][results][limits]") {
    test::temp_dir dir;
    auto doc = core::measurement_to_json(measured("fastapi", "ping", "steady", 1, 100, 1000, 1), fixture_environment());
    dir.write("raw/good.json", boost::json::serialize(doc));
    const auto huge = dir.write("raw/huge.json", boost::json::serialize(doc));
    fs::resize_file(huge, (std::uintmax_t{256} << 20) + 1);  // sparse: no disk is used, and it is never read
    // INT64_MAX at 5 digits: 6 million counts (49 MB) from a few bytes of JSON, beyond a document's budget.
    auto wide = doc;
    wide.as_object()["run"] = 2;
    auto& histogram = wide.as_object()["latency_us"].as_object();
    histogram["highest"] = INT64_MAX;
    histogram["significant_digits"] = 5;
    histogram["buckets"] = boost::json::array{};
    histogram["count"] = 0;
    dir.write("raw/wide.json", boost::json::serialize(wide));
    auto outside = doc;
    outside.as_object()["run"] = 3;
    outside.as_object()["latency_us"].as_object()["buckets"] = boost::json::array{boost::json::array{1u << 30, 5}};
    dir.write("raw/outside.json", boost::json::serialize(outside));
    auto overflowing = doc;
    overflowing.as_object()["run"] = 4;
    overflowing.as_object()["latency_us"].as_object()["buckets"] =
        boost::json::array{boost::json::array{1, UINT64_MAX}, boost::json::array{2, 2}};
    overflowing.as_object()["latency_us"].as_object()["count"] = 1;  // what the wrapped sum would say
    dir.write("raw/overflowing.json", boost::json::serialize(overflowing));

    const auto loaded = core::load_raw_results(dir.path() / "raw");
    CHECK(loaded.files == 5);
    CHECK(loaded.results.measurements.size() == 1);
    std::string all;
    for (const auto& p : loaded.problems) all += p + "\n";
    INFO(all);
    CHECK(loaded.problems.size() == 4);
    CHECK_THAT(all, Catch::Contains(huge.string() + ": too large for a raw result: it is 268435457 bytes, more than the "
                                                    "limit of 256 MiB"));
    CHECK_THAT(all, Catch::Contains("wide.json: histogram: highest 9223372036854775807 and significant_digits 5 need "));
    CHECK_THAT(all, Catch::Contains("shootout writes histograms of 23552 counts"));
    CHECK_THAT(all, Catch::Contains("outside.json: histogram: bucket index 1073741824 is outside the layout"));
    CHECK_THAT(all, Catch::Contains("overflowing.json: histogram: the bucket counts add up to more than"));
}
