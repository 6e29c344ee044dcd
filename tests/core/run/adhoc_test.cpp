// `shootout run --json`: one document whose "summary" is a summary.json results[] entry, whose
// "measurement" is a raw result, and whose "verdict" says why the exit code is what it is.
#include <cmath>
#include <fstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "results/raw_json.h"
#include "results/summary_json.h"
#include "stats/summarize.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;

namespace {

boost::json::object run_json(const std::vector<std::string>& args, int expected_exit) {
    auto r = test::run_shootout(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == expected_exit);
    return boost::json::parse(r.out).as_object();
}

// Equal values, numbers within a relative 1e-12: Boost.JSON 1.81 may read a 17-digit double
// back one unit in the last place off what it wrote.
void check_same(const boost::json::value& a, const boost::json::value& b, const std::string& where) {
    INFO(where);
    if (a.is_number() && b.is_number()) {
        const double x = a.to_number<double>(), y = b.to_number<double>();
        CHECK(std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y)));
    } else if (a.is_object() && b.is_object()) {
        REQUIRE(a.as_object().size() == b.as_object().size());
        for (const auto& [key, value] : a.as_object()) {
            REQUIRE(b.as_object().contains(key));
            check_same(value, b.as_object().at(key), where + "." + std::string(key));
        }
    } else if (a.is_array() && b.is_array()) {
        REQUIRE(a.as_array().size() == b.as_array().size());
        for (std::size_t i = 0; i < a.as_array().size(); ++i)
            check_same(a.as_array()[i], b.as_array()[i], where + "[" + std::to_string(i) + "]");
    } else {
        CHECK(a == b);
    }
}

}  // namespace

TEST_CASE("run --json: the summary is summary.json's entry and the measurement a raw result", "[core][run][adhoc]") {
    test::test_server server(1);
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--connections", "2",
                               "--threads", "1", "--warmup", "0s", "--duration", "300ms", "--json"},
                              0);
    CHECK(doc.at("schema") == "shootout.run");
    CHECK(doc.at("schema_version") == 1);
    CHECK(doc.at("target") == boost::json::value(server.base_url()));
    CHECK(doc.at("scenario") == "ping");
    CHECK(doc.at("pattern") == "steady");

    // The measurement reads back as a raw result (its derived figures checked against its counts),
    // and the summary entry is what summary.json's writer makes of it.
    const auto back = core::measurement_from_json(doc.at("measurement"));
    CHECK(back.measurement.framework == "target");
    CHECK(back.measurement.completed > 0);
    const sdk::result_set one{back.environment, {back.measurement}};
    const auto entries = core::results_to_json(core::stats::summarize(one));
    REQUIRE(entries.size() == 1);
    check_same(entries[0], doc.at("summary"), "summary");
    const auto& summary = doc.at("summary");
    CHECK(summary.at("framework") == "target");
    CHECK(summary.at("status") == "ranked");
    CHECK(summary.at("rank") == 1);
    CHECK(summary.at("completed") == doc.at("measurement").at("completed"));

    const auto& verdict = doc.at("verdict");
    CHECK(verdict.at("ok") == true);
    CHECK(verdict.at("problems").as_array().empty());
    CHECK(verdict.at("error_rate").to_number<double>() == 0);
    CHECK(verdict.at("body_checks").at("judged") == doc.at("measurement").at("body_checks").at("judged"));

    // Saved under its stem, the measurement is a raw result `shootout report` reads like any other.
    test::temp_dir dir;
    std::filesystem::create_directories(dir.path() / "raw");
    std::ofstream(dir.path() / "raw" / "target__ping__steady__run1.json") << boost::json::serialize(doc.at("measurement"));
    const auto loaded = core::load_raw_results(dir.path() / "raw");
    CHECK(loaded.problems.empty());
    CHECK(loaded.results.measurements.size() == 1);
}

TEST_CASE("run --json: a failure is named in the verdict and in the summary", "[core][run][adhoc]") {
    const auto doc = run_json({"--log-level", "error", "run", "--target", "http://127.0.0.1:1", "--duration", "1s", "--json"}, 1);
    const auto& reason = doc.at("measurement").at("reason");
    CHECK(reason == "correctness check failed: connect: Connection refused");
    const auto& verdict = doc.at("verdict");
    CHECK(verdict.at("ok") == false);
    CHECK(verdict.at("problems") == boost::json::array{reason});
    CHECK(doc.at("summary").at("status") == "failed");
    CHECK(doc.at("summary").at("reason") == reason);
    CHECK(doc.at("summary").at("req_s").is_null());
}

TEST_CASE("run --json: an interrupted run says so in the verdict, its figures kept", "[core][run][adhoc]") {
    test::test_server server(1);
    const auto r = test::run_binary({"--log-level", "error", "run", "--target", server.base_url(), "--connections", "2",
                                     "--threads", "1", "--warmup", "0s", "--duration", "10s", "--json"},
                                    // 3 s: the handler is in place well before, even on a loaded machine.
                                    // --foreground: one signal, to shootout; without it timeout also
                                    // signals its process group, and the second SIGINT ends shootout at once.
                                    "timeout --foreground --preserve-status -s INT 3");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("measurement").at("outcome") == "measured");
    CHECK(doc.at("measurement").at("completed").to_number<double>() > 0);
    CHECK(doc.at("verdict").at("ok") == false);
    const auto& problems = doc.at("verdict").at("problems").as_array();
    REQUIRE(problems.size() == 1);
    CHECK(std::string(problems[0].as_string()).rfind("interrupted after ", 0) == 0);
}

TEST_CASE("run --json: --keep-alive false opens a connection per request and the measurement says so",
          "[core][run][adhoc][keep-alive]") {
    test::test_server server(1);
    server.set_faults({.ignore_connection_close = true});  // the client closes whatever the server does
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--connections", "2",
                               "--threads", "1", "--warmup", "0s", "--duration", "300ms", "--keep-alive", "false",
                               "--json"},
                              0);
    const auto& m = doc.at("measurement").as_object();
    CHECK(m.at("connections").at("keep_alive") == false);
    const auto completed = m.at("completed").to_number<std::uint64_t>();
    CHECK(completed > 20);
    // The correctness check's requests, then one connection per measured request (± two at the end).
    CHECK(server.connections_accepted() >= completed);
    CHECK(server.connections_accepted() <= completed + 3 + 4);
    CHECK(server.requests_asking_to_close() == server.requests());
}

TEST_CASE("run --json: --keep-alive 25 is recorded as 25 requests per connection", "[core][run][adhoc][keep-alive]") {
    test::test_server server(1);
    const auto doc = run_json({"--log-level", "warn", "run", "--target", server.base_url(), "--connections", "2",
                               "--threads", "1", "--warmup", "0s", "--duration", "200ms", "--keep-alive", "25", "--json"},
                              0);
    CHECK(doc.at("measurement").at("connections").at("keep_alive") == 25);
}
