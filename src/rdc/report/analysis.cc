#include "rdc/report/analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "rdc/core/error.h"
#include "rdc/metrics/metrics.h"

namespace rdc {

std::vector<int64_t> cluster_sizes(const std::vector<int64_t>& assign, int64_t k) {
  int64_t kk = std::max<int64_t>(k, 0);
  for (size_t i = 0; i < assign.size(); ++i) {
    RDC_CHECK(assign[i] >= 0, "cluster id {} of sample {} is negative", assign[i], i);
    kk = std::max(kk, assign[i] + 1);
  }
  std::vector<int64_t> sizes(kk, 0);
  for (auto a : assign) ++sizes[a];
  return sizes;
}

int64_t Histogram::bin_of(double v) const {
  const int64_t bins = static_cast<int64_t>(counts.size());
  if (bins == 0 || !(v >= lo) || !(v <= hi)) return -1;
  if (v == hi) return bins - 1;
  int64_t b = static_cast<int64_t>(std::floor((v - lo) / (hi - lo) * bins));
  return std::min(std::max<int64_t>(b, 0), bins - 1);
}

Histogram histogram(const std::vector<double>& values, int bins) {
  RDC_CHECK(bins >= 1, "histogram: bins={} must be >= 1", bins);
  Histogram h;
  h.counts.assign(bins, 0);
  bool any = false;
  double lo = 0, hi = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (!any) lo = hi = v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    any = true;
  }
  if (!any) return h;
  if (hi == lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  h.lo = lo;
  h.hi = hi;
  for (double v : values) {
    int64_t b = h.bin_of(v);
    if (b >= 0) ++h.counts[b];
  }
  return h;
}

MatchedConfusion matched_confusion(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred, int64_t k) {
  RDC_CHECK(labels.size() == pred.size(), "confusion matrix: {} labels but {} cluster ids", labels.size(),
            pred.size());
  MatchedConfusion m;
  m.n = static_cast<int64_t>(labels.size());
  const std::vector<int64_t> sizes = cluster_sizes(pred, k);
  m.num_clusters = static_cast<int64_t>(sizes.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    RDC_CHECK(labels[i] >= 0, "label {} of sample {} is negative", labels[i], i);
    m.num_classes = std::max(m.num_classes, labels[i] + 1);
  }
  // counts by [cluster][class], padded to the full size.
  std::vector<std::vector<int64_t>> cc(m.num_clusters, std::vector<int64_t>(m.num_classes, 0));
  if (m.n > 0) {
    const auto raw = contingency(labels, pred);
    for (size_t c = 0; c < raw.size() && c < cc.size(); ++c)
      for (size_t j = 0; j < raw[c].size() && j < cc[c].size(); ++j) cc[c][j] = raw[c][j];
  }
  m.class_of_cluster.assign(m.num_clusters, -1);
  // Like evaluate_clustering: only non-empty clusters and classes that occur are matched.
  std::vector<int64_t> live_clusters, live_classes, class_total(m.num_classes, 0);
  for (auto l : labels) ++class_total[l];
  for (int64_t c = 0; c < m.num_clusters; ++c)
    if (sizes[c] > 0) live_clusters.push_back(c);
  for (int64_t j = 0; j < m.num_classes; ++j)
    if (class_total[j] > 0) live_classes.push_back(j);
  if (!live_clusters.empty() && !live_classes.empty()) {
    std::vector<std::vector<double>> cost(live_clusters.size(), std::vector<double>(live_classes.size(), 0.0));
    for (size_t a = 0; a < live_clusters.size(); ++a)
      for (size_t b = 0; b < live_classes.size(); ++b)
        cost[a][b] = -static_cast<double>(cc[live_clusters[a]][live_classes[b]]);
    const auto match = hungarian_min_cost(cost);
    RDC_CHECK(match.size() == live_clusters.size(), "hungarian_min_cost returned {} rows for {} clusters",
              match.size(), live_clusters.size());
    for (size_t a = 0; a < live_clusters.size(); ++a)
      if (match[a] >= 0 && match[a] < static_cast<int64_t>(live_classes.size()))
        m.class_of_cluster[live_clusters[a]] = live_classes[match[a]];
  }
  std::vector<int64_t> cluster_of_class(m.num_classes, -1);
  for (int64_t c = 0; c < m.num_clusters; ++c)
    if (m.class_of_cluster[c] >= 0) cluster_of_class[m.class_of_cluster[c]] = c;
  for (int64_t j = 0; j < m.num_classes; ++j)
    if (cluster_of_class[j] >= 0) {
      m.column_cluster.push_back(cluster_of_class[j]);
      m.matched += cc[cluster_of_class[j]][j];
    }
  std::vector<int64_t> rest;
  for (int64_t c = 0; c < m.num_clusters; ++c)
    if (m.class_of_cluster[c] < 0) rest.push_back(c);
  std::stable_sort(rest.begin(), rest.end(), [&](int64_t a, int64_t b) { return sizes[a] > sizes[b]; });
  m.column_cluster.insert(m.column_cluster.end(), rest.begin(), rest.end());
  m.counts.assign(m.num_classes, std::vector<int64_t>(m.num_clusters, 0));
  for (int64_t j = 0; j < m.num_classes; ++j)
    for (int64_t col = 0; col < m.num_clusters; ++col) m.counts[j][col] = cc[m.column_cluster[col]][j];
  return m;
}

namespace {

// Cyclic Jacobi eigen-decomposition of a small symmetric p x p matrix (row-major, destroyed).
// Returns eigenvalues; v receives eigenvectors as columns.
std::vector<double> jacobi_eigen(std::vector<double>& a, int p, std::vector<double>& v) {
  v.assign(static_cast<size_t>(p) * p, 0.0);
  for (int i = 0; i < p; ++i) v[i * p + i] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int i = 0; i < p; ++i)
      for (int j = i + 1; j < p; ++j) off += a[i * p + j] * a[i * p + j];
    if (off < 1e-30) break;
    for (int i = 0; i < p; ++i)
      for (int j = i + 1; j < p; ++j) {
        const double aij = a[i * p + j];
        if (std::abs(aij) < 1e-300) continue;
        const double theta = (a[j * p + j] - a[i * p + i]) / (2 * aij);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int r = 0; r < p; ++r) {  // columns i, j
          const double ari = a[r * p + i], arj = a[r * p + j];
          a[r * p + i] = c * ari - s * arj;
          a[r * p + j] = s * ari + c * arj;
        }
        for (int r = 0; r < p; ++r) {  // rows i, j
          const double air = a[i * p + r], ajr = a[j * p + r];
          a[i * p + r] = c * air - s * ajr;
          a[j * p + r] = s * air + c * ajr;
        }
        for (int r = 0; r < p; ++r) {
          const double vri = v[r * p + i], vrj = v[r * p + j];
          v[r * p + i] = c * vri - s * vrj;
          v[r * p + j] = s * vri + c * vrj;
        }
      }
  }
  std::vector<double> ev(p);
  for (int i = 0; i < p; ++i) ev[i] = a[i * p + i];
  return ev;
}

