// The correctness check that comes before every measurement: one connection, every response
// judged whole against the apps contract. A framework that answers wrongly is failed with the
// reason and never measured; one without WebSocket where the scenario needs it is "not
// supported"; an interrupt skips it.
#pragma once

#include <cstdint>
#include <string>

#include <shootout/sdk/results.h>
#include <shootout/sdk/scenario.h>

#include "engine/engine.h"
#include "manifest.h"

namespace shootout::core {

struct correctness_verdict {
    sdk::outcome outcome = sdk::outcome::measured;  ///< measured: it passed, the load may start
    std::string reason;                             ///< why not, otherwise
    std::uint64_t answered_2xx = 0;      ///< the check's 2xx answers (a write audit counts them too)
    std::uint64_t in_flight_at_end = 0;  ///< the check's requests left unanswered
};

/// Runs the check with `base` (host, port, timeouts, seed, interrupt flag); `label` names the
/// measurement in the log. Never throws: a check that cannot run fails with the reason.
correctness_verdict check_correctness(const engine::engine_config& base, const engine_settings& settings,
                                      const sdk::scenario& scenario, const sdk::target& target, const std::string& label);

}  // namespace shootout::core
