// The process-tree sampler against a program that forks workers which burn known CPU and hold
// known memory; "known" is what the workers measured of themselves, so a busy machine cannot
// make the test wrong, only slower.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "fake_docker_engine.h"
#include "launcher/local_process.h"
#include "observe/docker_stats.h"
#include "observe/folded_stacks.h"
#include "observe/process_tree.h"
#include "observe/profiler.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
using namespace std::chrono_literals;

TEST_CASE("observe: CPU and RSS of a process tree whose workers fork and die", "[observe]") {
    test::temp_dir dir;
    const auto report = dir.path() / "report";
    core::launcher::process_spec spec;
    spec.command = {"/usr/bin/python3", std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/servers/burner.py",
                    report.string()};
    spec.log_file = dir.path() / "log";
    core::launcher::local_process burner(spec);
    const auto origin = std::chrono::steady_clock::now();
    core::observe::tree_sampler sampler(burner.pid(), 100ms, origin);
    for (int i = 0; i < 300 && !burner.exited(); ++i) std::this_thread::sleep_for(20ms);
    REQUIRE(burner.exited());
    const auto samples = sampler.finish();

    std::ifstream in(report);
    double known_cpu = 0, known_rss = 0, cpu = 0, rss = 0;
    for (double c = 0, r = 0; in >> c >> r;) {
        known_cpu += c;
        known_rss = std::max(known_rss, r);
    }
    REQUIRE(known_cpu > 2.0);
    double previous = 0;
    for (const auto& s : samples) {
        cpu += s.cpu_percent / 100.0 * (s.second - previous);
        previous = s.second;
        rss = std::max(rss, static_cast<double>(s.rss_bytes));
    }
    INFO("sampled " << cpu << " CPU-s and " << rss / 1048576 << " MiB; workers say " << known_cpu << " CPU-s and "
                    << known_rss / 1048576 << " MiB; " << samples.size() << " samples");
    // The last 100 ms of each worker may fall after its last reading: allow that, and 10 %.
    CHECK(cpu >= known_cpu * 0.9 - 0.2);
    CHECK(cpu <= known_cpu * 1.1);
    // Peak RSS: the worker's own peak, plus the master (a Python interpreter, well under 40 MiB).
    CHECK(rss >= known_rss * 0.9);
    CHECK(rss <= known_rss * 1.1 + 40.0 * 1048576);
}

TEST_CASE("observe: a process that is gone reads as an empty tree", "[observe]") {
    const auto reading = core::observe::read_tree(999'999'999);
    CHECK(reading.cpu_seconds.empty());
    CHECK(reading.rss_bytes == 0);
}

TEST_CASE("observe: perf script output folds into stacks, root first, offsets dropped", "[observe][profile]") {
    std::ifstream in(std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/profiles/perf-script.txt");
    REQUIRE(in);
    const auto stacks = core::observe::fold_perf_script(in);
    const core::observe::folded_stacks expected{
        {"python3;[unknown];read;do_syscall_64;__alloc_frozen_pages_noprof", 1},
        {"python3;[python3.11]", 1},
        {"python3;[unknown];_PyEval_EvalFrameDefault", 2},
        {"web_server;main;serve_forever;handle_request", 1},
    };
    CHECK(stacks == expected);
    CHECK(core::observe::total_samples(stacks) == 5);
}

TEST_CASE("observe: folded files merge by stack and skip lines that are not stacks", "[observe][profile]") {
    core::observe::folded_stacks stacks;
    std::istringstream first("a;b 3\na;c 2\n"), second("a;b 4\nnot a stack line\n\nx;y 1\n");
    CHECK(core::observe::add_folded(first, stacks) == 0);
    CHECK(core::observe::add_folded(second, stacks) == 1);
    CHECK(stacks == core::observe::folded_stacks{{"a;b", 7}, {"a;c", 2}, {"x;y", 1}});
}

TEST_CASE("observe: frame names with line breaks or bytes that are not UTF-8 are written printable, one line per stack",
          "[observe][profile][printable]") {
    test::temp_dir dir;
    core::observe::folded_stacks stacks;
    stacks["main;evil\nframe;caf\xE9"] = 3;
    stacks["main;ok"] = 1;
    const auto file = dir.path() / "s.folded";
    core::observe::write_folded(file, stacks);
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "main;evil\\x0Aframe;caf\\xE9 3\nmain;ok 1\n");
}

