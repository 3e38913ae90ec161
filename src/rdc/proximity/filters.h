#pragma once
// R-DC phase 2 (arXiv 2503.03733): dual filter of reliable neighbours,
// core points and nearest-neighbour centroids. Torch-free, on plain arrays.
#include <cstdint>
#include <vector>

#include "rdc/proximity/knn.h"

namespace rdc {

struct DualFilterParams {
  bool mutual = true;       ///< keep j only if i is also in N_k(j)
  bool consistency = true;  ///< keep j only if j is also in the reference graph's N_k(i)
};

/// Reliable neighbours R(i) as CSR: offsets (n+1) and ids.
struct ReliableNeighbours {
  std::vector<int64_t> offsets;
  std::vector<int64_t> ids;
  int64_t count(int64_t i) const { return offsets[i + 1] - offsets[i]; }
  double mean_count() const;
};

/// Applies the dual filter to `graph` with `reference` (previous round or augmented view);
/// `reference` may be null when consistency is off.
ReliableNeighbours dual_filter(const KnnGraph& graph, const KnnGraph* reference, const DualFilterParams& p);

/// Core points: |R(i)| >= ceil(s * k). Returns sorted indices.
std::vector<int64_t> core_points(const ReliableNeighbours& r, int64_t k, double s);

/// Centroids c_i = mean(z_i, z_j for j in R(i)) for each core point (rows of z: n x d);
/// re-normalised to unit norm when `normalize`. Returns |core| x d.
std::vector<float> neighbour_centroids(const float* z, int64_t n, int64_t d, const ReliableNeighbours& r,
                                       const std::vector<int64_t>& core, bool normalize);

}  // namespace rdc
