// Reporter plugins: turn results into files or terminal output.
//
// Lifecycle, like Google Benchmark's reporters: begin() once, on_measurement() as each
// measurement ends, finish() once with the whole result set. All calls come from the control
// thread, in that order.
#pragma once

#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>

#include "abi.h"
#include "results.h"
#include "summary.h"

namespace shootout::sdk {

/// Where a reporter writes. Owned by the host and valid from begin() to the end of finish().
struct report_context {
    std::filesystem::path output_dir;  ///< exists; write files here, and only here
    std::ostream& out;                 ///< stdout, or a string stream in tests
    std::ostream& err;                 ///< stderr, or a string stream in tests
};

/// `dir / relative`, if that stays inside `dir` once "..", symbolic links and absolute paths are
/// resolved; throws std::runtime_error naming both otherwise. A reporter builds file names from
/// measurements (names, profile paths), which a crafted raw result could point anywhere.
inline std::filesystem::path path_inside(const std::filesystem::path& dir, const std::filesystem::path& relative) {
    namespace fs = std::filesystem;
    const auto joined = dir / relative;
    std::string base = fs::weakly_canonical(fs::absolute(dir)).string();
    if (base.empty() || base.back() != '/') base += '/';
    const std::string full = fs::weakly_canonical(fs::absolute(joined)).string();
    if (full.size() <= base.size() || full.compare(0, base.size(), base) != 0)
        throw std::runtime_error("refusing " + joined.string() + ": it is outside " + dir.string() +
                                 ", where this reporter may read and write");
    return joined;
}

/// What a reporter reports: every measurement, and their summary. The host computes the summary
/// once, with the manifest's [verdict] criteria (summary.criteria), so every report ranks,
/// ties and fails results by the same rules as the console and the exit code.
struct report_input {
    const result_set& results;
    const stats::summary& summary;  ///< its pointers refer into `results`
};

class SHOOTOUT_SDK_API reporter {
public:
    virtual ~reporter() = default;
    /// Before any measurement. Keep the context for later calls.
    virtual void begin(const report_context& context) { (void)context; }
    /// After each measurement ends (measured, failed, skipped or not supported).
    virtual void on_measurement(const measurement& m) { (void)m; }
    /// At the end, with every measurement and their summary; writes the report. Throws
    /// std::exception on failure (disk full, say); the host reports it and still runs the others.
    virtual void finish(const report_input& input) = 0;
};

}  // namespace shootout::sdk
