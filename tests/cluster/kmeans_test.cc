#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "rdc/cluster/kmeans.h"
#include "rdc/core/error.h"
#include "rdc/core/interrupt.h"
#include "rdc/metrics/metrics.h"

using namespace rdc;

namespace {

struct Blobs {
  std::vector<float> x;
  std::vector<int64_t> labels;
  int64_t n = 0, d = 0;
};

/// `k` Gaussian blobs (sigma 1) of `per` points around centres 20 * e_c (c < d) in d dims.
Blobs make_blobs(int64_t k, int64_t per, int64_t d, uint32_t seed) {
  Blobs b;
  b.n = k * per;
  b.d = d;
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.f, 1.f);
  for (int64_t i = 0; i < b.n; ++i) {
    const int64_t c = i % k;
    b.labels.push_back(c);
    for (int64_t j = 0; j < d; ++j) b.x.push_back((j == c ? 20.f : 0.f) + noise(rng));
  }
  return b;
}

std::vector<float> uniform(int64_t n, int64_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> x(n * d);
  for (float& v : x) v = u(rng);
  return x;
}

Context ctx_with(uint64_t seed, int threads = 1) {
  Context c;
  c.seed = seed;
  c.threads = threads;
  return c;
}

void expect_all_finite(const std::vector<float>& v) {
  for (float f : v) ASSERT_TRUE(std::isfinite(f));
}

}  // namespace

TEST(KMeans, WellSeparatedBlobsGiveAriOne) {
  const Blobs b = make_blobs(4, 50, 6, 1);
  KMeansParams p;
  p.k = 4;
  p.n_init = 3;
  const KMeansResult r = kmeans_fit(b.x.data(), b.n, b.d, p, ctx_with(3));
  EXPECT_DOUBLE_EQ(evaluate_clustering(b.labels, r.assignments).ari, 1.0);
  EXPECT_EQ(r.sizes, (std::vector<int64_t>{50, 50, 50, 50}));
  ASSERT_EQ(r.centroids.size(), 4u * 6u);
  EXPECT_EQ(r.d, 6);
  p.spherical = true;  // the blobs point in different directions: cosine separates them too
  const KMeansResult s = kmeans_fit(b.x.data(), b.n, b.d, p, ctx_with(3));
  EXPECT_DOUBLE_EQ(evaluate_clustering(b.labels, s.assignments).ari, 1.0);
}

TEST(KMeans, ObjectiveNonIncreasingWithMoreRestarts) {
  const std::vector<float> x = uniform(600, 4, 5);
  KMeansParams p;
  p.k = 12;
  p.iters = 10;
  double prev = INFINITY;
  std::vector<double> all;
  for (int m = 1; m <= 6; ++m) {
    p.n_init = m;
    const KMeansResult r = kmeans_fit(x.data(), 600, 4, p, ctx_with(11));
    ASSERT_EQ(r.restart_objectives.size(), static_cast<size_t>(m));
    EXPECT_LE(r.objective, prev);
    EXPECT_DOUBLE_EQ(r.objective, *std::min_element(r.restart_objectives.begin(), r.restart_objectives.end()));
    prev = r.objective;
    all = r.restart_objectives;
  }
  // Restarts are independent streams: not all six land on the same optimum.
  EXPECT_GT(*std::max_element(all.begin(), all.end()), *std::min_element(all.begin(), all.end()));
}

TEST(KMeans, MoreClustersLowerInertia) {
  const std::vector<float> x = uniform(800, 3, 6);
  KMeansParams p;
  p.n_init = 3;
  double prev = INFINITY;
  for (int64_t k : {1, 2, 4, 8, 16, 32}) {
    p.k = k;
    const KMeansResult r = kmeans_fit(x.data(), 800, 3, p, ctx_with(2));
    EXPECT_LT(r.objective, prev) << "k=" << k;
    prev = r.objective;
  }
}

