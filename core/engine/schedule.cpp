#include "schedule.h"

#include <algorithm>
#include <cmath>

namespace shootout::core::engine {

slice_share share_of(std::uint32_t cap, slice s) {
    slice_share share;
    const std::uint32_t count = std::max<std::uint32_t>(1, s.count);
    share.connections = cap / count + (s.index < cap % count ? 1 : 0);
    share.rate_share = cap > 0 ? static_cast<double>(share.connections) / cap : 0.0;
    share.first_offset = (s.index + 1.0) / std::max<std::uint32_t>(1, std::min(count, cap));
    return share;
}

arrival_schedule::arrival_schedule(const std::vector<phase_window>& windows, const slice_share& share)
    : windows_(&windows), share_(share.rate_share), planned_(windows.front().start), done_(false) {
    advance(share.first_offset);
}

void arrival_schedule::advance(double need) {
    while (!done_) {
        const auto& w = (*windows_)[window_];
        const double length = seconds_of(w.end - w.start);
        const double tau = seconds_of(planned_ - w.start);
        const double r0 = w.phase->rate_start * share_, r1 = w.phase->rate_end * share_;
        const double slope = length > 0 ? (r1 - r0) / length : 0;
        const double rate = r0 + slope * tau;
        const double left_in_phase = rate * (length - tau) + slope / 2 * (length - tau) * (length - tau);
        if (left_in_phase >= need && left_in_phase > 0) {
            // 2·need / (r + sqrt(r² + 2·slope·need)): the root of the quadratic, written so a
            // near-zero slope loses no precision.
            const double root = std::sqrt(std::max(0.0, rate * rate + 2 * slope * need));
            const double delta = rate + root > 0 ? 2 * need / (rate + root) : length - tau;
            planned_ += std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(delta));
            if (planned_ >= w.end) planned_ = w.end - clock_type::duration(1);
            return;
        }
        need -= std::max(0.0, left_in_phase);
        if (++window_ == windows_->size()) {
            done_ = true;
            return;
        }
        planned_ = (*windows_)[window_].start;
    }
}

}  // namespace shootout::core::engine
