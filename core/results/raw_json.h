// Raw results on disk: one schema-versioned JSON document per measurement, written atomically as
// each measurement ends, holding everything needed to recompute and merge later: histograms are
// stored whole, as sparse bucket counts, and so is every second of the timeline. Every figure
// derived from counts (a rate, a percentile) is written beside them for people and jq, and
// checked against them when read. docs/results.md describes the schema.
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
/// 2: per-second latency buckets, typed open-model counters and CPU placement (no `extra`
///    strings), body_checks and unfinished required. Version 1 documents are still read.
inline constexpr int raw_result_schema_version = 2;
/// The oldest version read.
inline constexpr int oldest_raw_result_schema_version = 1;

/// "measured", "failed", "skipped", "not_supported".
std::string_view outcome_name(sdk::outcome o);
boost::json::value histogram_to_json(const sdk::histogram& h);
/// {"connect":…, "read":…, "write":…, "timeout":…, "status":…, "verify":…}
boost::json::object errors_to_json(const sdk::error_counts& e);
/// {"sent": MB/s, "received": MB/s} over the measured time.
boost::json::object throughput_to_json(const sdk::measurement& m);
boost::json::value measurement_to_json(const sdk::measurement& m, const sdk::environment& env);
/// {"judged": …, "failed": …}
boost::json::object body_checks_to_json(const sdk::sample_checks& c);

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

/// The inverse of measurement_to_json (lossless: histograms, timeline, phases, samples). Throws
/// raw_result_error for another schema, an unknown schema_version, a missing field, or derived
/// figures that disagree with their counts (see check_consistency; version 2 documents only).
raw_result measurement_from_json(const boost::json::value& doc);

/// Throws raw_result_error naming the figure when a figure derived from counts disagrees with
/// them: the rate with completed / seconds, the measured phases' seconds with the measured time,
/// a second's p50 or p99 with its buckets. (A histogram's own figures are checked as it is read.)
/// Written by shootout, they always agree; a hand-edited or corrupted file is refused rather
/// than reported with numbers its own counts contradict.
void check_consistency(const sdk::measurement& m);

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
