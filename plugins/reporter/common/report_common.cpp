#include "report_common.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace shootout::reporters {

namespace fs = std::filesystem;

std::string file_name_from(const sdk::option_values& options, const std::string& key) {
    const auto& name = options.string(key);
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
        throw sdk::config_error(key, "must be a plain file name inside the run directory, without '/'");
    return name;
}

void write_report_file(const fs::path& dir, const std::string& name, std::string_view text) {
    const fs::path path = dir / name;
    auto temporary = path;
    temporary += fmt::format(".tmp.{}", ::getpid());
    // A failure names the file asked for and removes the temporary; the file as it was before
    // (a result written earlier) stays whole, since only a complete temporary replaces it.
    auto fail = [&](const std::string& why) {
        ::unlink(temporary.c_str());
        throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), why));
    };
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(std::strerror(errno));
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            fail(std::strerror(error));
        }
        done += static_cast<std::size_t>(n);
    }
    // close() reports what the file system could not store (a full disk on NFS, say).
    if (::close(fd) != 0) fail(std::strerror(errno));
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
}

std::string rate_text(double req_s) { return req_s >= 100 ? fmt::format("{:.0f}", req_s) : fmt::format("{:.1f}", req_s); }
std::string ms_text(std::int64_t us) { return fmt::format("{:.2f}", static_cast<double>(us) / 1000.0); }
std::string percent_text(double fraction) { return fmt::format("{:.2f} %", 100 * fraction); }
std::string optional_text(const std::optional<double>& v, int decimals) {
    return v ? fmt::format("{:.{}f}", *v, decimals) : "-";
}

std::string rate_with_interval(const sdk::stats::group& g) {
    if (g.rate.interval95)
        return fmt::format("{} ({}–{})", rate_text(g.rate.median), rate_text(std::max(0.0, g.rate.interval95->low)),
                           rate_text(g.rate.interval95->high));
    return fmt::format("{} (1 run: no interval)", rate_text(g.rate.median));
}

std::string error_classes_text(const sdk::error_counts& e) {
    std::string s;
    auto add = [&](const char* name, std::uint64_t n) {
        if (n) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", name, n);
    };
    add("connect", e.connect);
    add("read", e.read);
    add("write", e.write);
    add("timeout", e.timeout);
    add("status", e.status);
    add("verify", e.verify);
    return s;
}

std::string errors_text(const sdk::stats::group& g) {
    if (!g.errors.total()) return "0";
    return fmt::format("{} ({}: {})", g.errors.total(), percent_text(g.error_rate), error_classes_text(g.errors));
}

std::string search_text(const sdk::search_result& s) {
    const auto bounds = fmt::format("p99 ≤ {} ms and errors ≤ {}", ms_text(s.max_p99_us), percent_text(s.max_error_rate));
    if (s.found_rate <= 0) return fmt::format("no rate held {} ({} probes): {}", bounds, s.probes.size(), s.ended);
    return fmt::format("found {} req/s with {} (resolution {} req/s, {} probes): {}", rate_text(s.found_rate), bounds,
                       rate_text(s.resolution), s.probes.size(), s.ended);
}

std::string verdict_text(sdk::stats::verdict v) {
    switch (v) {
        case sdk::stats::verdict::ranked: return "ranked";
        case sdk::stats::verdict::failed: return "failed";
        case sdk::stats::verdict::skipped: return "skipped";
        case sdk::stats::verdict::not_supported: return "not supported";
    }
    return "?";
}

std::vector<unranked_entry> unranked_entries(const sdk::stats::summary& summary) {
    std::vector<unranked_entry> entries;
    std::map<std::string, std::size_t> groups_of;
    for (const auto& g : summary.groups) {
        ++groups_of[g.framework];
        if (g.verdict == sdk::stats::verdict::ranked) continue;
        auto same = std::find_if(entries.begin(), entries.end(), [&](const unranked_entry& e) {
            return e.framework == g.framework && e.verdict == g.verdict && e.reason == g.reason;
        });
        if (same == entries.end()) same = entries.insert(entries.end(), {g.framework, g.verdict, g.reason, {}, false});
        same->where.push_back(g.scenario + " / " + g.pattern);
    }
    for (auto& e : entries) e.everywhere = e.where.size() > 1 && e.where.size() == groups_of[e.framework];
    return entries;
}

std::string unranked_scope(const unranked_entry& e) {
    if (e.everywhere) return fmt::format("all {} scenario / pattern pairs", e.where.size());
    return fmt::format("{}", fmt::join(e.where, ", "));
}

std::vector<threshold_failure> threshold_failures(const sdk::stats::summary& summary) {
    std::vector<threshold_failure> failures;
    for (const auto& g : summary.groups)
        for (const auto& c : g.thresholds)
            if (!c.passed) failures.push_back({&g, c.text});
    return failures;
}

