// The `http` scenario: an endpoint written in the manifest. Configured like ping and json it
// reaches their verdicts on right and wrong servers; its placeholders give fixed-length,
// seeded paths; weights give their mix; every option error has its message and place.
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <regex>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "errors.h"
#include "manifest.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;

namespace {

boost::json::object adhoc(const test::test_server& server, const std::string& scenario,
                          std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--log-level", "warn", "run", "--target", server.base_url(), "--scenario", scenario,
                                  "--connections", "2", "--duration", "400ms", "--warmup", "0s", "--threads", "1",
                                  "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = test::run_shootout(args);
    INFO(r.err);
    REQUIRE_FALSE(r.out.empty());
    auto doc = boost::json::parse(r.out).as_object();
    doc["exit_code"] = r.exit_code;
    return doc;
}

std::vector<std::string> options(std::initializer_list<std::string> pairs) {
    std::vector<std::string> args;
    for (const auto& p : pairs) args.insert(args.end(), {"--scenario-option", p});
    return args;
}

// `http` as `ping` and as `json` are, in ad-hoc options.
const std::vector<std::string> like_ping =
    options({"path=/ping", "expect.content_type=text/plain", "expect.body=pong"});
const std::vector<std::string> like_json =
    options({"path=/json", "expect.content_type=application/json", "expect.json={ message = \"hello\" }"});

const std::string head = "scenarios = [\"h\"]\npatterns = [\"steady\"]\n"
                         "[[framework]]\nname = \"local\"\nurl = \"http://127.0.0.1:8080\"\n";

std::vector<core::search_dir> plugin_dirs() { return {{test::builtin_plugins(), "next to the binary"}}; }

std::string diagnostics_of(const std::string& scenario_table) {
    return test::manifest_diagnostics(head + "[scenario.h]\nplugin = \"http\"\n" + scenario_table, plugin_dirs());
}

// The scenario an [scenario.h] table makes, prepared against 127.0.0.1:8080.
struct made_scenario {
    core::plugin_host host;
    core::plugin_instances instances;
    sdk::target target{"local", "http://127.0.0.1:8080", "127.0.0.1:8080", ""};

    explicit made_scenario(const std::string& table) {
        test::temp_dir dir;
        const auto file = dir.write("m.toml", head + "[scenario.h]\nplugin = \"http\"\n" + table);
        const auto m = core::load_manifest(file, host, plugin_dirs());
        instances = core::instantiate(m, host);
        instances.scenarios.at(0)->prepare(target);
    }
    std::unique_ptr<sdk::http_session> open(std::uint64_t connection, std::uint64_t seed,
                                            sdk::session_role role = sdk::session_role::load) const {
        return instances.scenarios.at(0)->open_http_session({target, role, 0, connection, seed});
    }
};

std::string wire(const sdk::wire_request& r) {
    std::string bytes;
    for (std::size_t i = 0; i < r.part_count; ++i) bytes.append(r.parts[i]);
    return bytes;
}

std::string request_target(const sdk::wire_request& r) {
    const std::string bytes = wire(r);
    const auto space = bytes.find(' ');
    return bytes.substr(space + 1, bytes.find(' ', space + 1) - space - 1);
}

}  // namespace

