#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "errors.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
using test::run_binary;
using test::run_shootout;

TEST_CASE("cli: list-plugins prints kind, id, version, description and file of every plugin", "[core][cli]") {
    auto r = run_binary({"list-plugins"});
    CHECK(r.exit_code == 0);
    INFO(r.out << r.err);
    CHECK(r.out.rfind("KIND      ID             VERSION  DESCRIPTION", 0) == 0);
    for (const char* id : {"ping", "json", "db-read", "db-write", "upload", "stream", "ws-echo", "steady", "spike", "constant-rate", "md", "csv", "json", "html", "flamegraph"})
        CHECK(r.out.find(std::string(" ") + id + " ") != std::string::npos);
    CHECK(r.out.find("pattern   steady         1.0.0    N connections, closed loop: warm-up, then measure") !=
          std::string::npos);
    CHECK(r.out.find((test::builtin_plugins() / "scenario-ping.so").string()) != std::string::npos);
}

TEST_CASE("cli: list-plugins --json is one document with options", "[core][cli]") {
    auto r = run_binary({"list-plugins", "--json"});
    REQUIRE(r.exit_code == 0);
    auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("schema_version").as_int64() == 1);
    const auto& plugins = doc.at("plugins").as_array();
    std::size_t libraries = 0;  // every built-in plugin library is listed
    for (const auto& entry : std::filesystem::directory_iterator(test::builtin_plugins()))
        libraries += entry.path().extension() == ".so";
    CHECK(plugins.size() == libraries);
    bool found = false;
    for (const auto& p : plugins) {
        const auto& o = p.as_object();
        if (o.at("id") != "upload") continue;
        found = true;
        CHECK(o.at("kind") == "scenario");
        CHECK(o.at("file").as_string().ends_with("scenario-upload.so"));
        const auto& options = o.at("options").as_array();
        REQUIRE(options.size() == 3);
        CHECK(options[1].as_object().at("key") == "size");
        CHECK(options[1].as_object().at("type") == "size");
        CHECK(options[1].as_object().at("default") == "5MiB");
    }
    CHECK(found);
    CHECK(doc.at("problems").as_array().empty());
}

TEST_CASE("cli: list-plugins reports a broken library on the plugin path and exits 2", "[core][cli]") {
    auto r = run_binary({"list-plugins"}, "SHOOTOUT_PLUGIN_PATH=" + test::fixture_plugins("wrong-abi").string());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("error: Wrong ABI version on plugin '") != std::string::npos);
    CHECK(r.out.find(" ping ") != std::string::npos);  // the good ones are still listed
}

TEST_CASE("cli: list-plugins finds plugins in SHOOTOUT_PLUGIN_PATH", "[core][cli]") {
    auto r = run_binary({"list-plugins"}, "SHOOTOUT_PLUGIN_PATH=/nonexistent:" + test::fixture_plugins("picky").string());
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("scenario  picky") != std::string::npos);
}

TEST_CASE("cli: validate names the file, line, column, bad key and known keys, and exits 2", "[core][cli]") {
    test::temp_dir dir;
    const auto file = dir.write("shootout.toml", R"(scenarios = ["ping"]
patterns = ["steady"]

[pattern.steady]
conections = 10

[[framework]]
name = "a"
url = "http://127.0.0.1:9"
)");
    auto r = run_shootout({"validate", "--config", file.string()});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == file.string() + ":5:1: error: pattern 'steady': unknown key 'conections' (known: plugin, "
                                   "connections, warmup, duration); did you mean 'connections'?\n");
}

TEST_CASE("cli: validate accepts a good manifest without running anything", "[core][cli]") {
    test::temp_dir dir;
    const auto file = dir.write("shootout.toml", "scenarios = [\"ping\"]\npatterns = [\"steady\"]\n[[framework]]\nname "
                                                 "= \"a\"\nurl = \"http://127.0.0.1:9\"\n");
    auto r = run_shootout({"validate", "--config", file.string()});
    CHECK(r.exit_code == 0);
    CHECK(r.out == file.string() + ": ok: 1 framework(s), 1 scenario(s), 1 pattern(s), 0 reporter(s), 1 run(s)\n");
}

