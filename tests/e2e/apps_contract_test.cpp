// The six real apps against apps-contract.md's four extra endpoints (/query, /user/<id>/info,
// /json-large, /html): each app started from its serve.sh and venv (scripts/setup.sh builds them)
// as the launcher starts it, against an embedded PostgreSQL (their pools open at start-up), and
// every case of the contract, errors included, asked of every app. Independent of the scenario
// plugins: the expectations here are the contract's own bytes.
#include <openssl/evp.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "database/postgres.h"
#include "launcher/http_probe.h"
#include "launcher/local_process.h"
#include "test_helpers.h"

using namespace shootout;
namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

const std::vector<std::string> apps = {"flask", "django", "fastapi", "aquilia", "sanic", "tornado"};

struct answer {
    unsigned status = 0;
    std::string content_type;
    std::string body;
    std::string error;  // why there is no answer
};

// One GET on a connection of its own, the target sent exactly as written (escapes and all).
answer get(std::uint16_t port, const std::string& target) {
    answer result;
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(20));
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, fmt::format("127.0.0.1:{}", port));
    request.set(http::field::connection, "close");
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    auto failed = [&](beast::error_code e) {
        if (e) result.error = e.message();
        return bool(e);
    };
    stream.async_connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port), [&](beast::error_code e) {
        if (failed(e)) return;
        http::async_write(stream, request, [&](beast::error_code e2, std::size_t) {
            if (failed(e2)) return;
            http::async_read(stream, buffer, parser, [&](beast::error_code e3, std::size_t) {
                if (failed(e3)) return;
                const auto& response = parser.get();
                result.status = response.result_int();
                result.content_type = std::string(response[http::field::content_type]);
                result.body = response.body();
            });
        });
    });
    io.run();
    return result;
}

std::string sha256_hex(const std::string& bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string text;
    for (unsigned i = 0; i < length; ++i) text += fmt::format("{:02x}", digest[i]);
    return text;
}

// The six apps, each on a free port with one worker, started together (they start in seconds,
// but several of them at once on this machine can take tens).
class six_apps {
public:
    six_apps(const std::string& dsn, const fs::path& log_dir) {
        const fs::path source = SHOOTOUT_SOURCE_DIR;
        for (const auto& app : apps) {
            const auto port = core::launcher::free_loopback_port();
            ports_[app] = port;
            core::launcher::process_spec spec;
            spec.command = {(source / "apps" / app / "serve.sh").string()};
            spec.environment = {{"PORT", std::to_string(port)},
                                {"WORKERS", "1"},
                                {"DB_POOL_MAX", "2"},
                                {"DATABASE_URL", dsn}};
            spec.log_file = log_dir / (app + ".log");
            processes_[app] = std::make_unique<core::launcher::local_process>(spec);
        }
    }
    ~six_apps() {
        for (auto& [app, process] : processes_) process->stop(std::chrono::seconds(10));
    }

    std::uint16_t port(const std::string& app) const { return ports_.at(app); }

    // "" once /ping answers 200; otherwise why not (the app exited, or never answered in time).
    std::string wait_healthy(const std::string& app, const fs::path& log_dir) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto status = processes_.at(app)->exited())
                return fmt::format("{} {}:\n{}", app, *status, core::launcher::tail_of(log_dir / (app + ".log")));
            const auto probe = core::launcher::http_get("127.0.0.1", port(app), "/ping", std::chrono::seconds(2));
            if (probe.status == 200u) return "";
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return fmt::format("{} did not answer /ping within 120 s:\n{}", app,
                           core::launcher::tail_of(log_dir / (app + ".log")));
    }

private:
    std::map<std::string, std::uint16_t> ports_;
    std::map<std::string, std::unique_ptr<core::launcher::local_process>> processes_;
};

struct contract_case {
    std::string target;
    unsigned status;
    std::string content_type;
    std::string body;
};

const std::string json = "application/json";

contract_case error(std::string target, const std::string& message) {
    return {std::move(target), 400, json, fmt::format(R"({{"error":"{}"}})", message)};
}

