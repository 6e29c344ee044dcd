// The fault suite: the engine against a server that misbehaves on the wire (bytes dribbled,
// headers or bodies without end, broken chunks, answers twice, WebSocket frames of absurd
// length). Each fault is classified in its error class, never counted as a success, and the run
// ends on time with the engine's memory bounded.
#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "engine/engine.h"
#include "plugin_host.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

std::int64_t rss_kb() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            std::int64_t kb = 0;
            status >> kb;
            return kb;
        }
        status.ignore(4096, '\n');
    }
    return 0;
}

// The most this process's resident memory grew while a run went on, sampled every 5 ms.
class rss_growth {
public:
    rss_growth() : start_(rss_kb()), peak_(start_) {
        thread_ = std::thread([this] {
            while (!done_) {
                peak_ = std::max<std::int64_t>(peak_, rss_kb());
                std::this_thread::sleep_for(5ms);
            }
        });
    }
    ~rss_growth() { stop(); }
    std::int64_t stop_mb() {
        stop();
        return (peak_ - start_) / 1024;
    }

private:
    void stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::int64_t start_;
    std::atomic<std::int64_t> peak_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

struct fault_run {
    core::engine::engine_result result;
    std::chrono::milliseconds took{};
    std::int64_t rss_growth_mb = 0;
    const sdk::measurement& m() const { return result.measurement; }
    std::string first_failure() const { return result.failures.empty() ? "" : result.failures.front(); }
};

// `scenario_id` through the engine against `server`, one thread, verifying every response.
fault_run run_against(const test::test_server& server, const std::string& scenario_id, const sdk::load_plan& plan,
                      std::chrono::milliseconds request_timeout = 2000ms) {
    const auto& host = test::builtin_plugin_host();
    const auto* info = host.find(core::plugin_kind::scenario, scenario_id);
    REQUIRE(info);
    auto scenario = host.make_scenario(*info, info->defaults);
    const sdk::target target{"test", server.base_url(), "127.0.0.1:" + std::to_string(server.port()), ""};
    scenario->prepare(target);
    core::engine::engine_config config;
    config.host = "127.0.0.1";
    config.port = server.port();
    config.threads = 1;
    config.verify_sample = 1;
    config.request_timeout = request_timeout;
    fault_run run;
    rss_growth rss;
    const auto start = steady::now();
    run.result = core::engine::run(config, *scenario, target, plan);
    run.took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    run.rss_growth_mb = rss.stop_mb();
    INFO("completed " << run.m().completed << ", errors: read " << run.m().errors.read << " timeout "
                      << run.m().errors.timeout << " verify " << run.m().errors.verify << "; first failure '"
                      << run.first_failure() << "', took " << run.took.count() << " ms, memory +" << run.rss_growth_mb
                      << " MB");
    return run;
}

sdk::load_plan closed(std::chrono::milliseconds length, std::uint32_t connections) {
    sdk::load_plan plan;
    plan.phases.push_back({"measure", length, true, connections, connections, 0, 0});
    return plan;
}

sdk::load_plan open(std::chrono::milliseconds length, std::uint32_t connections, double rate) {
    sdk::load_plan plan;
    plan.model = sdk::load_model::open;
    plan.phases.push_back({"measure", length, true, connections, connections, rate, rate});
    return plan;
}

// The run ended within a margin of its plan, whatever the server did.
void check_on_time(const fault_run& run, std::chrono::milliseconds planned) { CHECK(run.took < planned + 1500ms); }

}  // namespace

