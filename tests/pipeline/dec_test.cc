// DEC / IDEC baselines (train/dec.h) and `rdc diagnose`: the target distribution on a hand-computed
// example, the KL gradient against finite differences and DEC's closed form, gradient cosines, and
// seconds-long dec / idec runs on BreastMNIST that write a complete run folder.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../nn/nn_test_util.h"
#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"
#include "rdc/metrics/metrics.h"
#include "rdc/pipeline/pipeline.h"
#include "rdc/train/dec.h"

using namespace rdc;

namespace {

nlohmann::json read_json(const std::string& p) { return nlohmann::json::parse(read_file(p)); }

torch::Tensor npy_tensor(const std::string& path) {
  NpyArray a = read_npy(path);
  std::vector<float> v = a.to_float();
  return torch::from_blob(v.data(), a.shape, torch::kFloat32).clone();
}

/// L(z, mu) = KL(P || Q(z, mu)) in double for finite differences.
double kl_value(const torch::Tensor& p, const torch::Tensor& z, const torch::Tensor& mu, bool normalized) {
  torch::NoGradGuard ng;
  return dec_kl(p, dec_soft_assign(z, dec_centres(mu, normalized))).item<double>();
}

/// Central finite differences of kl_value with respect to every entry of `wrt` (z or mu).
torch::Tensor fd_gradient(const torch::Tensor& p, torch::Tensor z, torch::Tensor mu, bool wrt_z, bool normalized) {
  const double eps = 1e-6;
  torch::Tensor& t = wrt_z ? z : mu;
  auto g = torch::zeros_like(t);
  auto flat = t.view({-1});
  auto gflat = g.view({-1});
  for (int64_t i = 0; i < flat.numel(); ++i) {
    const double v = flat[i].item<double>();
    flat[i] = v + eps;
    const double up = kl_value(p, z, mu, normalized);
    flat[i] = v - eps;
    const double down = kl_value(p, z, mu, normalized);
    flat[i] = v;
    gflat[i] = (up - down) / (2 * eps);
  }
  return g;
}

RunConfig tiny_run(const std::string& out, const std::string& method) {
  RunConfig cfg;
  cfg.data = std::string(RDC_TEST_DATA) + "/real/breastmnist.npz";
  cfg.out_dir = out;
  cfg.method = method;
  cfg.clusters = 2;
  cfg.ctx.threads = 2;
  cfg.ctx.seed = 7;
  cfg.pretext.name = "deepcluster-v2";
  cfg.pretext.encoder = "conv";
  cfg.pretext.encoder_width = 8;
  cfg.pretext.embed_dim = 16;
  cfg.pretext.proj_hidden = 32;
  cfg.pretext.heads = 1;
  cfg.pretext.small_crops = 0;
  cfg.phase1.epochs = 2;
  cfg.phase1.batch_size = 128;
  cfg.kmeans.n_init = 3;
  cfg.write_report = false;
  cfg.raw_kmeans_baseline = false;
  cfg.dec.epochs = 2;
  cfg.dec.tol = 0;           // never stop early: both epochs run
  cfg.dec.cosine_every = 2;  // 7 steps per epoch: 3-4 samples per epoch
  return cfg;
}

/// Checks the files and invariants every dec / idec run folder must have; returns metrics.json.
nlohmann::json check_run(const std::string& dir, bool normalized, int64_t m) {
  for (const char* f : {"config.json", "metrics.json", "embedding.npy", "embedding_phase1.npy", "centroids.npy",
                        "assignments.npy", "assignments.csv", "dec_stats.jsonl", "gradient_cosines.csv",
                        "checkpoints/final_last.pt"})
    EXPECT_TRUE(file_exists(join_path(dir, f))) << f;
  auto m_json = read_json(join_path(dir, "metrics.json"));
  EXPECT_EQ(m_json["n"].get<int64_t>(), 780);
  for (const char* key : {"final", "phase1_kmeans", "dec"}) EXPECT_TRUE(m_json.contains(key)) << key;
  EXPECT_FALSE(m_json.contains("phase2_rounds"));  // phase 2 never runs for the baselines
  EXPECT_EQ(m_json["dec"]["epochs_trained"].get<int64_t>(), 2);
  auto sizes = m_json["final"]["cluster_sizes"].get<std::vector<int64_t>>();
  EXPECT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0] + sizes[1], 780);

  // final assignment = argmax q with the saved centres
  auto z = npy_tensor(join_path(dir, "embedding.npy"));
  auto c = npy_tensor(join_path(dir, "centroids.npy"));
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{780, m}));
  EXPECT_EQ(c.sizes(), (std::vector<int64_t>{2, m}));
  EXPECT_FALSE(torch::equal(z, npy_tensor(join_path(dir, "embedding_phase1.npy"))));  // the encoder trained
  if (normalized) EXPECT_TRUE(torch::allclose(c.norm(2, 1), torch::ones({2}), 1e-4, 1e-4)) << c.norm(2, 1);
  auto assign = read_npy(join_path(dir, "assignments.npy")).to_int64("assignments");
  auto argmax = dec_soft_assign(z, c).argmax(1);
  EXPECT_EQ(assign.size(), 780u);
  if (assign.size() != 780u) return m_json;
  int64_t differ = 0;
  for (int64_t i = 0; i < 780; ++i) differ += assign[i] != argmax[i].item<int64_t>();
  EXPECT_EQ(differ, 0);
  Dataset d = load_dataset(std::string(RDC_TEST_DATA) + "/real/breastmnist.npz");
  EXPECT_NEAR(evaluate_clustering(d.labels, assign, 2).acc, m_json["final"]["acc"].get<double>(), 1e-12);

  // gradient cosines: header + finite values in [-1, 1]
  std::istringstream csv(read_file(join_path(dir, "gradient_cosines.csv")));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "epoch,step,cosine");
  int rows = 0;
  while (std::getline(csv, line)) {
    const double v = std::stod(line.substr(line.rfind(',') + 1));
    EXPECT_TRUE(std::isfinite(v)) << line;
    EXPECT_GE(v, -1.0) << line;
    EXPECT_LE(v, 1.0) << line;
    ++rows;
  }
  EXPECT_GE(rows, 4);
  EXPECT_EQ(m_json["dec"]["gradient_cosines"]["n"].get<int>(), rows);
  // per-epoch statistics
  std::ifstream st(join_path(dir, "dec_stats.jsonl"));
  int epochs = 0;
  while (std::getline(st, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(std::isfinite(j["kl"].get<double>()));
    EXPECT_GE(j["kl"].get<double>(), 0.0);
    ++epochs;
  }
  EXPECT_EQ(epochs, 2);
  return m_json;
}

}  // namespace

