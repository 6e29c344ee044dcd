// Plugin options read from a manifest by their declaration, nested tables included: every key
// checked, at its file:line:col, with did-you-mean, and the values handed to the plugin.
#include <catch2/catch.hpp>

#include "errors.h"
#include "manifest.h"
#include "test_helpers.h"

using namespace shootout;
using shootout::test::temp_dir;

namespace {

const std::string head = "scenarios = [\"nested\"]\npatterns = [\"steady\"]\n"
                         "[[framework]]\nname = \"local\"\nurl = \"http://127.0.0.1:8080\"\n";

std::vector<core::search_dir> plugin_dirs() {
    return {{test::builtin_plugins(), "next to the binary"}, {test::fixture_plugins("nested"), "test"}};
}

// Every diagnostic of `text` as m.toml, the directory stripped ("" if it loads and instantiates).
std::string diagnostics_of(const std::string& text) { return test::manifest_diagnostics(text, plugin_dirs()); }

}  // namespace

TEST_CASE("manifest options: nested tables and table lists reach the plugin typed, with given()", "[core][manifest]") {
    temp_dir dir;
    const auto file = dir.write("m.toml", head + R"(
[scenario.nested]
expect = { status = [200, 204], content_type = "text/plain" }

[[scenario.nested.request]]
path = "/a"

[[scenario.nested.request]]
path = "/b"
method = "POST"
timeout = "250ms"
)");
    core::plugin_host host;
    auto m = core::load_manifest(file, host, plugin_dirs());
    REQUIRE(m.scenarios.size() == 1);
    const auto& o = m.scenarios[0].options;
    CHECK(o.given("expect"));
    CHECK(o.table("expect").integer_list("status") == std::vector<std::int64_t>{200, 204});
    CHECK(o.table("expect").string("content_type") == "text/plain");
    CHECK(o.table("expect").number_list("weights").empty());  // its default
    CHECK_FALSE(o.table("expect").given("weights"));
    const auto& requests = o.table_list("request");
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].string("path") == "/a");
    CHECK(requests[0].string("method") == "GET");
    CHECK_FALSE(requests[0].given("method"));
    CHECK(requests[1].given("method"));
    CHECK(requests[1].duration("timeout") == std::chrono::milliseconds(250));
    CHECK(requests[1].path() == "request[1]");
    CHECK(m.scenarios[0].option_locations.at("request[1].method").line == 15);
    CHECK(core::instantiate(m, host).scenarios.size() == 1);
}

TEST_CASE("manifest options: an optional table left out holds its defaults and is not given", "[core][manifest]") {
    temp_dir dir;
    const auto file = dir.write("m.toml", head + "[scenario.nested]\nrequest = [{ path = \"/x\" }]\n");
    core::plugin_host host;
    auto m = core::load_manifest(file, host, plugin_dirs());
    const auto& o = m.scenarios[0].options;
    CHECK_FALSE(o.given("expect"));
    CHECK(o.table("expect").integer_list("status") == std::vector<std::int64_t>{200});
    CHECK(o.table_list("request").size() == 1);
}

TEST_CASE("manifest options: problems inside nested tables are reported at their place, with did-you-mean",
          "[core][manifest]") {
    struct broken {
        const char* what;
        std::string options;   // after [scenario.nested], which is line 6
        std::string expected;  // the whole diagnostics
    };
    const std::vector<broken> cases = {
        {"a misspelt key in a table",
         "expect = { stauts = [200], content_type = \"x\" }\nrequest = [{ path = \"/\" }]\n",
         "m.toml:7:12: error: scenario 'nested': option 'expect': unknown key 'stauts' (known: status, content_type, "
         "weights); did you mean 'status'?"},
        {"a wrong type in a table",
         "expect.status = \"200\"\nexpect.content_type = \"x\"\nrequest = [{ path = \"/\" }]\n",
         "m.toml:7:17: error: scenario 'nested': option 'expect.status' must be an array of integers, found string "
         "\"200\""},
        {"a float among integers",
         "expect = { status = [200, 2.5], content_type = \"x\" }\nrequest = [{ path = \"/\" }]\n",
         "m.toml:7:21: error: scenario 'nested': option 'expect.status' must be an array of integers, found an array "
         "holding float"},
        {"a table where a table belongs is not a string",
         "expect = \"200\"\nrequest = [{ path = \"/\" }]\n",
         "m.toml:7:10: error: scenario 'nested': option 'expect' must be a table, found string \"200\""},
        {"a required field missing in a written table",
         "expect = { status = [200] }\nrequest = [{ path = \"/\" }]\n",
         "m.toml:7:10: error: scenario 'nested': missing required option 'expect.content_type' (a string: required "
         "when expect is written)"},
        {"a misspelt key in the second table of a list",
         "[[scenario.nested.request]]\npath = \"/a\"\n[[scenario.nested.request]]\npaht = \"/b\"\n",
         "m.toml:9:1: error: scenario 'nested': missing required option 'request[1].path' (a string: the path, from "
         "'/')\n"
         "m.toml:10:1: error: scenario 'nested': option 'request[1]': unknown key 'paht' (known: method, path, "
         "timeout); did you mean 'path'?"},
        {"a list holding something other than tables",
         "request = [{ path = \"/\" }, 5]\n",
         "m.toml:7:28: error: scenario 'nested': option 'request' must be an array of tables, found an array holding "
         "integer 5"},
        {"a required table list missing",
         "",
         "m.toml:6:1: error: scenario 'nested': missing required option 'request' (an array of tables: the requests)"},
        {"a line break in a nested string",
         "request = [{ path = \"/a\\r\\nX: y\" }]\n",
         "m.toml:7:21: error: scenario 'nested': option 'request[0].path' holds a line break (CR or LF) or NUL, which "
         "would split the request it goes into; remove it"},
        {"a nested duration without a unit",
         "request = [{ path = \"/\", timeout = \"3\" }]\n",
         "m.toml:7:36: error: scenario 'nested': option 'request[0].timeout' must be a duration like \"30s\", \"500ms\" "
         "or \"2m\", found \"3\" with no unit"},
        {"the plugin's own check of a nested value, at that value",
         "[[scenario.nested.request]]\npath = \"/a\"\n[[scenario.nested.request]]\npath = \"b\"\n",
         "m.toml:10:8: error: scenario 'nested': option 'request[1].path': must start with '/'"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(diagnostics_of(head + "[scenario.nested]\n" + c.options) == c.expected);
    }
}
