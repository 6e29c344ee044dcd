// The load engine against the misbehaving test server: every error class is provoked and counted
// in its own counter, and nothing that failed counts as a completed request.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "plugin_host.h"
#include "runner.h"
#include "launcher/http_probe.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
using core::launcher::free_loopback_port;
using namespace std::chrono_literals;

namespace {

const core::plugin_host& plugins() { return test::builtin_plugin_host(); }

std::unique_ptr<sdk::scenario> scenario(const std::string& id, const sdk::target& target) {
    const auto* info = plugins().find(core::plugin_kind::scenario, id);
    REQUIRE(info);
    auto s = plugins().make_scenario(*info, info->defaults);
    s->prepare(target);
    return s;
}

sdk::target target_at(std::uint16_t port) {
    return {"test", "http://127.0.0.1:" + std::to_string(port), "127.0.0.1:" + std::to_string(port), ""};
}

sdk::load_plan plan(std::chrono::nanoseconds measure, std::uint32_t connections, std::chrono::nanoseconds warmup = 0s) {
    sdk::load_plan p;
    if (warmup > 0s) p.phases.push_back({"warmup", warmup, false, connections, connections, 0, 0});
    p.phases.push_back({"measure", measure, true, connections, connections, 0, 0});
    return p;
}

core::engine::engine_result load(const std::string& id, std::uint16_t port, std::chrono::nanoseconds measure,
                                 std::uint32_t connections, std::function<void(core::engine::engine_config&)> tweak = {}) {
    const auto target = target_at(port);
    auto s = scenario(id, target);
    core::engine::engine_config config;
    config.host = "127.0.0.1";
    config.port = port;
    config.threads = 1;
    config.verify_sample = 1;
    if (tweak) tweak(config);
    return core::engine::run(config, *s, target, plan(measure, connections));
}


// Accepts connections and resets them at once (SO_LINGER 0): a client sending a large body
// gets ECONNRESET or EPIPE on its writes.
class resetting_server {
public:
    resetting_server() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd_, 64);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] {
            while (!stop_) {
                const int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0) continue;
                std::this_thread::sleep_for(5ms);  // let the client start writing
                linger l{1, 0};
                ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                ::close(c);
            }
        });
    }
    ~resetting_server() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    std::uint16_t port() const { return port_; }

private:
    int fd_;
    std::uint16_t port_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("engine: a healthy server: every request completes, is timed and counted", "[engine]") {
    test::test_server server;
    auto r = load("ping", server.port(), 1s, 4, [](auto& c) { c.verify_sample = 10; });
    const auto& m = r.measurement;
    CHECK(m.completed > 200);
    CHECK(m.errors.total() == 0);
    CHECK(m.latency_us.count() == m.completed);
    CHECK(m.latency_us.value_at_percentile(50) > 0);
    CHECK(m.verified >= m.completed / 10 - 4);
    CHECK(m.verified <= m.completed / 10 + 4);
    CHECK(m.connections_asked == 4);
    CHECK(m.connections_established == 4);
    CHECK(m.seconds == Approx(1.0).margin(0.05));
    CHECK(m.rate == Approx(static_cast<double>(m.completed) / m.seconds));
    CHECK(m.generator_cpu_seconds > 0);
    CHECK(m.bytes_received > m.completed * 4);
    REQUIRE(m.timeline.size() == 1);
    CHECK(m.timeline[0].completed + 8 >= m.completed);
    CHECK(r.failures.empty());
}

TEST_CASE("engine: several threads share the connections and merge their results", "[engine]") {
    test::test_server server(2);
    auto r = load("ping", server.port(), 1500ms, 6, [](auto& c) { c.threads = 3; });
    const auto& m = r.measurement;
    CHECK(m.connections_established == 6);
    CHECK(m.errors.total() == 0);
    CHECK(m.latency_us.count() == m.completed);
    REQUIRE(m.timeline.size() == 2);
    CHECK(m.timeline[0].completed + m.timeline[1].completed == m.completed);
    CHECK(m.timeline[0].open_connections == 6);
}

TEST_CASE("engine: the warm-up is applied but not recorded", "[engine]") {
    test::test_server server;
    const auto target = target_at(server.port());
    auto s = scenario("ping", target);
    core::engine::engine_config config;
    config.host = "127.0.0.1";
    config.port = server.port();
    auto r = core::engine::run(config, *s, target, plan(500ms, 2, 1s));
    CHECK(r.measurement.seconds == Approx(0.5).margin(0.05));
    CHECK(server.requests() > r.measurement.completed + 10);  // the warm-up's requests were sent
    CHECK(r.measurement.timeline.size() == 1);
}

