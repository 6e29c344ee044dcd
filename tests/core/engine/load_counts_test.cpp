// Counts that add up: whatever one slice counted, split between two slices and merged back, is
// the same, bucket for bucket.
#include <random>

#include <catch2/catch.hpp>

#include "engine/load_counts.h"

using namespace shootout;
using namespace shootout::core::engine;

namespace {

// A load's worth of counts, drawn from a seeded generator, and the same events dealt to two
// slices by a coin toss.
struct dealt {
    load_counts whole, a, b;
};

dealt deal(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> latency(7.0, 1.2);  // around 1 ms, long tail
    dealt d;
    d.whole.phases.resize(2);
    d.a.phases.resize(2);
    d.b.phases.resize(2);
    for (load_counts* c : {&d.whole, &d.a, &d.b}) c->requests.resize(3);
    for (int i = 0; i < 20000; ++i) {
        load_counts& part = rng() % 2 ? d.a : d.b;
        const auto us = static_cast<std::int64_t>(latency(rng));
        const std::size_t phase = rng() % 2;
        for (load_counts* c : {&d.whole, &part}) {
            c->latency_us.record(us);
            c->first_byte_us.record(us / 2);
            c->phases[phase].latency_us.record(us);
            ++c->phases[phase].completed;
            ++c->completed;
            c->bytes_received += 100;
            c->slowest_answer_us = std::max(c->slowest_answer_us, us);
            auto& kind = c->requests[static_cast<std::size_t>(i % 3)];
            if (i % 97 == 0) {
                ++c->errors.status;
                ++c->phases[phase].errors.status;
                ++kind.errors.status;
            } else {
                ++kind.completed;
                kind.latency_us.record(us);
            }
            if (i % 1000 == 0) c->unfinished_unsent_us.record(us * 10);
        }
    }
    return d;
}

void require_same(const sdk::histogram& x, const sdk::histogram& y) {
    REQUIRE(x.same_layout(y));
    CHECK(x.counts() == y.counts());
    CHECK(x.count() == y.count());
    CHECK(x.min() == y.min());
    CHECK(x.max() == y.max());
}

}  // namespace

TEST_CASE("load counts: merge(split(x)) == x, bucket for bucket", "[engine][counts]") {
    auto d = deal(42);
    load_counts merged;
    merged.merge(d.a);
    merged.merge(d.b);
    require_same(merged.latency_us, d.whole.latency_us);
    require_same(merged.first_byte_us, d.whole.first_byte_us);
    require_same(merged.unfinished_unsent_us, d.whole.unfinished_unsent_us);
    CHECK(merged.completed == d.whole.completed);
    CHECK(merged.errors.total() == d.whole.errors.total());
    CHECK(merged.bytes_received == d.whole.bytes_received);
    CHECK(merged.slowest_answer_us == d.whole.slowest_answer_us);
    REQUIRE(merged.phases.size() == 2);
    for (std::size_t p = 0; p < 2; ++p) {
        require_same(merged.phases[p].latency_us, d.whole.phases[p].latency_us);
        CHECK(merged.phases[p].completed == d.whole.phases[p].completed);
        CHECK(merged.phases[p].errors.status == d.whole.phases[p].errors.status);
    }
    REQUIRE(merged.requests.size() == 3);
    for (std::size_t k = 0; k < 3; ++k) {
        require_same(merged.requests[k].latency_us, d.whole.requests[k].latency_us);
        CHECK(merged.requests[k].completed == d.whole.requests[k].completed);
        CHECK(merged.requests[k].errors.status == d.whole.requests[k].errors.status);
    }
    // Percentiles come from the merged buckets: the same as the whole's, never an average.
    for (double q : {50.0, 99.0, 99.9})
        CHECK(merged.latency_us.value_at_percentile(q) == d.whole.latency_us.value_at_percentile(q));
}

TEST_CASE("load counts: merging is order-free, and an empty slice changes nothing", "[engine][counts]") {
    auto d = deal(7);
    load_counts ab, ba;
    ab.merge(d.a);
    ab.merge(d.b);
    ba.merge(d.b);
    ba.merge(d.a);
    const load_counts empty;
    ba.merge(empty);
    require_same(ab.latency_us, ba.latency_us);
    CHECK(ab.completed == ba.completed);
    CHECK(ab.phases.size() == ba.phases.size());
}

TEST_CASE("load counts: failures keep the first few reasons, an upgrade refusal the first slice's", "[engine][counts]") {
    load_counts a, b, merged;
    for (int i = 0; i < 4; ++i) a.failures.push_back("a" + std::to_string(i));
    for (int i = 0; i < 4; ++i) b.failures.push_back("b" + std::to_string(i));
    b.upgrade_refused_status = 404;
    b.upgrade_refused_reason = "status 404";
    merged.merge(a);
    merged.merge(b);
    CHECK(merged.failures == std::vector<std::string>{"a0", "a1", "a2", "a3", "b0"});
    CHECK(merged.upgrade_refused_status == 404);
}