// Orthonormalises the p columns of q (d x p, column j at q[j*d..]) by modified Gram-Schmidt;
// a column that vanishes is replaced by a unit vector orthogonal to the previous ones.
void orthonormalize(std::vector<double>& q, int64_t d, int p) {
  for (int j = 0; j < p; ++j) {
    double* qj = q.data() + j * d;
    for (int attempt = 0; attempt <= d; ++attempt) {
      for (int i = 0; i < j; ++i) {
        const double* qi = q.data() + i * d;
        double dot = 0;
        for (int64_t r = 0; r < d; ++r) dot += qi[r] * qj[r];
        for (int64_t r = 0; r < d; ++r) qj[r] -= dot * qi[r];
      }
      double norm = 0;
      for (int64_t r = 0; r < d; ++r) norm += qj[r] * qj[r];
      norm = std::sqrt(norm);
      if (norm > 1e-12) {
        for (int64_t r = 0; r < d; ++r) qj[r] /= norm;
        break;
      }
      for (int64_t r = 0; r < d; ++r) qj[r] = 0;
      qj[(j + attempt) % d] = 1;
    }
  }
}

}  // namespace

std::vector<double> Pca::project(const float* x, int64_t n) const {
  std::vector<double> out(static_cast<size_t>(n) * components, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < components; ++c) {
      double s = 0;
      for (int64_t r = 0; r < d; ++r) s += (x[i * d + r] - mean[r]) * axes[c * d + r];
      out[i * components + c] = s;
    }
  return out;
}

