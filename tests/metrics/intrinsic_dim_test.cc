// Intrinsic-dimension diagnostics: TwoNN and linear intrinsic dimension on point clouds whose
// dimension is known by construction (planes, lines and Gaussians rotated into a larger space,
// exact spectra).
#include "rdc/metrics/intrinsic_dim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "rdc/core/error.h"

using namespace rdc;

namespace {

Context ctx2() {
  Context c;
  c.threads = 2;
  c.seed = 3;
  return c;
}

/// Random orthogonal D x D matrix (row-major): Gram-Schmidt on Gaussian rows.
std::vector<double> random_rotation(int64_t dim, std::mt19937_64& rng) {
  std::normal_distribution<double> g;
  std::vector<double> q(static_cast<size_t>(dim * dim));
  for (auto& v : q) v = g(rng);
  for (int64_t r = 0; r < dim; ++r) {
    for (int64_t p = 0; p < r; ++p) {
      double dot = 0;
      for (int64_t t = 0; t < dim; ++t) dot += q[r * dim + t] * q[p * dim + t];
      for (int64_t t = 0; t < dim; ++t) q[r * dim + t] -= dot * q[p * dim + t];
    }
    double norm = 0;
    for (int64_t t = 0; t < dim; ++t) norm += q[r * dim + t] * q[r * dim + t];
    norm = std::sqrt(norm);
    for (int64_t t = 0; t < dim; ++t) q[r * dim + t] /= norm;
  }
  return q;
}

/// Embeds n points of dimension k (row-major) into dim dimensions: y = [x, 0] R + offset.
std::vector<float> embed(const std::vector<double>& x, int64_t n, int64_t k, int64_t dim, std::mt19937_64& rng) {
  auto rot = random_rotation(dim, rng);
  std::vector<float> y(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < dim; ++t) {
      double s = 0.5;  // an offset: the estimators must not depend on the origin
      for (int64_t a = 0; a < k; ++a) s += x[i * k + a] * rot[a * dim + t];
      y[i * dim + t] = static_cast<float>(s);
    }
  return y;
}

std::vector<double> uniform_cube(int64_t n, int64_t k, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(static_cast<size_t>(n * k));
  for (auto& v : x) v = u(rng);
  return x;
}

std::vector<double> gaussian(int64_t n, int64_t k, std::mt19937_64& rng) {
  std::normal_distribution<double> g;
  std::vector<double> x(static_cast<size_t>(n * k));
  for (auto& v : x) v = g(rng);
  return x;
}

}  // namespace

TEST(IntrinsicDim, TwoNNFitRecoversExactParetoQuantiles) {
  // mu_i = (1 - F_i)^(-1/d) makes -log(1 - F_i) = d log(mu_i) exactly: the slope is d.
  const int n = 1000;
  for (double dim : {1.0, 3.0, 7.5}) {
    // F_i = i / n (i = 1..n) in the fit; given in reverse order: the fit must sort.
    std::vector<double> mu = {1e9};  // the largest mu is outside the first 90% and must not matter
    for (int i = n - 1; i >= 1; --i) mu.push_back(std::pow(1.0 - static_cast<double>(i) / n, -1.0 / dim));
    EXPECT_NEAR(twonn_fit(mu, 0.9), dim, 1e-9) << dim;
  }
  EXPECT_TRUE(std::isnan(twonn_fit({}, 0.9)));
  EXPECT_TRUE(std::isnan(twonn_fit({1.0, 1.0, 1.0}, 0.9)));  // all log(mu) = 0: no slope
}

TEST(IntrinsicDim, PlaneIn10DHasDimensionTwo) {
  std::mt19937_64 rng(11);
  const int64_t n = 2000;
  auto y = embed(uniform_cube(n, 2, rng), n, 2, 10, rng);
  TwoNNResult r = twonn_dimension(y.data(), n, 10, ctx2());
  EXPECT_EQ(r.n_used, n);
  EXPECT_EQ(r.n_duplicates, 0);
  EXPECT_GT(r.dimension, 1.7);
  EXPECT_LT(r.dimension, 2.3);
  EXPECT_EQ(linear_intrinsic_dim(y.data(), n, 10, 0.9), 2);
}

