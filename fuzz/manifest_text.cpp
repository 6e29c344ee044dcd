// Fuzz target: reading a manifest (core/manifest.h) against the built-in plugins, as
// `shootout validate` does: the TOML, the checker, every table's reader, the plugins' option
// schemas and their own checks. A manifest that is wrong must be refused with a config_error (a
// manifest_error listing its problems, or a plugin_error); any other exception escapes and is
// reported as a finding.
//
// load_manifest reads a file, so each input is written to one file in a directory of this
// process's own (the manifest's relative paths resolve there). The built-in plugins are
// discovered once; each input gets a copy of that host, so what one input's plugin_paths add
// does not leak into the next.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "errors.h"
#include "manifest.h"
#include "plugin_host.h"

using namespace shootout;
namespace fs = std::filesystem;

namespace {

// Never destroyed, so that the exit handler that removes it can still name it.
const fs::path& manifest_file() {
    static const fs::path* file = [] {
        const fs::path dir = fs::temp_directory_path() / ("shootout-fuzz-manifest-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        std::atexit([] {  // libFuzzer ends a timed run with exit()
            std::error_code ignored;
            fs::remove_all(manifest_file().parent_path(), ignored);
        });
        return new fs::path(dir / "m.toml");
    }();
    return *file;
}

const core::plugin_host& builtin_host() {
    static const core::plugin_host host = [] {
        core::plugin_host h;
        h.discover({{SHOOTOUT_BUILTIN_PLUGIN_DIR, "the fuzz build's plugins"}});
        if (h.plugins().empty() || !h.problems().empty()) {
            std::fprintf(stderr, "fuzz_manifest_text: no usable plugins in %s (build shootout_builtin_plugins)\n",
                         SHOOTOUT_BUILTIN_PLUGIN_DIR);
            std::abort();
        }
        return h;
    }();
    return host;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    {
        std::ofstream out(manifest_file(), std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    core::plugin_host host = builtin_host();
    try {
        const core::manifest m = core::load_manifest(manifest_file(), host, {});
        (void)core::instantiate(m, host);
    } catch (const core::config_error&) {
        // refused, with every problem located: what the reader should do
    }
    return 0;
}
