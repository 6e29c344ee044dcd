// SVG charts written by hand (nothing in Debian fits, and the HTML report must open offline).
// Every chart is an <svg class="chart"> whose drawn data (bars, lines, points, whiskers) carry
// class="mark", so a check can tell a chart that rendered data from an empty frame.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shootout::reporters::svg {

struct series {
    std::string name, colour;
    std::vector<std::pair<double, double>> points;  ///< (x, y), x ascending
    bool right_axis = false;  ///< drawn against the second y axis
    bool dashed = false;
};

struct axis {
    std::string label;
    bool log = false;  ///< logarithmic (values must be positive)
    /// Fixed ticks (position, label); empty: chosen from the data.
    std::vector<std::pair<double, std::string>> ticks;
};

/// Lines (with a point at each value) over a shared x axis; y2 is used by right_axis series.
std::string line_chart(const std::string& kind, const std::string& title, const axis& x, const axis& y,
                       const std::optional<axis>& y2, const std::vector<series>& lines);

struct bar {
    std::string label, colour;
    double value = 0;
    std::optional<std::pair<double, double>> whisker;  ///< (low, high), e.g. a 95 % interval
    std::string note;  ///< shown after the label, e.g. "1 run"
};

/// Vertical bars from zero, with optional whiskers.
std::string bar_chart(const std::string& kind, const std::string& title, const std::string& y_label,
                      const std::vector<bar>& bars);

}  // namespace shootout::reporters::svg
