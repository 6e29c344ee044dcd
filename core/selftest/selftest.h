// `shootout selftest`: proves on the user's own machine that the open model's numbers are honest.
//
// A server freezes for D seconds in the middle of a T-second constant-rate run. A generator free
// of coordinated omission charges the stall to every request planned during it, so its corrected
// latency follows the model (p99 = D - 0.01·T, max = D); the uncorrected latency, timed from
// each actual send like a closed-loop tool, hardly moves. Both are shown, and judged.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "manifest.h"

namespace CLI { class App; }

namespace shootout::core::selftest {

struct options {
    std::string stall = "1.5s";
    std::string duration = "30s";
    std::string warmup = "2s";
    double rate = 2000;
    unsigned connections = 32;  ///< the pool's cap
    unsigned threads = 1;
    bool json = false;
};

void add_options(CLI::App& command, options& o);

/// Runs the check and prints the verdict. Returns 0 if every figure is within its bounds, 1 if
/// not (or if interrupted), and throws config_error for options the model cannot judge.
int run(const options& o, const std::vector<search_dir>& plugin_dirs, std::ostream& out);

}  // namespace shootout::core::selftest
