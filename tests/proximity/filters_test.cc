#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "rdc/core/error.h"
#include "rdc/proximity/filters.h"

using namespace rdc;

namespace {

KnnGraph graph(int64_t k, const std::vector<std::vector<int64_t>>& rows) {
  KnnGraph g;
  g.n = static_cast<int64_t>(rows.size());
  g.k = k;
  for (const auto& r : rows) g.ids.insert(g.ids.end(), r.begin(), r.end());
  g.dist.assign(g.ids.size(), 0.f);
  return g;
}

std::vector<std::vector<int64_t>> as_lists(const ReliableNeighbours& r) {
  std::vector<std::vector<int64_t>> out;
  for (size_t i = 0; i + 1 < r.offsets.size(); ++i)
    out.emplace_back(r.ids.begin() + r.offsets[i], r.ids.begin() + r.offsets[i + 1]);
  return out;
}

using Lists = std::vector<std::vector<int64_t>>;

// N_k (k = 2):  0:{1,2} 1:{0,3} 2:{0,4} 3:{1,4} 4:{3,0}
// mutual pairs: 0-1, 0-2, 1-3, 3-4 (2->4 and 4->0 are one-way)
const KnnGraph kGraph = graph(2, {{1, 2}, {0, 3}, {0, 4}, {1, 4}, {3, 0}});
// reference (previous round / augmented view)
const KnnGraph kReference = graph(2, {{2, 4}, {0, 2}, {0, 1}, {4, 0}, {0, 1}});

DualFilterParams filters(bool mutual, bool consistency) {
  DualFilterParams p;
  p.mutual = mutual;
  p.consistency = consistency;
  return p;
}

}  // namespace

TEST(DualFilter, EveryFilterOffKeepsTheGraphInOrder) {
  const ReliableNeighbours r = dual_filter(kGraph, nullptr, filters(false, false));
  EXPECT_EQ(as_lists(r), (Lists{{1, 2}, {0, 3}, {0, 4}, {1, 4}, {3, 0}}));
  EXPECT_DOUBLE_EQ(r.mean_count(), 2.0);
}

TEST(DualFilter, MutualOnly) {
  const ReliableNeighbours r = dual_filter(kGraph, nullptr, filters(true, false));
  EXPECT_EQ(as_lists(r), (Lists{{1, 2}, {0, 3}, {0}, {1, 4}, {3}}));
  EXPECT_EQ(r.offsets, (std::vector<int64_t>{0, 2, 4, 5, 7, 8}));
  EXPECT_DOUBLE_EQ(r.mean_count(), 8.0 / 5.0);
}

TEST(DualFilter, ConsistencyOnly) {
  const ReliableNeighbours r = dual_filter(kGraph, &kReference, filters(false, true));
  EXPECT_EQ(as_lists(r), (Lists{{2}, {0}, {0}, {4}, {0}}));
}

TEST(DualFilter, BothFilters) {
  const ReliableNeighbours r = dual_filter(kGraph, &kReference, filters(true, true));
  EXPECT_EQ(as_lists(r), (Lists{{2}, {0}, {0}, {4}, {}}));
  EXPECT_EQ(r.count(4), 0);
}

TEST(DualFilter, MissingNeighboursAreSkipped) {
  const KnnGraph g = graph(2, {{1, -1}, {0, 2}, {-1, -1}});
  const ReliableNeighbours r = dual_filter(g, nullptr, filters(true, false));
  EXPECT_EQ(as_lists(r), (Lists{{1}, {0}, {}}));
}

TEST(DualFilter, ConsistencyNeedsAMatchingReference) {
  try {
    dual_filter(kGraph, nullptr, filters(true, true));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("consistency=true needs a reference"), std::string::npos) << e.what();
  }
  const KnnGraph small = graph(2, {{1, 2}, {0, 2}, {0, 1}});
  try {
    dual_filter(kGraph, &small, filters(true, true));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n=3"), std::string::npos) << e.what();
  }
  const KnnGraph bad = graph(1, {{7}, {0}});
  EXPECT_THROW(dual_filter(bad, nullptr, filters(true, false)), Error);
}

TEST(DualFilter, MatchesBruteForceOnRandomGraph) {
  const int64_t n = 500, k = 12;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int64_t> pick(0, 40);  // neighbours drawn near i: many mutual edges
  auto random_graph = [&]() {
    KnnGraph g;
    g.n = n;
    g.k = k;
    for (int64_t i = 0; i < n; ++i) {
      std::vector<int64_t> row;
      while (static_cast<int64_t>(row.size()) < k) {
        const int64_t j = (i + pick(rng) - 20 + n) % n;
        if (j != i && std::find(row.begin(), row.end(), j) == row.end()) row.push_back(j);
      }
      g.ids.insert(g.ids.end(), row.begin(), row.end());
    }
    return g;
  };
  const KnnGraph g = random_graph(), ref = random_graph();
  auto in_row = [&](const KnnGraph& h, int64_t i, int64_t j) {
    for (int64_t t = 0; t < h.k; ++t)
      if (h.row(i)[t] == j) return true;
    return false;
  };
  const ReliableNeighbours r = dual_filter(g, &ref, filters(true, true));
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int64_t> want;
    for (int64_t t = 0; t < k; ++t) {
      const int64_t j = g.row(i)[t];
      if (in_row(g, j, i) && in_row(ref, i, j)) want.push_back(j);
    }
    ASSERT_EQ(std::vector<int64_t>(r.ids.begin() + r.offsets[i], r.ids.begin() + r.offsets[i + 1]), want) << i;
    total += static_cast<int64_t>(want.size());
  }
  EXPECT_GT(total, 0);
  EXPECT_LT(total, n * k);
}

