// `shootout compare`: verdicts, Welch's interval against scipy, the one-run wording, --fail-on,
// the JSON document, the HTML page's escaping and the error messages, on two synthetic runs
// written as raw files.
//
// The reference figures come from scipy 1.17 (pip install scipy in a scratch venv):
//   from scipy import stats
//   r = stats.ttest_ind(new, base, equal_var=False); r.confidence_interval(0.95); r.df
//   stats.t.ppf(0.975, dof)
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "commands/compare_render.h"
#include "files.h"
#include "result_fixture.h"
#include "results/raw_json.h"
#include "stats/compare.h"
#include "stats/compare_bounds.h"
#include "test_helpers.h"

using namespace shootout;
using namespace shootout::test;
namespace fs = std::filesystem;
namespace stats = shootout::core::stats;

namespace {

// 980 responses at p50 and 20 at p99 (the 990th of 1000 is the p99), p99 a little higher in
// each run: percentiles the test controls (the fixture's long tail makes its p99 jump).
sdk::histogram shaped(std::int64_t p50_us, std::int64_t p99_us) {
    sdk::histogram h;
    for (int i = 0; i < 980; ++i) h.record(p50_us);
    for (int i = 0; i < 20; ++i) h.record(p99_us);
    return h;
}

void add_runs(std::vector<sdk::measurement>& all, const std::string& fw, const std::string& scenario,
              const std::vector<double>& rates, std::int64_t p50_us, std::int64_t p99_us, std::uint32_t seed) {
    for (unsigned run = 1; run <= rates.size(); ++run) {
        auto m = measured(fw, scenario, "steady", run, rates[run - 1], p50_us, seed + run);
        m.latency_us = m.phases.at(0).latency_us = shaped(p50_us, p99_us + 40 * run);
        all.push_back(m);
    }
}

// BASE: fastapi, sanic, tornado with three runs each; flask and django with one; aquilia measured;
// tornado's upload only here.
std::vector<sdk::measurement> base_runs() {
    std::vector<sdk::measurement> all;
    add_runs(all, "fastapi", "ping", {10000, 10100, 9950}, 4200, 9000, 0);
    add_runs(all, "sanic", "ping", {10050, 9900, 10150}, 4100, 9000, 10);
    add_runs(all, "tornado", "ping", {6000, 6050, 5980}, 7800, 16000, 20);
    add_runs(all, "flask", "ping", {3000}, 11000, 22000, 30);
    add_runs(all, "django", "ping", {3000}, 14000, 28000, 40);
    add_runs(all, "aquilia", "ping", {2000, 2010, 2020}, 9000, 18000, 50);
    add_runs(all, "tornado", "upload", {500, 501}, 95000, 190000, 60);
    return all;
}

// NEW: fastapi faster, sanic slower and its latency up, tornado unchanged, flask with three runs,
// django with one (and slower to answer), aquilia failed (with markup in its reason), fastapi's json only here.
std::vector<sdk::measurement> new_runs() {
    std::vector<sdk::measurement> all;
    add_runs(all, "fastapi", "ping", {10600, 10750, 10500}, 4200, 9000, 100);
    add_runs(all, "sanic", "ping", {9000, 9100, 8950}, 6000, 13500, 110);
    add_runs(all, "tornado", "ping", {6010, 5990, 6060}, 7800, 16000, 120);
    add_runs(all, "flask", "ping", {3300, 3100, 3500}, 11000, 22000, 130);
    add_runs(all, "django", "ping", {3100}, 16000, 33600, 140);
    all.push_back(not_measured("aquilia", "ping", "steady", 1, sdk::outcome::failed,
                               "correctness check failed: body \"<script>alert(1)</script>\" is not 'pong'"));
    add_runs(all, "fastapi", "json", {7000, 7100}, 5000, 10000, 150);
    return all;
}

fs::path write_side(const fs::path& run_dir, const std::vector<sdk::measurement>& runs) {
    const auto raw = run_dir / "raw";
    fs::create_directories(raw);
    std::uint64_t sequence = 0;
    for (const auto& m : runs) {
        auto doc = core::measurement_to_json(m, fixture_environment());
        doc.as_object()["sequence"] = sequence++;
        core::write_file_atomically(raw / fmt::format("{}__{}__{}__run{}.json", m.framework, m.scenario, m.pattern, m.run),
                                    boost::json::serialize(doc));
    }
    return run_dir;
}

sdk::result_set result_set_of(std::vector<sdk::measurement> runs) {
    sdk::result_set r;
    r.measurements = std::move(runs);
    return r;
}

const stats::group_comparison& find(const stats::comparison& c, const std::string& fw) {
    for (const auto& g : c.groups)
        if (g.next->framework == fw && g.next->scenario == "ping") return g;
    FAIL("no comparison for " << fw);
    throw std::logic_error("unreachable");
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct two_runs {
    temp_dir dir;
    std::string base = write_side(dir.path() / "base", base_runs()).string();
    std::string next = write_side(dir.path() / "new", new_runs()).string();
};

}  // namespace

TEST_CASE("compare: the t quantile for real degrees of freedom is scipy's", "[core][compare]") {
    CHECK(stats::t_975_real(2) == Approx(4.302652729911275).epsilon(1e-9));
    CHECK(stats::t_975_real(2.5) == Approx(3.5746548420036817).epsilon(1e-9));
    CHECK(stats::t_975_real(3.7) == Approx(2.8675207071911895).epsilon(1e-9));
    CHECK(stats::t_975_real(3.297560975609756) == Approx(stats::t_975(3)).epsilon(0.2));  // between t(3) and t(4)
    CHECK(stats::t_975_real(3.297560975609756) < stats::t_975(3));
    CHECK(stats::t_975_real(3.297560975609756) > stats::t_975(4));
}

TEST_CASE("compare: faster, slower and no detectable change, with Welch's interval as scipy computes it", "[core][compare]") {
    const auto base_set = result_set_of(base_runs()), new_set = result_set_of(new_runs());
    const auto base = stats::summarize(base_set), next = stats::summarize(new_set);
    const auto c = stats::compare(base, next);

    const auto& fastapi = find(c, "fastapi");
    CHECK(fastapi.verdict == stats::change::faster);
    REQUIRE(fastapi.rps_difference);
    CHECK(fastapi.rps_difference->difference == Approx(600));
    CHECK(fastapi.rps_difference->dof == Approx(3.297560975609756).epsilon(1e-9));
    CHECK(fastapi.rps_difference->range.low == Approx(342.83976248079057).epsilon(1e-9));
    CHECK(fastapi.rps_difference->range.high == Approx(857.1602375192094).epsilon(1e-9));
    CHECK(*fastapi.rps.point == Approx(600.0 / 10000));  // medians: 10000 -> 10600
    CHECK(fastapi.rps.interval95->low == Approx(342.83976248079057 / (30050.0 / 3)));

    const auto& sanic = find(c, "sanic");
    CHECK(sanic.verdict == stats::change::slower);
    CHECK(sanic.rps_difference->range.low == Approx(-1273.8269041858773).epsilon(1e-9));
    CHECK(sanic.rps_difference->range.high == Approx(-759.5064291474584).epsilon(1e-9));
    CHECK(*sanic.p99.point == Approx(4500.0 / 9080).epsilon(0.005));  // merged p99: 9.08 ms -> 13.58 ms
    REQUIRE(sanic.p99.interval95);  // per-run p99s: 9040, 9080, 9120 -> 13540, 13580, 13620
    CHECK(sanic.p99.interval95->low > 0.45);
    CHECK(sanic.p99.interval95->high < 0.55);
    CHECK(*sanic.p50.point == Approx(6000.0 / 4100 - 1).epsilon(0.01));

    const auto& tornado = find(c, "tornado");
    CHECK(tornado.verdict == stats::change::no_detectable_change);
    CHECK(tornado.rps_difference->dof == Approx(4.0));
    CHECK(tornado.rps_difference->range.low == Approx(-71.73633075864458).epsilon(1e-9));
    CHECK(tornado.rps_difference->range.high == Approx(91.73633075864458).epsilon(1e-9));
    CHECK(std::abs(*tornado.p50.point) < 0.01);
    CHECK(std::abs(*tornado.p99.point) < 0.01);
}

TEST_CASE("compare: one run on a side has no interval and says how many runs would tell", "[core][compare]") {
    const auto base_set = result_set_of(base_runs()), new_set = result_set_of(new_runs());
    const auto base = stats::summarize(base_set), next = stats::summarize(new_set);
    const auto c = stats::compare(base, next);
    // flask: 3000 against 3300, 3100, 3500 (s = 200): t(0.975, 2n-2) · 200 · √(2/n) < 300 first at n = 5.
    const auto& flask = find(c, "flask");
    CHECK(flask.verdict == stats::change::no_interval);
    CHECK_FALSE(flask.rps.interval95);
    CHECK_THAT(flask.note, Catch::StartsWith("no interval: 5 runs per side are needed (from NEW's spread, s = 200.0"));
    CHECK(stats::runs_needed(300, 200) == 5u);
    CHECK_FALSE(stats::runs_needed(0, 200));
    CHECK(stats::runs_needed(1, 1000) == std::nullopt);
    const auto& django = find(c, "django");
    CHECK(django.verdict == stats::change::no_interval);
    CHECK_THAT(django.note, Catch::StartsWith("no interval: at least 2 runs per side are needed"));
    CHECK(*django.rps.point == Approx(0.1 / 3));  // the point change is still shown
}

TEST_CASE("compare: a group not ranked on a side, and groups in one side only, are named", "[core][compare]") {
    const auto base_set = result_set_of(base_runs()), new_set = result_set_of(new_runs());
    const auto base = stats::summarize(base_set), next = stats::summarize(new_set);
    const auto c = stats::compare(base, next);
    const auto& aquilia = find(c, "aquilia");
    CHECK(aquilia.verdict == stats::change::not_comparable);
    CHECK_FALSE(aquilia.rps.point);
    CHECK_THAT(aquilia.note, Catch::StartsWith("not ranked in NEW, failed: correctness check failed"));
    REQUIRE(c.only_base.size() == 1);
    CHECK(c.only_base[0].framework == "tornado");
    CHECK(c.only_base[0].scenario == "upload");
    REQUIRE(c.only_new.size() == 1);
    CHECK(c.only_new[0].scenario == "json");
}

TEST_CASE("compare: the console table shows each verdict and the notes, exit 0", "[core][compare]") {
    two_runs runs;
    const auto r = run_shootout({"compare", runs.base, runs.next});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("fastapi    ping      steady   10000 (3 runs)  10600 (3 runs)  +6.00 %"));
    CHECK_THAT(r.out, Catch::Contains("faster"));
    CHECK_THAT(r.out, Catch::Contains("slower"));
    CHECK_THAT(r.out, Catch::Contains("no detectable change"));
    CHECK_THAT(r.out, Catch::Contains("note: flask / ping / steady: no interval: 5 runs per side are needed"));
    CHECK_THAT(r.out, Catch::Contains("note: only in BASE: tornado / upload / steady"));
    CHECK_THAT(r.out, Catch::Contains("note: only in NEW: fastapi / json / steady"));
    // A run directory's raw/ and single raw files are accepted too.
    const auto files = run_shootout({"compare", runs.base + "/raw/fastapi__ping__steady__run1.json",
                                     runs.next + "/raw/fastapi__ping__steady__run1.json"});
    CHECK(files.exit_code == 0);
    CHECK_THAT(files.out, Catch::Contains("+6.00 %"));
    CHECK_THAT(files.out, Catch::Contains("no interval: at least 2 runs per side"));
    CHECK(run_shootout({"compare", runs.base + "/raw", runs.next}).exit_code == 0);
    // What `shootout run --json` printed is read through its "measurement".
    const auto adhoc = new_runs().front();
    const auto printed = runs.dir.write(
        "run.json", boost::json::serialize(boost::json::object{
                        {"schema", "shootout.run"}, {"measurement", core::measurement_to_json(adhoc, fixture_environment())}}));
    const auto from_run = run_shootout({"compare", runs.base + "/raw/fastapi__ping__steady__run1.json", printed.string()});
    CHECK(from_run.exit_code == 0);
    CHECK_THAT(from_run.out, Catch::Contains("10000 (1 run)  10600 (1 run)  +6.00 %"));
}

