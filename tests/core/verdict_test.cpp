// What a run concludes about a server, on the console, in --json and in the exit code: a
// measurement with nothing completed is failed, never a 0 req/s result that could be ranked, and
// an error rate over the reports' threshold fails the run as it fails the framework in the reports.
#include <fstream>
#include <sstream>
#include <thread>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stats/summarize.h"

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
    CHECK(doc.at("measurement").at("outcome") == "failed");
    CHECK(doc.at("measurement").at("completed").to_number<double>() == 0);
    const std::string reason(doc.at("measurement").at("reason").as_string());
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
    CHECK(doc.at("measurement").at("outcome") == "measured");
    CHECK(doc.at("measurement").at("completed").to_number<double>() > 100);
    CHECK(doc.at("verdict").at("error_rate").to_number<double>() == Approx(0.1).epsilon(0.1));
    CHECK(doc.at("verdict").at("ok") == false);
    CHECK(std::string(doc.at("verdict").at("problems").as_array().at(0).as_string()).rfind("error rate ", 0) == 0);
    // The first failures all share one reason: it is given once, with how often.
    std::string errors_warning;
    for (const auto& w : doc.at("measurement").at("warnings").as_array())
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
    CHECK(doc.at("verdict").at("error_rate").to_number<double>() == 0);
    CHECK(doc.at("verdict").at("ok") == true);
    CHECK(doc.at("verdict").at("problems").as_array().empty());
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
    // --foreground: the signal goes to shootout once; without it timeout sends it to its whole
    // process group as well, a second signal right after the first (which ends shootout at once).
    const auto r = test::run_binary({"--log-level", "warn", "--config", file.string()}, "timeout --foreground --preserve-status -s INT 1.5");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);  // interrupted
    CHECK(r.out.find("skipped   the run was interrupted (during the correctness check)") != std::string::npos);
    CHECK(r.out.find("n/a       slow has no WebSocket support") != std::string::npos);  // known without running
    CHECK(r.out.find("failed:") == std::string::npos);
}

namespace {

// Switches the server to `f` after `after`, from another thread, while a run is going on.
class fault_later {
public:
    fault_later(test::test_server& server, std::chrono::milliseconds after, test::faults f)
        : thread_([&server, after, f] {
              std::this_thread::sleep_for(after);
              server.set_faults(f);
          }) {}
    ~fault_later() { thread_.join(); }

private:
    std::thread thread_;
};

// Switches the server to `f` once it has received `requests` HTTP requests (the correctness
// check's and then the load's), so the fault comes at a known point of the load however long
// the start-up took on a busy machine. Gives up after 20 s.
class fault_after {
public:
    fault_after(test::test_server& server, std::uint64_t requests, test::faults f)
        : thread_([&server, requests, f] {
              const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
              while (server.requests() < requests && std::chrono::steady_clock::now() < deadline)
                  std::this_thread::sleep_for(std::chrono::microseconds(500));
              server.set_faults(f);
          }) {}
    ~fault_after() { thread_.join(); }

private:
    std::thread thread_;
};

double number_at(const boost::json::value& doc, std::initializer_list<const char*> path) {
    const boost::json::value* v = &doc;
    for (const char* key : path) v = &v->as_object().at(key);
    return v->to_number<double>();
}

}  // namespace

