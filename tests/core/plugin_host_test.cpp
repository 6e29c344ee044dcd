#include <catch2/catch.hpp>

#include "errors.h"
#include "plugin_host.h"
#include "test_helpers.h"

using namespace shootout;
namespace fs = std::filesystem;

namespace {
core::plugin_host discover(const std::vector<fs::path>& dirs) {
    core::plugin_host host;
    std::vector<core::search_dir> search;
    for (const auto& d : dirs) search.push_back({d, "test"});
    host.discover(search);
    return host;
}
std::string only_problem(const core::plugin_host& host) {
    REQUIRE(host.problems().size() == 1);
    return host.problems().front().message;
}
}  // namespace

TEST_CASE("plugin host: every built-in plugin loads and checks out", "[core][plugins]") {
    auto host = discover({test::builtin_plugins()});
    CHECK(host.problems().empty());
    CHECK(host.available(core::plugin_kind::scenario) == "db-read, db-write, http, json, ping, stream, upload, ws-echo");
    CHECK(host.available(core::plugin_kind::load_pattern) == "constant-rate, search, spike, steady");
    const auto* steady = host.find(core::plugin_kind::load_pattern, "steady");
    REQUIRE(steady != nullptr);
    CHECK(steady->defaults.integer("connections") == 50);
    CHECK(steady->file == test::builtin_plugins() / "pattern-steady.so");
}

TEST_CASE("plugin host: a plugin built for another ABI is refused with both versions", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("wrong-abi")});
    const auto file = test::fixture_plugins("wrong-abi") / "fixture-wrong-abi.so";
    CHECK(only_problem(host) == "Wrong ABI version on plugin '" + file.string() +
                                    "'. Got version 999, supported version is " + std::to_string(SHOOTOUT_ABI_VERSION) + ". Rebuild the plugin against this "
                                    "shootout's SDK");
    CHECK(host.plugins().empty());
}

TEST_CASE("plugin host: a plugin built by another toolchain is refused with both tags", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("wrong-tag")});
    const auto file = test::fixture_plugins("wrong-tag") / "fixture-wrong-tag.so";
    CHECK(only_problem(host) == "plugin '" + file.string() +
                                    "' was built with \"gcc-4 libstdc++ cxx11-abi=0 sdk-0.0\", this shootout is \"" +
                                    SHOOTOUT_ABI_TAG +
                                    "\": rebuild the plugin against this SDK (plugins are rebuilt for each shootout "
                                    "minor version, with the same compiler family and major version)");
    CHECK(host.plugins().empty());
}

TEST_CASE("plugin host: a plugin built against another measurement layout is refused with both sizes",
          "[core][plugins]") {
    auto host = discover({test::fixture_plugins("wrong-size")});
    const auto file = test::fixture_plugins("wrong-size") / "fixture-wrong-size.so";
    CHECK(only_problem(host) == "plugin '" + file.string() + "' was built with an sdk::measurement of " +
                                    std::to_string(sizeof(sdk::measurement) + 8) + " bytes, this shootout's is " +
                                    std::to_string(sizeof(sdk::measurement)) +
                                    " bytes: rebuild the plugin against this SDK");
    CHECK(host.plugins().empty());
}

TEST_CASE("plugin host: the ABI tag names the compiler, the standard library and the SDK version", "[core][plugins]") {
    const std::string tag = SHOOTOUT_ABI_TAG;
#if defined(__clang__)
    CHECK(tag.rfind("clang-" + std::to_string(__clang_major__) + " ", 0) == 0);
#else
    CHECK(tag.rfind("gcc-" + std::to_string(__GNUC__) + " ", 0) == 0);
#endif
    CHECK(tag.find(" libstdc++ cxx11-abi=" + std::to_string(_GLIBCXX_USE_CXX11_ABI) + " ") != std::string::npos);
    CHECK(tag.substr(tag.size() - 8) == " sdk-" + std::to_string(SHOOTOUT_SDK_VERSION_MAJOR) + "." +
                                            std::to_string(SHOOTOUT_SDK_VERSION_MINOR));
}

