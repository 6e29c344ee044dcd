#include "names.h"

#include <algorithm>

#include <fmt/format.h>

namespace shootout::core {

std::string name_problem(std::string_view name) {
    const auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.';
    };
    static constexpr std::string_view rule =
        "1 to 64 letters, digits, '-', '_' or '.', not starting with '.' or '_', not ending with '_' and without "
        "\"__\" (names become parts of file names, joined by \"__\")";
    if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), allowed))
        return fmt::format("must be {}", rule);
    if (name.front() == '.') return fmt::format("starts with '.'; it must be {}", rule);
    // A name that started or ended with '_' could run into the "__" that joins it to the next.
    if (name.front() == '_' || name.back() == '_' || name.find("__") != std::string_view::npos)
        return fmt::format("would make result file names ambiguous; it must be {}", rule);
    return {};
}

std::string result_stem(std::string_view framework, std::string_view scenario, std::string_view pattern, unsigned run) {
    return fmt::format("{}__{}__{}__run{}", framework, scenario, pattern, run);
}

}  // namespace shootout::core
