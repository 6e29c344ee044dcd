// Ctrl-C (SIGINT) and SIGTERM during a run: the first asks the run to stop after what is under
// way (the engine polls the flag on its tick, the launcher between probes), a second ends the
// process at once. Installed only for the life of an interrupt_scope, so a library caller or a
// test that runs no load keeps the default actions. A signal handler can only reach a static
// flag, so the flag itself is one per process; the scope decides when it is armed.
#pragma once

#include <atomic>

namespace shootout::core {

class interrupt_scope {
public:
    interrupt_scope();   ///< clears the flag and installs the handlers
    ~interrupt_scope();  ///< restores the default actions (the flag keeps its value for the caller to read)
    interrupt_scope(const interrupt_scope&) = delete;
    interrupt_scope& operator=(const interrupt_scope&) = delete;
};

/// The flag the handlers set, for the engine to poll.
const std::atomic<bool>& interrupt_flag();
/// True once a SIGINT or SIGTERM arrived in the current (or last) scope.
bool interrupt_requested();

}  // namespace shootout::core
