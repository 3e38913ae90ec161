#include "rdc/metrics/intrinsic_dim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <random>

#include "rdc/core/error.h"
#include "rdc/proximity/knn.h"

// BLAS / LAPACK (OpenBLAS provides both; faiss links them). Fortran calling convention: every
// argument by pointer, hidden lengths of the character arguments at the end.
extern "C" {
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc, size_t uplo_len, size_t trans_len);
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
            const int* lwork, int* info, size_t jobz_len, size_t uplo_len);
}

namespace rdc {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Silences info-level logs of the k-NN helper while many small graphs are built.
class QuietLogs {
 public:
  QuietLogs() : level_(spdlog::get_level()) {
    if (level_ < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  }
  ~QuietLogs() { spdlog::set_level(level_); }
  QuietLogs(const QuietLogs&) = delete;
  QuietLogs& operator=(const QuietLogs&) = delete;

 private:
  spdlog::level::level_enum level_;
};

double sq_dist(const float* a, const float* b, int64_t d) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t) {
    const double v = static_cast<double>(a[t]) - static_cast<double>(b[t]);
    s += v * v;
  }
  return s;
}

int to_int(int64_t v, const char* what) {
  RDC_CHECK(v >= 0 && v <= std::numeric_limits<int>::max(), "{}={} exceeds the LAPACK integer range", what, v);
  return static_cast<int>(v);
}

}  // namespace

void IntrinsicDimParams::validate() const {
  RDC_CHECK(fit_fraction > 0 && fit_fraction < 1, "fit_fraction={} must be in (0, 1)", fit_fraction);
  RDC_CHECK(variance_fraction > 0 && variance_fraction <= 1, "variance_fraction={} must be in (0, 1]",
            variance_fraction);
  RDC_CHECK(min_cluster_size >= 3, "min_cluster_size={} must be >= 3 (TwoNN needs 2 neighbours)", min_cluster_size);
  RDC_CHECK(max_points == 0 || max_points >= 3, "max_points={} must be 0 (all) or >= 3", max_points);
}

double twonn_fit(std::vector<double> mu, double fit_fraction) {
  RDC_CHECK(fit_fraction > 0 && fit_fraction < 1, "fit_fraction={} must be in (0, 1)", fit_fraction);
  std::sort(mu.begin(), mu.end());
  const size_t n = mu.size();
  const size_t used = static_cast<size_t>(std::floor(fit_fraction * static_cast<double>(n)));
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < used; ++i) {
    const double x = std::log(mu[i]);
    const double f = static_cast<double>(i + 1) / static_cast<double>(n);
    const double y = -std::log(1.0 - f);
    sxy += x * y;
    sxx += x * x;
  }
  return sxx > 0 ? sxy / sxx : kNaN;
}

TwoNNResult twonn_dimension(const float* x, int64_t n, int64_t d, const Context& ctx, double fit_fraction) {
  RDC_CHECK(n >= 3, "TwoNN needs at least 3 points (2 neighbours each); got n={}", n);
  RDC_CHECK(d >= 1, "TwoNN: d={} must be >= 1", d);
  KnnParams kp;
  kp.k = 2;
  kp.cosine = false;
  KnnGraph g;
  {
    QuietLogs quiet;
    g = build_knn_graph(x, n, d, kp, ctx);
  }
  TwoNNResult r;
  std::vector<double> mu;
  mu.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t* nb = g.row(i);
    if (nb[0] < 0 || nb[1] < 0) continue;
    double r1 = std::sqrt(sq_dist(x + i * d, x + nb[0] * d, d));
    double r2 = std::sqrt(sq_dist(x + i * d, x + nb[1] * d, d));
    if (r1 > r2) std::swap(r1, r2);  // faiss ranks with float32 distances; re-rank exactly
    if (r1 <= 0) {
      ++r.n_duplicates;
      continue;
    }
    mu.push_back(r2 / r1);
  }
  r.n_used = static_cast<int64_t>(mu.size());
  r.dimension = mu.size() >= 2 ? twonn_fit(std::move(mu), fit_fraction) : kNaN;
  return r;
}

TwoNNResult twonn_dimension_sampled(const float* x, int64_t n, int64_t d, const IntrinsicDimParams& p,
                                    const Context& ctx) {
  p.validate();
  if (p.max_points == 0 || n <= p.max_points) return twonn_dimension(x, n, d, ctx, p.fit_fraction);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  std::mt19937_64 rng(derive_seed(ctx.seed, "twonn"));
  for (int64_t i = 0; i < p.max_points; ++i) {  // partial Fisher-Yates: the first max_points are the sample
    std::uniform_int_distribution<int64_t> pick(i, n - 1);
    std::swap(idx[i], idx[pick(rng)]);
  }
  idx.resize(static_cast<size_t>(p.max_points));
  std::sort(idx.begin(), idx.end());
  std::vector<float> sub(static_cast<size_t>(p.max_points * d));
  for (int64_t r = 0; r < p.max_points; ++r) std::copy(x + idx[r] * d, x + (idx[r] + 1) * d, sub.data() + r * d);
  return twonn_dimension(sub.data(), p.max_points, d, ctx, p.fit_fraction);
}