TEST(Dec, SoftAssignAndTargetOnHandComputedExample) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  // z = 0, centres at squared distances 1 and 4: (1/2, 1/5) normalised = (5/7, 2/7)
  auto q1 = dec_soft_assign(torch::zeros({1, 2}, opts), torch::tensor({{1.0, 0.0}, {0.0, 2.0}}, opts));
  EXPECT_NEAR(q1[0][0].item<double>(), 5.0 / 7.0, 1e-15);
  EXPECT_NEAR(q1[0][1].item<double>(), 2.0 / 7.0, 1e-15);
  // q = [[.5, .5], [.8, .2]]: f = (1.3, 0.7); q^2/f = [[.25/1.3, .25/.7], [.64/1.3, .04/.7]]
  // row sums are both 0.549450...: p = [[0.35, 0.65], [0.896, 0.104]]
  auto p = dec_target(torch::tensor({{0.5, 0.5}, {0.8, 0.2}}, opts));
  EXPECT_NEAR(p[0][0].item<double>(), 0.35, 1e-14);
  EXPECT_NEAR(p[0][1].item<double>(), 0.65, 1e-14);
  EXPECT_NEAR(p[1][0].item<double>(), 0.896, 1e-14);
  EXPECT_NEAR(p[1][1].item<double>(), 0.104, 1e-14);
  // KL(P || P) = 0, KL(P || Q) > 0 otherwise
  EXPECT_NEAR(dec_kl(p, p).item<double>(), 0.0, 1e-15);
  EXPECT_GT(dec_kl(p, torch::tensor({{0.5, 0.5}, {0.5, 0.5}}, opts)).item<double>(), 0.01);
}