TEST_CASE("http scenario: configured like ping and json, it passes and fails where they do", "[plugins][http]") {
    struct fault_case {
        const char* what;
        test::faults faults;
        const char* ping_reason;  // http as ping must give the very same reason
        const char* json_reason;  // http as json: its own wording of json's failure
    };
    const std::vector<fault_case> cases{
        {"a right server", {}, "", ""},
        {"a wrong body", {.wrong_body = true}, "correctness check failed: body 'pang', expected 'pong'",
         "correctness check failed: $.message is \"hullo\", expected \"hello\""},
        {"a wrong content type", {.wrong_content_type = true},
         "correctness check failed: content type 'text/html', expected text/plain",
         "correctness check failed: content type 'text/html', expected application/json"},
        {"a wrong status", {.status = 503}, "correctness check failed: status 503, expected 200",
         "correctness check failed: status 503, expected 200"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        test::test_server server;
        server.set_faults(c.faults);
        for (const auto& [builtin, configured, reason] :
             {std::tuple{"ping", like_ping, c.ping_reason}, std::tuple{"json", like_json, c.json_reason}}) {
            INFO(builtin);
            const auto expected = adhoc(server, builtin);
            const auto got = adhoc(server, "http", configured);
            CHECK(got.at("exit_code") == expected.at("exit_code"));
            CHECK(got.at("measurement").at("outcome") == expected.at("measurement").at("outcome"));
            if (std::string_view(reason).empty()) {
                CHECK(got.at("exit_code") == 0);
                CHECK(got.at("measurement").at("completed").to_number<std::uint64_t>() > 0);
            } else {
                CHECK(got.at("measurement").at("reason").as_string().subview().substr(0, std::strlen(reason)) == reason);
                if (std::string_view(builtin) == "ping")
                    CHECK(got.at("measurement").at("reason") == expected.at("measurement").at("reason"));
            }
        }
    }
}

TEST_CASE("http scenario: under load, a wrong content type or length is counted on every response, like ping's",
          "[plugins][http]") {
    // Every 4th answer wrong: the correctness check's three pass, and the load must count every
    // wrong one (a quarter), not only those in the 1-in-100 sample whose bodies are judged.
    auto wrong_share = [](const boost::json::object& doc) {
        const auto& m = doc.at("measurement");
        const auto verify = m.at("errors").at("verify").to_number<double>();
        const auto completed = m.at("completed").to_number<double>();
        REQUIRE(completed > 0);
        return verify / (verify + completed);
    };
    auto run = [](test::faults faults, const std::string& scenario, const std::vector<std::string>& extra) {
        test::test_server server;  // its own, so its count of requests starts at the check
        server.set_faults(faults);
        return adhoc(server, scenario, extra);
    };
    const test::faults wrong_type{.wrong_content_type = true, .wrong_every = 4};
    CHECK(wrong_share(run(wrong_type, "http", like_ping)) == Approx(0.25).margin(0.03));
    CHECK(wrong_share(run(wrong_type, "ping", {})) == Approx(0.25).margin(0.03));

    // POST /echo answers the body with a byte too many: the length of a literal expect.body is
    // checked on every response.
    CHECK(wrong_share(run({.wrong_body = true, .wrong_every = 4}, "http",
                          options({"method=POST", "path=/echo", "body=abc", "expect.body=abc"}))) ==
          Approx(0.25).margin(0.03));
}

TEST_CASE("http scenario: {seq:W} and {rand:A:B} give fixed-length paths, the same for the same seed",
          "[plugins][http]") {
    const made_scenario s("path = \"/user/{seq:6}/info?r={rand:7:1200}\"\n");
    const auto a = s.open(0, 42), b = s.open(0, 42), other = s.open(0, 43);
    const std::regex shape(R"(/user/(\d{6})/info\?r=(\d{4}))");
    std::set<std::string> draws, other_draws;
    std::size_t length = 0;
    for (int i = 1; i <= 6000; ++i) {
        const auto request = a->next_request();
        const std::string target = request_target(request);
        std::smatch match;
        REQUIRE(std::regex_match(target, match, shape));
        CHECK(std::stoi(match[1]) == i);
        const int r = std::stoi(match[2]);
        CHECK((r >= 7 && r <= 1200));
        draws.insert(match[2]);
        if (length == 0) length = request.size();
        CHECK(request.size() == length);  // the length never changes
        CHECK(wire(b->next_request()) == wire(request));  // the same seed, the same bytes
        other_draws.insert(std::regex_replace(request_target(other->next_request()), shape, "$2"));
    }
    CHECK(draws.size() > 1100);  // of 1194 values: drawn, not a constant
    CHECK(draws != other_draws);  // another seed, other draws
    CHECK(draws.count("0007") == 1);  // both ends reachable, zero-padded to the width of 1200
    CHECK(draws.count("1200") == 1);
}

TEST_CASE("http scenario: {seq} wraps at its width and starts at seq_start", "[plugins][http]") {
    const made_scenario s("path = \"/n/{seq:2}\"\nseq_start = 98\n");
    const auto session = s.open(0, 1);
    std::vector<std::string> targets;
    for (int i = 0; i < 4; ++i) targets.push_back(request_target(session->next_request()));
    CHECK(targets == std::vector<std::string>{"/n/98", "/n/99", "/n/00", "/n/01"});
}

TEST_CASE("http scenario: headers and a body template carry placeholders, Content-Length stays right",
          "[plugins][http]") {
    const made_scenario s(
        "method = \"POST\"\npath = \"/echo\"\nheaders = { \"Content-Type\" = \"application/json\", X-Id = \"{seq:3}\" }\n"
        "body_template = '{\"id\": \"{seq:3}\", \"k\": {rand:1:9}}'\n");
    const auto session = s.open(0, 7);
    const std::string first = wire(session->next_request());
    CHECK(first.rfind("POST /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nX-Id: 001\r\n"
                      "Content-Length: 21\r\n\r\n{\"id\": \"001\", \"k\": ",
                      0) == 0);
    CHECK(first.size() == first.find("\r\n\r\n") + 4 + 21);
    CHECK(wire(session->next_request()).find("X-Id: 002\r\n") != std::string::npos);
}

TEST_CASE("http scenario: a literal body from a file is sent from one shared buffer", "[plugins][http]") {
    test::temp_dir dir;
    const auto file = dir.write("payload.bin", std::string(100'000, 'x'));
    const made_scenario s("method = \"POST\"\npath = \"/echo\"\nbody_file = \"" + file.string() + "\"\n");
    const auto a = s.open(0, 1), b = s.open(1, 1);
    const auto ra = a->next_request(), rb = b->next_request();
    REQUIRE(ra.part_count == 2);
    CHECK(ra.parts[1].size() == 100'000);
    CHECK(ra.parts[1].data() == rb.parts[1].data());  // not copied per connection
    CHECK(std::string(ra.parts[0]).find("Content-Length: 100000\r\n") != std::string::npos);
}

TEST_CASE("http scenario: weights give their mix, deterministic from the seed, and round-robin takes turns",
          "[plugins][http]") {
    const std::string requests = "[[scenario.h.request]]\nname = \"a\"\npath = \"/a\"\n{}"
                                 "[[scenario.h.request]]\nname = \"b\"\npath = \"/b\"\n{}";
    auto with = [&](const std::string& order, const std::string& wa, const std::string& wb) {
        std::string text = order + requests;
        text.replace(text.find("{}"), 2, wa);
        text.replace(text.find("{}"), 2, wb);
        return text;
    };
    SECTION("weighted") {
        const made_scenario s(with("order = \"weighted\"\n", "weight = 3\n", "weight = 1\n"));
        const auto one = s.open(0, 5), same = s.open(0, 5);
        std::map<std::string, int> mix;
        for (int i = 0; i < 40'000; ++i) {
            const std::string target = request_target(one->next_request());
            CHECK(request_target(same->next_request()) == target);
            ++mix[target];
        }
        CHECK(mix["/a"] / 40'000.0 == Approx(0.75).margin(0.01));
        CHECK(mix["/b"] / 40'000.0 == Approx(0.25).margin(0.01));
        // The correctness check's session takes every request in turn, so each is checked.
        const auto check = s.open(0, 5, sdk::session_role::correctness_check);
        CHECK(request_target(check->next_request()) == "/a");
        CHECK(request_target(check->next_request()) == "/b");
        CHECK(s.instances.scenarios[0]->correctness_requests() == 3);
    }
    SECTION("round-robin, each connection from its own index") {
        const made_scenario s(with("", "", ""));
        const auto second = s.open(1, 5);
        CHECK(request_target(second->next_request()) == "/b");
        CHECK(request_target(second->next_request()) == "/a");
        CHECK(request_target(second->next_request()) == "/b");
    }
}

TEST_CASE("http scenario: several requests against the test server, {seq} and {rand} checked in the answer",
          "[plugins][http]") {
    test::test_server server;
    test::temp_dir dir;
    auto manifest = [&](const std::string& url) {
        return dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"mixed\"]\npatterns = [\"steady\"]\n"
                                   "[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\nduration = \"400ms\"\n"
                                   "[engine]\nthreads = 1\nverify_sample = 1\n"
                                   "[[framework]]\nname = \"t\"\nurl = \"" + url + "\"\n"
                                   "[scenario.mixed]\nplugin = \"http\"\norder = \"weighted\"\n"
                                   "[[scenario.mixed.request]]\nname = \"ping\"\nweight = 2\npath = \"/ping\"\n"
                                   "expect.content_type = \"text/plain\"\nexpect.body = \"pong\"\n"
                                   "[[scenario.mixed.request]]\nname = \"user\"\npath = \"/user/{seq:6}/info\"\n"
                                   "headers = { Accept = \"application/json\" }\n"
                                   "expect.content_type = \"application/json\"\nexpect.json = { id = \"{seq}\" }\n"
                                   "[[scenario.mixed.request]]\nname = \"echo\"\nmethod = \"POST\"\npath = \"/echo\"\n"
                                   "headers = { \"Content-Type\" = \"application/json\" }\n"
                                   "body_template = '{\"n\": \"{rand:1:999}\"}'\n"
                                   "expect.json = { n = \"{rand}\" }\nexpect.body_contains = '\"n\"'\n");
    };
    auto r = test::run_shootout({"--log-level", "warn", "--config", manifest(server.base_url()).string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const std::regex shape(R"(/ping|/echo|/user/\d{6}/info)");
    std::map<std::string, int> seen;
    for (const auto& target : server.targets()) {
        CHECK(std::regex_match(target, shape));
        ++seen[target.substr(0, 5)];
    }
    CHECK(seen["/ping"] > seen["/user"]);  // weight 2 against 1
    CHECK(seen["/user"] > 0);
    CHECK(seen["/echo"] > 0);

    test::test_server wrong;
    wrong.set_faults({.wrong_body = true});
    r = test::run_shootout({"--log-level", "warn", "--config", manifest(wrong.base_url()).string()});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("correctness check failed: request 'ping': body 'pang', expected 'pong'") != std::string::npos);
}

TEST_CASE("http scenario: several requests are counted apart, and the counts agree with the server's own",
          "[plugins][http][requests]") {
    // Every 7th request the server gets is answered 500, whatever its path: each kind gets its
    // share of status errors. The server's own count of each path is what we check against.
    test::test_server server;
    server.set_faults({.delay = std::chrono::milliseconds(4), .status = 500, .status_every = 7});
    test::temp_dir dir;
    const auto manifest = dir.write(
        "m.toml", "output_dir = \"out\"\nscenarios = [\"mixed\"]\npatterns = [\"steady\"]\nreporters = [\"md\", \"json\", \"html\"]\n"
                  "[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\nduration = \"500ms\"\n"
                  "[engine]\nthreads = 2\n[verdict]\nmax_error_rate = 0.5\n"
                  "[[framework]]\nname = \"t\"\nurl = \"" + server.base_url() + "\"\n"
                  "[scenario.mixed]\nplugin = \"http\"\n"
                  "[[scenario.mixed.request]]\nname = \"ping\"\npath = \"/ping\"\nexpect.body = \"pong\"\n"
                  "[[scenario.mixed.request]]\nname = \"user\"\npath = \"/user/{seq:6}/info\"\n"
                  "expect.json = { id = \"{seq}\" }\n");
    auto r = test::run_shootout({"--log-level", "warn", "--config", manifest.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto file = [&](const std::string& name) {
        std::ifstream in(dir.path() / "out" / "latest" / name);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    };
    const auto raw = boost::json::parse(file("raw/t__mixed__steady__run1.json")).as_object();
    const auto& requests = raw.at("requests").as_array();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].at("label") == "ping");
    CHECK(requests[1].at("label") == "user");

    // The server's own count of each path holds every request the client counted under that
    // path, and a few more: its share of the three correctness requests, and of the two that
    // were on the wire when the measured time ended (answered after it, or in flight at the stop).
    const std::uint64_t uncounted = 3 + 2;
    std::map<std::string, std::uint64_t> served;  // by the first five characters of the path
    for (const auto& target : server.targets()) ++served[target.substr(0, 5)];
    std::uint64_t completed = 0, status_errors = 0, counted_by_client = 0;
    for (const auto& q : requests) {
        const auto n = q.at("completed").to_number<std::uint64_t>();
        const auto errors = q.at("errors").as_object();
        const auto status = errors.at("status").to_number<std::uint64_t>();
        CHECK(n > 20);
        CHECK(status > 0);  // each kind met some of the 500s
        CHECK(errors.at("connect") == 0);
        CHECK(q.at("latency_us").at("count").to_number<std::uint64_t>() == n);
        completed += n;
        status_errors += status;
        const auto path = q.at("label") == "ping" ? "/ping" : "/user";
        INFO(path);
        CHECK(served[path] >= n + status);
        CHECK(served[path] <= n + status + uncounted);
        counted_by_client += n + status;
    }
    CHECK(completed == raw.at("completed").to_number<std::uint64_t>());
    CHECK(status_errors == raw.at("errors").at("status").to_number<std::uint64_t>());
    const auto all_served = served["/ping"] + served["/user"];
    CHECK(all_served >= counted_by_client + 3);
    CHECK(all_served <= counted_by_client + uncounted);
    // The server answered every 7th request it read with a 500: the client counted each of them
    // but those among the uncounted few.
    const auto fives = all_served / 7;
    CHECK(status_errors <= fives);
    CHECK(7 * (fives - status_errors) <= uncounted + 7);

    // summary.json carries the kinds too, with their share of the group's completed.
    const auto summary = boost::json::parse(file("summary.json")).as_object();
    const auto& kinds = summary.at("results").as_array().at(0).at("requests").as_array();
    REQUIRE(kinds.size() == 2);
    const double shares = kinds[0].at("share").to_number<double>() + kinds[1].at("share").to_number<double>();
    CHECK(shares == Approx(1.0));
    const auto md = file("REPORT.md"), html = file("report.html");
    CHECK(md.find("Requests of **t** (over its measured runs):") != std::string::npos);
    CHECK(md.find("| user |") != std::string::npos);
    CHECK(html.find("<strong>Requests of t</strong>") != std::string::npos);
    CHECK(html.find("<tr><td>user</td>") != std::string::npos);
}

TEST_CASE("http scenario: a scenario's keep_alive overrides [engine]'s and is recorded", "[plugins][http][keep-alive]") {
    test::test_server server;
    server.set_faults({.ignore_connection_close = true});
    test::temp_dir dir;
    const auto manifest = dir.write(
        "m.toml", "output_dir = \"out\"\nscenarios = [\"closing\", \"ping\"]\npatterns = [\"steady\"]\n"
                  "[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\nduration = \"300ms\"\n"
                  "[engine]\nthreads = 1\nkeep_alive = 10\n"
                  "[[framework]]\nname = \"t\"\nurl = \"" + server.base_url() + "\"\n"
                  "[scenario.closing]\nplugin = \"http\"\nkeep_alive = false\npath = \"/ping\"\nexpect.body = \"pong\"\n");
    auto r = test::run_shootout({"--log-level", "warn", "--config", manifest.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    auto raw = [&](const std::string& scenario) {
        std::ifstream in(dir.path() / "out" / "latest" / "raw" / ("t__" + scenario + "__steady__run1.json"));
        std::stringstream text;
        text << in.rdbuf();
        return boost::json::parse(text.str()).as_object();
    };
    CHECK(raw("closing").at("connections").at("keep_alive") == false);
    CHECK(raw("ping").at("connections").at("keep_alive") == 10);
}

TEST_CASE("http scenario: keep_alive in a scenario table is checked where it is written", "[plugins][http][keep-alive]") {
    CHECK(diagnostics_of("path = \"/ping\"\nkeep_alive = 0\n") ==
          "m.toml:9:14: error: scenario 'h': 'keep_alive' must be true (keep connections alive), false (a new "
          "connection per request) or a number of requests per connection from 1 to 4294967295, found 0");
    CHECK(diagnostics_of("path = \"/ping\"\nkeep_alvie = true\n") ==
          "m.toml:9:1: error: scenario 'h': unknown key 'keep_alvie' (known: plugin, keep_alive, method, path, "
          "headers, body, body_file, body_template, expect, request, order, seq_start, max_body); did you mean "
          "'keep_alive'?");
    CHECK(test::manifest_diagnostics("scenarios = [\"ws-echo\"]\npatterns = [\"steady\"]\n[[framework]]\nname = "
                                     "\"local\"\nurl = \"http://127.0.0.1:8080\"\n[scenario.ws-echo]\nkeep_alive = 5\n",
                                     plugin_dirs()) ==
          "m.toml:7:14: error: scenario 'ws-echo': 'keep_alive' is for HTTP scenarios; 'ws-echo' speaks WebSocket, whose "
          "one connection carries every message: remove it");
}

TEST_CASE("http scenario: every option error names the option, its place and the fix", "[plugins][http]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "m.toml:1:14: error: scenario 'h': option 'path': is required: give the request's path, like path = "
             "\"/ping\", or a [[scenario.NAME.request]] list"},
        {"path = \"ping\"\n", "m.toml:8:8: error: scenario 'h': option 'path': must start with '/'"},
        {"path = \"/a b\"\n",
         "m.toml:8:8: error: scenario 'h': option 'path': holds a space or a control character; percent-encode it (%20)"},
        {"path = \"/u/{seq}\"\n",
         "m.toml:8:8: error: scenario 'h': option 'path': '{seq}' is not a placeholder: write {seq:W}, W the digits to "
         "send (1 to 18), like {seq:6}"},
        {"path = \"/u/{seq:19}\"\n",
         "m.toml:8:8: error: scenario 'h': option 'path': '{seq:19}' is not a placeholder: write {seq:W}, W the digits "
         "to send (1 to 18), like {seq:6}"},
        {"path = \"/u/{rand:5}\"\n",
         "m.toml:8:8: error: scenario 'h': option 'path': '{rand:5}' is not a placeholder: write {rand:A:B}, A and B the "
         "smallest and largest value, like {rand:1:1000}"},
        {"path = \"/u/{rand:9:1}\"\n",
         "m.toml:8:8: error: scenario 'h': option 'path': '{rand:9:1}': the smallest value is larger than the largest; "
         "write {rand:A:B} with A <= B"},
        {"path = \"/u/{rand:0:1000000000000000000}\"\n",
         "m.toml:8:8: error: scenario 'h': option 'path': '{rand:0:1000000000000000000}': the largest value must be "
         "below 10^18 (18 digits)"},
        {"path = \"/u/{seq:3\"\n",
         "m.toml:8:8: error: scenario 'h': option 'path': '{seq:3' is not closed: end the placeholder with '}'"},
        {"path = \"/\"\nmethod = \"G T\"\n",
         "m.toml:9:10: error: scenario 'h': option 'method': must be an HTTP method, a token like GET or POST (found "
         "'G T')"},
        {"path = \"/\"\nmethod = \"HEAD\"\n",
         "m.toml:9:10: error: scenario 'h': option 'method': cannot be HEAD: its answer carries no body that its headers "
         "announce, which the client cannot tell apart from a server that stopped; measure GET instead"},
        {"path = \"/\"\nheaders = [\"Accept: x\"]\n",
         "m.toml:9:11: error: scenario 'h': option 'headers': must be a table of strings, like { Accept = \"text/html\" }"},
        {"path = \"/\"\nheaders = { Accept = 5 }\n",
         "m.toml:9:22: error: scenario 'h': option 'headers.Accept': must be a string"},
        {"path = \"/\"\nheaders = { \"Bad Name\" = \"x\" }\n",
         "m.toml:9:26: error: scenario 'h': option 'headers.Bad Name': is not a header name (letters, digits and "
         "!#$%&'*+-.^_`|~)"},
        {"path = \"/\"\nheaders = { host = \"x\" }\n",
         "m.toml:9:20: error: scenario 'h': option 'headers.host': is set by the client itself; remove it"},
        {"path = \"/\"\nheaders = { Connection = \"close\" }\n",
         "m.toml:9:26: error: scenario 'h': option 'headers.Connection': is set by the client itself; choose the "
         "connection mode with keep_alive"},
        {"path = \"/\"\nheaders = { X = \"a\\nb\" }\n",
         "m.toml:9:17: error: scenario 'h': option 'headers.X': holds a line break (CR or LF) or NUL, which would split "
         "the request"},
        {"path = \"/\"\nheaders = { X = \"{rand:1}\" }\n",
         "m.toml:9:17: error: scenario 'h': option 'headers.X': '{rand:1}' is not a placeholder: write {rand:A:B}, A "
         "and B the smallest and largest value, like {rand:1:1000}"},
        {"path = \"/\"\nbody = \"x\"\nbody_file = \"f\"\n",
         "m.toml:10:13: error: scenario 'h': option 'body_file': cannot go with 'body': give at most one of body, "
         "body_file and body_template"},
        {"path = \"/\"\nbody_file = \"no-such-file\"\n",  // the manifest's directory, a temporary one, is stripped
         "m.toml:9:13: error: scenario 'h': option 'body_file': cannot read 'no-such-file': No such file or directory"},
        {"path = \"/\"\nbody_template = \"{seq:x}\"\n",
         "m.toml:9:17: error: scenario 'h': option 'body_template': '{seq:x}' is not a placeholder: write {seq:W}, W "
         "the digits to send (1 to 18), like {seq:6}"},
        {"path = \"/\"\nexpect.status = []\n",
         "m.toml:9:17: error: scenario 'h': option 'expect.status': must list at least one status, like [200]"},
        {"path = \"/\"\nexpect.status = [200, 404]\n",
         "m.toml:9:17: error: scenario 'h': option 'expect.status': holds 404; each status must be from 200 to 299, "
         "because under load any other status is counted as an error on every response"},
        {"path = \"/\"\nexpect.stauts = [200]\n",
         "m.toml:9:8: error: scenario 'h': option 'expect': unknown key 'stauts' (known: status, content_type, size, "
         "body, body_contains, sha256, json); did you mean 'status'?"},
        {"path = \"/\"\nexpect.content_type = \"text/plain; charset=utf-8\"\n",
         "m.toml:9:23: error: scenario 'h': option 'expect.content_type': must be a media type, type/subtype without "
         "parameters, like application/json (found 'text/plain; charset=utf-8')"},
        {"path = \"/\"\nexpect.sha256 = \"abc\"\n",
         "m.toml:9:17: error: scenario 'h': option 'expect.sha256': must be 64 hexadecimal digits (the body's "
         "SHA-256), found 3"},
        {"path = \"/\"\nexpect.sha256 = \"" + std::string(63, 'a') + "g\"\n",
         "m.toml:9:17: error: scenario 'h': option 'expect.sha256': must be 64 hexadecimal digits (the body's "
         "SHA-256), found '" + std::string(63, 'a') + "g'"},
        {"path = \"/\"\nexpect.body = \"pong\"\nexpect.size = 5\n",
         "m.toml:10:15: error: scenario 'h': option 'expect.size': is 5 bytes, but expect.body is 4; give one of them"},
        {"path = \"/\"\nexpect.body_contains = \"\"\n",
         "m.toml:9:24: error: scenario 'h': option 'expect.body_contains': is empty, which every body contains"},
        {"path = \"/\"\nexpect.json = { id = \"{seq}\" }\n",
         "m.toml:9:1: error: scenario 'h': option 'expect': uses {seq}, but the request sends no {seq:W}: put one in "
         "its path, headers or body_template"},
        {"path = \"/{seq:2}\"\nexpect.body = \"{rand}\"\n",
         "m.toml:9:1: error: scenario 'h': option 'expect': uses {rand}, but the request sends no {rand:A:B}: put one "
         "in its path, headers or body_template"},
        {"path = \"/\"\norder = \"random\"\n",
         "m.toml:9:9: error: scenario 'h': option 'order': must be \"round-robin\" or \"weighted\" (found \"random\")"},
        {"path = \"/\"\nseq_start = -1\n", "m.toml:9:13: error: scenario 'h': option 'seq_start': must be 0 or more"},
        {"path = \"/\"\nmax_body = 0\n", "m.toml:9:12: error: scenario 'h': option 'max_body': must be at least 1 byte"},
        {"[[scenario.h.request]]\nname = \"a\"\n",
         "m.toml:8:1: error: scenario 'h': option 'request[0]': has no 'path', and the scenario has none for it to "
         "take: give it one"},
        {"path = \"/\"\n[[scenario.h.request]]\nname = \"a\"\n[[scenario.h.request]]\nname = \"a\"\n",
         "m.toml:12:8: error: scenario 'h': option 'request[1].name': 'a' names another request too; give each its own"},
        {"path = \"/\"\n[[scenario.h.request]]\nname = \"a b\"\n",
         "m.toml:10:8: error: scenario 'h': option 'request[0].name': may hold only letters, digits, '-', '_' and '.' "
         "(found 'a b')"},
        {"path = \"/\"\n[[scenario.h.request]]\nweight = 2\n",
         "m.toml:10:10: error: scenario 'h': option 'request[0].weight': only counts with order = \"weighted\"; set it, "
         "or remove the weight"},
        {"path = \"/\"\norder = \"weighted\"\n[[scenario.h.request]]\nweight = 0\n",
         "m.toml:11:10: error: scenario 'h': option 'request[0].weight': must be from 1 to 1000000"},
        {"path = \"/\"\n[[scenario.h.request]]\npaht = \"/x\"\n",
         "m.toml:10:1: error: scenario 'h': option 'request[0]': unknown key 'paht' (known: name, weight, method, path, "
         "headers, body, body_file, body_template, expect); did you mean 'path'?"},
        {"[[scenario.h.request]]\npath = \"x\"\n",
         "m.toml:9:8: error: scenario 'h': option 'request[0].path': must start with '/'"},
        {"[[scenario.h.request]]\npath = \"/\"\nexpect.status = [500]\n",
         "m.toml:10:17: error: scenario 'h': option 'request[0].expect.status': holds 500; each status must be from 200 "
         "to 299, because under load any other status is counted as an error on every response"},
    };
    for (const auto& [table, message] : cases) {
        INFO(table);
        CHECK(diagnostics_of(table) == message);
    }
}

TEST_CASE("http scenario: ad-hoc nested options are checked like the manifest's", "[plugins][http]") {
    auto run = [](std::vector<std::string> extra) {
        std::vector<std::string> args{"run", "--target", "http://127.0.0.1:1", "--scenario", "http"};
        args.insert(args.end(), extra.begin(), extra.end());
        return test::run_shootout(args);
    };
    auto r = run(options({"path=/", "expect.stauts=200"}));
    CHECK(r.exit_code == core::exit_usage);
    CHECK(r.err == "--scenario-option expect.stauts=200: scenario 'http' has no option 'expect.stauts' (known: "
                   "expect.status, expect.content_type, expect.size, expect.body, expect.body_contains, expect.sha256, "
                   "expect.json); did you mean 'expect.status'?\n");
    r = run(options({"path=/", "expect=200"}));
    CHECK(r.err == "--scenario-option expect=200: 'expect' is a table; give its fields one by one (expect.KEY=VALUE)\n");
    r = run(options({"path=/", "request.path=/"}));
    CHECK(r.err == "--scenario-option request.path=/: 'request' is an array of tables, which only a manifest can give: write "
                   "it in the plugin's table there\n");
    r = run(options({"path=/", "headers={ Accept = "}));
    CHECK(r.err == "--scenario-option headers={ Accept = : 'headers' must be a TOML value (a table, an array, a "
                   "string, a number or a boolean), written as in TOML\n");
    r = run(options({"path=/", "expect.status=404"}));
    CHECK(r.err == "--scenario-option expect.status: scenario 'http': holds 404; each status must be from 200 to 299, "
                   "because under load any other status is counted as an error on every response\n");
}
