// The open model's plan, without sockets or a clock: the times it plans are checked against the
// area under the rate, and slices against the whole (as k6 checks its execution segments).
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/plan_clock.h"
#include "engine/schedule.h"

using namespace shootout;
using namespace shootout::core::engine;
using namespace std::chrono_literals;

namespace {

sdk::load_plan open_plan(std::vector<sdk::load_phase> phases) {
    sdk::load_plan p;
    p.model = sdk::load_model::open;
    p.phases = std::move(phases);
    return p;
}

const clock_type::time_point t0{};  // the epoch of the steady clock: any fixed start will do

std::vector<clock_type::time_point> times_of(const timed_plan& plan, std::uint32_t cap, slice s) {
    std::vector<clock_type::time_point> times;
    for (arrival_schedule a(plan.windows(), share_of(cap, s)); !a.done() && times.size() < 1'000'000; a.next())
        times.push_back(a.planned());
    return times;
}

}  // namespace

TEST_CASE("schedule: a 200 to 1000/s ramp over 2 s plans exactly the 1200 requests under it", "[engine][schedule]") {
    const auto plan = open_plan({{"ramp", 2s, true, 1, 1, 200, 1000}});
    const timed_plan timed(plan, t0);
    const auto times = times_of(timed, 1, {0, 1});
    CHECK(times.size() == 1200);
    // The n-th request is where the area under the rate reaches n: 200 t + 200 t² = n.
    for (std::size_t n : {1, 100, 600, 1199}) {
        const double t = (-200 + std::sqrt(200.0 * 200 + 4 * 200 * static_cast<double>(n))) / (2 * 200);
        CHECK(seconds_of(times[n - 1] - t0) == Approx(t).margin(1e-6));
    }
    CHECK(std::is_sorted(times.begin(), times.end()));
}

TEST_CASE("schedule: a constant rate is evenly spaced, and carries across phases", "[engine][schedule]") {
    const auto plan = open_plan({{"warmup", 500ms, false, 4, 4, 1000, 1000}, {"measure", 1s, true, 4, 4, 1000, 1000}});
    const timed_plan timed(plan, t0);
    const auto times = times_of(timed, 4, {0, 1});
    REQUIRE(times.size() == 1500);
    for (std::size_t i = 1; i < times.size(); ++i) CHECK(seconds_of(times[i] - times[i - 1]) == Approx(0.001).margin(1e-7));
}

TEST_CASE("schedule: N slices together plan exactly what one plans", "[engine][schedule]") {
    const auto plan = open_plan({{"ramp", 1s, true, 8, 8, 100, 900}, {"hold", 1s, true, 8, 8, 900, 900}});
    const timed_plan timed(plan, t0);
    const auto whole = times_of(timed, 8, {0, 1});
    for (std::uint32_t n : {2u, 4u, 8u}) {
        INFO(n << " slices");
        std::vector<clock_type::time_point> together;
        for (std::uint32_t k = 0; k < n; ++k) {
            const auto part = times_of(timed, 8, {k, n});
            together.insert(together.end(), part.begin(), part.end());
        }
        std::sort(together.begin(), together.end());
        REQUIRE(together.size() == whole.size());
        for (std::size_t i = 0; i < whole.size(); ++i) CHECK(std::chrono::abs(together[i] - whole[i]) < 1us);
    }
}

TEST_CASE("schedule: unequal slices add up to the whole count and interleave", "[engine][schedule]") {
    const auto plan = open_plan({{"hold", 2s, true, 7, 7, 700, 700}});
    const timed_plan timed(plan, t0);
    std::size_t total = 0;
    std::uint32_t connections = 0;
    std::vector<clock_type::time_point> firsts;
    for (std::uint32_t k = 0; k < 3; ++k) {
        const auto share = share_of(7, {k, 3});
        connections += share.connections;
        const auto part = times_of(timed, 7, {k, 3});
        total += part.size();
        firsts.push_back(part.front());
    }
    CHECK(connections == 7);   // 3 + 2 + 2: the cap split exactly
    // 700/s for 2 s is 1400; a slice whose last request falls exactly on the plan's end keeps
    // it or not by the last bit of a double, so the parts may come to one fewer.
    CHECK(total >= 1399);
    CHECK(total <= 1400);
    std::sort(firsts.begin(), firsts.end());
    CHECK(std::adjacent_find(firsts.begin(), firsts.end()) == firsts.end());  // no two slices send at once
}

TEST_CASE("schedule: a slice with no connection sends nothing, and more slices than connections send the whole",
          "[engine][schedule]") {
    const auto plan = open_plan({{"hold", 1s, true, 2, 2, 100, 100}});
    const timed_plan timed(plan, t0);
    std::size_t total = 0;
    for (std::uint32_t k = 0; k < 5; ++k) total += times_of(timed, 2, {k, 5}).size();
    CHECK(total == 100);
    CHECK(share_of(2, {4, 5}).rate_share == 0);
}

TEST_CASE("plan clock: phases on the clock, what they ask for at an instant and over a span", "[engine][schedule]") {
    sdk::load_plan plan;
    plan.phases = {{"warmup", 1s, false, 10, 10, 0, 0}, {"ramp", 2s, true, 10, 30, 100, 300}, {"hold", 1s, true, 30, 30, 300, 300}};
    const timed_plan timed(plan, t0);
    CHECK(timed.measured_phases() == 2);
    CHECK(timed.measured_begin() == t0 + 1s);
    CHECK(timed.end() == t0 + 4s);
    CHECK(timed.connections_at(t0 + 2s) == 20);   // half-way up the ramp
    CHECK(timed.rate_at(t0 + 2s) == Approx(200));
    CHECK(timed.rate_at(t0 + 3s) == Approx(300));  // a phase's end belongs to it
    CHECK(timed.connections_at(t0 + 5s) == 0);     // outside the plan
    CHECK(timed.most_connections() == 30);
    // Measured requests: the ramp's area (200/s mean for 2 s) and the hold's, cut where asked.
    CHECK(timed.measured_requests_until(t0 + 4s) == Approx(400 + 300));
    CHECK(timed.measured_requests_until(t0 + 2s) == Approx(150));
    CHECK(timed.measured_seconds_until(t0 + 2500ms) == Approx(1.5));
    sdk::load_plan unmeasured;
    unmeasured.phases = {{"warmup", 1s, false, 1, 1, 0, 0}};
    CHECK_THROWS_WITH(timed_plan(unmeasured, t0), "the load plan has no measured phase");
}
