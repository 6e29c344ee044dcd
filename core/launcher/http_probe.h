// One plain HTTP GET with a deadline: how the launcher knows a server is up.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace shootout::core::launcher {

struct probe_result {
    std::optional<unsigned> status;  ///< set when a response arrived
    std::string error;               ///< why not, otherwise ("Connection refused", "timed out")
};

/// A TCP port on 127.0.0.1 that nothing listens on right now (bound to port 0, then released).
std::uint16_t free_loopback_port();

/// Whether something already accepts connections on host:port (a local framework's port must
/// be free before it starts, or its health check would be answered by another server).
bool port_taken(const std::string& host, std::uint16_t port);

/// GET http://host:port<target>, giving up after `timeout`.
probe_result http_get(const std::string& host, std::uint16_t port, const std::string& target,
                      std::chrono::nanoseconds timeout);

}  // namespace shootout::core::launcher