TEST(CorePoints, ThresholdIsCeilOfSTimesK) {
  // counts with both filters: 1 1 1 1 0
  const ReliableNeighbours both = dual_filter(kGraph, &kReference, filters(true, true));
  EXPECT_EQ(core_points(both, 2, 1.0), (std::vector<int64_t>{}));
  EXPECT_EQ(core_points(both, 2, 0.5), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(core_points(both, 2, 0.3), (std::vector<int64_t>{0, 1, 2, 3}));  // ceil(0.6) = 1
  EXPECT_EQ(core_points(both, 2, 0.0), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  // counts with mutual only: 2 2 1 2 1
  const ReliableNeighbours mutual = dual_filter(kGraph, nullptr, filters(true, false));
  EXPECT_EQ(core_points(mutual, 2, 1.0), (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(core_points(mutual, 2, 0.51), (std::vector<int64_t>{0, 1, 3}));  // ceil(1.02) = 2
}

TEST(CorePoints, ExactProductsAreNotRoundedUp) {
  // 10 points with 14 reliable neighbours each: s = 0.56, k = 25 needs 14, although 0.56 * 25 evaluates
  // to 14.000000000000002 in double precision (a plain ceil would ask for 15).
  ASSERT_GT(0.56 * 25, 14.0);
  ReliableNeighbours r;
  for (int64_t i = 0; i <= 10; ++i) r.offsets.push_back(14 * i);
  r.ids.assign(140, 0);
  EXPECT_EQ(core_points(r, 25, 0.56).size(), 10u);
  EXPECT_EQ(core_points(r, 25, 0.57).size(), 0u);  // ceil(14.25) = 15
}

TEST(CorePoints, EmptyCoreSetWhenNoReliableNeighbours) {
  // A directed 3-cycle with k = 1 has no mutual edge: nothing is reliable.
  const KnnGraph cycle = graph(1, {{1}, {2}, {0}});
  const ReliableNeighbours r = dual_filter(cycle, nullptr, filters(true, false));
  EXPECT_TRUE(r.ids.empty());
  EXPECT_DOUBLE_EQ(r.mean_count(), 0.0);
  EXPECT_TRUE(core_points(r, 1, 1.0).empty());
  EXPECT_EQ(core_points(r, 1, 0.0), (std::vector<int64_t>{0, 1, 2}));  // s = 0: everyone is core
  const std::vector<float> z = {1, 2, 3};
  EXPECT_TRUE(neighbour_centroids(z.data(), 3, 1, r, {}, true).empty());
}

TEST(CorePoints, RejectsSOutsideUnitInterval) {
  const ReliableNeighbours r = dual_filter(kGraph, nullptr, filters(false, false));
  try {
    core_points(r, 2, 1.5);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s=1.5"), std::string::npos) << e.what();
  }
}

TEST(NeighbourCentroids, MeanOfSelfAndReliableNeighbours) {
  // z: 0 (1,0)  1 (0,1)  2 (1,1)  3 (2,0)  4 (0,0);  mutual-only R: 0:{1,2} 1:{0,3} 2:{0} 3:{1,4} 4:{3}
  const std::vector<float> z = {1, 0, 0, 1, 1, 1, 2, 0, 0, 0};
  const ReliableNeighbours r = dual_filter(kGraph, nullptr, filters(true, false));
  const std::vector<int64_t> core = {0, 1, 3};
  const std::vector<float> c = neighbour_centroids(z.data(), 5, 2, r, core, false);
  const std::vector<float> want = {2.f / 3, 2.f / 3, 1.f, 1.f / 3, 2.f / 3, 1.f / 3};
  ASSERT_EQ(c.size(), want.size());
  for (size_t t = 0; t < want.size(); ++t) EXPECT_NEAR(c[t], want[t], 1e-6) << t;

  const std::vector<float> cn = neighbour_centroids(z.data(), 5, 2, r, core, true);
  const std::vector<float> want_n = {static_cast<float>(1 / std::sqrt(2.0)), static_cast<float>(1 / std::sqrt(2.0)),
                                     static_cast<float>(3 / std::sqrt(10.0)), static_cast<float>(1 / std::sqrt(10.0)),
                                     static_cast<float>(2 / std::sqrt(5.0)), static_cast<float>(1 / std::sqrt(5.0))};
  for (size_t t = 0; t < want_n.size(); ++t) EXPECT_NEAR(cn[t], want_n[t], 1e-6) << t;
}

TEST(NeighbourCentroids, LonelyCorePointIsItselfAndZeroStaysZero) {
  const KnnGraph cycle = graph(1, {{1}, {2}, {0}});
  const ReliableNeighbours r = dual_filter(cycle, nullptr, filters(true, false));
  const std::vector<float> z = {3, 4, 0, 0, -1, 0};
  const std::vector<float> c = neighbour_centroids(z.data(), 3, 2, r, {0, 1, 2}, true);
  const std::vector<float> want = {0.6f, 0.8f, 0.f, 0.f, -1.f, 0.f};
  for (size_t t = 0; t < want.size(); ++t) EXPECT_NEAR(c[t], want[t], 1e-6) << t;
  EXPECT_THROW(neighbour_centroids(z.data(), 3, 2, r, {5}, true), Error);
}
