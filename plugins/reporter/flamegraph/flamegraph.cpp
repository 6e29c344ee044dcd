// The flamegraph reporter: one interactive SVG per profiled measurement, from its folded stacks.
//
// The SVG is self-contained (inline CSS and JavaScript, nothing fetched) and deterministic:
// children are ordered by name and each frame's colour comes from a hash of its name, so the
// same stacks always give the same bytes and a golden file can check it.
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

struct frame_node {
    std::uint64_t samples = 0;
    std::map<std::string, frame_node> children;  // ordered by name: the layout is deterministic
};

// Reads "a;b;c 42" lines into a tree rooted at `root`. Returns the lines that did not parse.
std::size_t add_folded(std::istream& in, frame_node& root) {
    std::size_t bad = 0;
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) continue;
        const auto space = line.rfind(' ');
        std::uint64_t count = 0;
        try {
            std::size_t used = 0;
            if (space == std::string::npos) throw std::invalid_argument("no count");
            count = std::stoull(line.substr(space + 1), &used);
            if (used != line.size() - space - 1) throw std::invalid_argument("trailing text");
        } catch (const std::exception&) {
            ++bad;
            continue;
        }
        root.samples += count;
        frame_node* node = &root;
        std::string_view stack(line.data(), space);
        while (!stack.empty()) {
            const auto semicolon = stack.find(';');
            const auto name = stack.substr(0, semicolon);
            node = &node->children[std::string(name.empty() ? "[empty]" : name)];
            node->samples += count;
            if (semicolon == std::string_view::npos) break;
            stack.remove_prefix(semicolon + 1);
        }
    }
    return bad;
}

std::string xml_escaped(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) out += ' ';  // not allowed in XML 1.0
                else out += c;
        }
    }
    return out;
}

// Warm colours, fixed per name (FNV-1a), so a function keeps its colour across flamegraphs.
std::string colour_of(std::string_view name) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : name) h = (h ^ c) * 16777619u;
    return "rgb(" + std::to_string(205 + h % 50) + "," + std::to_string((h >> 8) % 200) + "," +
           std::to_string((h >> 16) % 55) + ")";
}

std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

constexpr double frame_height = 16, top = 40, bottom = 30, side = 10, char_width = 7;

// The label that fits in `width` pixels: the name, or its start and "..", or nothing.
std::string fitted(const std::string& name, double width) {
    const auto fits = static_cast<std::size_t>(std::max(0.0, (width - 6) / char_width));
    if (fits < 3) return {};
    if (name.size() <= fits) return name;
    return name.substr(0, fits - 2) + "..";
}

std::size_t depth_of(const frame_node& node) {
    std::size_t deepest = 0;
    for (const auto& [name, child] : node.children) deepest = std::max(deepest, 1 + depth_of(child));
    return deepest;
}

