// A full disk: a file that cannot be written is named in a clear error, no temporary is left,
// what was written before stays whole, and nothing claims that it was written.

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "files.h"
#include "results/raw_json.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;
namespace fs = std::filesystem;

namespace {

// A 64 KiB tmpfs mounted for the test (root only: mounting needs CAP_SYS_ADMIN).
class small_disk {
public:
    small_disk() {
        fs::create_directories(dir_.path() / "disk");
        mounted_ = ::geteuid() == 0 &&
                   ::mount("tmpfs", (dir_.path() / "disk").c_str(), "tmpfs", 0, "size=64k") == 0;
    }
    ~small_disk() {
        if (mounted_) ::umount((dir_.path() / "disk").c_str());
    }
    bool mounted() const { return mounted_; }
    fs::path path() const { return dir_.path() / "disk"; }

private:
    test::temp_dir dir_;
    bool mounted_ = false;
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool any_temporary_in(const fs::path& dir) {
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("full disk: an atomic write names the file, leaves no temporary and keeps the file as it was", "[full-disk]") {
    small_disk disk;
    if (!disk.mounted()) {
        WARN("not root, or mounting a tmpfs is not allowed here: the full-disk case is not run");
        return;
    }
    const auto first = disk.path() / "first.json";
    core::write_file_atomically(first, "{\"kept\": true}");
    const std::string big(256 * 1024, 'x');
    CHECK_THROWS_WITH(core::write_file_atomically(disk.path() / "second.json", big),
                      "cannot write " + (disk.path() / "second.json").string() + ": No space left on device");
    CHECK_THROWS_WITH(core::write_file_atomically(first, big),
                      "cannot write " + first.string() + ": No space left on device");
    CHECK(read_file(first) == "{\"kept\": true}");
    CHECK_FALSE(fs::exists(disk.path() / "second.json"));
    CHECK_FALSE(any_temporary_in(disk.path()));
}

TEST_CASE("full disk: shootout report to a full disk says which report failed and claims none", "[full-disk]") {
    small_disk disk;
    if (!disk.mounted()) {
        WARN("not root, or mounting a tmpfs is not allowed here: the full-disk case is not run");
        return;
    }
    // Fill it, so that no report fits.
    std::ofstream(disk.path() / "filler", std::ios::binary) << std::string(60 * 1024, 'f');
    const auto results = std::string(SHOOTOUT_SOURCE_DIR) + "/tests/fixtures/results";
    const auto r = test::run_binary({"report", "--results", results, "--output", disk.path().string(), "--reporter", "md"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("reporter 'md' failed: cannot write " + (disk.path() / "REPORT.md").string() +
                     ": No space left on device") != std::string::npos);
    CHECK(r.err.find("wrote into") == std::string::npos);
    CHECK_FALSE(any_temporary_in(disk.path()));
}

TEST_CASE("full disk: run --json to a full device exits 1 and says the result was not written", "[full-disk]") {
    test::test_server server(1);
    const auto r = test::run_binary({"run", "--target", server.base_url(), "--duration", "300ms", "--warmup", "0s",
                                     "--connections", "1", "--json"},
                                    "", "/dev/full");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("cannot write the --json result to standard output: No space left on device") != std::string::npos);
}
