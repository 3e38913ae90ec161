#pragma once
// Run context (threads, seed, device) passed explicitly through the pipeline.
#include <cstdint>
#include <string>

namespace rdc {

struct Context {
  int threads = 0;            ///< intra-op threads for torch, faiss, OpenMP; 0 = all cores
  uint64_t seed = 42;         ///< one seed feeds torch, faiss and every RNG
  std::string device = "cpu"; ///< "cpu", "cuda" or "cuda:N"

  /// Number of threads actually used (resolves 0 to the core count).
  int effective_threads() const;
  /// Throws rdc::Error naming the field when a value is out of range.
  void validate() const;
};

/// Applies the thread count to OpenMP/faiss (torch-free part).
void apply_threads_omp(const Context& ctx);

/// Derives an independent 64-bit seed for a named sub-stream (splitmix64 of seed ^ hash(tag)).
uint64_t derive_seed(uint64_t seed, const std::string& tag);

}  // namespace rdc
