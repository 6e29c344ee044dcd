// The shard contract's flags: --shard i/N and auto from each launcher's variables, --start-at,
// --source-address, the late start, and what the plan's hash tells apart.
#include <map>

#include <catch2/catch.hpp>

#include "distributed/shard.h"
#include "errors.h"

using namespace shootout;
using namespace shootout::core::distributed;

namespace {

environment_lookup env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

std::string problem(const std::function<void()>& f) {
    try {
        f();
    } catch (const core::config_error& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("shard: --shard i/N", "[distributed][shard]") {
    const auto s = parse_shard("2/8", std::nullopt, env({}));
    CHECK(s.index == 2);
    CHECK(s.count == 8);
    CHECK_THAT(problem([] { parse_shard("8/8", std::nullopt, env({})); }), Catch::Contains("shard 8 of 8 does not exist"));
    CHECK_THAT(problem([] { parse_shard("0/0", std::nullopt, env({})); }), Catch::Contains("must be 1 to 1024"));
    CHECK_THAT(problem([] { parse_shard("2", std::nullopt, env({})); }), Catch::Contains("write it as i/N"));
    CHECK_THAT(problem([] { parse_shard("a/4", std::nullopt, env({})); }), Catch::Contains("write it as i/N"));
    CHECK_THAT(problem([] { parse_shard("1/4", 5, env({})); }), Catch::Contains("--shard-count 5 disagrees"));
}

TEST_CASE("shard: --shard auto reads each launcher's variables", "[distributed][shard]") {
    auto of = [](std::map<std::string, std::string> vars, std::optional<std::uint32_t> count = std::nullopt) {
        const auto s = parse_shard("auto", count, env(std::move(vars)));
        return std::pair{s.index, s.count};
    };
    CHECK(of({{"SHOOTOUT_SHARD", "1/3"}, {"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "4"}}) == std::pair{1u, 3u});
    CHECK(of({{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "4"}}) == std::pair{3u, 4u});
    CHECK(of({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}}) == std::pair{1u, 2u});
    CHECK(of({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "6"}}) == std::pair{5u, 6u});
    CHECK(of({{"JOB_COMPLETION_INDEX", "2"}}, 3) == std::pair{2u, 3u});
    CHECK_THAT(problem([] { parse_shard("auto", std::nullopt, env({{"JOB_COMPLETION_INDEX", "2"}})); }),
               Catch::Contains("give it with --shard-count N"));
    CHECK_THAT(problem([] { parse_shard("auto", 4, env({{"JOB_COMPLETION_INDEX", "4"}})); }),
               Catch::Contains("shard 4 of 4 does not exist"));
    CHECK_THAT(problem([] { parse_shard("auto", 3, env({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}})); }),
               Catch::Contains("--shard-count 3 disagrees with PMI_SIZE=2"));
    CHECK_THAT(problem([] { parse_shard("auto", std::nullopt, env({{"PMI_RANK", "1"}})); }),
               Catch::Contains("PMI_RANK is set but PMI_SIZE is not"));
    CHECK_THAT(problem([] { parse_shard("auto", std::nullopt, env({{"SLURM_PROCID", "x"}, {"SLURM_NTASKS", "2"}})); }),
               Catch::Contains("SLURM_PROCID=x is not a whole number"));
    CHECK_THAT(problem([] { parse_shard("auto", std::nullopt, env({})); }),
               Catch::Contains("none of SHOOTOUT_SHARD, OMPI_COMM_WORLD_RANK"));
}

TEST_CASE("shard: --start-at takes ISO 8601 UTC to the nanosecond", "[distributed][shard]") {
    using namespace std::chrono;
    const auto t = parse_start_at("2026-12-02T05:00:00Z");
    CHECK(duration_cast<seconds>(t.time_since_epoch()).count() == 1'796'187'600);
    const auto f = parse_start_at("2026-12-02T05:00:00.25Z");
    CHECK(duration_cast<milliseconds>(f - t).count() == 250);
    CHECK(utc_text(parse_start_at("2026-12-02T05:00:00.123456789Z")) == "2026-12-02T05:00:00.123456789Z");
    for (const char* bad : {"2026-12-02 05:00:00Z", "2026-12-02T05:00:00", "2026-13-02T05:00:00Z", "2026-02-30T05:00:00Z",
                            "2026-12-02T05:00:00.Z", "2026-12-02T05:00:00.1234567890Z", "tomorrow"})
        CHECK_THAT(problem([bad] { parse_start_at(bad); }), Catch::Contains("write the instant in UTC as ISO 8601"));
}

TEST_CASE("shard: a shard ready after its start time refuses to run", "[distributed][shard]") {
    const auto start = std::chrono::steady_clock::now();
    CHECK_NOTHROW(refuse_if_late(start, start, shard_spec{1, 4}, "T"));
    try {
        refuse_if_late(start, start + std::chrono::milliseconds(1500), shard_spec{1, 4}, "2026-12-02T05:00:00Z");
        FAIL("accepted a late start");
    } catch (const late_start& e) {
        CHECK_THAT(std::string(e.what()), Catch::StartsWith("shard 1/4 was ready 1.500 s after --start-at 2026-12-02T05:00:00Z"));
    }
}

TEST_CASE("shard: source addresses, given or one per shard on loopback", "[distributed][shard]") {
    CHECK(source_addresses(std::nullopt, std::nullopt, "127.0.0.1").empty());
    CHECK(source_addresses(std::nullopt, shard_spec{3, 4}, "127.0.0.1") == std::vector<std::string>{"127.0.0.13"});
    CHECK(source_addresses(std::nullopt, shard_spec{3, 4}, "10.0.0.5").empty());
    CHECK(source_addresses(std::string("auto"), std::nullopt, "127.0.0.1") == std::vector<std::string>{"127.0.0.10"});
    CHECK(source_addresses(std::string("127.0.0.2,127.0.0.3"), shard_spec{0, 2}, "127.0.0.1") ==
          std::vector<std::string>{"127.0.0.2", "127.0.0.3"});
    CHECK_THAT(problem([] { source_addresses(std::string("auto"), std::nullopt, "10.0.0.5"); }),
               Catch::Contains("is not on IPv4 loopback"));
    CHECK_THAT(problem([] { source_addresses(std::string("127.0.0.300"), std::nullopt, "127.0.0.1"); }),
               Catch::Contains("'127.0.0.300' is not a numeric IPv4 or IPv6 address"));
    CHECK_THAT(problem([] { source_addresses(std::string("::1"), std::nullopt, "127.0.0.1"); }),
               Catch::Contains("are not of one IP version"));
    CHECK_THAT(problem([] { source_addresses(std::nullopt, shard_spec{300, 400}, "127.0.0.1"); }),
               Catch::Contains("shard 300 has no address of its own"));
}

TEST_CASE("shard: the plan's hash tells apart what would cut the load differently", "[distributed][shard]") {
    sdk::load_plan plan;
    plan.model = sdk::load_model::open;
    plan.phases = {{"warmup", std::chrono::seconds(1), false, 8, 8, 1000, 1000}, {"measure", std::chrono::seconds(3), true, 8, 8, 1000, 1000}};
    const plan_identity id{.plan = &plan, .scenario = "ping", .pattern = "constant-rate", .target = "http://127.0.0.1:8080",
                           .threads = 2, .requests_per_connection = 0, .shard_count = 4};
    const auto h = plan_sha256(id);
    CHECK(h.size() == 64);
    CHECK(plan_sha256(id) == h);
    auto other = id;
    other.threads = 1;
    CHECK(plan_sha256(other) != h);
    other = id;
    other.shard_count = 3;
    CHECK(plan_sha256(other) != h);
    auto faster = plan;
    faster.phases[1].rate_end = 1001;
    other = id;
    other.plan = &faster;
    CHECK(plan_sha256(other) != h);
}