// Interaction, in the spirit of Brendan Gregg's flamegraph.pl: hover shows the frame, its samples
// and share; click zooms to the frame (its ancestors stay, faded); Search highlights the frames
// whose name matches a regular expression and shows their share of all samples.
constexpr const char* script = R"JS(
var W, FH, TOP, BOTTOM, SIDE, CHW, H, frames, details, matched, unzoomButton, searchButton, total, searching = null;
function init(evt) {
  var svg = document.documentElement;
  W = +svg.getAttribute("width"); H = +svg.getAttribute("height");
  FH = +svg.dataset.frameHeight; SIDE = +svg.dataset.side; CHW = +svg.dataset.charWidth; BOTTOM = +svg.dataset.bottom;
  frames = Array.prototype.slice.call(document.querySelectorAll("g.f"));
  details = document.getElementById("details"); matched = document.getElementById("matched");
  unzoomButton = document.getElementById("unzoom"); searchButton = document.getElementById("search");
  total = +frames[0].dataset.c;
  frames.forEach(function (g) {
    g.addEventListener("mouseover", function () { details.textContent = label(g); });
    g.addEventListener("mouseout", function () { details.textContent = " "; });
    g.addEventListener("click", function () { zoom(g); });
  });
  unzoomButton.addEventListener("click", function () { zoom(frames[0]); });
  searchButton.addEventListener("click", function () { searching ? clearSearch() : search(); });
  window.addEventListener("keydown", function (e) {
    if (e.key === "f" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); search(); }
    if (e.key === "Escape") clearSearch();
  });
}
function label(g) {
  var c = +g.dataset.c;
  return g.dataset.n + " (" + c.toLocaleString() + " samples, " + (100 * c / total).toFixed(2) + "%)";
}
function place(g, x, w) {
  var r = g.querySelector("rect"), t = g.querySelector("text");
  r.setAttribute("x", x.toFixed(2)); r.setAttribute("width", Math.max(w, 0).toFixed(2));
  t.setAttribute("x", (x + 3).toFixed(2));
  var fits = Math.floor((w - 6) / CHW), n = g.dataset.n;
  t.textContent = fits < 3 ? "" : n.length <= fits ? n : n.substring(0, fits - 2) + "..";
}
function zoom(z) {
  var zs = +z.dataset.s, zc = +z.dataset.c, zd = +z.dataset.d, width = W - 2 * SIDE;
  frames.forEach(function (g) {
    var s = +g.dataset.s, c = +g.dataset.c, d = +g.dataset.d;
    g.classList.remove("hide", "parent");
    if (d < zd && s <= zs && s + c >= zs + zc) { place(g, SIDE, width); g.classList.add("parent"); }
    else if (d >= zd && s >= zs && s + c <= zs + zc) place(g, SIDE + (s - zs) / zc * width, c / zc * width);
    else g.classList.add("hide");
  });
  unzoomButton.classList.toggle("hide", z === frames[0]);
}
function search() {
  var term = prompt("Search for a frame (regular expression):", searching || "");
  if (term) highlight(term);
}
function highlight(term) {
  var re;
  try { re = new RegExp(term); } catch (e) { alert("Not a regular expression: " + e.message); return; }
  var spans = [];
  frames.forEach(function (g) {
    var r = g.querySelector("rect");
    if (re.test(g.dataset.n)) { r.style.fill = "rgb(230,0,230)"; spans.push([+g.dataset.s, +g.dataset.c]); }
    else r.style.fill = "";
  });
  // A match inside another match is the same samples: count each sample once.
  spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
  var counted = 0, end = 0;
  spans.forEach(function (p) {
    var from = Math.max(p[0], end), to = p[0] + p[1];
    if (to > from) { counted += to - from; end = to; }
  });
  searching = term;
  searchButton.textContent = "Reset Search";
  matched.textContent = "Matched: " + (100 * counted / total).toFixed(2) + "% (" + counted.toLocaleString() + " samples)";
}
function clearSearch() {
  frames.forEach(function (g) { g.querySelector("rect").style.fill = ""; });
  searching = null; searchButton.textContent = "Search"; matched.textContent = " ";
}
)JS";

constexpr const char* style = R"CSS(
text { font-family: monospace; font-size: 12px; fill: rgb(0,0,0); }
#title { font-size: 16px; text-anchor: middle; }
#search, #unzoom { cursor: pointer; fill: rgb(30,60,160); }
#search, #matched { text-anchor: end; }
g.f { cursor: pointer; }
g.f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }
g.f text { pointer-events: none; }
.hide { display: none; }
.parent { opacity: 0.5; }
)CSS";

class svg_writer {
public:
    svg_writer(std::ostream& out, double width, double min_width, std::uint64_t total, double height)
        : out_(out), width_(width), min_width_(min_width), total_(total), height_(height) {}

    // Frames narrower than min_width pixels (and what they hold) are left out, as flamegraph.pl does.
    void frames(const std::string& name, const frame_node& node, std::uint64_t start, std::size_t depth) {
        const double scale = (width_ - 2 * side) / static_cast<double>(total_);
        const double w = static_cast<double>(node.samples) * scale;
        if (w < min_width_) return;
        const double x = side + static_cast<double>(start) * scale;
        const double y = height_ - bottom - static_cast<double>(depth + 1) * frame_height;
        const std::string escaped = xml_escaped(name);
        const double share = 100.0 * static_cast<double>(node.samples) / static_cast<double>(total_);
        out_ << "<g class=\"f\" data-n=\"" << escaped << "\" data-s=\"" << start << "\" data-c=\"" << node.samples
             << "\" data-d=\"" << depth << "\"><title>" << escaped << " (" << node.samples << " samples, "
             << fixed(share, 2) << "%)</title><rect x=\"" << fixed(x, 2) << "\" y=\"" << fixed(y, 1) << "\" width=\""
             << fixed(w, 2) << "\" height=\"" << fixed(frame_height - 1, 1) << "\" fill=\"" << colour_of(name)
             << "\" rx=\"2\"/><text x=\"" << fixed(x + 3, 2) << "\" y=\"" << fixed(y + 11.5, 1) << "\">"
             << xml_escaped(fitted(name, w)) << "</text></g>\n";
        for (const auto& [child_name, child] : node.children) {
            frames(child_name, child, start, depth + 1);
            start += child.samples;
        }
    }

private:
    std::ostream& out_;
    double width_, min_width_;
    std::uint64_t total_;
    double height_;
};