TEST_CASE("engine: error class connect: nothing listens", "[engine][errors]") {
    auto r = load("ping", free_loopback_port(), 500ms, 2);
    CHECK(r.measurement.errors.connect > 0);
    CHECK(r.measurement.completed == 0);
    CHECK(r.measurement.connections_established == 0);
    REQUIRE_FALSE(r.failures.empty());
    REQUIRE_FALSE(r.failures.empty());
    CHECK(r.failures[0] == "connect: Connection refused");
}

TEST_CASE("engine: error class read: the server closes in the middle of a response", "[engine][errors]") {
    test::test_server server;
    server.set_faults({.close_mid_response = true});
    auto r = load("stream", server.port(), 500ms, 2);
    INFO("completed " << r.measurement.completed << " verify " << r.measurement.errors.verify << " bytes "
                      << r.measurement.bytes_received << " requests " << server.requests());
    CHECK(r.measurement.errors.read > 0);
    CHECK(r.measurement.completed == 0);
    REQUIRE_FALSE(r.failures.empty());
    CHECK(r.failures[0] == "the server closed the connection in the middle of a response");
}

TEST_CASE("engine: error class read: the server closes without answering", "[engine][errors]") {
    test::test_server server;
    server.set_faults({.close_without_answer = true});
    auto r = load("ping", server.port(), 500ms, 2);
    CHECK(r.measurement.errors.read > 0);
    CHECK(r.measurement.completed == 0);
    REQUIRE_FALSE(r.failures.empty());
    CHECK(r.failures[0] == "the server closed the connection without answering");
}

TEST_CASE("engine: error class write: the server resets while a large body is sent", "[engine][errors]") {
    resetting_server server;
    auto r = load("upload", server.port(), 500ms, 2);
    CHECK(r.measurement.errors.write > 0);
    CHECK(r.measurement.completed == 0);
}

TEST_CASE("engine: error class timeout: the server never answers", "[engine][errors]") {
    test::test_server server;
    server.set_faults({.never_answer = true});
    auto r = load("ping", server.port(), 1s, 2, [](auto& c) { c.request_timeout = 200ms; });
    CHECK(r.measurement.errors.timeout >= 4);  // two connections, a timeout every ~200 ms each
    CHECK(r.measurement.completed == 0);
    REQUIRE_FALSE(r.failures.empty());
    CHECK(r.failures[0] == "no complete response within 200 ms");
}

TEST_CASE("engine: error class status: non-2xx answers never count as completed", "[engine][errors]") {
    test::test_server server;
    server.set_faults({.status = 500});
    auto r = load("ping", server.port(), 500ms, 2, [](auto& c) { c.verify_sample = 0; });
    CHECK(r.measurement.errors.status > 100);
    CHECK(r.measurement.completed == 0);
    CHECK(r.measurement.latency_us.count() == 0);
    REQUIRE_FALSE(r.failures.empty());
    CHECK(r.failures[0] == "status 500");
}

TEST_CASE("engine: error class verify: a sampled wrong body is a verify error", "[engine][errors]") {
    test::test_server server;
    server.set_faults({.wrong_body = true});
    auto r = load("ping", server.port(), 500ms, 2, [](auto& c) { c.verify_sample = 4; });
    const auto& m = r.measurement;
    CHECK(m.errors.verify > 10);
    // Unsampled responses cannot be judged; the sampled ones all failed, none was counted.
    CHECK(m.verified == 0);
    CHECK(m.errors.verify == Approx(static_cast<double>(m.completed + m.errors.verify) / 4).epsilon(0.1));
    REQUIRE_FALSE(r.failures.empty());
    CHECK(r.failures[0] == "body 'pang', expected 'pong'");
}

TEST_CASE("engine: a server that closes after every response is reconnected to, without errors", "[engine]") {
    test::test_server server;
    server.set_faults({.connection_close = true});
    auto r = load("ping", server.port(), 500ms, 2);
    CHECK(r.measurement.completed > 20);
    CHECK(r.measurement.errors.total() == 0);
    CHECK(server.connections_accepted() > 20);
}

