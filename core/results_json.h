// Raw results on disk: one schema-versioned JSON document per measurement, written atomically as
// each measurement ends, holding everything needed to recompute and merge later (histograms
// are stored whole, as sparse bucket counts).
#pragma once

#include <filesystem>

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
