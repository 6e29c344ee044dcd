#include "engine.h"
#include "load_counts.h"
#include "plan_clock.h"
#include "schedule.h"
#include "worker.h"

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
// as completed. Returns the waits that count (added to the latency and the last measured phase's).
sdk::histogram count_unfinished(const load_counts& c, sdk::measurement& m, bool last_phase_measured) {
    sdk::histogram counted = c.unfinished_unsent_us;
    for (const auto wait : c.unfinished_in_flight_us) {
        if (wait > c.slowest_answer_us) counted.record(wait);
        m.unfinished_oldest_us = std::max(m.unfinished_oldest_us, wait);
    }
    m.unfinished_oldest_us = std::max(m.unfinished_oldest_us, c.unfinished_unsent_us.max());
    m.unfinished = c.unfinished;
    if (!counted.count()) return counted;
    m.latency_us.merge(counted);
    if (last_phase_measured && !m.phases.empty()) m.phases.back().latency_us.merge(counted);
    return counted;
}

// This process's part of what the plan asks for: all of it, or, for one shard of several, what
// its workers' slices ask for (connections split as the workers split them, the open model's
// rate in proportion to the pool's cap), so that a shard's figures describe its slice and the
// shards' add up to the plan's (core/distributed/merge.cpp sums them).
struct shard_part {
    slice shard;
    unsigned threads = 1;
    std::uint32_t cap = 0;  // the open model's pool cap, which sets the share of the rate

    std::uint32_t connections(std::uint32_t all) const {
        if (shard.count <= 1) return all;
        std::uint32_t part = 0;
        for (unsigned t = 0; t < threads; ++t) {
            const slice s{shard.index * threads + t, shard.count * threads};
            part += all / s.count + (s.index < all % s.count ? 1 : 0);
        }
        return part;
    }
    double rate(double all) const {
        return shard.count <= 1 || cap == 0 ? all : all * connections(cap) / cap;
    }
};

// Each kind of request's counts under its label (a scenario with several kinds of request).
void copy_request_counts(const load_counts& c, const std::vector<std::string>& labels, sdk::measurement& m) {
    for (std::size_t i = 0; i < c.requests.size() && i < labels.size(); ++i)
        m.requests.push_back({labels[i], c.requests[i].completed, c.requests[i].errors, c.requests[i].latency_us});
}

// The counters and histograms of a measurement, straight from the merged counts.
void copy_counts(const load_counts& c, const sdk::load_plan& plan, const shard_part& part, sdk::measurement& m) {
    m.latency_us = c.latency_us;
    if (c.first_byte_us.count()) m.first_byte_us = c.first_byte_us;
    if (c.connect_us.count()) m.connect_us = c.connect_us;
    if (c.handshake_us.count()) m.handshake_us = c.handshake_us;
    m.errors = c.errors;
    m.completed = c.completed;
    m.verified = c.verified;
    m.body_checks = {c.verified + c.bodies_failed, c.bodies_failed};
    m.answered_2xx_all_phases = c.answered_2xx;
    m.in_flight_at_end = c.in_flight_at_end;
    m.late_requests = c.late;
    m.bytes_sent = c.bytes_sent;
    m.bytes_received = c.bytes_received;
    m.connections_established = c.peak_open;
    m.generator_cpu_seconds = c.cpu_seconds;
    for (std::size_t i = 0, k = 0; i < plan.phases.size(); ++i) {
        if (!plan.phases[i].measured) continue;
        sdk::phase_result p;
        p.name = plan.phases[i].name;
        p.connections_planned = part.connections(plan.phases[i].connections_end);
        if (k < c.phases.size()) {
            p.latency_us = c.phases[k].latency_us;
            p.completed = c.phases[k].completed;
            p.errors = c.phases[k].errors;
            p.connections_open = c.phases[k].open_at_end;
        }
        m.phases.push_back(std::move(p));
        ++k;
    }
    for (const auto& phase : plan.phases)
        if (phase.measured) m.connections_asked = std::max({m.connections_asked, phase.connections_start, phase.connections_end});
    m.connections_asked = part.connections(m.connections_asked);
}

// The open model's plan against what went out: requests planned over the measured time, and
// those actually sent in it.
void open_model_figures(const load_counts& c, const timed_plan& timed, clock_type::time_point finished,
                        const shard_part& part, sdk::measurement& m) {
    m.latency_uncorrected_us = c.latency_uncorrected_us;
    m.planned_rate = m.seconds > 0 ? part.rate(timed.measured_requests_until(finished)) / m.seconds : 0;
    m.achieved_rate = m.seconds > 0 ? static_cast<double>(c.sent_measured) / m.seconds : 0;
    m.send_lag_us = c.send_lag_us;
    m.requests_sent = c.sent_measured;
    m.requests_unsent_at_end = c.backlog;
}

