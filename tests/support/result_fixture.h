// A fixed set of measurements for report and results tests: deterministic (no randomness, no
// clock), covering ties, a clear order, noise, failures, skips, an unsupported scenario, a spike
// with stages and an open-model pattern. tests/fixtures/results/raw holds it as written by
// schema version 1 (see report_test.cpp for how to regenerate it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <shootout/sdk/results.h>

namespace shootout::test {

/// Latencies around `median_us` with a long tail, `n` of them, the same for the same seed.
sdk::histogram latencies(std::int64_t median_us, std::uint64_t n, std::uint32_t seed);
sdk::environment fixture_environment();
/// A measured run of 10 s at `rate` req/s, with a timeline, one phase and server samples.
sdk::measurement measured(const std::string& fw, const std::string& scenario, const std::string& pattern, unsigned run,
                          double rate, std::int64_t median_us, std::uint32_t seed);
sdk::measurement not_measured(const std::string& fw, const std::string& scenario, const std::string& pattern, unsigned run,
                              sdk::outcome outcome, const std::string& reason);
std::vector<sdk::measurement> make_fixture();

}  // namespace shootout::test
