// shootout-mpi: `shootout run` with every MPI rank a shard (docs/distributed.md). The ranks
// estimate their clock offsets to rank 0, meet once the load is ready (rank 0 has checked
// correctness), start their plans at one instant that rank 0 chose (converted to each rank's
// clock), and hand their raw results to rank 0, which merges them exactly and prints what
// `shootout run` prints, plus `shards` and `mpi`. A rank that dies ends the job through mpirun;
// one that hangs is caught by the deadline on every exchange.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands/commands.h"
#include "distributed/merge.h"
#include "errors.h"
#include "files.h"
#include "logging.h"
#include "mpi/manifest_ranks.h"
#include "mpi/world.h"
#include "results/environment.h"
#include "results/raw_json.h"
#include "runner.h"

namespace {

using namespace shootout;
using namespace std::chrono_literals;

// How long the first rank may take to check correctness before the barrier gives up on it, and
// how long after a rank's load the others' results may take to arrive.
constexpr auto barrier_deadline = 120s;
constexpr auto gather_deadline = 20s;
// The plans start this long after rank 0 chose the instant: enough for the broadcast to reach
// every rank on a loaded machine (a rank that is later refuses to start: late_start), short
// enough not to waste time.
constexpr auto start_lead = 1s;

// What the ranks were, for rank 0's document: each one's offset and the spread of the starts.
boost::json::object mpi_extra(const sdk::measurement& merged, const std::vector<std::int64_t>& offsets) {
    boost::json::array shards;
    if (merged.merged)
        for (const auto& s : merged.merged->shards)
            shards.push_back({{"index", s.index},
                              {"hostname", s.hostname},
                              {"source_address", s.source_address},
                              {"requests", s.completed},
                              {"req_s", s.rate},
                              {"p99_us", s.p99_us},
                              {"errors", s.errors},
                              {"start_offset_us", s.start_offset_us},
                              {"clock_offset_us", s.clock_offset_us},
                              {"generator_bound", s.generator_bound}});
    return {{"shards", std::move(shards)},
            {"mpi",
             {{"size", offsets.size()},
              {"clock_offset_us", boost::json::value_from(offsets)},
              {"start_skew_us", merged.merged ? merged.merged->start_skew_us : 0}}}};
}

// Rank 0: every rank's raw result merged, printed as `run` prints it.
int merge_and_print(const core::adhoc_options& o, const std::vector<std::string>& texts,
                    const std::vector<std::int64_t>& offsets, const core::mpi::world& world) {
    std::vector<core::raw_result> shards;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        try {
            auto r = core::measurement_from_json(boost::json::parse(texts[i]));
            r.source = fmt::format("shard {}", i);
            shards.push_back(std::move(r));
        } catch (const std::exception& e) {
            world.abort(1, fmt::format("the result of shard {} cannot be read: {}", i, e.what()));
        }
    }
    core::raw_result merged;
    try {
        merged = core::distributed::merge_shards(std::move(shards), false);
    } catch (const core::distributed::merge_error& e) {
        world.abort(1, fmt::format("the shards' results do not merge: {}", e.what()));
    }
    return core::print_adhoc_result(o, merged.measurement, merged.environment, std::cout,
                                    mpi_extra(merged.measurement, offsets));
}

// A rank whose load never ran still reports, so that rank 0 can say why.
void ensure_shard(sdk::measurement& m, const core::mpi::world& world) {
    if (m.shard) return;
    m.shard = sdk::shard_info{};
    m.shard->index = static_cast<std::uint32_t>(world.rank());
    m.shard->count = static_cast<std::uint32_t>(world.size());
}

