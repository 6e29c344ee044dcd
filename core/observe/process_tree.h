// CPU and memory of a process and everything it forked, read from /proc while the load runs.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <thread>
#include <vector>

#include <shootout/sdk/results.h>

namespace shootout::core::observe {

/// One reading of a process tree: total CPU time used so far by each live member, and RSS.
struct tree_reading {
    std::map<pid_t, double> cpu_seconds;  ///< per live process of the tree
    std::uint64_t rss_bytes = 0;          ///< sum over the tree
};

/// Reads /proc once: `root` and every descendant alive now (workers are found again on every
/// reading, so workers that fork or die during a run are followed).
tree_reading read_tree(pid_t root);

/// Samples a process tree every `interval` on its own thread until stopped. CPU % between two
/// readings adds each process's CPU time since the previous reading (or since it started, if it
/// is new), so 100 % is one core busy, 200 % two.
class tree_sampler {
public:
    tree_sampler(pid_t root, std::chrono::milliseconds interval, std::chrono::steady_clock::time_point origin);
    ~tree_sampler();
    tree_sampler(const tree_sampler&) = delete;
    tree_sampler& operator=(const tree_sampler&) = delete;
    /// Stops the thread and returns the samples; `second` is relative to `origin`.
    std::vector<sdk::resource_sample> finish();

private:
    void run();
    pid_t root_;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point origin_;
    std::atomic<bool> stop_{false};
    std::vector<sdk::resource_sample> samples_;
    std::thread thread_;
};

}  // namespace shootout::core::observe
