// What a run shows on the console: the live progress line and the table after the run.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <shootout/sdk/results.h>
#include <shootout/sdk/summary.h>

#include "runner.h"

namespace shootout::core {

double ms(std::int64_t us);
std::string seconds_text(std::chrono::nanoseconds d);  ///< "1.5s"
std::string clock_text(double seconds);                ///< "1h02m03s", "2m03s", "3s"
std::string outcome_text(sdk::outcome o);              ///< as the table shows it: "FAILED", "n/a"...

// One line on a terminal, rewritten in place; plain log lines every 10 s otherwise. Shows the
// measurement (framework, scenario, pattern, run), its phase, elapsed and remaining time, the
// live req/s and errors, and for a manifest run where the whole run is and how long is left.
class progress_printer {
public:
    progress_printer(std::string label, const run_progress* overall)
        : label_(std::move(label)), overall_(overall), tty_(::isatty(2) == 1) {}
    ~progress_printer() {
        if (tty_ && printed_) std::fprintf(stderr, "\r\033[K");
    }
    void operator()(double elapsed, double total, const std::string& phase, std::uint64_t completed,
                    std::uint64_t errors, std::uint32_t open) {
        const double rate = static_cast<double>(completed - last_completed_) / std::max(elapsed - last_elapsed_, 1e-3);
        last_completed_ = completed;
        last_elapsed_ = elapsed;
        std::string line = fmt::format("{} | {} {}/{} ({} left) | {:.0f} req/s | {} errors | {} conns", label_,
                                       phase.empty() ? "load" : phase, clock_text(elapsed), clock_text(total),
                                       clock_text(total - elapsed), rate, errors, open);
        if (overall_) {
            const double run_elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - overall_->started).count();
            // What is left: this measurement's rest, and the planned time of those not started.
            const double left = std::max(total - elapsed, 0.0) + overall_->planned_seconds_left;
            line = fmt::format("[{}/{}] {} | all: {} elapsed, ~{} left", overall_->current, overall_->total, line,
                               clock_text(run_elapsed), clock_text(left));
        }
        if (tty_) {
            std::fprintf(stderr, "\r\033[K%s", line.c_str());
            std::fflush(stderr);
            printed_ = true;
        } else if (elapsed - last_logged_ >= 10) {
            last_logged_ = elapsed;
            spdlog::info("{}", line);
        }
    }

private:
    std::string label_;
    const run_progress* overall_;
    bool tty_;
    bool printed_ = false;
    std::uint64_t last_completed_ = 0;
    double last_elapsed_ = 0, last_logged_ = 0;
};

/// The table of every measurement, by scenario and pattern, with warnings under each row.
void print_summary(const std::vector<sdk::measurement>& all, std::ostream& out);

/// After the table, the thresholds' verdicts: every failed check with its framework, scenario and
/// pattern, or that all passed, and each threshold that judged nothing (what it applies to was
/// not measured). Nothing without thresholds. Returns whether any failed.
bool print_thresholds(const sdk::stats::summary& summary, std::ostream& out);

}  // namespace shootout::core
