// WebSocket as a connection's protocol: an HTTP upgrade (read through response_reader), then one
// message in flight at a time, every reply checked, pings answered, close frames told apart from
// failures. The frames themselves are made and decoded by websocket_protocol (pure, tested
// apart). Internal to the engine.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <shootout/sdk/scenario.h>

#include "http1_parser.h"
#include "protocol.h"
#include "websocket_protocol.h"

namespace shootout::core::engine {

class connection;
namespace ws = websocket;

class websocket_client final : public protocol, private ws::handler {
public:
    explicit websocket_client(connection& c);
    void on_connected(clock_type::time_point now) override;  // the upgrade request
    void submit(clock_type::time_point now, clock_type::time_point planned) override;
    bool on_bytes(std::string_view bytes, clock_type::time_point now) override;
    void on_eof() override;
    void on_written() override;
    void on_closing() override;
    bool handshaking() const override { return upgrading_; }

private:
    bool on_upgrade_bytes(std::string_view bytes, clock_type::time_point now);
    void finish_upgrade(clock_type::time_point now);
    // Feeds bytes to the decoder; false when the connection closed meanwhile (and is restarted
    // once the decoder has returned if a handler asked for it), so the caller stops touching it.
    bool feed_decoder(std::string_view bytes, ws::feed_result& result);
    void send_control(const ws::control_frame& frame);
    void on_message(std::string_view data, bool binary) override;
    void on_ping(std::string_view payload) override;
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t code, std::string_view reason) override;

    connection& c_;
    std::unique_ptr<sdk::websocket_session> session_;
    // The upgrade: its request, and its answer's status and headers.
    std::optional<ws::handshake> handshake_;
    upgrade_headers upgrade_;
    response_sink sink_;
    response_reader reader_{sink_};
    std::string after_upgrade_;  // frames that came in the same read as the 101
    ws::frame_encoder encoder_;
    ws::decoder decoder_;
    ws::frame_header head_;
    ws::control_frame pong_;
    std::string masked_;  // the message being sent, masked; grows only for a larger message
    bool upgrading_ = false, replied_ = false, verify_reply_ = false, pong_pending_ = false;
    bool answered_since_upgrade_ = false;  // an idle close frame is harmless only after a real echo
    std::uint32_t feeding_generation_ = 0;  // the socket whose bytes the decoder is handing over
    clock_type::time_point replied_at_{};   // when the reply in the read being decoded arrived
};

}  // namespace shootout::core::engine
