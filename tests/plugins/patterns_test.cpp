// Load patterns through the whole tool: the plan each makes, and the load the engine applies.
#include <fstream>
#include <sstream>

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
    CHECK(doc.at("measurement").at("errors").at("connect").to_number<std::uint64_t>() == 0);
    CHECK(doc.at("measurement").at("connections").at("asked").to_number<std::uint64_t>() == 500);
    const auto& stages = doc.at("measurement").at("phases").as_array();
    REQUIRE(stages.size() == 3);
    CHECK(stages[0].at("name") == "ramp");
    CHECK(stages[1].at("name") == "hold");
    CHECK(stages[2].at("name") == "cooldown");
    for (const auto& s : stages) CHECK(s.at("completed").to_number<std::uint64_t>() > 0);
    CHECK(stages[1].at("connections_open").to_number<std::int64_t>() == 500);
    // The cooldown ends near its 10: connections follow the plan on a 50 ms tick, so at the end
    // they may still be where the plan was one tick before, 10 + 490 × 0.05 / 2 ≈ 22, plus one.
    CHECK(stages[2].at("connections_open").to_number<std::int64_t>() <= 23);

    // The bar: during the hold, the open connections follow the plan within 5 % at every second.
    const auto& timeline = doc.at("measurement").at("timeline").as_array();
    REQUIRE(timeline.size() == 7);
    for (std::size_t second = 2; second < 5; ++second) {
        const auto& point = timeline[second];
        const auto planned = point.at("planned_connections").to_number<double>();
        const auto open = point.at("open_connections").to_number<double>();
        INFO("second " << second << ": planned " << planned << ", open " << open);
        CHECK(planned == 500);
        CHECK(std::abs(open - planned) <= 0.05 * planned);
    }
    // During the ramp the pool grows with the plan, not all at once.
    const auto first = timeline[0].at("open_connections").to_number<double>();
    CHECK(first < 400);
    CHECK(first > 150);
}

TEST_CASE("patterns: spike stages that do not parse name the stage and the fix", "[plugins][patterns]") {
    auto r = test::run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "spike", "--pattern-option",
                                 "stages=ramp 60 10->500"});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err.rfind("--pattern-option stages: pattern 'spike': stage \"ramp 60 10->500\": '60' is not a duration of up "
                      "to a week (500ms, 30s, 2m, 1h); write \"NAME DURATION FROM->TO\" (a ramp) or \"NAME DURATION N\" (a hold)",
                      0) == 0);
}

namespace {

boost::json::object run_json(const std::vector<std::string>& args) {
    auto r = test::run_shootout(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return boost::json::parse(r.out).as_object();
}

double number(const boost::json::value& v) { return v.to_number<double>(); }

}  // namespace

TEST_CASE("patterns: constant-rate sends at the planned rate and keeps both latencies", "[plugins][patterns]") {
    test::test_server server(1);
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", "ping",
                               "--pattern", "constant-rate", "--rate", "1000", "--duration", "3s", "--warmup", "500ms",
                               "--threads", "2", "--json"});
    CHECK(number(doc.at("measurement").at("completed")) == Approx(3000).epsilon(0.02));
    CHECK(number(doc.at("measurement").at("errors").at("status")) == 0);
    const auto& rate = doc.at("measurement").at("rate_plan");
    CHECK(number(rate.at("planned")) == Approx(1000).epsilon(0.001));
    CHECK(number(rate.at("achieved")) == Approx(1000).epsilon(0.02));
    // Both latencies are kept; the corrected one counts from the planned time, so it is never lower.
    const auto& corrected = doc.at("measurement").at("latency_us");
    const auto& uncorrected = doc.at("measurement").at("latency_uncorrected_us");
    CHECK(number(uncorrected.at("p50")) > 0);
    CHECK(number(corrected.at("p50")) >= number(uncorrected.at("p50")));
    CHECK(number(corrected.at("max")) >= number(uncorrected.at("max")));
    // The pool grows on demand: a fast server needs a handful of connections, not the cap.
    CHECK(number(doc.at("measurement").at("connections").at("asked")) == 256);
    CHECK(number(doc.at("measurement").at("connections").at("established")) < 64);
    for (const auto& point : doc.at("measurement").at("timeline").as_array()) CHECK(number(point.at("planned_rate")) == Approx(1000));
}

