// A stand-in for the Docker Engine API on a unix socket in a temporary directory: answers
// GET /containers/{name}/stats and /containers/{name}/json for one container, with counters
// that grow on every request, and 404 with Docker's error body for any other container.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace shootout::test {

class fake_docker_engine {
public:
    /// Each stats answer adds `cpu_ns_per_request` to the container's CPU time and
    /// `system_ns_per_request` to the host's; memory is `usage` with `inactive_file` of cache
    /// (as cgroup v2 reports it).
    fake_docker_engine(const std::filesystem::path& socket, std::string container, std::uint64_t cpu_ns_per_request,
                       std::uint64_t system_ns_per_request, unsigned online_cpus, std::uint64_t usage,
                       std::uint64_t inactive_file);
    ~fake_docker_engine();
    unsigned requests() const { return requests_.load(); }

private:
    void serve();
    std::string container_;
    std::uint64_t cpu_step_, system_step_, usage_, inactive_;
    unsigned cpus_;
    std::atomic<unsigned> requests_{0};
    std::atomic<bool> stop_{false};
    std::filesystem::path socket_;
    boost::asio::io_context io_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::thread thread_;
};

}  // namespace shootout::test