// Every case apps-contract.md names for /query and /user/<id>/info, with the exact answer.
std::vector<contract_case> exact_cases() {
    const std::string q255(255, 'x'), q256(256, 'x');
    const std::string e_acute = "\xc3\xa9";  // U+00E9 in UTF-8: 2 bytes, 1 character
    std::string q255_wide;
    for (int i = 0; i < 255; ++i) q255_wide += "%C3%A9";
    std::string answer_255_wide;
    for (int i = 0; i < 255; ++i) answer_255_wide += e_acute;
    return {
        {"/query?q=foo&limit=10&offset=5", 200, json, R"({"q":"foo","limit":10,"offset":5})"},
        {"/query", 200, json, R"({"q":"","limit":10,"offset":0})"},
        {"/query?q=&other=1", 200, json, R"({"q":"","limit":10,"offset":0})"},
        {"/query?q=a+b%20c&limit=1&offset=2147483647", 200, json, R"({"q":"a b c","limit":1,"offset":2147483647})"},
        {"/query?limit=0100&offset=0", 200, json, R"({"q":"","limit":100,"offset":0})"},
        {"/query?q=%C3%A9t%C3%A9", 200, json, R"({"q":")" + e_acute + "t" + e_acute + R"(","limit":10,"offset":0})"},
        {"/query?q=%22%5C%00%20x%20", 200, json, R"({"q":"\"\\\u0000 x ","limit":10,"offset":0})"},
        {"/query?q=" + q255, 200, json, R"({"q":")" + q255 + R"(","limit":10,"offset":0})"},
        {"/query?q=" + q255_wide, 200, json, R"({"q":")" + answer_255_wide + R"(","limit":10,"offset":0})"},
        error("/query?q=" + q256, "invalid q"),
        error("/query?q=a&q=b", "invalid q"),
        error("/query?q=%FF", "invalid q"),
        error("/query?q=%EF%BF%BD", "invalid q"),
        error("/query?q=ok&limit=abc", "invalid limit"),
        error("/query?limit=", "invalid limit"),
        error("/query?limit", "invalid limit"),
        error("/query?limit=0", "invalid limit"),
        error("/query?limit=101", "invalid limit"),
        error("/query?limit=-1", "invalid limit"),
        error("/query?limit=+5", "invalid limit"),
        error("/query?limit=1.5", "invalid limit"),
        error("/query?limit=00000000010", "invalid limit"),
        error("/query?limit=1&limit=1", "invalid limit"),
        error("/query?offset=2147483648", "invalid offset"),
        error("/query?offset=-0", "invalid offset"),
        error("/query?offset=", "invalid offset"),
        error("/query?q=a&q=b&limit=0&offset=x", "invalid q"),  // the first invalid one, in order
        error("/query?limit=0&offset=x", "invalid limit"),
        {"/user/12345/info", 200, json, R"({"id":"12345"})"},
        {"/user/000123/info", 200, json, R"({"id":"000123"})"},
        {"/user/abc-DEF_9/info", 200, json, R"({"id":"abc-DEF_9"})"},
        {"/user/%41b/info", 200, json, R"({"id":"Ab"})"},
        {"/user/12345/info?x=1", 200, json, R"({"id":"12345"})"},
        {"/user/" + std::string(64, '7') + "/info", 200, json, R"({"id":")" + std::string(64, '7') + R"("})"},
        error("/user/" + std::string(65, '7') + "/info", "invalid id"),
        error("/user/a.b/info", "invalid id"),
        error("/user/a%20b/info", "invalid id"),
        error("/user/a+b/info", "invalid id"),
        error("/user/%C3%A9/info", "invalid id"),
        error("/user/%FF/info", "invalid id"),
        {"/html", 200, "text/html; charset=utf-8", "<html><body><h1>Hello World</h1></body></html>"},
    };
}

// /json-large's body, as the contract writes it.
std::string json_large() {
    std::string body = "[";
    for (int i = 0; i < 1000; ++i) body += fmt::format(R"({}{{"id":{},"name":"item","active":true}})", i ? "," : "", i);
    return body + "]";
}

}  // namespace

TEST_CASE("apps: every app answers the four extra endpoints as apps-contract.md says", "[e2e][apps]") {
    const fs::path source = SHOOTOUT_SOURCE_DIR;
    for (const auto& app : apps) {
        INFO("scripts/setup.sh builds .venvs/" << app);
        REQUIRE(fs::exists(source / ".venvs" / app / "bin" / "python"));
    }
    test::temp_dir logs;
    auto db = core::database::start_embedded(source / "apps" / "shared" / "init.sql", 60);
    six_apps running(db->dsn(), logs.path());
    for (const auto& app : apps) {
        const auto problem = running.wait_healthy(app, logs.path());
        INFO(problem);
        REQUIRE(problem.empty());
    }

    const auto large = json_large();
    // The figures apps-contract.md gives for it.
    REQUIRE(large.size() == 38891u);
    REQUIRE(sha256_hex(large) == "2e532c0008822c9bc94548ccb7003a643aa480ad05a6600e9d9c7769029a6270");
    auto cases = exact_cases();
    cases.push_back({"/json-large", 200, json, large});

    for (const auto& app : apps)
        for (const auto& c : cases) {
            INFO(app << " GET " << c.target);
            const auto a = get(running.port(app), c.target);
            REQUIRE(a.error.empty());
            CHECK(a.status == c.status);
            CHECK(a.content_type == c.content_type);
            CHECK(a.body == c.body);
        }

    // An encoded slash: the frameworks that decode the path before routing find no route, those
    // that route the raw path hand "a/b" to the app, which refuses it.
    for (const auto& app : apps) {
        INFO(app);
        const auto a = get(running.port(app), "/user/a%2Fb/info");
        REQUIRE(a.error.empty());
        if (app == "sanic" || app == "tornado") {
            CHECK(a.status == 400u);
            CHECK(a.body == R"({"error":"invalid id"})");
        } else {
            CHECK(a.status == 404u);
        }
    }
}
