// Shards' raw results put together as one generator would have measured them: histograms added
// bucket by bucket, counters summed, seconds aligned by the plan's clock, req/s over the union
// of the measured windows. One function for `shootout merge`, shootout-mpi's first rank and the
// tests (docs/distributed.md).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/raw_json.h"

namespace shootout::core::distributed {

/// Shards that do not belong together, or a file that is not a shard's result; the message
/// names the file and the difference.
class merge_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Every shard result under `inputs` (directories, searched to any depth for *.json, or files):
/// raw results, or `shootout run --json` documents (their `measurement`). Each result's
/// `source` is its path. Throws merge_error naming a file that cannot be read.
std::vector<raw_result> read_shard_files(const std::vector<std::filesystem::path>& inputs);

/// The shards of one measurement merged. Refuses (merge_error) results without a shard, of
/// other measurements, of another shard count, plan hash or histogram layout, a duplicate
/// index, and a missing one unless `allow_partial`: then the result is failed ("partial merge:
/// …"), so that it is reported but never ranked.
raw_result merge_shards(std::vector<raw_result> shards, bool allow_partial);

/// Groups `documents` by framework, scenario, pattern and run and merges each group, in the
/// order the groups first appear.
std::vector<raw_result> merge_all(std::vector<raw_result> documents, bool allow_partial);

}  // namespace shootout::core::distributed
