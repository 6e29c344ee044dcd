// The suggestion every "unknown ..." message ends with: the manifest's keys and names, the
// command line's flags and the threshold grammar's words all suggest alike.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shootout::core {

/// The edit-distance suggestion used in "unknown key" messages: "; did you mean 'size'?" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace shootout::core
