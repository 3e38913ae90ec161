#include "rdc/metrics/metrics.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "rdc/core/error.h"

namespace rdc {

namespace {

void check_inputs(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred) {
  RDC_CHECK(labels.size() == pred.size(), "labels has {} entries but pred has {}; they must be equal",
            labels.size(), pred.size());
  RDC_CHECK(!labels.empty(), "cannot score an empty clustering (n=0)");
  for (size_t i = 0; i < labels.size(); ++i) {
    RDC_CHECK(labels[i] >= 0, "labels[{}]={} must be >= 0", i, labels[i]);
    RDC_CHECK(pred[i] >= 0, "pred[{}]={} must be >= 0", i, pred[i]);
  }
}

/// Compact ids: sorted distinct values and, for each input, its index among them.
std::vector<int64_t> compact(const std::vector<int64_t>& v, std::vector<int64_t>* values) {
  std::vector<int64_t> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<int64_t> idx(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    idx[i] = std::lower_bound(sorted.begin(), sorted.end(), v[i]) - sorted.begin();
  *values = std::move(sorted);
  return idx;
}

/// Entropy (natural log) of a count vector whose zero entries are ignored, as scikit-learn computes it.
double entropy_of_counts(const std::vector<int64_t>& counts) {
  std::vector<double> p;
  for (int64_t c : counts)
    if (c > 0) p.push_back(static_cast<double>(c));
  if (p.size() <= 1) return 0.0;
  double sum = 0;
  for (double x : p) sum += x;
  const double log_sum = std::log(sum);
  double h = 0;
  for (double x : p) h += (x / sum) * (std::log(x) - log_sum);
  return -h;
}

}  // namespace

std::vector<std::vector<int64_t>> contingency(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred) {
  check_inputs(labels, pred);
  const int64_t num_clusters = *std::max_element(pred.begin(), pred.end()) + 1;
  const int64_t num_classes = *std::max_element(labels.begin(), labels.end()) + 1;
  std::vector<std::vector<int64_t>> counts(num_clusters, std::vector<int64_t>(num_classes, 0));
  for (size_t i = 0; i < labels.size(); ++i) ++counts[pred[i]][labels[i]];
  return counts;
}

std::vector<int64_t> hungarian_min_cost(const std::vector<std::vector<double>>& cost) {
  const int64_t rows = static_cast<int64_t>(cost.size());
  if (rows == 0) return {};
  const int64_t cols = static_cast<int64_t>(cost[0].size());
  for (int64_t r = 0; r < rows; ++r) {
    RDC_CHECK(static_cast<int64_t>(cost[r].size()) == cols, "cost row {} has {} entries, row 0 has {}", r,
              cost[r].size(), cols);
    for (int64_t c = 0; c < cols; ++c)
      RDC_CHECK(std::isfinite(cost[r][c]), "cost[{}][{}]={} is not finite", r, c, cost[r][c]);
  }
  if (cols == 0) return std::vector<int64_t>(rows, -1);

  // Shortest augmenting path with dual potentials (Kuhn-Munkres, O(n^2 m)), on an
  // n x m matrix with n <= m; the transposed problem is solved when rows > cols.
  const bool transposed = rows > cols;
  const int64_t n = transposed ? cols : rows;
  const int64_t m = transposed ? rows : cols;
  auto a = [&](int64_t i, int64_t j) { return transposed ? cost[j][i] : cost[i][j]; };

  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<int64_t> match(m + 1, 0);  // match[j] = row (1-based) assigned to column j, 0 = none
  std::vector<int64_t> way(m + 1, 0);
  for (int64_t i = 1; i <= n; ++i) {
    match[0] = i;
    int64_t j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const int64_t i0 = match[j0];
      double delta = inf;
      int64_t j1 = 0;
      for (int64_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int64_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (match[j0] != 0);
    do {
      const int64_t j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 != 0);
  }

  std::vector<int64_t> out(rows, -1);
  for (int64_t j = 1; j <= m; ++j) {
    if (match[j] == 0) continue;
    if (transposed)
      out[j - 1] = match[j] - 1;
    else
      out[match[j] - 1] = j - 1;
  }
  return out;
}

ClusteringMetrics evaluate_clustering(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred,
                                      int64_t k) {
  check_inputs(labels, pred);
  RDC_CHECK(k >= 0, "k={} must be >= 0 (0 = infer from pred)", k);
  const int64_t n = static_cast<int64_t>(labels.size());
  const int64_t max_pred = *std::max_element(pred.begin(), pred.end());
  RDC_CHECK(k == 0 || max_pred < k, "pred contains cluster id {} but k={} (ids must be < k)", max_pred, k);

  ClusteringMetrics m;
  m.n = n;
  m.num_clusters_requested = k;

  // Compact contingency over present clusters (rows) x present classes (cols).
  std::vector<int64_t> class_values, cluster_values;
  const std::vector<int64_t> yc = compact(labels, &class_values);
  const std::vector<int64_t> pc = compact(pred, &cluster_values);
  const int64_t nc = static_cast<int64_t>(class_values.size());
  const int64_t nk = static_cast<int64_t>(cluster_values.size());
  std::vector<std::vector<int64_t>> cont(nk, std::vector<int64_t>(nc, 0));
  for (int64_t i = 0; i < n; ++i) ++cont[pc[i]][yc[i]];
  std::vector<int64_t> row_sum(nk, 0), col_sum(nc, 0);
  for (int64_t r = 0; r < nk; ++r)
    for (int64_t c = 0; c < nc; ++c) {
      row_sum[r] += cont[r][c];
      col_sum[c] += cont[r][c];
    }
  m.num_classes = nc;
  m.num_nonempty_clusters = nk;
  m.cluster_sizes.assign(std::max<int64_t>(k, max_pred + 1), 0);
  for (int64_t r = 0; r < nk; ++r) m.cluster_sizes[cluster_values[r]] = row_sum[r];

  // Hungarian matching of present clusters to present classes (maximise matched counts).
  std::vector<std::vector<double>> cost(nk, std::vector<double>(nc));
  for (int64_t r = 0; r < nk; ++r)
    for (int64_t c = 0; c < nc; ++c) cost[r][c] = -static_cast<double>(cont[r][c]);
  const std::vector<int64_t> assign = hungarian_min_cost(cost);
  m.mapping.assign(m.cluster_sizes.size(), -1);
  std::vector<int64_t> cluster_of_class(nc, -1);
  int64_t matched = 0;
  for (int64_t r = 0; r < nk; ++r) {
    if (assign[r] < 0) continue;
    m.mapping[cluster_values[r]] = class_values[assign[r]];
    cluster_of_class[assign[r]] = r;
    matched += cont[r][assign[r]];
  }
  m.acc = static_cast<double>(matched) / n;

  // Purity: each cluster votes for its majority class.
  int64_t majority = 0;
  for (int64_t r = 0; r < nk; ++r) majority += *std::max_element(cont[r].begin(), cont[r].end());
  m.purity = static_cast<double>(majority) / n;

  // F1 over the present classes on the mapped predictions (sklearn f1_score with
  // labels = classes present in `labels`); points of unmatched clusters are false negatives.
  double f1_sum = 0;
  int64_t tp_sum = 0, predicted_sum = 0;
  for (int64_t c = 0; c < nc; ++c) {
    const int64_t r = cluster_of_class[c];
    const int64_t tp = r < 0 ? 0 : cont[r][c];
    const int64_t predicted = r < 0 ? 0 : row_sum[r];
    const double precision = predicted == 0 ? 0.0 : static_cast<double>(tp) / predicted;
    const double recall = static_cast<double>(tp) / col_sum[c];
    f1_sum += precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
    tp_sum += tp;
    predicted_sum += predicted;
  }
  m.f1_macro = f1_sum / nc;
  {
    const double precision = predicted_sum == 0 ? 0.0 : static_cast<double>(tp_sum) / predicted_sum;
    const double recall = static_cast<double>(tp_sum) / n;
    m.f1_micro = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
  }

  // NMI with arithmetic normalisation, following scikit-learn 1.2 step by step.
  if (nc == 1 && nk == 1) {
    m.nmi = 1.0;
  } else {
    double mi = 0;
    if (nc > 1 && nk > 1) {
      const double total = static_cast<double>(n);
      const double log_total = std::log(total);
      for (int64_t r = 0; r < nk; ++r)
        for (int64_t c = 0; c < nc; ++c) {
          if (cont[r][c] == 0) continue;
          const double nij = static_cast<double>(cont[r][c]);
          const double p = nij / total;
          const double outer = static_cast<double>(row_sum[r]) * static_cast<double>(col_sum[c]);
          const double log_outer = -std::log(outer) + log_total + log_total;
          double term = p * (std::log(nij) - log_total) + p * log_outer;
          if (std::abs(term) < DBL_EPSILON) term = 0.0;
          mi += term;
        }
      mi = std::max(mi, 0.0);
    }
    if (mi == 0) {
      m.nmi = 0.0;
    } else {
      const double h_true = entropy_of_counts(col_sum);
      const double h_pred = entropy_of_counts(row_sum);
      m.nmi = mi / ((h_true + h_pred) / 2);
    }
  }

  // ARI from the pair confusion matrix (exact integer arithmetic, then one division).
  {
    using i128 = __int128;
    i128 sum_sq = 0, sum_row = 0, sum_col = 0;
    for (int64_t r = 0; r < nk; ++r)
      for (int64_t c = 0; c < nc; ++c) sum_sq += static_cast<i128>(cont[r][c]) * cont[r][c];
    for (int64_t r = 0; r < nk; ++r) sum_row += static_cast<i128>(row_sum[r]) * row_sum[r];
    for (int64_t c = 0; c < nc; ++c) sum_col += static_cast<i128>(col_sum[c]) * col_sum[c];
    const i128 nn = static_cast<i128>(n) * n;
    const i128 tp = sum_sq - n;
    const i128 fp = sum_row - sum_sq;  // same cluster, different class
    const i128 fn = sum_col - sum_sq;  // same class, different cluster
    const i128 tn = nn - fp - fn - sum_sq;
    if (fn == 0 && fp == 0) {
      m.ari = 1.0;
    } else {
      const long double num = 2.0L * static_cast<long double>(tp * tn - fn * fp);
      const long double den =
          static_cast<long double>((tp + fn) * (fn + tn)) + static_cast<long double>((tp + fp) * (fp + tn));
      m.ari = static_cast<double>(num / den);
    }
  }
  return m;
}

std::string metrics_to_json(const ClusteringMetrics& m) {
  nlohmann::json j;
  j["acc"] = m.acc;
  j["nmi"] = m.nmi;
  j["ari"] = m.ari;
  j["f1_macro"] = m.f1_macro;
  j["f1_micro"] = m.f1_micro;
  j["purity"] = m.purity;
  j["n"] = m.n;
  j["num_classes"] = m.num_classes;
  j["num_clusters_requested"] = m.num_clusters_requested;
  j["num_nonempty_clusters"] = m.num_nonempty_clusters;
  j["cluster_sizes"] = m.cluster_sizes;
  j["mapping"] = m.mapping;
  return j.dump(2);
}

}  // namespace rdc
