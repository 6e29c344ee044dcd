// One connection of the load engine, driven by its worker's epoll loop: the socket, its writes and
// reads, its timeouts and the accounting of each request. What it speaks (HTTP/1.1 keep-alive, or
// WebSocket: an HTTP upgrade, then frames) is its protocol (protocol.h). Internal to the engine.
#pragma once

#include <sys/epoll.h>
#include <sys/types.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <shootout/sdk/scenario.h>

#include "plan_clock.h"
#include "protocol.h"

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

// Its socket is a plain non-blocking descriptor in the worker's edge-triggered epoll set,
// registered once when it is opened: no per-request re-registration, no speculative read, one
// sendmsg and (usually) one recv per request.
class connection final {
public:
    connection(worker& owner, std::uint32_t slot, std::uint64_t index);
    ~connection() { close(); }

    // Called by the worker.
    void start();             // (re)connect; then send (closed model) or wait for a planned request (open)
    void send_planned(clock_type::time_point planned, clock_type::time_point now) { protocol_->submit(now, planned); }
    void retire();            // close after the response in flight
    void close();             // close now, dropping what is in flight
    void on_event(std::uint32_t events, std::uint32_t generation);
    void check_timeout(clock_type::time_point now);
    bool active() const { return active_; }
    bool connected() const { return state_ == state::writing || state_ == state::reading || state_ == state::idle; }
    bool in_flight() const { return state_ == state::writing || state_ == state::reading; }
    bool upgrading() const { return protocol_->handshaking(); }  // WebSocket: the handshake, not a message, is on the wire
    bool idle() const { return state_ == state::idle; }
    clock_type::time_point planned_at() const { return planned_at_; }  // of the request in flight
    void activate() { set_active(true); retiring_ = false; }
    bool queued_idle = false;  // in the worker's idle list (open model)

    // Called by its protocol.
    worker& owner() const { return w_; }
    std::uint64_t index() const { return index_; }
    std::uint32_t generation() const { return generation_; }  // bumped on close
    bool reading() const { return state_ == state::reading; }
    bool writing() const { return state_ == state::writing; }
    bool got_bytes() const { return got_bytes_; }  // of the answer to the request in flight
    std::uint32_t answered_here() const { return answered_here_; }  // requests answered on this socket
    clock_type::time_point sent_at() const { return sent_at_; }
    bool winding_down() const;  // retiring, or the worker stops: no new request
    /// Puts a request on the wire (its parts must stay valid until it is answered) and starts
    /// its clock; reads follow once it is all written.
    void write_request(const sdk::wire_request& request, clock_type::time_point now, clock_type::time_point planned);
    /// The request in flight is answered: counted (with its times and bytes) and the connection idle.
    void answered(clock_type::time_point now, unsigned status, const sdk::verdict* verdict, const std::string* problem);
    /// The next answer's bytes and first byte are counted afresh (a WebSocket reply within a read).
    void reset_answer() {
        received_ = 0;
        got_bytes_ = false;
    }
    /// After an answer: the next request, on this connection (`reuse`) or on a new one.
    void next(clock_type::time_point now, bool reuse);
    void ready(clock_type::time_point now);  // idle and connected: send next, or offer itself to the schedule
    void mark_idle() { state_ = state::idle; }
    void end_connecting();    // can carry requests now: no longer in the worker's `connecting` count
    void stay_shut() { refused_ = true; }  // the server has nothing for it here: no reconnect on the tick
    void fail(error_class cls, std::string reason, bool reconnect);
    /// One send of a few bytes outside a request (a control frame); what send() returned.
    ssize_t send_once(std::string_view bytes, int flags = 0);
    // While its protocol hands over bytes, a reconnect waits until it returns (`release_restarts`):
    // starting a connection resets the protocol's decoder, which must not happen under its feet.
    void hold_restarts() { restarts_held_ = true; }
    void release_restarts();
    void restart_later() { restart_pending_ = true; }  // once released

private:
    enum class state { closed, connecting, writing, reading, idle };

    void on_connected();
    bool bind_source();  // false: failed and counted
    void set_active(bool active);
    void write_some();
    void on_readable();

    worker& w_;
    int fd_ = -1;
    std::uint32_t slot_;  // index in the worker's connection list, carried in epoll events
    std::uint64_t index_;
    std::unique_ptr<protocol> protocol_;
    sdk::wire_request request_;
    std::size_t part_ = 0, offset_ = 0;
    std::uint64_t received_ = 0;
    std::uint32_t answered_here_ = 0;  // since this socket connected: the connection mode's count
    clock_type::time_point planned_at_{}, sent_at_{}, first_byte_at_{}, connect_started_{};
    state state_ = state::closed;
    bool active_ = false, retiring_ = false, got_bytes_ = false, readable_pending_ = false, peer_closed_ = false;
    bool counted_connecting_ = false;  // in the worker's `connecting` count
    bool refused_ = false;             // stay_shut()
    bool restarts_held_ = false, restart_pending_ = false;
    std::uint32_t generation_ = 0;  // bumped on close, so events of an old socket are ignored
};

}  // namespace shootout::core::engine