TEST(KMeans, C17_SameSeedIdenticalDifferentSeedsDiffer) {
  const std::vector<float> x = uniform(3000, 5, 7);
  KMeansParams p;
  p.k = 10;
  p.n_init = 2;
  const KMeansResult a = kmeans_fit(x.data(), 3000, 5, p, ctx_with(0, 2));
  const KMeansResult b = kmeans_fit(x.data(), 3000, 5, p, ctx_with(0, 2));
  EXPECT_EQ(a.assignments, b.assignments);
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.restart_objectives, b.restart_objectives);
  const KMeansResult c = kmeans_fit(x.data(), 3000, 5, p, ctx_with(1, 2));
  EXPECT_NE(a.centroids, c.centroids);
}

TEST(KMeans, C12_FewerPointsThanClustersNamesBoth) {
  const std::vector<float> x = uniform(5, 2, 1);
  KMeansParams p;
  p.k = 8;
  try {
    kmeans_fit(x.data(), 5, 2, p, ctx_with(0));
    FAIL() << "no throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("k=8"), std::string::npos) << msg;
    EXPECT_NE(msg.find("n=5"), std::string::npos) << msg;
  }
}

TEST(KMeans, ValidateNamesFieldAndValue) {
  const std::vector<float> x = uniform(20, 2, 1);
  KMeansParams p;
  p.k = 2;
  p.n_init = 0;
  try {
    kmeans_fit(x.data(), 20, 2, p, ctx_with(0));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_init=0"), std::string::npos) << e.what();
  }
}

TEST(KMeans, C18_RejectsNonFiniteInputNamingTheRow) {
  std::vector<float> x = uniform(20, 3, 1);
  x[7 * 3 + 1] = NAN;
  KMeansParams p;
  p.k = 2;
  try {
    kmeans_fit(x.data(), 20, 3, p, ctx_with(0));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 7"), std::string::npos) << e.what();
  }
}

TEST(KMeans, KEqualsN) {
  const std::vector<float> x = uniform(6, 3, 9);
  KMeansParams p;
  p.k = 6;
  p.n_init = 2;
  const KMeansResult r = kmeans_fit(x.data(), 6, 3, p, ctx_with(0));
  EXPECT_NEAR(r.objective, 0.0, 1e-10);
  EXPECT_EQ(r.sizes, (std::vector<int64_t>(6, 1)));
  std::vector<int64_t> sorted = r.assignments;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

TEST(KMeans, DuplicatePoints) {
  // Three distinct points, each repeated 10 times.
  const std::vector<float> base = {0, 0, 5, 5, -5, 5};
  std::vector<float> x;
  std::vector<int64_t> labels;
  for (int rep = 0; rep < 10; ++rep)
    for (int c = 0; c < 3; ++c) {
      x.push_back(base[c * 2]);
      x.push_back(base[c * 2 + 1]);
      labels.push_back(c);
    }
  KMeansParams p;
  p.k = 3;
  p.n_init = 4;
  const KMeansResult r = kmeans_fit(x.data(), 30, 2, p, ctx_with(4));
  EXPECT_NEAR(r.objective, 0.0, 1e-6);
  EXPECT_DOUBLE_EQ(evaluate_clustering(labels, r.assignments).ari, 1.0);
}

TEST(KMeans, C18_ConstantDataNeverGivesNaN) {
  for (float value : {0.f, 3.f}) {
    for (bool spherical : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "value " << value << " spherical " << spherical);
      const std::vector<float> x(50 * 4, value);
      KMeansParams p;
      p.k = 5;
      p.n_init = 2;
      p.spherical = spherical;
      const KMeansResult r = kmeans_fit(x.data(), 50, 4, p, ctx_with(0));
      expect_all_finite(r.centroids);
      EXPECT_TRUE(std::isfinite(r.objective));
      // faiss splits empty clusters by scaling a centroid by 1 +- 1/1024: tiny but non-zero objective.
      EXPECT_NEAR(r.objective, spherical && value == 0.f ? 50.0 : 0.0, 1e-2);
      int64_t total = 0;
      for (int64_t s : r.sizes) total += s;
      EXPECT_EQ(total, 50);
      for (int64_t a : r.assignments) EXPECT_TRUE(a >= 0 && a < 5);
    }
  }
}

