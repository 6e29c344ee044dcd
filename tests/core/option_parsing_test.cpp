#include <catch2/catch.hpp>
#include <toml++/toml.h>

#include "option_parsing.h"

using namespace shootout;
using namespace std::chrono_literals;

TEST_CASE("option parsing: durations with units", "[core][options]") {
    CHECK(core::parse_duration("30s") == 30s);
    CHECK(core::parse_duration("500ms") == 500ms);
    CHECK(core::parse_duration("1.5m") == 90s);
    CHECK(core::parse_duration("2h") == 2h);
    CHECK(core::parse_duration(" 10us ") == 10us);
    CHECK_FALSE(core::parse_duration("30"));
    CHECK_FALSE(core::parse_duration("forever"));
    CHECK_FALSE(core::parse_duration("-3s"));
    CHECK_FALSE(core::parse_duration("3 days"));
}

TEST_CASE("option parsing: sizes in decimal and binary units", "[core][options]") {
    CHECK(core::parse_size("5MiB") == 5 * 1024 * 1024);
    CHECK(core::parse_size("64KiB") == 65536);
    CHECK(core::parse_size("10MB") == 10'000'000);
    CHECK(core::parse_size("512B") == 512);
    CHECK(core::parse_size("4096") == 4096);
    CHECK_FALSE(core::parse_size("1.5B"));
    CHECK_FALSE(core::parse_size("lots"));
}

TEST_CASE("option parsing: TOML values convert by declared type, or say what was found", "[core][options]") {
    auto doc = toml::parse(R"(
n = 50
s = "fifty"
d = "30"
d2 = 2.5
list = ["a", 1]
)");
    std::string problem;
    CHECK(std::get<std::int64_t>(*core::convert(sdk::option_type::integer, *doc.get("n"), problem)) == 50);
    CHECK_FALSE(core::convert(sdk::option_type::integer, *doc.get("s"), problem));
    CHECK(problem == "found string \"fifty\"");
    CHECK_FALSE(core::convert(sdk::option_type::duration, *doc.get("d"), problem));
    CHECK(problem == "found \"30\" with no unit");
    CHECK(std::get<std::chrono::nanoseconds>(*core::convert(sdk::option_type::duration, *doc.get("d2"), problem)) ==
          2500ms);
    CHECK_FALSE(core::convert(sdk::option_type::string_list, *doc.get("list"), problem));
    CHECK(problem == "found an array holding integer 1");
    CHECK(std::get<double>(*core::convert(sdk::option_type::number, *doc.get("n"), problem)) == 50.0);
}

TEST_CASE("option parsing: values print as a person writes them", "[core][options]") {
    CHECK(core::to_text(sdk::option_values::value{std::chrono::nanoseconds(30s)}) == "30s");
    CHECK(core::to_text(sdk::option_values::value{std::uint64_t{5 * 1024 * 1024}}) == "5MiB");
    CHECK(core::to_text(sdk::option_values::value{std::string("x")}) == "\"x\"");
}

TEST_CASE("option parsing: integer and number lists convert from TOML and from a default's text", "[core][options]") {
    auto doc = toml::parse(R"(
codes = [200, 204]
weights = [1, 2.5]
mixed = [200, "ok"]
fractions = [200, 2.5]
one = 200
)");
    std::string problem;
    CHECK(std::get<std::vector<std::int64_t>>(*core::convert(sdk::option_type::integer_list, *doc.get("codes"), problem)) ==
          std::vector<std::int64_t>{200, 204});
    CHECK(std::get<std::vector<double>>(*core::convert(sdk::option_type::number_list, *doc.get("weights"), problem)) ==
          std::vector<double>{1.0, 2.5});
    CHECK_FALSE(core::convert(sdk::option_type::integer_list, *doc.get("mixed"), problem));
    CHECK(problem == "found an array holding string \"ok\"");
    CHECK_FALSE(core::convert(sdk::option_type::integer_list, *doc.get("fractions"), problem));
    CHECK(problem == "found an array holding float");
    CHECK_FALSE(core::convert(sdk::option_type::number_list, *doc.get("one"), problem));
    CHECK(problem == "found integer 200");

    CHECK(std::get<std::vector<std::int64_t>>(*core::parse_default(sdk::option_type::integer_list, "200, 204")) ==
          std::vector<std::int64_t>{200, 204});
    CHECK(std::get<std::vector<double>>(*core::parse_default(sdk::option_type::number_list, "0.5,2")) ==
          std::vector<double>{0.5, 2.0});
    CHECK(std::get<std::vector<double>>(*core::parse_default(sdk::option_type::number_list, "")).empty());
    CHECK_FALSE(core::parse_default(sdk::option_type::integer_list, "200,2.5"));
    CHECK(core::to_text(sdk::option_values::value{std::vector<std::int64_t>{200, 204}}) == "[200, 204]");
    CHECK(core::describe(sdk::option_type::number_list) == "an array of numbers");
}

TEST_CASE("option parsing: a table's default is only \"\" (optional), and holds its fields' defaults",
          "[core][options]") {
    static constexpr std::array<sdk::option_spec, 2> fields{{
        {"status", sdk::option_type::integer_list, "200", "codes"},
        {"content_type", sdk::option_type::string, nullptr, "required where the table is written"},
    }};
    static constexpr std::array<sdk::option_spec, 3> specs{{
        {"expect", sdk::option_type::table, "", "expectations", fields.data(), fields.size()},
        {"request", sdk::option_type::table_list, "", "requests", fields.data(), fields.size()},
        {"rate", sdk::option_type::number, "10", "r"},
    }};
    CHECK(core::parse_default(sdk::option_type::table, ""));
    CHECK_FALSE(core::parse_default(sdk::option_type::table, "{}"));
    CHECK_FALSE(core::parse_default(sdk::option_type::table_list, "x"));
    const auto values = core::declared_defaults(specs.data(), specs.size());
    CHECK(values.table("expect").integer_list("status") == std::vector<std::int64_t>{200});
    CHECK(values.table("expect").key_path("status") == "expect.status");
    CHECK_FALSE(values.table("expect").contains("content_type"));
    CHECK(values.table_list("request").empty());
    CHECK(values.number("rate") == 10);
    CHECK(core::to_text(values.all().at("expect")) == "{ status = [200] }");
}

TEST_CASE("option values: given() tells a value that was set from a default, even an equal one", "[core][options]") {
    sdk::option_values values;
    values.set_default("rate", 1000.0);
    values.set_default("duration", std::chrono::nanoseconds(30s));
    CHECK_FALSE(values.given("rate"));
    values.set("rate", 1000.0);  // the same as the default, and given all the same
    CHECK(values.given("rate"));
    CHECK_FALSE(values.given("duration"));
    CHECK_FALSE(values.given("undeclared"));
    values.set_default("rate", 5.0);
    CHECK_FALSE(values.given("rate"));
    CHECK(values.number("rate") == 5.0);
    CHECK_THROWS_WITH(values.integer("rate"), "option 'rate' is read with a type other than declared");
    sdk::option_values nested;
    nested.set_path("request[1]");
    CHECK(nested.key_path("path") == "request[1].path");
    CHECK_THROWS_WITH(nested.string("path"),
                      "option 'request[1].path' was not declared by this plugin, or is a field without a default in a "
                      "table that was not written (check given() first)");
}
