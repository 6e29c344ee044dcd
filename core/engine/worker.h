// One worker thread of the load engine: its epoll loop, its connections, its slice of the
// plan (the open model's schedule) and what it counted. Internal to the engine. The methods
// that connections call per request stay here, inline, so they cost no call across files.
#pragma once

#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "connection.h"
#include "engine.h"
#include "load_counts.h"
#include "plan_clock.h"
#include "schedule.h"

namespace shootout::core::engine {

using tcp = boost::asio::ip::tcp;

// The live figures a worker publishes once per tick for the progress line.
struct live_counters {
    std::atomic<std::uint64_t> responses{0}, errors{0};  // responses: warm-up included, so its req/s shows
    std::atomic<std::uint32_t> open{0};
    std::atomic<bool> finished{false};
};

// count_error()'s kind when the failure belongs to no request.
inline constexpr std::uint32_t no_request_kind = UINT32_MAX;

class worker {
public:
    worker(unsigned index, const engine_config& config, const sdk::scenario& scenario, const sdk::target& target,
           tcp::endpoint endpoint, const std::vector<tcp::endpoint>& sources, const timed_plan& plan, slice part,
           bool open_model)
        : index_(index), config_(config), scenario_(scenario), target_(target), endpoint_(endpoint), sources_(sources),
          windows_(plan.windows()), slice_(part), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
        counts_.phases.resize(plan.measured_phases());
        counts_.requests.resize(scenario.request_labels().size());
        read_buffer_ = std::make_unique<char[]>(read_buffer_size);
        measure_origin_ = plan.measured_begin();
        next_second_at_ = measure_origin_ + 1s;
        open_model_ = open_model;
        websocket_ = scenario.transport() == sdk::transport::websocket;
        requests_per_connection_ = websocket_ ? 0 : config.requests_per_connection;
        if (websocket_) websocket_target_ = target.path_prefix + scenario.websocket_path();
        if (open_model_) {
            // Each worker carries the share of the rate that its share of the pool's cap can carry
            // (a worker with no connection sends nothing), interleaved with the other slices.
            const auto share = share_of(plan.most_connections(), slice_);
            due_ = arrival_schedule(windows_, share);
            next_to_send_ = due_;
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
        if (cpu_started_) counts_.cpu_seconds += thread_cpu_seconds() - cpu_start_;
        flush_second();
        counts_.backlog = due_count_ - sent_count_;
        live_.finished.store(true, std::memory_order_release);
    }

    // Called by connections.
    bool open_model() const { return open_model_; }
    bool websocket() const { return websocket_; }
    // HTTP: the client closes a connection after this many requests (0: never).
    std::uint32_t requests_per_connection() const { return requests_per_connection_; }
    const std::string& websocket_target() const { return websocket_target_; }
    void record_handshake(clock_type::duration d) { counts_.handshake_us.record(micros(d)); }
    // The server does not offer WebSocket here: the engine's caller reports "not supported".
    void upgrade_refused(unsigned status, const std::string& reason) {
        if (!counts_.upgrade_refused_status) {
            counts_.upgrade_refused_status = status;
            counts_.upgrade_refused_reason = reason;
        }
    }
    int epoll_fd() const { return epoll_fd_; }
    const tcp::endpoint& endpoint() const { return endpoint_; }
    // The local addresses to bind connections to (--source-address): connection k takes k mod
    // their number; none: the kernel chooses.
    const std::vector<tcp::endpoint>& sources() const { return sources_; }
    const sdk::scenario& scenario() const { return scenario_; }
    const sdk::target& target() const { return target_; }
    const engine_config& config() const { return config_; }
    unsigned index() const { return index_; }
    char* read_buffer() { return read_buffer_.get(); }
    bool sending() const { return !stopping_; }
    bool plan_over(clock_type::time_point now) const { return now >= windows_.back().end; }
    std::uint32_t request_kinds() const { return static_cast<std::uint32_t>(counts_.requests.size()); }
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
        if (measuring_) counts_.peak_open = std::max(counts_.peak_open, open_);
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
                ++counts_.sent_measured;
                const auto lag = now - planned;
                counts_.send_lag_us.record(micros(lag));
                if (lag >= late_after) ++counts_.late;
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
    void record_connect(clock_type::duration d) { counts_.connect_us.record(micros(d)); }

