// The test server as a program, for benchmarks that need a server whose cost is known and
// small: `shootout_test_server [threads]` prints its port on the first line of stdout, then
// serves (the apps contract, /ws-echo included) until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "test_server.h"

int main(int argc, char** argv) {
    const unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 1;
    // Blocked before the server's threads start, so they inherit the mask and sigwait gets the signal.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    shootout::test::test_server server(threads);
    std::printf("%u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    return 0;
}