TEST_CASE("cli: usage errors exit 2, --version and --help exit 0", "[core][cli]") {
    CHECK(run_shootout({}).exit_code == core::exit_usage);
    CHECK(run_shootout({"--no-such-flag"}).exit_code == core::exit_usage);
    CHECK(run_shootout({"--config", "/nonexistent.toml"}).exit_code == core::exit_usage);
    CHECK(run_shootout({"--log-level", "loud", "list-plugins"}).exit_code == core::exit_usage);
    auto version = run_shootout({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.rfind("shootout 0.1.0 (", 0) == 0);
    auto help = run_shootout({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("list-plugins") != std::string::npos);
}

TEST_CASE("cli: run refuses a --target port out of range, bad timeouts and thread counts, naming each", "[core][cli]") {
    auto port = run_shootout({"run", "--target", "http://127.0.0.1:99767"});
    CHECK(port.exit_code == core::exit_usage);
    CHECK(port.err.find("--target \"http://127.0.0.1:99767\" has port '99767'; use 1 to 65535") != std::string::npos);
    auto timeout = run_shootout({"run", "--target", "http://127.0.0.1:1", "--request-timeout", "0s"});
    CHECK(timeout.exit_code == core::exit_usage);
    CHECK(timeout.err.find("--request-timeout: must be at least 1ms") != std::string::npos);
    auto connect = run_shootout({"run", "--target", "http://127.0.0.1:1", "--connect-timeout", "500us"});
    CHECK(connect.exit_code == core::exit_usage);
    CHECK(connect.err.find("--connect-timeout: must be at least 1ms") != std::string::npos);
    auto threads = run_shootout({"run", "--target", "http://127.0.0.1:1", "--threads", "100000"});
    CHECK(threads.exit_code == core::exit_usage);
    CHECK(threads.err.find("--threads 100000: must be at most 1024") != std::string::npos);
}

TEST_CASE("cli: manifest-run options before another command are refused, not ignored", "[core][cli]") {
    test::temp_dir dir;
    const auto manifest = dir.write("m.toml", "scenarios = [\"ping\"]\n");
    auto report = run_shootout({"--config", manifest.string(), "report", "--results", dir.path().string()});
    CHECK(report.exit_code == core::exit_usage);
    CHECK(report.err == "shootout: --config before 'report' applies to a manifest run, not to 'report'; give the "
                        "command's own options after it (see shootout report --help)\n");
    auto list = run_shootout({"--runs", "2", "list-plugins"});
    CHECK(list.exit_code == core::exit_usage);
    CHECK(list.err.find("shootout: --runs before 'list-plugins' applies to a manifest run") == 0);
}

TEST_CASE("cli: run names the flag in its errors, and refuses --rate or --duration with constant-rate stages",
          "[core][cli]") {
    auto duration = run_shootout({"run", "--target", "http://127.0.0.1:1", "--duration", "abc"});
    CHECK(duration.exit_code == core::exit_usage);
    CHECK(duration.err == "--duration abc: must be a duration like \"30s\", \"500ms\" or \"2m\"\n");
    auto connections = run_shootout({"run", "--target", "http://127.0.0.1:1", "--connections", "0"});
    CHECK(connections.err == "--connections: pattern 'steady': must be 1 to 1000000\n");
    auto spike = run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "spike", "--connections", "5"});
    CHECK(spike.exit_code == core::exit_usage);
    CHECK(spike.err == "--connections: pattern 'spike' has no option 'connections'; give spike its stages with "
                       "--pattern-option stages=...\n");
    auto both = run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "constant-rate", "--rate", "100",
                              "--pattern-option", "stages=hold 1s 100"});
    CHECK(both.exit_code == core::exit_usage);
    CHECK(both.err == "--pattern-option stages: pattern 'constant-rate': replaces 'rate' and 'duration', which are set "
                      "too: remove them, or remove 'stages'\n");
    // Given, not compared with the default: --rate 1000 is constant-rate's default, and still refused.
    auto at_default = run_shootout({"run", "--target", "http://127.0.0.1:1", "--pattern", "constant-rate", "--rate",
                                    "1000", "--pattern-option", "stages=hold 1s 100"});
    CHECK(at_default.exit_code == core::exit_usage);
    CHECK(at_default.err == both.err);
}