Pca pca_fit(const float* x, int64_t n, int64_t d, int components, uint64_t seed) {
  RDC_CHECK(n >= 1, "PCA needs at least one point (n={})", n);
  RDC_CHECK(d >= 1, "PCA needs at least one dimension (d={})", d);
  RDC_CHECK(components >= 1 && components <= d, "PCA: components={} must be in [1, d={}]", components, d);
  Pca pca;
  pca.d = d;
  pca.components = components;
  pca.mean.assign(d, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < d; ++r) pca.mean[r] += x[i * d + r];
  for (auto& m : pca.mean) m /= static_cast<double>(n);
  // Covariance (population), d x d.
  std::vector<double> cov(static_cast<size_t>(d) * d, 0.0), row(d);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < d; ++r) row[r] = x[i * d + r] - pca.mean[r];
    for (int64_t a = 0; a < d; ++a) {
      const double ra = row[a];
      if (ra == 0) continue;
      double* ca = cov.data() + a * d;
      for (int64_t b = a; b < d; ++b) ca[b] += ra * row[b];
    }
  }
  for (int64_t a = 0; a < d; ++a)
    for (int64_t b = a; b < d; ++b) {
      cov[a * d + b] /= static_cast<double>(n);
      cov[b * d + a] = cov[a * d + b];
    }
  for (int64_t a = 0; a < d; ++a) pca.total_variance += cov[a * d + a];

  // Subspace iteration with a few extra vectors, Rayleigh-Ritz after each step.
  const int p = static_cast<int>(std::min<int64_t>(d, components + 2));
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::vector<double> q(static_cast<size_t>(d) * p), z(q.size()), t(static_cast<size_t>(p) * p), v, ritz(q.size());
  for (auto& e : q) e = gauss(rng);
  orthonormalize(q, d, p);
  auto multiply = [&](const std::vector<double>& in, std::vector<double>& out) {
    for (int j = 0; j < p; ++j)
      for (int64_t a = 0; a < d; ++a) {
        const double* ca = cov.data() + a * d;
        const double* ij = in.data() + j * d;
        double s = 0;
        for (int64_t b = 0; b < d; ++b) s += ca[b] * ij[b];
        out[j * d + a] = s;
      }
  };
  std::vector<double> ev(p, 0.0);
  const double scale = std::max(pca.total_variance, 1e-300);
  for (int iter = 0; iter < 3000; ++iter) {
    multiply(q, z);  // z = C q
    // Ritz values/vectors of the current subspace: T = q^T C q.
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j) {
        double s = 0;
        for (int64_t r = 0; r < d; ++r) s += q[i * d + r] * z[j * d + r];
        t[i * p + j] = s;
      }
    for (int i = 0; i < p; ++i)
      for (int j = i + 1; j < p; ++j) t[i * p + j] = t[j * p + i] = 0.5 * (t[i * p + j] + t[j * p + i]);
    ev = jacobi_eigen(t, p, v);
    std::vector<int> order(p);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return ev[a] > ev[b]; });
    // ritz = q v, cz = z v (= C ritz); residual of the wanted pairs.
    double worst = 0;
    std::vector<double> cz(q.size());
    for (int jj = 0; jj < p; ++jj) {
      const int j = order[jj];
      for (int64_t r = 0; r < d; ++r) {
        double s = 0, sz = 0;
        for (int i = 0; i < p; ++i) {
          s += q[i * d + r] * v[i * p + j];
          sz += z[i * d + r] * v[i * p + j];
        }
        ritz[jj * d + r] = s;
        cz[jj * d + r] = sz;
      }
      if (jj < components) {
        double res = 0;
        for (int64_t r = 0; r < d; ++r) {
          const double e = cz[jj * d + r] - ev[j] * ritz[jj * d + r];
          res += e * e;
        }
        worst = std::max(worst, std::sqrt(res));
      }
    }
    std::vector<double> sorted(p);
    for (int jj = 0; jj < p; ++jj) sorted[jj] = ev[order[jj]];
    ev = sorted;
    q = ritz;
    if (worst <= 1e-10 * scale) break;
    // Next step: q <- orth(C q) in the Ritz basis.
    z = cz;
    q.swap(z);
    orthonormalize(q, d, p);
  }
  pca.axes.assign(static_cast<size_t>(components) * d, 0.0);
  pca.variance.assign(components, 0.0);
  for (int c = 0; c < components; ++c) {
    pca.variance[c] = std::max(ev[c], 0.0);
    int64_t arg = 0;
    for (int64_t r = 0; r < d; ++r)
      if (std::abs(q[c * d + r]) > std::abs(q[c * d + arg]) + 1e-12) arg = r;
    const double sign = q[c * d + arg] < 0 ? -1.0 : 1.0;
    for (int64_t r = 0; r < d; ++r) pca.axes[c * d + r] = sign * q[c * d + r];
  }
  return pca;
}

std::vector<int64_t> sample_rows(int64_t n, int64_t m, uint64_t seed) {
  std::vector<int64_t> idx(std::max<int64_t>(n, 0));
  std::iota(idx.begin(), idx.end(), 0);
  if (m >= n) return idx;
  if (m <= 0) return {};
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < m; ++i) {
    std::uniform_int_distribution<int64_t> pick(i, n - 1);
    std::swap(idx[i], idx[pick(rng)]);
  }
  idx.resize(m);
  std::sort(idx.begin(), idx.end());
  return idx;
}

