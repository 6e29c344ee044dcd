// `shootout merge DIR...`: shards' raw results into the raw results one generator would have
// written, for `shootout report` to use unchanged.
#include <ostream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "commands/commands.h"
#include "distributed/merge.h"
#include "errors.h"
#include "files.h"
#include "names.h"
#include "results/raw_json.h"
#include "run/console.h"

namespace shootout::core {
namespace {

// One line per shard under the table: where the load came from and what each part did.
void print_shards(const sdk::measurement& m, std::ostream& out) {
    if (!m.merged) return;
    out << fmt::format("\n{} / {} / {} run {}: {} of {} shards, start skew {:.3f} ms{}\n", m.framework, m.scenario, m.pattern,
                       m.run, m.merged->shards.size(), m.merged->count, static_cast<double>(m.merged->start_skew_us) / 1e3,
                       m.merged->partial() ? " (partial: not ranked)" : "");
    for (const auto& s : m.merged->shards)
        out << fmt::format("  shard {:>3}  {:<16} {:>12} requests {:>10.1f} req/s  p99 {:>9.3f} ms  {:>6} errors  start "
                           "+{:.3f} ms{}\n",
                           s.index, s.source_address.empty() ? s.hostname : s.source_address, s.completed, s.rate,
                           static_cast<double>(s.p99_us) / 1e3, s.errors, static_cast<double>(s.start_offset_us) / 1e3,
                           s.generator_bound ? "  generator-bound" : "");
}

}  // namespace

int merge(const merge_options& o, std::ostream& out, std::ostream& err) {
    std::vector<raw_result> merged;
    try {
        merged = distributed::merge_all(distributed::read_shard_files(o.inputs), o.allow_partial);
    } catch (const distributed::merge_error& e) {
        err << "shootout merge: " << e.what() << '\n';
        return exit_usage;
    }
    const auto raw_dir = o.output / "raw";
    std::error_code ec;
    std::filesystem::create_directories(raw_dir, ec);
    if (ec) throw config_error(fmt::format("--output {}: cannot create {}: {}", o.output.string(), raw_dir.string(), ec.message()));
    std::vector<sdk::measurement> measurements;
    bool failed = false;
    for (std::size_t i = 0; i < merged.size(); ++i) {
        const auto& m = merged[i].measurement;
        auto doc = measurement_to_json(m, merged[i].environment);
        doc.as_object()["sequence"] = i;
        measurement_from_json(doc);  // what is written must read back, figures checked, as `report` reads it
        write_file_atomically(raw_dir / (result_stem(m.framework, m.scenario, m.pattern, m.run) + ".json"),
                              boost::json::serialize(doc));
        failed = failed || m.outcome == sdk::outcome::failed;
        measurements.push_back(m);
    }
    print_summary(measurements, out);
    for (const auto& m : measurements) print_shards(m, out);
    out << fmt::format("\nmerged raw results: {} (shootout report --results {})\n", raw_dir.string(), o.output.string());
    return failed ? exit_run_failed : exit_ok;
}

}  // namespace shootout::core