TEST(Dec, KlGradientMatchesFiniteDifferencesAndClosedForm) {
  torch::manual_seed(3);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  for (bool normalized : {false, true}) {
    auto z0 = torch::randn({6, 3}, opts);
    if (normalized) z0 = torch::nn::functional::normalize(z0, torch::nn::functional::NormalizeFuncOptions().dim(1));
    auto mu0 = torch::randn({3, 3}, opts);
    // fixed targets from another point (as between two target updates)
    auto p = dec_target(dec_soft_assign(z0 + 0.3 * torch::randn({6, 3}, opts), dec_centres(mu0, normalized)));
    auto z = z0.clone().requires_grad_(true);
    auto mu = mu0.clone().requires_grad_(true);
    auto q = dec_soft_assign(z, dec_centres(mu, normalized));
    dec_kl(p, q).backward();
    auto fz = fd_gradient(p, z0.clone(), mu0.clone(), true, normalized);
    auto fm = fd_gradient(p, z0.clone(), mu0.clone(), false, normalized);
    EXPECT_TRUE(torch::allclose(z.grad(), fz, 1e-6, 1e-8)) << normalized << "\n" << z.grad() << "\n" << fz;
    EXPECT_TRUE(torch::allclose(mu.grad(), fm, 1e-6, 1e-8)) << normalized << "\n" << mu.grad() << "\n" << fm;
    if (!normalized) {
      // DEC eq. (4)-(5), alpha = 1, loss averaged over the B rows:
      // dL/dz_i = 2/B sum_j (1 + |z_i - mu_j|^2)^-1 (p_ij - q_ij)(z_i - mu_j); dL/dmu_j = -2/B sum_i (same).
      torch::NoGradGuard ng;
      auto qd = q.detach();
      auto diff = z0.unsqueeze(1) - mu0.unsqueeze(0);       // (B, K, m)
      auto w = (p - qd) / (1 + diff.pow(2).sum(2));        // (B, K)
      auto gz = 2.0 / 6 * (w.unsqueeze(2) * diff).sum(1);  // (B, m)
      auto gm = -2.0 / 6 * (w.unsqueeze(2) * diff).sum(0);  // (K, m)
      EXPECT_TRUE(torch::allclose(z.grad(), gz, 1e-10, 1e-12));
      EXPECT_TRUE(torch::allclose(mu.grad(), gm, 1e-10, 1e-12));
    }
  }
}

TEST(Dec, GradientCosineOfKnownGradients) {
  auto w = torch::tensor({1.0, 2.0, 3.0}, torch::kFloat64).requires_grad_(true);
  auto v = torch::tensor({0.5}, torch::kFloat64).requires_grad_(true);
  // grad_a = (1, 0, 0 | 4), grad_b = (1, 1, 0 | 0): cosine = 1 / (sqrt(17) sqrt(2))
  auto a = w[0] * 1.0 + 4.0 * v.sum();
  auto b = w[0] + w[1];
  EXPECT_NEAR(gradient_cosine(a, b, {w, v}, false), 1.0 / std::sqrt(34.0), 1e-12);
  auto c = 2.0 * w.sum();
  auto e = -w.sum();
  EXPECT_NEAR(gradient_cosine(c, e, {w, v}, false), -1.0, 1e-12);
  auto f = 3.0 * v.sum();
  auto g = w.sum();
  EXPECT_NEAR(gradient_cosine(f, g, {w, v}, false), 0.0, 1e-12);  // disjoint parameters: orthogonal
  auto h = v.sum() * 0.0;
  EXPECT_TRUE(std::isnan(gradient_cosine(h, w.sum(), {w, v}, false)));  // zero gradient: undefined
}