std::vector<GalleryPick> gallery_picks(const float* emb, int64_t n, int64_t d, const std::vector<int64_t>& assign,
                                       const std::vector<float>& centroids, const std::vector<int64_t>& clusters,
                                       int n_nearest, int n_edge) {
  RDC_CHECK(static_cast<int64_t>(assign.size()) == n, "gallery: {} cluster ids for {} embedding rows",
            assign.size(), n);
  RDC_CHECK(n_nearest >= 0 && n_edge >= 0, "gallery: n_nearest={} and n_edge={} must be >= 0", n_nearest, n_edge);
  const std::vector<int64_t> sizes = cluster_sizes(assign, 0);
  const int64_t kc = static_cast<int64_t>(centroids.size()) / std::max<int64_t>(d, 1);
  std::vector<std::vector<int64_t>> members(sizes.size());
  for (int64_t i = 0; i < n; ++i) members[assign[i]].push_back(i);
  std::vector<GalleryPick> out;
  for (int64_t c : clusters) {
    GalleryPick g;
    g.cluster = c;
    if (c < 0 || c >= static_cast<int64_t>(sizes.size()) || sizes[c] == 0) {
      out.push_back(g);
      continue;
    }
    const auto& mem = members[c];
    g.size = static_cast<int64_t>(mem.size());
    std::vector<double> centre(d, 0.0);
    if (c < kc) {
      for (int64_t r = 0; r < d; ++r) centre[r] = centroids[c * d + r];
    } else {
      for (int64_t i : mem)
        for (int64_t r = 0; r < d; ++r) centre[r] += emb[i * d + r];
      for (auto& e : centre) e /= static_cast<double>(mem.size());
    }
    std::vector<std::pair<double, int64_t>> dist;
    dist.reserve(mem.size());
    for (int64_t i : mem) {
      double s = 0;
      for (int64_t r = 0; r < d; ++r) {
        const double e = emb[i * d + r] - centre[r];
        s += e * e;
      }
      dist.emplace_back(std::sqrt(s), i);
    }
    std::sort(dist.begin(), dist.end());
    const size_t nn = std::min<size_t>(n_nearest, dist.size());
    const size_t ne = std::min<size_t>(n_edge, dist.size() - nn);
    for (size_t j = 0; j < nn; ++j) {
      g.nearest.push_back(dist[j].second);
      g.nearest_dist.push_back(dist[j].first);
    }
    for (size_t j = 0; j < ne; ++j) {
      const auto& e = dist[dist.size() - 1 - j];
      g.edge.push_back(e.second);
      g.edge_dist.push_back(e.first);
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<Flag> cluster_flags(const std::vector<int64_t>& sizes, int64_t k) {
  std::vector<Flag> flags;
  if (k <= 0) k = static_cast<int64_t>(sizes.size());
  int64_t used = 0, total = 0, largest = 0, arg = 0;
  for (size_t c = 0; c < sizes.size(); ++c) {
    if (sizes[c] > 0) ++used;
    total += sizes[c];
    if (sizes[c] > largest) {
      largest = sizes[c];
      arg = static_cast<int64_t>(c);
    }
  }
  if (total == 0) {
    flags.push_back({"error", "no_points", "no points were assigned to any cluster"});
    return flags;
  }
  if (used < k) {
    Flag f;
    f.code = "unused_clusters";
    f.message = fmt::format("{} of {} clusters used", used, k);
    if (used == 1) {
      f.level = "error";
      f.message += " (degenerate: every point is in one cluster)";
    } else if (used < 0.9 * static_cast<double>(k)) {
      f.level = "warning";
      f.message += fmt::format(" (fewer than 90% of k: {} clusters are empty)", k - used);
    } else {
      f.level = "info";
      f.message += fmt::format(" ({} empty)", k - used);
    }
    flags.push_back(f);
  }
  if (k > 1 && static_cast<double>(largest) > 0.9 * static_cast<double>(total)) {
    flags.push_back({"warning", "collapse",
                     fmt::format("collapse: {:.1f}% of the points ({} of {}) are in cluster {}",
                                 100.0 * largest / total, largest, total, arg)});
  }
  return flags;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  target = std::max(target, 2);
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  const double step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  const double start = std::ceil(lo / step - 1e-9) * step;
  for (double v = start; v <= hi + step * 1e-9; v += step) {
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    if (ticks.size() > 100) break;
  }
  return ticks;
}

}  // namespace rdc