TEST_CASE("verdicts: a server that hangs in the middle of a closed-loop run fails, its requests' waits in the latency",
          "[verdict][faults]") {
    test::test_server server(1);
    // The run starts at once (no warm-up); some 3,000 requests in (a fraction of a second), the
    // server stops answering for good, as a SIGSTOPped process does. Closed-loop load then sends
    // nothing more, and before this was judged it passed with the req/s of before and no error.
    fault_after hang(server, 3000, {.never_answer = true});
    const auto r = adhoc(server, {"--duration", "2500ms"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out);
    CHECK(doc.at("measurement").at("outcome") == "failed");
    const std::string reason(doc.at("measurement").at("reason").as_string());
    CHECK(reason.find("the server stopped answering: nothing was answered in the last ") == 0);
    CHECK(reason.find("and 4 were still unanswered at the end") != std::string::npos);
    CHECK(number_at(doc, {"measurement", "unfinished", "requests"}) == 4);  // one per connection
    // Each waited from early in the run to its end at 2.5 s.
    CHECK(number_at(doc, {"measurement", "unfinished", "oldest_wait_us"}) > 1.5e6);
    CHECK(number_at(doc, {"measurement", "unfinished", "oldest_wait_us"}) <= 2.5e6);
    CHECK(number_at(doc, {"measurement", "latency_us", "max"}) > 1.5e6);
    CHECK(number_at(doc, {"measurement", "completed"}) > 100);  // what completed before the hang is kept
}

TEST_CASE("verdicts: under the open model, requests due but never sent during a hang count at their wait",
          "[verdict][faults]") {
    test::test_server server(1);
    // 400/s for 3 s; the server hangs once it has had the check's 3 requests and 400 of the
    // load's, 1 s in. The requests due in the last 2 s (about 800 of 1,200) are never sent, as
    // every connection waits: they waited from 0 to 2 s by the end, so the corrected p99 is about
    // 2 - 0.01 * 3 = 1.97 s (a stall of D in T), not the 1 ms of what completed.
    fault_after hang(server, 403, {.never_answer = true});
    const auto r = adhoc(server, {"--pattern", "constant-rate", "--rate", "400", "--duration", "3s"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out);
    CHECK(doc.at("measurement").at("outcome") == "failed");
    CHECK(std::string(doc.at("measurement").at("reason").as_string()).find("the server stopped answering") == 0);
    const double unfinished = number_at(doc, {"measurement", "unfinished", "requests"});
    CHECK(unfinished > 700);
    CHECK(unfinished < 850);
    CHECK(number_at(doc, {"measurement", "latency_us", "p99"}) > 1.75e6);
    CHECK(number_at(doc, {"measurement", "latency_us", "p99"}) < 2.05e6);
    CHECK(number_at(doc, {"measurement", "rate_plan", "unsent_at_end"}) > 650);
}

TEST_CASE("verdicts: a wrong content type is caught on every response, not on the sample", "[verdict][faults]") {
    test::test_server server(1);
    // One answer in 20 says text/html; one body in 100 is judged. Counted on the sample alone,
    // that would be 0.05 % wrong; it is 5 %, and the server's own count says how many.
    server.set_faults({.wrong_content_type = true, .wrong_every = 20});
    const auto r = adhoc(server, {"--duration", "1s"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out);
    const double verify = number_at(doc, {"measurement", "errors", "verify"});
    // The server sent requests()/20 wrong answers; those to requests still in flight at the end
    // (at most one per connection) were not read.
    const double sent_wrong = static_cast<double>(server.requests() / 20);
    CHECK(verify <= sent_wrong);
    CHECK(verify >= sent_wrong - 4);
    CHECK(number_at(doc, {"verdict", "error_rate"}) == Approx(0.05).epsilon(0.05));
    CHECK(doc.at("verdict").at("ok") == false);
    CHECK(std::string(doc.at("verdict").at("problems").as_array().at(0).as_string()).rfind("error rate ", 0) == 0);
}

TEST_CASE("verdicts: wrong bodies judged on a sample are judged by their share of the sample", "[verdict][faults]") {
    test::test_server server(1);
    // One body in 19 is wrong and one in 100 judged: before, 5 % of bodies wrong read as an error
    // rate of 0.05 % and passed; now the share among the judged decides, with its interval.
    server.set_faults({.wrong_body = true, .wrong_every = 19});
    const auto r = adhoc(server, {"--duration", "1s"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out);
    const double judged = number_at(doc, {"verdict", "body_checks", "judged"});
    const double failed = number_at(doc, {"verdict", "body_checks", "failed"});
    CHECK(judged > 50);
    CHECK(failed > 0);
    CHECK(number_at(doc, {"measurement", "errors", "verify"}) == failed);  // no head was wrong: only the judged bodies
    CHECK(number_at(doc, {"verdict", "body_checks", "failed_fraction"}) == Approx(failed / judged));
    CHECK(number_at(doc, {"verdict", "error_rate"}) < 0.001);  // the old figure, which passed
    CHECK(doc.at("verdict").at("ok") == false);
    CHECK(std::string(doc.at("verdict").at("problems").as_array().at(0).as_string()).rfind("wrong bodies in ", 0) == 0);
    const auto& range = doc.at("verdict").at("body_checks").at("interval95").as_array();
    CHECK(range.at(0).to_number<double>() <= failed / judged);
    CHECK(range.at(1).to_number<double>() >= failed / judged);
}

TEST_CASE("verdicts: in a manifest run, sampled wrong bodies fail the framework on the console and in the reports",
          "[verdict][faults]") {
    test::test_server server(1);
    test::temp_dir dir;
    const auto file = dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"ping\"]\npatterns = [\"steady\"]\n"
                                          "reporters = [\"md\"]\n[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\n"
                                          "duration = \"1500ms\"\n[engine]\nthreads = 1\nverify_sample = 2000\n"
                                          "[[framework]]\nname = \"liar\"\nurl = \"" + server.base_url() + "\"\n");
    // Right through the correctness check, then every body wrong. One body in 2,000 is judged:
    // the old rule read that as an error rate of 0.05 %, and ranked it.
    fault_after lie(server, 200, {.wrong_body = true});
    const auto r = test::run_shootout({"--log-level", "warn", "--config", file.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("failed:\n  liar / ping / steady: wrong bodies in ") != std::string::npos);
    const auto report = read_file(dir.path() / "out" / "latest" / "REPORT.md");
    INFO(report);
    CHECK(report.find("**liar**, ping / steady: failed: wrong bodies in ") != std::string::npos);
}

TEST_CASE("verdicts: Wilson's interval matches published values", "[verdict][stats]") {
    // Newcombe (1998), Table I, method 3 (score interval without continuity correction).
    auto check = [](std::uint64_t x, std::uint64_t n, double low, double high) {
        const auto i = core::stats::wilson95(x, n);
        CHECK(i.low == Approx(low).margin(0.00006));
        CHECK(i.high == Approx(high).margin(0.00006));
    };
    check(81, 263, 0.2553, 0.3662);
    check(15, 148, 0.0624, 0.1605);
    check(0, 20, 0.0000, 0.1611);
    check(1, 29, 0.0061, 0.1718);
    check(29, 29, 0.8830, 1.0000);
    check(0, 0, 0.0, 1.0);  // nothing judged: nothing known
}

namespace {

// The test server as a process of its own (build/bin/shootout_test_server), so that it can be
// killed as a real server dies: its sockets reset, its port refuses.
class server_process {
public:
    server_process() {
        const auto program = (std::filesystem::path(SHOOTOUT_BUILTIN_PLUGIN_DIR) / "../../../bin/shootout_test_server")
                                 .lexically_normal()
                                 .string();
        int out[2];
        REQUIRE(::pipe(out) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>("1"), nullptr};
        REQUIRE(::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, environ) == 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        char line[32] = {};
        std::size_t got = 0;
        while (got < sizeof line - 1) {  // its first line is the port
            const auto n = ::read(out[0], line + got, 1);
            if (n <= 0 || line[got] == '\n') break;
            ++got;
        }
        ::close(out[0]);
        port_ = std::atoi(line);
        REQUIRE(port_ > 0);
    }
    ~server_process() {
        kill();
        ::waitpid(pid_, nullptr, 0);
    }
    void kill() { ::kill(pid_, SIGKILL); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    pid_t pid_ = 0;
    int port_ = 0;
};

}  // namespace

TEST_CASE("verdicts: a server killed near the end of a run fails, not passes at a low error rate", "[verdict][faults]") {
    server_process server;
    // Killed 1.5 s after the command starts, well into a 4 s run: the four connections' requests
    // fail, then each reconnect is refused once per tick, a few dozen errors against tens of
    // thousands of answers (under 0.1 %: it passed before). Nothing was answered after the kill.
    std::thread killer([&server] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        server.kill();
    });
    const auto r = test::run_shootout({"--log-level", "warn", "run", "--target", server.url(), "--connections", "4",
                                       "--threads", "1", "--warmup", "0s", "--duration", "4s", "--json"});
    killer.join();
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out);
    CHECK(doc.at("measurement").at("outcome") == "failed");
    const std::string reason(doc.at("measurement").at("reason").as_string());
    CHECK(reason.find("the server stopped answering: nothing was answered in the last ") == 0);
    CHECK(number_at(doc, {"measurement", "completed"}) > 100);
}

TEST_CASE("verdicts: an interim 103 Early Hints or 100 Continue before each answer is skipped, not an error",
          "[verdict][faults]") {
    for (unsigned interim : {103u, 100u}) {
        INFO("interim status " << interim);
        test::test_server server(1);
        server.set_faults({.interim_status = interim});
        const auto r = adhoc(server, {"--duration", "500ms", "--verify-sample", "1"});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        const auto doc = boost::json::parse(r.out);
        CHECK(doc.at("measurement").at("outcome") == "measured");
        CHECK(number_at(doc, {"measurement", "errors", "read"}) == 0);
        CHECK(number_at(doc, {"measurement", "errors", "status"}) == 0);
        CHECK(number_at(doc, {"measurement", "completed"}) > 100);
        CHECK(number_at(doc, {"verdict", "body_checks", "failed"}) == 0);
    }
}
