#include "run/interrupt.h"

#include <csignal>

namespace shootout::core {
namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) {
    interrupted.store(true);
    std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
    std::signal(SIGTERM, SIG_DFL);
}

}  // namespace

interrupt_scope::interrupt_scope() {
    interrupted.store(false);
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
}

interrupt_scope::~interrupt_scope() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

const std::atomic<bool>& interrupt_flag() { return interrupted; }
bool interrupt_requested() { return interrupted.load(); }

}  // namespace shootout::core
