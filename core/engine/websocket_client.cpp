// A connection's WebSocket side: the upgrade request and its judgement, one message in flight
// at a time, every reply checked, pings answered, close frames told apart from failures. The
// frames themselves are made and decoded by websocket_protocol (pure, tested apart).
#include "websocket_client.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

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

// The largest message a reply may be; a frame that announces more is a protocol error.
constexpr std::size_t max_message_size = std::size_t{1} << 30;

}  // namespace

websocket_client::websocket_client(connection& c)
    : c_(c), encoder_(c.owner().seed_for(c.index()) ^ 0x5bd1e995ULL), decoder_(max_message_size) {}

void websocket_client::on_connected(clock_type::time_point now) {
    if (c_.winding_down()) {
        c_.close();
        return;
    }
    worker& w = c_.owner();
    if (!handshake_) handshake_ = ws::make_handshake(w.target().host_header, w.websocket_target(), w.seed_for(c_.index()));
    decoder_.reset();
    after_upgrade_.clear();
    upgrading_ = true;
    pong_pending_ = false;
    sink_.reset(nullptr, &upgrade_);
    reader_.begin();
    c_.write_request({{handshake_->request}, 1}, now, now);
}

bool websocket_client::on_upgrade_bytes(std::string_view bytes, clock_type::time_point now) {
    if (!c_.reading()) {
        c_.fail(error_class::read, "the server sent bytes nobody asked for", true);
        return false;
    }
    const read_outcome read = reader_.feed(bytes);
    if (read.what == read_outcome::kind::malformed) {
        c_.fail(error_class::read, "malformed response: " + read.error.message(), true);
        return false;
    }
    if (read.what == read_outcome::kind::need_more) return true;
    after_upgrade_.assign(read.after);  // the first frames, right behind the 101
    finish_upgrade(now);
    return false;
}

void websocket_client::finish_upgrade(clock_type::time_point now) {
    const ws::upgrade_response response{sink_.status, upgrade_.upgrade, upgrade_.connection,
                                        upgrade_.accept, upgrade_.extensions, upgrade_.protocol};
    const auto verdict = ws::judge_upgrade(response, handshake_->expected_accept);
    worker& w = c_.owner();
    if (!verdict.accepted()) {
        // Still `upgrading_`: the connection speaks HTTP, so closing sends no WebSocket close frame.
        if (verdict.outcome == ws::upgrade_outcome::refused && means_no_websocket(verdict.status)) {
            w.upgrade_refused(verdict.status, verdict.reason);
            // Asking again on every tick would only repeat the answer: the connection stays shut.
            c_.stay_shut();
            c_.fail(error_class::status, verdict.reason, false);
        } else if (verdict.outcome == ws::upgrade_outcome::refused) {
            c_.fail(error_class::status, verdict.reason, false);  // tried again on the next tick
        } else {
            c_.fail(error_class::read, "WebSocket upgrade: " + verdict.reason, true);
        }
        return;
    }
    upgrading_ = false;
    c_.end_connecting();
    w.record_handshake(now - c_.sent_at());
    if (!session_) {
        // Opened once per connection, after its first upgrade, as the SDK promises; a reconnect
        // keeps the session (and so its message numbering).
        const sdk::session_context context{w.target(), w.config().role, w.index(), c_.index(), w.seed_for(c_.index())};
        session_ = w.scenario().open_websocket_session(context);
        if (!session_)
            throw std::runtime_error("the scenario opened no WebSocket session: a WebSocket scenario must override "
                                     "open_websocket_session()");
    }
    c_.mark_idle();
    answered_since_upgrade_ = false;
    if (!after_upgrade_.empty()) {
        // Frames that arrived with the 101 (a server that speaks first): judge them like any other.
        ws::feed_result result;
        if (!feed_decoder(after_upgrade_, result)) return;
        if (!result) {
            c_.fail(error_class::read, "WebSocket protocol error: " + std::string(result.error), true);
            return;
        }
    }
    replied_ = false;
    c_.ready(now);
}

void websocket_client::submit(clock_type::time_point now, clock_type::time_point planned) {
    const sdk::ws_message message = session_->next_message();
    // Header and masked payload in one buffer, the header right before the payload, so a message
    // leaves in one send() like an HTTP request.
    const std::size_t need = ws::max_frame_header_size + message.data.size();
    if (masked_.size() < need) masked_.resize(need);
    char* payload = masked_.data() + ws::max_frame_header_size;
    head_ = encoder_.encode(message.binary ? ws::opcode::binary : ws::opcode::text, message.data, payload);
    char* head = payload - head_.size;
    std::memcpy(head, head_.bytes.data(), head_.size);
    // Every reply is checked, not a sample: the check is a byte comparison, and it is what tells
    // an echo from a reply to another message (a server that answers twice, or late).
    verify_reply_ = true;
    c_.write_request({{std::string_view(head, head_.size + message.data.size())}, 1}, now, planned);
}