    // `planned` is when the request should have left: the send time in the closed model, the
    // schedule's time in the open model, so that a server's stall counts against every request it
    // delayed, not only those that were already on the wire (coordinated omission).
    // `head_problem` is what the response breaks of the scenario's expected() (checked on every
    // response); `verdict` the judgement of its body, when it was in the sample; `kind` the
    // request's wire_request::kind.
    void record_response(clock_type::time_point now, clock_type::time_point planned, clock_type::time_point sent,
                         clock_type::time_point first_byte, unsigned status, const sdk::verdict* verdict,
                         const std::string* head_problem, std::uint64_t sent_bytes, std::uint64_t received_bytes,
                         std::uint32_t kind) {
        if (status >= 200 && status <= 299) ++counts_.answered_2xx;  // in any phase: the server did the work
        ++responses_;                                          // in any phase: the progress line's req/s
        roll(now);
        if (!measuring_) return;
        counts_.bytes_sent += sent_bytes;
        counts_.bytes_received += received_bytes;
        counts_.slowest_answer_us = std::max(counts_.slowest_answer_us, micros(now - planned));  // whatever the answer said
        counts_.last_answer_at_us = micros(now - measure_origin_);
        const bool correctness = config_.role == sdk::session_role::correctness_check;
        if (!correctness && (status < 200 || status > 299)) {
            count_error(error_class::status, fmt::format("status {}", status), kind);
        } else if (head_problem) {
            count_error(error_class::verify, *head_problem, kind);
        } else if (verdict && !verdict->ok) {
            ++counts_.bodies_failed;
            count_error(error_class::verify, verdict->reason, kind);
        } else {
            const std::int64_t latency = micros(now - planned);
            ++counts_.completed;
            if (verdict) ++counts_.verified;
            counts_.latency_us.record(latency);
            if (open_model_) counts_.latency_uncorrected_us.record(micros(now - sent));
            counts_.first_byte_us.record(micros(first_byte - sent));
            second_latency_.record(latency);
            ++second_completed_;
            auto& phase = counts_.phases[current_->measured_index];
            ++phase.completed;
            phase.latency_us.record(latency);
            if (kind < counts_.requests.size()) {  // a scenario with several kinds of request
                ++counts_.requests[kind].completed;
                counts_.requests[kind].latency_us.record(latency);
            }
            if (config_.request_budget && counts_.completed >= config_.request_budget) stop();
        }
    }

    // `kind`: the failed request's wire_request::kind, or no_request_kind when no request was
    // on the wire (a failed connect).
    void count_error(error_class cls, std::string reason, std::uint32_t kind = no_request_kind) {
        const auto now = clock_type::now();
        roll(now);
        if (!measuring_) return;
        counts_.last_error_at_us = micros(now - measure_origin_);
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
        bump(counts_.errors);
        bump(counts_.phases[current_->measured_index].errors);
        if (kind < counts_.requests.size()) bump(counts_.requests[kind].errors);
        ++second_errors_;
        if (counts_.failures.size() < max_failure_reasons) counts_.failures.push_back(std::move(reason));
        if (config_.stop_on_first_error) stop();
    }

