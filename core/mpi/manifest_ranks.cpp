#include "mpi/manifest_ranks.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands/commands.h"
#include "distributed/shard.h"
#include "errors.h"
#include "files.h"
#include "manifest.h"
#include "option_parsing.h"
#include "plugin_host.h"
#include "report.h"
#include "runner.h"

namespace shootout::core::mpi {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// How long the ranks may take to load the manifest and meet; how long rank 0 waits for the
// others' results once its own run is over (the shards' last slots end together, but rank 0
// stops the servers and the database first, and a rank may still be writing).
constexpr auto meet_deadline = 120s;
constexpr auto gather_deadline = 120s;

fs::path temporary_directory(int rank) {
    std::string pattern = (fs::temp_directory_path() / fmt::format("shootout-mpi-shard-{}-XXXXXX", rank)).string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error(fmt::format("cannot make a directory in {}", fs::temp_directory_path().string()));
    return pattern;
}

// What a rank hands to rank 0: its exit code and every raw result it wrote, by file name, each
// with the rank's clock offset to rank 0 (which the manifest run does not know).
std::string rank_report(int code, const fs::path& output_dir, std::int64_t clock_offset_us) {
    boost::json::object files;
    if (!fs::exists(output_dir))  // the run ended before it made its directory
        return boost::json::serialize(boost::json::object{{"code", code}, {"files", std::move(files)}});
    for (const auto& run_dir : fs::directory_iterator(output_dir)) {
        if (!run_dir.is_directory() || !fs::exists(run_dir.path() / "raw")) continue;
        for (const auto& f : fs::directory_iterator(run_dir.path() / "raw")) {
            if (f.path().extension() != ".json") continue;
            std::ifstream in(f.path(), std::ios::binary);
            std::ostringstream text;
            text << in.rdbuf();
            auto doc = boost::json::parse(text.str());
            if (auto* shard = doc.at("placement").as_object().if_contains("shard"))
                shard->as_object()["clock_offset_us"] = clock_offset_us;
            files[f.path().filename().string()] = boost::json::serialize(doc);
        }
    }
    return boost::json::serialize(boost::json::object{{"code", code}, {"files", std::move(files)}});
}

// The start of the first measurement's slot, the same instant on every rank's own clock.
std::string first_slot(world& w, std::chrono::nanoseconds gap, const std::vector<std::int64_t>& offsets) {
    const auto start_by_rank0 = w.broadcast(wall_ns() + gap.count(), 30s, "the first measurement's start time");
    const auto start = start_by_rank0 + offsets[static_cast<std::size_t>(w.rank())] * 1000;
    return distributed::utc_text(std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(start))));
}

// This rank's shard of the manifest run, its raw results in `output_dir`. Returns its exit code.
int run_shard(world& w, const manifest_ranks_options& o, const fs::path& output_dir, std::chrono::nanoseconds gap,
              const std::vector<std::int64_t>& offsets) {
    plugin_host host;
    manifest m;
    plugin_instances instances;
    bool ready = true;
    try {
        m = load_manifest(o.config, host, base_search_dirs());
        apply_filters(m, o.frameworks, o.scenarios, o.patterns, o.runs);
        if (w.rank() != 0) follow_shard_zero(m);
        m.output_dir = output_dir;
        m.reporters.clear();  // rank 0 reports on the merged results
        instances = instantiate(m, host);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        ready = false;
    }
    if (!w.all_ready(ready, meet_deadline, "loading the manifest"))
        w.abort(exit_usage, ready ? "another shard could not load the manifest (its message is above)"
                                  : fmt::format("shard {} could not load {} (above)", w.rank(), o.config));
    distributed::distributed_options given;
    given.shard = fmt::format("{}/{}", w.rank(), w.size());
    given.start_at = first_slot(w, gap, offsets);
    given.source_address = o.source_address;
    const auto plan = distributed::read_distributed_options(given, std::getenv);
    std::ostringstream console;  // each shard's own tables stay unprinted: rank 0 prints the merged ones
    const int code = run_manifest(m, instances, console, plan, o.source_address, gap);
    if (w.rank() == 0) spdlog::info("shard 0 of {} done (exit {}); gathering the others' results", w.size(), code);
    return code;
}

