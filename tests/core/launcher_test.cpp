// Local frameworks: started, checked for health, measured, stopped with every process they
// forked; and each way a start can go wrong is reported as skipped with the reason.

#include <chrono>
#include <random>
#include <regex>

#include <catch2/catch.hpp>

#include "launcher/http_probe.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
using core::launcher::free_loopback_port;

namespace {


std::string unique_tag() { return "tag" + std::to_string(std::random_device{}()); }

// Whether any process has `tag` in its command line. The pattern "[t]ag..." does not match the
// shell that runs pgrep, whose own command line holds the pattern, not the tag.
int processes_tagged(const std::string& tag) {
    const std::string pattern = "[" + tag.substr(0, 1) + "]" + tag.substr(1);
    return std::system(("pgrep -f -- '" + pattern + "' >/dev/null").c_str()) == 0 ? 1 : 0;
}

// A manifest with one local framework running tests/fixtures/servers/tiny_server.py.
std::string manifest_for(const std::string& args, const std::string& extra_local = "",
                         const std::string& duration = "300ms", const std::string& scenarios = "\"ping\"") {
    const std::string server = std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/servers/tiny_server.py";
    std::string quoted;
    std::string rest = args;
    for (std::size_t at; !rest.empty();) {
        at = rest.find(' ');
        quoted += ", \"" + rest.substr(0, at) + "\"";
        rest = at == std::string::npos ? "" : rest.substr(at + 1);
    }
    return "output_dir = \"out\"\nscenarios = [" + scenarios +
           "]\npatterns = [\"steady\"]\n[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\nduration = \"" + duration +
           "\"\n[engine]\nthreads = 1\n[[framework]]\nname = \"tiny\"\nurl = \"http://127.0.0.1:" +
           std::to_string(free_loopback_port()) + "\"\n[framework.local]\ncommand = [\"/usr/bin/python3\", \"" + server + "\"" +
           quoted + "]\nstart_timeout = \"10s\"\nstop_timeout = \"2s\"\n" + extra_local;
}

}  // namespace

TEST_CASE("launcher: a local framework is started, measured and stopped with its workers", "[launcher]") {
    test::temp_dir dir;
    const auto tag = unique_tag();
    const auto file = dir.write("m.toml", manifest_for("--workers 2 --tag " + tag));
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("tiny           1  measured") != std::string::npos);
    CHECK(processes_tagged(tag) == 0);
    CHECK(std::filesystem::exists(dir.path() / "out" / "latest" / "logs" / "tiny.log"));
}

TEST_CASE("launcher: a framework that is not installed is skipped with the hint", "[launcher]") {
    test::temp_dir dir;
    const auto file = dir.write(
        "m.toml", manifest_for("", "check_command = [\"/usr/bin/python3\", \"-c\", \"import no_such_framework\"]\n"
                                   "missing_hint = \"no_such is not packaged in Debian 12; use docker compose\"\n"));
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);  // skipped is not a failure of the run
    CHECK(r.out.find("tiny           1  skipped   tiny is not installed here (`/usr/bin/python3 -c import "
                     "no_such_framework` failed: ModuleNotFoundError: No module named 'no_such_framework'); no_such "
                     "is not packaged in Debian 12; use docker compose") != std::string::npos);
}

TEST_CASE("launcher: a framework that exits while starting is skipped, with the end of its log", "[launcher]") {
    test::temp_dir dir;
    const auto file = dir.write("m.toml", manifest_for("--exit-now"));
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.out.find("skipped   tiny exited with status 3 while starting; the end of ") != std::string::npos);
    CHECK(r.out.find("tiny_server: failing on purpose") != std::string::npos);
}

TEST_CASE("launcher: a framework whose port is taken is skipped before it starts, naming the port", "[launcher]") {
    // Another server holds the port: its answers must never pass for the framework's.
    test::test_server squatter(1);
    test::temp_dir dir;
    const auto tag = unique_tag();
    const auto text = std::regex_replace(manifest_for("--tag " + tag), std::regex("127\\.0\\.0\\.1:[0-9]+"),
                                         "127.0.0.1:" + std::to_string(squatter.port()));
    const auto file = dir.write("m.toml", text);
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.out.find("skipped   tiny's port " + std::to_string(squatter.port()) + " is already taken") != std::string::npos);
    CHECK(squatter.requests() == 0);
    CHECK(processes_tagged(tag) == 0);
}

