#include <algorithm>
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include <shootout/sdk/histogram.h>

using shootout::sdk::histogram;

namespace {
// Exact nearest-rank percentile of sorted values.
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, double p) {
    // The smallest rank with p % of the values at or below it: ceil(p · n / 100), computed so that
    // a product that is a whole number in decimals (99.9 % of 200,000) is not rounded up by the
    // binary error of 99.9 / 100.
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()) / 100.0 * (1 - 1e-12)));
    return sorted[std::max<std::size_t>(rank, 1) - 1];
}
}  // namespace

TEST_CASE("histogram: values up to 2048 are stored exactly", "[sdk][histogram]") {
    histogram h;
    for (std::int64_t v = 1; v <= 1000; ++v) h.record(v);
    CHECK(h.count() == 1000);
    CHECK(h.min() == 1);
    CHECK(h.max() == 1000);
    CHECK(h.value_at_percentile(50) == 500);
    CHECK(h.value_at_percentile(99) == 990);
    CHECK(h.value_at_percentile(100) == 1000);
    CHECK(h.mean() == Approx(500.5));
}

TEST_CASE("histogram: the HdrHistogram reference case (10,000 at 1 ms, one at 100 s)", "[sdk][histogram]") {
    histogram h;
    h.record(1000, 10'000);
    h.record(100'000'000);
    CHECK(h.count() == 10'001);
    CHECK(h.value_at_percentile(50) == 1000);
    CHECK(h.value_at_percentile(99.99) == 1000);
    CHECK(h.value_at_percentile(100) == 100'000'000);
    CHECK(h.max() == 100'000'000);
    CHECK(h.mean() == Approx((10'000.0 * 1000 + 1e8) / 10'001).epsilon(0.001));
}

TEST_CASE("histogram: a percentile whose rank is a whole number is that rank, as in HdrHistogram", "[sdk][histogram]") {
    // 99.9 / 100 · 3000 is 2997.0000000000005 in binary: rounded up it would be the 2998th value.
    histogram h;
    for (std::int64_t v = 1; v <= 3000; ++v) h.record(v < 2998 ? 1 : 1000);
    CHECK(h.value_at_percentile(99.9) == 1);
    CHECK(h.value_at_percentile(50) == 1);
    CHECK(h.value_at_percentile(100) == 1000);
}

TEST_CASE("histogram: percentiles of known distributions are within 0.1 %", "[sdk][histogram]") {
    std::mt19937_64 rng(42);
    const auto check = [](std::vector<std::int64_t> values) {
        histogram h;
        for (auto v : values) h.record(v);
        std::sort(values.begin(), values.end());
        for (double p : {1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
            const auto exact = exact_percentile(values, p);
            const auto got = h.value_at_percentile(p);
            INFO("p" << p << " exact " << exact << " got " << got);
            CHECK(got >= exact);
            CHECK(static_cast<double>(got) <= static_cast<double>(exact) * 1.001 + 1);
        }
    };
    SECTION("uniform 1 us .. 10 s") {
        std::uniform_int_distribution<std::int64_t> d(1, 10'000'000);
        std::vector<std::int64_t> v(200'000);
        for (auto& x : v) x = d(rng);
        check(v);
    }
    SECTION("log-normal around 2 ms") {
        std::lognormal_distribution<double> d(std::log(2000.0), 1.0);
        std::vector<std::int64_t> v(200'000);
        for (auto& x : v) x = std::max<std::int64_t>(1, static_cast<std::int64_t>(d(rng)));
        check(v);
    }
    SECTION("exponential, mean 500 us") {
        std::exponential_distribution<double> d(1.0 / 500);
        std::vector<std::int64_t> v(200'000);
        for (auto& x : v) x = std::max<std::int64_t>(1, static_cast<std::int64_t>(d(rng)));
        check(v);
    }
}

TEST_CASE("histogram: merging equals recording everything in one", "[sdk][histogram]") {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> d(1, 60'000'000);
    histogram all, a, b;
    for (int i = 0; i < 50'000; ++i) {
        const auto v = d(rng);
        all.record(v);
        (i % 3 ? a : b).record(v);
    }
    a.merge(b);
    CHECK(a.count() == all.count());
    CHECK(a.counts() == all.counts());
    CHECK(a.min() == all.min());
    CHECK(a.max() == all.max());
    for (double p : {50.0, 99.0, 99.9}) CHECK(a.value_at_percentile(p) == all.value_at_percentile(p));
}

TEST_CASE("histogram: values beyond the highest trackable are clamped and counted", "[sdk][histogram]") {
    histogram h(60'000'000);  // 60 s
    h.record(120'000'000);
    h.record(0);
    CHECK(h.count() == 2);
    CHECK(h.clamped() == 1);
    CHECK(h.max() == 60'000'000);
    CHECK(h.min() == 1);
}

TEST_CASE("histogram: serialised counts rebuild the same histogram", "[sdk][histogram]") {
    histogram h;
    for (std::int64_t v : {3, 900, 4096, 123'456, 7'000'000}) h.record(v, 5);
    histogram copy;
    const auto& counts = h.counts();
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i]) REQUIRE(copy.add_at_index(i, counts[i]));
    copy.restore_extremes(h.min(), h.max());
    CHECK(copy.count() == h.count());
    CHECK(copy.min() == h.min());
    CHECK(copy.max() == h.max());
    CHECK(copy.value_at_percentile(50) == h.value_at_percentile(50));
    CHECK(copy.value_at_percentile(100) == h.value_at_percentile(100));
    CHECK_FALSE(copy.add_at_index(counts.size(), 1));
}

TEST_CASE("histogram: merging different layouts is refused", "[sdk][histogram]") {
    histogram a(60'000'000, 3), b(60'000'000, 2);
    CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
}