std::size_t threshold_checks(const sdk::stats::summary& summary) {
    std::size_t checks = 0;
    for (const auto& g : summary.groups) checks += g.thresholds.size();
    return checks;
}

std::string thresholds_heading(const sdk::stats::summary& summary) {
    if (summary.criteria.thresholds.empty()) return "";
    const auto checks = threshold_checks(summary);
    const auto failed = threshold_failures(summary).size();
    if (failed) return fmt::format("Thresholds failed ({} of {} checks):", failed, checks);
    if (checks == 0) return "Thresholds: none judged, since nothing they apply to was measured.";
    return fmt::format("Thresholds: all {} checks passed.", checks);
}

std::string html_escape(std::string_view s) {
    std::string r;
    r.reserve(s.size());
    for (char c : s) switch (c) {
            case '&': r += "&amp;"; break;
            case '<': r += "&lt;"; break;
            case '>': r += "&gt;"; break;
            case '"': r += "&quot;"; break;
            case '\'': r += "&#39;"; break;
            default: r += c;
        }
    return r;
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
    std::string r = "\"";
    for (char c : s) {
        if (c == '"') r += '"';
        r += c;
    }
    return r + '"';
}

std::string md_cell(std::string_view s) {
    std::string r;
    for (char c : s) switch (c) {
            case '|': r += "\\|"; break;
            case '\n': r += ' '; break;
            case '\r': break;
            case '<': r += "&lt;"; break;  // no HTML from a server or manifest reaches a renderer
            case '&': r += "&amp;"; break;
            default: r += c;
        }
    return r;
}

methodology methodology_of(const sdk::result_set& results, const sdk::stats::summary& summary) {
    methodology f;
    auto add_unique = [](std::vector<std::string>& v, const std::string& s) {
        if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
    };
    std::map<std::string, std::size_t> pattern_index;
    f.interleaved = true;
    std::map<std::string, unsigned> highest_run_seen;  // per framework
    unsigned highest_any = 0;
    for (const auto& m : results.measurements) {
        ++f.measurements;
        add_unique(f.frameworks, m.framework);
        add_unique(f.scenarios, m.scenario);
        auto [it, inserted] = pattern_index.try_emplace(m.pattern, f.patterns.size());
        if (inserted) f.patterns.push_back({m.pattern, {}, 0, false});
        auto& p = f.patterns[it->second];
        // Interleaved: no measurement comes after a later run of any framework has started.
        if (m.run < highest_any) f.interleaved = false;
        highest_any = std::max(highest_any, m.run);
        highest_run_seen[m.framework] = std::max(highest_run_seen[m.framework], m.run);
        if (m.outcome != sdk::outcome::measured) continue;
        ++f.measured;
        if (p.phases.empty())
            for (const auto& phase : m.phases) p.phases.emplace_back(phase.name, phase.seconds);
        p.connections_asked = std::max(p.connections_asked, m.connections_asked);
        if (m.planned_rate > 0 || m.latency_uncorrected_us) p.open_model = true;
        if (f.server_cpus.empty()) f.server_cpus = m.placement.server_cpus;
        if (f.generator_cpus.empty()) f.generator_cpus = m.placement.generator_cpus;
        auto mode = std::find_if(f.connection_modes.begin(), f.connection_modes.end(),
                                 [&](const auto& entry) { return entry.first == m.requests_per_connection; });
        if (mode == f.connection_modes.end()) mode = f.connection_modes.insert(mode, {m.requests_per_connection, {}});
        add_unique(mode->second, m.scenario);
    }
    f.runs = summary.max_runs;
    if (f.runs < 2) f.interleaved = false;
    return f;
}