TEST(KMeans, SphericalCentroidsHaveUnitNorm) {
  std::vector<float> x = uniform(400, 8, 12);
  for (float& v : x) v -= 0.5f;
  KMeansParams p;
  p.k = 7;
  p.n_init = 2;
  p.spherical = true;
  const KMeansResult r = kmeans_fit(x.data(), 400, 8, p, ctx_with(5));
  for (int64_t c = 0; c < 7; ++c) {
    double s = 0;
    for (int64_t j = 0; j < 8; ++j) s += r.centroids[c * 8 + j] * r.centroids[c * 8 + j];
    EXPECT_NEAR(std::sqrt(s), 1.0, 1e-5) << "centroid " << c;
  }
  // The objective is a sum of 1 - cos over points: between 0 and 2n.
  EXPECT_GT(r.objective, 0.0);
  EXPECT_LT(r.objective, 400.0);
}

TEST(KMeans, PredictOnTrainingDataEqualsFitAssignments) {
  const std::vector<float> x = uniform(500, 3, 13);
  for (bool spherical : {false, true}) {
    KMeansParams p;
    p.k = 6;
    p.n_init = 2;
    p.spherical = spherical;
    const KMeansResult r = kmeans_fit(x.data(), 500, 3, p, ctx_with(8));
    EXPECT_EQ(kmeans_predict(x.data(), 500, 3, r.centroids, spherical), r.assignments) << spherical;
  }
  // New points at the blob centres go to the cluster of their blob.
  const Blobs b = make_blobs(3, 30, 3, 2);
  KMeansParams p;
  p.k = 3;
  const KMeansResult r = kmeans_fit(b.x.data(), b.n, b.d, p, ctx_with(1));
  const std::vector<float> centres = {20, 0, 0, 0, 20, 0, 0, 0, 20};
  const std::vector<int64_t> got = kmeans_predict(centres.data(), 3, 3, r.centroids, false);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(got[c], r.assignments[c]) << c;  // point c belongs to blob c
}

TEST(KMeans, C20_ManyCentroidsFewPointsIsNotAnError) {
  // 14 points per centroid (faiss warns below 39): must run, and print nothing on stderr.
  const std::vector<float> x = uniform(1400, 4, 21);
  KMeansParams p;
  p.k = 100;
  p.n_init = 1;
  p.iters = 5;
  ::testing::internal::CaptureStderr();
  const KMeansResult r = kmeans_fit(x.data(), 1400, 4, p, ctx_with(0));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "");
  expect_all_finite(r.centroids);
  EXPECT_EQ(r.sizes.size(), 100u);
}

TEST(KMeans, L2NormalizeRowsLeavesZeroRows) {
  std::vector<float> x = {3, 4, 0, 0, -1, 0};
  l2_normalize_rows(x.data(), 3, 2);
  EXPECT_FLOAT_EQ(x[0], 0.6f);
  EXPECT_FLOAT_EQ(x[1], 0.8f);
  EXPECT_EQ(x[2], 0.f);
  EXPECT_EQ(x[3], 0.f);
  EXPECT_FLOAT_EQ(x[4], -1.f);
}

// Ctrl-C / SIGTERM (the handler sets the flag): k-means stops between restarts with Interrupted,
// which the CLI turns into exit code 130.
TEST(KMeans, InterruptStopsBetweenRestarts) {
  const Blobs b = make_blobs(3, 20, 4, 2);
  KMeansParams p;
  p.k = 3;
  p.n_init = 5;
  request_interrupt();
  EXPECT_THROW(kmeans_fit(b.x.data(), b.n, b.d, p, ctx_with(1)), Interrupted);
  clear_interrupt();
  EXPECT_NO_THROW(kmeans_fit(b.x.data(), b.n, b.d, p, ctx_with(1)));
}
