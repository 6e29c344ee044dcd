#include "result_fixture.h"

#include <tuple>
#include <utility>

namespace shootout::test {

// Deterministic latencies around `median_us` with a long tail (no randomness, so the fixture is stable).
sdk::histogram latencies(std::int64_t median_us, std::uint64_t n, std::uint32_t seed) {
    sdk::histogram h;
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::uint64_t i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        const double u = static_cast<double>(x >> 8) / static_cast<double>(1u << 24);
        const double factor = u < 0.5 ? 0.6 + 0.8 * u : u < 0.99 ? 1.0 + (u - 0.5) * 2 : 2 + (u - 0.99) * 800;
        h.record(static_cast<std::int64_t>(static_cast<double>(median_us) * factor));
    }
    return h;
}

sdk::environment fixture_environment() {
    sdk::environment e;
    e.shootout_version = "0.1.0";
    e.build_type = "Release";
    e.cpu_model = "Example CPU @ 3.00GHz";
    e.cores = 2;
    e.kernel = "Linux 6.1.0-example";
    e.hostname = "bench-host";
    e.manifest_path = "shootout.toml";
    e.manifest_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    e.started_at = "2026-01-02T03:04:05Z";
    return e;
}

sdk::measurement measured(const std::string& fw, const std::string& scenario, const std::string& pattern, unsigned run,
                          double rate, std::int64_t median_us, std::uint32_t seed) {
    sdk::measurement m;
    m.framework = fw;
    m.scenario = scenario;
    m.pattern = pattern;
    m.run = run;
    m.seconds = 10;
    m.completed = static_cast<std::uint64_t>(rate * m.seconds);
    m.rate = static_cast<double>(m.completed) / m.seconds;
    m.verified = m.completed / 100;
    m.latency_us = latencies(median_us, 1000, seed);
    m.connections_asked = m.connections_established = 50;
    m.bytes_sent = m.completed * 80;
    m.bytes_received = m.completed * 150;
    for (int s = 0; s < 10; ++s) {
        sdk::timeline_point t;
        t.second = s;
        t.completed = m.completed / 10 + static_cast<std::uint64_t>((s * 37 + seed) % 50);
        t.p50_us = median_us;
        t.p99_us = median_us * 2 + (s * 13 + seed) % 300;
        t.open_connections = t.planned_connections = 50;
        m.timeline.push_back(t);
        m.server_resources.push_back({s + 1.0, 90.0 + (s * 7 + seed) % 9, (60u + (seed + s) % 5) * 1048576u});
    }
    sdk::phase_result measure;
    measure.name = "measure";
    measure.seconds = m.seconds;
    measure.completed = m.completed;
    measure.latency_us = m.latency_us;
    measure.connections_planned = measure.connections_open = 50;
    m.phases.push_back(measure);
    m.generator_cpu_seconds = 4.5;
    m.answered_2xx_all_phases = m.completed + 100;
    m.placement = {"1", "0"};
    return m;
}

sdk::measurement not_measured(const std::string& fw, const std::string& scenario, const std::string& pattern, unsigned run,
                              sdk::outcome outcome, const std::string& reason) {
    sdk::measurement m;
    m.framework = fw;
    m.scenario = scenario;
    m.pattern = pattern;
    m.run = run;
    m.outcome = outcome;
    m.reason = reason;
    return m;
}