TEST_CASE("patterns: constant-rate follows rate stages, a ramp included", "[plugins][patterns]") {
    test::test_server server(1);
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", "ping",
                               "--pattern", "constant-rate", "--warmup", "0s", "--threads", "1", "--pattern-option",
                               "stages=ramp 2s 200->1000, hold 1s 1000", "--json"});
    const auto& stages = doc.at("measurement").at("phases").as_array();
    REQUIRE(stages.size() == 2);
    // A linear ramp from 200/s to 1000/s over 2 s plans 1200 requests; the hold plans 1000.
    CHECK(number(stages[0].at("completed")) == Approx(1200).epsilon(0.03));
    CHECK(number(stages[1].at("completed")) == Approx(1000).epsilon(0.03));
    CHECK(number(doc.at("measurement").at("rate_plan").at("planned")) == Approx(2200.0 / 3).epsilon(0.001));
    const auto& timeline = doc.at("measurement").at("timeline").as_array();
    REQUIRE(timeline.size() == 3);
    CHECK(number(timeline[0].at("planned_rate")) == Approx(600));  // at the end of second 0
    CHECK(number(timeline[0].at("completed")) == Approx(400).epsilon(0.05));
    CHECK(number(timeline[1].at("completed")) == Approx(800).epsilon(0.05));
}

TEST_CASE("patterns: constant-rate sends the planned count with more threads than the pool's cap", "[plugins][patterns]") {
    // 100/s over 2 s is 200 requests, whatever the threads: extra threads (past the cap of 64)
    // are not started, and the senders' first sends are spread over one interval. Before, 256
    // threads bunched the offsets of the 64 that had a connection near 0 and sent 223.
    test::test_server server(1);
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", "ping",
                               "--pattern", "constant-rate", "--rate", "100", "--duration", "2s", "--warmup", "0s",
                               "--connections", "64", "--threads", "256", "--json"});
    const double sent = number(doc.at("measurement").at("completed"));
    // Room for a stall of the loaded machine at the end; the old bunching sent 223.
    CHECK(sent >= 185);
    CHECK(sent <= 210);
    CHECK(number(doc.at("measurement").at("rate_plan").at("planned")) == Approx(100));
}

TEST_CASE("patterns: constant-rate against a stall charges it to every delayed request", "[plugins][patterns]") {
    // The Beast test server freezes for 0.6 s in the middle of a 6 s run at 1000/s: 10 % of the
    // requests are delayed by 0 to 0.6 s, so the corrected p99 is 0.6 - 0.06 = 0.54 s, while
    // the uncorrected p99 (from each actual send) stays low: at most the pool's 16 requests were
    // on the wire when the server froze.
    test::test_server server(1);
    server.stall(std::chrono::steady_clock::now() + std::chrono::milliseconds(500 + 2700),
                 std::chrono::milliseconds(600));
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", "ping",
                               "--pattern", "constant-rate", "--rate", "1000", "--duration", "6s", "--warmup", "500ms",
                               "--connections", "16", "--threads", "1", "--json"});
    const double p99 = number(doc.at("measurement").at("latency_us").at("p99")) / 1e6;
    const double max = number(doc.at("measurement").at("latency_us").at("max")) / 1e6;
    const double raw_p99 = number(doc.at("measurement").at("latency_uncorrected_us").at("p99")) / 1e6;
    INFO("corrected p99 " << p99 << " s, max " << max << " s, uncorrected p99 " << raw_p99 << " s");
    CHECK(p99 >= 0.9 * 0.54);
    CHECK(p99 <= 1.5 * 0.54);
    CHECK(max >= 0.55);
    CHECK(max <= 0.7);
    CHECK(raw_p99 < 0.03);
    // Nothing is dropped: the requests planned during the stall went out late, once a
    // connection was free, and were answered.
    CHECK(number(doc.at("measurement").at("completed")) == Approx(6000).epsilon(0.02));
    CHECK(number(doc.at("measurement").at("rate_plan").at("late_requests")) > 300);
}

TEST_CASE("patterns: constant-rate beyond what the pool's cap can carry says so", "[plugins][patterns]") {
    // 10 connections to a server that takes 50 ms per answer carry at most 200/s of the 1000/s planned.
    test::test_server server(1);
    test::faults slow;
    slow.delay = std::chrono::milliseconds(50);
    server.set_faults(slow);
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", "ping",
                               "--pattern", "constant-rate", "--rate", "1000", "--duration", "2s", "--warmup", "0s",
                               "--connections", "10", "--threads", "1", "--json"});
    CHECK(number(doc.at("measurement").at("connections").at("established")) == 10);
    CHECK(number(doc.at("measurement").at("rate_plan").at("achieved")) < 250);
    CHECK(number(doc.at("measurement").at("rate_plan").at("late_requests")) > 100);
    // About 2000 planned, 400 sent: the rest were still due when the load stopped, and say so.
    CHECK(number(doc.at("measurement").at("rate_plan").at("unsent_at_end")) > 1000);
    const auto& warnings = doc.at("measurement").at("warnings").as_array();
    REQUIRE(!warnings.empty());
    CHECK(std::string(warnings[0].as_string()).rfind("generator-bound: planned load not reached", 0) == 0);
    // Requests wait for a connection rather than vanish, so the latency shows the queue.
    CHECK(number(doc.at("measurement").at("latency_us").at("p99")) > 500'000);
}