// One point per measured second: the slices' records of that second added up, their latency
// buckets merged (never their percentiles averaged); the unfinished waits end the last second.
std::vector<sdk::timeline_point> timeline_of(const load_counts& c, const timed_plan& timed, double seconds_measured,
                                             const sdk::histogram& unfinished, bool open_model, const shard_part& part) {
    std::map<std::int64_t, std::vector<const second_counts*>> by_second;
    for (const auto& r : c.seconds) by_second[r.second].push_back(&r);
    const auto last_second = static_cast<std::int64_t>(std::ceil(seconds_measured)) - 1;
    std::vector<sdk::timeline_point> timeline;
    sdk::histogram scratch;  // one histogram reused for every second's percentiles
    for (const auto& [second, records] : by_second) {
        if (second < 0 || second > last_second) continue;
        sdk::timeline_point point;
        point.second = static_cast<double>(second);
        scratch.reset();
        for (const auto* r : records) {
            point.completed += r->completed;
            point.errors += r->errors;
            point.open_connections += r->open;
            scratch.add_sparse(r->buckets);
        }
        if (second == last_second) scratch.merge(unfinished);
        // The percentiles come from the buckets alone, as anyone reading them back (a report, a
        // shard merge) computes them: the exact extremes of the merged histogram are not kept.
        point.latency_buckets = scratch.sparse();
        scratch.reset();
        scratch.add_sparse(point.latency_buckets);
        point.p50_us = scratch.value_at_percentile(50);
        point.p99_us = scratch.value_at_percentile(99);
        // planned at the end of this second (or of the plan, if sooner)
        const auto t = std::min(timed.measured_begin() + std::chrono::seconds(second + 1), timed.end());
        point.planned_connections = part.connections(timed.connections_at(t));
        if (open_model) point.planned_rate = part.rate(timed.rate_at(t));
        timeline.push_back(point);
    }
    return timeline;
}

// Every figure of a measurement, derived from the merged counts in this one place.
sdk::measurement measurement_of(const load_counts& c, const timed_plan& timed, const sdk::load_plan& plan,
                                clock_type::time_point finished, const shard_part& part) {
    sdk::measurement m;
    copy_counts(c, plan, part, m);
    // Measured time: the measured phases, cut short if the run stopped early.
    for (const auto& w : timed.windows())
        if (w.measured_index >= 0) {
            const auto end = std::min(w.end, finished);
            if (end > w.start) m.phases[static_cast<std::size_t>(w.measured_index)].seconds = seconds_of(end - w.start);
        }
    m.seconds = timed.measured_seconds_until(finished);
    m.rate = m.seconds > 0 ? static_cast<double>(m.completed) / m.seconds : 0;
    const auto unfinished = count_unfinished(c, m, plan.phases.back().measured);
    const bool open_model = plan.model == sdk::load_model::open;
    if (open_model) open_model_figures(c, timed, finished, part, m);
    m.timeline = timeline_of(c, timed, m.seconds, unfinished, open_model, part);
    return m;
}

}  // namespace

unsigned default_threads() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

