#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "rdc/core/error.h"
#include "rdc/proximity/knn.h"

using namespace rdc;

namespace {

Context ctx1() {
  Context c;
  c.threads = 1;
  c.seed = 5;
  return c;
}

std::vector<int64_t> row_of(const KnnGraph& g, int64_t i) { return {g.row(i), g.row(i) + g.k}; }

std::vector<float> uniform(int64_t n, int64_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> x(n * d);
  for (float& v : x) v = u(rng);
  return x;
}

void expect_no_self_no_repeat(const KnnGraph& g) {
  for (int64_t i = 0; i < g.n; ++i) {
    std::set<int64_t> seen;
    for (int64_t t = 0; t < g.k; ++t) {
      const int64_t j = g.row(i)[t];
      ASSERT_NE(j, i) << "row " << i << " contains itself";
      if (j >= 0) ASSERT_TRUE(seen.insert(j).second) << "row " << i << " repeats " << j;
    }
  }
}

}  // namespace

TEST(Knn, HandBuiltLineL2) {
  // 1-D points at 0, 1, 3, 7, 15.
  const std::vector<float> x = {0, 1, 3, 7, 15};
  KnnParams p;
  p.k = 2;
  const KnnGraph g = build_knn_graph(x.data(), 5, 1, p, ctx1());
  EXPECT_EQ(g.n, 5);
  EXPECT_EQ(g.k, 2);
  EXPECT_FALSE(g.approximate);
  EXPECT_EQ(row_of(g, 0), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(row_of(g, 1), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(row_of(g, 2), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(row_of(g, 3), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(row_of(g, 4), (std::vector<int64_t>{3, 2}));
  const std::vector<float> want = {1, 9, 1, 4, 4, 9, 16, 36, 64, 144};  // squared L2
  for (size_t t = 0; t < want.size(); ++t) EXPECT_NEAR(g.dist[t], want[t], 1e-4) << t;
}

TEST(Knn, CosineDiffersFromL2) {
  // a = (1, 0), b = (10, 1) points almost the same way as a, c = (0.9, 0.5) is close to a in L2.
  const std::vector<float> x = {1, 0, 10, 1, 0.9f, 0.5f};
  KnnParams p;
  p.k = 1;
  const KnnGraph l2 = build_knn_graph(x.data(), 3, 2, p, ctx1());
  EXPECT_EQ(l2.row(0)[0], 2);
  p.cosine = true;
  const KnnGraph cs = build_knn_graph(x.data(), 3, 2, p, ctx1());
  EXPECT_EQ(cs.row(0)[0], 1);
  EXPECT_NEAR(cs.dist[0], 1.0 - 10.0 / std::sqrt(101.0), 1e-6);  // 1 - cos(a, b)
  EXPECT_EQ(x[0], 1.f);  // the input is not normalised in place
}

TEST(Knn, ExactDuplicatesExcludeSelfByIndex) {
  // Ten copies of one point and five other points far away: every copy's neighbours are other copies.
  std::vector<float> x;
  for (int i = 0; i < 10; ++i) x.insert(x.end(), {2.f, 2.f});
  for (int i = 0; i < 5; ++i) x.insert(x.end(), {100.f + 10 * i, -50.f});
  KnnParams p;
  p.k = 3;
  const KnnGraph g = build_knn_graph(x.data(), 15, 2, p, ctx1());
  expect_no_self_no_repeat(g);
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t t = 0; t < 3; ++t) {
      EXPECT_LT(g.row(i)[t], 10) << "row " << i;
      EXPECT_EQ(g.dist[i * 3 + t], 0.f);
    }
  // Two copies only: each is the other's first neighbour.
  const std::vector<float> y = {0, 0, 0, 0, 5, 5, 9, 9};
  p.k = 2;
  const KnnGraph h = build_knn_graph(y.data(), 4, 2, p, ctx1());
  EXPECT_EQ(h.row(0)[0], 1);
  EXPECT_EQ(h.row(1)[0], 0);
  expect_no_self_no_repeat(h);
}

TEST(Knn, C19_KClippedToNMinusOne) {
  const std::vector<float> two = {0, 0, 1, 1};
  KnnParams p;
  p.k = 20;
  const KnnGraph g2 = build_knn_graph(two.data(), 2, 2, p, ctx1());
  EXPECT_EQ(g2.k, 1);
  EXPECT_EQ(g2.ids, (std::vector<int64_t>{1, 0}));
  const std::vector<float> ten = uniform(10, 3, 1);
  const KnnGraph g10 = build_knn_graph(ten.data(), 10, 3, p, ctx1());
  EXPECT_EQ(g10.k, 9);
  expect_no_self_no_repeat(g10);
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t t = 0; t < 9; ++t) EXPECT_GE(g10.row(i)[t], 0);  // every other point present
}

TEST(Knn, C19_SinglePointIsAClearError) {
  const std::vector<float> one = {1, 2, 3};
  try {
    build_knn_graph(one.data(), 1, 3, KnnParams{}, ctx1());
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n=1"), std::string::npos) << e.what();
  }
}

TEST(Knn, RejectsBadParamsAndNonFinite) {
  std::vector<float> x = uniform(10, 2, 3);
  KnnParams p;
  p.k = 0;
  try {
    build_knn_graph(x.data(), 10, 2, p, ctx1());
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("k=0"), std::string::npos) << e.what();
  }
  x[4 * 2] = INFINITY;
  try {
    build_knn_graph(x.data(), 10, 2, KnnParams{}, ctx1());
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 4"), std::string::npos) << e.what();
  }
}

TEST(Knn, BlocksGiveTheSameGraph) {
  const std::vector<float> x = uniform(300, 4, 9);
  KnnParams p;
  p.k = 6;
  const KnnGraph whole = build_knn_graph(x.data(), 300, 4, p, ctx1());
  p.block_rows = 7;
  const KnnGraph blocked = build_knn_graph(x.data(), 300, 4, p, ctx1());
  EXPECT_EQ(whole.ids, blocked.ids);
  for (size_t t = 0; t < whole.dist.size(); ++t) EXPECT_NEAR(whole.dist[t], blocked.dist[t], 1e-5);
  // Distances are sorted ascending along each row.
  for (int64_t i = 0; i < 300; ++i)
    for (int64_t t = 1; t < 6; ++t) EXPECT_LE(whole.dist[i * 6 + t - 1], whole.dist[i * 6 + t] + 1e-6);
}

TEST(Knn, C15_ApproximateIndexAboveThresholdHasHighRecall) {
  const int64_t n = 12000, d = 8;
  const std::vector<float> x = uniform(n, d, 17);
  Context ctx;
  ctx.threads = 2;
  KnnParams p;
  p.k = 10;
  const KnnGraph exact = build_knn_graph(x.data(), n, d, p, ctx);
  ASSERT_FALSE(exact.approximate);
  p.exact_max_n = 3000;
  const KnnGraph approx = build_knn_graph(x.data(), n, d, p, ctx);
  ASSERT_TRUE(approx.approximate);
  EXPECT_EQ(approx.k, 10);
  expect_no_self_no_repeat(approx);
  const double recall = 1.0 - graph_change(exact, approx);
  EXPECT_GT(recall, 0.9) << "recall " << recall;
  RecordProperty("recall", std::to_string(recall));
  EXPECT_LT(recall, 1.0);  // it really is approximate
  // Cosine on the approximate path too.
  p.cosine = true;
  p.exact_max_n = 1000000;
  const KnnGraph exact_cos = build_knn_graph(x.data(), n, d, p, ctx);
  p.exact_max_n = 3000;
  const KnnGraph approx_cos = build_knn_graph(x.data(), n, d, p, ctx);
  ASSERT_TRUE(approx_cos.approximate);
  EXPECT_GT(1.0 - graph_change(exact_cos, approx_cos), 0.9);
}

TEST(Knn, TruncateKeepsTheNearestColumns) {
  KnnGraph g;
  g.n = 3;
  g.k = 3;
  g.ids = {1, 2, -1, 0, 2, -1, 1, 0, -1};
  g.dist = {1, 2, 9, 1, 3, 9, 3, 2, 9};
  KnnGraph t = truncate_graph(g, 2);
  EXPECT_EQ(t.n, 3);
  EXPECT_EQ(t.k, 2);
  EXPECT_EQ(t.ids, (std::vector<int64_t>{1, 2, 0, 2, 1, 0}));
  EXPECT_EQ(t.dist, (std::vector<float>{1, 2, 1, 3, 3, 2}));
  EXPECT_EQ(truncate_graph(g, 3).ids, g.ids);
  EXPECT_THROW(truncate_graph(g, 4), Error);
}

TEST(Knn, GraphChange) {
  KnnGraph a;
  a.n = 4;
  a.k = 2;
  a.ids = {1, 2, 0, 3, 3, 0, 2, 1};
  EXPECT_DOUBLE_EQ(graph_change(a, a), 0.0);
  KnnGraph b = a;
  std::swap(b.ids[0], b.ids[1]);  // same set, other order: no change
  EXPECT_DOUBLE_EQ(graph_change(a, b), 0.0);
  b.ids[2] = 2;  // row 1: {0,3} -> {2,3}
  b.ids[7] = 0;  // row 3: {2,1} -> {2,0}
  EXPECT_DOUBLE_EQ(graph_change(a, b), 2.0 / 8.0);
  KnnGraph c = a;
  c.ids[1] = -1;  // a missing neighbour is not an edge
  EXPECT_DOUBLE_EQ(graph_change(c, a), 0.0);
  EXPECT_DOUBLE_EQ(graph_change(a, c), 1.0 / 8.0);
  KnnGraph other;
  other.n = 3;
  EXPECT_THROW(graph_change(a, other), Error);
}
