// The flamegraph reporter against a golden folded-stack input, and the Python sampler against a
// program with a known hot function, which must dominate its flamegraph.
//
// Regenerate the golden SVG after an intended change to the reporter's output:
//   SHOOTOUT_UPDATE_GOLDEN=1 build/bin/shootout_tests "flamegraph: *"   (then review git diff)
#include <fstream>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>

#include "launcher/local_process.h"
#include "observe/folded_stacks.h"
#include "observe/profiler.h"
#include "plugin_host.h"
#include "test_helpers.h"

using namespace shootout;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const fs::path fixtures = fs::path(SHOOTOUT_SOURCE_DIR) / "tests" / "fixtures" / "profiles";

std::string read(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

sdk::measurement profiled(const std::string& folded_path, std::uint64_t samples) {
    sdk::measurement m;
    m.framework = "fastapi";
    m.scenario = "json";
    m.pattern = "steady";
    m.run = 1;
    m.profile = sdk::profile_info{"python-sampler", folded_path, samples};
    return m;
}

// Runs the flamegraph reporter over `measurements` with the run directory `dir`.
void report(const fs::path& dir, std::vector<sdk::measurement> measurements) {
    const auto& host = test::builtin_plugin_host();
    const auto* info = host.find(core::plugin_kind::reporter, "flamegraph");
    REQUIRE(info);
    auto reporter = host.make_reporter(*info, info->defaults);
    std::ostringstream out, err;
    reporter->begin({dir, out, err});
    sdk::result_set results;
    results.measurements = std::move(measurements);
    const sdk::stats::summary summary;  // the flamegraph reporter draws profiles, not figures
    reporter->finish({results, summary});
}

struct svg_frame {
    std::string name;
    std::uint64_t samples = 0;
    unsigned depth = 0;
};

std::vector<svg_frame> frames_of(const std::string& svg) {
    std::vector<svg_frame> frames;
    static const std::regex frame(R"re(<g class="f" data-n="([^"]*)" data-s="\d+" data-c="(\d+)" data-d="(\d+)")re");
    for (std::sregex_iterator it(svg.begin(), svg.end(), frame), end; it != end; ++it)
        frames.push_back({(*it)[1], std::stoull((*it)[2]), static_cast<unsigned>(std::stoul((*it)[3]))});
    return frames;
}

// Runs a fixture program under the Python sampler at 97 Hz and returns the stacks it recorded in
// its session `session` (the name the fixture writes into the control file).
core::observe::folded_stacks sample_fixture(const fs::path& work, const std::string& fixture, const std::string& session) {
    const auto control = work / "control";
    fs::create_directories(control);
    test::scoped_env pythonpath("PYTHONPATH", core::observe::python_sampler_dir().string());
    test::scoped_env profile_dir("SHOOTOUT_PROFILE_DIR", control.string());
    test::scoped_env hz("SHOOTOUT_PROFILE_HZ", "97");
    const auto r = core::launcher::run_command({"/usr/bin/python3", (fixtures / fixture).string(), control.string()}, work, 60s);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    core::observe::folded_stacks stacks;
    REQUIRE(fs::exists(control / session));
    for (const auto& entry : fs::directory_iterator(control / session)) {
        std::ifstream in(entry.path());
        core::observe::add_folded(in, stacks);
    }
    return stacks;
}

}  // namespace

TEST_CASE("flamegraph: golden folded stacks give the golden SVG, byte for byte", "[plugins][flamegraph]") {
    test::temp_dir dir;
    fs::create_directories(dir.path() / "profiles");
    fs::copy_file(fixtures / "small.folded", dir.path() / "profiles" / "small.folded");
    report(dir.path(), {profiled("profiles/small.folded", 100)});
    const auto svg_file = dir.path() / sdk::flamegraph_path("fastapi", "json", "steady", 1);
    REQUIRE(fs::exists(svg_file));
    const auto svg = read(svg_file);
    const auto golden = fixtures / "small.svg";
    if (std::getenv("SHOOTOUT_UPDATE_GOLDEN")) {
        fs::copy_file(svg_file, golden, fs::copy_options::overwrite_existing);
        WARN("golden file rewritten: " << golden.string());
    }
    if (svg != read(golden)) {
        const auto diff = dir.path() / "diff";
        std::system(("diff -u '" + golden.string() + "' '" + svg_file.string() + "' > '" + diff.string() + "'").c_str());
        FAIL("the SVG differs from " << golden.string() << " (regenerate with SHOOTOUT_UPDATE_GOLDEN=1 if intended):\n"
                                     << read(diff));
    }
    // What the golden file must say, so regenerating it cannot hide a broken reporter.
    const auto frames = frames_of(svg);
    REQUIRE(!frames.empty());
    CHECK(frames[0].name == "all");
    CHECK(frames[0].samples == 100);
    CHECK(svg.find("data-n=\"app:&quot;quoted&quot;&amp;&lt;escaped&gt;\"") != std::string::npos);
    CHECK(svg.find("<title>app:handle (70 samples, 70.00%)</title>") != std::string::npos);
    CHECK(svg.find("http://") == svg.rfind("http://www.w3.org/2000/svg"));  // nothing fetched
}

TEST_CASE("flamegraph: a profile that cannot be read is reported with its path", "[plugins][flamegraph]") {
    test::temp_dir dir;
    CHECK_THROWS_WITH(report(dir.path(), {profiled("profiles/missing.folded", 10)}),
                      Catch::Contains("cannot read the profile " + (dir.path() / "profiles/missing.folded").string() +
                                      " of fastapi / json"));
}

TEST_CASE("flamegraph: a measurement whose names or profile lead out of the output directory is refused, and nothing "
          "is read or written outside",
          "[plugins][flamegraph][names]") {
    test::temp_dir dir;
    const auto out = dir.path() / "run";
    fs::create_directories(out / "profiles");
    fs::copy_file(fixtures / "small.folded", out / "profiles" / "small.folded");
    fs::copy_file(fixtures / "small.folded", dir.path() / "outside.folded");
    auto escaping = profiled("profiles/small.folded", 100);
    escaping.framework = "../../escaped";
    CHECK_THROWS_WITH(report(out, {escaping}), Catch::Contains("refusing " + (out / sdk::flamegraph_path("../../escaped", "json", "steady", 1)).string() +
                                                               ": it is outside " + out.string()));
    CHECK_THROWS_WITH(report(out, {profiled("../outside.folded", 100)}),
                      Catch::Contains("refusing " + (out / "../outside.folded").string() + ": it is outside"));
    std::size_t svgs = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir.path())) svgs += entry.path().extension() == ".svg";
    CHECK(svgs == 0);
}

