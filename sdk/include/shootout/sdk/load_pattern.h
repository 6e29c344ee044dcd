// Load-pattern plugins: how much load, over what time, in named phases. A pattern is pure
// data: it returns a plan and the host's engine carries it out.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "abi.h"

namespace shootout::sdk {

/// Closed: a number of connections, each sending its next request when the last answer arrives
/// (wrk, the original suite). Open: requests sent at planned times at a given rate whatever the
/// server does, with latency measured from the planned time (no coordinated omission).
enum class load_model { closed, open };

/// One stretch of the plan. Within a phase the host moves linearly from the `*_start` value to
/// the `*_end` value (equal values hold steady).
struct load_phase {
    std::string name;                 ///< "warmup", "measure", "ramp", "hold", "cooldown"...
    std::chrono::nanoseconds length{};
    bool measured = true;             ///< false: load is applied but nothing is recorded
    /// Closed model: connections open. Open model: the cap of the connection pool.
    std::uint32_t connections_start = 0;
    std::uint32_t connections_end = 0;
    /// Open model only: requests (or WebSocket messages) per second.
    double rate_start = 0;
    double rate_end = 0;
};

/// A whole plan: the phases in order, run back to back without a pause.
struct load_plan {
    load_model model = load_model::closed;
    std::vector<load_phase> phases;
};

/// A load pattern: one instance per manifest entry, made on the control thread.
class SHOOTOUT_SDK_API load_pattern {
public:
    virtual ~load_pattern() = default;
    /// The plan to carry out, called on the control thread before each measurement. Must return
    /// at least one measured phase of non-zero length.
    virtual load_plan plan() const = 0;
};

}  // namespace shootout::sdk
