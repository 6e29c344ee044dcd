#include "did_you_mean.h"

#include <algorithm>

#include <fmt/format.h>

namespace shootout::core {

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
