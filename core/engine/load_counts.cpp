#include "load_counts.h"

#include <algorithm>

namespace shootout::core::engine {

void load_counts::merge(const load_counts& o) {
    latency_us.merge(o.latency_us);
    latency_uncorrected_us.merge(o.latency_uncorrected_us);
    first_byte_us.merge(o.first_byte_us);
    connect_us.merge(o.connect_us);
    handshake_us.merge(o.handshake_us);
    send_lag_us.merge(o.send_lag_us);
    unfinished_unsent_us.merge(o.unfinished_unsent_us);

    errors += o.errors;
    completed += o.completed;
    verified += o.verified;
    bodies_failed += o.bodies_failed;
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    answered_2xx += o.answered_2xx;
    in_flight_at_end += o.in_flight_at_end;
    sent_measured += o.sent_measured;
    late += o.late;
    backlog += o.backlog;
    unfinished += o.unfinished;
    cpu_seconds += o.cpu_seconds;
    peak_open += o.peak_open;

    slowest_answer_us = std::max(slowest_answer_us, o.slowest_answer_us);
    last_answer_at_us = std::max(last_answer_at_us, o.last_answer_at_us);
    last_error_at_us = std::max(last_error_at_us, o.last_error_at_us);

    unfinished_in_flight_us.insert(unfinished_in_flight_us.end(), o.unfinished_in_flight_us.begin(),
                                   o.unfinished_in_flight_us.end());
    seconds.insert(seconds.end(), o.seconds.begin(), o.seconds.end());
    for (const auto& f : o.failures)
        if (failures.size() < max_failure_reasons) failures.push_back(f);

    if (phases.size() < o.phases.size()) phases.resize(o.phases.size());
    for (std::size_t i = 0; i < o.phases.size(); ++i) {
        phases[i].latency_us.merge(o.phases[i].latency_us);
        phases[i].completed += o.phases[i].completed;
        phases[i].errors += o.phases[i].errors;
        phases[i].open_at_end += o.phases[i].open_at_end;
    }

    if (requests.size() < o.requests.size()) requests.resize(o.requests.size());
    for (std::size_t i = 0; i < o.requests.size(); ++i) {
        requests[i].completed += o.requests[i].completed;
        requests[i].errors += o.requests[i].errors;
        requests[i].latency_us.merge(o.requests[i].latency_us);
    }

    if (!upgrade_refused_status && o.upgrade_refused_status) {
        upgrade_refused_status = o.upgrade_refused_status;
        upgrade_refused_reason = o.upgrade_refused_reason;
    }
}

}  // namespace shootout::core::engine