TEST_CASE("flamegraph: the Python sampler finds a known hot function, and it dominates its flamegraph", "[plugins][flamegraph][profile]") {
    test::temp_dir dir;
    const auto stacks = sample_fixture(dir.path(), "hot_function.py", "hot");
    std::uint64_t total = 0, hot = 0;
    for (const auto& [stack, count] : stacks) {
        total += count;
        if (stack.find("__main__:burn_cpu") != std::string::npos) hot += count;
        CHECK(stack.find("sitecustomize") == std::string::npos);  // the sampler never samples itself
    }
    INFO(total << " samples, " << hot << " in burn_cpu");
    CHECK(total >= 97);  // about 1.5 s of CPU at 97 Hz, counted in CPU time
    CHECK(hot >= 0.8 * static_cast<double>(total));

    fs::create_directories(dir.path() / "profiles");
    core::observe::write_folded(dir.path() / "profiles" / "hot.folded", stacks);
    report(dir.path(), {profiled("profiles/hot.folded", total)});
    const auto frames = frames_of(read(dir.path() / sdk::flamegraph_path("fastapi", "json", "steady", 1)));
    // Below burn_cpu's callers (<module>, main), nothing is wider than burn_cpu.
    const auto burn = std::find_if(frames.begin(), frames.end(), [](const svg_frame& f) { return f.name == "__main__:burn_cpu"; });
    REQUIRE(burn != frames.end());
    CHECK(burn->samples >= 0.8 * static_cast<double>(total));
    for (const auto& f : frames)
        if (f.depth >= burn->depth && f.name != burn->name) CHECK(f.samples < burn->samples);
}

TEST_CASE("flamegraph: in a forked worker the Python sampler counts CPU time, not the worker's idle time",
          "[plugins][flamegraph][profile]") {
    // 1.5 s idle then 0.3 s of CPU in a child forked from the main thread: about 29 samples at
    // 97 Hz. Counted in wall time (the main thread's id is the parent's after a fork), it was
    // about 175, nearly all in time.sleep.
    test::temp_dir dir;
    const auto stacks = sample_fixture(dir.path(), "forked_worker.py", "forked");
    std::uint64_t total = 0, hot = 0;
    for (const auto& [stack, count] : stacks) {
        total += count;
        if (stack.find("__main__:burn_cpu") != std::string::npos) hot += count;
    }
    INFO(total << " samples, " << hot << " in burn_cpu");
    CHECK(total >= 10);
    CHECK(total <= 80);
    CHECK(hot >= 0.7 * static_cast<double>(total));
}
