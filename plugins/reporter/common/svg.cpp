#include "svg.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report_common.h"

namespace shootout::reporters::svg {
namespace {

constexpr double width = 720, height = 320, top = 48, bottom = 52, left = 70;

// Round ticks: 1, 2 or 5 times a power of ten, about five of them from zero.
std::vector<double> nice_ticks(double high) {
    if (!(high > 0)) high = 1;
    const double raw = high / 5;
    const double power = std::pow(10, std::floor(std::log10(raw)));
    const double step = raw / power < 1.5 ? power : raw / power < 3.5 ? 2 * power : raw / power < 7.5 ? 5 * power : 10 * power;
    std::vector<double> ticks;
    for (double t = 0; t <= high * 1.0001 + step / 2 && ticks.size() < 12; t += step) ticks.push_back(t);
    return ticks;
}

std::string number_label(double v) {
    if (v == 0) return "0";
    if (std::fabs(v) >= 1e6) return fmt::format("{:g}M", v / 1e6);
    if (std::fabs(v) >= 1e4) return fmt::format("{:g}k", v / 1e3);
    return fmt::format("{:g}", v);
}

struct scale {
    double low = 0, high = 1, from = 0, to = 1;  // data range -> pixel range
    bool log = false;
    double operator()(double v) const {
        if (log) {
            const double lv = std::log10(std::max(v, low)), l0 = std::log10(low), l1 = std::log10(high);
            return from + (lv - l0) / (l1 - l0 > 0 ? l1 - l0 : 1) * (to - from);
        }
        return from + (v - low) / (high - low > 0 ? high - low : 1) * (to - from);
    }
};

std::vector<std::pair<double, std::string>> ticks_for(const axis& a, double low, double high, scale& s) {
    if (!a.ticks.empty()) return a.ticks;
    std::vector<std::pair<double, std::string>> ticks;
    if (a.log) {
        for (double t = std::pow(10, std::floor(std::log10(low))); t <= high * 1.0001; t *= 10) ticks.emplace_back(t, number_label(t));
        s.low = std::pow(10, std::floor(std::log10(low)));
        s.high = std::max(high, s.low * 10);
        s.high = std::pow(10, std::ceil(std::log10(s.high)));
        if (ticks.empty() || ticks.back().first < s.high) ticks.emplace_back(s.high, number_label(s.high));
        return ticks;
    }
    const auto t = nice_ticks(high);
    for (double v : t) ticks.emplace_back(v, number_label(v));
    s.low = 0;
    s.high = t.back();
    return ticks;
}

std::string header(const std::string& kind, const std::string& title) {
    return fmt::format("<svg class=\"chart\" data-chart=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
                       "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n"
                       "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#fff\"/>\n"
                       "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
                       html_escape(kind), width, height, width, height, html_escape(title), html_escape(title), width,
                       height, left, html_escape(title));
}

}  // namespace

std::string line_chart(const std::string& kind, const std::string& title, const axis& x, const axis& y,
                       const std::optional<axis>& y2, const std::vector<series>& lines) {
    const double right = y2 ? 70 : 20;
    double x_low = INFINITY, x_high = -INFINITY, y_high = 0, y2_high = 0, y_low = INFINITY, y2_low = INFINITY;
    for (const auto& s : lines)
        for (const auto& [px, py] : s.points) {
            x_low = std::min(x_low, px);
            x_high = std::max(x_high, px);
            (s.right_axis ? y2_high : y_high) = std::max(s.right_axis ? y2_high : y_high, py);
            if (py > 0) (s.right_axis ? y2_low : y_low) = std::min(s.right_axis ? y2_low : y_low, py);
        }
    std::string out = header(kind, title);
    if (!std::isfinite(x_low)) {
        out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#666\">no data</text>\n</svg>\n", left, height / 2);
        return out;
    }
    // x: fixed ticks widen the range to include them; otherwise round ticks over the data.
    scale sx{x_low, x_high > x_low ? x_high : x_low + 1, left, width - right, false};
    std::vector<std::pair<double, std::string>> x_ticks = x.ticks;
    if (!x_ticks.empty()) {
        sx.low = std::min(sx.low, x_ticks.front().first);
        sx.high = std::max(sx.high, x_ticks.back().first);
    } else {
        for (double t : nice_ticks(sx.high))
            if (t >= sx.low - 1e-9) x_ticks.emplace_back(t, number_label(t));
    }
    scale sy{0, 1, height - bottom, top, y.log};
    scale sy2{0, 1, height - bottom, top, y2 && y2->log};
    const auto y_ticks = ticks_for(y, std::isfinite(y_low) ? y_low : 1, std::max(y_high, 1e-9), sy);
    std::vector<std::pair<double, std::string>> y2_ticks;
    if (y2) y2_ticks = ticks_for(*y2, std::isfinite(y2_low) ? y2_low : 1, std::max(y2_high, 1e-9), sy2);

    // Grid and axes.
    out += "<g font-size=\"11\" fill=\"#333\">\n";
    for (const auto& [v, label] : y_ticks) {
        const double py = sy(v);
        out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e5e5e5\"/>"
                           "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                           left, width - right, py, py, left - 6, py + 4, html_escape(label));
    }
    for (const auto& [v, label] : y2_ticks)
        out += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", width - right + 6, sy2(v) + 4, html_escape(label));
    for (const auto& [v, label] : x_ticks) {
        if (v < sx.low - 1e-9 || v > sx.high + 1e-9) continue;
        out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", sx(v), height - bottom + 16,
                           html_escape(label));
    }
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", left, width - right,
                       height - bottom, height - bottom);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (left + width - right) / 2,
                       height - bottom + 34, html_escape(x.label));
    out += fmt::format("<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                       (top + height - bottom) / 2, html_escape(y.label));
    if (y2)
        out += fmt::format("<text transform=\"translate({} {}) rotate(90)\" text-anchor=\"middle\">{}</text>\n", width - 10,
                           (top + height - bottom) / 2, html_escape(y2->label));
    out += "</g>\n";

    // Legend, one entry per series, above the plot.
    double lx = left;
    for (const auto& s : lines) {
        out += fmt::format("<g font-size=\"11\"><line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"36\" y2=\"36\" stroke=\"{2}\" stroke-width=\"2\"{3}/>"
                           "<text x=\"{4:.1f}\" y=\"40\">{5}</text></g>\n",
                           lx, lx + 16, html_escape(s.colour), s.dashed ? " stroke-dasharray=\"4 3\"" : "", lx + 20,
                           html_escape(s.name));
        lx += 28 + 6.5 * static_cast<double>(s.name.size());
    }

    for (const auto& s : lines) {
        if (s.points.empty()) continue;
        const auto& ys = s.right_axis ? sy2 : sy;
        std::string points;
        for (const auto& [px, py] : s.points) points += fmt::format("{:.1f},{:.1f} ", sx(px), ys(py));
        out += fmt::format("<polyline class=\"mark\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n",
                           html_escape(s.colour), s.dashed ? " stroke-dasharray=\"4 3\"" : "", points);
        if (s.points.size() <= 60)
            for (const auto& [px, py] : s.points)
                out += fmt::format("<circle class=\"mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"><title>{}: {:g}</title></circle>\n",
                                   sx(px), ys(py), html_escape(s.colour), html_escape(s.name), py);
    }
    out += "</svg>\n";
    return out;
}