TEST_CASE("engine: latency is measured: a 20 ms server gives 20 ms and the matching rate", "[engine]") {
    test::test_server server;
    server.set_faults({.delay = 20ms});
    auto r = load("ping", server.port(), 1s, 2);
    const auto& m = r.measurement;
    CHECK(m.latency_us.value_at_percentile(50) >= 20'000);
    CHECK(m.latency_us.value_at_percentile(50) < 40'000);
    CHECK(m.rate == Approx(100).epsilon(0.25));  // 2 connections / 20 ms
}

TEST_CASE("engine: a 10 MiB download is streamed, counted and timed to first and last byte", "[engine]") {
    test::test_server server;
    auto r = load("stream", server.port(), 1s, 2);
    const auto& m = r.measurement;
    CHECK(m.errors.total() == 0);
    REQUIRE(m.completed > 0);
    CHECK(m.verified == m.completed);
    CHECK(m.bytes_received >= m.completed * 10'485'760);
    REQUIRE(m.first_byte_us);
    CHECK(m.first_byte_us->value_at_percentile(50) < m.latency_us.value_at_percentile(50));
}

TEST_CASE("engine: a scenario that throws on a worker thread is an error, not a crash", "[engine]") {
    // A scenario that declares HTTP but opens no session: the worker's first connection throws.
    struct no_session final : sdk::scenario {
        sdk::transport transport() const override { return sdk::transport::http; }
        void prepare(const sdk::target&) override {}
    } broken;
    test::test_server server;
    const auto target = target_at(server.port());
    core::engine::engine_config config;
    config.host = "127.0.0.1";
    config.port = server.port();
    config.threads = 2;
    CHECK_THROWS_WITH(core::engine::run(config, broken, target, plan(1s, 4)),
                      "the scenario opened no HTTP session: an HTTP scenario must override open_http_session()");
}

TEST_CASE("engine: the last second of the timeline shows the connections that were open", "[engine]") {
    test::test_server server;
    auto r = load("ping", server.port(), 1500ms, 3);
    REQUIRE(r.measurement.timeline.size() == 2);
    CHECK(r.measurement.timeline.back().open_connections == 3);
    CHECK(r.measurement.timeline.back().planned_connections == 3);
}

TEST_CASE("engine: each worker's CPU time is reported, and an idle generator is not generator-bound", "[engine]") {
    test::test_server server;
    server.set_faults({.delay = 20ms});
    auto r = load("ping", server.port(), 1s, 2, [](auto& c) { c.threads = 2; });
    REQUIRE(r.worker_cpu_seconds.size() == 2);
    for (double cpu : r.worker_cpu_seconds) {
        CHECK(cpu >= 0);
        CHECK(cpu < 0.5);  // two requests in flight every 20 ms keep nobody busy
    }
    CHECK(r.measurement.generator_cpu_seconds == Approx(r.worker_cpu_seconds[0] + r.worker_cpu_seconds[1]));
    CHECK(core::generator_bound_warnings(r.worker_cpu_seconds, r.measurement.seconds).empty());
}

TEST_CASE("engine: a worker busy over 90 % of the time is flagged generator-bound", "[engine]") {
    const auto warnings = core::generator_bound_warnings({9.7, 4.0}, 10.0);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] == "generator-bound: worker 0 was busy 97 % of the measured time, so the generator may have set "
                         "the pace; give it more threads or CPUs");
}

TEST_CASE("engine: --source-address binds connection k to address k mod their number", "[engine][distributed]") {
    test::test_server server;
    server.record_arrivals();
    const auto r = load("ping", server.port(), 300ms, 4, [](core::engine::engine_config& c) {
        c.source_addresses = {"127.0.0.21", "127.0.0.22"};
        c.requests_per_connection = 1;  // a new connection per request: every connection binds again
    });
    CHECK(r.measurement.errors.total() == 0);
    std::map<std::string, std::uint64_t> per_source;
    for (const auto& a : server.arrivals()) ++per_source[a.source];
    REQUIRE(per_source.size() == 2);
    CHECK(per_source.count("127.0.0.21") == 1);
    CHECK(per_source.count("127.0.0.22") == 1);
    const double share = static_cast<double>(per_source["127.0.0.21"]) / static_cast<double>(server.requests());
    CHECK(share == Approx(0.5).margin(0.15));  // the connections alternate between the two
}

TEST_CASE("engine: a source address this host does not have fails as a connect error, named", "[engine][distributed]") {
    test::test_server server;
    const auto r = load("ping", server.port(), 200ms, 1,
                        [](core::engine::engine_config& c) { c.source_addresses = {"192.0.2.1"}; });  // TEST-NET-1
    CHECK(r.measurement.completed == 0);
    CHECK(r.measurement.errors.connect > 0);
    REQUIRE_FALSE(r.failures.empty());
    CHECK_THAT(r.failures.front(), Catch::Contains("bind to 192.0.2.1"));
}
