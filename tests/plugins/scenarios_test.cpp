// The six HTTP scenarios through the whole tool (correctness check, then load), in ad-hoc mode
// and from a manifest, against the test server: right answers are measured, wrong answers are
// reported as failed with the reason, never as a success.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "errors.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
using namespace std::chrono_literals;

namespace {

boost::json::object adhoc(const test::test_server& server, const std::string& scenario,
                          std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", scenario,
                                  "--connections", "2", "--duration", "500ms", "--warmup", "0s", "--threads", "1",
                                  "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = test::run_shootout(args);
    INFO(r.err);
    REQUIRE_FALSE(r.out.empty());
    auto doc = boost::json::parse(r.out).as_object();
    doc["exit_code"] = r.exit_code;
    return doc;
}

}  // namespace

TEST_CASE("scenarios: all six pass their check and are measured against a correct server", "[plugins][scenarios]") {
    test::test_server server;
    for (const char* id : {"ping", "json", "db-read", "db-write", "upload", "stream"}) {
        INFO(id);
        auto doc = adhoc(server, id);
        CHECK(doc.at("measurement").at("outcome") == "measured");
        CHECK(doc.at("exit_code") == 0);
        CHECK(doc.at("measurement").at("completed").to_number<std::uint64_t>() > 0);
        CHECK(doc.at("measurement").at("errors").at("verify").to_number<std::uint64_t>() == 0);
        CHECK(doc.at("measurement").at("errors").at("status").to_number<std::uint64_t>() == 0);
        CHECK(doc.at("measurement").at("connections").at("asked").to_number<std::int64_t>() == 2);
        CHECK(doc.at("measurement").at("connections").at("established").to_number<std::int64_t>() == 2);
        CHECK(doc.at("measurement").at("latency_us").at("p50").to_number<std::int64_t>() > 0);
        CHECK(doc.at("measurement").at("generator").at("cpu_seconds").as_double() > 0);
    }
    CHECK(server.rows_written() > 0);
}

TEST_CASE("scenarios: multipart upload is checked like the raw one", "[plugins][scenarios]") {
    test::test_server server;
    auto doc = adhoc(server, "upload", {"--scenario-option", "multipart=true", "--scenario-option", "size=1MiB"});
    CHECK(doc.at("measurement").at("outcome") == "measured");
}

TEST_CASE("scenarios: a wrong answer fails the correctness check with the reason", "[plugins][scenarios]") {
    test::test_server server;
    server.set_faults({.wrong_body = true});
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"ping", "correctness check failed: body 'pang', expected 'pong'"},
        {"json", "correctness check failed: 'message' must be \"hello\""},
        {"db-read", "correctness check failed: row 1 is named wrong, expected item-1 (is the table seeded?)"},
        {"db-write", "correctness check failed: body '{\"id\":\"x\"}', expected {\"id\":<positive integer>}"},
        {"upload", "correctness check failed: server's sha256 0000000000000000000000000000000000000000000000000000000000000000 differs from the payload's "},
        {"stream", "correctness check failed: received 10485759 bytes, expected exactly 10485760"},
    };
    for (const auto& [id, reason] : expected) {
        INFO(id);
        auto doc = adhoc(server, id);
        CHECK(doc.at("measurement").at("outcome") == "failed");
        CHECK(doc.at("exit_code") == 1);
        CHECK(doc.at("measurement").at("completed").to_number<std::uint64_t>() == 0);
        INFO(doc.at("measurement").at("reason").as_string().c_str());
        CHECK(std::string(doc.at("measurement").at("reason").as_string()).rfind(reason, 0) == 0);
    }
}

TEST_CASE("scenarios: an error status fails the check, naming the status", "[plugins][scenarios]") {
    test::test_server server;
    server.set_faults({.status = 503});
    auto doc = adhoc(server, "db-read");
    CHECK(doc.at("measurement").at("outcome") == "failed");
    CHECK(std::string(doc.at("measurement").at("reason").as_string()).find("status 503, expected 200") != std::string::npos);
}

TEST_CASE("scenarios: an unreachable server fails the check with the connect error", "[plugins][scenarios]") {
    auto r = test::run_shootout({"--log-level", "warn", "run", "--target", "http://127.0.0.1:1", "--scenario", "ping",
                                 "--duration", "1s", "--json"});
    CHECK(r.exit_code == 1);
    auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("measurement").at("reason") == "correctness check failed: connect: Connection refused");
}

