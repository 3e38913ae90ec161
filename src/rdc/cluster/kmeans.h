#pragma once
// k-means through faiss (Euclidean or spherical), several seeded restarts.
#include <cstdint>
#include <string>
#include <vector>

#include "rdc/core/context.h"

namespace rdc {

struct KMeansParams {
  int64_t k = 10;          ///< number of clusters; must be <= n (error names both numbers)
  int n_init = 10;         ///< restarts; the lowest objective wins
  int iters = 50;          ///< Lloyd iterations per restart
  bool spherical = false;  ///< normalise centroids (and inputs) to unit norm; cosine assignment
  int64_t max_points_per_centroid = 1 << 30;  ///< faiss subsampling cap (default: use all points)
  bool verbose = false;
  void validate(int64_t n) const;
};

struct KMeansResult {
  std::vector<float> centroids;        ///< k x d
  std::vector<int64_t> assignments;    ///< n
  std::vector<int64_t> sizes;          ///< k
  double objective = 0;                ///< sum of squared distances (or of (1 - cos) when spherical)
  int64_t d = 0;
  std::vector<double> restart_objectives;
};

/// Clusters x (n x d float32, row-major). Seeded from ctx.seed. Empty clusters never yield NaN.
KMeansResult kmeans_fit(const float* x, int64_t n, int64_t d, const KMeansParams& p, const Context& ctx);

/// Assigns each row of x to the nearest centroid (k x d). Spherical: largest inner product after normalising x.
std::vector<int64_t> kmeans_predict(const float* x, int64_t n, int64_t d, const std::vector<float>& centroids,
                                    bool spherical);

/// L2-normalises rows in place (rows of zero norm are left as zeros).
void l2_normalize_rows(float* x, int64_t n, int64_t d);

}  // namespace rdc
