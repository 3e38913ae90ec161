#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "rdc/core/error.h"
#include "rdc/metrics/metrics.h"

using namespace rdc;

namespace {

nlohmann::json load_reference() {
  const std::string path = std::string(RDC_TEST_DATA) + "/metrics/reference.json";
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot open " << path;
  return nlohmann::json::parse(f);
}

double total_cost(const std::vector<std::vector<double>>& c, const std::vector<int64_t>& assign) {
  double s = 0;
  for (size_t r = 0; r < assign.size(); ++r)
    if (assign[r] >= 0) s += c[r][assign[r]];
  return s;
}

/// Minimum cost over every injective assignment of the smaller side (brute force).
double brute_force_min(const std::vector<std::vector<double>>& c) {
  const size_t rows = c.size(), cols = c[0].size();
  double best = 1e300;
  if (rows <= cols) {
    std::vector<int> perm(cols);
    std::iota(perm.begin(), perm.end(), 0);
    do {
      double s = 0;
      for (size_t r = 0; r < rows; ++r) s += c[r][perm[r]];
      best = std::min(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
  } else {
    std::vector<int> perm(rows);
    std::iota(perm.begin(), perm.end(), 0);
    do {
      double s = 0;
      for (size_t col = 0; col < cols; ++col) s += c[perm[col]][col];
      best = std::min(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
  return best;
}

void expect_valid_assignment(const std::vector<int64_t>& a, size_t rows, size_t cols) {
  ASSERT_EQ(a.size(), rows);
  std::vector<int> used(cols, 0);
  size_t assigned = 0;
  for (int64_t c : a) {
    if (c < 0) continue;
    ASSERT_LT(c, static_cast<int64_t>(cols));
    EXPECT_EQ(used[c]++, 0) << "column " << c << " assigned twice";
    ++assigned;
  }
  EXPECT_EQ(assigned, std::min(rows, cols));
}

}  // namespace

TEST(Metrics, AgreesWithScikitLearnReference) {
  const nlohmann::json ref = load_reference();
  ASSERT_GE(ref["cases"].size(), 12u);
  for (const auto& c : ref["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto labels = c["labels"].get<std::vector<int64_t>>();
    const auto pred = c["pred"].get<std::vector<int64_t>>();
    const ClusteringMetrics m = evaluate_clustering(labels, pred, c["k"].get<int64_t>());
    EXPECT_NEAR(m.acc, c["acc"].get<double>(), 1e-9);
    EXPECT_NEAR(m.nmi, c["nmi"].get<double>(), 1e-9);
    EXPECT_NEAR(m.ari, c["ari"].get<double>(), 1e-9);
    EXPECT_NEAR(m.f1_macro, c["f1_macro"].get<double>(), 1e-9);
    EXPECT_NEAR(m.f1_micro, c["f1_micro"].get<double>(), 1e-9);
    EXPECT_NEAR(m.purity, c["purity"].get<double>(), 1e-9);
    EXPECT_EQ(m.n, static_cast<int64_t>(labels.size()));
    EXPECT_EQ(m.num_classes, c["num_classes"].get<int64_t>());
    EXPECT_EQ(m.num_nonempty_clusters, c["num_nonempty_clusters"].get<int64_t>());
    EXPECT_EQ(m.num_clusters_requested, c["k"].get<int64_t>());
    EXPECT_EQ(m.cluster_sizes, c["cluster_sizes"].get<std::vector<int64_t>>());
    ASSERT_EQ(m.mapping.size(), m.cluster_sizes.size());
    if (c["mapping_unique"].get<bool>()) EXPECT_EQ(m.mapping, c["mapping"].get<std::vector<int64_t>>());
  }
}

TEST(Metrics, C07_AnyNumberOfClustersIsScored) {
  // Ten balanced classes of 30; k = 2 merges five classes per cluster, k = 20 splits each class in two.
  std::vector<int64_t> labels, pred2, pred20;
  for (int64_t i = 0; i < 300; ++i) {
    labels.push_back(i % 10);
    pred2.push_back((i % 10) / 5);
    pred20.push_back((i % 10) * 2 + (i / 10) % 2);
  }
  const ClusteringMetrics m2 = evaluate_clustering(labels, pred2, 2);
  EXPECT_DOUBLE_EQ(m2.acc, 60.0 / 300);    // two matched classes of 30
  EXPECT_DOUBLE_EQ(m2.purity, 60.0 / 300);
  EXPECT_EQ(m2.num_nonempty_clusters, 2);
  const ClusteringMetrics m20 = evaluate_clustering(labels, pred20, 20);
  EXPECT_DOUBLE_EQ(m20.acc, 150.0 / 300);  // ten matched halves; the other ten clusters are errors
  EXPECT_DOUBLE_EQ(m20.purity, 1.0);       // every cluster is pure
  EXPECT_EQ(m20.num_nonempty_clusters, 20);
  EXPECT_EQ(std::count(m20.mapping.begin(), m20.mapping.end(), -1), 10);
  // F1 per class: precision 1, recall 1/2 -> 2/3; micro over classes: P = 1, R = 1/2.
  EXPECT_NEAR(m20.f1_macro, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m20.f1_micro, 2.0 / 3.0, 1e-12);
}

TEST(Metrics, EmptyClusterIdsAreReportedNotCounted) {
  const std::vector<int64_t> labels = {0, 0, 1, 1, 2, 2};
  const std::vector<int64_t> pred = {5, 5, 0, 0, 2, 2};
  const ClusteringMetrics m = evaluate_clustering(labels, pred, 8);
  EXPECT_DOUBLE_EQ(m.acc, 1.0);
  EXPECT_EQ(m.num_nonempty_clusters, 3);
  EXPECT_EQ(m.cluster_sizes, (std::vector<int64_t>{2, 0, 2, 0, 0, 2, 0, 0}));
  EXPECT_EQ(m.mapping, (std::vector<int64_t>{1, -1, 2, -1, -1, 0, -1, -1}));
}

TEST(Metrics, SinglePointAndSingleClass) {
  const ClusteringMetrics one = evaluate_clustering({4}, {0});
  EXPECT_DOUBLE_EQ(one.acc, 1.0);
  EXPECT_DOUBLE_EQ(one.nmi, 1.0);
  EXPECT_DOUBLE_EQ(one.ari, 1.0);
  const ClusteringMetrics split = evaluate_clustering({1, 1, 1, 1}, {0, 1, 2, 3});
  EXPECT_DOUBLE_EQ(split.nmi, 0.0);  // as scikit-learn: one class, several clusters
  EXPECT_DOUBLE_EQ(split.acc, 0.25);
}

TEST(Metrics, RejectsBadInputWithValues) {
  try {
    evaluate_clustering({0, 1, 2}, {0, 1});
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("labels has 3 entries but pred has 2"), std::string::npos) << e.what();
  }
  try {
    evaluate_clustering({0, 1}, {0, 3}, 3);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cluster id 3 but k=3"), std::string::npos) << e.what();
  }
  try {
    evaluate_clustering({0, -2}, {0, 0});
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("labels[1]=-2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(evaluate_clustering({}, {}), Error);
}

TEST(Metrics, ContingencyCountsByClusterThenClass) {
  const auto c = contingency({0, 1, 1, 2, 2, 2}, {1, 1, 0, 0, 0, 1});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(c[1], (std::vector<int64_t>{1, 1, 1}));
}

TEST(Hungarian, HandBuiltSquare) {
  const std::vector<std::vector<double>> c = {{4, 1, 3}, {2, 0, 5}, {3, 2, 2}};
  const auto a = hungarian_min_cost(c);
  EXPECT_EQ(a, (std::vector<int64_t>{1, 0, 2}));  // 1 + 2 + 2 = 5 is the unique minimum
}

TEST(Hungarian, RectangularBothWays) {
  const std::vector<std::vector<double>> wide = {{9, 1, 8, 7}, {1, 9, 8, 7}};
  EXPECT_EQ(hungarian_min_cost(wide), (std::vector<int64_t>{1, 0}));
  const std::vector<std::vector<double>> tall = {{9, 1}, {5, 5}, {1, 9}, {7, 7}};
  EXPECT_EQ(hungarian_min_cost(tall), (std::vector<int64_t>{1, -1, 0, -1}));
}

TEST(Hungarian, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-5, 5);
  std::uniform_int_distribution<int> dim(1, 6);
  for (int t = 0; t < 200; ++t) {
    const size_t rows = dim(rng), cols = dim(rng);
    std::vector<std::vector<double>> c(rows, std::vector<double>(cols));
    for (auto& r : c)
      for (auto& x : r) x = (t % 2 == 0) ? u(rng) : std::round(u(rng));  // odd t: many ties
    const auto a = hungarian_min_cost(c);
    expect_valid_assignment(a, rows, cols);
    EXPECT_NEAR(total_cost(c, a), brute_force_min(c), 1e-9) << "trial " << t;
  }
}

TEST(Metrics, JsonHasEveryField) {
  const ClusteringMetrics m = evaluate_clustering({0, 0, 1, 1}, {1, 1, 0, 1}, 3);
  const nlohmann::json j = nlohmann::json::parse(metrics_to_json(m));
  for (const char* key : {"acc", "nmi", "ari", "f1_macro", "f1_micro", "purity", "n", "num_classes",
                          "num_clusters_requested", "num_nonempty_clusters", "cluster_sizes", "mapping"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_DOUBLE_EQ(j["acc"].get<double>(), m.acc);
  EXPECT_DOUBLE_EQ(j["nmi"].get<double>(), m.nmi);
  EXPECT_EQ(j["cluster_sizes"].get<std::vector<int64_t>>(), (std::vector<int64_t>{1, 3, 0}));
  EXPECT_EQ(j["num_clusters_requested"].get<int64_t>(), 3);
}