TEST_CASE("plugin host: nested option declarations are checked at load, naming the nested key", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("bad-nested")});
    const auto file = test::fixture_plugins("bad-nested") / "fixture-bad-nested.so";
    CHECK(only_problem(host) == "plugin '" + file.string() +
                                    "' ('bad-nested'): the default \"200,x\" of option 'expect.status' is not an "
                                    "array of integers");
}

TEST_CASE("plugin host: a table option's defaults are its fields' defaults, none of them given", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("nested")});
    REQUIRE(host.problems().empty());
    const auto* info = host.find(core::plugin_kind::scenario, "nested");
    REQUIRE(info);
    CHECK_FALSE(info->defaults.given("expect"));
    const auto& expect = info->defaults.table("expect");
    CHECK(expect.integer_list("status") == std::vector<std::int64_t>{200});
    CHECK(expect.number_list("weights").empty());
    CHECK_FALSE(expect.contains("content_type"));  // required where the table is written
    CHECK(expect.path() == "expect");
    CHECK_FALSE(info->defaults.contains("request"));  // required
}

TEST_CASE("plugin host: a library without the entry point is not loaded", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("no-entry")});
    const auto file = test::fixture_plugins("no-entry") / "fixture-no-entry.so";
    CHECK(only_problem(host) == "'" + file.string() +
                                    "' is not a shootout plugin: it has no 'shootout_plugin' entry point in section "
                                    "'shootout'. Register the plugin with one SHOOTOUT_REGISTER_* macro from "
                                    "<shootout/sdk/plugin.h>, or remove the file from the plugin path");
}

TEST_CASE("plugin host: two plugins with one id in one kind are refused, naming both files", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("twins")});
    const auto a = test::fixture_plugins("twins") / "twin_a.so";
    const auto b = test::fixture_plugins("twins") / "twin_b.so";
    CHECK(only_problem(host) == "two scenario plugins have the id 'twin': '" + a.string() + "' and '" + b.string() +
                                    "'. Remove one of them from the plugin path, or give one another id");
}

TEST_CASE("plugin host: a factory that throws is reported with the plugin and its file", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("throwing")});
    REQUIRE(host.problems().empty());
    const auto* info = host.find(core::plugin_kind::reporter, "throwing");
    REQUIRE(info);
    try {
        host.make_reporter(*info, info->defaults);
        FAIL("expected the factory to throw");
    } catch (const core::plugin_error& e) {
        CHECK(std::string(e.what()) == "reporter 'throwing' (" + info->file.string() +
                                           ") failed to start: cannot open the printer");
    }
}

TEST_CASE("plugin host: a declared default that does not parse is refused at load", "[core][plugins]") {
    auto host = discover({test::fixture_plugins("bad-default")});
    const auto file = test::fixture_plugins("bad-default") / "fixture-bad-default.so";
    CHECK(only_problem(host) == "plugin '" + file.string() +
                                    "' ('bad-default'): the default \"forever\" of option 'duration' is not a duration "
                                    "like \"30s\", \"500ms\" or \"2m\"");
}

TEST_CASE("plugin host: a file that is not a shared library is named, not loaded", "[core][plugins]") {
    test::temp_dir dir;
    dir.write("garbage.so", "this is not ELF");
    auto host = discover({dir.path()});
    CHECK(only_problem(host) == "'" + (dir.path() / "garbage.so").string() +
                                    "' is not a shared library shootout can read (not an ELF file, or a truncated one); "
                                    "remove it from the plugin path");
}

TEST_CASE("plugin host: an unknown id lists what is available and where it looked", "[core][plugins]") {
    auto host = discover({test::builtin_plugins(), "/nonexistent/plugins"});
    CHECK(host.unknown_plugin_message(core::plugin_kind::reporter, "xml") ==
          "no reporter 'xml'; available: csv, flamegraph, hdr, html, json, md (searched: " + test::builtin_plugins().string() +
              ", /nonexistent/plugins)");
}

TEST_CASE("plugin host: the same directory twice loads each library once", "[core][plugins]") {
    auto host = discover({test::builtin_plugins(), test::builtin_plugins()});
    CHECK(host.problems().empty());
    CHECK(host.plugins().size() == discover({test::builtin_plugins()}).plugins().size());
    CHECK(host.plugins().size() >= 15);  // 7 scenarios, 3 patterns, 5 reporters at least
}
