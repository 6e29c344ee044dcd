#include "manifest/document.h"

namespace shootout::core {
namespace tables {

std::string type_of(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date or time";
    }
}

std::string joined(const std::vector<std::string>& items) { return fmt::format("{}", fmt::join(items, ", ")); }

bool breaks_lines(std::string_view text) { return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

}  // namespace tables

std::string manifest_location::str() const { return fmt::format("{}:{}:{}", file, line, column); }

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    // Levenshtein distance; suggest the closest candidate within 2 edits.
    auto distance = [](std::string_view a, std::string_view b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t up = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
                diagonal = up;
            }
        }
        return row[b.size()];
    };
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& c : candidates) {
        const auto d = distance(word, c);
        if (d < best_distance) { best_distance = d; best = c; }
    }
    return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
}

}  // namespace shootout::core
