// parse_manifest: a manifest from its text, as the fuzz target and (after discovery) the file
// reader use it.
#include <catch2/catch.hpp>

#include "errors.h"
#include "manifest.h"
#include "test_helpers.h"

using namespace shootout;

namespace {
const core::plugin_host& builtin() {
    static const core::plugin_host host = [] {
        core::plugin_host h;
        h.discover({{test::builtin_plugins(), "next to the binary"}});
        return h;
    }();
    return host;
}
}  // namespace

TEST_CASE("parse manifest: text is parsed as a file with that name would be, without reading or discovering",
          "[core][manifest]") {
    const std::string text = "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\n"
                             "url = \"http://127.0.0.1:8080\"\n";
    auto m = core::parse_manifest(text, "configs/inline.toml", builtin());
    CHECK(m.file == "configs/inline.toml");
    CHECK(m.output_dir == std::filesystem::path("configs/results"));
    CHECK(m.sha256 == "e32e03383bcb4a2c2c21b5de45a790c2a50653cf453050dd1d118b373712151a");
    REQUIRE(m.frameworks.size() == 1);
    CHECK(m.frameworks[0].where.str() == "configs/inline.toml:3:1");
    CHECK(core::instantiate(m, builtin()).scenarios.size() == 1);
}

TEST_CASE("parse manifest: problems are located in the named source, and plugin_paths are checked, not searched",
          "[core][manifest]") {
    test::temp_dir dir;
    const std::string text = "plugin_paths = [\"" + test::fixture_plugins("picky").string() +
                             "\"]\nscenarios = [\"picky\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\n"
                             "url = \"http://127.0.0.1:8080\"\n";
    try {
        core::parse_manifest(text, "inline.toml", builtin());
        FAIL("expected the unknown scenario to be refused");
    } catch (const core::manifest_error& e) {
        REQUIRE(e.diagnostics().size() == 1);
        CHECK(e.diagnostics()[0].rfind("inline.toml:2:14: error: no scenario 'picky'; available: ", 0) == 0);
    }
    try {
        core::parse_manifest("scenarios = [\n", "inline.toml", builtin());
        FAIL("expected a TOML error");
    } catch (const core::manifest_error& e) {
        INFO(e.what());
        CHECK(std::string(e.what()) ==
              "inline.toml:1:15: error: not valid TOML: Error while parsing array: encountered end-of-file");
    }
}
