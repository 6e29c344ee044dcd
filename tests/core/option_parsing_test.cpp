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
