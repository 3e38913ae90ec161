#pragma once
// Clustering metrics (evaluation only; never used for training or selection).
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

struct ClusteringMetrics {
  double acc = 0;        ///< Hungarian-matched accuracy (padded when #clusters != #classes)
  double nmi = 0;        ///< normalized mutual information, arithmetic mean (as scikit-learn)
  double ari = 0;        ///< adjusted Rand index
  double f1_macro = 0;   ///< after Hungarian mapping; unmatched clusters count as errors
  double f1_micro = 0;
  double purity = 0;
  int64_t n = 0;
  int64_t num_classes = 0;
  int64_t num_clusters_requested = 0;  ///< k (0 if unknown)
  int64_t num_nonempty_clusters = 0;
  std::vector<int64_t> cluster_sizes;  ///< size of cluster 0..max(pred)
  std::vector<int64_t> mapping;        ///< cluster id -> matched class id (-1 = unmatched)
};

/// Scores predicted cluster ids `pred` (any non-negative ids) against `labels` (>= 0).
/// `k` is the number of clusters requested (0: infer as max(pred)+1).
ClusteringMetrics evaluate_clustering(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred,
                                      int64_t k = 0);

/// Contingency table counts[cluster][class].
std::vector<std::vector<int64_t>> contingency(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred);

/// Minimum-cost assignment for a rectangular cost matrix (rows <= or > cols both fine);
/// returns for each row the assigned column or -1.
std::vector<int64_t> hungarian_min_cost(const std::vector<std::vector<double>>& cost);

/// JSON text of the metrics (keys: acc, nmi, ari, f1_macro, f1_micro, purity, n, ...).
std::string metrics_to_json(const ClusteringMetrics& m);

}  // namespace rdc
