// One connection of the load engine: an HTTP/1.1 keep-alive connection, or a WebSocket one (an
// HTTP upgrade, then frames), driven by its worker's epoll loop. Internal to the engine.
#pragma once

#include <sys/epoll.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <shootout/sdk/scenario.h>

#include "http1_parser.h"
#include "plan_clock.h"
#include "websocket_protocol.h"

namespace shootout::core::engine {

using namespace std::chrono_literals;

// One read drains up to this much; a worker has one such buffer for all its connections, so
// 10,000 connections cost no more read buffer than one.
constexpr std::size_t read_buffer_size = 64 * 1024;
// Timeouts, connection-count changes and the stop flag are handled on this tick, so no request
// ever arms a timer of its own.
constexpr auto tick_interval = 50ms;
// Open model: a request sent this long after its planned time counts as late. Below it is the
// ordinary jitter of waking up on time, which the send-lag percentiles still show.
constexpr auto late_after = 1ms;

inline std::int64_t micros(clock_type::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

enum class error_class { connect, read, write, timeout, status, verify };

class worker;
namespace ws = websocket;

// One HTTP/1.1 keep-alive connection, or one WebSocket connection (an HTTP upgrade, then frames). Its socket is a plain non-blocking descriptor in the
// worker's edge-triggered epoll set, registered once when it is opened: no per-request
// re-registration, no speculative read, one sendmsg and (usually) one recv per request.
class connection final : private ws::handler {
public:
    connection(worker& owner, std::uint32_t slot, std::uint64_t index);
    ~connection() { close(); }
    void start();             // (re)connect; then send (closed model) or wait for a planned request (open)
    void send_planned(clock_type::time_point planned, clock_type::time_point now);  // open model
    void retire();            // close after the response in flight
    void close();             // close now, dropping what is in flight
    void on_event(std::uint32_t events, std::uint32_t generation);
    void check_timeout(clock_type::time_point now);
    bool active() const { return active_; }
    bool connected() const { return state_ == state::writing || state_ == state::reading || state_ == state::idle; }
    bool in_flight() const { return state_ == state::writing || state_ == state::reading; }
    bool upgrading() const { return upgrading_; }  // WebSocket: the handshake, not a message, is on the wire
    bool idle() const { return state_ == state::idle; }
    clock_type::time_point planned_at() const { return planned_at_; }  // of the request in flight
    void activate() { set_active(true); retiring_ = false; }
    bool queued_idle = false;  // in the worker's idle list (open model)

private:
    enum class state { closed, connecting, writing, reading, idle };

    void on_connected();
    void end_connecting();
    // WebSocket: the upgrade request, its answer, then one message in flight at a time.
    void begin_upgrade(clock_type::time_point now);
    void finish_upgrade(clock_type::time_point now);
    void send_message(clock_type::time_point now, clock_type::time_point planned);
    void on_ws_readable();
    void send_control(const ws::control_frame& frame);
    void on_message(std::string_view data, bool binary) override;
    void on_ping(std::string_view payload) override;
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t code, std::string_view reason) override;
    void ready(clock_type::time_point now);  // idle and connected: send next, or offer itself to the schedule
    void set_active(bool active);
    void send(clock_type::time_point now, clock_type::time_point planned);
    void write_some();
    void on_readable();
    bool feed(const char* data, std::size_t size);  // false on a protocol error (already counted)
    void complete(clock_type::time_point now);
    std::string head_problem() const;  // what the response just completed breaks of expected(), "" if nothing
    void fail(error_class cls, std::string reason, bool reconnect);

    worker& w_;
    int fd_ = -1;
    std::uint32_t slot_;  // index in the worker's connection list, carried in epoll events
    std::uint64_t index_;
    std::unique_ptr<sdk::http_session> session_;
    response_sink sink_;
    response_reader reader_{sink_};
    sdk::wire_request request_;
    std::size_t part_ = 0, offset_ = 0;
    std::uint64_t received_ = 0;
    clock_type::time_point planned_at_{}, sent_at_{}, first_byte_at_{}, connect_started_{};
    state state_ = state::closed;
    bool active_ = false, retiring_ = false, got_bytes_ = false, readable_pending_ = false, peer_closed_ = false;
    std::uint32_t generation_ = 0;  // bumped on close, so events of an old socket are ignored

    // WebSocket only.
    bool counted_connecting_ = false;  // in the worker's `connecting` count
    bool websocket_ = false, upgrading_ = false, refused_ = false, replied_ = false, verify_reply_ = false, pong_pending_ = false;
    std::uint32_t feeding_generation_ = 0;  // the socket whose bytes the decoder is handing over
    // While the decoder runs, a reconnect waits until it returns: starting a connection resets
    // the decoder, which must not happen under its own feet.
    bool feeding_ = false, restart_after_feed_ = false;
    bool answered_since_upgrade_ = false;  // an idle close frame is harmless only after a real echo
    // Feeds bytes to the decoder; false when the connection closed meanwhile (and is restarted
    // here if a handler asked for it), so the caller stops touching it.
    bool feed_decoder(const char* data, std::size_t size, ws::feed_result& result);
    clock_type::time_point replied_at_{};   // when the reply in the read being decoded arrived
    // What only a WebSocket connection needs, apart so that an HTTP connection stays small
    // (10,000 connections cost no more memory than wrk's).
    struct websocket_state {
        websocket_state(std::uint64_t seed) : encoder(seed), decoder(std::size_t{1} << 30) {}
        std::unique_ptr<sdk::websocket_session> session;
        std::optional<ws::handshake> handshake;
        upgrade_headers upgrade;
        std::string after_upgrade;  // frames that came in the same read as the 101
        ws::frame_encoder encoder;
        ws::decoder decoder;
        ws::frame_header head;
        ws::control_frame pong;
        std::string masked;  // the message being sent, masked; grows only for a larger message
    };
    std::unique_ptr<websocket_state> wsock_;
};

}  // namespace shootout::core::engine