TEST_CASE("patterns: --rate needs a pattern that has a rate", "[plugins][patterns]") {
    auto r = test::run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "steady", "--rate", "100"});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == "--rate: pattern 'steady' has no option 'rate'; use --pattern constant-rate\n");
    auto zero = test::run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "constant-rate", "--rate", "0"});
    CHECK(zero.exit_code == core::exit_usage);
    CHECK(zero.err.find("rate") != std::string::npos);
    CHECK(zero.err.find("must be more than 0") != std::string::npos);
}

TEST_CASE("patterns: constant-rate, spike and ws-echo from a manifest, down to the raw results and the reports",
          "[plugins][patterns][websocket]") {
    test::test_server server(1), no_websocket(1);
    test::faults refuse;
    refuse.refuse_websocket = true;
    no_websocket.set_faults(refuse);
    test::temp_dir dir;
    const auto manifest = dir.write("m.toml", R"(
output_dir = "out"
scenarios = ["ping", "ws-echo"]
patterns = ["constant-rate", "spike"]
reporters = ["md", "json"]

[pattern.constant-rate]
rate = 400
warmup = "0s"
duration = "1s"
connections = 16

[pattern.spike]
stages = ["ramp 500ms 2->20", "hold 500ms 20"]

[engine]
threads = 1

[[framework]]
name = "echo"
url = ")" + server.base_url() + R"("

[[framework]]
name = "plain"
url = ")" + no_websocket.base_url() + R"("
)");
    auto r = test::run_shootout({"--log-level", "warn", "--config", manifest.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);  // "not supported" is not a failure
    const auto run_dir = dir.path() / "out" / "latest";
    auto raw = [&](const std::string& name) {
        std::ifstream in(run_dir / "raw" / (name + ".json"));
        std::stringstream text;
        text << in.rdbuf();
        INFO(name);
        REQUIRE(!text.str().empty());
        return boost::json::parse(text.str()).as_object();
    };
    for (const char* scenario : {"ping", "ws-echo"}) {
        INFO(scenario);
        const auto open = raw(std::string("echo__") + scenario + "__constant-rate__run1");
        CHECK(open.at("outcome") == "measured");
        CHECK(number(open.at("completed")) == Approx(400).epsilon(0.05));
        CHECK(number(open.at("rate_plan").at("planned")) == Approx(400));
        CHECK(number(open.at("rate_plan").at("achieved")) == Approx(400).epsilon(0.05));
        CHECK(open.contains("latency_uncorrected_us"));
        const auto spike = raw(std::string("echo__") + scenario + "__spike__run1");
        CHECK(spike.at("outcome") == "measured");
        REQUIRE(spike.at("phases").as_array().size() == 2);
        CHECK(number(spike.at("phases").as_array()[1].at("connections_open")) == 20);
    }
    CHECK(raw("echo__ws-echo__spike__run1").contains("handshake_us"));
    for (const char* pattern : {"constant-rate", "spike"}) {
        const auto refused = raw(std::string("plain__ws-echo__") + pattern + "__run1");
        CHECK(refused.at("outcome") == "not_supported");
        CHECK(std::string(refused.at("reason").as_string()).find("status 404") != std::string::npos);
        CHECK(raw(std::string("plain__ping__") + pattern + "__run1").at("outcome") == "measured");
    }
    std::ifstream md_in(run_dir / "REPORT.md");
    std::stringstream md;
    md << md_in.rdbuf();
    CHECK_THAT(md.str(), Catch::Contains("**plain**, ws-echo / constant-rate, ws-echo / spike: not supported: the server does not offer WebSocket at /ws-echo"));
}

TEST_CASE("patterns: constant-rate with fewer connections than threads still sends the whole rate",
          "[plugins][patterns]") {
    // Two threads, a pool of one: the thread without a connection must carry none of the rate.
    test::test_server server(1);
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", "ping",
                               "--pattern", "constant-rate", "--rate", "300", "--duration", "1s", "--warmup", "0s",
                               "--connections", "1", "--threads", "2", "--json"});
    CHECK(number(doc.at("measurement").at("rate_plan").at("achieved")) == Approx(300).epsilon(0.03));
    CHECK(number(doc.at("measurement").at("completed")) == Approx(300).epsilon(0.03));
    CHECK(number(doc.at("measurement").at("connections").at("established")) == 1);
}

TEST_CASE("patterns: rate stages refuse nan, inf and durations beyond a week", "[plugins][patterns]") {
    for (const char* stages : {"stages=hold 10s nan", "stages=hold 10s inf", "stages=hold infs 100", "stages=hold 200h 100"}) {
        INFO(stages);
        auto r = test::run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "constant-rate",
                                     "--pattern-option", stages});
        CHECK(r.exit_code == core::exit_usage);
        CHECK(r.err.find("--pattern-option stages: pattern 'constant-rate': stage \"hold") == 0);
    }
}