// The fixture: a tie (fastapi ≈ sanic), a clear order (> tornado), a noisy framework (flask),
// one that failed verification in one run (django), one not installed (aquilia), one over the
// error threshold (flask, upload), one not supported (flask, ws-echo), single-run patterns
// (spike with stages; constant-rate with open-model figures), a warning and a profile.
std::vector<sdk::measurement> make_fixture() {
    std::vector<sdk::measurement> all;
    const double fastapi[] = {10000, 10100, 9950}, sanic[] = {10050, 9900, 10150}, tornado[] = {6000, 6050, 5980},
                 flask[] = {3000, 3300, 2900}, django[] = {3000, 0, 3050};
    for (unsigned run = 1; run <= 3; ++run) {  // interleaved, as a run does by default
        auto f = measured("fastapi", "ping", "steady", run, fastapi[run - 1], 4200, run);
        if (run == 1) f.profile = sdk::profile_info{"python-sampler", "profiles/fastapi__ping__steady__run1.folded", 4000};
        all.push_back(f);
        all.push_back(measured("fastapi", "upload", "steady", run, 800 + run, 60000, 10 + run));
        all.push_back(not_measured("fastapi", "ws-echo", "steady", run, sdk::outcome::skipped, "the run was interrupted"));
        all.push_back(measured("sanic", "ping", "steady", run, sanic[run - 1], 4100, 20 + run));
        all.push_back(measured("sanic", "upload", "steady", run, 790 + run, 61000, 30 + run));
        all.push_back(not_measured("sanic", "ws-echo", "steady", run, sdk::outcome::skipped, "the run was interrupted"));
        auto t = measured("tornado", "ping", "steady", run, tornado[run - 1], 7800, 40 + run);
        if (run == 2)
            t.warnings.push_back("generator-bound: worker 0 was busy 97 % of the measured time, so the generator may "
                                 "have set the pace; give it more threads or CPUs");
        all.push_back(t);
        all.push_back(measured("tornado", "upload", "steady", run, 500 + run, 95000, 50 + run));
        all.push_back(not_measured("tornado", "ws-echo", "steady", run, sdk::outcome::skipped, "the run was interrupted"));
        all.push_back(measured("flask", "ping", "steady", run, flask[run - 1], 11000, 60 + run));
        auto upload = measured("flask", "upload", "steady", run, 300, 150000, 70 + run);
        upload.errors.status = 5 * run;
        upload.errors.timeout = 1;
        all.push_back(upload);
        all.push_back(not_measured("flask", "ws-echo", "steady", run, sdk::outcome::not_supported,
                                   "flask has no WebSocket support (websocket = false in the manifest)"));
        if (run == 2)
            all.push_back(not_measured("django", "ping", "steady", run, sdk::outcome::failed,
                                       "correctness check failed: GET /ping: body \"<html><script>alert(1)</script>\" is not "
                                       "'pong' | status 200"));
        else
            all.push_back(measured("django", "ping", "steady", run, django[run - 1], 14000, 80 + run));
        all.push_back(not_measured("aquilia", "ping", "steady", run, sdk::outcome::skipped,
                                   "aquilia is not installed here (`/usr/bin/python3 -c import aquilia` failed: "
                                   "ModuleNotFoundError: No module named 'aquilia'); measure it with docker compose"));
        if (run > 1) continue;
        // One run of a spike: stages, and connections that change every second.
        for (const auto& [fw, base] : {std::pair<std::string, double>{"fastapi", 9000}, {"tornado", 5200}}) {
            auto m = measured(fw, "ping", "spike", 1, base, fw == "fastapi" ? 9000 : 15000, fw == "fastapi" ? 91 : 92);
            m.phases.clear();
            m.timeline.clear();
            const std::tuple<const char*, double, std::uint32_t, double> stages[] = {
                {"ramp", 4, 500, 0.9}, {"hold", 6, 500, 1.0}, {"cooldown", 3, 10, 0.7}};
            double second = 0;
            for (const auto& [name, seconds, connections, share] : stages) {
                sdk::phase_result p;
                p.name = name;
                p.seconds = seconds;
                p.completed = static_cast<std::uint64_t>(base * share * seconds);
                p.latency_us = latencies(fw == "fastapi" ? static_cast<std::int64_t>(9000 * share) : static_cast<std::int64_t>(15000 * share), 1000, static_cast<std::uint32_t>(seconds));
                p.connections_planned = p.connections_open = connections;
                m.phases.push_back(p);
                for (int s = 0; s < static_cast<int>(seconds); ++s, ++second) {
                    sdk::timeline_point t;
                    t.second = second;
                    t.completed = static_cast<std::uint64_t>(base * share);
                    t.p50_us = static_cast<std::int64_t>(9000 * share);
                    t.p99_us = static_cast<std::int64_t>(30000 * share);
                    t.planned_connections = std::string(name) == "ramp" ? static_cast<std::uint32_t>(10 + 122 * (s + 1))
                                            : std::string(name) == "hold" ? 500u
                                                                           : static_cast<std::uint32_t>(500 - 163 * (s + 1));
                    t.open_connections = t.planned_connections;
                    m.timeline.push_back(t);
                }
            }
            m.seconds = 13;
            m.completed = 0;
            for (const auto& p : m.phases) m.completed += p.completed;
            m.rate = static_cast<double>(m.completed) / m.seconds;
            m.connections_asked = 500;
            all.push_back(m);
        }
        // One run of an open-model pattern: corrected and uncorrected latency, planned and achieved rate.
        for (const auto& [fw, achieved] : {std::pair<std::string, double>{"fastapi", 1995}, {"tornado", 1890}}) {
            auto m = measured(fw, "json", "constant-rate", 1, achieved, fw == "fastapi" ? 3000 : 9000, fw == "fastapi" ? 95 : 96);
            m.latency_uncorrected_us = latencies(fw == "fastapi" ? 2500 : 5000, 3000, 97);
            m.planned_rate = 2000;
            m.achieved_rate = achieved;
            m.late_requests = fw == "fastapi" ? 12 : 1400;
            for (auto& t : m.timeline) t.planned_rate = 2000;
            all.push_back(m);
        }
    }
    return all;
}

}  // namespace shootout::test