TEST_CASE("launcher: a framework that never turns healthy is skipped after its start timeout", "[launcher]") {
    test::temp_dir dir;
    const auto tag = unique_tag();
    auto text = manifest_for("--never-healthy --tag " + tag);
    text.replace(text.find("start_timeout = \"10s\""), 21, "start_timeout = \"1s\"");
    const auto file = dir.write("m.toml", text);
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.out.find("skipped   tiny did not answer GET /ping with 200 within 1s (last: status 503)") !=
          std::string::npos);
    CHECK(processes_tagged(tag) == 0);
}

TEST_CASE("launcher: a server that ignores SIGTERM is killed, workers and all", "[launcher]") {
    test::temp_dir dir;
    const auto tag = unique_tag();
    const auto file = dir.write("m.toml", manifest_for("--workers 2 --ignore-term --tag " + tag));
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(processes_tagged(tag) == 0);
}

TEST_CASE("launcher: a server that dies during the run fails what follows, with the reason", "[launcher]") {
    test::temp_dir dir;
    const auto tag = unique_tag();
    const auto file = dir.write("m.toml", manifest_for("--die-after 0.7 --tag " + tag, "", "1s", "\"ping\", \"json\""));
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("FAILED    the tiny server exited with status 3 during the run") != std::string::npos);
    CHECK(processes_tagged(tag) == 0);
}

TEST_CASE("launcher: a server whose worker left the group with setsid() and ignores SIGTERM is still stopped", "[launcher]") {
    test::temp_dir dir;
    const auto tag = unique_tag();
    const auto file = dir.write("m.toml", manifest_for("--workers 1 --setsid-workers --ignore-term --tag " + tag));
    auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(processes_tagged(tag) == 0);  // the worker is outside the group: found by its parent link
}

TEST_CASE("launcher: Ctrl-C during a framework's check_command stops the check at once", "[launcher]") {
    test::temp_dir dir;
    const auto tag = unique_tag();
    const auto file = dir.write("m.toml", manifest_for("", "check_command = [\"/bin/sh\", \"-c\", \"sleep 20; : " + tag + "\"]\n"));
    const auto started = std::chrono::steady_clock::now();
    // --foreground: the signal goes to shootout once; without it timeout sends it to its whole
    // process group as well, a second signal right after the first (which ends shootout at once).
    const auto r = test::run_binary({"--log-level", "warn", "--config", file.string()}, "timeout --foreground --preserve-status -s INT 1");
    const auto took = std::chrono::steady_clock::now() - started;
    INFO(r.out << r.err);
    CHECK(took < std::chrono::seconds(8));  // not the check's 20 s
    CHECK(r.exit_code == 1);                // interrupted
    CHECK(r.out.find("tiny           1  skipped   the run was interrupted") != std::string::npos);
    CHECK(r.err.find("tiny: will be skipped: the run was interrupted (during tiny's check `/bin/sh -c sleep 20; : " + tag +
                     "`)") != std::string::npos);
    CHECK(processes_tagged(tag) == 0);
}

TEST_CASE("launcher: terminal escape sequences in a server's log are shown escaped, not sent to the terminal", "[launcher]") {
    test::temp_dir dir;
    // Clears the screen and retitles the window, in a real terminal.
    const auto file = dir.write("m.toml", manifest_for("--exit-now --say \\u001b]0;owned\\u0007\\u001b[2Jboom"));
    const auto r = test::run_binary({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.err.find("\\x1B]0;owned\\x07\\x1B[2Jboom") != std::string::npos);
    CHECK(r.out.find('\x1b') == std::string::npos);
    CHECK(r.err.find('\x1b') == std::string::npos);
}
