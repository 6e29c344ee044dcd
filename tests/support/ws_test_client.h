// A blocking WebSocket client for tests, built from the engine's protocol pieces over a plain
// socket with a receive timeout, so no test waits forever on a quiet server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/websocket_protocol.h"

namespace shootout::test {

/// One TCP connection to 127.0.0.1:port. Fails the running test (Catch2 REQUIRE) on socket errors.
class blocking_client {
public:
    explicit blocking_client(std::uint16_t port);
    ~blocking_client();
    blocking_client(const blocking_client&) = delete;
    blocking_client& operator=(const blocking_client&) = delete;

    void send_all(std::string_view data);
    /// Bytes received into `buffer`, 0 at the end of the stream; fails the test after 5 s of silence.
    std::size_t receive(char* buffer, std::size_t size);

private:
    int fd_;
};

struct upgrade_result {
    core::engine::websocket::upgrade_verdict verdict;
    std::string leftover;  ///< bytes after the response head: the first frames, if the server was quick
};

/// Sends the handshake and reads the answer's head with Beast's parser, as the engine does,
/// then judges it.
upgrade_result upgrade(blocking_client& client, const core::engine::websocket::handshake& h);

}  // namespace shootout::test