TEST(Dec, ParametersNameTheFieldAndCosineSummary) {
  DecParams q;
  q.gamma = -1;
  try {
    q.validate();
    FAIL() << "gamma -1 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gamma=-1"), std::string::npos) << e.what();
  }
  q = DecParams{};
  q.tol = 1.0;
  EXPECT_THROW(q.validate(), Error);
  auto s = summarize_gradient_cosines({0.5, -0.5, 1.0, std::nan("")});
  EXPECT_EQ(s["n"].get<int>(), 3);
  EXPECT_NEAR(s["mean"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(s["fraction_negative"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(s["min"].get<double>(), -0.5);
  EXPECT_EQ(summarize_gradient_cosines({})["n"].get<int>(), 0);
}

TEST(Dec, DecRunOnBreastMnistWritesRunFolderPredictAndDiagnose) {
  const std::string dir = test::temp_dir("dec");
  RunConfig cfg = tiny_run(dir, "dec");
  run_train(cfg);
  auto m = check_run(dir, /*normalized=*/true, 16);
  EXPECT_FALSE(m["dec"]["joint"].get<bool>());
  EXPECT_EQ(m["dec"]["target_updates"].get<int64_t>(), 2);  // once per epoch
  auto conf = read_json(join_path(dir, "config.json"));
  EXPECT_EQ(conf["method"].get<std::string>(), "dec");
  EXPECT_FALSE(conf["phase2"]["enabled"].get<bool>());
  // predict (nearest centre, spherical) reproduces argmax q
  run_predict(dir, cfg.data, join_path(dir, "pred"), "", cfg.ctx);
  EXPECT_EQ(read_npy(join_path(dir, "pred.npy")).to_int64("p"),
            read_npy(join_path(dir, "assignments.npy")).to_int64("a"));

  // diagnose: per-cluster TwoNN / LID of both embeddings and the cosine summary
  IntrinsicDimParams ip;
  auto dj = run_diagnose(dir, ip, cfg.ctx);
  EXPECT_TRUE(file_exists(join_path(dir, "diagnostics.json")));
  EXPECT_EQ(dj["stages"], nlohmann::json::array({"phase1", "final"}));
  EXPECT_EQ(read_json(join_path(dir, "diagnostics.json")), dj);
  for (const char* st : {"phase1", "final"}) {
    const double tw = dj["whole"][st]["twonn"].get<double>();
    EXPECT_GT(tw, 0.5) << st;
    EXPECT_LT(tw, 16.5) << st;
    const int64_t lid = dj["whole"][st]["lid"].get<int64_t>();
    EXPECT_GE(lid, 1);
    EXPECT_LE(lid, 16);
  }
  int64_t rows = 0;
  for (const auto& r : dj["per_cluster"]) {
    EXPECT_GE(r["n"].get<int64_t>(), ip.min_cluster_size);
    EXPECT_LE(r["lid"].get<int64_t>(), 16);
    ++rows;
  }
  EXPECT_EQ(rows + 2 * static_cast<int64_t>(dj["skipped_clusters"].size()), 4);  // 2 clusters x 2 stages
  EXPECT_TRUE(dj.contains("final_minus_phase1") || rows < 4);
  EXPECT_EQ(dj["gradient_cosines"]["n"], m["dec"]["gradient_cosines"]["n"]);
  EXPECT_NEAR(dj["feature_randomness_proxy"].get<double>(), m["dec"]["gradient_cosines"]["mean"].get<double>(), 1e-5);
  const std::string csv = read_file(join_path(dir, "diagnostics.csv"));
  EXPECT_EQ(csv.rfind("cluster,stage,n,twonn,lid\nall,phase1,780,", 0), 0u) << csv;
  EXPECT_NE(format_diagnostics_table(dj).find("phase1 TwoNN/LID"), std::string::npos);

  // per-round embeddings join the stages in natural order; one of the wrong length is skipped
  const std::string emb = read_file(join_path(dir, "embedding.npy"));
  write_file_atomic(join_path(dir, "embedding_round10.npy"), emb);
  write_file_atomic(join_path(dir, "embedding_round2.npy"), emb);
  write_npy(join_path(dir, "embedding_short.npy"), std::vector<float>(10 * 16, 0.5f), {10, 16});
  auto dj3 = run_diagnose(dir, IntrinsicDimParams{}, cfg.ctx);
  EXPECT_EQ(dj3["stages"], nlohmann::json::array({"phase1", "round2", "round10", "final"}));
  EXPECT_EQ(dj3["whole"]["round2"], dj3["whole"]["final"]);

  // a cluster below the size threshold is skipped and reported
  ip.min_cluster_size = 781;
  auto dj2 = run_diagnose(dir, ip, cfg.ctx);
  EXPECT_TRUE(dj2["per_cluster"].empty());
  EXPECT_EQ(dj2["skipped_clusters"].size(), 2u);
}

TEST(Dec, IdecRunWithAcaiUsesEuclideanCentres) {
  const std::string dir = test::temp_dir("idec");
  RunConfig cfg = tiny_run(dir, "idec");
  cfg.pretext.name = "acai";
  cfg.pretext.encoder = "mlp";
  cfg.pretext.mlp_hidden = {64, 64};
  cfg.pretext.embed_dim = 10;
  cfg.dec.update_interval = 3;  // targets also updated inside the epochs
  run_train(cfg);
  auto m = check_run(dir, /*normalized=*/false, 10);
  EXPECT_TRUE(m["dec"]["joint"].get<bool>());
  EXPECT_EQ(m["dec"]["target_updates"].get<int64_t>(), 5);  // 14 steps, every 3: steps 0, 3, 6, 9, 12
  std::ifstream st(join_path(dir, "dec_stats.jsonl"));
  std::string line;
  while (std::getline(st, line)) EXPECT_TRUE(nlohmann::json::parse(line)["instance_loss"].is_number()) << line;
  auto dj = run_diagnose(dir, IntrinsicDimParams{}, cfg.ctx);
  EXPECT_TRUE(dj.contains("feature_drift_coefficient"));
  EXPECT_EQ(dj["gradient_cosines"]["method"].get<std::string>(), "idec");
}

TEST(Dec, RejectsBadDecParametersBeforeTraining) {
  const std::string dir = test::temp_dir("dec_bad");
  RunConfig cfg = tiny_run(dir, "dec");
  cfg.dec.epochs = -1;
  try {
    run_train(cfg);
    FAIL() << "dec epochs -1 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("epochs=-1"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(file_exists(join_path(dir, "config.json")));
}

TEST(Dec, SameSeedSameAssignmentsAndCosines) {
  std::vector<std::string> dirs = {test::temp_dir("dec_c17_a"), test::temp_dir("dec_c17_b")};
  for (const auto& dir : dirs) {
    RunConfig cfg = tiny_run(dir, "dec");
    cfg.phase1.epochs = 1;
    run_train(cfg);
  }
  EXPECT_EQ(read_npy(join_path(dirs[0], "assignments.npy")).to_int64("a"),
            read_npy(join_path(dirs[1], "assignments.npy")).to_int64("b"));
  EXPECT_EQ(read_file(join_path(dirs[0], "gradient_cosines.csv")), read_file(join_path(dirs[1], "gradient_cosines.csv")));
  EXPECT_EQ(read_file(join_path(dirs[0], "centroids.npy")), read_file(join_path(dirs[1], "centroids.npy")));
}
