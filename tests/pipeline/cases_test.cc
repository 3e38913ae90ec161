// Cases C05 and C06 of ../shared/docs/cases.md through the whole job (libtorch):
// long-tailed data keeps its proportions (no hidden equal-size prior), and a small
// low-dimensional feature matrix goes through the vector path without collapsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "../nn/nn_test_util.h"
#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"
#include <fmt/format.h>
#include "rdc/pipeline/pipeline.h"

using namespace rdc;

namespace {

// Gaussian blobs in d dimensions with the given class sizes; labels written beside as y.npy.
std::string write_blobs(const std::string& dir, const std::vector<int64_t>& sizes, int64_t d, double spread,
                        uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (size_t c = 0; c < sizes.size(); ++c) {
    std::vector<float> centre(static_cast<size_t>(d));
    for (auto& v : centre) v = 4.f * g(rng);
    for (int64_t i = 0; i < sizes[c]; ++i) {
      for (int64_t j = 0; j < d; ++j) x.push_back(centre[static_cast<size_t>(j)] + static_cast<float>(spread) * g(rng));
      y.push_back(static_cast<int64_t>(c));
    }
  }
  // shuffle rows so that no reader or trainer sees the classes in order
  const int64_t n = static_cast<int64_t>(y.size());
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<float> xs;
  std::vector<int64_t> ys;
  for (int64_t i : perm) {
    xs.insert(xs.end(), x.begin() + i * d, x.begin() + (i + 1) * d);
    ys.push_back(y[static_cast<size_t>(i)]);
  }
  // CSV with a header and the label in the last column (--csv-label-column -2 in the CLI)
  make_dirs(dir);
  std::string csv;
  for (int64_t j = 0; j < d; ++j) csv += fmt::format("f{},", j);
  csv += "label\n";
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) csv += fmt::format("{:.5f},", xs[static_cast<size_t>(i * d + j)]);
    csv += fmt::format("{}\n", ys[static_cast<size_t>(i)]);
  }
  const std::string path = join_path(dir, "features.csv");
  write_file_atomic(path, csv);
  return path;
}

RunConfig vector_run(const std::string& data, const std::string& out, int64_t k) {
  RunConfig cfg;
  cfg.data = data;
  cfg.out_dir = out;
  cfg.clusters = k;
  cfg.ctx.threads = 2;
  cfg.ctx.seed = 3;
  cfg.phase1.epochs = 8;
  cfg.phase1.batch_size = 64;
  cfg.phase2.rounds = 2;
  cfg.phase2.epochs_per_round = 1;
  cfg.kmeans.n_init = 5;
  cfg.load.csv_label_column = -2;  // the last column (-1 = none)
  cfg.write_report = false;
  return cfg;
}

nlohmann::json read_json(const std::string& p) { return nlohmann::json::parse(read_file(p)); }

}  // namespace

