// The test server as a program, for benchmarks that need a server whose cost is known and
// small, and for tests of several shootout processes at once: `shootout_test_server [threads]
// [--arrivals FILE]` prints its port on the first line of stdout, then serves (the apps
// contract, /ws-echo included) until SIGINT or SIGTERM. With --arrivals it records every HTTP
// request and, when stopped, writes one line per request to FILE: the client's address and the
// arrival time in ns on CLOCK_MONOTONIC, in the order they were read.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "test_server.h"

int main(int argc, char** argv) {
    unsigned threads = 1;
    std::string arrivals_file;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--arrivals") == 0 && i + 1 < argc) arrivals_file = argv[++i];
        else threads = static_cast<unsigned>(std::atoi(argv[i]));
    }
    // Blocked before the server's threads start, so they inherit the mask and sigwait gets the signal.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    shootout::test::test_server server(threads);
    if (!arrivals_file.empty()) server.record_arrivals();
    std::printf("%u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (arrivals_file.empty()) return 0;
    std::ofstream out(arrivals_file);
    for (const auto& a : server.arrivals())
        out << a.source << ' ' << std::chrono::duration_cast<std::chrono::nanoseconds>(a.at.time_since_epoch()).count() << '\n';
    return out ? 0 : 1;
}