TEST_CASE("observe: a real perf record of a native busy loop folds into stacks", "[observe][profile]") {
    if (!core::observe::on_path("perf")) {
        WARN("perf is not installed: skipped");
        return;
    }
    test::temp_dir dir;
    core::launcher::process_spec spec;
    spec.command = {"/bin/sh", "-c", "while :; do :; done"};  // busy until stopped
    spec.log_file = dir.path() / "log";
    core::launcher::local_process busy(spec);
    core::observe::profile_plan plan;
    plan.kind = core::observe::profiler_kind::perf;
    plan.pid = busy.pid();
    plan.session = "busy";
    plan.work_dir = dir.path();
    core::observe::profile_session session(plan);
    session.start(2s);
    std::this_thread::sleep_for(2s);
    const auto result = session.stop();
    busy.stop(1s);
    INFO(result.warnings.size() << " warnings; first: " << (result.warnings.empty() ? "" : result.warnings[0]));
    CHECK(result.warnings.empty());
    CHECK(core::observe::total_samples(result.stacks) >= 20);  // ~190 expected for 2 s of one busy core
    bool shell = false;
    for (const auto& [stack, count] : result.stacks) shell = shell || stack.rfind("sh;", 0) == 0;
    CHECK(shell);
}

namespace {

const std::uint64_t mib = 1048576;

std::string problem_of(const std::filesystem::path& socket, const std::string& container) {
    core::observe::container_sampler sampler(socket, container, 50ms, std::chrono::steady_clock::now());
    sampler.finish();
    return sampler.problem().value_or("");
}

}  // namespace

TEST_CASE("observe: a container's CPU % and memory from the Docker Engine API, as docker stats computes them", "[observe][docker]") {
    test::temp_dir dir;
    const auto socket = dir.path() / "docker.sock";
    // Every answer: the container used 0.5 s of CPU while the host's two CPUs ran 2 s: 50 %.
    test::fake_docker_engine engine(socket, "shootout-fastapi", 500'000'000, 2'000'000'000, 2, 100 * mib, 20 * mib);
    core::observe::container_sampler sampler(socket, "shootout-fastapi", 50ms, std::chrono::steady_clock::now());
    std::this_thread::sleep_for(400ms);
    const auto samples = sampler.finish();
    REQUIRE_FALSE(sampler.problem());
    REQUIRE(samples.size() >= 3);
    double previous = -1;
    for (const auto& s : samples) {
        CHECK(s.cpu_percent == Approx(50.0));
        CHECK(s.rss_bytes == 80 * mib);  // usage minus inactive_file (cgroup v2)
        CHECK(s.second > previous);
        previous = s.second;
    }
    CHECK(core::observe::container_pid(socket, "shootout-fastapi") == 4242);
}

TEST_CASE("observe: memory is usage minus the inactive file cache on cgroup v1 too", "[observe][docker]") {
    const auto v1 = boost::json::parse(R"({
        "cpu_stats": {"cpu_usage": {"total_usage": 300, "percpu_usage": [100, 200]}, "system_cpu_usage": 4000},
        "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 2000},
        "memory_stats": {"usage": 104857600, "stats": {"total_inactive_file": 10485760, "cache": 20971520}}})");
    const auto s = core::observe::parse_container_stats(v1);
    CHECK(s.memory_bytes == 90 * mib);
    CHECK(s.online_cpus == 2);  // from percpu_usage when online_cpus is absent
    CHECK(core::observe::container_cpu_percent(s.pre_cpu_ns, s.pre_system_ns, s) == Approx(20.0));  // 200/2000 * 2 * 100
}