std::string bar_chart(const std::string& kind, const std::string& title, const std::string& y_label,
                      const std::vector<bar>& bars) {
    std::string out = header(kind, title);
    if (bars.empty()) {
        out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#666\">no data</text>\n</svg>\n", left, height / 2);
        return out;
    }
    double high = 0;
    for (const auto& b : bars) high = std::max({high, b.value, b.whisker ? b.whisker->second : 0.0});
    scale sy{0, 1, height - bottom, top, false};
    const auto ticks = ticks_for(axis{}, 1, std::max(high, 1e-9), sy);
    const double right = 20, plot = width - left - right;
    const double slot = plot / static_cast<double>(bars.size());
    const double bar_width = std::min(slot * 0.6, 80.0);
    out += "<g font-size=\"11\" fill=\"#333\">\n";
    for (const auto& [v, label] : ticks)
        out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e5e5e5\"/>"
                           "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                           left, width - right, sy(v), sy(v), left - 6, sy(v) + 4, html_escape(label));
    out += fmt::format("<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                       (top + height - bottom) / 2, html_escape(y_label));
    out += "</g>\n";
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const auto& b = bars[i];
        const double cx = left + slot * (static_cast<double>(i) + 0.5);
        const double y0 = sy(0), y1 = sy(b.value);
        out += fmt::format("<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                           "<title>{}: {:g}</title></rect>\n",
                           cx - bar_width / 2, y1, bar_width, std::max(y0 - y1, 0.5), html_escape(b.colour),
                           html_escape(b.label), b.value);
        if (b.whisker) {
            const double lo = sy(std::max(0.0, b.whisker->first)), hi = sy(b.whisker->second);
            out += fmt::format("<path class=\"mark\" d=\"M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} {1:.1f}H{4:.1f}M{3:.1f} {2:.1f}H{4:.1f}\" "
                               "stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"/>\n",
                               cx, lo, hi, cx - 8, cx + 8);
        }
        out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", cx,
                           height - bottom + 16, html_escape(b.label));
        if (!b.note.empty())
            out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" fill=\"#666\" text-anchor=\"middle\">{}</text>\n",
                               cx, height - bottom + 30, html_escape(b.note));
    }
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n</svg>\n", left, width - right,
                       height - bottom, height - bottom);
    return out;
}

}  // namespace shootout::reporters::svg
