// What a run concludes about a server, on the console, in --json and in the exit code: a
// measurement with nothing completed is failed, never a 0 req/s result that could be ranked, and
// an error rate over the reports' threshold fails the run as it fails the framework in the reports.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;

namespace {

test::cli_result adhoc(const test::test_server& server, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--log-level", "warn", "run",    "--target", server.base_url(), "--connections",
                                  "4",           "--threads",   "1", "--warmup", "0s",              "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_shootout(args);
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("verdicts: a server that answers nothing under load is failed, not a result of 0 req/s", "[verdict]") {
    test::test_server server(1);
    // Every answer takes 2 s: the correctness check passes (its timeout is 30 s), but no request
    // sent in the 1 s measured time is answered within it, and none has failed yet.
    test::faults slow;
    slow.delay = std::chrono::seconds(2);
    server.set_faults(slow);
    const auto r = adhoc(server, {"--duration", "1s"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("outcome") == "failed");
    CHECK(doc.at("requests").to_number<double>() == 0);
    const std::string reason(doc.at("reason").as_string());
    CHECK(reason.find("no request completed in the measured time") == 0);
    CHECK(reason.find("request timeout, 30000 ms") != std::string::npos);
}

TEST_CASE("verdicts: an error rate above 0.1 % exits 1, the figures still printed", "[verdict]") {
    test::test_server server(1);
    test::faults some_500s;
    some_500s.status = 500;
    some_500s.status_every = 10;
    server.set_faults(some_500s);
    const auto r = adhoc(server, {"--duration", "1s"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("outcome") == "measured");
    CHECK(doc.at("requests").to_number<double>() > 100);
    CHECK(doc.at("error_rate").to_number<double>() == Approx(0.1).epsilon(0.1));
    CHECK(doc.at("error_rate_ok") == false);
    // The first failures all share one reason: it is given once, with how often.
    std::string errors_warning;
    for (const auto& w : doc.at("warnings").as_array())
        if (w.as_string().find("error(s); first: ") != boost::json::string::npos) errors_warning = std::string(w.as_string());
    INFO(errors_warning);
    const auto first = errors_warning.find("status 500");
    REQUIRE(first != std::string::npos);
    CHECK(errors_warning.find("status 500", first + 1) == std::string::npos);
    CHECK(errors_warning.find("(×") != std::string::npos);
}

TEST_CASE("verdicts: a clean run exits 0 with error_rate 0", "[verdict]") {
    test::test_server server(1);
    const auto r = adhoc(server, {"--duration", "500ms"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("error_rate").to_number<double>() == 0);
    CHECK(doc.at("error_rate_ok") == true);
}

TEST_CASE("verdicts: in a manifest run, a framework over the error threshold is listed as failed and the exit is 1, and "
          "one with nothing measured is never ranked",
          "[verdict]") {
    test::test_server erring(1), silent(1);
    test::faults some_500s;
    some_500s.status = 500;
    some_500s.status_every = 10;
    erring.set_faults(some_500s);
    test::faults slow;
    slow.delay = std::chrono::seconds(2);
    silent.set_faults(slow);
    test::temp_dir dir;
    const auto file = dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n"
                                          "reporters = [\"md\"]\n[pattern.steady]\nconnections = 4\nwarmup = \"0s\"\n"
                                          "duration = \"1s\"\n[engine]\nthreads = 1\n"
                                          "[[framework]]\nname = \"erring\"\nurl = \"" + erring.base_url() + "\"\n"
                                          "[[framework]]\nname = \"silent\"\nurl = \"" + silent.base_url() + "\"\n");
    const auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("failed:\n  erring / ping / steady: error rate") != std::string::npos);
    CHECK(r.out.find("  silent / ping / steady: no request completed in the measured time") != std::string::npos);
    const auto report = read_file(dir.path() / "out" / "latest" / "REPORT.md");
    INFO(report);
    CHECK(report.find("**silent**, ping / steady: failed: no request completed") != std::string::npos);
    CHECK(report.find("| 1 | silent") == std::string::npos);
}

TEST_CASE("verdicts: Ctrl-C during a correctness check skips the framework, it does not fail it", "[verdict]") {
    // Every answer takes 3 s, so the check is still waiting when SIGINT comes at 1.5 s.
    test::test_server slow(1);
    test::faults delay;
    delay.delay = std::chrono::seconds(3);
    slow.set_faults(delay);
    test::temp_dir dir;
    const auto file = dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"ping\", \"ws-echo\"]\npatterns = [\"steady\"]\n"
                                          "reporters = [\"md\"]\n[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\n"
                                          "duration = \"1s\"\n[[framework]]\nname = \"slow\"\nurl = \"" + slow.base_url() +
                                          "\"\nwebsocket = false\n");
    const auto r = test::run_binary({"--log-level", "warn", "--config", file.string()}, "timeout --preserve-status -s INT 1.5");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);  // interrupted
    CHECK(r.out.find("skipped   the run was interrupted (during the correctness check)") != std::string::npos);
    CHECK(r.out.find("n/a       slow has no WebSocket support") != std::string::npos);  // known without running
    CHECK(r.out.find("failed:") == std::string::npos);
}