TEST_CASE("cli: run says what is wrong with a URL fragment, an upper-case scheme, a negative or too long duration, and "
          "what is allowed",
          "[core][cli]") {
    auto err_of = [](std::vector<std::string> extra) {
        std::vector<std::string> args{"run"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run_shootout(args);
        CHECK(r.exit_code == core::exit_usage);
        return r.err;
    };
    CHECK(err_of({"--target", "http://127.0.0.1:1/#top"}) ==
          "--target \"http://127.0.0.1:1/#top\" has a fragment ('#top'), which is never sent to a server; remove it\n");
    CHECK(err_of({"--target", "HTTP://127.0.0.1:1"}) ==
          "--target \"HTTP://127.0.0.1:1\": write the scheme 'HTTP' in lower case, as http://\n");
    CHECK(err_of({"--target", "http://127.0.0.1:1/?id=1"}) ==
          "--target \"http://127.0.0.1:1/?id=1\" has a query ('?id=1'); give scheme, host, port and an optional path "
          "prefix only (each scenario sets its own path and query)\n");
    CHECK(err_of({"--target", "http://127.0.0.1:1", "--warmup", "-1s"}) ==
          "--warmup -1s: must not be negative; give 0s or more, like \"30s\"\n");
    CHECK(err_of({"--target", "http://127.0.0.1:1", "--duration", "1000000h"}) ==
          "--duration 1000000h: is longer than the longest duration, 1000000000s (about 31 years); give a shorter one, "
          "like \"10m\"\n");
    CHECK(err_of({"--target", "http://127.0.0.1:1", "--request-timeout", "5parsecs"}) ==
          "--request-timeout 5parsecs: has unit 'parsecs'; use ns, us, ms, s, m or h, like \"30s\"\n");
}

TEST_CASE("cli: a real directory at output_dir/latest is reported and left alone", "[core][cli]") {
    test::test_server server(1);
    test::temp_dir dir;
    const auto mine = dir.write("out/latest/mine.txt", "not shootout's");
    const auto file = dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n"
                                          "[pattern.steady]\nconnections = 1\nwarmup = \"0s\"\nduration = \"200ms\"\n"
                                          "[engine]\nthreads = 1\n[[framework]]\nname = \"a\"\nurl = \"" + server.base_url() + "\"\n");
    const auto r = run_binary({"--log-level", "warn", "--config", file.string()});  // the warning is a log line
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains((dir.path() / "out" / "latest").string() + " is a directory, not the link shootout "
                                      "keeps to the latest run, so it was left as it is and does not point at"));
    CHECK(std::filesystem::exists(mine));
}

TEST_CASE("cli: run --keep-alive takes true, false or a count, and not for WebSocket", "[core][cli][keep-alive]") {
    for (const char* bad : {"yes", "0", "-3", "10x"}) {
        INFO(bad);
        auto r = run_shootout({"run", "--target", "http://127.0.0.1:1", "--keep-alive", bad});
        CHECK(r.exit_code == core::exit_usage);
        CHECK(r.err.find(fmt::format("--keep-alive {}: must be true (keep connections alive), false (a new connection "
                                     "per request) or a number of requests per connection from 1 to 4294967295",
                                     bad)) != std::string::npos);
    }
    auto ws = run_shootout({"run", "--target", "http://127.0.0.1:1", "--scenario", "ws-echo", "--keep-alive", "false"});
    CHECK(ws.exit_code == core::exit_usage);
    CHECK(ws.err.find("--keep-alive false: scenario 'ws-echo' speaks WebSocket, whose connection carries every message of "
                      "the run; the connection mode applies to HTTP scenarios only") != std::string::npos);
}