bool websocket_client::on_bytes(std::string_view bytes, clock_type::time_point now) {
    if (upgrading_) return on_upgrade_bytes(bytes, now);
    // A handler may close this socket (a failed check) or even open a new one: what is left of
    // this read then belongs to a connection that is gone.
    ws::feed_result result;
    if (!feed_decoder(bytes, result)) return false;
    if (!result) {
        c_.fail(error_class::read, "WebSocket protocol error: " + std::string(result.error), true);
        return false;
    }
    if (replied_) {
        // The next message goes out only now that the whole read was decoded, so that a second
        // message in it is seen as one nobody asked for, never as the next reply.
        replied_ = false;
        c_.ready(replied_at_);
        return false;
    }
    return true;
}

void websocket_client::on_eof() {
    if (upgrading_) {
        if (c_.reading() && reader_.needs_eof() && reader_.finish_at_eof()) {
            finish_upgrade(clock_type::now());
            return;
        }
        c_.fail(error_class::read,
                c_.got_bytes() ? "the server closed the connection in the middle of a response"
                               : "the server closed the connection without answering",
                true);
        return;
    }
    c_.fail(error_class::read,
            c_.got_bytes() ? "the server closed the connection in the middle of a WebSocket message"
                           : "the server closed the connection without echoing the message",
            true);
}

bool websocket_client::feed_decoder(std::string_view bytes, ws::feed_result& result) {
    const auto generation = feeding_generation_ = c_.generation();
    c_.hold_restarts();
    result = decoder_.feed(bytes.data(), bytes.size(), *this);
    c_.release_restarts();
    return generation == c_.generation();
}

void websocket_client::on_message(std::string_view data, bool binary) {
    if (feeding_generation_ != c_.generation()) return;
    if (!c_.reading()) {
        c_.fail(error_class::read, "the server sent a WebSocket message nobody asked for", true);
        return;
    }
    const auto now = clock_type::now();
    std::optional<sdk::verdict> verdict;
    if (verify_reply_) verdict = session_->check_reply(data, binary);
    // A message counts as answered with a 2xx: the server did the work.
    c_.answered(now, 200, verdict ? &*verdict : nullptr, nullptr);
    c_.reset_answer();
    replied_ = c_.generation() == feeding_generation_;  // unless recording it closed the connection
    answered_since_upgrade_ = true;
    replied_at_ = now;
}

void websocket_client::on_ping(std::string_view payload) {
    if (feeding_generation_ != c_.generation()) return;
    pong_ = encoder_.encode_control(ws::opcode::pong, payload);
    if (c_.writing()) pong_pending_ = true;  // after the message on the wire, never inside it
    else send_control(pong_);
}

void websocket_client::on_close(std::uint16_t code, std::string_view reason) {
    if (feeding_generation_ != c_.generation()) return;
    const bool idle = c_.idle();
    if (idle && answered_since_upgrade_ && (code == 1000 || code == 1001)) {
        // Every message was answered and the server says goodbye normally ("normal" or "going
        // away"): like a server closing an idle keep-alive connection, this loses nothing.
        // Closing answers with a close frame; the next message goes out on a new connection once
        // it is upgraded (its handshake is counted, so reconnects show).
        replied_ = false;
        c_.close();
        c_.restart_later();
        return;
    }
    const std::string why = idle ? (answered_since_upgrade_ ? "" : " before echoing any message")
                                 : " without echoing the message";
    c_.fail(error_class::read,
            fmt::format("the server closed the WebSocket (code {}{}{}){}", code, reason.empty() ? "" : ": ",
                        std::string(reason.substr(0, 80)), why),
            true);
}

void websocket_client::on_written() {
    if (!pong_pending_) return;
    pong_pending_ = false;
    send_control(pong_);
}

// Say goodbye the WebSocket way (status 1000), so the server sees a normal close and not a
// dropped connection. Best effort: never waits, and between messages only.
void websocket_client::on_closing() {
    if (upgrading_) return;  // the connection still speaks HTTP
    const auto goodbye = encoder_.encode_close();
    [[maybe_unused]] const auto n = c_.send_once({goodbye.bytes.data(), goodbye.size}, MSG_DONTWAIT);
}

// A control frame is at most 131 bytes and goes out between messages, when the socket's send
// buffer is empty: it leaves in one send() or the connection is in trouble anyway.
void websocket_client::send_control(const ws::control_frame& frame) {
    const auto bytes = frame.view();
    const ssize_t n = c_.send_once(bytes);
    if (n != static_cast<ssize_t>(bytes.size()))
        c_.fail(error_class::write, n < 0 ? std::string("write: ") + std::strerror(errno) : "could not answer the server's ping",
                true);
}

}  // namespace shootout::core::engine
