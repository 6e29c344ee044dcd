#include "test_helpers.h"

#include "plugin_host.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "cli.h"
#include "errors.h"
#include "manifest.h"

namespace shootout::test {

temp_dir::temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("shootout-test-" + std::to_string(rd()) + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path temp_dir::write(const std::string& name, const std::string& text) const {
    auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
}

cli_result run_shootout(const std::vector<std::string>& args) {
    std::vector<std::string> storage{"shootout"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    std::ostringstream out, err;
    cli_result r;
    r.exit_code = core::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

cli_result run_binary(const std::vector<std::string>& args, const std::string& env, const std::string& stdout_to) {
    temp_dir dir;
    std::string command = env + " " + (std::filesystem::path(SHOOTOUT_BUILTIN_PLUGIN_DIR) / "../../../bin/shootout")
                                          .lexically_normal()
                                          .string();
    for (const auto& a : args) command += " '" + a + "'";
    command += " >" + (stdout_to.empty() ? (dir.path() / "out").string() : stdout_to) + " 2>" + (dir.path() / "err").string();
    cli_result r;
    const int status = std::system(command.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    auto slurp = [](const std::filesystem::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    r.out = slurp(dir.path() / "out");
    r.err = slurp(dir.path() / "err");
    return r;
}

scoped_env::scoped_env(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
        had_ = true;
        old_ = old;
    }
    ::setenv(name_.c_str(), value.c_str(), 1);
}

scoped_env::~scoped_env() {
    if (had_) ::setenv(name_.c_str(), old_.c_str(), 1);
    else ::unsetenv(name_.c_str());
}

std::filesystem::path fixture_plugins(const std::string& which) {
    return std::filesystem::path(SHOOTOUT_FIXTURE_PLUGIN_DIR) / which;
}

std::filesystem::path builtin_plugins() { return SHOOTOUT_BUILTIN_PLUGIN_DIR; }

const core::plugin_host& builtin_plugin_host() {
    static const core::plugin_host* host = [] {
        auto* h = new core::plugin_host;
        h->discover({{builtin_plugins(), "test"}});
        return h;
    }();
    return *host;
}

std::string manifest_diagnostics(const std::string& text, const std::vector<core::search_dir>& dirs) {
    temp_dir dir;
    const auto file = dir.write("m.toml", text);
    core::plugin_host host;
    try {
        auto m = core::load_manifest(file, host, dirs);
        core::instantiate(m, host);
    } catch (const core::config_error& e) {
        std::string message = e.what();
        const std::string prefix = dir.path().string() + "/";
        for (std::size_t at; (at = message.find(prefix)) != std::string::npos;) message.erase(at, prefix.size());
        return message;
    }
    return "";
}

}  // namespace shootout::test
