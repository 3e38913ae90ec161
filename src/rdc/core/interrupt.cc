#include "rdc/core/interrupt.h"

#include <csignal>

namespace rdc {

std::atomic<bool> g_interrupt_requested{false};

namespace {

void on_signal(int sig) {
  if (g_interrupt_requested.load()) {
    // Second signal: fall back to the default action (terminate).
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_interrupt_requested.store(true);
}

}  // namespace

void install_interrupt_handler() {
  static_assert(std::atomic<bool>::is_always_lock_free, "signal-safe flag needs a lock-free atomic");
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace rdc
