#pragma once
// Cooperative interruption (torch-free): a SIGINT/SIGTERM handler sets a flag
// that long loops (training, k-means) poll at safe points, as faiss's
// InterruptCallback does. The CLI installs the handler; the library only polls.
#include <atomic>

namespace rdc {

/// Set by the signal handler (or by request_interrupt()); read by long loops.
extern std::atomic<bool> g_interrupt_requested;

/// Installs SIGINT/SIGTERM handlers that set g_interrupt_requested. A second
/// signal while the flag is still set restores the default action and re-raises
/// it (so a second Ctrl-C kills a process that does not reach a safe point).
void install_interrupt_handler();
/// True once an interruption was requested and not cleared.
inline bool interrupt_requested() { return g_interrupt_requested.load(std::memory_order_relaxed); }
/// Requests an interruption programmatically (tests, GUIs).
inline void request_interrupt() { g_interrupt_requested.store(true); }
/// Clears the flag (e.g. after the interruption was handled).
inline void clear_interrupt() { g_interrupt_requested.store(false); }

}  // namespace rdc
