#include "verdict/threshold.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "did_you_mean.h"

namespace shootout::core::verdict {
namespace {

using figure = threshold::figure;
using comparison = threshold::comparison;

const std::vector<std::string> figure_examples = {"p50", "p90", "p95", "p99", "p99.9", "mean", "max", "rps", "error_rate"};
constexpr const char* known_figures =
    "known: pN for a latency percentile, like p50, p90, p95, p99 or p99.9; mean; max; rps; error_rate";

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}
bool is_operator(char c) { return c == '<' || c == '>' || c == '=' || c == '!'; }

// Reads a condition left to right; each step names what it expected where it stopped.
class condition_reader {
public:
    explicit condition_reader(std::string_view text) : text_(text) {}

    std::size_t at() const { return at_; }
    bool done() {
        skip_spaces();
        return at_ == text_.size();
    }
    std::string_view take_while(bool (*part_of)(char)) {
        skip_spaces();
        const auto from = at_;
        while (at_ < text_.size() && part_of(text_[at_])) ++at_;
        return text_.substr(from, at_ - from);
    }
    std::string_view rest() {
        skip_spaces();
        auto r = text_.substr(at_);
        at_ = text_.size();
        while (!r.empty() && is_space(r.back())) r.remove_suffix(1);
        return r;
    }
    // The unit after a number: everything up to the next space.
    std::string_view unit() {
        const auto from = at_;
        while (at_ < text_.size() && !is_space(text_[at_])) ++at_;
        return text_.substr(from, at_ - from);
    }
    void skip_spaces() {
        while (at_ < text_.size() && is_space(text_[at_])) ++at_;
    }

private:
    std::string_view text_;
    std::size_t at_ = 0;
};

std::optional<double> number_of(std::string_view text) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

bool is_latency(figure f) { return f == figure::percentile || f == figure::mean || f == figure::max; }

// "50ms", "2000", "0.1%": a bound on the figure as it is written, for messages.
const char* example_bound(figure f) { return is_latency(f) ? "50ms" : f == figure::rps ? "2000" : "0.1%"; }
// A rate is bounded from below, a latency or an error rate from above.
const char* usual_comparison(figure f) { return f == figure::rps ? ">" : "<"; }

// The figure: pN, mean, max, rps or error_rate.
std::optional<threshold_problem> read_figure(condition_reader& in, threshold& t) {
    const auto from = in.at();
    const std::string word(in.take_while(is_word));
    if (word.empty())
        return threshold_problem{from, fmt::format("must start with the figure it bounds ({})", known_figures)};
    if (word == "mean") t.what = figure::mean;
    else if (word == "max") t.what = figure::max;
    else if (word == "rps") t.what = figure::rps;
    else if (word == "error_rate") t.what = figure::error_rate;
    else if (auto n = word.size() > 1 && word[0] == 'p' && std::isdigit(static_cast<unsigned char>(word[1]))
                          ? number_of(std::string_view(word).substr(1))
                          : std::nullopt) {
        if (!(*n > 0 && *n < 100)) {
            // p999 is p99.9 without its point, the likeliest slip.
            const std::string digits = word.substr(1);
            const bool dropped_point = digits.size() > 2 && digits.rfind("99", 0) == 0 &&
                                       digits.find('.') == std::string::npos;
            return threshold_problem{
                from, fmt::format("'{}' is no percentile: N in pN must be above 0 and below 100 (the largest "
                                  "latency is max){}",
                                  word, dropped_point ? fmt::format("; did you mean 'p99.{}'?", digits.substr(2)) : "")};
        }
        t.what = figure::percentile;
        t.percentile = *n;
    } else {
        return threshold_problem{from, fmt::format("unknown figure '{}' ({}){}", word, known_figures,
                                                   did_you_mean(word, figure_examples))};
    }
    return std::nullopt;
}

std::optional<threshold_problem> read_comparison(condition_reader& in, threshold& t, const std::string& figure_word) {
    const auto from = (in.skip_spaces(), in.at());
    const std::string op(in.take_while(is_operator));
    if (op == "<") t.op = comparison::less;
    else if (op == "<=") t.op = comparison::less_equal;
    else if (op == ">") t.op = comparison::greater;
    else if (op == ">=") t.op = comparison::greater_equal;
    else if (op.empty())
        return threshold_problem{from, fmt::format("needs a comparison after '{0}': <, <=, > or >=, like {0} {1} {2}",
                                                   figure_word, usual_comparison(t.what), example_bound(t.what))};
    else
        return threshold_problem{
            from, fmt::format("unknown comparison '{}' (known: <, <=, >, >=){}", op,
                              op == "=<" ? "; did you mean '<='?" : op == "=>" ? "; did you mean '>='?" : "")};
    return std::nullopt;
}

// The unit a figure's bound takes, checked, and the bound against the figure's range.
std::optional<threshold_problem> read_unit(std::string_view unit, std::size_t unit_at, threshold& t) {
    const std::string u(unit);
    if (is_latency(t.what)) {
        if (u.empty())
            return threshold_problem{unit_at, fmt::format("a latency needs a unit: {0}us, {0}ms or {0}s", t.bound)};
        if (u != "us" && u != "ms" && u != "s")
            return threshold_problem{unit_at, fmt::format("unknown unit '{}' for a latency (known: us, ms, s){}", u,
                                                          did_you_mean(u, {"us", "ms", "s"}))};
        t.unit = u;
    } else if (t.what == figure::rps) {
        if (!u.empty())
            return threshold_problem{unit_at, fmt::format("rps is requests per second and takes no unit, found '{}'", u)};
        t.unit = "req/s";
    } else if (u == "%") {
        if (t.bound > 100)
            return threshold_problem{unit_at, fmt::format("error_rate is a share of at most 100 %, found {} %", t.bound)};
        t.unit = "%";
    } else if (u.empty()) {
        if (t.bound > 1)
            return threshold_problem{unit_at, fmt::format("error_rate without % is a fraction, at most 1; for a "
                                                          "percentage write {}%",
                                                          t.bound)};
        t.unit = "fraction";
    } else {
        return threshold_problem{unit_at, fmt::format("unknown unit '{}' for error_rate (known: % for a percentage, "
                                                      "none for a fraction like 0.001)",
                                                      u)};
    }
    return std::nullopt;
}

double ceiling_of(const threshold& t) { return t.unit == "%" ? 100 : t.unit == "fraction" ? 1 : INFINITY; }

// A bound no figure can meet is a mistake, not a threshold that always fails.
std::optional<threshold_problem> impossible(const threshold& t, std::size_t op_at) {
    if (t.op == comparison::less && t.bound == 0)
        return threshold_problem{op_at, fmt::format("'{}' can never hold: no figure is below 0{}", t.condition,
                                                    t.what == figure::error_rate ? "; for no errors at all write "
                                                                                   "error_rate <= 0"
                                                                                 : "")};
    if (t.op == comparison::greater && t.bound == ceiling_of(t))
        return threshold_problem{op_at, fmt::format("'{}' can never hold: error_rate is never above {}{}", t.condition,
                                                    t.bound, t.unit == "%" ? " %" : "")};
    return std::nullopt;
}

const char* comparison_text(comparison op) {
    switch (op) {
        case comparison::less: return "<";
        case comparison::less_equal: return "<=";
        case comparison::greater: return ">";
        case comparison::greater_equal: return ">=";
    }
    return "?";
}

std::string figure_name(const threshold& t) {
    switch (t.what) {
        case figure::percentile: return fmt::format("p{}", t.percentile);
        case figure::mean: return "mean";
        case figure::max: return "max";
        case figure::rps: return "rps";
        case figure::error_rate: return "error_rate";
    }
    return "?";
}

// The group's figure in the threshold's unit: latencies from the merged histogram (µs).
double figure_of(const threshold& t, const sdk::stats::group& g) {
    const double per_us = t.unit == "ms" ? 1e-3 : t.unit == "s" ? 1e-6 : 1.0;
    switch (t.what) {
        case figure::percentile: return static_cast<double>(g.latency_us.value_at_percentile(t.percentile)) * per_us;
        case figure::mean: return g.latency_us.mean() * per_us;
        case figure::max: return static_cast<double>(g.latency_us.max()) * per_us;
        case figure::rps: return g.rate.median;
        case figure::error_rate: return t.unit == "%" ? 100 * g.error_rate : g.error_rate;
    }
    return 0;
}

// Equal within rounding: 50004 µs is 50.004 ms even when the division and the parsing of
// "50.004" round differently, and 1 error in 1000 is 0.1 %.
bool nearly_equal(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max({std::abs(a), std::abs(b), 1e-300}); }

bool holds(comparison op, double measured, double bound) {
    const bool equal = nearly_equal(measured, bound);
    switch (op) {
        case comparison::less: return measured < bound && !equal;
        case comparison::less_equal: return measured < bound || equal;
        case comparison::greater: return measured > bound && !equal;
        case comparison::greater_equal: return measured > bound || equal;
    }
    return false;
}

// The measured figure with the unit's usual decimals; when it equals the bound, with the bound's
// decimals too, and when it differs, with as many more as it takes to print it apart from the
// bound ("50.00 ms is not < 50 ms" would read as a mistake).
std::string measured_text(const threshold& t, double measured) {
    int decimals = t.unit == "us" ? 0 : t.unit == "ms" ? 2 : t.unit == "s" ? 3 : t.unit == "req/s" ? 1 : t.unit == "%" ? 2 : 4;
    if (nearly_equal(measured, t.bound)) {
        const auto bound = fmt::format("{}", t.bound);
        const auto point = bound.find('.');
        if (point != std::string::npos && bound.find('e') == std::string::npos)
            decimals = std::max(decimals, static_cast<int>(bound.size() - point - 1));
        return fmt::format("{:.{}f}", measured, decimals);
    }
    std::string text = fmt::format("{:.{}f}", measured, decimals);
    while (decimals < 9 && text == fmt::format("{:.{}f}", t.bound, decimals)) text = fmt::format("{:.{}f}", measured, ++decimals);
    return text;
}

std::string with_unit(const std::string& number, const std::string& unit) {
    return unit == "fraction" ? number : number + " " + unit;
}

}  // namespace

