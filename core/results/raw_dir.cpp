// Reading a directory of raw results: each file on its own (one broken file never hides the
// others), duplicates named, the rest assembled in the order they were run.
#include "results/raw_json.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "bounded_read.h"
#include "names.h"
#include "results/environment.h"

namespace shootout::core {

namespace json = boost::json;

namespace {

// What a raw file says that paths are built from: its names (raw, profile and flamegraph file
// names) and its profile (read by the flamegraph reporter) must stay inside the run directory.
void check_paths(const sdk::measurement& m) {
    for (const auto& [what, name] : {std::pair{"framework", &m.framework}, {"scenario", &m.scenario}, {"pattern", &m.pattern}})
        if (auto problem = name_problem(*name); !problem.empty())
            throw raw_result_error(fmt::format("field '{}': name \"{}\" {}", what, *name, problem));
    if (!m.profile) return;
    const std::filesystem::path folded(m.profile->folded_path);
    const bool inside = folded.is_relative() && !folded.empty() &&
                        std::none_of(folded.begin(), folded.end(), [](const auto& part) { return part == ".."; });
    if (!inside)
        throw raw_result_error(fmt::format("profile: folded_path \"{}\" must be a path relative to the run directory, "
                                           "without '..' (shootout writes profiles/<name>.folded)",
                                           m.profile->folded_path));
}

std::optional<raw_result> read_raw_file(const std::filesystem::path& file, std::vector<std::string>& problems) {
    std::string text;
    try {
        text = read_bounded(file, raw_result_size_limit);
    } catch (const file_read_error& e) {
        problems.push_back(fmt::format("{}: {}: {}", file.string(), e.too_large() ? "too large for a raw result" : "cannot read",
                                       e.detail()));
        return std::nullopt;
    }
    boost::system::error_code ec;
    auto doc = json::parse(text, ec);
    if (ec) {
        problems.push_back(fmt::format("{}: broken JSON: {}", file.string(), ec.message()));
        return std::nullopt;
    }
    try {
        auto r = measurement_from_json(doc);
        check_paths(r.measurement);
        r.source = file.filename().string();
        return r;
    } catch (const std::exception& e) {
        problems.push_back(fmt::format("{}: {}", file.string(), e.what()));
        return std::nullopt;
    }
}

}  // namespace

loaded_results load_raw_results(const std::filesystem::path& raw_dir) {
    loaded_results loaded;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(raw_dir))
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    loaded.files = files.size();
    std::vector<raw_result> read;
    // Two files of one measurement would be counted twice, or one would hide the other.
    std::map<std::tuple<std::string, std::string, std::string, unsigned>, std::string> seen;
    for (const auto& file : files) {
        auto r = read_raw_file(file, loaded.problems);
        if (!r) continue;
        const auto& m = r->measurement;
        auto [it, first] = seen.emplace(std::tuple{m.framework, m.scenario, m.pattern, m.run}, r->source);
        if (!first) {
            loaded.duplicates.push_back(fmt::format("{} and {} both hold {} / {} / {} / run {}", it->second, r->source,
                                                    m.framework, m.scenario, m.pattern, m.run));
            continue;
        }
        read.push_back(std::move(*r));
    }
    loaded.results = assemble_results(std::move(read));
    return loaded;
}

sdk::result_set assemble_results(std::vector<raw_result> read) {
    // Files without a sequence (written by hand) go after those with one, by file name.
    std::stable_sort(read.begin(), read.end(), [](const raw_result& a, const raw_result& b) {
        const auto sa = a.sequence.value_or(UINT64_MAX), sb = b.sequence.value_or(UINT64_MAX);
        return sa != sb ? sa < sb : a.source < b.source;
    });
    sdk::result_set results;
    std::vector<sdk::environment> environments;
    for (auto& r : read) {
        environments.push_back(std::move(r.environment));
        results.measurements.push_back(std::move(r.measurement));
    }
    results.environment = merge_environments(environments);
    return results;
}

}  // namespace shootout::core
