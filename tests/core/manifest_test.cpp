#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "errors.h"
#include "manifest.h"
#include "test_helpers.h"

using namespace shootout;
using shootout::test::temp_dir;

namespace {

const std::string valid_frameworks = R"(
[[framework]]
name = "local"
url = "http://127.0.0.1:8080"
)";

// Loads `text` as m.toml with the built-in plugins (and `extra` plugin dirs); returns every
// diagnostic, with the temporary directory stripped so expectations read "m.toml:3:1: ...".
std::string diagnostics_of(const std::string& text, std::vector<std::filesystem::path> extra = {}) {
    std::vector<core::search_dir> dirs{{test::builtin_plugins(), "next to the binary"}};
    for (auto& e : extra) dirs.push_back({e, "test"});
    return test::manifest_diagnostics(text, dirs);
}

}  // namespace

TEST_CASE("manifest: a valid manifest loads with defaults filled in", "[core][manifest]") {
    temp_dir dir;
    const auto file = dir.write("m.toml", R"(
runs = 2
scenarios = ["ping", "big-upload"]
patterns = ["steady"]

[engine]
threads = 1
request_timeout = "2s"

[scenario.big-upload]
plugin = "upload"
size = "1MiB"

[pattern.steady]
connections = 8
warmup = "0s"

[[framework]]
name = "fastapi"
url = "http://127.0.0.1:8083/"
websocket = false
)");
    core::plugin_host host;
    auto m = core::load_manifest(file, host, {{test::builtin_plugins(), "next to the binary"}});
    CHECK(m.runs == 2);
    CHECK(m.engine.threads == 1);
    CHECK(m.engine.request_timeout == std::chrono::seconds(2));
    REQUIRE(m.frameworks.size() == 1);
    CHECK(m.frameworks[0].url == "http://127.0.0.1:8083");
    CHECK(m.frameworks[0].port == 8083);
    CHECK_FALSE(m.frameworks[0].websocket);
    REQUIRE(m.scenarios.size() == 2);
    CHECK(m.scenarios[1].name == "big-upload");
    CHECK(m.scenarios[1].plugin->id == "upload");
    CHECK(m.scenarios[1].options.size("size") == 1024 * 1024);
    CHECK(m.scenarios[1].options.boolean("multipart") == false);  // the default
    CHECK(m.patterns[0].options.integer("connections") == 8);
    CHECK(m.patterns[0].options.duration("duration") == std::chrono::seconds(180));
    CHECK(m.output_dir == dir.path() / "results");
    CHECK(m.sha256.size() == 64);
    auto instances = core::instantiate(m, host);
    CHECK(instances.scenarios.size() == 2);
}

