#pragma once
// The numbers behind the report's plots (torch-free, no I/O): cluster sizes,
// histograms, the confusion matrix after Hungarian matching, a 2-D PCA map,
// point sampling, gallery selection and the degenerate-result flags (C03/C04/C06).
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

/// Size of each cluster 0..k-1 (k = max(k, max(assign)+1)); negative ids are an error.
std::vector<int64_t> cluster_sizes(const std::vector<int64_t>& assign, int64_t k);

/// Fixed-width histogram of `values` over [lo, hi] with `bins` bins (last bin closed).
struct Histogram {
  double lo = 0, hi = 0;
  std::vector<int64_t> counts;  ///< bins entries; values outside [lo, hi] are not counted
  int64_t bin_of(double v) const;  ///< bin index of v, -1 outside [lo, hi]
};
/// Histogram over [min, max] of the values (a zero-width range gets width 1 centred on it).
Histogram histogram(const std::vector<double>& values, int bins);

/// Confusion matrix rows = classes 0..C-1, columns = clusters reordered by the Hungarian
/// matching: first the matched clusters in the order of their classes (a diagonal when every
/// class is matched), then the unmatched clusters by decreasing size (ties: smaller id first).
struct MatchedConfusion {
  int64_t num_classes = 0, num_clusters = 0;
  std::vector<int64_t> column_cluster;          ///< num_clusters entries: cluster id shown in column j
  std::vector<int64_t> class_of_cluster;        ///< cluster id -> matched class (-1 unmatched)
  std::vector<std::vector<int64_t>> counts;     ///< [class][column] sample counts
  int64_t matched = 0;                          ///< samples on matched (cluster, class) cells
  int64_t n = 0;
};
/// labels, pred: N ids >= 0; k: clusters requested (0: max(pred)+1). As evaluate_clustering,
/// only non-empty clusters and classes that occur take part in the matching (contingency() and
/// hungarian_min_cost() from rdc/metrics).
MatchedConfusion matched_confusion(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred, int64_t k);

/// Top principal axes of the rows of x (n x d float32), by subspace (power) iteration on the
/// d x d covariance.
struct Pca {
  int64_t d = 0, components = 0;
  std::vector<double> mean;      ///< d
  std::vector<double> axes;      ///< components x d, unit norm, sign fixed (largest |entry| > 0)
  std::vector<double> variance;  ///< components eigenvalues, decreasing
  double total_variance = 0;     ///< trace of the covariance
  /// Projects rows (n x d) onto the axes -> n x components.
  std::vector<double> project(const float* x, int64_t n) const;
};
/// Fits a PCA with `components` axes (1..d) on x (n x d, n >= 1). seed: start vectors.
Pca pca_fit(const float* x, int64_t n, int64_t d, int components = 2, uint64_t seed = 0);

/// `m` distinct row indices out of n, sorted (all of them when m >= n), seeded.
std::vector<int64_t> sample_rows(int64_t n, int64_t m, uint64_t seed);

/// The samples of one cluster shown in the gallery: nearest = closest to the centroid (ascending
/// distance), edge = farthest (descending distance), disjoint from nearest.
struct GalleryPick {
  int64_t cluster = 0, size = 0;
  std::vector<int64_t> nearest, edge;
  std::vector<double> nearest_dist, edge_dist;
};
/// emb: n x d; centroids: k x d (empty: cluster means); picks for clusters in `clusters`.
std::vector<GalleryPick> gallery_picks(const float* emb, int64_t n, int64_t d, const std::vector<int64_t>& assign,
                                       const std::vector<float>& centroids, const std::vector<int64_t>& clusters,
                                       int n_nearest, int n_edge);

/// A remark about a clustering result shown at the top of the report.
struct Flag {
  std::string level;  ///< "error" (degenerate), "warning" or "info"
  std::string code;   ///< "unused_clusters", "few_clusters_used", "collapse", ...
  std::string message;
};
/// Flags for cluster sizes of a result with k clusters requested: "{used} of {k} clusters used"
/// (error when only one is used, warning when fewer than 90% of k, info otherwise), and
/// collapse when the largest cluster holds more than 90% of the points.
std::vector<Flag> cluster_flags(const std::vector<int64_t>& sizes, int64_t k);

/// Rounded axis ticks covering [lo, hi] (about `target` of them, steps of 1, 2 or 5 x 10^e).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

}  // namespace rdc
