#pragma once
// k-nearest-neighbour graph through faiss: exact in blocks for moderate n,
// approximate (IVF) above a size threshold. Self excluded by index.
#include <cstdint>
#include <string>
#include <vector>

#include "rdc/core/context.h"

namespace rdc {

struct KnnParams {
  int64_t k = 20;                    ///< neighbours per point (clipped to n-1 with a warning)
  bool cosine = false;               ///< inner product on L2-normalised rows instead of L2
  int64_t exact_max_n = 200000;      ///< above this n use an approximate IVF index
  int64_t block_rows = 16384;        ///< query block size for the exact search
  int nprobe = 16;                   ///< IVF probes
};

struct KnnGraph {
  int64_t n = 0, k = 0;
  std::vector<int64_t> ids;   ///< n x k neighbour ids (sorted by distance), -1 if missing
  std::vector<float> dist;    ///< n x k distances (L2 squared, or 1 - cos)
  bool approximate = false;
  const int64_t* row(int64_t i) const { return ids.data() + i * k; }
};

/// Builds the k-NN graph of x (n x d). Logs a memory estimate. n == 1 is an error.
KnnGraph build_knn_graph(const float* x, int64_t n, int64_t d, const KnnParams& p, const Context& ctx);

/// The first k neighbours of every row (k <= g.k): the k-NN graph of the same points.
KnnGraph truncate_graph(const KnnGraph& g, int64_t k);

/// Fraction of edges of `a` that are not in `b` (same n); 0 = identical neighbour sets.
double graph_change(const KnnGraph& a, const KnnGraph& b);

}  // namespace rdc
