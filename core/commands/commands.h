// The commands other than a manifest run, one file each; cli.cpp parses the command line and
// dispatches. (`run` is core/run/adhoc.cpp, `report` core/report.cpp, `selftest`
// core/selftest/, a manifest run core/run/manifest_run.cpp.)
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "plugin_host.h"

namespace shootout::core {

/// The built-in plugins' directory, then SHOOTOUT_PLUGIN_PATH's: where every command looks first.
std::vector<search_dir> base_search_dirs();

/// `shootout list-plugins`: the plugins found (and, with `options`, their options), as a table
/// or one JSON document; the problems found on the way. Exit 2 if there were any.
int list_plugins(const std::string& config, bool json, bool options, std::ostream& out, std::ostream& err);

/// `shootout validate`: the manifest read and every plugin made from it, nothing run.
int validate(const std::string& config, std::ostream& out);

}  // namespace shootout::core
