#include "engine.h"
#include "websocket_protocol.h"

#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <fmt/format.h>
#include <shootout/sdk/http.h>
#include <spdlog/spdlog.h>

namespace shootout::core::engine {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One read drains up to this much; a worker has one such buffer for all its connections, so
// 10,000 connections cost no more read buffer than one.
constexpr std::size_t read_buffer_size = 64 * 1024;
// Timeouts, connection-count changes and the stop flag are handled on this tick, so no request
// ever arms a timer of its own.
constexpr auto tick_interval = 50ms;
// Reasons kept per worker for the report; the counters keep the rest.
constexpr std::size_t max_failure_reasons = 5;
// Open model: a request sent this long after its planned time counts as late. Below it is the
// ordinary jitter of waking up on time, which the send-lag percentiles still show.
constexpr auto late_after = 1ms;

std::int64_t micros(clock_type::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The headers that decide a WebSocket upgrade; kept only for the answer to the upgrade request,
// once per connection, so these strings are not on the per-request path.
struct upgrade_headers {
    std::string upgrade, connection, accept, extensions, protocol;

    void clear() {
        upgrade.clear();
        connection.clear();
        accept.clear();
        extensions.clear();
        protocol.clear();
    }
    void add(std::string& field, std::string_view value) {
        if (!field.empty()) field += ", ";  // a repeated list-valued field joins (RFC 9110 5.3)
        field.append(value);
    }
};

// What the parser reports about one response, without allocating.
struct response_sink {
    unsigned status = 0;
    std::array<char, 128> content_type{};
    std::size_t content_type_size = 0;
    std::uint64_t body_bytes = 0;
    sdk::response_check* check = nullptr;  // non-null when this response is verified
    upgrade_headers* upgrade = nullptr;    // non-null for the answer to a WebSocket upgrade
    sdk::response_expectation expect;      // checked on every response under load
    bool wrong_media_type = false;         // the Content-Type is not expect.media_type

    void reset(sdk::response_check* verifier, upgrade_headers* upgrade_fields = nullptr,
               sdk::response_expectation expectation = {}) {
        status = 0;
        content_type_size = 0;
        body_bytes = 0;
        check = verifier;
        expect = expectation;
        wrong_media_type = false;
        upgrade = upgrade_fields;
        if (upgrade) upgrade->clear();
    }
    std::string_view content_type_view() const { return {content_type.data(), content_type_size}; }
};

// Beast's parser with callbacks that keep only what shootout needs: no header map, no body
// container. The body streams through to the scenario's check when this response is verified.
class response_parser final : public http::basic_parser<false> {
public:
    explicit response_parser(response_sink& sink) : sink_(sink) {
        eager(true);
        body_limit(boost::none);
    }

private:
    void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         boost::beast::error_code&) override {}
    void on_response_impl(int code, boost::beast::string_view, int, boost::beast::error_code&) override {
        sink_.status = static_cast<unsigned>(code);
    }
    void on_field_impl(http::field name, boost::beast::string_view, boost::beast::string_view value,
                       boost::beast::error_code&) override {
        if (name == http::field::content_type) {
            sink_.content_type_size = std::min(value.size(), sink_.content_type.size());
            std::memcpy(sink_.content_type.data(), value.data(), sink_.content_type_size);
        }
        if (auto* u = sink_.upgrade) {
            const std::string_view v(value.data(), value.size());
            switch (name) {
                case http::field::upgrade: u->add(u->upgrade, v); break;
                case http::field::connection: u->add(u->connection, v); break;
                case http::field::sec_websocket_accept: u->add(u->accept, v); break;
                case http::field::sec_websocket_extensions: u->add(u->extensions, v); break;
                case http::field::sec_websocket_protocol: u->add(u->protocol, v); break;
                default: break;
            }
        }
    }
    void on_header_impl(boost::beast::error_code&) override {
        if (!sink_.expect.media_type.empty() && !sdk::media_type_is(sink_.content_type_view(), sink_.expect.media_type)) {
            sink_.wrong_media_type = true;
            sink_.check = nullptr;  // wrong already, and counted so on every response: no body to judge
        }
        if (!sink_.check) return;
        sdk::response_head head;
        head.status = sink_.status;
        head.content_type = sink_.content_type_view();
        if (auto length = content_length()) head.content_length = *length;
        head.chunked = chunked();
        sink_.check->begin(head);
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override {}
    std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override {
        sink_.body_bytes += body.size();
        if (sink_.check) sink_.check->on_body({body.data(), body.size()});
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, boost::beast::error_code& ec) override {
        return on_body_impl(body, ec);
    }
    void on_finish_impl(boost::beast::error_code&) override {}

    response_sink& sink_;
};

enum class error_class { connect, read, write, timeout, status, verify };

double seconds_of(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

struct phase_window {
    clock_type::time_point start, end;
    const sdk::load_phase* phase = nullptr;
    int measured_index = -1;  // index among measured phases, -1 if unmeasured
};

// The open model's clock: walks one worker's planned send times through the plan. Within a phase
// the rate moves linearly, so the time to the next request solves  r·Δ + (slope/2)·Δ² = 1  for the
// worker's share of the rate; what is left of that one request at a phase's end carries into the
// next phase, so a ramp across phases neither drops nor adds requests. Two cursors walk the same
// sequence: one marks what is due, the other what was sent, and the gap is the backlog, without
// a queue that could grow without bound while a server stalls.
class schedule_cursor {
public:
    schedule_cursor() = default;
    schedule_cursor(const std::vector<phase_window>& windows, double share, double first_offset)
        : windows_(&windows), share_(share), planned_(windows.front().start), done_(false) {
        advance(first_offset);
    }
    bool done() const { return done_; }
    clock_type::time_point planned() const { return planned_; }
    void next() { advance(1.0); }

private:
    void advance(double need) {
        while (!done_) {
            const auto& w = (*windows_)[window_];
            const double length = seconds_of(w.end - w.start);
            const double tau = seconds_of(planned_ - w.start);
            const double r0 = w.phase->rate_start * share_, r1 = w.phase->rate_end * share_;
            const double slope = length > 0 ? (r1 - r0) / length : 0;
            const double rate = r0 + slope * tau;
            const double left_in_phase = rate * (length - tau) + slope / 2 * (length - tau) * (length - tau);
            if (left_in_phase >= need && left_in_phase > 0) {
                // 2·need / (r + sqrt(r² + 2·slope·need)): the root of the quadratic, written so a
                // near-zero slope loses no precision.
                const double root = std::sqrt(std::max(0.0, rate * rate + 2 * slope * need));
                const double delta = rate + root > 0 ? 2 * need / (rate + root) : length - tau;
                planned_ += std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(delta));
                if (planned_ >= w.end) planned_ = w.end - clock_type::duration(1);
                return;
            }
            need -= std::max(0.0, left_in_phase);
            if (++window_ == windows_->size()) {
                done_ = true;
                return;
            }
            planned_ = (*windows_)[window_].start;
        }
    }

    const std::vector<phase_window>* windows_ = nullptr;
    std::size_t window_ = 0;
    double share_ = 0;
    clock_type::time_point planned_{};
    bool done_ = true;
};

struct phase_stats {
    sdk::histogram latency_us;
    std::uint64_t completed = 0;
    sdk::error_counts errors;
    std::uint32_t open_at_end = 0;
};

struct second_record {
    std::int64_t second = 0;
    std::uint64_t completed = 0, errors = 0;
    std::uint32_t open = 0;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;  // sparse latency histogram
};

// The live figures a worker publishes once per tick for the progress line.
struct live_counters {
    std::atomic<std::uint64_t> responses{0}, errors{0};  // responses: warm-up included, so its req/s shows
    std::atomic<std::uint32_t> open{0};
    std::atomic<bool> finished{false};
};

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
    std::optional<response_parser> parser_;
    response_sink sink_;
    sdk::wire_request request_;
    std::size_t part_ = 0, offset_ = 0;
    std::uint64_t received_ = 0;
    clock_type::time_point planned_at_{}, sent_at_{}, first_byte_at_{}, connect_started_{};
    state state_ = state::closed;
    bool active_ = false, retiring_ = false, got_bytes_ = false, readable_pending_ = false, peer_closed_ = false;
    std::uint32_t generation_ = 0;  // bumped on close, so events of an old socket are ignored
    std::string carry_;  // unparsed bytes of a header split across reads

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

class worker {
public:
    worker(unsigned index, const engine_config& config, const sdk::scenario& scenario, const sdk::target& target,
           tcp::endpoint endpoint, const std::vector<phase_window>& windows, std::size_t measured_phases,
           clock_type::time_point origin, unsigned total_threads, bool open_model)
        : index_(index), config_(config), scenario_(scenario), target_(target), endpoint_(endpoint),
          windows_(windows), origin_(origin), threads_(total_threads), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
        phases_.resize(measured_phases);
        read_buffer_ = std::make_unique<char[]>(read_buffer_size);
        for (const auto& w : windows_)
            if (w.measured_index >= 0) {
                measure_origin_ = w.start;
                break;
            }
        next_second_at_ = measure_origin_ + 1s;
        open_model_ = open_model;
        websocket_ = scenario.transport() == sdk::transport::websocket;
        if (websocket_) websocket_target_ = target.path_prefix + scenario.websocket_path();
        if (open_model_) {
            // Each worker carries the share of the rate that its share of the pool's cap can carry
            // (a worker with no connection sends nothing), its sends offset by a fraction of its
            // interval so that the workers' requests interleave rather than leave in bursts.
            std::uint32_t cap = 0;
            for (const auto& w : windows_) cap = std::max({cap, w.phase->connections_start, w.phase->connections_end});
            const std::uint32_t mine = cap / total_threads + (index < cap % total_threads ? 1 : 0);
            const double share = cap > 0 ? static_cast<double>(mine) / cap : 0.0;
            // Spread over the workers that send at all: with more workers than the cap, offsets
            // bunched near 0 would each round their count up, and the whole would send too much.
            const double offset = (index + 1.0) / std::max<std::uint32_t>(1, std::min<std::uint32_t>(total_threads, cap));
            due_ = schedule_cursor(windows_, share, offset);
            next_to_send_ = schedule_cursor(windows_, share, offset);
        }
    }

    // The worker's event loop: one epoll_wait per batch of ready sockets, and the tick when due.
    // It is a plain epoll loop rather than Asio's reactor because Asio re-arms a descriptor with
    // epoll_ctl on every wait: measured here, that and the nesting cost about a tenth of the
    // generator's CPU per request (see bench/generator-vs-wrk.sh).
    void run() {
        // The kernel may delay a timed wake-up by the thread's timer slack (50 µs by default) to
        // batch wake-ups; the open model sends at planned times, so it asks for 1 µs instead.
        if (open_model_) ::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
        auto next_tick = clock_type::now();
        advance_phase(next_tick);
        epoll_event events[256];
        while (!stopping_) {
            const auto now = clock_type::now();
            if (now >= next_tick) {
                next_tick = now + tick_interval;
                on_tick(now);
                continue;
            }
            auto wake = next_tick;
            if (open_model_) {
                dispatch(now);
                if (stopping_) break;
                if (!due_.done()) wake = std::min(wake, due_.planned());
            }
            const int n = wait_for_events(events, 256, wake - now);
            for (int i = 0; i < n && !stopping_; ++i) {
                const std::uint64_t tag = events[i].data.u64;
                connections_[tag >> 32]->on_event(events[i].events, static_cast<std::uint32_t>(tag));
            }
        }
        if (cpu_started_) cpu_seconds_ += thread_cpu_seconds() - cpu_start_;
        flush_second();
        live_.finished.store(true, std::memory_order_release);
    }

    // Called by connections.
    bool open_model() const { return open_model_; }
    bool websocket() const { return websocket_; }
    const std::string& websocket_target() const { return websocket_target_; }
    void record_handshake(clock_type::duration d) { handshake_us_.record(micros(d)); }
    // The server does not offer WebSocket here: the engine's caller reports "not supported".
    void upgrade_refused(unsigned status, const std::string& reason) {
        if (!upgrade_refused_status_) {
            upgrade_refused_status_ = status;
            upgrade_refused_reason_ = reason;
        }
    }
    int epoll_fd() const { return epoll_fd_; }
    const tcp::endpoint& endpoint() const { return endpoint_; }
    const sdk::scenario& scenario() const { return scenario_; }
    const sdk::target& target() const { return target_; }
    const engine_config& config() const { return config_; }
    unsigned index() const { return index_; }
    char* read_buffer() { return read_buffer_.get(); }
    bool sending() const { return !stopping_; }
    // One request in verify_sample across this worker's connections is verified, so even a
    // slow scenario (a few 10 MiB downloads per connection) gets its sample.
    bool verify_next() {
        if (config_.role == sdk::session_role::correctness_check) return true;
        if (config_.verify_sample == 0) return false;
        if (++since_verified_ < config_.verify_sample) return false;
        since_verified_ = 0;
        return true;
    }
    std::uint64_t seed_for(std::uint64_t connection) const {
        // splitmix64 of (seed, connection): independent streams per connection, same every run.
        std::uint64_t z = config_.seed + 0x9e3779b97f4a7c15ULL * (connection + 1);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    void on_open() {
        ++open_;
        if (measuring_) peak_open_ = std::max(peak_open_, open_);
    }
    void on_closed() { --open_; }
    std::uint32_t active_connections = 0, connecting = 0;

    // Open model: a connected connection with nothing in flight offers itself to the schedule.
    void on_idle(connection* c, clock_type::time_point now) {
        if (!c->queued_idle) {
            c->queued_idle = true;
            idle_.push_back(c);
        }
        dispatch(now);
    }

    // Open model: sends every request whose planned time has come, on idle connections, and grows
    // the pool (up to the phase's cap) when requests wait for a connection. A request that cannot
    // go out on time goes out late, as soon as a connection is free, and is counted as late; none
    // is skipped, so the server's stall shows in the latency of every request it delayed.
    //
    // Not re-entered: a connection may connect at once inside start() (loopback often does) and
    // offer itself through on_idle() while this is still walking the connection list; that call
    // only asks for another pass.
    void dispatch(clock_type::time_point now) {
        if (dispatching_) {
            dispatch_again_ = true;
            return;
        }
        dispatching_ = true;
        do {
            dispatch_again_ = false;
            dispatch_once(now);
        } while (dispatch_again_ && !stopping_);
        dispatching_ = false;
    }

    void dispatch_once(clock_type::time_point now) {
        roll(now);  // the phase (measured or not) and the second the sends below fall in
        if (stopping_) return;
        while (!due_.done() && due_.planned() <= now) {
            due_.next();
            ++due_count_;
        }
        while (sent_count_ < due_count_ && !stopping_) {
            connection* c = take_idle();
            if (!c) break;
            const auto planned = next_to_send_.planned();
            next_to_send_.next();
            ++sent_count_;
            if (measuring_) {
                ++sent_measured_;
                const auto lag = now - planned;
                send_lag_us_.record(micros(lag));
                if (lag >= late_after) ++late_;
            }
            c->send_planned(planned, now);
        }
        const std::uint64_t waiting = due_count_ - sent_count_;
        if (waiting > connecting && !stopping_) {
            const std::uint32_t cap = planned_connections(now);
            std::uint64_t to_open = std::min<std::uint64_t>(waiting - connecting,
                                                            cap > active_connections ? cap - active_connections : 0);
            for (auto& c : connections_) {
                if (to_open == 0) break;
                if (!c->active()) {
                    c->activate();
                    c->start();
                    --to_open;
                }
            }
            for (; to_open > 0; --to_open) open_connection();
        }
    }

    // Every connect of the run, warm-up included: a spike's connects happen while it is measured,
    // a steady run's during its warm-up, and both are worth seeing.
    void record_connect(clock_type::duration d) { connect_us_.record(micros(d)); }

    // `planned` is when the request should have left: the send time in the closed model, the
    // schedule's time in the open model, so that a server's stall counts against every request it
    // delayed, not only those that were already on the wire (coordinated omission).
    // `head_problem` is what the response breaks of the scenario's expected() (checked on every
    // response); `verdict` the judgement of its body, when it was in the sample.
    void record_response(clock_type::time_point now, clock_type::time_point planned, clock_type::time_point sent,
                         clock_type::time_point first_byte, unsigned status, const sdk::verdict* verdict,
                         const std::string* head_problem, std::uint64_t sent_bytes, std::uint64_t received_bytes) {
        if (status >= 200 && status <= 299) ++answered_2xx_;  // in any phase: the server did the work
        ++responses_;                                          // in any phase: the progress line's req/s
        roll(now);
        if (!measuring_) return;
        bytes_sent_ += sent_bytes;
        bytes_received_ += received_bytes;
        slowest_answer_us_ = std::max(slowest_answer_us_, micros(now - planned));  // whatever the answer said
        const bool correctness = config_.role == sdk::session_role::correctness_check;
        if (!correctness && (status < 200 || status > 299)) {
            count_error(error_class::status, fmt::format("status {}", status));
        } else if (head_problem) {
            count_error(error_class::verify, *head_problem);
        } else if (verdict && !verdict->ok) {
            ++bodies_failed_;
            count_error(error_class::verify, verdict->reason);
        } else {
            const std::int64_t latency = micros(now - planned);
            ++completed_;
            if (verdict) ++verified_;
            latency_us_.record(latency);
            if (open_model_) latency_uncorrected_us_.record(micros(now - sent));
            first_byte_us_.record(micros(first_byte - sent));
            second_latency_.record(latency);
            ++second_completed_;
            auto& phase = phases_[current_->measured_index];
            ++phase.completed;
            phase.latency_us.record(latency);
            if (config_.request_budget && completed_ >= config_.request_budget) stop();
        }
    }

    void count_error(error_class cls, std::string reason) {
        roll(clock_type::now());
        if (!measuring_) return;
        auto bump = [cls](sdk::error_counts& e) {
            switch (cls) {
                case error_class::connect: ++e.connect; break;
                case error_class::read: ++e.read; break;
                case error_class::write: ++e.write; break;
                case error_class::timeout: ++e.timeout; break;
                case error_class::status: ++e.status; break;
                case error_class::verify: ++e.verify; break;
            }
        };
        bump(errors_);
        bump(phases_[current_->measured_index].errors);
        ++second_errors_;
        if (failures_.size() < max_failure_reasons) failures_.push_back(std::move(reason));
        if (config_.stop_on_first_error) stop();
    }

    void stop() {
        if (stopping_) return;
        stopping_ = true;
        if (current_ && current_->measured_index >= 0) phases_[current_->measured_index].open_at_end = open_;
        open_at_stop_ = open_;  // the last second's record shows the connections open, not the closing
        for (auto& c : connections_) {
            in_flight_at_end_ += c->in_flight();
            c->close();
        }
    }

    ~worker() {
        connections_.clear();  // closes their sockets before the epoll set goes
        ::close(epoll_fd_);
    }

    // After an exception escaped run(): close everything and let the control thread go on.
    void abandon() noexcept {
        try {
            stop();
        } catch (...) {
        }
        live_.finished.store(true, std::memory_order_release);
    }

    // Results, read by the control thread after the worker's thread has ended.
    sdk::histogram latency_us_, first_byte_us_, connect_us_;
    sdk::histogram latency_uncorrected_us_, send_lag_us_;  // open model
    sdk::histogram handshake_us_;                         // WebSocket
    unsigned upgrade_refused_status_ = 0;
    std::string upgrade_refused_reason_;
    std::uint64_t sent_measured_ = 0, late_ = 0;          // open model
    std::uint64_t backlog() const { return due_count_ - sent_count_; }  // due, not yet sent
    sdk::error_counts errors_;
    std::uint64_t completed_ = 0, verified_ = 0, bytes_sent_ = 0, bytes_received_ = 0, responses_ = 0;
    std::uint64_t bodies_failed_ = 0;
    std::int64_t slowest_answer_us_ = 0;  // the longest wait for any answer in the measured time, errors included  // judged bodies that failed (the sample); verified_ those that passed
    // Unanswered when the plan ended (finish_plan): waits of the requests in flight (at most one
    // per connection), and of those due but never sent (open model; possibly many, so binned).
    std::vector<std::int64_t> unfinished_in_flight_us_;
    sdk::histogram unfinished_unsent_us_;
    std::uint64_t unfinished_ = 0;
    std::uint64_t answered_2xx_ = 0, in_flight_at_end_ = 0;
    std::vector<phase_stats> phases_;
    std::vector<second_record> seconds_;
    std::vector<std::string> failures_;
    std::uint32_t peak_open_ = 0;
    double cpu_seconds_ = 0;
    live_counters live_;

private:
    void on_tick(clock_type::time_point now) {
        if (config_.interrupted && config_.interrupted->load(std::memory_order_relaxed)) {
            stop();
            return;
        }
        if (now >= windows_.back().end) {
            finish_plan();
            return;
        }
        roll(now);
        adjust_connections();
        for (auto& c : connections_) c->check_timeout(now);
        live_.responses.store(responses_, std::memory_order_relaxed);
        live_.errors.store(errors_.total(), std::memory_order_relaxed);
        live_.open.store(open_, std::memory_order_relaxed);
    }

    void advance_phase(clock_type::time_point now) {
        std::size_t i = current_ ? static_cast<std::size_t>(current_ - windows_.data()) : 0;
        while (i + 1 < windows_.size() && now >= windows_[i].end) ++i;
        const phase_window* next = &windows_[i];
        if (next == current_) return;
        if (current_ && current_->measured_index >= 0) phases_[current_->measured_index].open_at_end = open_;
        current_ = next;
        measuring_ = current_->measured_index >= 0 && now >= current_->start && now < current_->end;
        if (measuring_ && !cpu_started_) {
            cpu_started_ = true;
            cpu_start_ = thread_cpu_seconds();
            peak_open_ = open_;
        } else if (!measuring_ && cpu_started_) {
            cpu_seconds_ += thread_cpu_seconds() - cpu_start_;
            cpu_started_ = false;
        }
    }

    // The plan is over: what completes from now on is outside the measured time. What is still
    // unanswered is not dropped in silence (a server that hangs would pass): each request in
    // flight, and in the open model each one due but never sent, is kept with its wait so far,
    // measured to the plan's end, for the merge to judge.
    void finish_plan() {
        if (stopping_) return;
        const auto end = windows_.back().end;
        if (windows_.back().measured_index >= 0) {
            for (const auto& c : connections_)
                if (c->in_flight()) {
                    unfinished_in_flight_us_.push_back(std::max<std::int64_t>(0, micros(end - c->planned_at())));
                    ++unfinished_;
                }
            if (open_model_) {
                while (!due_.done() && due_.planned() < end) {
                    due_.next();
                    ++due_count_;
                }
                auto unsent = next_to_send_;
                for (std::uint64_t k = sent_count_; k < due_count_; ++k, unsent.next()) {
                    unfinished_unsent_us_.record(std::max<std::int64_t>(0, micros(end - unsent.planned())));
                    ++unfinished_;
                }
            }
        }
        measuring_ = false;
        if (cpu_started_) {
            cpu_seconds_ += thread_cpu_seconds() - cpu_start_;
            cpu_started_ = false;
        }
        stop();
    }

    // Per-second timeline: a request counts in the second it completed. Ticks roll seconds in
    // which nothing completed, so every second gets its record.
    void roll(clock_type::time_point now) {
        if (now >= current_->end) {
            advance_phase(now);
            if (now >= windows_.back().end) {
                finish_plan();
                return;
            }
        }
        while (now >= next_second_at_) {
            flush_second();
            next_second_at_ += 1s;
        }
    }

    // Closes the record of the second that ends at next_second_at_ (or the partial last one).
    void flush_second() {
        const std::int64_t second = micros(next_second_at_ - measure_origin_) / 1'000'000 - 1;
        second_record record{second, second_completed_, second_errors_, stopping_ ? open_at_stop_ : open_, {}};
        if (second_latency_.count()) {
            const auto& counts = second_latency_.counts();
            for (std::size_t i = 0; i < counts.size(); ++i)
                if (counts[i]) record.buckets.emplace_back(static_cast<std::uint32_t>(i), counts[i]);
            second_latency_.reset();
        }
        seconds_.push_back(std::move(record));
        second_completed_ = second_errors_ = 0;
    }

    std::uint32_t planned_connections(clock_type::time_point now) const {
        const auto& w = *current_;
        const double span = std::chrono::duration<double>(w.end - w.start).count();
        const double frac = span > 0 ? std::clamp(std::chrono::duration<double>(now - w.start).count() / span, 0.0, 1.0) : 1.0;
        const double total = w.phase->connections_start + (double(w.phase->connections_end) - w.phase->connections_start) * frac;
        const auto all = static_cast<std::uint32_t>(std::lround(total));
        return all / threads_ + (index_ < all % threads_ ? 1 : 0);
    }

    // Closed model: opens or retires connections to follow the plan. Open model: the pool grows
    // on demand in dispatch(); here it only shrinks when the plan lowers the cap.
    void adjust_connections() {
        if (stopping_) return;
        const std::uint32_t want = planned_connections(clock_type::now());
        std::uint32_t active = active_connections;
        if (!open_model_) {
            for (auto& c : connections_) {
                if (active >= want) break;
                if (!c->active()) {
                    c->activate();
                    c->start();
                    ++active;
                }
            }
            for (; active < want; ++active) open_connection();
        }
        for (auto it = connections_.rbegin(); it != connections_.rend() && active > want; ++it)
            if ((*it)->active()) {
                (*it)->retire();
                --active;
            }
    }

    void open_connection() {
        const std::uint64_t global_index = next_connection_index_++ * threads_ + index_;
        const auto slot = static_cast<std::uint32_t>(connections_.size());
        connections_.push_back(std::make_unique<connection>(*this, slot, global_index));
        connections_.back()->start();
    }

    connection* take_idle() {
        while (!idle_.empty()) {
            connection* c = idle_.back();
            idle_.pop_back();
            c->queued_idle = false;
            if (c->idle() && c->active()) return c;
        }
        return nullptr;
    }

    // epoll_pwait2 takes a timeout in nanoseconds, which the open model needs to send on time at
    // thousands of requests per second; epoll_wait's milliseconds are the fallback on kernels
    // older than 5.11.
    int wait_for_events(epoll_event* events, int max, clock_type::duration timeout) {
        if (have_pwait2_) {
            const auto ns = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count());
            const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
            const int n = ::epoll_pwait2(epoll_fd_, events, max, &ts, nullptr);
            if (n >= 0 || errno != ENOSYS) return n;
            have_pwait2_ = false;
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count() + 1;
        return ::epoll_wait(epoll_fd_, events, max, static_cast<int>(ms));
    }

    unsigned index_;
    const engine_config& config_;
    const sdk::scenario& scenario_;
    const sdk::target& target_;
    tcp::endpoint endpoint_;
    const std::vector<phase_window>& windows_;
    clock_type::time_point origin_, measure_origin_, next_second_at_;
    unsigned threads_;
    int epoll_fd_;  // this worker's sockets, edge-triggered
    std::vector<std::unique_ptr<connection>> connections_;
    std::vector<connection*> idle_;  // open model: connected, nothing in flight (may hold stale entries)
    bool open_model_ = false, have_pwait2_ = true, websocket_ = false;
    bool dispatching_ = false, dispatch_again_ = false;
    std::string websocket_target_;
    schedule_cursor due_, next_to_send_;
    std::uint64_t due_count_ = 0, sent_count_ = 0;
    std::unique_ptr<char[]> read_buffer_;
    const phase_window* current_ = nullptr;
    bool measuring_ = false, stopping_ = false, cpu_started_ = false;
    double cpu_start_ = 0;
    std::uint32_t open_ = 0, open_at_stop_ = 0;
    std::uint64_t next_connection_index_ = 0;
    std::uint32_t since_verified_ = 0;
    sdk::histogram second_latency_;
    std::uint64_t second_completed_ = 0, second_errors_ = 0;
};

connection::connection(worker& owner, std::uint32_t slot, std::uint64_t index)
    : w_(owner), slot_(slot), index_(index) {
    websocket_ = owner.websocket();
    if (websocket_) wsock_ = std::make_unique<websocket_state>(owner.seed_for(index) ^ 0x5bd1e995ULL);
    if (!websocket_) {
        const sdk::session_context context{owner.target(), owner.config().role, owner.index(), index,
                                           owner.seed_for(index)};
        session_ = owner.scenario().open_http_session(context);
        if (!session_)
            throw std::runtime_error("the scenario opened no HTTP session: an HTTP scenario must override "
                                     "open_http_session()");
    }
    set_active(true);
}

void connection::set_active(bool active) {
    if (active == active_) return;
    active_ = active;
    if (active) ++w_.active_connections;
    else --w_.active_connections;
}

void connection::start() {
    if (!w_.sending() || state_ != state::closed) return;
    const auto& endpoint = w_.endpoint();
    fd_ = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        fail(error_class::connect, std::string("socket: ") + std::strerror(errno), false);
        return;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = (std::uint64_t{slot_} << 32) | generation_;
    if (::epoll_ctl(w_.epoll_fd(), EPOLL_CTL_ADD, fd_, &ev) != 0) {
        fail(error_class::connect, std::string("epoll_ctl: ") + std::strerror(errno), false);
        return;
    }
    state_ = state::connecting;
    ++w_.connecting;
    counted_connecting_ = true;
    connect_started_ = clock_type::now();
    if (::connect(fd_, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0) {
        on_connected();
    } else if (errno != EINPROGRESS) {
        fail(error_class::connect, std::string("connect: ") + std::strerror(errno), false);
    }
    // else: writable (or an error) is reported through epoll
}

void connection::on_event(std::uint32_t events, std::uint32_t generation) {
    if (generation != generation_ || state_ == state::closed) return;  // an event of a socket since closed
    if (state_ == state::connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
        if (error != 0) {
            fail(error_class::connect, std::string("connect: ") + std::strerror(error), false);
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        on_connected();
        // The same edge may already carry an answer or the FIN: handle it below, not never.
        if (generation != generation_ || state_ == state::closed) return;
    }
    // With edge triggering, data and the FIN can arrive as one edge: remember the FIN, or a
    // short read that drains the data would leave the end of the stream unnoticed.
    if (events & (EPOLLRDHUP | EPOLLHUP)) peer_closed_ = true;
    if ((events & EPOLLOUT) && state_ == state::writing) write_some();
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (state_ == state::reading || state_ == state::idle) on_readable();
        else if (state_ == state::writing) readable_pending_ = true;  // an early answer: read it once sent
    }
}

// The open model grows its pool by the connections not yet able to carry a request: a WebSocket
// connection counts as connecting until its upgrade is answered, or every dispatch during a
// handshake would open yet another connection.
void connection::end_connecting() {
    if (!counted_connecting_) return;
    counted_connecting_ = false;
    --w_.connecting;
}

void connection::on_connected() {
    const auto now = clock_type::now();
    if (!websocket_) end_connecting();
    state_ = state::idle;
    w_.on_open();
    w_.record_connect(now - connect_started_);
    if (websocket_) begin_upgrade(now);
    else ready(now);
}

void connection::ready(clock_type::time_point now) {
    if (retiring_ || !w_.sending()) {
        close();
        return;
    }
    if (w_.open_model()) w_.on_idle(this, now);
    else send(now, now);
}

void connection::send_planned(clock_type::time_point planned, clock_type::time_point now) { send(now, planned); }

void connection::send(clock_type::time_point now, clock_type::time_point planned) {
    if (websocket_) {
        send_message(now, planned);
        return;
    }
    request_ = session_->next_request();
    if (request_.part_count == 0 || request_.part_count > request_.parts.size()) {
        w_.count_error(error_class::write, fmt::format("the scenario's request has {} parts; 1 to {} are allowed",
                                                      request_.part_count, request_.parts.size()));
        w_.stop();  // every request would be the same: nothing to measure
        return;
    }
    part_ = offset_ = 0;
    received_ = 0;
    sent_at_ = now;
    planned_at_ = planned;
    got_bytes_ = readable_pending_ = false;
    carry_.clear();
    // The correctness check judges every response whole (and may expect a 404); under load the
    // scenario's expected() head is checked on every response, its body on a sample.
    const bool load = w_.config().role == sdk::session_role::load;
    sink_.reset(w_.verify_next() ? &session_->check() : nullptr, nullptr,
                load ? session_->expected() : sdk::response_expectation{});
    parser_.emplace(sink_);
    state_ = state::writing;
    write_some();
}

void connection::write_some() {
    while (part_ < request_.part_count) {
        iovec iov[4];
        int count = 0;
        for (std::size_t p = part_; p < request_.part_count; ++p) {
            const auto& part = request_.parts[p];
            const std::size_t skip = p == part_ ? offset_ : 0;
            iov[count].iov_base = const_cast<char*>(part.data() + skip);
            iov[count].iov_len = part.size() - skip;
            ++count;
        }
        ssize_t n;
        if (count == 1) {
            n = ::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);  // cheaper than sendmsg
        } else {
            msghdr msg{};
            msg.msg_iov = iov;
            msg.msg_iovlen = static_cast<std::size_t>(count);
            n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // the send buffer is full: epoll says when it drains
            fail(error_class::write, std::string("write: ") + std::strerror(errno), true);
            return;
        }
        std::size_t left = static_cast<std::size_t>(n);
        while (left > 0 && part_ < request_.part_count) {
            const std::size_t room = request_.parts[part_].size() - offset_;
            if (left >= room) {
                left -= room;
                ++part_;
                offset_ = 0;
            } else {
                offset_ += left;
                left = 0;
            }
        }
        while (part_ < request_.part_count && request_.parts[part_].size() == offset_) {
            ++part_;
            offset_ = 0;
        }
    }
    state_ = state::reading;
    if (pong_pending_) {
        pong_pending_ = false;
        send_control(wsock_->pong);
        if (state_ != state::reading) return;
    }
    if (readable_pending_) on_readable();
}

void connection::on_readable() {
    if (websocket_ && !upgrading_) {
        on_ws_readable();
        return;
    }
    char* buffer = w_.read_buffer();
    for (;;) {
        const ssize_t n = ::recv(fd_, buffer, read_buffer_size, 0);
        if (n > 0) {
            const auto now = clock_type::now();
            received_ += static_cast<std::uint64_t>(n);
            if (!got_bytes_) {
                got_bytes_ = true;
                first_byte_at_ = now;
            }
            if (state_ != state::reading) {
                fail(error_class::read, "the server sent bytes nobody asked for", true);
                return;
            }
            if (!feed(buffer, static_cast<std::size_t>(n))) return;
            if (parser_->is_done()) {
                complete(now);
                return;
            }
            // Drained: epoll reports more. Unless the peer has closed: then read on to the end.
            if (static_cast<std::size_t>(n) < read_buffer_size && !peer_closed_) return;
            continue;
        }
        if (n == 0) {
            if (state_ == state::idle) {  // the server closed a connection with nothing in flight
                close();
                start();
                return;
            }
            if (state_ == state::reading && parser_ && parser_->need_eof()) {
                boost::beast::error_code ec;
                parser_->put_eof(ec);
                if (!ec && parser_->is_done()) {
                    complete(clock_type::now());
                    return;
                }
            }
            fail(error_class::read,
                 got_bytes_ ? "the server closed the connection in the middle of a response"
                            : "the server closed the connection without answering",
                 true);
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        fail(error_class::read, std::string("read: ") + std::strerror(errno), true);
        return;
    }
}

bool connection::feed(const char* data, std::size_t size) {
    std::string_view input(data, size);
    if (!carry_.empty()) {
        carry_.append(input);
        input = carry_;
    }
    std::size_t consumed = 0;
    while (consumed < input.size()) {
        boost::beast::error_code ec;
        consumed += parser_->put(asio::const_buffer(input.data() + consumed, input.size() - consumed), ec);
        if (ec == http::error::need_more) break;
        if (ec) {
            fail(error_class::read, "malformed response: " + ec.message(), true);
            return false;
        }
        if (parser_->is_done()) {
            if (consumed < input.size()) {
                if (upgrading_) {  // the first frames, right behind the 101
                    wsock_->after_upgrade.assign(input.substr(consumed));
                    consumed = input.size();
                    break;
                }
                fail(error_class::read, "the server sent more bytes than the response holds", true);
                return false;
            }
            break;
        }
    }
    if (consumed < input.size()) {
        // A header split across reads: keep the tail until the rest arrives.
        if (input.data() == carry_.data()) carry_.erase(0, consumed);
        else carry_.assign(input.substr(consumed));
    } else {
        carry_.clear();
    }
    return true;
}

void connection::complete(clock_type::time_point now) {
    if (upgrading_) {
        finish_upgrade(now);
        return;
    }
    std::optional<sdk::verdict> verdict;
    if (sink_.check) verdict = sink_.check->end();
    const bool keep_alive = parser_->keep_alive();
    state_ = state::idle;
    const std::string problem = head_problem();  // empty, and so not allocated, when the head is right
    w_.record_response(now, planned_at_, sent_at_, first_byte_at_, sink_.status, verdict ? &*verdict : nullptr,
                       problem.empty() ? nullptr : &problem, request_.size(), received_);
    if (retiring_ || !w_.sending()) {
        close();
        return;
    }
    if (!keep_alive || peer_closed_) {  // the server closes this connection: take a new one
        close();
        start();
        return;
    }
    ready(now);
}

std::string connection::head_problem() const {
    if (sink_.wrong_media_type)
        return fmt::format("content type {}, expected {} (checked on every response)",
                           sdk::excerpt(sink_.content_type_view()), sink_.expect.media_type);
    if (sink_.expect.body_size && sink_.body_bytes != *sink_.expect.body_size)
        return fmt::format("body of {} bytes, expected {} (checked on every response)", sink_.body_bytes,
                           *sink_.expect.body_size);
    return {};
}

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
    carry_.clear();
    sink_.reset(nullptr, &wsock_->upgrade);
    parser_.emplace(sink_);
    state_ = state::writing;
    write_some();
}

// Statuses with which a server says it has no WebSocket at that path: no route (404), the route
// takes no GET (405), not an upgrade it knows (400, 426), not implemented (501). Anything else
// (401, 403, 5xx...) is a server that has WebSocket there and failed: an error, not "not supported".
bool means_no_websocket(unsigned status) {
    return status == 400 || status == 404 || status == 405 || status == 426 || status == 501;
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

void connection::fail(error_class cls, std::string reason, bool reconnect) {
    close();  // first, so a stop that the count triggers does not see this request as in flight
    w_.count_error(cls, std::move(reason));
    // Reconnect at once after a broken connection; after a failed connect, wait for the next tick
    // so a refusing server is not hammered in a tight loop.
    if (reconnect && active_ && w_.sending()) {
        if (feeding_) restart_after_feed_ = true;  // once the decoder has returned
        else start();
    }
}

void connection::retire() {
    retiring_ = true;
    set_active(false);
    if (state_ != state::writing && state_ != state::reading) close();
}

void connection::close() {
    end_connecting();
    if (websocket_ && !upgrading_ && fd_ >= 0 && (state_ == state::idle || state_ == state::reading)) {
        // Say goodbye the WebSocket way (status 1000), so the server sees a normal close and not
        // a dropped connection. Best effort: never waits, and between messages only.
        const auto goodbye = wsock_->encoder.encode_close();
        [[maybe_unused]] const auto n = ::send(fd_, goodbye.bytes.data(), goodbye.size, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (connected()) w_.on_closed();
    if (fd_ >= 0) {
        ::close(fd_);  // also leaves the epoll set
        fd_ = -1;
    }
    ++generation_;
    peer_closed_ = false;
    state_ = state::closed;
    if (retiring_) set_active(false);
}

void connection::check_timeout(clock_type::time_point now) {
    if (state_ == state::connecting && now - connect_started_ > w_.config().connect_timeout) {
        fail(error_class::connect, "connect: timed out", false);
    } else if ((state_ == state::writing || state_ == state::reading) && now - sent_at_ > w_.config().request_timeout) {
        fail(error_class::timeout,
             fmt::format("no complete response within {} ms",
                         std::chrono::duration_cast<std::chrono::milliseconds>(w_.config().request_timeout).count()),
             true);
    } else if (state_ == state::closed && active_ && !refused_ && w_.sending()) {
        start();  // a connection that failed to connect tries again, once per tick
    }
}

// Every connection is a descriptor: raise the soft limit to the hard one, and say so when even
// that is too low for the plan, rather than counting thousands of connect errors.
void raise_descriptor_limit(const sdk::load_plan& plan) {
    std::uint64_t most = 0;
    for (const auto& p : plan.phases) most = std::max<std::uint64_t>({most, p.connections_start, p.connections_end});
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (most + 64 > limit.rlim_cur)
        spdlog::warn("the plan opens up to {} connections but this process may open only {} descriptors; raise the "
                     "hard limit (ulimit -Hn) or expect connect errors",
                     most, static_cast<std::uint64_t>(limit.rlim_cur));
}

// Requests unanswered when the plan ended. Each one due but never sent (open model) counts at its
// wait so far, as a late send does; each one in flight counts only if it had already waited
// longer than any request that was answered (rightly or not): a younger one says nothing about
// the tail, and counting its partial wait would pull the percentiles down. None of them counts
// as completed.
// Returns the waits that were added to the latency (the last measured phase's and the total).
sdk::histogram count_unfinished(sdk::measurement& m, engine_result& result, const std::vector<std::int64_t>& in_flight,
                                const sdk::histogram& unsent, bool last_phase_measured) {
    sdk::histogram counted = unsent;
    for (const auto wait : in_flight) {
        if (wait > result.slowest_answered_us) counted.record(wait);
        m.unfinished_oldest_us = std::max(m.unfinished_oldest_us, wait);
    }
    m.unfinished_oldest_us = std::max(m.unfinished_oldest_us, unsent.max());
    if (!counted.count()) return counted;
    m.latency_us.merge(counted);
    if (last_phase_measured && !m.phases.empty()) m.phases.back().latency_us.merge(counted);
    return counted;
}

void merge_buckets(sdk::histogram& into, const std::vector<std::pair<std::uint32_t, std::uint64_t>>& buckets) {
    for (const auto& [index, count] : buckets) into.add_at_index(index, count);
}

}  // namespace

unsigned default_threads() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

engine_result run(const engine_config& config, const sdk::scenario& scenario, const sdk::target& target,
                  const sdk::load_plan& plan) {
    if (scenario.transport() == sdk::transport::websocket && scenario.websocket_path().empty())
        throw std::runtime_error("the WebSocket scenario gives no path to upgrade (websocket_path() is empty)");
    if (plan.model == sdk::load_model::open)
        for (const auto& phase : plan.phases)
            if (phase.rate_start < 0 || phase.rate_end < 0)
                throw std::runtime_error(fmt::format("phase '{}' has a negative rate", phase.name));

    // Resolve once, before any timing starts.
    asio::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(config.host, std::to_string(config.port), ec);
    if (ec || endpoints.empty())
        throw std::runtime_error(fmt::format("cannot resolve '{}': {}", config.host, ec ? ec.message() : "no address"));
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();

    std::signal(SIGPIPE, SIG_IGN);  // a peer that closes must be an error count, not a dead process
    raise_descriptor_limit(plan);

    // A worker has at least one connection to drive, or it is only a thread to start and join.
    std::uint32_t most_connections = 1;
    for (const auto& phase : plan.phases)
        most_connections = std::max({most_connections, phase.connections_start, phase.connections_end});
    const unsigned threads = std::clamp(config.threads, 1u, most_connections);
    const auto origin = clock_type::now();
    std::vector<phase_window> windows;
    std::size_t measured = 0;
    auto at = origin;
    for (const auto& phase : plan.phases) {
        phase_window w;
        w.start = at;
        at += std::chrono::duration_cast<clock_type::duration>(phase.length);
        w.end = at;
        w.phase = &phase;
        w.measured_index = phase.measured ? static_cast<int>(measured++) : -1;
        windows.push_back(w);
    }
    if (windows.empty() || measured == 0) throw std::runtime_error("the load plan has no measured phase");

    std::vector<std::unique_ptr<worker>> workers;
    for (unsigned i = 0; i < threads; ++i)
        workers.push_back(std::make_unique<worker>(i, config, scenario, target, endpoint, windows, measured, origin, threads,
                                                   plan.model == sdk::load_model::open));
    // A plugin that throws on a worker thread (a session that cannot open, a check that throws)
    // must not take the process down: the worker stops, and the error is rethrown here.
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::thread> pool;
    struct joiner {
        std::vector<std::thread>& threads;
        ~joiner() {
            for (auto& t : threads)
                if (t.joinable()) t.join();
        }
    } join_all{pool};
    for (unsigned i = 0; i < threads; ++i)
        pool.emplace_back([&workers, &errors, i] {
            try {
                workers[i]->run();
            } catch (...) {
                errors[i] = std::current_exception();
                workers[i]->abandon();
            }
        });

    // The control thread reports progress while the workers run.
    const double total_s = std::chrono::duration<double>(windows.back().end - origin).count();
    auto next_report = clock_type::now() + 1s;
    while (!std::all_of(workers.begin(), workers.end(),
                        [](const auto& w) { return w->live_.finished.load(std::memory_order_acquire); })) {
        std::this_thread::sleep_for(20ms);
        const auto now = clock_type::now();
        if (config.progress && now >= next_report) {
            next_report += 1s;
            std::uint64_t responses = 0, errors = 0;
            std::uint32_t open = 0;
            for (const auto& w : workers) {
                responses += w->live_.responses.load(std::memory_order_relaxed);
                errors += w->live_.errors.load(std::memory_order_relaxed);
                open += w->live_.open.load(std::memory_order_relaxed);
            }
            std::string phase_name;
            for (const auto& w : windows)
                if (now >= w.start && now < w.end) phase_name = w.phase->name;
            config.progress(std::chrono::duration<double>(now - origin).count(), total_s, phase_name, responses, errors,
                            open);
        }
    }
    for (auto& t : pool) t.join();
    const auto finished = clock_type::now();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);

    engine_result result;
    auto& m = result.measurement;
    for (const auto& w : windows)
        if (w.measured_index >= 0) {
            result.measure_origin = w.start;
            break;
        }
    result.interrupted = config.interrupted && config.interrupted->load();
    std::map<std::int64_t, std::vector<const second_record*>> seconds;
    m.phases.resize(measured);
    for (std::size_t i = 0, k = 0; i < plan.phases.size(); ++i)
        if (plan.phases[i].measured) {
            m.phases[k].name = plan.phases[i].name;
            m.phases[k].connections_planned = plan.phases[i].connections_end;
            ++k;
        }
    bool any_first_byte = false;
    sdk::histogram first_byte, connect, uncorrected, send_lag, handshake, unfinished_unsent;
    std::vector<std::int64_t> unfinished_in_flight;
    std::uint64_t sent_measured = 0, backlog = 0;
    for (auto& w : workers) {
        m.latency_us.merge(w->latency_us_);
        uncorrected.merge(w->latency_uncorrected_us_);
        handshake.merge(w->handshake_us_);
        if (w->upgrade_refused_status_ && !result.upgrade_refused_status) {
            result.upgrade_refused_status = w->upgrade_refused_status_;
            result.upgrade_refused_reason = w->upgrade_refused_reason_;
        }
        send_lag.merge(w->send_lag_us_);
        sent_measured += w->sent_measured_;
        backlog += w->backlog();
        m.late_requests += w->late_;
        first_byte.merge(w->first_byte_us_);
        connect.merge(w->connect_us_);
        any_first_byte |= w->first_byte_us_.count() > 0;
        m.errors += w->errors_;
        m.completed += w->completed_;
        m.answered_2xx_all_phases += w->answered_2xx_;
        m.in_flight_at_end += w->in_flight_at_end_;
        m.verified += w->verified_;
        m.body_checks.judged += w->verified_ + w->bodies_failed_;
        m.body_checks.failed += w->bodies_failed_;
        m.unfinished += w->unfinished_;
        result.slowest_answered_us = std::max(result.slowest_answered_us, w->slowest_answer_us_);
        unfinished_unsent.merge(w->unfinished_unsent_us_);
        unfinished_in_flight.insert(unfinished_in_flight.end(), w->unfinished_in_flight_us_.begin(),
                                    w->unfinished_in_flight_us_.end());
        m.bytes_sent += w->bytes_sent_;
        m.bytes_received += w->bytes_received_;
        m.connections_established += w->peak_open_;
        m.generator_cpu_seconds += w->cpu_seconds_;
        result.worker_cpu_seconds.push_back(w->cpu_seconds_);
        for (std::size_t k = 0; k < measured; ++k) {
            auto& p = m.phases[k];
            p.latency_us.merge(w->phases_[k].latency_us);
            p.completed += w->phases_[k].completed;
            p.errors += w->phases_[k].errors;
            p.connections_open += w->phases_[k].open_at_end;
        }
        for (const auto& s : w->seconds_) seconds[s.second].push_back(&s);
        for (auto& f : w->failures_)
            if (result.failures.size() < max_failure_reasons) result.failures.push_back(std::move(f));
    }
    const sdk::histogram unfinished_counted =
        count_unfinished(m, result, unfinished_in_flight, unfinished_unsent, plan.phases.back().measured);
    if (any_first_byte) m.first_byte_us = std::move(first_byte);
    if (connect.count()) m.connect_us = std::move(connect);
    if (handshake.count()) m.handshake_us = std::move(handshake);

    // Measured time: the measured phases, cut short if the run stopped early.
    const phase_window* first_measured = nullptr;
    double seconds_measured = 0;
    for (const auto& w : windows)
        if (w.measured_index >= 0) {
            if (!first_measured) first_measured = &w;
            const auto end = std::min(w.end, finished);
            if (end > w.start) {
                const double s = std::chrono::duration<double>(end - w.start).count();
                seconds_measured += s;
                m.phases[w.measured_index].seconds = s;
            }
        }
    m.seconds = seconds_measured;
    m.rate = seconds_measured > 0 ? static_cast<double>(m.completed) / seconds_measured : 0;
    const bool open_model = plan.model == sdk::load_model::open;
    // The plan's rate at time t (open model), linear within its phase.
    auto planned_rate_at = [&windows](clock_type::time_point t) {
        for (const auto& w : windows)
            if (t > w.start && t <= w.end) {
                const double span = seconds_of(w.end - w.start);
                const double frac = span > 0 ? seconds_of(t - w.start) / span : 1;
                return w.phase->rate_start + (w.phase->rate_end - w.phase->rate_start) * frac;
            }
        return 0.0;
    };
    if (open_model) {
        m.latency_uncorrected_us = std::move(uncorrected);
        // Requests planned over the measured time (the integral of a linear rate is its mean
        // times the time), against requests that actually went out in it.
        double planned = 0;
        for (const auto& w : windows)
            if (w.measured_index >= 0) {
                const auto end = std::min(w.end, finished);
                if (end <= w.start) continue;
                planned += (w.phase->rate_start + planned_rate_at(end)) / 2 * seconds_of(end - w.start);
            }
        m.planned_rate = seconds_measured > 0 ? planned / seconds_measured : 0;
        m.achieved_rate = seconds_measured > 0 ? static_cast<double>(sent_measured) / seconds_measured : 0;
        m.extra["send_lag_p50_us"] = std::to_string(send_lag.value_at_percentile(50));
        m.extra["send_lag_p99_us"] = std::to_string(send_lag.value_at_percentile(99));
        m.extra["send_lag_max_us"] = std::to_string(send_lag.max());
        m.extra["requests_sent"] = std::to_string(sent_measured);
        m.extra["requests_due_unsent_at_end"] = std::to_string(backlog);
    }
    for (const auto& phase : plan.phases)
        if (phase.measured)
            m.connections_asked = std::max({m.connections_asked, phase.connections_start, phase.connections_end});

    const auto last_second = static_cast<std::int64_t>(std::ceil(seconds_measured)) - 1;
    sdk::histogram scratch;  // one histogram reused for every second's percentiles
    for (const auto& [second, records] : seconds) {
        if (second < 0 || second > last_second) continue;
        sdk::timeline_point point;
        point.second = static_cast<double>(second);
        scratch.reset();
        for (const auto* r : records) {
            point.completed += r->completed;
            point.errors += r->errors;
            point.open_connections += r->open;
            merge_buckets(scratch, r->buckets);
        }
        if (second == last_second) scratch.merge(unfinished_counted);  // their waits end with the plan
        point.p50_us = scratch.value_at_percentile(50);
        point.p99_us = scratch.value_at_percentile(99);
        // planned connections at the end of this second (or of the measured time, if sooner)
        const auto t = std::min(first_measured->start + std::chrono::seconds(second + 1), windows.back().end);
        for (const auto& w : windows)
            if (t > w.start && t <= w.end) {
                const double span = std::chrono::duration<double>(w.end - w.start).count();
                const double frac = span > 0 ? std::chrono::duration<double>(t - w.start).count() / span : 1;
                point.planned_connections = static_cast<std::uint32_t>(std::lround(
                    w.phase->connections_start + (double(w.phase->connections_end) - w.phase->connections_start) * frac));
            }
        if (open_model) point.planned_rate = planned_rate_at(t);
        m.timeline.push_back(point);
    }
    return result;
}

}  // namespace shootout::core::engine
