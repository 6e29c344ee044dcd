// The test server's raw answers: bytes no well-behaved HTTP/1.1 or WebSocket library would
// write (dribbled, endless, badly framed, twice, absurd lengths), for the fault suite.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "test_server.h"

namespace shootout::test {

/// How to write one raw answer: `first` (whole, or a byte at a time `drip` apart), then `repeat`
/// again and again until the peer goes (if not empty), then `second` `second_after` later (if
/// not empty); then the next request is read.
struct raw_plan {
    std::string first;
    std::chrono::microseconds drip{0};
    std::string repeat;
    std::string second;
    std::chrono::microseconds second_after{0};
};

/// The raw plan for answering with `res` under `f`, or nothing when no raw fault is set.
std::optional<raw_plan> raw_answer(const faults& f, const boost::beast::http::response<boost::beast::http::string_body>& res);

/// A binary WebSocket frame's header (unmasked, FIN) announcing `length` payload bytes in the
/// 64-bit form, followed by 16 bytes of payload.
std::string websocket_frame_announcing(std::uint64_t length);

}  // namespace shootout::test
