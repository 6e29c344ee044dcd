// Ctrl-C (SIGINT), SIGTERM and SIGHUP during a run: the first asks the run to stop after what is
// under way (the engine polls the flag on its tick, the launcher between probes), a second ends
// the process at once. Installed only for the life of an interrupt_scope, so a library caller or
// a test that runs no load keeps the default actions. A signal handler can only reach a static
// flag, so the flag itself is one per process; the scope decides when it is armed.
#pragma once

#include <signal.h>

#include <atomic>

namespace shootout::core {

class interrupt_scope {
public:
    interrupt_scope();   ///< clears the flag and installs the handlers
    ~interrupt_scope();  ///< restores the default actions (the flag keeps its value for the caller to read)
    interrupt_scope(const interrupt_scope&) = delete;
    interrupt_scope& operator=(const interrupt_scope&) = delete;
};

/// Holds SIGINT, SIGTERM and SIGHUP back for its life, for work that must end once begun
/// (writing the reports, stopping the database and removing its files): a signal meanwhile
/// sets the interrupt flag and, when the scope ends, is delivered to whatever handled it before,
/// so a second Ctrl-C still ends the process, but only once the work is done and nothing is
/// left behind. Scopes nest. What runs inside must be bounded in time: only SIGKILL stops it.
class signals_held_back {
public:
    signals_held_back();
    ~signals_held_back();  ///< restores the previous actions, then raises the signal held back, if any
    signals_held_back(const signals_held_back&) = delete;
    signals_held_back& operator=(const signals_held_back&) = delete;

private:
    struct sigaction previous_[3]{};
};

/// The flag the handlers set, for the engine to poll.
const std::atomic<bool>& interrupt_flag();
/// True once a SIGINT, SIGTERM or SIGHUP arrived in the current (or last) scope.
bool interrupt_requested();

}  // namespace shootout::core
