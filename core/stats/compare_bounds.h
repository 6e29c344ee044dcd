// `shootout compare --fail-on EXPR`: the bounds a CI gate sets on a comparison, and which of
// them a comparison breaks. A bound fails only on a change detected with confidence where an
// interval exists: req/s when the whole 95 % interval of its change is below -X %; p50 and p99
// when the whole interval of the per-run percentiles' change is above +X % (two runs or more
// per side), otherwise when the change of the merged histograms' percentile is above +X %.
#pragma once

#include <string>
#include <vector>

#include "stats/compare.h"

namespace shootout::core::stats {

enum class bounded_figure { rps, p50, p99 };

struct bound {
    std::string expression;  ///< as given, for messages
    bounded_figure figure = bounded_figure::rps;
    double limit = 0;  ///< a fraction: -0.05 for rps:-5%, +0.10 for p99:+10%
};

/// The accepted forms, for usage messages.
inline constexpr const char* bound_forms = "rps:-X% (req/s fell by more than X %), p50:+X% or p99:+X% "
                                           "(the percentile rose by more than X %), X a number such as 5 or 2.5";

/// Parses "rps:-5%", "p99:+10%", "p50:+2.5%". Throws config_error naming the expression and the
/// accepted forms.
bound parse_bound(const std::string& expression);

/// A bound a group broke, with the change measured.
struct broken_bound {
    const bound* limit = nullptr;
    const group_comparison* group = nullptr;
    double change = 0;             ///< the point change (fraction)
    std::optional<interval> range;  ///< the interval it was judged by, when there was one
    std::string text;              ///< "fastapi / ping / steady: req/s -10.20 % (95 % interval ...)"
};

/// A bound that could not judge a group (no interval for req/s, not comparable), for a note.
struct unjudged_bound {
    const bound* limit = nullptr;
    const group_comparison* group = nullptr;
    std::string why;
};

struct bound_results {
    std::vector<broken_bound> broken;
    std::vector<unjudged_bound> unjudged;
};
bound_results check_bounds(const comparison& c, const std::vector<bound>& bounds);

}  // namespace shootout::core::stats