TEST_CASE("manifest: broken manifests are refused with the place, the key, and the fix", "[core][manifest]") {
    struct broken {
        const char* what;
        std::string text;
        std::string expected;  // one whole line of the diagnostics
    };
    const std::vector<broken> cases = {
        {"a misspelt top-level key",
         "scenarioz = [\"ping\"]\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n" + valid_frameworks,
         "m.toml:1:1: error: unknown key 'scenarioz' (known: output_dir, runs, interleave, plugin_paths, scenarios, "
         "patterns, reporters, framework, scenario, pattern, reporter, engine, database, local, profile, verdict); did you "
         "mean 'scenarios'?"},
        {"a misspelt plugin option",
         "scenarios = [\"upload\"]\npatterns = [\"steady\"]\n[scenario.upload]\nsise = \"1MiB\"\n" + valid_frameworks,
         "m.toml:4:1: error: scenario 'upload': unknown key 'sise' (known: plugin, keep_alive, path, size, multipart); did you mean "
         "'size'?"},
        {"a string where an integer belongs", "runs = \"three\"\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n" + valid_frameworks,
         "m.toml:1:8: error: 'runs' must be an integer, found a string"},
        {"a number out of range", "runs = 0\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n" + valid_frameworks,
         "m.toml:1:8: error: 'runs' must be between 1 and 1000, found 0"},
        {"an option of the wrong type",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[pattern.steady]\nconnections = \"fifty\"\n" + valid_frameworks,
         "m.toml:4:15: error: pattern 'steady': option 'connections' must be an integer, found string \"fifty\""},
        {"a duration without a unit",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[pattern.steady]\nduration = \"30\"\n" + valid_frameworks,
         "m.toml:4:12: error: pattern 'steady': option 'duration' must be a duration like \"30s\", \"500ms\" or \"2m\", "
         "found \"30\" with no unit"},
        {"a framework without a url", "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"flask\"\n",
         "m.toml:3:1: error: framework 'flask': missing key 'url' (where the framework answers, like "
         "\"http://127.0.0.1:8081\")"},
        {"an https url",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\nurl = \"https://127.0.0.1:8443\"\n",
         "m.toml:5:7: error: framework 'x': 'url' scheme 'https' is not supported; use http:// (WebSocket scenarios "
         "derive ws:// from it)"},
        {"a port above 65535 (which the URL parser would wrap to 34231)",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\nurl = \"http://127.0.0.1:99767\"\n",
         "m.toml:5:7: error: framework 'x': 'url' \"http://127.0.0.1:99767\" has port '99767'; use 1 to 65535"},
        {"a negative port",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\nurl = \"http://127.0.0.1:-1\"\n",
         "m.toml:5:7: error: framework 'x': 'url' \"http://127.0.0.1:-1\" has a ':' after the host but no port number; use "
         "1 to 65535"},
        {"two reporters writing one file",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\nreporters = [\"md\", \"csv\"]\n[reporter.md]\nfile = \"same.txt\"\n"
         "[reporter.csv]\nfile = \"same.txt\"\n" + valid_frameworks,
         "m.toml:7:8: error: reporter 'csv': file 'same.txt' is written by reporter 'md' too, and one report would "
         "overwrite the other; give each reporter its own 'file'"},
        {"an environment that sets PORT",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[local]\nenvironment = { PORT = \"1\" }\n" + valid_frameworks,
         "m.toml:4:15: error: local: 'environment' sets PORT, which shootout sets from each framework's url; remove "
         "it, and change the port in the url instead"},
        {"constant-rate with both a rate and stages",
         "scenarios = [\"ping\"]\npatterns = [\"constant-rate\"]\n[pattern.constant-rate]\nrate = 500\nstages = [\"hold 2s 100\"]\n" +
             valid_frameworks,
         "m.toml:5:10: error: pattern 'constant-rate': option 'stages': replaces 'rate' and 'duration', which are set "
         "too: remove them, or remove 'stages'"},
        {"two frameworks with one name",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n" + valid_frameworks + valid_frameworks,
         "m.toml:9:8: error: framework 'local': defined twice; names must be unique"},
        {"no framework at all", "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n",
         "m.toml:1:1: error: no framework to measure: add at least one [[framework]] table with a name and a url"},
        {"a TOML syntax error", "scenarios = [\"ping\"\npatterns = [\"steady\"]\n",
         "m.toml:2:1: error: not valid TOML: Error while parsing array: expected comma or closing ']', saw 'p'"},
        {"an options table nothing uses",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[scenario.json]\npath = \"/j\"\n" + valid_frameworks,
         "m.toml:3:11: error: [scenario.json] configures a scenario that 'scenarios' does not list; add \"json\" to "
         "scenarios = [...] or remove the table"},
        {"no scenarios key", "patterns = [\"steady\"]\n" + valid_frameworks,
         "m.toml:1:1: error: missing key 'scenarios': list the scenarios to run, like scenarios = [\"ping\"] "
         "(available: db-read, db-write, http, json, ping, stream, upload, ws-echo)"},
        {"a local framework without its local table",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\nurl = \"http://127.0.0.1:1\"\nmode = \"local\"\n",
         "m.toml:3:1: error: framework 'x': mode is \"local\" but there is no [framework.local] table saying how to "
         "start it"},
        {"a scenario listed twice", "scenarios = [\"ping\", \"ping\"]\npatterns = [\"steady\"]\n" + valid_frameworks,
         "m.toml:1:22: error: scenario 'ping' is listed twice in 'scenarios'"},
        {"a value a plugin rejects when it checks its options together",
         "plugin_paths = [\"" + test::fixture_plugins("picky").string() +
             "\"]\nscenarios = [\"picky\"]\npatterns = [\"steady\"]\n[scenario.picky]\nlow = 5\nhigh = 2\n" + valid_frameworks,
         "m.toml:6:8: error: scenario 'picky': option 'high': must be at least low (5)"},
        {"a profile target naming a framework the manifest does not have",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[profile]\ntargets = [\"locl/ping\"]\n" + valid_frameworks,
         "m.toml:4:12: error: profile: target \"locl/ping\" names framework 'locl', which the manifest does not have (it "
         "has: local); did you mean 'local'?"},
        {"a profile target that is not framework/scenario",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[profile]\ntargets = [\"local\"]\n" + valid_frameworks,
         "m.toml:4:12: error: profile: target \"local\" must be framework/scenario or framework/scenario/pattern, like "
         "\"fastapi/json\" or \"*/db-read/steady\""},
        {"an unknown profiler",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[profile]\ntargets = [\"*/*\"]\nprofiler = \"pyspy\"\n" +
             valid_frameworks,
         "m.toml:5:12: error: profile: 'profiler' must be \"auto\", \"python-sampler\", \"py-spy\" or \"perf\", found "
         "\"pyspy\"; did you mean 'py-spy'?"},
        {"a misspelt profile key",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[profile]\ntargets = [\"*/*\"]\nfrequncy = 99\n" + valid_frameworks,
         "m.toml:5:1: error: profile: unknown key 'frequncy' (known: targets, profiler, frequency); did you mean "
         "'frequency'?"},
        {"a profile frequency out of range",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[profile]\ntargets = [\"*/*\"]\nfrequency = 5000\n" + valid_frameworks,
         "m.toml:5:13: error: profile: 'frequency' must be between 1 and 1000, found 5000"},
        {"a profile table without targets",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[profile]\nfrequency = 99\n" + valid_frameworks,
         "m.toml:3:1: error: profile: missing key 'targets': list what to profile, like targets = [\"fastapi/json\"]"},
        {"a container on a local framework",
         "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"x\"\nurl = \"http://127.0.0.1:1\"\n"
         "container = \"shootout-x\"\n[framework.local]\ncommand = [\"true\"]\n",
         "m.toml:6:13: error: framework 'x': 'container' is for external frameworks (the Docker container serving it); a "
         "local framework's processes are read from /proc: remove 'container' or set mode = \"external\""},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const auto diagnostics = diagnostics_of(c.text);
        INFO(diagnostics);
        CHECK(diagnostics.find(c.expected) != std::string::npos);
    }
}

TEST_CASE("manifest: an unknown plugin lists the ones available and where it looked", "[core][manifest]") {
    const auto d = diagnostics_of("scenarios = [\"pingg\"]\npatterns = [\"steady\"]\n" + valid_frameworks);
    CHECK(d.find("m.toml:1:14: error: no scenario 'pingg'; available: db-read, db-write, http, json, ping, stream, upload, ws-echo "
                 "(searched: " + test::builtin_plugins().string() + ")") != std::string::npos);
    const auto r = diagnostics_of("scenarios = [\"ping\"]\npatterns = [\"steady\"]\nreporters = [\"xml\"]\n" + valid_frameworks);
    CHECK(r.find("error: no reporter 'xml'; available:") != std::string::npos);
}

TEST_CASE("manifest: every problem is reported at once", "[core][manifest]") {
    const auto d = diagnostics_of("runs = 0\nscenarioz = []\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n" + valid_frameworks);
    CHECK(d.find("m.toml:1:8:") != std::string::npos);
    CHECK(d.find("m.toml:2:1:") != std::string::npos);
}

TEST_CASE("manifest: filters narrow the run and name what does not exist", "[core][manifest]") {
    temp_dir dir;
    const auto file = dir.write("m.toml", "scenarios = [\"ping\", \"json\"]\npatterns = [\"steady\"]\n" + valid_frameworks +
                                              "[[framework]]\nname = \"other\"\nurl = \"http://127.0.0.1:8081\"\n");
    core::plugin_host host;
    auto m = core::load_manifest(file, host, {{test::builtin_plugins(), "next to the binary"}});
    core::apply_filters(m, {"other"}, {"json"}, {}, 3u);
    REQUIRE(m.frameworks.size() == 1);
    CHECK(m.frameworks[0].name == "other");
    REQUIRE(m.scenarios.size() == 1);
    CHECK(m.scenarios[0].name == "json");
    CHECK(m.runs == 3);
    try {
        core::apply_filters(m, {"otter"}, {}, {}, std::nullopt);
        FAIL("expected an error");
    } catch (const core::config_error& e) {
        CHECK(std::string(e.what()) == "--framework otter: the manifest has no framework 'otter' (it has: other); did "
                                       "you mean 'other'?");
    }
}

TEST_CASE("manifest: [database] may only name scenarios the manifest runs", "[core][manifest]") {
    const auto d = diagnostics_of("scenarios = [\"ping\", \"db-write\"]\npatterns = [\"steady\"]\n[database]\nmode = "
                                  "\"none\"\ncount_writes = [\"db_write\"]\n" +
                                  valid_frameworks);
    CHECK(d.find("m.toml:5:17: error: database: 'count_writes' names scenario 'db_write', which 'scenarios' does not "
                 "list (it lists: ping, db-write); did you mean 'db-write'?") != std::string::npos);
}

TEST_CASE("manifest: a zero timeout is refused", "[core][manifest]") {
    const auto d = diagnostics_of("scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[engine]\nrequest_timeout = \"0s\"\n" +
                                  valid_frameworks);
    CHECK(d.find("m.toml:4:19: error: engine: 'request_timeout' must be at least 1ms; every request would time out") !=
          std::string::npos);
}

TEST_CASE("manifest: [profile] picks measurements by framework, scenario and pattern, '*' matching any", "[core][manifest]") {
    temp_dir dir;
    const auto file = dir.write("m.toml", R"(
scenarios = ["ping", "json"]
patterns = ["steady", "spike"]
[profile]
targets = ["fastapi/json", "*/ping/spike"]
profiler = "perf"
frequency = 49

[[framework]]
name = "fastapi"
url = "http://127.0.0.1:8083"
container = "shootout-fastapi"

[[framework]]
name = "flask"
url = "http://127.0.0.1:8081"
)");
    core::plugin_host host;
    const auto m = core::load_manifest(file, host, {{test::builtin_plugins(), "next to the binary"}});
    CHECK(m.profile.profiler == core::profile_settings::choice::perf);
    CHECK(m.profile.frequency == 49);
    CHECK(m.profile.wants("fastapi", "json", "steady"));
    CHECK(m.profile.wants("fastapi", "json", "spike"));
    CHECK_FALSE(m.profile.wants("fastapi", "ping", "steady"));
    CHECK(m.profile.wants("flask", "ping", "spike"));
    CHECK_FALSE(m.profile.wants("flask", "json", "steady"));
    CHECK(m.profile.wants_framework("flask"));
    CHECK(m.frameworks[0].container == "shootout-fastapi");
    CHECK(m.frameworks[1].container.empty());
}

TEST_CASE("manifest: structural errors and the plugins' own value checks are reported in one pass", "[core][manifest]") {
    // A wrong type (structure), a size ws-echo refuses and a pool steady refuses (the plugins'
    // checks): all three at once, in file order, not one layer per attempt.
    CHECK(diagnostics_of("scenarios = [\"ping\", \"ws-echo\"]\npatterns = [\"steady\"]\n[scenario.ws-echo]\nsize = \"1B\"\n"
                         "[pattern.steady]\nconnections = 0\n[[framework]]\nname = \"x\"\nurl = \"http://127.0.0.1:8080\"\n"
                         "websocket = \"yes\"\n") ==
          "m.toml:4:8: error: scenario 'ws-echo': option 'size': must be 8 bytes (room for the message number) to 16MiB\n"
          "m.toml:6:15: error: pattern 'steady': option 'connections': must be 1 to 1000000\n"
          "m.toml:10:13: error: framework 'x': 'websocket' must be a boolean (true or false), found a string");
}

TEST_CASE("manifest: names that cannot be file names, or would make two measurements share a file, are refused at "
          "their place, saying what is allowed",
          "[core][manifest][names]") {
    const std::string allowed = "1 to 64 letters, digits, '-', '_' or '.', not starting with '.' or '_', not ending with "
                                "'_' and without \"__\" (names become parts of file names, joined by \"__\")";
    auto framework = [](const std::string& name) {
        return "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"" + name +
               "\"\nurl = \"http://127.0.0.1:9\"\n";
    };
    // x__ping with ping and x with ping__ping would both be x__ping__ping__steady__run1.json.
    CHECK(diagnostics_of(framework("x__ping")) ==
          "m.toml:4:8: error: framework name \"x__ping\" would make result file names ambiguous; it must be " + allowed);
    CHECK_THAT(diagnostics_of(framework("x_")), Catch::Contains("m.toml:4:8: error: framework name \"x_\" would make"));
    CHECK_THAT(diagnostics_of(framework("_x")), Catch::Contains("m.toml:4:8: error: framework name \"_x\" would make"));
    CHECK(diagnostics_of(framework(".hidden")) == "m.toml:4:8: error: framework name \".hidden\" starts with '.'; it must be " + allowed);
    CHECK_THAT(diagnostics_of(framework("..")), Catch::Contains("m.toml:4:8: error: framework name \"..\" starts with '.'"));
    CHECK(diagnostics_of(framework("a/b")) == "m.toml:4:8: error: framework name \"a/b\" must be " + allowed);
    // Scenario and pattern names (an entry may rename a plugin) are file names too.
    CHECK(diagnostics_of("scenarios = [\"ping__ping\"]\npatterns = [\"steady\"]\n[scenario.ping__ping]\nplugin = \"ping\"\n" +
                         valid_frameworks) ==
          "m.toml:1:14: error: scenario name \"ping__ping\" would make result file names ambiguous; it must be " + allowed);
    CHECK_THAT(diagnostics_of("scenarios = [\"/../../../../x\"]\npatterns = [\"steady\"]\n" + valid_frameworks),
               Catch::StartsWith("m.toml:1:14: error: scenario name \"/../../../../x\" must be " + allowed));
    CHECK_THAT(diagnostics_of("scenarios = [\"ping\"]\npatterns = [\"a/b\"]\n" + valid_frameworks),
               Catch::StartsWith("m.toml:2:13: error: pattern name \"a/b\" must be " + allowed));
    CHECK(diagnostics_of(framework("fast-api.v2_x")).empty());
}

TEST_CASE("manifest: a manifest over 4 MiB, or one that never ends, is refused with its size and the limit, exit 2",
          "[core][manifest][limits]") {
    temp_dir dir;
    const auto big = dir.write("big.toml", "scenarios = [\"ping\"]\n");
    std::filesystem::resize_file(big, 4 * 1024 * 1024 + 1);  // sparse: no disk is used
    auto r = test::run_shootout({"validate", "--config", big.string()});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == big.string() + ": error: the manifest is too large: it is 4194305 bytes, more than the limit of 4 MiB; "
                                  "check the path given to --config\n");
    r = test::run_shootout({"validate", "--config", "/dev/zero"});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == "/dev/zero: error: the manifest is too large: it holds more than the limit of 4 MiB (it is not a "
                   "regular file); check the path given to --config\n");
    r = test::run_shootout({"--config", "/dev/zero"});
    CHECK(r.exit_code == core::exit_usage);
    const auto at_limit = dir.write("limit.toml", "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n" + valid_frameworks);
    std::filesystem::resize_file(at_limit, 4 * 1024 * 1024);  // NUL padding: read, then refused by the TOML parser
    CHECK_THAT(test::run_shootout({"validate", "--config", at_limit.string()}).err, Catch::Contains("not valid TOML"));
}

TEST_CASE("manifest: a local framework whose program or working_dir does not exist is refused, not skipped later",
          "[core][manifest]") {
    const std::string head = "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"a\"\nurl = "
                             "\"http://127.0.0.1:9\"\n[framework.local]\n";
    CHECK(diagnostics_of(head + "command = [\"sh\"]\nworking_dir = \"missing\"\n") ==
          "m.toml:8:15: error: framework 'a': local: 'working_dir' missing is not a directory; give an existing "
          "directory, relative to the manifest");
    CHECK_THAT(diagnostics_of(head + "command = [\"no-such-program-here\", \"--serve\"]\n"),
               Catch::StartsWith("m.toml:7:11: error: framework 'a': local: 'command': cannot find the program "
                                 "'no-such-program-here' (not in PATH); give a path relative to working_dir ("));
    CHECK_THAT(diagnostics_of(head + "command = [\"apps/nothing/serve.sh\"]\n"),
               Catch::Contains("cannot find the program 'apps/nothing/serve.sh' (no such executable file)"));
    CHECK(diagnostics_of(head + "command = [\"sh\", \"-c\", \"exit 0\"]\n").empty());
}

TEST_CASE("manifest: an empty scenarios or patterns list is refused, listing what is available", "[core][manifest]") {
    CHECK_THAT(diagnostics_of("scenarios = []\npatterns = [\"steady\"]\n" + valid_frameworks),
               Catch::StartsWith("m.toml:1:13: error: 'scenarios' is empty: list at least one scenario, like scenarios = "
                                 "[\"ping\"] (available: db-read, db-write, http, json, ping,"));
    CHECK_THAT(diagnostics_of("scenarios = [\"ping\"]\npatterns = []\n" + valid_frameworks),
               Catch::StartsWith("m.toml:2:12: error: 'patterns' is empty: list at least one pattern, like patterns = "
                                 "[\"steady\"]"));
}

TEST_CASE("manifest: CR, LF or NUL in a path, health_path or container, and '=' or NUL in an environment name, are "
          "refused at their place",
          "[core][manifest]") {
    CHECK(diagnostics_of("scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[scenario.ping]\npath = \"/ping\\r\\nHost: "
                         "evil\"\n" + valid_frameworks) ==
          "m.toml:4:8: error: scenario 'ping': option 'path' holds a line break (CR or LF) or NUL, which would split the "
          "request it goes into; remove it");
    const std::string head = "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname = \"a\"\nurl = "
                             "\"http://127.0.0.1:9\"\n";
    CHECK(diagnostics_of(head + "container = \"x\\ny\"\n") ==
          "m.toml:6:13: error: framework 'a': 'container' holds a line break (CR or LF) or NUL, which would split the "
          "Docker Engine request; give the container's name or id");
    const std::string local = head + "[framework.local]\ncommand = [\"sh\"]\n";
    CHECK(diagnostics_of(local + "health_path = \"/ping\\nX: 1\"\n") ==
          "m.toml:8:15: error: framework 'a': local: 'health_path' holds a line break (CR or LF) or NUL, which would "
          "split the health check's request; remove it");
    CHECK(diagnostics_of(local + "[framework.local.environment]\n\"A=B\" = \"1\"\n") ==
          "m.toml:9:1: error: framework 'a': local: environment: variable name 'A=B' must be non-empty, without '=' or NUL");
    CHECK(diagnostics_of(local + "[framework.local.environment]\n\"A\\u0000\" = \"1\"\n") ==
          "m.toml:9:1: error: framework 'a': local: environment: variable name 'A\\x00' must be non-empty, without '=' or "
          "NUL");
    CHECK(diagnostics_of(local + "[framework.local.environment]\nK = \"a\\u0000b\"\n") ==
          "m.toml:9:5: error: framework 'a': local: environment 'K' holds a NUL, which cannot be passed to a program; "
          "remove it");
    CHECK_THAT(diagnostics_of("scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[local.environment]\n\"X=1\" = \"2\"\n" +
                              valid_frameworks),
               Catch::Contains("m.toml:4:1: error: local: environment: variable name 'X=1'"));
}

TEST_CASE("manifest: [engine] keep_alive takes true, false or a count of requests per connection", "[core][manifest][keep-alive]") {
    const std::string head = "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[engine]\nkeep_alive = ";
    for (const auto& [value, column] : std::vector<std::pair<std::string, int>>{{"\"yes\"", 14}, {"0", 14}, {"-1", 14}, {"2.5", 14}}) {
        INFO(value);
        const auto d = diagnostics_of(head + value + "\n" + valid_frameworks);
        CHECK(d.find(fmt::format("m.toml:4:{}: error: engine: 'keep_alive' must be true (keep connections alive), false "
                                 "(a new connection per request) or a number of requests per connection from 1 to "
                                 "4294967295, found ",
                                 column)) != std::string::npos);
    }
    for (const auto& [value, requests] : std::vector<std::pair<std::string, std::uint32_t>>{{"true", 0}, {"false", 1}, {"10", 10}}) {
        INFO(value);
        temp_dir dir;
        const auto file = dir.write("m.toml", head + value + "\n" + valid_frameworks);
        core::plugin_host host;
        const auto m = core::load_manifest(file, host, {{test::builtin_plugins(), "next to the binary"}});
        CHECK(m.engine.requests_per_connection == requests);
    }
}

TEST_CASE("manifest: a scenario's patterns name the patterns that measure it, and only listed ones", "[core][manifest]") {
    const std::string head = "scenarios = [\"ping\", \"json\"]\npatterns = [\"steady\", \"spike\"]\n[scenario.json]\npatterns = ";
    const std::vector<std::pair<std::string, std::string>> broken{
        {"[\"stedy\"]", "m.toml:4:13: error: scenario 'json': 'patterns' names pattern 'stedy', which 'patterns' at the top "
                        "does not list (it lists: steady, spike); did you mean 'steady'?"},
        {"[]", "m.toml:4:12: error: scenario 'json': 'patterns' is empty, so no pattern would measure it; list at least "
               "one, or remove the key to measure it under every pattern"},
        {"[\"spike\", \"spike\"]", "m.toml:4:22: error: scenario 'json': pattern 'spike' is listed twice in its 'patterns'"},
        {"\"steady\"", "m.toml:4:12: error: scenario 'json': 'patterns' must be an array of strings"},
    };
    for (const auto& [value, message] : broken) {
        INFO(value);
        const auto d = diagnostics_of(head + value + "\n" + valid_frameworks);
        CHECK(d.find(message) != std::string::npos);
    }
    temp_dir dir;
    const auto file = dir.write("m.toml", head + "[\"steady\"]\n" + valid_frameworks);
    core::plugin_host host;
    const auto m = core::load_manifest(file, host, {{test::builtin_plugins(), "next to the binary"}});
    REQUIRE(m.scenarios.size() == 2);
    CHECK(m.scenarios[0].measured_under("steady"));
    CHECK(m.scenarios[0].measured_under("spike"));
    CHECK(m.scenarios[1].measured_under("steady"));
    CHECK_FALSE(m.scenarios[1].measured_under("spike"));
    // The key is the host's: the json plugin never sees it as an option of its own.
    CHECK_FALSE(m.scenarios[1].options.contains("patterns"));
}
