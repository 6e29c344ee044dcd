// Fuzz target: reading a manifest from its text (core/manifest.h parse_manifest) against the
// built-in plugins, as `shootout validate` does after discovery: the TOML, the checker, every
// table's reader, the plugins' option schemas (nested tables too) and their own checks. A
// manifest that is wrong must be refused with a config_error (a manifest_error listing its
// problems); any other exception escapes and is reported as a finding.
//
// The input is parsed as it is, from memory: no file is written. Its relative paths resolve in a
// directory of this process's own, which stays empty, so what an input names does not depend on
// what the fuzzer's working directory holds. The built-in plugins are discovered once; parsing
// never discovers (an input's plugin_paths are only checked), so one input cannot change the next.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "errors.h"
#include "manifest.h"
#include "plugin_host.h"

using namespace shootout;
namespace fs = std::filesystem;

namespace {

// Never destroyed, so that the exit handler that removes its directory can still name it.
const std::string& manifest_source() {
    static const std::string* source = [] {
        const fs::path dir = fs::temp_directory_path() / ("shootout-fuzz-manifest-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        std::atexit([] {  // libFuzzer ends a timed run with exit()
            std::error_code ignored;
            fs::remove_all(fs::path(manifest_source()).parent_path(), ignored);
        });
        return new std::string((dir / "m.toml").string());
    }();
    return *source;
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
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const core::manifest m = core::parse_manifest(text, manifest_source(), builtin_host());
        (void)core::instantiate(m, builtin_host());
    } catch (const core::config_error&) {
        // refused, with every problem located: what the reader should do
    }
    return 0;
}