TEST_CASE("observe: Docker problems name the container or the socket and the fix", "[observe][docker]") {
    test::temp_dir dir;
    const auto socket = dir.path() / "docker.sock";
    {
        test::fake_docker_engine engine(socket, "shootout-fastapi", 1, 1, 1, 1, 0);
        const auto problem = problem_of(socket, "shootout-fastapy");
        CHECK(problem == "no container 'shootout-fastapy' on the Docker engine at " + socket.string() +
                             " (it says: No such container: shootout-fastapy); check `docker ps` and the framework's "
                             "'container' key");
    }
    const auto missing = dir.path() / "no-docker.sock";
    CHECK(problem_of(missing, "x") == "the Docker socket " + missing.string() +
                                          " does not exist: is the Docker engine running here? (if it listens elsewhere, "
                                          "set DOCKER_HOST=unix:///path/to/docker.sock)");
    {
        test::scoped_env host("DOCKER_HOST", "unix://" + socket.string());
        CHECK(core::observe::docker_socket_path() == socket);
    }
    {
        test::scoped_env host("DOCKER_HOST", "tcp://10.0.0.1:2375");
        CHECK_THROWS_WITH(core::observe::docker_socket_path(),
                          "DOCKER_HOST=tcp://10.0.0.1:2375: shootout reads container statistics only over a unix socket; "
                          "unset DOCKER_HOST or set it to unix:///path/to/docker.sock");
    }
}

TEST_CASE("observe: an external framework's container is sampled during the load, or its problem is a warning", "[observe][docker]") {
    test::temp_dir dir;
    const auto socket = dir.path() / "docker.sock";
    test::fake_docker_engine engine(socket, "shootout-app", 250'000'000, 1'000'000'000, 1, 64 * mib, 0);
    test::test_server server(1);
    test::scoped_env host("DOCKER_HOST", "unix://" + socket.string());
    auto run = [&](const std::string& container) {
        const auto manifest = dir.write("m.toml", R"(
output_dir = "out-)" + container + R"("
scenarios = ["ping"]
patterns = ["steady"]
[pattern.steady]
connections = 2
warmup = "0s"
duration = "1s"
[engine]
threads = 1
sample_interval = "100ms"
[[framework]]
name = "app"
url = ")" + server.base_url() + R"("
container = ")" + container + R"("
)");
        auto r = test::run_shootout({"--log-level", "error", "--config", manifest.string()});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        std::ifstream in(dir.path() / ("out-" + container) / "latest" / "raw" / "app__ping__steady__run1.json");
        std::stringstream text;
        text << in.rdbuf();
        return boost::json::parse(text.str()).as_object();
    };
    const auto sampled = run("shootout-app");
    const auto& samples = sampled.at("server_resources").as_array();
    REQUIRE(samples.size() >= 5);
    for (const auto& s : samples) {
        CHECK(s.at("cpu_percent").to_number<double>() == Approx(25.0));
        CHECK(s.at("rss_bytes").to_number<std::uint64_t>() == 64 * mib);
    }
    CHECK(sampled.at("server_resources_summary").at("peak_rss_bytes").to_number<std::uint64_t>() == 64 * mib);
    CHECK(sampled.at("server_resources_summary").at("mean_cpu_percent").to_number<double>() == Approx(25.0));

    const auto missing = run("gone");
    CHECK(missing.at("outcome") == "measured");
    CHECK(missing.at("server_resources").as_array().empty());
    const auto& warnings = missing.at("warnings").as_array();
    REQUIRE(warnings.size() == 1);
    CHECK(std::string(warnings[0].as_string()).find("server resources not sampled: no container 'gone'") == 0);
}