TEST(IntrinsicDim, SubsampledTwoNNIsSeededAndStillTwoOnAPlane) {
  std::mt19937_64 rng(16);
  const int64_t n = 3000;
  auto y = embed(uniform_cube(n, 2, rng), n, 2, 10, rng);
  IntrinsicDimParams p;
  p.max_points = 800;
  TwoNNResult a = twonn_dimension_sampled(y.data(), n, 10, p, ctx2());
  EXPECT_EQ(a.n_used, 800);
  EXPECT_GT(a.dimension, 1.6);
  EXPECT_LT(a.dimension, 2.4);
  EXPECT_EQ(twonn_dimension_sampled(y.data(), n, 10, p, ctx2()).dimension, a.dimension);  // same seed, same subset
  Context other = ctx2();
  other.seed = 4;
  EXPECT_NE(twonn_dimension_sampled(y.data(), n, 10, p, other).dimension, a.dimension);
  p.max_points = 0;  // all points
  EXPECT_EQ(twonn_dimension_sampled(y.data(), n, 10, p, ctx2()).n_used, n);
  p.max_points = 2;
  EXPECT_THROW(p.validate(), Error);
}

TEST(IntrinsicDim, Gaussian5DIn20DHasDimensionFive) {
  std::mt19937_64 rng(12);
  const int64_t n = 3000;
  auto y = embed(gaussian(n, 5, rng), n, 5, 20, rng);
  TwoNNResult r = twonn_dimension(y.data(), n, 20, ctx2());
  EXPECT_GT(r.dimension, 4.3);
  EXPECT_LT(r.dimension, 5.7);
  EXPECT_EQ(linear_intrinsic_dim(y.data(), n, 20, 0.9), 5);
  // all 20 - 5 trailing eigenvalues vanish
  auto eig = pca_spectrum(y.data(), n, 20);
  ASSERT_EQ(eig.size(), 20u);
  EXPECT_GT(eig[4], 0.5);
  EXPECT_LT(std::abs(eig[5]), 1e-5);
}

TEST(IntrinsicDim, KnownSpectrumGivesExactEigenvaluesAndCounts) {
  // Points +-a_k e_k (k = 0..7): population variance a_k^2 / 8 along e_k, exactly the spectrum below.
  const std::vector<double> var = {10, 5, 1, 0.1, 0.1, 0.1, 0.1, 0.1};  // total 16.5
  const int64_t dim = 8, n = 2 * dim;
  std::vector<double> x(static_cast<size_t>(n * dim), 0.0);
  for (int64_t k = 0; k < dim; ++k) {
    const double a = std::sqrt(var[k] * static_cast<double>(n) / 2.0);
    x[(2 * k) * dim + k] = a;
    x[(2 * k + 1) * dim + k] = -a;
  }
  std::mt19937_64 rng(13);
  auto y = embed(x, n, dim, dim, rng);
  auto eig = pca_spectrum(y.data(), n, dim);
  ASSERT_EQ(eig.size(), var.size());
  for (size_t i = 0; i < var.size(); ++i) EXPECT_NEAR(eig[i], var[i], 1e-5 * 10) << i;
  // cumulative shares: 10/16.5 = 0.606, 15/16.5 = 0.909, 16/16.5 = 0.970, 16.1/16.5 = 0.976 ...
  EXPECT_EQ(linear_intrinsic_dim(y.data(), n, dim, 0.5), 1);
  EXPECT_EQ(linear_intrinsic_dim(y.data(), n, dim, 0.9), 2);
  EXPECT_EQ(linear_intrinsic_dim(y.data(), n, dim, 0.95), 3);
  EXPECT_EQ(linear_intrinsic_dim(y.data(), n, dim, 1.0), 8);
  EXPECT_EQ(components_for_variance({10, 5, 1, 0.1}, 0.9), 2);
  EXPECT_EQ(components_for_variance({9, 1}, 0.9), 1);  // exactly 90% explained by one component
  EXPECT_EQ(components_for_variance({0, 0}, 0.9), 0);
}

