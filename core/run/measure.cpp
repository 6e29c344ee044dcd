// One measurement: prepare the scenario, check correctness, then the load under its plan while
// the server is watched, then the verdict.
#include <algorithm>
#include <cmath>
#include <optional>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "observe/docker_stats.h"
#include "observe/folded_stacks.h"
#include "observe/process_tree.h"
#include "observe/profile_window.h"
#include "printable.h"
#include "run/console.h"
#include "run/correctness.h"
#include "run/judge.h"
#include "runner.h"

namespace shootout::core {
namespace {

using clock_type = std::chrono::steady_clock;

// The plan must be something the engine can carry out; say what is wrong otherwise.
std::optional<std::string> plan_problem(const sdk::load_plan& plan) {
    bool measured = false;
    for (const auto& phase : plan.phases) {
        if (phase.length < std::chrono::nanoseconds::zero()) return fmt::format("phase '{}' has a negative length", phase.name);
        if (phase.measured && phase.length > std::chrono::nanoseconds::zero()) measured = true;
        if (std::max(phase.connections_start, phase.connections_end) == 0)
            return fmt::format("phase '{}' asks for no connection at all", phase.name);
        if (plan.model == sdk::load_model::open &&
            (phase.rate_start < 0 || phase.rate_end < 0 || !std::isfinite(phase.rate_start) || !std::isfinite(phase.rate_end)))
            return fmt::format("phase '{}' has a negative or infinite rate", phase.name);
    }
    if (!measured) return "the plan has no measured phase of non-zero length";
    return std::nullopt;
}

// Host (without brackets) and port from a target's Host header value.
std::pair<std::string, std::uint16_t> host_and_port(const sdk::target& target) {
    std::string host = target.host_header;
    std::uint16_t port = 80;
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.back() != ']') {
        port = static_cast<std::uint16_t>(std::stoi(host.substr(colon + 1)));
        host.resize(colon);
    }
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    return {host, port};
}

// Where the measured phases lie from the plan's start: the unmeasured lead, then the end of the
// last measured phase.
std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds> measured_span(const sdk::load_plan& plan) {
    auto lead = std::chrono::nanoseconds::zero(), end = std::chrono::nanoseconds::zero(), at = lead;
    bool seen_measured = false;
    for (const auto& phase : plan.phases) {
        if (!phase.measured && !seen_measured) lead += phase.length;
        seen_measured = seen_measured || phase.measured;
        at += phase.length;
        if (phase.measured) end = at;
    }
    return {lead, end};
}

// What watches the server while the load runs: its resources once a second (sample_interval),
// on the load's clock (second 0 is the start of the first measured phase, as in the timeline),
// and its profile over the measured phases when asked. A local server's whole process tree is
// read from /proc; an external one's container from the Docker engine.
class load_observers {
public:
    /// `load_start`: when the plan's first phase begins (now, or a start time given from outside).
    load_observers(const measure_request& request, const std::string& label, clock_type::time_point load_start)
        : request_(request), label_(label) {
        const auto [lead, measured_end] = measured_span(request.plan);
        lead_ = lead;
        origin_ = load_start + std::chrono::duration_cast<clock_type::duration>(lead);
        const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(request.engine.sample_interval);
        if (request.server_pid > 0) {
            tree_.emplace(request.server_pid, interval, origin_);
        } else if (!request.container.empty()) {
            try {
                container_.emplace(observe::docker_socket_path(), request.container, interval, origin_);
                if (auto problem = container_->problem()) {
                    warnings_.push_back(fmt::format("server resources not sampled: {}", *problem));
                    container_.reset();
                }
            } catch (const observe::docker_error& e) {
                warnings_.push_back(fmt::format("server resources not sampled: {}", e.what()));
            }
            if (!warnings_.empty()) spdlog::warn("{}: {}", label_, warnings_.back());
        }
        // The samplers' start-up (a Docker engine call, say) took time: the load starts now, and
        // the profiler's window is taken from here.
        const auto engine_start = std::max(load_start, clock_type::now());
        if (request.profile)
            profiler_.emplace(*request.profile, engine_start + std::chrono::duration_cast<clock_type::duration>(lead),
                              engine_start + std::chrono::duration_cast<clock_type::duration>(measured_end));
    }