TEST_CASE("scenarios: ad-hoc flags that a pattern or scenario does not have are usage errors", "[plugins][scenarios]") {
    auto r = test::run_shootout({"run", "--target", "http://127.0.0.1:1", "--scenario-option", "sise=1MiB",
                                 "--scenario", "upload"});
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == "--scenario-option sise=1MiB: scenario 'upload' has no option 'sise' (known: path, size, "
                   "multipart); did you mean 'size'?\n");
    auto bad = test::run_shootout({"run", "--target", "ftp://x", "--scenario", "ping"});
    CHECK(bad.exit_code == core::exit_usage);
    auto unknown = test::run_shootout({"run", "--target", "http://127.0.0.1:1", "--scenario", "pingg"});
    CHECK(unknown.exit_code == core::exit_usage);
    CHECK(unknown.err.find("--scenario: no scenario 'pingg'; available: db-read, db-write, http, json, ping, stream, upload") == 0);
}

TEST_CASE("scenarios: a manifest run measures, fails what is wrong, and keeps raw results", "[plugins][scenarios]") {
    test::test_server good, bad;
    bad.set_faults({.wrong_body = true});
    test::temp_dir dir;
    const auto manifest = dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"ping\", \"db-read\"]\npatterns = "
                                              "[\"steady\"]\n[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\n"
                                              "duration = \"300ms\"\n[engine]\nthreads = 1\n"
                                              "[[framework]]\nname = \"good\"\nurl = \"" +
                                                  good.base_url() + "\"\n[[framework]]\nname = \"bad\"\nurl = \"" +
                                                  bad.base_url() + "\"\n");
    auto r = test::run_shootout({"--log-level", "warn", "--config", manifest.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);  // a framework failed its check
    CHECK(r.out.find("== ping / steady ==") != std::string::npos);
    CHECK(r.out.find("bad            1  FAILED    correctness check failed: body 'pang', expected 'pong'") !=
          std::string::npos);

    const auto latest = dir.path() / "out" / "latest" / "raw";
    REQUIRE(std::filesystem::is_directory(latest));
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(latest)) {
        ++files;
        CHECK(entry.path().extension() == ".json");
    }
    CHECK(files == 4);
    std::ifstream in(latest / "good__ping__steady__run1.json");
    std::stringstream text;
    text << in.rdbuf();
    auto doc = boost::json::parse(text.str()).as_object();
    CHECK(doc.at("schema_version") == 2);
    CHECK(doc.at("outcome") == "measured");
    CHECK(doc.at("completed").to_number<std::uint64_t>() > 0);
    CHECK(doc.at("latency_us").at("count").to_number<std::uint64_t>() == doc.at("completed").to_number<std::uint64_t>());
    CHECK_FALSE(doc.at("latency_us").at("buckets").as_array().empty());
    CHECK(doc.at("environment").at("manifest_sha256").as_string().size() == 64);

    // --framework narrows the same manifest to the good one: exit 0
    auto only_good = test::run_shootout({"--log-level", "warn", "--config", manifest.string(), "--framework", "good",
                                         "--scenario", "ping"});
    CHECK(only_good.exit_code == 0);
}

TEST_CASE("scenarios: every HTTP scenario passes its checks with a new connection per request",
          "[plugins][scenarios][keep-alive]") {
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
        {"ping", {}}, {"json", {}}, {"db-read", {}}, {"db-write", {}}, {"upload", {"--scenario-option", "size=64KiB"}},
        {"upload", {"--scenario-option", "multipart=true", "--scenario-option", "size=64KiB"}}, {"stream", {}}};
    for (const auto& [id, options] : cases) {
        INFO(id << " " << options.size());
        test::test_server server;
        server.set_faults({.ignore_connection_close = true});
        auto extra = options;
        extra.insert(extra.end(), {"--keep-alive", "false"});
        auto doc = adhoc(server, id, extra);
        const auto& m = doc.at("measurement");
        CHECK(m.at("outcome") == "measured");
        CHECK(doc.at("exit_code") == 0);
        for (const auto& [cls, count] : m.at("errors").as_object()) {
            INFO(std::string(cls));
            CHECK(count.to_number<std::uint64_t>() == 0);
        }
        CHECK(m.at("connections").at("keep_alive") == false);
        const auto completed = m.at("completed").to_number<std::uint64_t>();
        CHECK(completed > 0);
        CHECK(server.connections_accepted() >= completed);
        CHECK(server.requests_asking_to_close() == server.requests());
    }
}
