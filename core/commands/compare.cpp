// `shootout compare BASE NEW`: two runs' raw results side by side, judged by core/stats/compare,
// shown by compare_render; --fail-on turns a detected regression into exit 1 for CI.
#include <optional>
#include <ostream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "bounded_read.h"
#include "commands/commands.h"
#include "commands/compare_render.h"
#include "errors.h"
#include "files.h"
#include "report.h"
#include "stats/summarize.h"

namespace shootout::core {

namespace fs = std::filesystem;

namespace {

// One .json file given as a side, read on its own and refused whole if it cannot be read: a raw
// result, or what `shootout run --json` printed (whose "measurement" is one).
loaded_results load_raw_file(const char* side, const fs::path& file) {
    loaded_results loaded;
    loaded.files = 1;
    try {
        auto doc = boost::json::parse(read_bounded(file, raw_result_size_limit));
        if (const auto* o = doc.if_object(); o && o->contains("measurement") && o->if_contains("schema") &&
                                             o->at("schema") == "shootout.run")
            doc = o->at("measurement");
        auto r = measurement_from_json(doc);
        r.source = file.filename().string();
        std::vector<raw_result> one;
        one.push_back(std::move(r));
        loaded.results = assemble_results(std::move(one));
    } catch (const std::exception& e) {
        throw config_error(fmt::format("{} {}: not a raw result shootout can read: {}", side, file.string(), e.what()));
    }
    return loaded;
}

// A side's measurements, or a config_error; files that could not be read are named on `err`
// (as `shootout report` names them) and counted in `skipped`. Two files of one measurement are
// named and give nothing (exit 1, as `shootout report`): which one is the measurement is not
// for shootout to guess.
std::optional<sdk::result_set> load_side(const char* side, const fs::path& given, std::ostream& err, std::size_t& skipped) {
    std::error_code ec;
    if (fs::is_regular_file(given, ec) && given.extension() == ".json") return load_raw_file(side, given).results;
    const fs::path raw_dir = raw_results_dir(given, side);
    auto loaded = load_raw_results(raw_dir);
    for (const auto& problem : loaded.problems) err << "warning: " << side << ": skipped " << problem << '\n';
    if (!loaded.duplicates.empty()) {
        for (const auto& d : loaded.duplicates) err << "error: " << side << ": " << d << '\n';
        err << fmt::format("error: nothing compared: {} {} holds {} measurement(s) twice; keep one file of each\n", side,
                           raw_dir.string(), loaded.duplicates.size());
        return std::nullopt;
    }
    if (loaded.results.measurements.empty())
        throw config_error(fmt::format("{} {}: none of the {} raw result file(s) could be read (see above)", side,
                                       given.string(), loaded.files));
    skipped += loaded.problems.size();
    return std::move(loaded.results);
}

std::string keys_text(const sdk::stats::summary& s) {
    std::string text;
    for (const auto& g : s.groups) text += fmt::format("{}{} / {} / {}", text.empty() ? "" : ", ", g.framework, g.scenario, g.pattern);
    return text;
}

void write_outputs(const fs::path& dir, const compare_document& d) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw config_error(fmt::format("--output {}: cannot create it: {}", dir.string(), ec.message()));
    write_file_atomically(dir / "compare.md", compare_markdown(d));
    write_file_atomically(dir / "compare.json", boost::json::serialize(compare_json(d)) + '\n');
    write_file_atomically(dir / "compare.html", compare_html(d));
}

}  // namespace

int compare(const compare_options& options, std::ostream& out, std::ostream& err) {
    std::vector<stats::bound> bounds;
    for (const auto& expression : options.fail_on) bounds.push_back(stats::parse_bound(expression));
    std::size_t skipped = 0;
    const auto base_results = load_side("BASE", options.base, err, skipped);
    const auto new_results = load_side("NEW", options.next, err, skipped);
    if (!base_results || !new_results) return exit_run_failed;
    const auto base = stats::summarize(*base_results), next = stats::summarize(*new_results);
    const auto comparison = stats::compare(base, next);
    if (comparison.groups.empty())
        throw config_error(fmt::format("BASE {} and NEW {} have no (framework, scenario, pattern) in common: BASE has {}; "
                                       "NEW has {}",
                                       options.base, options.next, keys_text(base), keys_text(next)));
    const auto checked = stats::check_bounds(comparison, bounds);
    const compare_document document{options.base, options.next, &comparison, &bounds, &checked};
    if (options.json) out << boost::json::serialize(compare_json(document)) << '\n';
    else out << compare_console(document);
    if (!options.output.empty()) write_outputs(options.output, document);
    for (const auto& b : checked.broken) err << "fail: --fail-on " << b.limit->expression << ": " << b.text << '\n';
    if (skipped)
        err << fmt::format("warning: the comparison leaves out {} raw result file(s) that could not be read\n", skipped);
    return checked.broken.empty() && skipped == 0 ? exit_ok : exit_run_failed;
}

}  // namespace shootout::core