// Rank 0's server logs (logs/) and profiles (profiles/) beside the merged results: shard 0 ran
// the servers.
void copy_server_files(const fs::path& shard_output, const fs::path& run_dir) {
    for (const auto& d : fs::directory_iterator(shard_output))
        for (const char* part : {"logs", "profiles"})
            if (fs::exists(d.path() / part))
                fs::copy(d.path() / part, run_dir / part, fs::copy_options::recursive | fs::copy_options::skip_existing);
}

// Rank 0: the ranks' raw results as shard directories, merged into a run directory of the
// manifest's output_dir, then the manifest's reports on them.
int merge_and_report(const manifest_ranks_options& o, const std::vector<std::string>& reports, const fs::path& work,
                     const fs::path& shard_output) {
    int worst = 0;
    const fs::path gathered = work / "gathered";
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto doc = boost::json::parse(reports[i]).as_object();
        worst = std::max(worst, static_cast<int>(doc.at("code").to_number<std::int64_t>()));
        const auto dir = gathered / fmt::format("shard-{}-of-{}", i, reports.size()) / "raw";
        fs::create_directories(dir);
        for (const auto& [name, text] : doc.at("files").as_object())
            write_file_atomically(dir / std::string(name), std::string(text.as_string()));
    }
    plugin_host host;
    const auto m = load_manifest(o.config, host, base_search_dirs());
    fs::create_directories(m.output_dir);
    const fs::path run_dir = m.output_dir / (utc_now("%Y%m%d-%H%M%S") + fmt::format("-mpi-{}", reports.size()));
    const int merged = merge({{gathered}, run_dir, false}, std::cout, std::cerr);
    if (merged == exit_usage) return exit_usage;
    copy_server_files(shard_output, run_dir);
    const int reported = run_report({run_dir, {}, {}, o.config}, base_search_dirs(), std::cout, std::cerr);
    point_latest_at(m.output_dir / "latest", run_dir);
    std::cout << fmt::format("\nmerged results of {} shards: {}\n", reports.size(), run_dir.string());
    return std::max({worst, merged, reported});
}

}  // namespace

int run_manifest_ranks(world& w, const manifest_ranks_options& o) {
    const auto gap = parse_duration(o.shard_gap);
    if (!gap || *gap <= std::chrono::nanoseconds::zero())
        w.abort(exit_usage, fmt::format("--shard-gap {}: must be a duration above 0, like 20s", o.shard_gap));
    const auto offsets = w.clock_offsets_us(8, 30s);
    fs::path work;
    try {
        work = temporary_directory(w.rank());
    } catch (const std::exception& e) {
        w.abort(exit_run_failed, fmt::format("shard {}: {}", w.rank(), e.what()));
    }
    const fs::path output_dir = work / "shard";
    int code = exit_run_failed;
    std::string report;
    try {
        code = run_shard(w, o, output_dir, *gap, offsets);
        report = rank_report(code, output_dir, offsets[static_cast<std::size_t>(w.rank())]);
    } catch (const std::exception& e) {
        // Its raw results so far stay in `work` (aborting ends every rank: no merge to wait for).
        w.abort(exit_run_failed, fmt::format("shard {}: {} (its raw results so far: {})", w.rank(), e.what(), output_dir.string()));
    }
    const auto reports = w.gather(report, gather_deadline);
    std::error_code ec;
    if (w.rank() != 0) {
        fs::remove_all(work, ec);  // rank 0 has its results now
        return code;
    }
    try {
        const int result = merge_and_report(o, reports, work, output_dir);
        if (result != exit_usage) fs::remove_all(work, ec);
        else spdlog::error("the shards' raw results are kept in {}: `shootout merge` them by hand", (work / "gathered").string());
        return result;
    } catch (const std::exception& e) {
        spdlog::error("merging the shards' results: {}; their raw results are kept in {}", e.what(),
                      (work / "gathered").string());
        return exit_run_failed;
    }
}

}  // namespace shootout::core::mpi
