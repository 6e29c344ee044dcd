#include "report.h"

#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "errors.h"
#include "manifest.h"
#include "stats/summarize.h"

namespace shootout::core {

namespace fs = std::filesystem;

fs::path raw_results_dir(const fs::path& results, std::string_view given_as) {
    std::error_code ec;
    if (!fs::is_directory(results, ec))
        throw config_error(fmt::format("{} {}: {}; give a run directory such as results/latest", given_as, results.string(),
                                       fs::exists(results, ec) ? "a file, not a directory" : "no such directory"));
    auto has_json = [](const fs::path& dir) {
        std::error_code e;
        for (const auto& entry : fs::directory_iterator(dir, e))
            if (entry.path().extension() == ".json") return true;
        return false;
    };
    if (fs::is_directory(results / "raw", ec) && has_json(results / "raw")) return results / "raw";
    if (results.filename() == "raw" && has_json(results)) return results;
    throw config_error(fmt::format("{} {}: no raw results here (expected {}/raw/*.json, which a manifest run "
                                   "writes); give a run directory such as results/latest",
                                   given_as, results.string(), results.string()));
}

bool finish_reporters(const std::vector<std::unique_ptr<sdk::reporter>>& reporters,
                      const std::vector<std::string>& names, const sdk::result_set& results,
                      const sdk::stats::criteria& criteria) {
    const auto summary = stats::summarize(results, criteria);
    const sdk::report_input input{results, summary};
    bool ok = true;
    for (std::size_t i = 0; i < reporters.size(); ++i) {
        try {
            reporters[i]->finish(input);
        } catch (const std::exception& e) {
            spdlog::error("reporter '{}' failed: {}", names[i], e.what());
            ok = false;
        }
    }
    return ok;
}

int run_report(const report_options& options, const std::vector<search_dir>& plugin_dirs, std::ostream& out,
               std::ostream& err) {
    const fs::path raw_dir = raw_results_dir(options.results);
    const fs::path output = options.output.empty() ? raw_dir.parent_path() : options.output;

    // The reporters: a manifest's entries (with their options), or plugins by id with their defaults.
    plugin_host host;
    std::vector<std::unique_ptr<sdk::reporter>> reporters;
    std::vector<std::string> names;
    sdk::stats::criteria criteria;  // the manifest's [verdict], or the defaults
    if (!options.config.empty()) {
        manifest m = load_manifest(options.config, host, plugin_dirs);
        criteria = m.verdict.for_summary();
        for (const auto& wanted : options.reporters)
            if (std::none_of(m.reporters.begin(), m.reporters.end(), [&](const plugin_entry& e) { return e.name == wanted; })) {
                std::vector<std::string> listed;
                for (const auto& e : m.reporters) listed.push_back(e.name);
                throw config_error(fmt::format("--reporter {}: {} does not list it in reporters = [...] (it lists: {})", wanted,
                                               options.config, listed.empty() ? "none" : fmt::format("{}", fmt::join(listed, ", "))));
            }
        std::erase_if(m.reporters, [&](const plugin_entry& e) {
            return !options.reporters.empty() &&
                   std::find(options.reporters.begin(), options.reporters.end(), e.name) == options.reporters.end();
        });
        if (m.reporters.empty())
            throw config_error(fmt::format("{} names no reporter; give --reporter ID (available: {})", options.config,
                                           host.available(plugin_kind::reporter)));
        m.scenarios.clear();  // only the reporters are made
        m.patterns.clear();
        auto instances = instantiate(m, host);
        reporters = std::move(instances.reporters);
        for (const auto& e : m.reporters) names.push_back(e.name);
    } else {
        host.discover(plugin_dirs);
        for (const auto& p : host.problems()) spdlog::warn("{}", p.message);
        const auto& ids = options.reporters.empty() ? default_reporters : options.reporters;
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (std::find(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(i), ids[i]) != ids.begin() + static_cast<std::ptrdiff_t>(i))
                throw config_error(fmt::format("--reporter {}: given twice; each reporter writes its report once", ids[i]));
        for (const auto& id : ids) {
            const auto* info = host.find(plugin_kind::reporter, id);
            if (!info) throw config_error("--reporter " + id + ": " + host.unknown_plugin_message(plugin_kind::reporter, id));
            for (const auto& spec : info->options)
                if (!info->defaults.contains(spec.key))
                    throw config_error(fmt::format("--reporter {}: its option '{}' has no default; give a manifest that "
                                                   "sets it with --config",
                                                   id, spec.key));
            reporters.push_back(host.make_reporter(*info, info->defaults));
            names.push_back(id);
        }
    }

    auto loaded = load_raw_results(raw_dir);
    for (const auto& problem : loaded.problems) err << "warning: skipped " << problem << '\n';
    if (!loaded.duplicates.empty()) {
        // Which of the two is the measurement is not for shootout to guess.
        for (const auto& d : loaded.duplicates) err << "error: " << d << '\n';
        err << fmt::format("error: no report written: {} holds {} measurement(s) twice; keep one file of each\n",
                           raw_dir.string(), loaded.duplicates.size());
        return exit_run_failed;
    }
    if (loaded.results.measurements.empty())
        throw config_error(fmt::format("--results {}: none of the {} raw result file(s) could be read (see above)",
                                       options.results.string(), loaded.files));
    if (!loaded.problems.empty())
        err << fmt::format("warning: the reports leave out {} of {} raw result file(s) that could not be read\n",
                           loaded.problems.size(), loaded.files);

    // Profiles stay where the run wrote them: elsewhere, the reporters read them from there.
    const fs::path run_dir = raw_dir.parent_path();
    std::error_code ec;
    if (!fs::equivalent(output, run_dir, ec))
        for (auto& m : loaded.results.measurements)
            if (m.profile && fs::path(m.profile->folded_path).is_relative())
                m.profile->folded_path = (fs::absolute(run_dir) / m.profile->folded_path).string();
    ec.clear();
    fs::create_directories(output, ec);
    if (ec) throw config_error(fmt::format("--output {}: cannot create it: {}", output.string(), ec.message()));
    const sdk::report_context context{output, out, err};
    bool ok = true;
    for (std::size_t i = 0; i < reporters.size(); ++i) {
        try {
            reporters[i]->begin(context);
            for (const auto& m : loaded.results.measurements) reporters[i]->on_measurement(m);
        } catch (const std::exception& e) {
            spdlog::error("reporter '{}' failed: {}", names[i], e.what());
            ok = false;
        }
    }
    const bool reports_ok = finish_reporters(reporters, names, loaded.results, criteria);
    ok = reports_ok && ok;
    if (reports_ok)  // a reporter that failed said why; no claim that it wrote anything
        spdlog::info("{} reporter(s) ({}) wrote into {} from {} measurement(s)", reporters.size(), fmt::join(names, ", "),
                     output.string(), loaded.results.measurements.size());
    return ok && loaded.problems.empty() ? exit_ok : exit_run_failed;
}

}  // namespace shootout::core
