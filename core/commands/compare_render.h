// The renderings of `shootout compare`: the console table, one JSON document
// ("shootout.compare", version 1), Markdown, and a self-contained HTML page. Every name and
// note is escaped for its format; the figures are the same in all four.
#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "stats/compare.h"
#include "stats/compare_bounds.h"

namespace shootout::core {

/// Version of the compare document; bumped when a field changes meaning or goes away.
inline constexpr int compare_schema_version = 1;

/// Everything a rendering shows.
struct compare_document {
    std::string base, next;  ///< the paths given, as given
    const stats::comparison* comparison = nullptr;
    const std::vector<stats::bound>* bounds = nullptr;
    const stats::bound_results* checked = nullptr;
};

/// The table's cells for one group, plain text: framework, scenario, pattern, base req/s, new
/// req/s, change, 95 % interval, verdict, p50 change, p99 change.
std::vector<std::string> compare_row(const stats::group_comparison& g);
std::vector<std::string> compare_header();
/// The notes under the table: per group, groups in one side only, bounds broken or not judged.
std::vector<std::string> compare_notes(const compare_document& d);

std::string compare_console(const compare_document& d);
boost::json::value compare_json(const compare_document& d);
std::string compare_markdown(const compare_document& d);
std::string compare_html(const compare_document& d);

}  // namespace shootout::core
