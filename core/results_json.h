// Raw results on disk: one schema-versioned JSON document per measurement, written atomically as
// each measurement ends, holding everything needed to recompute and merge later (histograms
// are stored whole, as sparse bucket counts).
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include <shootout/sdk/results.h>

namespace shootout::core {

/// Version of the raw-result document; bumped when a field changes meaning or goes away.
inline constexpr int raw_result_schema_version = 1;

/// "measured", "failed", "skipped", "not_supported".
std::string_view outcome_name(sdk::outcome o);
boost::json::value histogram_to_json(const sdk::histogram& h);
/// {"connect":…, "read":…, "write":…, "timeout":…, "status":…, "verify":…}
boost::json::object errors_to_json(const sdk::error_counts& e);
/// {"sent": MB/s, "received": MB/s} over the measured time.
boost::json::object throughput_to_json(const sdk::measurement& m);
boost::json::value measurement_to_json(const sdk::measurement& m, const sdk::environment& env);

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
/// reader (or an interrupted run) sees either the old file or the whole new one.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

/// The environment of this process: version, build type, CPU, cores, kernel, host name.
sdk::environment current_environment();

/// Current UTC time in a strftime format; by default ISO-8601 ("2026-11-28T07:38:51Z").
std::string utc_now(const char* strftime_format = "%Y-%m-%dT%H:%M:%SZ");

}  // namespace shootout::core

namespace shootout::core {

/// Thrown when a raw-result document cannot be read; the message names the field and the fix.
class raw_result_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The most histogram counts one document may hold in all (8 bytes each: 32 MiB): 178 histograms
/// of the default layout, where a document holds up to five plus one per phase.
inline constexpr std::size_t histogram_counts_budget = std::size_t{4} << 20;

/// The inverse of histogram_to_json: the same counts, total, clamped count and exact extremes.
/// Throws raw_result_error for a layout that needs more than histogram_counts_budget counts.
sdk::histogram histogram_from_json(const boost::json::value& v);
/// The same, taking its counts from `counts_budget` (what a document's histograms have left).
sdk::histogram histogram_from_json(const boost::json::value& v, std::size_t& counts_budget);

/// One raw-result document read back.
struct raw_result {
    sdk::measurement measurement;
    sdk::environment environment;
    std::optional<std::uint64_t> sequence;  ///< position in the run ("sequence"), if the writer recorded it
    std::string source;  ///< the file it came from (its name orders documents without a sequence)
};

/// The inverse of measurement_to_json (lossless: histograms, timeline, phases, samples, extras).
/// Throws raw_result_error for another schema, an unknown schema_version or a missing field.
raw_result measurement_from_json(const boost::json::value& doc);

/// The environment of a whole run from the environments of its documents: the earliest start,
/// the latest end, every framework version, the rest from the last document.
sdk::environment merge_environments(const std::vector<sdk::environment>& environments);

/// One result set from raw results: measurements in the order they were run (by sequence, then
/// source), the environments merged. The run's own reports and `shootout report` both use this.
sdk::result_set assemble_results(std::vector<raw_result> documents);

/// The largest raw-result file read (a long spike with a per-second timeline is a few MiB).
inline constexpr std::uintmax_t raw_result_size_limit = std::uintmax_t{256} << 20;

/// Every raw result in `raw_dir` (*.json), as one result set in the order they were run
/// (by "sequence", then file name). A file that cannot be read is named in `problems` with
/// what is wrong, and the others are still read: one larger than raw_result_size_limit, one
/// whose names could not be file names (see names.h), one whose profile is not a relative path
/// inside the run directory. Two files describing the same measurement are named in `duplicates`.
struct loaded_results {
    sdk::result_set results;
    std::vector<std::string> problems;
    std::vector<std::string> duplicates;  ///< "a.json and b.json both hold fastapi / ping / steady / run 1"
    std::size_t files = 0;  ///< *.json files found
};
loaded_results load_raw_results(const std::filesystem::path& raw_dir);

}  // namespace shootout::core
