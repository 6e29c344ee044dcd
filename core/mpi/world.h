// shootout-mpi's use of MPI: the ranks are the shards. Every exchange has a deadline (an MPI
// collective has none: one hung rank would hang every other), and a missed deadline aborts the
// whole job naming the shard or the step, so that a benchmark fails rather than heals.
// Only the main thread calls MPI (MPI_THREAD_FUNNELED).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shootout::core::mpi {

/// This host's wall clock in ns since the epoch: what the ranks exchange to agree on a start.
inline std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class world {
public:
    /// MPI_Init_thread; throws std::runtime_error if MPI cannot give FUNNELED.
    world(int& argc, char**& argv);
    ~world();  ///< MPI_Finalize
    world(const world&) = delete;
    world& operator=(const world&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }

    /// Ends the whole job (every rank, through mpirun) with `code`, after logging `reason`.
    [[noreturn]] void abort(int code, const std::string& reason) const;

    /// Each rank's wall clock minus rank 0's, in µs, estimated NTP-style: rank 0 and each rank
    /// exchange timestamps `rounds` times, and the exchange with the shortest round trip gives
    /// offset = t_rank − (t_send + t_receive) / 2. Every rank gets the whole vector.
    std::vector<std::int64_t> clock_offsets_us(int rounds, std::chrono::seconds deadline);

    /// All ranks together: the minimum of `ready` over the ranks (1 if all are), through a
    /// non-blocking all-reduce waited for until `deadline`.
    bool all_ready(bool ready, std::chrono::seconds deadline, const std::string& step);

    /// Rank 0's value, to every rank (non-blocking broadcast under `deadline`).
    std::int64_t broadcast(std::int64_t value, std::chrono::seconds deadline, const std::string& step);

    /// Every rank's `text` on rank 0, by rank (empty elsewhere). Rank 0 names each rank that did
    /// not deliver within `deadline` and aborts the job.
    std::vector<std::string> gather(const std::string& text, std::chrono::seconds deadline);

private:
    int rank_ = 0, size_ = 1;
};

}  // namespace shootout::core::mpi
