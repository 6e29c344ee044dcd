// A reporter built out of tree: one tab-separated line per measurement, for spreadsheets.
#include <fstream>

#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

class tsv_reporter final : public reporter {
public:
    static constexpr std::array<option_spec, 1> options{{
        {"file", option_type::string, "summary.tsv", "file name inside the run's output directory"},
    }};

    explicit tsv_reporter(const plugin_context& context) : file_(context.options.string("file")) {
        if (file_.empty() || file_.find('/') != std::string::npos)
            throw config_error("file", "must be a plain file name, without '/'");
    }

    void begin(const report_context& context) override { dir_ = context.output_dir; }

    // The host hands over the summary with the manifest's [verdict] applied: the verdict column
    // is the one every other report and the console show.
    void finish(const report_input& input) override {
        std::ofstream out(dir_ / file_);
        out << "framework\tscenario\tpattern\trun\toutcome\treq_s\tp50_us\tp99_us\terrors\tverdict\n";
        for (const auto& m : input.results.measurements) {
            const auto* group = stats::find_group(input.summary, m.framework, m.scenario, m.pattern);
            static const char* outcomes[] = {"measured", "failed", "skipped", "not_supported"};
            out << m.framework << '\t' << m.scenario << '\t' << m.pattern << '\t' << m.run << '\t'
                << outcomes[static_cast<int>(m.outcome)] << '\t' << m.rate << '\t'
                << m.latency_us.value_at_percentile(50) << '\t' << m.latency_us.value_at_percentile(99) << '\t'
                << m.errors.total() << '\t' << (group ? stats::verdict_name(group->verdict) : "") << '\n';
        }
        if (!out) throw std::runtime_error("cannot write " + (dir_ / file_).string());
    }

private:
    std::string file_;
    std::filesystem::path dir_;
};

}  // namespace

SHOOTOUT_REGISTER_REPORTER(tsv_reporter, "tsv", "1.0.0", "one tab-separated line per measurement (example)")