    /// After the load: what was observed goes into `m`, its samples re-based on the engine's own
    /// origin so that their seconds line up with the timeline's.
    void finish(sdk::measurement& m, clock_type::time_point measure_origin) {
        if (tree_) m.server_resources = tree_->finish();
        if (container_) {
            m.server_resources = container_->finish();
            if (auto problem = container_->problem())
                warnings_.push_back(fmt::format("server resources sampled only until: {}", *problem));
        }
        const double shift = std::chrono::duration<double>(origin_ - measure_origin).count();
        for (auto& sample : m.server_resources) sample.second += shift;
        if (profiler_) save_profile(m);
        for (auto& w : warnings_) m.warnings.push_back(std::move(w));
    }

private:
    void save_profile(sdk::measurement& m) {
        auto captured = profiler_->finish();
        const char* name = observe::profiler_name(request_.profile->kind);
        for (auto& w : captured.warnings) warnings_.push_back(std::move(w));
        const auto samples = observe::total_samples(captured.stacks);
        if (samples == 0) {
            warnings_.push_back(fmt::format("profile: {} captured no sample of the server", name));
            return;
        }
        try {
            std::filesystem::create_directories(request_.profile_output.parent_path());
            observe::write_folded(request_.profile_output, captured.stacks);
            m.profile = sdk::profile_info{name, request_.profile_relative, samples};
            spdlog::info("{}: {} samples from {} in {}", label_, samples, name, request_.profile_output.string());
        } catch (const std::exception& e) {
            warnings_.push_back(fmt::format("profile: could not save the stacks: {}", e.what()));
        }
    }

    const measure_request& request_;
    std::string label_;
    std::chrono::nanoseconds lead_{};
    clock_type::time_point origin_;
    std::optional<observe::tree_sampler> tree_;
    std::optional<observe::container_sampler> container_;
    std::optional<measured_phase_profiler> profiler_;
    std::vector<std::string> warnings_;
};

sdk::measurement named(const measure_request& request) {
    sdk::measurement m;
    m.framework = request.target.framework;
    m.scenario = request.scenario_name;
    m.pattern = request.pattern_name;
    m.run = request.run;
    return m;
}

// What a shard's raw result says of it: which shard, of what plan, where and when its measured
// window began by the wall clock (`measure_origin`, read against the monotonic clock just now).
sdk::shard_info shard_of(const measure_request& request, const engine::engine_config& config,
                         clock_type::time_point measure_origin) {
    sdk::shard_info s;
    s.index = request.shard->index;
    s.count = request.shard->count;
    s.plan_sha256 = distributed::plan_sha256({.plan = &request.plan,
                                              .scenario = request.scenario_name,
                                              .pattern = request.pattern_name,
                                              .target = request.target.base_url,
                                              .threads = config.threads,
                                              .requests_per_connection = config.requests_per_connection,
                                              .shard_count = request.shard->count});
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) s.hostname = host;
    s.pid = static_cast<std::uint32_t>(::getpid());
    s.start_at = request.start_at_text;
    const auto wall_now = std::chrono::system_clock::now();
    const auto origin = wall_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(measure_origin - clock_type::now());
    s.window_start_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(origin.time_since_epoch()).count();
    s.source_address = fmt::format("{}", fmt::join(request.source_addresses, ","));
    return s;
}

