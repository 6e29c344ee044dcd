// shootout-mpi --config FILE: a manifest run with every MPI rank a shard (docs/distributed.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mpi/world.h"

namespace shootout::core::mpi {

struct manifest_ranks_options {
    std::string config;
    std::vector<std::string> frameworks, scenarios, patterns;  ///< filters, as `shootout --config` takes them
    std::optional<unsigned> runs;
    std::string shard_gap = "20s";
    std::optional<std::string> source_address;
};

/// Every rank runs the manifest as shard rank/size through the clock contract: the ranks meet,
/// rank 0 chooses the first measurement's start one gap ahead (room for it to start the database
/// and the first server), each rank takes it on its own clock (the offsets estimated at start),
/// and every later measurement starts a planned load plus the gap after the one before. Each rank
/// writes raw results only, into a directory of its own; rank 0 gathers them, merges each
/// measurement exactly into the manifest's output_dir and writes the manifest's reports there.
/// Returns the exit code: the worst of the ranks' runs, the merge and the reports.
int run_manifest_ranks(world& w, const manifest_ranks_options& o);

}  // namespace shootout::core::mpi
