// JSON for people to read and diff: indented two spaces, keys in insertion order. In the small
// library the core and the json reporter both link (shootout_summary_json), so summary.json and
// the documents the core prints (`k8s-job`) look alike.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace shootout::core {

/// `v` indented, with no trailing newline. Doubles have seven significant digits, in their
/// shortest form ("10050.5", a CPU % of 93.8 rather than 93.80000000000001).
std::string pretty_json(const boost::json::value& v);

}  // namespace shootout::core
