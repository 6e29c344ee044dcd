// The `hdr` reporter, checked against an HdrHistogram implementation we did not write: PyPI's
// `hdrhistogram` (in .venvs/tools, installed by scripts/setup.sh) decodes what shootout encodes
// and must find the same counts, percentiles and per-second intervals.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <shootout/sdk/reporter.h>

#include "plugin_host.h"
#include "result_fixture.h"
#include "test_helpers.h"

using namespace shootout;
namespace fs = std::filesystem;

namespace {

const fs::path python = fs::path(SHOOTOUT_SOURCE_DIR) / ".venvs" / "tools" / "bin" / "python";

// Runs `script` with the tools venv's Python; returns what it printed (stdout and stderr).
std::string run_python(const fs::path& dir, const std::string& script) {
    const auto file = dir / "decode.py";
    std::ofstream(file) << script;
    std::string out;
    FILE* pipe = ::popen(fmt::format("'{}' '{}' 2>&1", python.string(), file.string()).c_str(), "r");
    REQUIRE(pipe);
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), pipe)) out += buf.data();
    CHECK(::pclose(pipe) == 0);
    return out;
}

// A measurement whose every second holds real buckets, as the engine writes them.
sdk::measurement with_seconds() {
    auto m = test::measured("fastapi", "json", "constant-rate", 1, 1000, 4000, 5);
    m.latency_us.reset();
    for (auto& t : m.timeline) {
        const auto second = test::latencies(2000 + 500 * static_cast<std::int64_t>(t.second), 300,
                                            static_cast<std::uint32_t>(t.second) + 1);
        m.latency_us.merge(second);
        t.latency_buckets = second.sparse();
    }
    m.latency_uncorrected_us = test::latencies(1500, 700, 9);
    return m;
}

void run_reporter(const fs::path& dir, const std::vector<sdk::measurement>& measurements) {
    const auto& host = test::builtin_plugin_host();
    const auto* info = host.find(core::plugin_kind::reporter, "hdr");
    REQUIRE(info);
    auto reporter = host.make_reporter(*info, info->defaults);
    std::ostringstream out, err;
    reporter->begin({dir, out, err});
    sdk::result_set results;
    results.measurements = measurements;
    const sdk::stats::summary summary;
    reporter->finish({results, summary});
}

}  // namespace

TEST_CASE("hdr: a histogram encoded as HdrHistogram V2 decodes to the same counts and percentiles in Python's hdrhistogram",
          "[plugins][hdr]") {
    REQUIRE(fs::exists(python));
    test::temp_dir dir;
    const auto m = with_seconds();
    run_reporter(dir.path(), {m});
    const auto base = dir.path() / "hdr" / "fastapi__json__constant-rate__run1";
    REQUIRE(fs::exists(base.string() + ".latency.hdr"));
    REQUIRE(fs::exists(base.string() + ".latency_uncorrected.hdr"));
    const auto printed = run_python(dir.path(), fmt::format(R"(
from hdrh.histogram import HdrHistogram
h = HdrHistogram.decode(open("{}").read().strip())
print(h.get_total_count(), *[h.get_value_at_percentile(p) for p in (50, 90, 99, 99.9, 100)])
)",
                                                            base.string() + ".latency.hdr"));
    std::istringstream in(printed);
    std::uint64_t count = 0;
    in >> count;
    INFO(printed);
    CHECK(count == m.latency_us.count());
    for (double p : {50.0, 90.0, 99.0, 99.9, 100.0}) {
        std::int64_t theirs = 0;
        in >> theirs;
        // Both report a value of the same bucket: HdrHistogram its highest equivalent, shootout
        // that clipped to the exact maximum it keeps.
        CHECK(m.latency_us.lowest_equivalent(theirs) == m.latency_us.lowest_equivalent(m.latency_us.value_at_percentile(p)));
    }
}

TEST_CASE("hdr: the interval log holds one histogram per measured second, read back by HdrHistogram's log reader",
          "[plugins][hdr]") {
    REQUIRE(fs::exists(python));
    test::temp_dir dir;
    const auto m = with_seconds();
    auto v1 = test::measured("tornado", "json", "steady", 1, 1000, 4000, 6);  // no per-second buckets
    run_reporter(dir.path(), {m, v1});
    const auto log = dir.path() / "hdr" / "fastapi__json__constant-rate__run1.hlog";
    REQUIRE(fs::exists(log));
    CHECK_FALSE(fs::exists(dir.path() / "hdr" / "tornado__json__steady__run1.hlog"));
    CHECK(fs::exists(dir.path() / "hdr" / "tornado__json__steady__run1.latency.hdr"));
    const auto printed = run_python(dir.path(), fmt::format(R"(
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
reader = HistogramLogReader("{}", HdrHistogram(1, 3600000000, 3))
while True:
    h = reader.get_next_interval_histogram()
    if h is None: break
    print(h.get_start_time_stamp(), h.get_total_count(), h.get_value_at_percentile(99))
)",
                                                            log.string()));
    INFO(printed);
    std::istringstream in(printed);
    for (const auto& t : m.timeline) {
        double start_ms = -1;
        std::uint64_t count = 0;
        std::int64_t p99 = 0;
        REQUIRE(in >> start_ms >> count >> p99);
        sdk::histogram second;
        second.add_sparse(t.latency_buckets);
        CHECK(start_ms == Approx(t.second * 1000));
        CHECK(count == second.count());
        CHECK(second.lowest_equivalent(p99) == second.lowest_equivalent(second.value_at_percentile(99)));
    }
    std::string rest;
    CHECK_FALSE(in >> rest);  // nothing more than the seconds
}