class flamegraph_reporter final : public reporter {
public:
    static constexpr std::array<option_spec, 2> options{{
        {"width", option_type::integer, "1200", "width of the SVG in pixels"},
        {"min_width", option_type::number, "0.1", "frames narrower than this many pixels are left out"},
    }};

    explicit flamegraph_reporter(const plugin_context& context)
        : width_(context.options.integer("width")), min_width_(context.options.number("min_width")), host_(context.host) {
        if (width_ < 200 || width_ > 100000) throw config_error("width", "must be between 200 and 100000 pixels");
        if (min_width_ < 0) throw config_error("min_width", "must not be negative");
    }

    void begin(const report_context& context) override { dir_ = context.output_dir; }

    void finish(const report_input& input) override {
        std::vector<std::string> failures;
        for (const auto& m : input.results.measurements) {
            if (!m.profile) continue;
            try {
                write(m);
            } catch (const std::exception& e) {
                failures.push_back(e.what());
                host_.warn(e.what());
            }
        }
        if (!failures.empty()) {
            std::string message = "flamegraphs not written:";
            for (const auto& f : failures) message += "\n  " + f;
            throw std::runtime_error(message);
        }
    }

private:
    void write(const measurement& m) {
        // A relative profile is the run's own (profiles/...); `shootout report --output` elsewhere
        // gives the host's absolute path into the run directory, checked when it read the raw file.
        const std::filesystem::path folded_path(m.profile->folded_path);
        const auto folded = folded_path.is_absolute() ? folded_path : path_inside(dir_, folded_path);
        std::ifstream in(folded);
        if (!in) throw std::runtime_error("cannot read the profile " + folded.string() + " of " + m.framework + " / " + m.scenario);
        frame_node root;
        add_folded(in, root);
        if (root.samples == 0) throw std::runtime_error("the profile " + folded.string() + " holds no sample");
        const auto file = path_inside(dir_, flamegraph_path(m.framework, m.scenario, m.pattern, m.run));
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        const double width = static_cast<double>(width_);
        const double height = top + bottom + static_cast<double>(depth_of(root) + 1) * frame_height;
        const std::string title = m.framework + " / " + m.scenario + " / " + m.pattern + ", run " + std::to_string(m.run) +
                                  ": " + m.profile->profiler + ", " + std::to_string(root.samples) + " samples";
        out << "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            << "<svg version=\"1.1\" width=\"" << width_ << "\" height=\"" << fixed(height, 0) << "\" viewBox=\"0 0 "
            << width_ << " " << fixed(height, 0) << "\" xmlns=\"http://www.w3.org/2000/svg\" onload=\"init(evt)\""
            << " data-frame-height=\"" << frame_height << "\" data-side=\"" << side << "\" data-char-width=\""
            << char_width << "\" data-bottom=\"" << bottom << "\">\n"
            << "<style>" << style << "</style>\n<script><![CDATA[" << script << "]]></script>\n"
            << "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"rgb(250,250,245)\"/>\n"
            << "<text id=\"title\" x=\"" << fixed(width / 2, 1) << "\" y=\"24\">" << xml_escaped(title) << "</text>\n"
            << "<text id=\"unzoom\" class=\"hide\" x=\"" << side << "\" y=\"24\">Reset Zoom</text>\n"
            << "<text id=\"search\" x=\"" << fixed(width - side, 1) << "\" y=\"24\">Search</text>\n"
            << "<text id=\"details\" x=\"" << side << "\" y=\"" << fixed(height - 10, 1) << "\"> </text>\n"
            << "<text id=\"matched\" x=\"" << fixed(width - side, 1) << "\" y=\"" << fixed(height - 10, 1) << "\"> </text>\n"
            << "<g id=\"frames\">\n";
        svg_writer(out, width, min_width_, root.samples, height).frames("all", root, 0, 0);
        out << "</g>\n</svg>\n";
        if (!out) throw std::runtime_error("cannot write " + file.string());
    }

    std::int64_t width_;
    double min_width_;
    const host_services& host_;
    std::filesystem::path dir_;
};

}  // namespace

SHOOTOUT_REGISTER_REPORTER(flamegraph_reporter, "flamegraph", "1.0.0",
                           "an interactive SVG flamegraph per profiled measurement ([profile] in the manifest)")