int run(core::mpi::world& world, core::adhoc_options& o) {
    if (o.distributed.shard || o.distributed.start_at || o.distributed.shard_count)
        world.abort(core::exit_usage, "shootout-mpi takes the shard from MPI (its rank and size) and starts the shards "
                                      "together itself: drop --shard, --shard-count and --start-at");
    o.distributed.shard = fmt::format("{}/{}", world.rank(), world.size());
    const auto offsets = world.clock_offsets_us(8, 30s);
    bool synchronised = false;
    o.synchronise = [&](bool ready) -> std::optional<std::chrono::system_clock::time_point> {
        synchronised = true;
        if (!world.all_ready(ready, barrier_deadline, "the barrier before the load")) return std::nullopt;
        const auto lead = std::chrono::duration_cast<std::chrono::nanoseconds>(start_lead).count();
        const auto start_by_rank0 = world.broadcast(core::mpi::wall_ns() + lead, 30s, "the start time");
        const auto start = start_by_rank0 + offsets[static_cast<std::size_t>(world.rank())] * 1000;
        return std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(start)));
    };
    auto environment = core::current_environment();
    environment.started_at = core::utc_now();
    sdk::measurement m;
    try {
        m = core::measure_adhoc(o, core::base_search_dirs());
    } catch (const core::config_error& e) {
        world.abort(core::exit_usage, e.what());
    } catch (const std::exception& e) {
        world.abort(core::exit_run_failed, e.what());
    }
    if (!synchronised) o.synchronise(false);  // the others must not wait for a load that never comes
    environment.finished_at = core::utc_now();
    ensure_shard(m, world);
    m.shard->clock_offset_us = offsets[static_cast<std::size_t>(world.rank())];
    const auto raw = core::adhoc_raw_document(m, environment);
    if (!o.shard_output.empty()) {
        const auto dir = std::filesystem::path(o.shard_output) / fmt::format("shard-{}-of-{}", world.rank(), world.size()) / "raw";
        std::filesystem::create_directories(dir);
        core::write_file_atomically(dir / fmt::format("target__{}__{}__run1.json", o.scenario, o.pattern),
                                    boost::json::serialize(raw));
    }
    const auto texts = world.gather(boost::json::serialize(raw), gather_deadline);
    if (world.rank() != 0) return core::exit_ok;
    return merge_and_print(o, texts, offsets, world);
}

// `shootout-mpi --config FILE`: the manifest run's options that make sense with MPI choosing the
// shards and their start (no --shard, --start-at).
void add_manifest_options(CLI::App& app, core::mpi::manifest_ranks_options& m) {
    app.add_option("-c,--config", m.config, "the manifest every rank runs as its shard")->check(CLI::ExistingFile);
    app.add_option("--framework", m.frameworks, "run only these frameworks (repeat, or comma-separated)")->delimiter(',');
    app.add_option("--scenario", m.scenarios, "run only these scenarios (repeat, or comma-separated)")->delimiter(',');
    app.add_option("--pattern", m.patterns, "run only these load patterns (repeat, or comma-separated)")->delimiter(',');
    app.add_option("--runs", m.runs, "override the manifest's number of runs")->check(CLI::Range(1u, 1000u));
    app.add_option("--shard-gap", m.shard_gap,
                   "the time before the first measurement and between one's planned end and the next one's start, for "
                   "rank 0 to start servers and check them")
        ->capture_default_str();
    app.add_option("--source-address", m.source_address, "the local address this rank's connections come from");
}

}  // namespace

int main(int argc, char** argv) {
    core::mpi::world world(argc, argv);
    CLI::App app{"shootout-mpi: `shootout run` or a manifest run with every MPI rank a shard, merged exactly on rank 0.\n"
                 "  mpirun -np 4 shootout-mpi run --target URL [run's options] --json\n"
                 "  mpirun -np 4 shootout-mpi --config shootout.toml [--framework ...] [--shard-gap 20s]"};
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
    core::adhoc_options o;
    auto* run_cmd = app.add_subcommand("run", "measure one target, every rank a shard");
    core::add_adhoc_options(*run_cmd, o);
    core::mpi::manifest_ranks_options manifest;
    add_manifest_options(app, manifest);
    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Every rank parses the same arguments; one says what is wrong.
        std::ostringstream out, err;
        const int code = app.exit(e, out, err);
        if (world.rank() == 0) std::cout << out.str(), std::cerr << err.str();
        return code == 0 ? core::exit_ok : core::exit_usage;
    }
    core::init_logging(log_level);
    spdlog::set_pattern(fmt::format("[%H:%M:%S.%e] [shard {}/{}] [%l] %v", world.rank(), world.size()));
    if (run_cmd->parsed()) {
        for (const char* name : {"--config", "--framework", "--scenario", "--pattern", "--runs", "--shard-gap", "--source-address"})
            if (app.get_option(name)->count())
                world.abort(core::exit_usage, fmt::format("{} is an option of a manifest run (--config FILE), not of `run`: "
                                                          "drop it, or run a manifest instead (`run --help` lists run's "
                                                          "options)",
                                                          name));
        return run(world, o);
    }
    if (manifest.config.empty())
        world.abort(core::exit_usage, "nothing to do: give a manifest with --config FILE, or `run --target URL ...`; "
                                      "see --help");
    return core::mpi::run_manifest_ranks(world, manifest);
}