std::vector<double> symmetric_eigenvalues(std::vector<double> a, int64_t d) {
  RDC_CHECK(d >= 1 && static_cast<int64_t>(a.size()) == d * d, "symmetric_eigenvalues: {} values for d={}",
            a.size(), d);
  const int nd = to_int(d, "d");
  std::vector<double> w(static_cast<size_t>(d));
  int info = 0, lwork = -1;
  double query = 0;
  dsyev_("N", "U", &nd, a.data(), &nd, w.data(), &query, &lwork, &info, 1, 1);
  RDC_CHECK(info == 0, "LAPACK dsyev workspace query failed (info={})", info);
  lwork = std::max(1, static_cast<int>(query));
  std::vector<double> work(static_cast<size_t>(lwork));
  dsyev_("N", "U", &nd, a.data(), &nd, w.data(), work.data(), &lwork, &info, 1, 1);
  RDC_CHECK(info == 0, "LAPACK dsyev failed (info={}): {}", info,
            info < 0 ? "an illegal argument" : "the QR iteration did not converge");
  std::sort(w.begin(), w.end(), std::greater<double>());
  return w;
}

std::vector<double> pca_spectrum(const float* x, int64_t n, int64_t d) {
  RDC_CHECK(n >= 1 && d >= 1, "pca_spectrum: n={} d={} must both be >= 1", n, d);
  std::vector<double> mean(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < d; ++t) mean[t] += x[i * d + t];
  for (auto& v : mean) v /= static_cast<double>(n);
  // C = sum over blocks of Xb^T Xb (centred rows). Row-major Xb (b x d) is column-major (d x b): C = A A^T.
  std::vector<double> cov(static_cast<size_t>(d * d), 0.0);
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(n, (int64_t{1} << 22) / d));
  std::vector<double> buf(static_cast<size_t>(block * d));
  const int nd = to_int(d, "d");
  const double one = 1.0;
  for (int64_t b0 = 0; b0 < n; b0 += block) {
    const int64_t bn = std::min(block, n - b0);
    for (int64_t r = 0; r < bn; ++r)
      for (int64_t t = 0; t < d; ++t) buf[r * d + t] = static_cast<double>(x[(b0 + r) * d + t]) - mean[t];
    const int nb = to_int(bn, "rows");
    dsyrk_("U", "N", &nd, &nb, &one, buf.data(), &nd, &one, cov.data(), &nd, 1, 1);
  }
  for (auto& v : cov) v /= static_cast<double>(n);
  return symmetric_eigenvalues(std::move(cov), d);
}

int64_t components_for_variance(const std::vector<double>& eig_desc, double fraction) {
  RDC_CHECK(fraction > 0 && fraction <= 1, "variance fraction={} must be in (0, 1]", fraction);
  double total = 0;
  for (double e : eig_desc) total += std::max(0.0, e);
  if (!(total > 0)) return 0;
  double cum = 0;
  // A relative tolerance keeps an exact split (e.g. 90% explained exactly) from depending on rounding.
  const double target = fraction * total * (1.0 - 1e-12);
  for (size_t c = 0; c < eig_desc.size(); ++c) {
    cum += std::max(0.0, eig_desc[c]);
    if (cum >= target) return static_cast<int64_t>(c + 1);
  }
  return static_cast<int64_t>(eig_desc.size());
}

int64_t linear_intrinsic_dim(const float* x, int64_t n, int64_t d, double fraction) {
  return components_for_variance(pca_spectrum(x, n, d), fraction);
}

std::vector<ClusterDimension> per_cluster_dimensions(const float* x, int64_t n, int64_t d,
                                                     const std::vector<int64_t>& assign,
                                                     const IntrinsicDimParams& p, const Context& ctx) {
  p.validate();
  RDC_CHECK(static_cast<int64_t>(assign.size()) == n, "{} cluster ids for {} points; they must be equal",
            assign.size(), n);
  int64_t k = 0;
  for (int64_t i = 0; i < n; ++i) {
    RDC_CHECK(assign[i] >= 0, "cluster id {} of point {} must be >= 0", assign[i], i);
    k = std::max(k, assign[i] + 1);
  }
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(k));
  for (int64_t i = 0; i < n; ++i) members[assign[i]].push_back(i);
  std::vector<ClusterDimension> out;
  std::vector<float> sub;
  for (int64_t c = 0; c < k; ++c) {
    ClusterDimension cd;
    cd.cluster = c;
    cd.n = static_cast<int64_t>(members[c].size());
    if (cd.n < p.min_cluster_size) {
      cd.skipped = true;
      cd.twonn = kNaN;
      out.push_back(cd);
      continue;
    }
    sub.resize(static_cast<size_t>(cd.n * d));
    for (int64_t r = 0; r < cd.n; ++r) std::copy(x + members[c][r] * d, x + (members[c][r] + 1) * d, sub.data() + r * d);
    TwoNNResult t = twonn_dimension_sampled(sub.data(), cd.n, d, p, ctx);
    cd.twonn = t.dimension;
    cd.n_duplicates = t.n_duplicates;
    cd.lid = linear_intrinsic_dim(sub.data(), cd.n, d, p.variance_fraction);
    out.push_back(cd);
  }
  return out;
}

}  // namespace rdc