std::vector<std::pair<std::string, std::string>> methodology_lines(const sdk::result_set& results,
                                                                   const sdk::stats::summary& summary,
                                                                   const methodology& facts) {
    const auto& env = results.environment;
    std::vector<std::pair<std::string, std::string>> lines;
    lines.emplace_back("What ran", fmt::format("{} measurement(s), {} of them measured: frameworks {}; scenarios {}.",
                                               facts.measurements, facts.measured, fmt::join(facts.frameworks, ", "),
                                               fmt::join(facts.scenarios, ", ")));
    for (const auto& p : facts.patterns) {
        std::string phases;
        for (const auto& [name, seconds] : p.phases) phases += fmt::format("{}{} {:.1f} s", phases.empty() ? "" : ", ", name, seconds);
        lines.emplace_back("Pattern " + p.name,
                           fmt::format("{} model, up to {} connection(s); measured phases: {}.",
                                       p.open_model ? "open (constant rate; latency corrected for coordinated omission)" : "closed",
                                       p.connections_asked, phases.empty() ? "none measured" : phases));
    }
    // Only when some measurement did not keep its connections alive (the default, and what the
    // goldens show), so that keep-alive reports stay as they were.
    if (std::any_of(facts.connection_modes.begin(), facts.connection_modes.end(), [](const auto& e) { return e.first != 0; })) {
        std::string modes;
        for (const auto& [requests, scenarios] : facts.connection_modes)
            modes += fmt::format("{}{} ({})", modes.empty() ? "" : "; ", sdk::connection_mode_text(requests), fmt::join(scenarios, ", "));
        lines.emplace_back("Connections",
                           fmt::format("{}. The client closes a connection after its last request (which says "
                                       "Connection: close) whatever the server answers; connect time is kept apart "
                                       "(connect_us), and a request's latency starts when it is sent on an established "
                                       "connection, or in the open model at its planned time, so there it includes any "
                                       "connect it waited for.",
                                       modes));
    }
    lines.emplace_back("Runs", fmt::format("{} per framework, scenario and pattern{}.", facts.runs,
                                           facts.runs < 2 ? " (one run: no interval can be given, and noise cannot be judged)"
                                           : facts.interleaved
                                               ? ", interleaved (run 1 of every framework, then run 2, ...) to spread drift over all frameworks"
                                               : ", one framework's runs back to back (not interleaved)"));
    lines.emplace_back("Machine", fmt::format("{}, {} cores, {}, host {}.{}", env.cpu_model, env.cores, env.kernel, env.hostname,
                                              facts.server_cpus.empty() && facts.generator_cpus.empty()
                                                  ? ""
                                                  : fmt::format(" Servers pinned to CPU {}, the generator to CPU {}.",
                                                                facts.server_cpus.empty() ? "-" : facts.server_cpus,
                                                                facts.generator_cpus.empty() ? "-" : facts.generator_cpus)));
    lines.emplace_back("Software", fmt::format("shootout {} ({} build); manifest {} (SHA-256 {}); measured from {} to {}.",
                                               env.shootout_version, env.build_type, env.manifest_path, env.manifest_sha256,
                                               env.started_at, env.finished_at));
    if (!env.framework_versions.empty()) {
        std::string versions;
        for (const auto& [fw, v] : env.framework_versions) versions += fmt::format("{}{}: {}", versions.empty() ? "" : "; ", fw, v);
        lines.emplace_back("Framework versions", versions + ".");
    }
    if (!summary.criteria.thresholds.empty()) {
        std::vector<std::size_t> checks(summary.criteria.thresholds.size(), 0), failed(checks.size(), 0);
        for (const auto& g : summary.groups)
            for (const auto& c : g.thresholds) {
                ++checks[c.threshold_index];
                if (!c.passed) ++failed[c.threshold_index];
            }
        std::string each;
        for (std::size_t i = 0; i < checks.size(); ++i)
            each += fmt::format("{}{}: {}", i ? "; " : "", summary.criteria.thresholds[i].text(),
                                checks[i] == 0 ? std::string("judged nothing")
                                               : fmt::format("{} check(s), {} failed", checks[i], failed[i]));
        lines.emplace_back("Thresholds",
                           fmt::format("{}. Each is judged on a framework, scenario and pattern over all its runs: latency "
                                       "percentiles, mean and max from the merged histogram (corrected for coordinated "
                                       "omission under the open model, as the ranking), rps the median req/s of the runs, "
                                       "error_rate errors / (completed + errors). A failed threshold fails the run; the "
                                       "ranking stays as measured.",
                                       each));
    }
    lines.emplace_back(
        "Statistics",
        fmt::format("req/s is the median of the runs; the interval is Student's t 95 % interval for the mean of the runs. "
                    "Neighbours in the order whose intervals overlap are ties (≈). A result is noisy when the coefficient "
                    "of variation of its runs' req/s is above {0:.0f} %. Latency percentiles come from the merged histograms "
                    "of all runs (HdrHistogram, 3 significant digits), with the range of the runs' p99. A result is failed, "
                    "and not ranked, when a run failed its correctness check or stopped being answered, when its error "
                    "rate (errors / (completed + errors), with status, content type and length checked on every "
                    "response) is above {1}, or when the share of wrong bodies among those judged (a sample) is above "
                    "{1}. CPU % is the server's mean over the measured time, RSS its peak; for a "
                    "local server, RSS is summed over its processes, so pages a pre-fork master shares with its "
                    "workers count once per process (a container's memory counts them once).",
                    100 * summary.criteria.noisy_cv, percent_text(summary.criteria.max_error_rate)));
    return lines;
}

std::string framework_colour(std::size_t index) {
    // Distinguishable on white and for common colour-vision deficiencies (Okabe–Ito).
    static constexpr std::array<const char*, 8> palette{"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                        "#56B4E9", "#D55E00", "#F0E442", "#000000"};
    return palette[index % palette.size()];
}

}  // namespace shootout::reporters
