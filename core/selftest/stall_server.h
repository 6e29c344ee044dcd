// A tiny HTTP server for `shootout selftest`: answers GET /ping with "pong" at once, except inside
// a stall window, where every response waits until the window ends (a server frozen by a GC
// pause, a lock, a full disk). Runs on its own thread, binds 127.0.0.1 on a free port.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

namespace shootout::core::selftest {

class stall_server {
public:
    stall_server();
    ~stall_server();
    stall_server(const stall_server&) = delete;
    stall_server& operator=(const stall_server&) = delete;

    std::uint16_t port() const;
    /// From `from`, for `length`, responses are held until from + length. Call before the load.
    void stall(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::duration length);
    /// Requests answered so far.
    std::uint64_t answered() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace shootout::core::selftest
