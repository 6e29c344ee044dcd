// The `shootout` command line.
#pragma once

#include <iosfwd>

namespace shootout::core {

/// Parses the command line and runs it. Returns the process exit code (see errors.h).
/// Results go to `out`, messages for people to `err` and the log (stderr).
int run_cli(int argc, char** argv);
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace shootout::core
