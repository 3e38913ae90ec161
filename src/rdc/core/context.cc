#include "rdc/core/context.h"

#include <omp.h>

#include <thread>

#include "rdc/core/error.h"

namespace rdc {

int Context::effective_threads() const {
  if (threads > 0) return threads;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

void Context::validate() const {
  RDC_CHECK(threads >= 0, "threads={} must be >= 0 (0 = all cores)", threads);
  RDC_CHECK(device == "cpu" || device == "cuda" || device.rfind("cuda:", 0) == 0,
            "device='{}' must be 'cpu', 'cuda' or 'cuda:N'", device);
}

void apply_threads_omp(const Context& ctx) { omp_set_num_threads(ctx.effective_threads()); }

uint64_t derive_seed(uint64_t seed, const std::string& tag) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : tag) {
    h ^= c;
    h *= 1099511628211ull;
  }
  uint64_t z = seed ^ h;
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace rdc