TEST(IntrinsicDim, SymmetricEigenvaluesOfHandMatrix) {
  auto w = symmetric_eigenvalues({2, 1, 1, 2}, 2);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NEAR(w[0], 3.0, 1e-12);
  EXPECT_NEAR(w[1], 1.0, 1e-12);
  EXPECT_THROW(symmetric_eigenvalues({1, 2, 3}, 2), Error);
}

TEST(IntrinsicDim, DuplicatesAreSkippedAndCounted) {
  std::mt19937_64 rng(14);
  const int64_t n = 600;
  auto y = embed(uniform_cube(n, 2, rng), n, 2, 6, rng);
  // rows 0..9 duplicated at the end: 20 points have a neighbour at distance 0
  for (int64_t i = 0; i < 10; ++i) y.insert(y.end(), y.begin() + i * 6, y.begin() + (i + 1) * 6);
  TwoNNResult r = twonn_dimension(y.data(), n + 10, 6, ctx2());
  EXPECT_EQ(r.n_duplicates, 20);
  EXPECT_EQ(r.n_used, n + 10 - 20);
  EXPECT_TRUE(std::isfinite(r.dimension));
  EXPECT_GT(r.dimension, 1.6);
  EXPECT_LT(r.dimension, 2.4);
}

TEST(IntrinsicDim, PerClusterLineAndPlaneAndTinyClusterSkipped) {
  std::mt19937_64 rng(15);
  const int64_t dim = 12, n_line = 800, n_plane = 1200, n_tiny = 5;
  auto line = embed(uniform_cube(n_line, 1, rng), n_line, 1, dim, rng);
  auto plane = embed(uniform_cube(n_plane, 2, rng), n_plane, 2, dim, rng);
  auto tiny = embed(uniform_cube(n_tiny, 3, rng), n_tiny, 3, dim, rng);
  // interleave: cluster ids 2 (plane), 0 (line), 1 (tiny)
  std::vector<float> x;
  std::vector<int64_t> a;
  for (int64_t i = 0; i < n_plane; ++i) {
    x.insert(x.end(), plane.begin() + i * dim, plane.begin() + (i + 1) * dim);
    a.push_back(2);
    if (i < n_line) {
      x.insert(x.end(), line.begin() + i * dim, line.begin() + (i + 1) * dim);
      a.push_back(0);
    }
    if (i < n_tiny) {
      x.insert(x.end(), tiny.begin() + i * dim, tiny.begin() + (i + 1) * dim);
      a.push_back(1);
    }
  }
  IntrinsicDimParams p;
  auto res = per_cluster_dimensions(x.data(), static_cast<int64_t>(a.size()), dim, a, p, ctx2());
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].cluster, 0);
  EXPECT_EQ(res[0].n, n_line);
  EXPECT_FALSE(res[0].skipped);
  EXPECT_NEAR(res[0].twonn, 1.0, 0.2);
  EXPECT_EQ(res[0].lid, 1);
  EXPECT_EQ(res[1].n, n_tiny);
  EXPECT_TRUE(res[1].skipped);
  EXPECT_TRUE(std::isnan(res[1].twonn));
  EXPECT_EQ(res[1].lid, -1);
  EXPECT_EQ(res[2].n, n_plane);
  EXPECT_NEAR(res[2].twonn, 2.0, 0.3);
  EXPECT_EQ(res[2].lid, 2);
}

TEST(IntrinsicDim, BadParametersNameTheField) {
  IntrinsicDimParams p;
  p.fit_fraction = 1.0;
  try {
    p.validate();
    FAIL() << "fit_fraction 1.0 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fit_fraction=1"), std::string::npos) << e.what();
  }
  p = IntrinsicDimParams{};
  p.min_cluster_size = 2;
  EXPECT_THROW(p.validate(), Error);
  std::vector<float> two = {0, 0, 1, 1};
  try {
    twonn_dimension(two.data(), 2, 2, ctx2());
    FAIL() << "TwoNN on 2 points accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n=2"), std::string::npos) << e.what();
  }
  std::vector<int64_t> short_ids = {0};
  EXPECT_THROW(per_cluster_dimensions(two.data(), 2, 2, short_ids, IntrinsicDimParams{}, ctx2()), Error);
}
