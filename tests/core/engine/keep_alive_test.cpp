// Connection modes (keep_alive = true, false or N): the client closes a connection after its Nth
// request whatever the server does, asks the server to close too, and counts none of it as an
// error; the mode is recorded in the measurement.
#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "plugin_host.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
using namespace std::chrono_literals;

namespace {

struct mode_run {
    core::engine::engine_result result;
    std::uint64_t accepted = 0, requests = 0, asked_to_close = 0;
    const sdk::measurement& m() const { return result.measurement; }
};

// Two connections, no warm-up, so every request the server saw was measured (or in flight at
// the end) and every connection it accepted carried one of them (or was opened at the end).
mode_run run_mode(test::test_server& server, std::uint32_t requests_per_connection, sdk::load_plan plan) {
    const auto& host = test::builtin_plugin_host();
    const auto* info = host.find(core::plugin_kind::scenario, "ping");
    REQUIRE(info);
    const sdk::target target{"test", server.base_url(), "127.0.0.1:" + std::to_string(server.port()), ""};
    auto scenario = host.make_scenario(*info, info->defaults);
    scenario->prepare(target);
    core::engine::engine_config config;
    config.host = "127.0.0.1";
    config.port = server.port();
    config.threads = 1;
    config.verify_sample = 1;
    config.requests_per_connection = requests_per_connection;
    mode_run run;
    run.result = core::engine::run(config, *scenario, target, plan);
    run.accepted = server.connections_accepted();
    run.requests = server.requests();
    run.asked_to_close = server.requests_asking_to_close();
    INFO("completed " << run.m().completed << ", accepted " << run.accepted << ", requests " << run.requests
                      << ", asked to close " << run.asked_to_close << ", errors " << run.m().errors.total());
    CHECK(run.m().errors.total() == 0);
    CHECK(run.m().completed > 50);
    CHECK(run.m().requests_per_connection == requests_per_connection);
    return run;
}

sdk::load_plan closed(std::uint32_t connections) {
    sdk::load_plan plan;
    plan.phases.push_back({"measure", 600ms, true, connections, connections, 0, 0});
    return plan;
}

sdk::load_plan open_at(double rate) {
    sdk::load_plan plan;
    plan.model = sdk::load_model::open;
    plan.phases.push_back({"measure", 800ms, true, 4, 4, rate, rate});
    return plan;
}

}  // namespace

TEST_CASE("keep-alive: keep_alive = false opens one connection per request and asks the server to close",
          "[engine][keep-alive]") {
    test::test_server server;
    const auto run = run_mode(server, 1, closed(2));
    // Each completed request had its own connection; at the end up to two more were opening or in flight.
    CHECK(run.accepted >= run.m().completed);
    CHECK(run.accepted <= run.m().completed + 4);
    CHECK(run.asked_to_close == run.requests);
    CHECK(run.m().connect_us);
    CHECK(run.m().connect_us->count() >= run.m().completed);
}

TEST_CASE("keep-alive: a server that ignores Connection: close still gets one connection per request",
          "[engine][keep-alive]") {
    test::test_server server;
    server.set_faults({.ignore_connection_close = true});
    const auto run = run_mode(server, 1, closed(2));
    CHECK(run.accepted >= run.m().completed);
    CHECK(run.accepted <= run.m().completed + 4);
}

TEST_CASE("keep-alive: keep_alive = 10 closes each connection after its tenth request", "[engine][keep-alive]") {
    test::test_server server;
    server.set_faults({.ignore_connection_close = true});  // the client closes, not the server
    const auto run = run_mode(server, 10, closed(2));
    const double expected = static_cast<double>(run.m().completed) / 10;
    CHECK(static_cast<double>(run.accepted) >= expected);
    CHECK(static_cast<double>(run.accepted) <= expected + 4);
    // Only the tenth request of each connection says Connection: close (each of the two
    // connections may be part-way through its ten at the end).
    CHECK(run.asked_to_close <= run.accepted);
    CHECK(static_cast<double>(run.asked_to_close) >= expected - 2);
}

TEST_CASE("keep-alive: the default keeps a connection for every request", "[engine][keep-alive]") {
    test::test_server server;
    const auto run = run_mode(server, 0, closed(2));
    CHECK(run.accepted == 2);
    CHECK(run.asked_to_close == 0);
}

TEST_CASE("keep-alive: the open model under keep_alive = false connects for each request, and sends on time",
          "[engine][keep-alive]") {
    test::test_server server;
    const auto run = run_mode(server, 1, open_at(200));
    CHECK(run.m().completed == Approx(160).margin(20));
    CHECK(run.accepted >= run.m().completed);
    CHECK(run.accepted <= run.m().completed + 8);
    // Uncorrected latency starts at the send, on an established connection; the corrected one
    // starts at the planned time and so includes any connect a request waited for.
    REQUIRE(run.m().latency_uncorrected_us);
    CHECK(run.m().latency_us.value_at_percentile(50) >= run.m().latency_uncorrected_us->value_at_percentile(50));
}