TEST_CASE("engine faults: an answer dribbled a byte at a time completes, timed to its last byte", "[engine][faults]") {
    test::test_server server;
    server.set_faults({.byte_drip = 200us});
    const auto run = run_against(server, "ping", closed(800ms, 2));
    CHECK(run.m().errors.total() == 0);
    CHECK(run.m().completed > 0);
    // The answer is over 70 bytes, each 200 µs after the last: none can take less than 14 ms.
    CHECK(run.m().latency_us.min() >= 14'000);
    check_on_time(run, 800ms);
}

TEST_CASE("engine faults: an answer dribbled slower than the request timeout is a timeout, not a success",
          "[engine][faults]") {
    test::test_server server;
    server.set_faults({.byte_drip = 5ms});
    const auto run = run_against(server, "ping", closed(1000ms, 2), 200ms);
    CHECK(run.m().completed == 0);
    CHECK(run.m().errors.timeout >= 4);
    CHECK(run.m().errors.total() == run.m().errors.timeout);
    CHECK(run.first_failure() == "no complete response within 200 ms");
    check_on_time(run, 1000ms);
}

TEST_CASE("engine faults: headers that never end are refused at Beast's header limit, with bounded memory",
          "[engine][faults]") {
    test::test_server server;
    server.set_faults({.endless_headers = true});
    const auto run = run_against(server, "ping", closed(500ms, 2));
    CHECK(run.m().completed == 0);
    CHECK(run.m().errors.read > 0);
    CHECK(run.m().errors.total() == run.m().errors.read);
    CHECK(run.first_failure() == "malformed response: header limit exceeded");
    CHECK(run.rss_growth_mb < 64);
    check_on_time(run, 500ms);
}

TEST_CASE("engine faults: an endless body is a timeout, streamed through in bounded memory", "[engine][faults]") {
    test::test_server server;
    server.set_faults({.endless_body = true});
    const auto run = run_against(server, "ping", closed(1000ms, 2), 300ms);
    CHECK(run.m().completed == 0);
    CHECK(run.m().errors.timeout >= 2);
    CHECK(run.m().errors.total() == run.m().errors.timeout);
    CHECK(run.first_failure() == "no complete response within 300 ms");
    // The server sends as fast as loopback carries (gigabytes here); the engine keeps none of it.
    CHECK(run.rss_growth_mb < 64);
    check_on_time(run, 1000ms);
}

TEST_CASE("engine faults: bad chunk framing, a size that is not hex or data without its CRLF, is a read error",
          "[engine][faults]") {
    for (const auto fault : {test::chunk_fault::bad_size, test::chunk_fault::missing_crlf}) {
        test::test_server server;
        server.set_faults({.bad_chunk = fault});
        const auto run = run_against(server, "ping", closed(300ms, 2));
        CHECK(run.m().completed == 0);
        CHECK(run.m().errors.read > 0);
        CHECK(run.m().errors.total() == run.m().errors.read);
        CHECK(run.first_failure() == "malformed response: bad chunk");
        check_on_time(run, 300ms);
    }
}

TEST_CASE("engine faults: a duplicate answer in the same write is a read error, and the request is not credited",
          "[engine][faults]") {
    test::test_server server;
    server.set_faults({.duplicate_response = true});
    const auto run = run_against(server, "ping", closed(300ms, 2));
    CHECK(run.m().completed == 0);
    CHECK(run.m().errors.read > 0);
    CHECK(run.m().errors.total() == run.m().errors.read);
    CHECK(run.first_failure() == "the server sent more bytes than the response holds");
}

TEST_CASE("engine faults: a late duplicate answer is a read error, never paired with the next request",
          "[engine][faults]") {
    // Open model, 100 requests/s on 4 connections: the copy comes 2 ms after the answer, while the
    // connection waits for its next planned request with nothing in flight.
    test::test_server server;
    server.set_faults({.duplicate_response = true, .duplicate_after = 2ms});
    const auto run = run_against(server, "ping", open(1000ms, 4, 100));
    CHECK(run.m().completed == Approx(100).margin(10));
    // Every answer is followed by its copy: one read error each, and none counted as an answer.
    CHECK(run.m().errors.read == Approx(static_cast<double>(run.m().completed)).margin(3));
    CHECK(run.m().errors.total() == run.m().errors.read);
    CHECK(run.m().completed <= server.requests());
    CHECK(run.first_failure() == "the server sent bytes nobody asked for");
    check_on_time(run, 1000ms);
}

TEST_CASE("engine faults: a WebSocket frame announcing 2^63-1 bytes, or more than the message limit, is a protocol "
          "error with bounded memory",
          "[engine][faults][websocket]") {
    const std::uint64_t absurd = (std::uint64_t{1} << 63) - 1, over_limit = (std::uint64_t{1} << 30) + 1;
    for (const auto length : {absurd, over_limit}) {
        test::test_server server;
        server.set_faults({.websocket_frame_length = length});
        const auto run = run_against(server, "ws-echo", closed(300ms, 2));
        CHECK(run.m().completed == 0);
        CHECK(run.m().errors.read > 0);
        CHECK(run.m().errors.total() == run.m().errors.read);
        CHECK(run.first_failure() == fmt::format("WebSocket protocol error: the server sent a message of at least {} "
                                                 "bytes, more than the limit of 1073741824 bytes",
                                                 length));
        CHECK(run.rss_growth_mb < 64);
        check_on_time(run, 300ms);
    }
}

TEST_CASE("engine faults: under the closed model a late duplicate shows as read errors, far above any error budget",
          "[engine][faults]") {
    // The next request leaves as soon as an answer is in, so a copy 2 ms late arrives while the
    // next one waits: HTTP/1.1 has no request id to tell them apart, and it is taken for that
    // answer. What gives the server away is the answer that follows it, which comes with it or
    // when nothing was asked: read errors in every run, never a clean pass.
    test::test_server server;
    server.set_faults({.duplicate_response = true, .duplicate_after = 2ms});
    const auto run = run_against(server, "ping", closed(1000ms, 2));
    INFO("completed " << run.m().completed << ", read errors " << run.m().errors.read << ", server requests "
                      << server.requests());
    CHECK(run.m().errors.total() == run.m().errors.read);
    // Each copy shifts the pairing until the surplus is seen: about one error per two answers here.
    CHECK(run.m().errors.read * 10 > run.m().completed);
    check_on_time(run, 1000ms);
}
