#include "run/interrupt.h"

#include <csignal>

namespace shootout::core {
namespace {

constexpr int handled_signals[] = {SIGINT, SIGTERM, SIGHUP};

std::atomic<bool> interrupted{false};
std::atomic<int> held_back{0};  // the last signal a signals_held_back scope caught, or 0

void set_action(int signal, void (*handler)(int)) {
    struct sigaction action{};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    ::sigaction(signal, &action, nullptr);
}

extern "C" void on_interrupt(int) {
    interrupted.store(true);
    for (int s : handled_signals) set_action(s, SIG_DFL);  // a second one ends the process at once
}

extern "C" void on_held_back(int signal) {
    interrupted.store(true);
    held_back.store(signal);
}

}  // namespace

interrupt_scope::interrupt_scope() {
    interrupted.store(false);
    for (int s : handled_signals) set_action(s, on_interrupt);
}

interrupt_scope::~interrupt_scope() {
    for (int s : handled_signals) set_action(s, SIG_DFL);
}

signals_held_back::signals_held_back() {
    struct sigaction action{};
    action.sa_handler = on_held_back;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 3; ++i) ::sigaction(handled_signals[i], &action, &previous_[i]);
}

signals_held_back::~signals_held_back() {
    for (int i = 0; i < 3; ++i) ::sigaction(handled_signals[i], &previous_[i], nullptr);
    // To the action before: the interrupt handler notes it, the default ends the process, an
    // outer scope holds it back in turn.
    if (const int signal = held_back.exchange(0)) ::raise(signal);
}

const std::atomic<bool>& interrupt_flag() { return interrupted; }
bool interrupt_requested() { return interrupted.load(); }

}  // namespace shootout::core
