// Signals during a run: SIGINT, SIGTERM and SIGHUP stop it after what is under way and keep
// what was measured; while the reports are written and the database stopped, a signal waits.

#include <signal.h>

#include <filesystem>

#include <catch2/catch.hpp>

#include "run/interrupt.h"
#include "test_helpers.h"
#include "test_server.h"

using namespace shootout;

TEST_CASE("interrupts: a signal while signals are held back lets the work finish, then counts as an interrupt", "[interrupt]") {
    const core::interrupt_scope scope;
    CHECK_FALSE(core::interrupt_requested());
    bool finished = false;
    {
        const core::signals_held_back held;
        ::raise(SIGINT);
        ::raise(SIGHUP);  // a second one: with nothing held back it would end the process here
        CHECK(core::interrupt_requested());
        finished = true;
    }
    CHECK(finished);
    CHECK(core::interrupt_requested());
}

TEST_CASE("interrupts: SIGHUP stops a run like Ctrl-C, keeping the measurements finished", "[interrupt]") {
    test::test_server server(1);
    test::temp_dir dir;
    const auto file = dir.write("m.toml", "output_dir = \"out\"\nscenarios = [\"ping\", \"json\"]\npatterns = [\"steady\"]\n"
                                          "reporters = [\"md\"]\n[pattern.steady]\nconnections = 2\nwarmup = \"0s\"\n"
                                          "duration = \"1s\"\n[[framework]]\nname = \"one\"\nurl = \"" + server.base_url() +
                                          "\"\nwebsocket = false\n");
    // ping takes about 1.1 s with its checks; the hang-up comes during json's measurement.
    // --foreground: the signal goes to shootout once; without it timeout sends it to its whole
    // process group as well, a second signal right after the first (which ends shootout at once).
    const auto r = test::run_binary({"--log-level", "warn", "--config", file.string()}, "timeout --foreground --preserve-status -s HUP 1.7");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);  // interrupted, not killed by the signal
    CHECK(r.err.find("interrupted: the measurements finished so far are saved") != std::string::npos);
    const auto raw = dir.path() / "out" / "latest" / "raw";
    CHECK(std::filesystem::exists(raw / "one__ping__steady__run1.json"));
    CHECK(std::filesystem::exists(dir.path() / "out" / "latest" / "REPORT.md"));
}
