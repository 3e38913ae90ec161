#pragma once
// Intrinsic dimension of point clouds (torch-free): the diagnostics that make Feature Twist
// visible (R-DC, arXiv 2503.03733, "Diagnostics from the paper").
//  - TwoNN (Facco, d'Errico, Rodriguez, Laio, Sci. Rep. 2017): mu = r2 / r1, the ratio of the
//    distances to the 2nd and 1st nearest neighbour, is Pareto(d) distributed on a locally uniform
//    d-dimensional manifold, so -log(1 - F(mu)) = d log(mu); d is the slope of a line through the
//    origin fitted on the smallest 90% of the mu.
//  - Linear intrinsic dimension (LID): the number of principal components that explain 90% of
//    the variance (eigenvalues of the d x d covariance, LAPACK dsyev).
#include <cstdint>
#include <string>
#include <vector>

#include "rdc/core/context.h"

namespace rdc {

struct IntrinsicDimParams {
  double fit_fraction = 0.9;       ///< TwoNN: fraction of the sorted mu used in the fit, in (0, 1)
  double variance_fraction = 0.9;  ///< LID: fraction of the total variance to explain, in (0, 1]
  int64_t min_cluster_size = 20;   ///< per-cluster diagnostics skip (and report) smaller clusters, >= 3
  int64_t max_points = 20000;      ///< TwoNN on a seeded random subset of at most this many points (the
                                   ///< estimator does not depend on the sampling density); 0 = all, else >= 3
  /// Throws rdc::Error naming the field, its value and the allowed range.
  void validate() const;
};

struct TwoNNResult {
  double dimension = 0;      ///< slope of the fit (NaN when fewer than 2 usable points)
  int64_t n_used = 0;        ///< points with r1 > 0 (the fit uses the first fit_fraction of them)
  int64_t n_duplicates = 0;  ///< points skipped because r1 == 0 (an exact duplicate exists)
};

/// TwoNN intrinsic dimension of x (n x d float32, row-major), Euclidean, n >= 3. Neighbours via
/// faiss (rdc::build_knn_graph, k = 2); r1, r2 recomputed exactly in double.
TwoNNResult twonn_dimension(const float* x, int64_t n, int64_t d, const Context& ctx, double fit_fraction = 0.9);

/// TwoNN of x with p.fit_fraction on at most p.max_points rows (a random subset without replacement,
/// seeded from derive_seed(ctx.seed, "twonn")); all rows when n <= p.max_points or p.max_points == 0.
TwoNNResult twonn_dimension_sampled(const float* x, int64_t n, int64_t d, const IntrinsicDimParams& p,
                                    const Context& ctx);

/// TwoNN slope from the ratios mu = r2 / r1 (each >= 1): sorts them, F_i = i / N (i = 1..N),
/// least-squares line through the origin of -log(1 - F_i) against log(mu_i) on the first
/// floor(fit_fraction * N) points. NaN when no usable point or all log(mu) are 0.
double twonn_fit(std::vector<double> mu, double fit_fraction = 0.9);

/// Eigenvalues (descending, >= 0 up to rounding) of the population covariance of x (n x d).
std::vector<double> pca_spectrum(const float* x, int64_t n, int64_t d);

/// Eigenvalues (descending) of a symmetric d x d matrix (row-major, double) via LAPACK dsyev.
std::vector<double> symmetric_eigenvalues(std::vector<double> a, int64_t d);

/// Smallest number c of leading eigenvalues (descending) whose sum reaches `fraction` of the total
/// (negative rounding noise counts as 0). 0 when the total is 0.
int64_t components_for_variance(const std::vector<double>& eig_desc, double fraction);

/// Linear intrinsic dimension of x (n x d): components_for_variance(pca_spectrum(x), fraction).
int64_t linear_intrinsic_dim(const float* x, int64_t n, int64_t d, double fraction = 0.9);

/// Diagnostics of one cluster (or of the whole set: cluster = -1).
struct ClusterDimension {
  int64_t cluster = -1;
  int64_t n = 0;
  bool skipped = false;  ///< fewer than min_cluster_size points: no dimensions computed
  double twonn = 0;      ///< NaN when skipped
  int64_t lid = -1;      ///< -1 when skipped
  int64_t n_duplicates = 0;
};

/// TwoNN (twonn_dimension_sampled) and LID of each cluster of x (n x d) under `assign` (n ids in [0, K)), in cluster order;
/// clusters with fewer than p.min_cluster_size points are returned with skipped = true. Empty
/// clusters (ids never used below the maximum) are listed too (n = 0, skipped).
std::vector<ClusterDimension> per_cluster_dimensions(const float* x, int64_t n, int64_t d,
                                                     const std::vector<int64_t>& assign,
                                                     const IntrinsicDimParams& p, const Context& ctx);

}  // namespace rdc
