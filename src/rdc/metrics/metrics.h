#pragma once
// Clustering metrics (evaluation only; never used for training or selection).
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

// Definitions (tests/testdata/metrics/make_reference.py computes the same with scikit-learn + scipy):
// the Hungarian matching pairs the clusters and classes that occur (non-empty), maximising the
// matched count; when #clusters != #classes the left-over clusters (or classes) stay unmatched.
// F1 is scikit-learn's f1_score(labels, mapped, labels=<classes present>, zero_division=0) where
// `mapped` is each point's matched class, or a class that matches nothing for unmatched clusters:
// those points are false negatives of their class and no extra class enters the average.
struct ClusteringMetrics {
  double acc = 0;        ///< Hungarian-matched accuracy (padded when #clusters != #classes)
  double nmi = 0;        ///< normalized mutual information, arithmetic mean (as scikit-learn)
  double ari = 0;        ///< adjusted Rand index
  double f1_macro = 0;   ///< mean over present classes of F1 after the Hungarian mapping
  double f1_micro = 0;   ///< micro F1 over present classes (= acc when every point's cluster is matched)
  double purity = 0;     ///< sum over clusters of the majority class count, / n
  int64_t n = 0;
  int64_t num_classes = 0;  ///< distinct labels present
  int64_t num_clusters_requested = 0;  ///< k (0 if unknown)
  int64_t num_nonempty_clusters = 0;
  std::vector<int64_t> cluster_sizes;  ///< size of cluster 0..max(k, max(pred)+1)-1 (zeros = empty ids)
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
