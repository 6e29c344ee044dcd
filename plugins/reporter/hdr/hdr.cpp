// The `hdr` reporter: each measurement's latency in HdrHistogram's own formats, for the tools
// built around them (HistogramLogAnalyzer, HdrLogProcessing, hdr-plot, any HdrHistogram library):
//   hdr/<framework>__<scenario>__<pattern>__run<N>.hlog: an interval log, one histogram per
//     measured second (the raw results' per-second buckets);
//   hdr/<…>.latency.hdr (and .latency_uncorrected.hdr under the open model): the whole
//     measurement's histogram, one base64 line of the compressed V2 encoding.
// Values are microseconds; the log's Interval_Max column is in milliseconds (a value unit ratio
// of 1000, which these tools ask for).
#include <fstream>

#include <fmt/format.h>

#include <shootout/sdk/plugin.h>

#include "hdr_encoding.h"

namespace {

using namespace shootout::sdk;
namespace hdr = shootout::reporters::hdr;

std::string base_name(const measurement& m) {
    return fmt::format("{}__{}__{}__run{}", m.framework, m.scenario, m.pattern, m.run);
}

// The interval log of HdrHistogram's HistogramLogWriter (format 1.3), seconds from the start of
// the first measured phase. Empty when the results hold no per-second buckets (schema 1).
std::string interval_log(const measurement& m) {
    std::string log = fmt::format("#[{} / {} / {} run {}: latency in microseconds, one interval per measured second]\n"
                                  "#[Histogram log format version 1.3]\n"
                                  "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
                                  m.framework, m.scenario, m.pattern, m.run);
    histogram second(m.latency_us.highest(), m.latency_us.significant_digits());
    bool any = false;
    for (const auto& t : m.timeline) {
        if (t.latency_buckets.empty()) continue;
        second.reset();
        if (!second.add_sparse(t.latency_buckets))
            throw std::runtime_error(fmt::format("{}: second {} has a bucket outside the latency layout", base_name(m), t.second));
        log += fmt::format("{:.3f},{:.3f},{:.3f},{}\n", t.second, 1.0, static_cast<double>(second.max()) / 1000.0,
                           hdr::base64(hdr::encode_compressed(second)));
        any = true;
    }
    return any ? log : std::string();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

class hdr_reporter final : public reporter {
public:
    static constexpr std::array<option_spec, 0> options{};

    explicit hdr_reporter(const plugin_context&) {}

    void begin(const report_context& context) override {
        dir_ = context.output_dir;
        err_ = &context.err;
    }

    void finish(const report_input& input) override {
        std::size_t without_seconds = 0;
        for (const auto& m : input.results.measurements) {
            if (m.outcome != outcome::measured) continue;
            const auto name = base_name(m);
            std::filesystem::create_directories(dir_ / "hdr");
            write_text(path_inside(dir_, "hdr/" + name + ".latency.hdr"), hdr::base64(hdr::encode_compressed(m.latency_us)) + "\n");
            if (m.latency_uncorrected_us)
                write_text(path_inside(dir_, "hdr/" + name + ".latency_uncorrected.hdr"),
                           hdr::base64(hdr::encode_compressed(*m.latency_uncorrected_us)) + "\n");
            const auto log = interval_log(m);
            if (log.empty()) ++without_seconds;
            else write_text(path_inside(dir_, "hdr/" + name + ".hlog"), log);
        }
        if (without_seconds)
            *err_ << fmt::format("hdr: {} measurement(s) have no per-second histograms (raw results of schema 1): "
                                 "their whole histograms are written, their interval logs are not\n",
                                 without_seconds);
    }

private:
    std::filesystem::path dir_;
    std::ostream* err_ = nullptr;
};

}  // namespace

SHOOTOUT_REGISTER_REPORTER(hdr_reporter, "hdr", "1.0.0",
                           "HdrHistogram V2 histograms and per-second interval logs, for HdrHistogram tools")
