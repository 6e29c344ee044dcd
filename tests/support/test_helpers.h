// Small helpers shared by the tests: temporary directories, files, running the CLI in-process.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace shootout::core {
class plugin_host;
struct search_dir;
}

namespace shootout::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    const std::filesystem::path& path() const { return path_; }
    /// Writes `text` to `name` inside the directory and returns its full path.
    std::filesystem::path write(const std::string& name, const std::string& text) const;

private:
    std::filesystem::path path_;
};

/// The built-in plugins, discovered once and shared by every test (plugins are never unloaded).
const core::plugin_host& builtin_plugin_host();

/// Runs `shootout <args>` in-process; returns the exit code and what it printed.
struct cli_result {
    int exit_code = -1;
    std::string out, err;
};
cli_result run_shootout(const std::vector<std::string>& args);

/// Runs the built `shootout` binary as a child process (for what needs a real process: the
/// plugin directory next to the binary, signals). Returns exit code, stdout and stderr.
/// `stdout_to`: a file standard output goes to instead (/dev/full, say); `out` is then empty.
cli_result run_binary(const std::vector<std::string>& args, const std::string& env = "",
                      const std::string& stdout_to = "");

/// Sets an environment variable for the life of the object, restoring the old value after.
class scoped_env {
public:
    scoped_env(std::string name, const std::string& value);
    ~scoped_env();

private:
    std::string name_;
    bool had_ = false;
    std::string old_;
};

/// Fixture plugin directories (tests/fixtures/plugins, built by CMake).
std::filesystem::path fixture_plugins(const std::string& which);
/// The built-in plugins of this build.
std::filesystem::path builtin_plugins();

/// Every diagnostic of `text` loaded as m.toml from `dirs` and instantiated, with the temporary
/// directory stripped so expectations read "m.toml:3:1: ..."; "" if it loads.
std::string manifest_diagnostics(const std::string& text, const std::vector<core::search_dir>& dirs);

}  // namespace shootout::test
