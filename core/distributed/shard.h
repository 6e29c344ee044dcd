// The shard contract (docs/distributed.md): which part of a distributed load this process
// drives (`--shard i/N`, or `auto` from an MPI, Slurm or Kubernetes environment), when every
// shard starts (`--start-at`, a wall-clock instant), which local addresses its connections
// come from (`--source-address`), and the hash that says two shards ran the same plan.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <shootout/sdk/load_pattern.h>

namespace shootout::core::distributed {

/// Shard `index` of `count`.
struct shard_spec {
    std::uint32_t index = 0, count = 1;
};

/// The most shards a plan is cut into.
inline constexpr std::uint32_t max_shards = 1024;

/// Reads an environment variable: std::getenv, or a table in tests.
using environment_lookup = std::function<const char*(const char*)>;

/// `--shard`: "i/N", or "auto": the first of SHOOTOUT_SHARD (i/N), OMPI_COMM_WORLD_RANK/_SIZE,
/// PMI_RANK/PMI_SIZE, SLURM_PROCID/SLURM_NTASKS and JOB_COMPLETION_INDEX (whose count is
/// `shard_count`) that is set. `shard_count`, when given, must agree with the count found.
/// Throws config_error naming the flag or the variable and what it must be.
shard_spec parse_shard(std::string_view text, std::optional<std::uint32_t> shard_count,
                       const environment_lookup& getenv);

/// `--start-at`: ISO 8601 in UTC, "2026-12-02T05:00:00Z" or with a fraction of a second
/// ("…:00.250Z", up to nanoseconds). Throws config_error saying the form.
std::chrono::system_clock::time_point parse_start_at(std::string_view text);

/// The instant as ISO 8601 UTC with nanoseconds: "2026-12-02T05:00:00.250000000Z".
std::string utc_text(std::chrono::system_clock::time_point t);

/// The monotonic-clock instant that is `t` by the wall clock now (what a shard waits for).
std::chrono::steady_clock::time_point steady_of(std::chrono::system_clock::time_point t);

/// A shard that was ready only after its start time: it refuses to run (exit code 3), since
/// its first planned sends are past and a catch-up burst would load the server unlike the plan.
class late_start : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Throws late_start when `now` is past `start` (the plan's first phase), naming the shard,
/// the start time and how late it is.
void refuse_if_late(std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point now,
                    const std::optional<shard_spec>& shard, const std::string& start_text);

/// `--source-address`: the local addresses connections are bound to, connection k to address
/// k mod their number. "ADDR[,ADDR...]" as given (each checked as a numeric address); "auto", or
/// nothing under --shard against a loopback target, gives shard i 127.0.0.(10+i) on loopback and
/// nothing (the kernel chooses) elsewhere. Throws config_error for a bad address, "auto" with
/// more than 240 shards, or an explicit `auto` towards a target that is not on loopback.
std::vector<std::string> source_addresses(const std::optional<std::string>& text, const std::optional<shard_spec>& shard,
                                          const std::string& target_host);

/// The distributed flags as given (`run` and a manifest run alike).
struct distributed_options {
    std::optional<std::string> shard, start_at, source_address;
    std::optional<std::uint32_t> shard_count;
};

/// The flags read: this process's shard (none without --shard) and its start time.
struct distributed_plan {
    std::optional<shard_spec> shard;
    std::optional<std::chrono::system_clock::time_point> start_at;
    std::string start_at_text;  ///< as given
};

/// Reads --shard (with --shard-count and the environment) and --start-at. Throws config_error.
distributed_plan read_distributed_options(const distributed_options& options, const environment_lookup& getenv);

/// What the plan's hash covers: two shards with the same hash cut the same load the same way.
struct plan_identity {
    const sdk::load_plan* plan = nullptr;
    std::string scenario, pattern, target;
    unsigned threads = 1;
    std::uint32_t requests_per_connection = 0;
    std::uint32_t shard_count = 1;
};

/// SHA-256 (hex) of a canonical text of the plan's phases (names, lengths, measured, connections,
/// rates, model), the scenario, pattern and target, the threads per shard, the connection mode
/// and the shard count.
std::string plan_sha256(const plan_identity& identity);

}  // namespace shootout::core::distributed
