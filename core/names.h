// The names of frameworks, scenarios and patterns. They become parts of file names
// ("raw/<framework>__<scenario>__<pattern>__run<N>.json", profiles, flamegraphs), so a name may
// hold only characters that are safe in a file name, and "__" separates them: two different
// measurements must never share a file, and no name may lead out of the run directory.
#pragma once

#include <string>
#include <string_view>

namespace shootout::core {

/// What is wrong with `name` as a framework, scenario or pattern name, to follow
/// "name \"x\" ..." in a message; "" when it is fine. Allowed: 1 to 64 letters, digits, '-',
/// '_' and '.', not starting with '.', not starting or ending with '_', without "__" inside.
std::string name_problem(std::string_view name);

/// "<framework>__<scenario>__<pattern>__run<N>": the stem of a measurement's raw result and
/// profile. For names without a name_problem() it is unique to the measurement.
std::string result_stem(std::string_view framework, std::string_view scenario, std::string_view pattern, unsigned run);

}  // namespace shootout::core
