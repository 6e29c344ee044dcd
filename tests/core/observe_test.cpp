// The process-tree sampler against a program that forks workers which burn known CPU and hold
// known memory; "known" is what the workers measured of themselves, so a busy machine cannot
// make the test wrong, only slower.
#include <fstream>

#include <catch2/catch.hpp>

#include "launcher/local_process.h"
#include "observe/process_tree.h"
#include "test_helpers.h"

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
