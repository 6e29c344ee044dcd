// The selftest's stall server (core/selftest/stall_server.h) as a program, for a self-test whose
// load comes from several processes (tests/distributed/stall_shards_test.py):
// `shootout_stall_server STALL_AT_UNIX_NS STALL_MS` prints its port on the first line of stdout,
// answers GET /ping at once except for STALL_MS from the wall-clock instant STALL_AT_UNIX_NS
// (every response then waits for the stall to end), and serves until SIGINT or SIGTERM. The
// instant is on the wall clock because the shards' --start-at is; it is turned into the steady
// clock once, at start.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "selftest/stall_server.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: shootout_stall_server STALL_AT_UNIX_NS STALL_MS\n");
        return 2;
    }
    const auto at_unix = std::chrono::nanoseconds(std::strtoll(argv[1], nullptr, 10));
    const auto length = std::chrono::milliseconds(std::strtoll(argv[2], nullptr, 10));
    sigset_t stop_signals;  // blocked before the server's thread starts, so it inherits the mask
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    shootout::core::selftest::stall_server server;
    const auto from_now = at_unix - std::chrono::system_clock::now().time_since_epoch();
    server.stall(std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(from_now),
                 length);
    std::printf("%u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::printf("answered %llu\n", static_cast<unsigned long long>(server.answered()));
    return 0;
}
