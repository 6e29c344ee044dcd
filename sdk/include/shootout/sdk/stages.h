// Stages written as text in a manifest, for load patterns: "NAME DURATION FROM->TO" (a linear
// ramp) or "NAME DURATION N" (a hold), like "ramp 60s 10->500" or "hold 2m 500". The spike
// pattern reads connection counts this way, the constant-rate pattern request rates.
#pragma once

#include <charconv>
#include <cmath>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"

namespace shootout::sdk {

/// "500ms", "30s", "2m", "1h" -> nanoseconds; nullopt if it is not one of those.
inline std::optional<std::chrono::nanoseconds> parse_stage_duration(std::string_view text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // from_chars takes "inf" and "nan" too; neither is a duration, and a week is plenty.
    if (ec != std::errc{} || !std::isfinite(value) || value < 0) return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    double scale = 0;
    if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else return std::nullopt;
    if (value * scale > 7 * 24 * 3600e9) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(value * scale));
}

struct stage_text {
    std::string name;
    std::chrono::nanoseconds length{};
    double from = 0, to = 0;
};

/// Parses one stage of the string-list option `key`. `what` names the numbers for the error
/// ("connection count", "rate"); each must lie in [min, max]. Throws config_error naming the
/// stage and showing the expected form.
inline stage_text parse_stage(const std::string& text, const std::string& key, const std::string& what, double min,
                              double max, const std::string& example) {
    const auto fail = [&](const std::string& why) {
        return config_error(key, "stage \"" + text + "\": " + why +
                                     "; write \"NAME DURATION FROM->TO\" (a ramp) or \"NAME DURATION N\" (a hold), like " +
                                     example);
    };
    std::vector<std::string_view> words;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const auto end = rest.find(' ');
        words.push_back(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    if (words.size() != 3) throw fail("expected three words");
    stage_text stage;
    stage.name = std::string(words[0]);
    const auto length = parse_stage_duration(words[1]);
    if (!length || *length <= std::chrono::nanoseconds::zero())
        throw fail("'" + std::string(words[1]) + "' is not a duration of up to a week (500ms, 30s, 2m, 1h)");
    stage.length = *length;
    const auto number = [&](std::string_view s) -> std::optional<double> {
        double v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v) || v < min || v > max) return std::nullopt;
        return v;
    };
    const auto arrow = words[2].find("->");
    const auto from = number(words[2].substr(0, arrow));
    const auto to = arrow == std::string_view::npos ? from : number(words[2].substr(arrow + 2));
    if (!from || !to)
        throw fail("'" + std::string(words[2]) + "' is not a " + what + " from " + std::to_string(static_cast<long long>(min)) +
                   " to " + std::to_string(static_cast<long long>(max)));
    stage.from = *from;
    stage.to = *to;
    return stage;
}

/// Throws config_error for `key` if two stages share a name (reports tell stages apart by name).
inline void require_unique_stage_names(const std::vector<stage_text>& stages, const std::string& key) {
    for (std::size_t i = 0; i < stages.size(); ++i)
        for (std::size_t j = i + 1; j < stages.size(); ++j)
            if (stages[i].name == stages[j].name)
                throw config_error(key, "two stages are named '" + stages[i].name + "'; give each its own name");
}

}  // namespace shootout::sdk
