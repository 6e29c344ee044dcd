// Where results are produced: the machine and the build, recorded in every raw result.
#pragma once

#include <vector>

#include <shootout/sdk/results.h>

namespace shootout::core {

/// The environment of this process: version, build type, CPU, cores, kernel, host name.
sdk::environment current_environment();

/// The environment of a whole run from the environments of its documents: the earliest start,
/// the latest end, every framework version, the rest from the last document.
sdk::environment merge_environments(const std::vector<sdk::environment>& environments);

}  // namespace shootout::core
