// CPU and memory of a Docker container, from the Docker Engine API's stats endpoint over its
// unix socket (what `docker stats` shows), sampled while the load runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>
#include <shootout/sdk/results.h>

namespace shootout::core::observe {

/// A problem talking to the Docker engine, worded for people (names the socket or container and the fix).
class docker_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The Docker engine's socket: DOCKER_HOST if it is unix://PATH, else /var/run/docker.sock.
/// Throws docker_error for a DOCKER_HOST that is not a unix socket (tcp://, ssh://).
std::filesystem::path docker_socket_path();

/// The figures of one stats document that CPU % and memory are computed from.
struct container_stats {
    std::uint64_t cpu_ns = 0;         ///< cpu_stats.cpu_usage.total_usage
    std::uint64_t system_ns = 0;      ///< cpu_stats.system_cpu_usage (all host CPUs together)
    unsigned online_cpus = 0;         ///< cpu_stats.online_cpus, or the length of percpu_usage
    std::uint64_t pre_cpu_ns = 0, pre_system_ns = 0;  ///< precpu_stats: the engine's previous reading
    std::uint64_t memory_bytes = 0;   ///< memory_stats.usage minus the inactive file cache
};

/// Reads the documented stats response. Memory is computed as the Docker CLI does: usage minus
/// `total_inactive_file` (cgroup v1) or `inactive_file` (cgroup v2), when smaller than usage.
container_stats parse_container_stats(const boost::json::value& document);

/// CPU % between two readings, as the Docker CLI computes it: the container's CPU time over the
/// host's, times the online CPUs, times 100 (100 = one core busy). 0 when the host's did not advance.
double container_cpu_percent(std::uint64_t cpu_before, std::uint64_t system_before, const container_stats& now);

/// GET /containers/{container}/stats?stream=false&one-shot=true. Throws docker_error.
container_stats read_container_stats(const std::filesystem::path& socket, const std::string& container);

/// GET /containers/{container}/json: the host pid of the container's main process (State.Pid),
/// for profilers that attach to a pid. Throws docker_error.
int container_pid(const std::filesystem::path& socket, const std::string& container);

/// Samples one container every `interval` on its own thread until stopped, like tree_sampler.
/// The first reading is taken in the constructor: if the engine cannot be reached or the
/// container does not exist, problem() says so and nothing is sampled.
class container_sampler {
public:
    container_sampler(std::filesystem::path socket, std::string container, std::chrono::milliseconds interval,
                      std::chrono::steady_clock::time_point origin);
    ~container_sampler();
    container_sampler(const container_sampler&) = delete;
    container_sampler& operator=(const container_sampler&) = delete;

    /// Stops the thread and returns the samples; `second` is relative to `origin`.
    std::vector<sdk::resource_sample> finish();
    /// The first problem met, at the start or during sampling.
    const std::optional<std::string>& problem() const { return problem_; }

private:
    void run();
    std::filesystem::path socket_;
    std::string container_;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point origin_;
    container_stats previous_;
    std::atomic<bool> stop_{false};
    std::optional<std::string> problem_;
    std::vector<sdk::resource_sample> samples_;
    std::thread thread_;
};

}  // namespace shootout::core::observe