TEST_CASE("compare: --fail-on exits 1 naming each broken bound and its change, and refuses a malformed bound",
          "[core][compare]") {
    two_runs runs;
    auto r = run_shootout({"compare", runs.base, runs.next, "--fail-on", "rps:-5%", "--fail-on", "p99:+10%"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("fail: --fail-on rps:-5%: sanic / ping / steady: req/s -10.45 % (95 % interval"));
    CHECK_THAT(r.err, Catch::Contains("fail: --fail-on p99:+10%: sanic / ping / steady: p99 +"));
    CHECK_THAT(r.err, Catch::Contains("fail: --fail-on p99:+10%: django / ping / steady: p99 +"));
    CHECK_THAT(r.err, Catch::Contains("(merged histograms; one run on a side, so no interval)"));
    CHECK(r.err.find("rps:-5%: fastapi") == std::string::npos);
    CHECK(r.err.find("rps:-5%: tornado") == std::string::npos);
    CHECK_THAT(r.out, Catch::Contains("--fail-on rps:-5% not judged for flask / ping / steady: no interval"));
    // A drop of 10.45 % whose interval reaches above -15 % is not a regression beyond 15 % with confidence.
    r = run_shootout({"compare", runs.base, runs.next, "--fail-on", "rps:-15%", "--fail-on", "p50:+60%"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("fail:") == std::string::npos);
    for (const char* bad : {"rps:5%", "rps:+5%", "p99:-10%", "p95:+10%", "rps-5%", "rps:-5", "rps:-five%", "rps:-%"}) {
        INFO(bad);
        r = run_shootout({"compare", runs.base, runs.next, "--fail-on", bad});
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(fmt::format("--fail-on \"{}\":", bad)));
        CHECK_THAT(r.err, Catch::Contains("accepted forms: rps:-X%"));
    }
    CHECK(stats::parse_bound("p50:+2.5%").limit == Approx(0.025));
    CHECK(stats::parse_bound("rps:-5%").limit == Approx(-0.05));
}

TEST_CASE("compare: --json is one shootout.compare document with numbers, and null where there is none", "[core][compare]") {
    two_runs runs;
    const auto r = run_shootout({"compare", runs.base, runs.next, "--json", "--fail-on", "rps:-5%"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("schema") == "shootout.compare");
    CHECK(doc.at("schema_version") == 1);
    const auto& groups = doc.at("groups").as_array();
    REQUIRE(groups.size() == 6);
    const auto& fastapi = groups[0].as_object();
    CHECK(fastapi.at("framework") == "fastapi");
    CHECK(fastapi.at("verdict") == "faster");
    CHECK(fastapi.at("note").is_null());
    CHECK(fastapi.at("rps").at("change_percent").as_double() == Approx(6));
    CHECK(fastapi.at("rps").at("difference_interval95").at("low").as_double() == Approx(342.83976248079057));
    CHECK(fastapi.at("base").at("runs") == 3);
    CHECK(fastapi.at("base").at("p99_us").is_int64());
    const auto& flask = groups[3].as_object();
    CHECK(flask.at("verdict") == "no interval");
    CHECK(flask.at("rps").at("change_interval95_percent").is_null());
    CHECK(flask.at("rps").at("dof").is_null());
    CHECK(flask.at("base").at("rps_stdev").is_null());
    CHECK(groups[5].at("rps").at("change_percent").is_null());  // aquilia failed in NEW
    CHECK(doc.at("only_in_base").as_array().size() == 1);
    CHECK(doc.at("fail_on").at("given").as_array().size() == 1);
    CHECK(doc.at("fail_on").at("failed").as_array().at(0).at("framework") == "sanic");
}

TEST_CASE("compare: --output writes compare.md, compare.json and a self-contained compare.html, every name escaped",
          "[core][compare]") {
    two_runs runs;
    const auto out = runs.dir.path() / "cmp";
    const auto r = run_shootout({"compare", runs.base, runs.next, "--output", out.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto html = read_text(out / "compare.html");
    CHECK(html.find("<script>alert(1)") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("<td class=\"faster\">faster</td>") != std::string::npos);
    for (const char* external : {"http://", "https://", "src=", "<link", "@import"}) CHECK(html.find(external) == std::string::npos);
    const auto md = read_text(out / "compare.md");
    CHECK(md.find("<script>") == std::string::npos);
    CHECK(md.find("| fastapi | ping | steady | 10000 (3 runs) | 10600 (3 runs) | +6.00 % |") != std::string::npos);
    CHECK(boost::json::parse(read_text(out / "compare.json")).at("schema") == "shootout.compare");
}

TEST_CASE("compare: a side without raw results, unreadable files and nothing in common say what and where",
          "[core][compare]") {
    two_runs runs;
    fs::create_directories(runs.dir.path() / "empty");
    const auto empty = (runs.dir.path() / "empty").string();
    auto r = run_shootout({"compare", empty, runs.next});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("BASE " + empty + ": no raw results here (expected " + empty + "/raw/*.json"));
    r = run_shootout({"compare", runs.base, runs.dir.path().string() + "/missing"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("NEW " + runs.dir.path().string() + "/missing: no such directory"));

    runs.dir.write("new/raw/zz-broken.json", "not json");
    r = run_shootout({"compare", runs.base, runs.next});
    CHECK(r.exit_code == 1);  // compared without it, and said so
    CHECK_THAT(r.err, Catch::Contains("warning: NEW: skipped " + runs.next + "/raw/zz-broken.json: broken JSON"));
    CHECK_THAT(r.err, Catch::Contains("leaves out 1 raw result file(s)"));
    CHECK_THAT(r.out, Catch::Contains("faster"));
    r = run_shootout({"compare", runs.base, runs.next + "/raw/zz-broken.json"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("NEW " + runs.next + "/raw/zz-broken.json: not a raw result shootout can read"));

    fs::copy_file(runs.dir.path() / "base/raw/sanic__ping__steady__run1.json", runs.dir.path() / "base/raw/copy.json");
    r = run_shootout({"compare", runs.base, runs.base + "/raw/sanic__ping__steady__run1.json"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("error: BASE: copy.json and sanic__ping__steady__run1.json both hold sanic / ping / "
                                      "steady / run 1"));
    CHECK_THAT(r.err, Catch::Contains("error: nothing compared: BASE " + runs.base + "/raw holds 1 measurement(s) twice"));
    CHECK(r.out.empty());

    r = run_shootout({"compare", runs.base + "/raw/tornado__upload__steady__run1.json",
                      runs.next + "/raw/fastapi__json__steady__run1.json"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("have no (framework, scenario, pattern) in common: BASE has tornado / upload / steady; "
                                      "NEW has fastapi / json / steady"));
}