    void stop() {
        if (stopping_) return;
        stopping_ = true;
        if (current_ && current_->measured_index >= 0) counts_.phases[current_->measured_index].open_at_end = open_;
        open_at_stop_ = open_;  // the last second's record shows the connections open, not the closing
        for (auto& c : connections_) {
            counts_.in_flight_at_end += c->in_flight();
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

    // What this slice counted, read by the control thread once the worker's thread has ended.
    load_counts counts_;
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
        live_.errors.store(counts_.errors.total(), std::memory_order_relaxed);
        live_.open.store(open_, std::memory_order_relaxed);
    }

    void advance_phase(clock_type::time_point now) {
        std::size_t i = current_ ? static_cast<std::size_t>(current_ - windows_.data()) : 0;
        while (i + 1 < windows_.size() && now >= windows_[i].end) ++i;
        const phase_window* next = &windows_[i];
        if (next == current_) return;
        if (current_ && current_->measured_index >= 0) counts_.phases[current_->measured_index].open_at_end = open_;
        current_ = next;
        measuring_ = current_->measured_index >= 0 && now >= current_->start && now < current_->end;
        if (measuring_ && !cpu_started_) {
            cpu_started_ = true;
            cpu_start_ = thread_cpu_seconds();
            counts_.peak_open = open_;
        } else if (!measuring_ && cpu_started_) {
            counts_.cpu_seconds += thread_cpu_seconds() - cpu_start_;
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
                if (c->in_flight() && !c->upgrading()) {  // a handshake is a connection, not a request
                    counts_.unfinished_in_flight_us.push_back(std::max<std::int64_t>(0, micros(end - c->planned_at())));
                    ++counts_.unfinished;
                }
            if (open_model_) {
                while (!due_.done() && due_.planned() < end) {
                    due_.next();
                    ++due_count_;
                }
                auto unsent = next_to_send_;
                for (std::uint64_t k = sent_count_; k < due_count_; ++k, unsent.next()) {
                    counts_.unfinished_unsent_us.record(std::max<std::int64_t>(0, micros(end - unsent.planned())));
                    ++counts_.unfinished;
                }
            }
        }
        measuring_ = false;
        if (cpu_started_) {
            counts_.cpu_seconds += thread_cpu_seconds() - cpu_start_;
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
        second_counts record{second, second_completed_, second_errors_, stopping_ ? open_at_stop_ : open_, {}};
        if (second_latency_.count()) {
            const auto& counts = second_latency_.counts();
            for (std::size_t i = 0; i < counts.size(); ++i)
                if (counts[i]) record.buckets.emplace_back(static_cast<std::uint32_t>(i), counts[i]);
            second_latency_.reset();
        }
        counts_.seconds.push_back(std::move(record));
        second_completed_ = second_errors_ = 0;
    }

    // This slice's part of the connections the plan asks for now.
    std::uint32_t planned_connections(clock_type::time_point now) const {
        const auto all = static_cast<std::uint32_t>(std::lround(current_->connections_at(now)));
        return all / slice_.count + (slice_.index < all % slice_.count ? 1 : 0);
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
        const std::uint64_t global_index = next_connection_index_++ * slice_.count + slice_.index;
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
    const std::vector<tcp::endpoint>& sources_;
    const std::vector<phase_window>& windows_;
    clock_type::time_point measure_origin_, next_second_at_;
    slice slice_;  // of the whole load: shard × workers + worker
    int epoll_fd_;  // this worker's sockets, edge-triggered
    std::vector<std::unique_ptr<connection>> connections_;
    std::vector<connection*> idle_;  // open model: connected, nothing in flight (may hold stale entries)
    bool open_model_ = false, have_pwait2_ = true, websocket_ = false;
    bool dispatching_ = false, dispatch_again_ = false;
    std::string websocket_target_;
    arrival_schedule due_, next_to_send_;
    std::uint64_t due_count_ = 0, sent_count_ = 0;
    std::unique_ptr<char[]> read_buffer_;
    const phase_window* current_ = nullptr;
    bool measuring_ = false, stopping_ = false, cpu_started_ = false;
    double cpu_start_ = 0;
    std::uint32_t open_ = 0, open_at_stop_ = 0;
    std::uint64_t next_connection_index_ = 0;
    std::uint32_t requests_per_connection_ = 0;
    std::uint32_t since_verified_ = 0;
    sdk::histogram second_latency_;
    std::uint64_t second_completed_ = 0, second_errors_ = 0;
    std::uint64_t responses_ = 0;  // every response, any phase: the progress line's req/s
};

}  // namespace shootout::core::engine