std::variant<threshold, threshold_problem> parse_threshold(std::string_view condition) {
    threshold t;
    condition_reader in(condition);
    const auto lead = (in.skip_spaces(), in.at());
    t.condition = std::string(condition.substr(lead));
    while (!t.condition.empty() && is_space(t.condition.back())) t.condition.pop_back();
    if (t.condition.empty())
        return threshold_problem{0, "is empty: write a condition like \"p99 < 50ms\", \"error_rate < 0.1%\" or \"rps > 2000\""};
    if (auto p = read_figure(in, t)) return *p;
    const std::string figure_word(condition.substr(lead, in.at() - lead));
    if (auto p = read_comparison(in, t, figure_word)) return *p;
    const auto op_at = in.at() - std::string_view(comparison_text(t.op)).size();
    in.skip_spaces();
    const auto number_at = in.at();
    if (in.done())
        return threshold_problem{number_at, fmt::format("needs a bound after '{0}', like {1} {0} {2}",
                                                        comparison_text(t.op), figure_word, example_bound(t.what))};
    const auto digits = in.take_while([](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    const auto value = digits.empty() ? std::nullopt : number_of(digits);
    if (!value) {
        const auto unit = in.unit();
        return threshold_problem{number_at, condition[number_at] == '-'
                                                ? std::string("the bound must not be negative: no figure is below 0")
                                                : fmt::format("the bound '{}{}' is not a number", digits, unit)};
    }
    t.bound = *value;
    const auto unit_at = (in.skip_spaces(), in.at());
    if (auto p = read_unit(in.unit(), unit_at, t)) return *p;
    const auto rest_at = (in.skip_spaces(), in.at());
    if (const auto rest = in.rest(); !rest.empty())
        return threshold_problem{rest_at, fmt::format("unexpected '{}' after the bound: a threshold is one condition, "
                                                      "give each its own",
                                                      rest)};
    if (auto p = impossible(t, op_at)) return *p;
    return t;
}

bool glob_matches(const std::string& glob, const std::string& name) { return ::fnmatch(glob.c_str(), name.c_str(), 0) == 0; }

bool applies_to(const threshold& t, const std::string& framework, const std::string& scenario, const std::string& pattern) {
    auto any = [](const std::vector<std::string>& globs, const std::string& name) {
        return globs.empty() || std::any_of(globs.begin(), globs.end(), [&](const std::string& g) { return glob_matches(g, name); });
    };
    return any(t.frameworks, framework) && any(t.scenarios, scenario) && any(t.patterns, pattern);
}

sdk::stats::threshold_check judge_threshold(const threshold& t, std::size_t index, const sdk::stats::group& g) {
    sdk::stats::threshold_check check;
    check.threshold_index = index;
    check.measured = figure_of(t, g);
    check.passed = holds(t.op, check.measured, t.bound);
    check.text = fmt::format("{} {} is {}{} {}", figure_name(t), with_unit(measured_text(t, check.measured), t.unit),
                             check.passed ? "" : "not ", comparison_text(t.op), with_unit(fmt::format("{}", t.bound), t.unit));
    return check;
}

}  // namespace shootout::core::verdict