// C06: a 325 x 12 float matrix. The default path (auto -> acai on the MLP encoder) must give
// non-degenerate clusters, and the result carries its cluster sizes.
TEST(Cases, C06_SmallLowDimensionalVectorsDoNotCollapse) {
  const std::string dir = test::temp_dir("c06");
  RunConfig cfg = vector_run(write_blobs(dir, {110, 110, 105}, 12, 1.0, 11), join_path(dir, "run"), 3);
  run_train(cfg);
  auto cfg_out = read_json(join_path(cfg.out_dir, "config.json"));
  EXPECT_EQ(cfg_out["pretext"]["name"].get<std::string>(), "acai");
  // the record says what every "auto" became: MLP for vectors, the embedding's real width, and the
  // documented auto phase-2 lr for acai in the cosine geometry (0.3 x the phase-1 lr)
  EXPECT_EQ(cfg_out["pretext"]["encoder"].get<std::string>(), "auto");  // as given: what --resume compares
  for (const char* lib : {"rdc", "libtorch", "faiss"})
    EXPECT_FALSE(cfg_out["versions"][lib].get<std::string>().empty()) << lib;
  const auto& r = cfg_out["resolved"];
  EXPECT_EQ(r["encoder"].get<std::string>(), "mlp");
  EXPECT_EQ(r["encoder_width"].get<int64_t>(), 0);  // the MLP's layout is mlp_hidden
  EXPECT_EQ(r["augment"].get<std::string>(), "weak");
  EXPECT_EQ(r["batch_size"].get<int64_t>(), 64);
  EXPECT_TRUE(r["kmeans_spherical"].get<bool>());
  EXPECT_FALSE(r.contains("prototypes"));  // acai has none
  EXPECT_EQ(r["geometry"].get<std::string>(), "cosine");
  EXPECT_EQ(r["clusters"].get<int64_t>(), 3);
  EXPECT_EQ(r["embed_dim"].get<int64_t>(), read_npy(join_path(cfg.out_dir, "embedding.npy")).shape.at(1));
  EXPECT_GT(r["phase1_lr"].get<double>(), 0.0);
  EXPECT_NEAR(r["phase2_lr"].get<double>(), 0.3 * r["phase1_lr"].get<double>(), 1e-12);
  auto m = read_json(join_path(cfg.out_dir, "metrics.json"));
  auto sizes = m["final"]["cluster_sizes"].get<std::vector<int64_t>>();
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_LT(*std::max_element(sizes.begin(), sizes.end()), 325 * 0.9);  // no collapse
  EXPECT_EQ(m["final"]["num_nonempty_clusters"].get<int64_t>(), 3);
  EXPECT_GT(m["final"]["acc"].get<double>(), 0.8);  // well-separated blobs: far above chance (1/3)
  for (const auto& w : m["warnings"]) EXPECT_EQ(w.get<std::string>().find("collapse"), std::string::npos) << w;

  // predict on new data without the label column: the run's label column would eat a feature, so the
  // error says what to pass; with --csv-label-column -1 the same rows get the run's assignments
  std::ifstream in(cfg.data);
  std::string nolabel, line;
  while (std::getline(in, line)) nolabel += line.substr(0, line.rfind(',')) + "\n";
  const std::string unl = join_path(dir, "unlabelled.csv");
  write_file_atomic(unl, nolabel);
  try {
    run_predict(cfg.out_dir, unl, join_path(dir, "p0"), "", cfg.ctx);
    ADD_FAILURE() << "12 columns read with the last as labels should not match the 12-feature model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--csv-label-column -1"), std::string::npos) << e.what();
  }
  run_predict(cfg.out_dir, unl, join_path(dir, "p1"), "", cfg.ctx, -1);
  EXPECT_EQ(read_npy(join_path(dir, "p1.npy")).to_int64("p"),
            read_npy(join_path(cfg.out_dir, "assignments.npy")).to_int64("a"));
  EXPECT_FALSE(file_exists(join_path(dir, "p1_metrics.json")));  // no labels: no metrics
}

// C05: long-tailed classes 60/20/10/5/5. No equal-size prior: the largest cluster keeps about
// 60% of the points and the cluster-size histogram is reported.
TEST(Cases, C05_LongTailedProportionsAreKept) {
  const std::string dir = test::temp_dir("c05");
  RunConfig cfg = vector_run(write_blobs(dir, {600, 200, 100, 50, 50}, 16, 0.7, 5), join_path(dir, "run"), 5);
  run_train(cfg);
  auto m = read_json(join_path(cfg.out_dir, "metrics.json"));
  auto sizes = m["final"]["cluster_sizes"].get<std::vector<int64_t>>();
  ASSERT_EQ(sizes.size(), 5u);
  std::sort(sizes.rbegin(), sizes.rend());
  EXPECT_GT(sizes[0], 500);  // an equal-size prior would give about 200 each
  EXPECT_LT(sizes[4], 100);
  EXPECT_GT(m["final"]["acc"].get<double>(), 0.85);
}