sdk::measurement measure_unguarded(const measure_request& request) {
    sdk::measurement m = named(request);
    const std::string label = fmt::format("{} / {} / {} run {}", m.framework, m.scenario, m.pattern, m.run);
    auto fail = [&](std::string reason) {
        m.outcome = sdk::outcome::failed;
        m.reason = std::move(reason);
        return m;
    };
    if (auto problem = plan_problem(request.plan)) return fail(fmt::format("pattern '{}': {}", request.pattern_name, *problem));
    try {
        request.scenario->prepare(request.target);
    } catch (const std::exception& e) {
        return fail(fmt::format("scenario '{}' could not prepare: {}", request.scenario_name, e.what()));
    }

    const auto& settings = request.engine;
    engine::engine_config config;
    std::tie(config.host, config.port) = host_and_port(request.target);
    config.connect_timeout = settings.connect_timeout;
    config.request_timeout = settings.request_timeout;
    config.requests_per_connection = settings.requests_per_connection;  // the correctness check's too
    config.seed = settings.seed + request.run;
    config.interrupted = request.interrupted;
    config.source_addresses = request.source_addresses;  // the check's connections too: a shard is one address

    // Correctness first: a framework that answers wrongly is reported as failed, never measured.
    // Under a distributed load the first shard checks, once, for all; an SLO search's probes
    // after its first do not check again.
    const bool checks = request.check_correctness && (!request.shard || request.shard->index == 0);
    const auto checked = checks ? check_correctness(config, settings, *request.scenario, request.target, label) : correctness_verdict{};
    if (checked.outcome != sdk::outcome::measured) {
        m.outcome = checked.outcome;
        m.reason = checked.reason;
        return m;
    }

    config.threads = settings.threads ? settings.threads : engine::default_threads();
    config.role = sdk::session_role::load;
    config.verify_sample = settings.verify_sample;
    std::optional<progress_printer> progress;
    if (request.show_progress) {
        progress.emplace(label, request.overall);
        config.progress = [&progress](double e, double t, const std::string& p, std::uint64_t c, std::uint64_t err,
                                      std::uint32_t o) { (*progress)(e, t, p, c, err, o); };
    }
    if (request.shard) config.shard = {request.shard->index, request.shard->count};
    if (request.start_at) config.start_at = distributed::steady_of(*request.start_at);
    if (request.synchronise) {
        const auto start = request.synchronise(true);
        if (!start) return fail("another shard could not start its load, so none did");
        config.start_at = distributed::steady_of(*start);
    }
    load_observers observers(request, fmt::format("{} / {}", m.framework, m.scenario),
                             config.start_at.value_or(clock_type::now()));
    if (config.start_at) distributed::refuse_if_late(*config.start_at, clock_type::now(), request.shard, request.start_at_text);
    engine::engine_result result;
    try {
        result = engine::run(config, *request.scenario, request.target, request.plan);
    } catch (const std::exception& e) {
        return fail(fmt::format("load could not run: {}", e.what()));
    }
    observers.finish(result.measurement, result.measure_origin);
    // The window began when the plan said, or as late as the workers were started.
    if (request.shard)
        result.measurement.shard = shard_of(request, config, result.measure_origin + result.start_lateness);
    progress.reset();

    auto measured = std::move(result.measurement);
    measured.framework = m.framework;
    measured.scenario = m.scenario;
    measured.pattern = m.pattern;
    measured.run = m.run;
    measured.outcome = sdk::outcome::measured;
    measured.answered_2xx_all_phases += checked.answered_2xx;
    measured.in_flight_at_end += checked.in_flight_at_end;
    judge(measured, {.worker_cpu_seconds = result.worker_cpu_seconds,
                     .failures = result.failures,
                     .slowest_answered_us = result.slowest_answered_us,
                     .silent_tail_us = result.silent_tail_us,
                     .failed_in_silent_tail = result.failed_in_silent_tail,
                     .interrupted = result.interrupted,
                     .open_model = request.plan.model == sdk::load_model::open,
                     .request_timeout = config.request_timeout});
    return measured;
}

}  // namespace

sdk::target target_of(const framework_entry& fw) {
    sdk::target t;
    t.framework = fw.name;
    t.base_url = fw.url;
    t.host_header = fw.port == 80 ? fw.host : fmt::format("{}:{}", fw.host, fw.port);
    t.path_prefix = fw.path_prefix;
    return t;
}

std::optional<sdk::load_plan> plan_of(const sdk::load_pattern& pattern, const std::string& name, std::string& problem) {
    try {
        return pattern.plan();
    } catch (const std::exception& e) {
        problem = fmt::format("pattern '{}' could not make a plan: {}", name, e.what());
        return std::nullopt;
    }
}

sdk::measurement failed_measurement(const measure_request& request, std::string reason) {
    auto m = named(request);
    m.outcome = sdk::outcome::failed;
    m.reason = std::move(reason);
    make_printable(m);
    return m;
}

sdk::measurement measure(const measure_request& request) {
    sdk::measurement m;
    try {
        m = measure_unguarded(request);
    } catch (const distributed::late_start&) {
        throw;  // not this measurement's failure: the shard refuses to run at all
    } catch (const std::exception& e) {
        // A bug or a resource running out, not the server: this measurement fails, the run goes on.
        m = named(request);
        m.outcome = sdk::outcome::failed;
        m.reason = fmt::format("the measurement could not be made: {}", e.what());
    }
    // What the server sent is in the reason and warnings now: from here on it is printed and saved.
    make_printable(m);
    return m;
}

}  // namespace shootout::core
