// Which measurements a manifest run makes: every framework x scenario x pattern, except where a
// scenario's `patterns` leaves a pattern out.
#include <filesystem>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
namespace fs = std::filesystem;

TEST_CASE("run: a scenario's patterns leave its measurements under the other patterns out", "[core][run]") {
    test::test_server server(1);
    test::temp_dir dir;
    const auto file = dir.write("m.toml", R"(output_dir = "out"
scenarios = ["ping", "json"]
patterns = ["steady", "short"]
[scenario.json]
patterns = ["short"]
[pattern.steady]
connections = 2
warmup = "0s"
duration = "300ms"
[pattern.short]
plugin = "steady"
connections = 2
warmup = "0s"
duration = "300ms"
[engine]
threads = 1
[[framework]]
name = "test"
url = ")" + server.base_url() + "\"\n");
    const auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    std::set<std::string> measured;
    for (const auto& entry : fs::directory_iterator(dir.path() / "out" / "latest" / "raw"))
        measured.insert(entry.path().filename().string());
    CHECK(measured == std::set<std::string>{"test__ping__steady__run1.json", "test__ping__short__run1.json",
                                            "test__json__short__run1.json"});
}
