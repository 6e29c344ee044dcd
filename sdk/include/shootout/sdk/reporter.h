// Reporter plugins: turn results into files or terminal output.
//
// Lifecycle, like Google Benchmark's reporters: begin() once, on_measurement() as each
// measurement ends, finish() once with the whole result set. All calls come from the control
// thread, in that order.
#pragma once

#include <filesystem>
#include <ostream>

#include "abi.h"
#include "results.h"

namespace shootout::sdk {

/// Where a reporter writes. Owned by the host and valid from begin() to the end of finish().
struct report_context {
    std::filesystem::path output_dir;  ///< exists; write files here, and only here
    std::ostream& out;                 ///< stdout, or a string stream in tests
    std::ostream& err;                 ///< stderr, or a string stream in tests
};

class SHOOTOUT_SDK_API reporter {
public:
    virtual ~reporter() = default;
    /// Before any measurement. Keep the context for later calls.
    virtual void begin(const report_context& context) { (void)context; }
    /// After each measurement ends (measured, failed, skipped or not supported).
    virtual void on_measurement(const measurement& m) { (void)m; }
    /// At the end, with every measurement; writes the report. Throws std::exception on failure
    /// (disk full, say); the host reports it and still runs the other reporters.
    virtual void finish(const result_set& results) = 0;
};

}  // namespace shootout::sdk
