// What the built-in reporters share: the options every one of them takes, number formatting
// that never depends on the locale, escaping for each output format, and the facts a
// methodology section states. Linked statically into each reporter plugin.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <shootout/sdk/plugin.h>
#include <shootout/sdk/reporter.h>
#include <shootout/sdk/summary.h>

namespace shootout::reporters {

/// A plain file name inside the output directory (throws sdk::config_error otherwise).
std::string file_name_from(const sdk::option_values& options, const std::string& key = "file");

/// Writes `text` to dir/name through a temporary file and a rename; throws with the path on failure.
void write_report_file(const std::filesystem::path& dir, const std::string& name, std::string_view text);

/// The options of a summary_file_reporter: its file (default `default_file`). The verdict's
/// criteria are the manifest's [verdict] table, for every report at once.
constexpr std::array<sdk::option_spec, 1> summary_file_options(const char* default_file) {
    return {{{"file", sdk::option_type::string, default_file, "file name inside the run directory"}}};
}

/// What md, csv, json and html have in common: one file in the output directory, named by the
/// `file` option, rendering the summary the host computed. A reporter only renders; finish() writes.
class summary_file_reporter : public sdk::reporter {
public:
    explicit summary_file_reporter(const sdk::plugin_context& context) : file_(file_name_from(context.options)) {}

    void begin(const sdk::report_context& context) override { dir_ = context.output_dir; }
    void finish(const sdk::report_input& input) override {
        write_report_file(dir_, file_, render(input.results, input.summary));
    }

protected:
    virtual std::string render(const sdk::result_set& results, const sdk::stats::summary& summary) = 0;

private:
    std::string file_;
    std::filesystem::path dir_;
};

// Numbers, formatted the same everywhere (fmt, no locale): reports must not vary by machine.
std::string rate_text(double req_s);              ///< "12345" or "87.5"
std::string ms_text(std::int64_t us);             ///< "1.23"
std::string percent_text(double fraction);        ///< "0.12 %"
std::string optional_text(const std::optional<double>& v, int decimals);  ///< "-" when empty

/// "12345 (11900–12800)", or "12345 (1 run: no interval)".
std::string rate_with_interval(const sdk::stats::group& g);
/// "0", or "12 (0.05 %: timeout 10, status 2)".
std::string errors_text(const sdk::stats::group& g);
/// "timeout 10, status 2", or "" without errors.
std::string error_classes_text(const sdk::error_counts& e);
/// An SLO search's outcome in words: "found 244 req/s with p99 ≤ 20.00 ms and errors ≤ 0.10 %
/// (resolution 3.9 req/s, 11 probes): converged: ...", or "no rate held ..." with how it ended.
std::string search_text(const sdk::search_result& s);
/// "failed", "skipped", "not supported".
std::string verdict_text(sdk::stats::verdict v);

/// What was not ranked, one entry per framework, verdict and reason rather than per measurement:
/// a framework that is not installed is skipped everywhere for one reason, and says so once.
struct unranked_entry {
    std::string framework;
    sdk::stats::verdict verdict;
    std::string reason;
    std::vector<std::string> where;  ///< "scenario / pattern", plain text
    bool everywhere = false;         ///< every (scenario, pattern) of the framework, more than one
};
std::vector<unranked_entry> unranked_entries(const sdk::stats::summary& summary);

/// Every group of a ranking: the ranked ones in rank order, then the others.
inline std::vector<const sdk::stats::group*> groups_of(const sdk::stats::ranking& r) {
    std::vector<const sdk::stats::group*> groups(r.ranked.begin(), r.ranked.end());
    groups.insert(groups.end(), r.unranked.begin(), r.unranked.end());
    return groups;
}
/// "all 14 scenario / pattern pairs", or the pairs joined with ", ".
std::string unranked_scope(const unranked_entry& e);

/// A threshold that failed on a group, as every report lists it.
struct threshold_failure {
    const sdk::stats::group* group;
    std::string text;  ///< "p99 62.31 ms is not < 50 ms"
};
/// Every failed threshold, group by group in the summary's order, each group's in the order written.
std::vector<threshold_failure> threshold_failures(const sdk::stats::summary& summary);
/// How many checks the thresholds made on all groups.
std::size_t threshold_checks(const sdk::stats::summary& summary);
/// "Thresholds failed (2 of 6 checks):" or "Thresholds: all 6 checks passed." (plain text, for
/// the line that heads the list); "" without thresholds.
std::string thresholds_heading(const sdk::stats::summary& summary);

std::string html_escape(std::string_view s);
std::string csv_field(std::string_view s);
/// A Markdown table cell: '|' escaped, line breaks as spaces, '<' and '&' escaped (no HTML gets through).
std::string md_cell(std::string_view s);

/// What ran, as read from the results (never from a template): the basis of a methodology section.
struct methodology {
    struct pattern_facts {
        std::string name;
        std::vector<std::pair<std::string, double>> phases;  ///< measured phases: name, seconds
        std::uint32_t connections_asked = 0;                  ///< the most any measurement asked for
        bool open_model = false;
    };
    std::vector<std::string> frameworks, scenarios;
    std::vector<pattern_facts> patterns;
    std::size_t runs = 0;  ///< the most runs any (framework, scenario, pattern) had
    bool interleaved = false;  ///< run 1 of every framework came before run 2 of any
    std::string server_cpus, generator_cpus;  ///< as recorded ("1", "0"), "" if not pinned
    std::size_t measurements = 0, measured = 0;
    /// Each connection mode measured (sdk::measurement::requests_per_connection), in the order
    /// first met, with the scenarios measured under it.
    std::vector<std::pair<std::uint32_t, std::vector<std::string>>> connection_modes;
};
methodology methodology_of(const sdk::result_set& results, const sdk::stats::summary& summary);

/// The methodology as (label, sentence) pairs, plain text: what ran, each pattern, runs,
/// machine, software, framework versions, statistics. Each format escapes and lays it out.
std::vector<std::pair<std::string, std::string>> methodology_lines(const sdk::result_set& results,
                                                                   const sdk::stats::summary& summary,
                                                                   const methodology& facts);

/// Stable colours for frameworks, by their first appearance.
std::string framework_colour(std::size_t index);

}  // namespace shootout::reporters
