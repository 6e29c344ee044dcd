// A connection's WebSocket side: the upgrade request and its judgement, one message in flight
// at a time, every reply checked, pings answered, close frames told apart from failures. The
// frames themselves are made and decoded by websocket_protocol (pure, tested apart).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <boost/beast/http/error.hpp>
#include <fmt/format.h>
#include <shootout/sdk/http.h>

#include "connection.h"
#include "worker.h"

namespace shootout::core::engine {

namespace {
// Statuses with which a server says it has no WebSocket at that path: no route (404), the route
// takes no GET (405), not an upgrade it knows (400, 426), not implemented (501). Anything else
// (401, 403, 5xx...) is a server that has WebSocket there and failed: an error, not "not supported".
bool means_no_websocket(unsigned status) {
    return status == 400 || status == 404 || status == 405 || status == 426 || status == 501;
}

}  // namespace

void connection::begin_upgrade(clock_type::time_point now) {
    if (retiring_ || !w_.sending()) {
        close();
        return;
    }
    if (!wsock_->handshake) wsock_->handshake = ws::make_handshake(w_.target().host_header, w_.websocket_target(), w_.seed_for(index_));
    wsock_->decoder.reset();
    wsock_->after_upgrade.clear();
    upgrading_ = true;
    pong_pending_ = false;
    request_ = {{wsock_->handshake->request}, 1};
    part_ = offset_ = 0;
    received_ = 0;
    sent_at_ = planned_at_ = now;
    got_bytes_ = readable_pending_ = false;
    sink_.reset(nullptr, &wsock_->upgrade);
    reader_.begin();
    state_ = state::writing;
    write_some();
}

void connection::finish_upgrade(clock_type::time_point now) {
    const ws::upgrade_response response{sink_.status, wsock_->upgrade.upgrade, wsock_->upgrade.connection,
                                        wsock_->upgrade.accept, wsock_->upgrade.extensions, wsock_->upgrade.protocol};
    const auto verdict = ws::judge_upgrade(response, wsock_->handshake->expected_accept);
    if (!verdict.accepted()) {
        // Still `upgrading_`: the connection speaks HTTP, so close() sends no WebSocket close frame.
        if (verdict.outcome == ws::upgrade_outcome::refused && means_no_websocket(verdict.status)) {
            w_.upgrade_refused(verdict.status, verdict.reason);
            // Asking again on every tick would only repeat the answer: the connection stays shut.
            refused_ = true;
            fail(error_class::status, verdict.reason, false);
        } else if (verdict.outcome == ws::upgrade_outcome::refused) {
            fail(error_class::status, verdict.reason, false);  // tried again on the next tick
        } else {
            fail(error_class::read, "WebSocket upgrade: " + verdict.reason, true);
        }
        return;
    }
    upgrading_ = false;
    end_connecting();
    w_.record_handshake(now - sent_at_);
    if (!wsock_->session) {
        // Opened once per connection, after its first upgrade, as the SDK promises; a reconnect
        // keeps the session (and so its message numbering).
        const sdk::session_context context{w_.target(), w_.config().role, w_.index(), index_, w_.seed_for(index_)};
        wsock_->session = w_.scenario().open_websocket_session(context);
        if (!wsock_->session)
            throw std::runtime_error("the scenario opened no WebSocket session: a WebSocket scenario must override "
                                     "open_websocket_session()");
    }
    state_ = state::idle;
    answered_since_upgrade_ = false;
    if (!wsock_->after_upgrade.empty()) {
        // Frames that arrived with the 101 (a server that speaks first): judge them like any other.
        ws::feed_result result;
        if (!feed_decoder(wsock_->after_upgrade.data(), wsock_->after_upgrade.size(), result)) return;
        if (!result) {
            fail(error_class::read, "WebSocket protocol error: " + std::string(result.error), true);
            return;
        }
    }
    replied_ = false;
    ready(now);
}

void connection::send_message(clock_type::time_point now, clock_type::time_point planned) {
    const sdk::ws_message message = wsock_->session->next_message();
    // Header and masked payload in one buffer, the header right before the payload, so a message
    // leaves in one send() like an HTTP request.
    const std::size_t need = ws::max_frame_header_size + message.data.size();
    if (wsock_->masked.size() < need) wsock_->masked.resize(need);
    char* payload = wsock_->masked.data() + ws::max_frame_header_size;
    wsock_->head = wsock_->encoder.encode(message.binary ? ws::opcode::binary : ws::opcode::text, message.data, payload);
    char* head = payload - wsock_->head.size;
    std::memcpy(head, wsock_->head.bytes.data(), wsock_->head.size);
    request_ = {{std::string_view(head, wsock_->head.size + message.data.size())}, 1};
    part_ = offset_ = 0;
    received_ = 0;
    sent_at_ = now;
    planned_at_ = planned;
    got_bytes_ = readable_pending_ = false;
    // Every reply is checked, not a sample: the check is a byte comparison, and it is what tells
    // an echo from a reply to another message (a server that answers twice, or late).
    verify_reply_ = true;
    state_ = state::writing;
    write_some();
}

void connection::on_ws_readable() {
    char* buffer = w_.read_buffer();
    for (;;) {
        const ssize_t n = ::recv(fd_, buffer, read_buffer_size, 0);
        if (n > 0) {
            if (!got_bytes_) {
                got_bytes_ = true;
                first_byte_at_ = clock_type::now();
            }
            received_ += static_cast<std::uint64_t>(n);
            // A handler may close this socket (a failed check) or even open a new one: what is
            // left of this read then belongs to a connection that is gone.
            ws::feed_result result;
            if (!feed_decoder(buffer, static_cast<std::size_t>(n), result)) return;
            if (!result) {
                fail(error_class::read, "WebSocket protocol error: " + std::string(result.error), true);
                return;
            }
            if (replied_) {
                // The next message goes out only now that the whole read was decoded, so that a
                // second message in it is seen as one nobody asked for, never as the next reply.
                replied_ = false;
                ready(replied_at_);
                return;
            }
            if (static_cast<std::size_t>(n) < read_buffer_size && !peer_closed_) return;
            continue;
        }
        if (n == 0) {
            if (state_ == state::idle) {
                close();
                start();
                return;
            }
            fail(error_class::read,
                 got_bytes_ ? "the server closed the connection in the middle of a WebSocket message"
                            : "the server closed the connection without echoing the message",
                 true);
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        fail(error_class::read, std::string("read: ") + std::strerror(errno), true);
        return;
    }
}

bool connection::feed_decoder(const char* data, std::size_t size, ws::feed_result& result) {
    const auto generation = feeding_generation_ = generation_;
    feeding_ = true;
    result = wsock_->decoder.feed(data, size, *this);
    feeding_ = false;
    if (generation == generation_) return true;
    if (restart_after_feed_) {
        restart_after_feed_ = false;
        if (active_ && w_.sending()) start();
    }
    return false;
}

void connection::on_message(std::string_view data, bool binary) {
    if (feeding_generation_ != generation_) return;
    if (state_ != state::reading) {
        fail(error_class::read, "the server sent a WebSocket message nobody asked for", true);
        return;
    }
    const auto now = clock_type::now();
    std::optional<sdk::verdict> verdict;
    if (verify_reply_) verdict = wsock_->session->check_reply(data, binary);
    state_ = state::idle;
    // A message counts as answered with a 2xx: the server did the work.
    w_.record_response(now, planned_at_, sent_at_, first_byte_at_, 200, verdict ? &*verdict : nullptr, nullptr,
                       request_.size(), received_);
    received_ = 0;
    got_bytes_ = false;
    replied_ = generation_ == feeding_generation_;  // unless recording it closed the connection
    answered_since_upgrade_ = true;
    replied_at_ = now;
}

void connection::on_ping(std::string_view payload) {
    if (feeding_generation_ != generation_) return;
    wsock_->pong = wsock_->encoder.encode_control(ws::opcode::pong, payload);
    if (state_ == state::writing) pong_pending_ = true;  // after the message on the wire, never inside it
    else send_control(wsock_->pong);
}

void connection::on_close(std::uint16_t code, std::string_view reason) {
    if (feeding_generation_ != generation_) return;
    if (state_ == state::idle && answered_since_upgrade_ && (code == 1000 || code == 1001)) {
        // Every message was answered and the server says goodbye normally ("normal" or "going
        // away"): like a server closing an idle keep-alive connection, this loses nothing.
        // close() answers with a close frame; the next message goes out on a new connection once
        // it is upgraded (its handshake is counted, so reconnects show).
        replied_ = false;
        close();
        restart_after_feed_ = true;
        return;
    }
    const std::string why = state_ == state::idle ? (answered_since_upgrade_ ? "" : " before echoing any message")
                                                  : " without echoing the message";
    fail(error_class::read,
         fmt::format("the server closed the WebSocket (code {}{}{}){}", code, reason.empty() ? "" : ": ",
                     std::string(reason.substr(0, 80)), why),
         true);
}

// A control frame is at most 131 bytes and goes out between messages, when the socket's send
// buffer is empty: it leaves in one send() or the connection is in trouble anyway.
void connection::send_control(const ws::control_frame& frame) {
    const auto bytes = frame.view();
    ssize_t n;
    do n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(bytes.size()))
        fail(error_class::write, n < 0 ? std::string("write: ") + std::strerror(errno) : "could not answer the server's ping",
             true);
}

}  // namespace shootout::core::engine
