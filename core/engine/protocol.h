// The seam between a connection and the protocol it speaks, as h2load cuts it (its Session
// interface, with Http1Session and Http2Session): the connection owns the socket, its buffers,
// its timers and timeouts and the accounting of each request; the protocol builds what goes on
// the wire, reads what comes back and says when a request is answered. HTTP/1.1 is
// http1_protocol, WebSocket websocket_client. The connection calls its protocol once per connect,
// per request and per read, never per byte. Internal to the engine.
#pragma once

#include <string_view>

#include "plan_clock.h"

namespace shootout::core::engine {

class protocol {
public:
    virtual ~protocol() = default;
    /// The socket is connected: do what comes before the first request (a WebSocket upgrade), or
    /// offer the connection to the load (connection::ready).
    virtual void on_connected(clock_type::time_point now) = 0;
    /// Put the next request on the wire (connection::write_request); the connection is idle.
    /// `planned` is when it should have left (the schedule's time in the open model).
    virtual void submit(clock_type::time_point now, clock_type::time_point planned) = 0;
    /// The bytes of one read, counted already. False when the connection should read no further
    /// now: the answer is complete and handled, or the connection was failed or closed meanwhile.
    virtual bool on_bytes(std::string_view bytes, clock_type::time_point now) = 0;
    /// The peer closed the connection while a request was in flight.
    virtual void on_eof() = 0;
    /// The request is all on the wire, and the connection now reads.
    virtual void on_written() {}
    /// The socket is about to be closed between requests or while reading: a last word, sent
    /// without waiting (a WebSocket close frame).
    virtual void on_closing() {}
    /// Still before the first request: what is on the wire is a handshake, not a request.
    virtual bool handshaking() const { return false; }
};

}  // namespace shootout::core::engine