namespace {

void check_plan(const sdk::scenario& scenario, const sdk::load_plan& plan) {
    if (const auto labels = scenario.request_labels().size(); labels > sdk::max_request_labels)
        throw std::runtime_error(fmt::format("the scenario names {} kinds of request (request_labels()); at most {} are "
                                             "counted apart: merge some",
                                             labels, sdk::max_request_labels));
    if (scenario.transport() == sdk::transport::websocket && !scenario.request_labels().empty())
        throw std::runtime_error("the WebSocket scenario names kinds of request (request_labels()); only HTTP scenarios "
                                 "count requests apart: return no labels");
    if (scenario.transport() == sdk::transport::websocket && scenario.websocket_path().empty())
        throw std::runtime_error("the WebSocket scenario gives no path to upgrade (websocket_path() is empty)");
    if (plan.model == sdk::load_model::open)
        for (const auto& phase : plan.phases)
            if (phase.rate_start < 0 || phase.rate_end < 0)
                throw std::runtime_error(fmt::format("phase '{}' has a negative rate", phase.name));
}

// Resolved once, before any timing starts.
tcp::endpoint resolve(const engine_config& config) {
    asio::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(config.host, std::to_string(config.port), ec);
    if (ec || endpoints.empty())
        throw std::runtime_error(fmt::format("cannot resolve '{}': {}", config.host, ec ? ec.message() : "no address"));
    return endpoints.begin()->endpoint();
}

// The --source-address list as endpoints with port 0 (the port is chosen at connect).
std::vector<tcp::endpoint> source_endpoints(const engine_config& config) {
    std::vector<tcp::endpoint> sources;
    for (const auto& text : config.source_addresses) {
        boost::system::error_code ec;
        const auto address = asio::ip::make_address(text, ec);
        if (ec) throw std::runtime_error(fmt::format("source address '{}' is not a numeric IP address", text));
        sources.emplace_back(address, 0);
    }
    return sources;
}

// A start given from outside (shards that start together) is waited for here, so no worker
// opens a connection before it; an interrupt ends the wait.
void wait_for_start(const engine_config& config, clock_type::time_point start) {
    while (clock_type::now() < start) {
        if (config.interrupted && config.interrupted->load()) return;
        std::this_thread::sleep_until(std::min(start, clock_type::now() + 20ms));
    }
}

// The control thread reports progress about once a second until every worker has finished.
void watch(const std::vector<std::unique_ptr<worker>>& workers, const engine_config& config, const timed_plan& timed) {
    const double total_s = seconds_of(timed.end() - timed.start());
    auto next_report = clock_type::now() + 1s;
    while (!std::all_of(workers.begin(), workers.end(),
                        [](const auto& w) { return w->live_.finished.load(std::memory_order_acquire); })) {
        std::this_thread::sleep_for(20ms);
        const auto now = clock_type::now();
        if (!config.progress || now < next_report) continue;
        next_report += 1s;
        std::uint64_t responses = 0, errors = 0;
        std::uint32_t open = 0;
        for (const auto& w : workers) {
            responses += w->live_.responses.load(std::memory_order_relaxed);
            errors += w->live_.errors.load(std::memory_order_relaxed);
            open += w->live_.open.load(std::memory_order_relaxed);
        }
        std::string phase_name;
        for (const auto& w : timed.windows())
            if (now >= w.start && now < w.end) phase_name = w.phase->name;
        config.progress(seconds_of(now - timed.start()), total_s, phase_name, responses, errors, open);
    }
}

// Runs every worker on its own thread. A plugin that throws on a worker thread (a session that
// cannot open, a check that throws) must not take the process down: the worker stops, and the
// first such error is rethrown here once all have ended.
void run_workers(const std::vector<std::unique_ptr<worker>>& workers, const engine_config& config, const timed_plan& timed) {
    std::vector<std::exception_ptr> errors(workers.size());
    std::vector<std::thread> pool;
    struct joiner {
        std::vector<std::thread>& threads;
        ~joiner() {
            for (auto& t : threads)
                if (t.joinable()) t.join();
        }
    } join_all{pool};
    for (std::size_t i = 0; i < workers.size(); ++i)
        pool.emplace_back([&workers, &errors, i] {
            try {
                workers[i]->run();
            } catch (...) {
                errors[i] = std::current_exception();
                workers[i]->abandon();
            }
        });
    watch(workers, config, timed);
    for (auto& t : pool) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace

engine_result run(const engine_config& config, const sdk::scenario& scenario, const sdk::target& target,
                  const sdk::load_plan& plan) {
    check_plan(scenario, plan);
    const tcp::endpoint endpoint = resolve(config);
    std::signal(SIGPIPE, SIG_IGN);  // a peer that closes must be an error count, not a dead process
    raise_descriptor_limit(plan);

    const auto sources = source_endpoints(config);
    const timed_plan timed(plan, config.start_at.value_or(clock_type::now()));
    // A worker has at least one connection to drive, or it is only a thread to start and join.
    const unsigned threads = std::clamp(config.threads, 1u, std::max(1u, timed.most_connections()));
    std::vector<std::unique_ptr<worker>> workers;
    for (unsigned i = 0; i < threads; ++i)
        workers.push_back(std::make_unique<worker>(i, config, scenario, target, endpoint, sources, timed,
                                                   slice{config.shard.index * threads + i, config.shard.count * threads},
                                                   plan.model == sdk::load_model::open));
    wait_for_start(config, timed.start());
    const auto lateness = clock_type::now() - timed.start();
    run_workers(workers, config, timed);
    const auto finished = clock_type::now();

    load_counts total;
    engine_result result;
    for (const auto& w : workers) {
        total.merge(w->counts_);
        result.worker_cpu_seconds.push_back(w->counts_.cpu_seconds);
    }
    result.measure_origin = timed.measured_begin();
    result.start_lateness = std::max(clock_type::duration::zero(), lateness);
    result.interrupted = config.interrupted && config.interrupted->load();
    result.slowest_answered_us = total.slowest_answer_us;
    const auto measured_us = static_cast<std::int64_t>(timed.measured_seconds_until(finished) * 1e6);
    result.silent_tail_us = std::max<std::int64_t>(0, measured_us - std::max<std::int64_t>(0, total.last_answer_at_us));
    result.failed_in_silent_tail = total.last_error_at_us > total.last_answer_at_us;
    result.failures = total.failures;
    if (total.upgrade_refused_status) {
        result.upgrade_refused_status = total.upgrade_refused_status;
        result.upgrade_refused_reason = total.upgrade_refused_reason;
    }
    result.measurement = measurement_of(total, timed, plan, finished, shard_part{config.shard, threads, timed.most_connections()});
    if (scenario.transport() == sdk::transport::http) result.measurement.requests_per_connection = config.requests_per_connection;
    copy_request_counts(total, scenario.request_labels(), result.measurement);
    return result;
}

}  // namespace shootout::core::engine
