// Phase 2 and the end-to-end job (libtorch): schedules, fixed targets, empty core set,
// refusal without phase 1 (C08), a short real run, predict (C02), resume.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../nn/nn_test_util.h"
#include "rdc/augment/augment.h"
#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"
#include "rdc/metrics/metrics.h"
#include "rdc/pipeline/pipeline.h"
#include "rdc/pipeline/run_io.h"
#include "rdc/pretext/pretext.h"
#include "rdc/train/data_tensor.h"
#include "rdc/train/phase2.h"
#include "rdc/train/trainer.h"

using namespace rdc;

namespace {

std::unique_ptr<Pretext> small_vector_pretext(int64_t n, int64_t d, const Context& ctx) {
  PretextConfig pc;
  pc.name = "deepcluster-v2";
  pc.encoder = "mlp";
  pc.input_shape = {d};
  pc.mlp_hidden = {32, 32};
  pc.embed_dim = 8;
  pc.proj_hidden = 32;
  pc.prototypes = 10;
  pc.heads = 1;
  return make_pretext(pc, n, ctx);
}

Context test_ctx() {
  Context c;
  c.threads = 2;
  c.seed = 7;
  return c;
}

nlohmann::json read_json(const std::string& p) { return nlohmann::json::parse(read_file(p)); }

}  // namespace

TEST(Phase2, SchedulesRelaxAndDecayLinearly) {
  Phase2Params q;
  q.rounds = 5;
  q.s_start = 0.8;
  q.s_end = 0.4;
  q.w_start = 0.5;
  q.w_end = 0.1;
  EXPECT_DOUBLE_EQ(phase2_threshold(q, 1), 0.8);
  EXPECT_NEAR(phase2_threshold(q, 3), 0.6, 1e-12);
  EXPECT_DOUBLE_EQ(phase2_threshold(q, 5), 0.4);
  EXPECT_NEAR(phase2_weight(q, 2), 0.4, 1e-12);
  q.rounds = 1;
  EXPECT_DOUBLE_EQ(phase2_weight(q, 1), 0.5);
}

TEST(Phase2, LrFractionAutoDependsOnThePretext) {
  Phase2Params q;
  EXPECT_EQ(q.lr_fraction, 0.0);  // auto
  EXPECT_DOUBLE_EQ(phase2_lr_fraction(q, "acai", true), 0.3);  // cosine geometry
  EXPECT_DOUBLE_EQ(phase2_lr_fraction(q, "acai", false), 1.0);  // Euclidean geometry
  EXPECT_DOUBLE_EQ(phase2_lr_fraction(q, "deepcluster-v2", true), 0.1);
  q.lr_fraction = 0.5;  // an explicit value wins
  EXPECT_DOUBLE_EQ(phase2_lr_fraction(q, "acai", true), 0.5);
  EXPECT_DOUBLE_EQ(phase2_lr_fraction(q, "acai", false), 0.5);
  EXPECT_DOUBLE_EQ(phase2_lr_fraction(q, "deepcluster-v2", true), 0.5);
  q.lr_fraction = -1;
  EXPECT_THROW(q.validate(), Error);
}

TEST(Phase2, ProximityDistanceMatchesDefinition) {
  auto e = torch::tensor({{1.f, 0.f}, {0.f, 2.f}});
  auto c = torch::tensor({{0.f, 1.f}, {0.f, 1.f}});
  auto dn = proximity_distance(e, c, true);
  EXPECT_NEAR(dn[0].item<float>(), 1.f, 1e-6);  // orthogonal: 1 - 0
  EXPECT_NEAR(dn[1].item<float>(), 0.f, 1e-6);  // same direction
  auto de = proximity_distance(e, c, false);
  EXPECT_NEAR(de[0].item<float>(), 2.f, 1e-6);
  EXPECT_NEAR(de[1].item<float>(), 1.f, 1e-6);
}

TEST(Phase2, ContrastiveProximityLossMatchesDefinition) {
  // Two rows: e_0 points at c_0, e_1 at c_1 (orthogonal centroids); cosine logits are 1 and 0.
  auto e = torch::tensor({{2.f, 0.f}, {0.f, 3.f}});
  auto c = torch::tensor({{1.f, 0.f}, {0.f, 5.f}});
  const double t = 0.5;
  // cross-entropy of softmax([1, 0] / t) at its first entry, the same for both rows
  const double expected = -std::log(std::exp(1.0 / t) / (std::exp(1.0 / t) + std::exp(0.0)));
  EXPECT_NEAR(proximity_contrastive(e, c, t).item<double>(), expected, 1e-5);
  // swapping the targets makes every row point at the wrong centroid: the loss grows
  auto swapped = torch::stack({c[1], c[0]});
  EXPECT_GT(proximity_contrastive(e, swapped, t).item<double>(), expected + 1.0);
  // a single row has nothing to contrast with: the loss is 0, and finite
  EXPECT_NEAR(proximity_contrastive(e.slice(0, 0, 1), c.slice(0, 0, 1), t).item<double>(), 0.0, 1e-6);
  Phase2Params q;
  q.proximity_loss = "triplet";
  EXPECT_THROW(q.validate(), Error);
  q.proximity_loss = "contrastive";
  q.temperature = 0;
  EXPECT_THROW(q.validate(), Error);
}

TEST(Phase2, TargetsFixedBetweenRefreshesAndChangeAfter) {
  Context ctx = test_ctx();
  apply_context(ctx);
  auto x = test::blob_vectors(240, 6, 4, 3);
  auto p = small_vector_pretext(240, 6, ctx);
  Phase2Params q;
  q.knn = 8;
  q.s_start = q.s_end = 0.25;
  q.round1_reference = "none";
  RoundTargets a = phase2_refresh(*p, x, p->augmenter(), q, 1, nullptr, ctx);
  ASSERT_GT(a.n_core, 0);
  auto frozen = a.targets.clone();
  // core targets are the (normalised) neighbour centroids: unit norm for DCv2
  auto core_rows = a.targets.index({a.is_core});
  EXPECT_TRUE(torch::allclose(core_rows.norm(2, 1), torch::ones({a.n_core}), 1e-4, 1e-4));
  // train a few steps: the targets tensor of the round must not move
  TrainConfig tc;
  tc.batch_size = 64;
  tc.epochs = 3;
  Trainer tr(*p, tc, ctx);
  Trainer::LossFn loss = [&](const torch::Tensor& xb, const torch::Tensor& idx) {
    auto inst = p->instance_loss(xb, idx, p->augmenter());
    auto mask = a.is_core.index_select(0, idx);
    auto e = p->last_view_embedding().index({mask});
    auto c = a.targets.index_select(0, idx.masked_select(mask));
    return inst + proximity_distance(e, c, true).mean();
  };
  for (int e = 0; e < 3; ++e) tr.run_epoch(x, e, loss);
  EXPECT_TRUE(torch::equal(frozen, a.targets)) << "targets changed between refreshes";
  // after training, a new refresh gives new targets
  RoundTargets b = phase2_refresh(*p, x, p->augmenter(), q, 2, &a.graph, ctx);
  EXPECT_FALSE(torch::equal(a.targets, b.targets));
  EXPECT_GE(b.graph_change, 0.0);
  EXPECT_LE(b.graph_change, 1.0);
}

TEST(Phase2, WiderConsistencyReferenceKeepsMoreNeighbours) {
  Context ctx = test_ctx();
  apply_context(ctx);
  auto x = test::blob_vectors(240, 6, 4, 3);
  auto p = small_vector_pretext(240, 6, ctx);
  Phase2Params q;
  q.knn = 8;
  q.s_start = q.s_end = 0.25;
  q.consistency_width = 2.0;
  RoundTargets a = phase2_refresh(*p, x, p->augmenter(), q, 1, nullptr, ctx);
  EXPECT_EQ(a.graph.k, 8);
  EXPECT_EQ(a.reference.k, 16);
  // the graph is the reference's first k columns
  EXPECT_EQ(truncate_graph(a.reference, 8).ids, a.graph.ids);
  // perturb the encoder so that the next graph differs, then filter against both references
  {
    torch::NoGradGuard ng;
    for (auto& t : p->parameters()) t.add_(torch::randn_like(t) * 0.3);
  }
  Phase2Params narrow = q;
  narrow.consistency_width = 1.0;
  KnnGraph narrow_ref = truncate_graph(a.reference, 8);
  RoundTargets b_narrow = phase2_refresh(*p, x, p->augmenter(), narrow, 2, &narrow_ref, ctx);
  RoundTargets b_wide = phase2_refresh(*p, x, p->augmenter(), q, 2, &a.reference, ctx);
  EXPECT_EQ(b_narrow.graph.ids, b_wide.graph.ids);
  EXPECT_GT(b_narrow.graph_change, 0.0);
  // the change is measured against the previous k-NN graph, whatever the reference's width
  EXPECT_DOUBLE_EQ(b_narrow.graph_change, b_wide.graph_change);
  EXPECT_GT(b_wide.mean_reliable, b_narrow.mean_reliable);
  EXPECT_GE(b_wide.n_core, b_narrow.n_core);
  Phase2Params bad = q;
  bad.consistency_width = 0.5;
  EXPECT_THROW(bad.validate(), Error);
}

TEST(Phase2, EmptyCoreSetTrainsInstanceLossOnly) {
  Context ctx = test_ctx();
  apply_context(ctx);
  // Random points in 64-D: with k = 10, s = 1 (all 10 neighbours mutual AND kept in the
  // augmented view's graph) no point qualifies; the threshold may relax only when asked.
  torch::manual_seed(1);
  auto x = torch::randn({60, 64});
  auto p = small_vector_pretext(60, 64, ctx);
  Phase2Params q;
  q.rounds = 1;
  q.knn = 10;
  q.s_start = q.s_end = 1.0;
  q.min_core_fraction = 0;  // no relaxation: exercise the empty path
  q.round1_reference = "augmented";
  q.epochs_per_round = 1;
  std::string dir = test::temp_dir("p2_empty");
  auto stats = run_phase2(*p, x, q, 32, 1e-3, dir, false, ctx);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0]["n_core"].get<int64_t>(), 0);
  EXPECT_EQ(stats[0]["proximity_loss"].get<double>(), 0.0);
  EXPECT_TRUE(std::isfinite(stats[0]["loss"].get<double>()));
  EXPECT_TRUE(file_exists(join_path(dir, "phase2_stats.jsonl")));
}

TEST(Phase2, RelaxesThresholdWhenTooFewCorePoints) {
  Context ctx = test_ctx();
  apply_context(ctx);
  torch::manual_seed(2);
  auto x = torch::randn({60, 64});
  auto p = small_vector_pretext(60, 64, ctx);
  Phase2Params q;
  q.knn = 10;
  q.s_start = q.s_end = 1.0;
  q.min_core_fraction = 0.9;  // ask for 90% core points: s must relax
  q.round1_reference = "none";
  RoundTargets rt = phase2_refresh(*p, x, p->augmenter(), q, 1, nullptr, ctx);
  EXPECT_LT(rt.s, 1.0);
  EXPECT_GT(rt.n_core, 0);
}

namespace {

RunConfig tiny_run(const std::string& out) {
  RunConfig cfg;
  cfg.data = std::string(RDC_TEST_DATA) + "/real/breastmnist.npz";
  cfg.out_dir = out;
  cfg.clusters = 2;
  cfg.ctx = test_ctx();
  cfg.pretext.name = "deepcluster-v2";
  cfg.pretext.encoder = "conv";
  cfg.pretext.encoder_width = 8;
  cfg.pretext.embed_dim = 16;
  cfg.pretext.proj_hidden = 32;
  cfg.pretext.heads = 1;
  cfg.pretext.small_crops = 0;
  cfg.phase1.epochs = 2;
  cfg.phase1.batch_size = 128;
  cfg.phase2.rounds = 2;
  cfg.phase2.epochs_per_round = 0.5;
  cfg.kmeans.n_init = 3;
  cfg.write_report = false;
  return cfg;
}

}  // namespace

TEST(Pipeline, C08_RefusesPhase2WithoutPhase1) {
  RunConfig cfg = tiny_run(test::temp_dir("c08"));
  cfg.phase1.skip = true;
  try {
    run_train(cfg);
    FAIL() << "phase 2 started without phase 1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--allow-untrained-phase1"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(file_exists(join_path(cfg.out_dir, "metrics.json")));
}

TEST(Pipeline, EndToEndOnBreastMnistThenPredictAndResume) {
  const std::string dir = test::temp_dir("e2e");
  RunConfig cfg = tiny_run(dir);
  run_train(cfg);
  for (const char* f : {"config.json", "metrics.json", "embedding.npy", "embedding_phase1.npy", "centroids.npy",
                        "assignments.npy", "assignments.csv", "phase1_stats.jsonl", "phase2_stats.jsonl",
                        "checkpoints/final_last.pt", "checkpoints/phase1_last.pt", "checkpoints/phase2_last.pt"})
    EXPECT_TRUE(file_exists(join_path(dir, f))) << f;
  auto resolved = read_json(join_path(dir, "config.json"))["resolved"];
  EXPECT_EQ(resolved["encoder"].get<std::string>(), "conv");
  EXPECT_EQ(resolved["embed_dim"].get<int64_t>(), 16);
  EXPECT_NEAR(resolved["phase2_lr"].get<double>(), 0.1 * resolved["phase1_lr"].get<double>(), 1e-12);  // dcv2 auto
  EXPECT_EQ(resolved["encoder_width"].get<int64_t>(), 8);
  EXPECT_EQ(resolved["augment"].get<std::string>(), "strong");
  EXPECT_TRUE(resolved["kmeans_spherical"].get<bool>());
  {  // the prototype count recorded is the one phase 1 used (its per-epoch statistics)
    std::ifstream p1(join_path(dir, "phase1_stats.jsonl"));
    std::string first;
    ASSERT_TRUE(static_cast<bool>(std::getline(p1, first)));
    EXPECT_EQ(resolved["prototypes"].get<double>(), nlohmann::json::parse(first)["prototypes"].get<double>());
  }
  auto m = read_json(join_path(dir, "metrics.json"));
  EXPECT_EQ(m["n"].get<int64_t>(), 780);
  EXPECT_EQ(m["protocol"].get<std::string>(), "all");
  for (const char* key : {"final", "phase1_kmeans", "raw_kmeans"}) {
    ASSERT_TRUE(m.contains(key)) << key;
    EXPECT_GE(m[key]["acc"].get<double>(), 0.5) << key;  // 2 clusters: ACC >= majority share of matching
    EXPECT_LE(m[key]["acc"].get<double>(), 1.0) << key;
  }
  // non-degenerate: both clusters used, none holds > 95% of the points
  auto sizes = m["final"]["cluster_sizes"].get<std::vector<int64_t>>();
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_GT(std::min(sizes[0], sizes[1]), 780 * 0.05);
  auto assign = read_npy(join_path(dir, "assignments.npy")).to_int64("a");
  ASSERT_EQ(assign.size(), 780u);
  // the metrics written are those of the assignments written
  Dataset d = load_dataset(cfg.data);
  EXPECT_NEAR(evaluate_clustering(d.labels, assign, 2).acc, m["final"]["acc"].get<double>(), 1e-12);
  // per-round statistics are data
  std::ifstream st(join_path(dir, "phase2_stats.jsonl"));
  std::string line;
  int rounds = 0;
  while (std::getline(st, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_GE(j["core_fraction"].get<double>(), 0.0);
    EXPECT_LE(j["core_fraction"].get<double>(), 1.0);
    ++rounds;
  }
  EXPECT_EQ(rounds, 2);

  // C02: predict without naming a checkpoint uses the final model and reproduces the assignments
  run_predict(dir, cfg.data, join_path(dir, "pred"), "", cfg.ctx);
  auto pred = read_npy(join_path(dir, "pred.npy")).to_int64("p");
  EXPECT_EQ(pred, assign);
  run_embed(dir, cfg.data, join_path(dir, "emb.npy"), "", cfg.ctx);
  auto e1 = read_npy(join_path(dir, "emb.npy")).to_float();
  auto e0 = read_npy(join_path(dir, "embedding.npy")).to_float();
  ASSERT_EQ(e1.size(), e0.size());
  for (size_t i = 0; i < e0.size(); i += 97) EXPECT_NEAR(e1[i], e0[i], 1e-5);

  // resume of a finished run trains nothing more and gives the same assignments
  cfg.resume = true;
  run_train(cfg);
  EXPECT_EQ(read_npy(join_path(dir, "assignments.npy")).to_int64("a"), assign);

  // a corrupt final model: predict says how to rebuild it, and --resume does rebuild it
  const std::string final_pt = join_path(dir, "checkpoints/final_last.pt");
  {
    std::fstream f(final_pt, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.write("garbage", 7);
  }
  try {
    run_predict(dir, cfg.data, join_path(dir, "pred2"), "", cfg.ctx);
    ADD_FAILURE() << "predict accepted a corrupt final model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
  run_train(cfg);
  run_predict(dir, cfg.data, join_path(dir, "pred2"), "", cfg.ctx);
  EXPECT_EQ(read_npy(join_path(dir, "pred2.npy")).to_int64("p"), assign);
}

namespace {
std::vector<int> stats_rounds(const std::string& dir) {
  std::ifstream st(join_path(dir, "phase2_stats.jsonl"));
  std::vector<int> rounds;
  for (std::string line; std::getline(st, line);) rounds.push_back(nlohmann::json::parse(line)["round"].get<int>());
  return rounds;
}

// C22: exactly one round is marked most stable, the one with the smallest graph change, and its
// checkpoint is kept beside the last one.
void expect_most_stable_kept(const std::string& dir) {
  std::ifstream st(join_path(dir, "phase2_stats.jsonl"));
  int marked = 0, marked_round = -1, argmin = -1;
  double best = 1e9;
  for (std::string line; std::getline(st, line);) {
    auto j = nlohmann::json::parse(line);
    const double change = j["graph_change"].get<double>();
    if (change >= 0 && change < best) {
      best = change;
      argmin = j["round"].get<int>();
    }
    if (j["most_stable"].get<bool>()) {
      ++marked;
      marked_round = j["round"].get<int>();
    }
  }
  EXPECT_EQ(marked, 1);
  EXPECT_EQ(marked_round, argmin);
  EXPECT_TRUE(file_exists(join_path(dir, "checkpoints/phase2_stable.pt")));
}
}  // namespace

// --resume with a larger --rounds runs the extra rounds; with a larger --epochs, phase 2 is redone on
// the extended phase-1 model (it used to keep the old phase-2 model and the old result).
TEST(Pipeline, ResumeWithMoreRoundsOrEpochsRedoesWhatDependsOnThem) {
  const std::string dir = test::temp_dir("extend");
  RunConfig cfg = tiny_run(dir);
  cfg.phase1.epochs = 1;
  cfg.phase2.rounds = 2;
  cfg.phase2.min_rounds = 10;  // no early stop: the rounds asked for are the rounds run
  cfg.raw_kmeans_baseline = false;
  run_train(cfg);
  EXPECT_EQ(stats_rounds(dir), (std::vector<int>{1, 2}));
  cfg.resume = true;
  cfg.phase2.rounds = 3;
  run_train(cfg);
  EXPECT_EQ(stats_rounds(dir), (std::vector<int>{1, 2, 3}));
  expect_most_stable_kept(dir);
  const auto emb_before = read_npy(join_path(dir, "embedding.npy")).to_float();
  const auto p1_before = read_npy(join_path(dir, "embedding_phase1.npy")).to_float();
  cfg.phase1.epochs = 2;
  run_train(cfg);
  EXPECT_NE(read_npy(join_path(dir, "embedding_phase1.npy")).to_float(), p1_before);  // phase 1 went on
  EXPECT_EQ(stats_rounds(dir), (std::vector<int>{1, 2, 3}));                          // phase 2 ran again
  EXPECT_NE(read_npy(join_path(dir, "embedding.npy")).to_float(), emb_before);
}

// A fresh run into a finished run's folder replaces that run entirely (no file of the old run stays
// beside the new config.json), and a run that fails on its input leaves no folder behind.
TEST(Pipeline, FreshRunReplacesAnOldRunAndAFailedOneLeavesNoFolder) {
  const std::string dir = test::temp_dir("replace");
  RunConfig cfg = tiny_run(dir);
  cfg.phase1.epochs = 1;
  cfg.phase2.rounds = 1;
  cfg.raw_kmeans_baseline = false;
  run_train(cfg);
  ASSERT_TRUE(file_exists(join_path(dir, "phase2_stats.jsonl")));
  ASSERT_TRUE(file_exists(join_path(dir, "checkpoints/phase2_last.pt")));
  const std::string mine = join_path(dir, "notes.txt");  // not rdc's: never touched
  write_file_atomic(mine, "keep");
  RunConfig again = cfg;
  again.phase2.enabled = false;
  again.phase1.skip = true;  // an ablation without training
  again.ctx.seed = 8;
  run_train(again);
  for (const char* f : {"phase2_stats.jsonl", "phase1_stats.jsonl", "checkpoints/phase2_last.pt",
                        "checkpoints/phase1_last.pt", "checkpoints/phase2_graph.npy"})
    EXPECT_FALSE(file_exists(join_path(dir, f))) << f;
  EXPECT_TRUE(file_exists(join_path(dir, "checkpoints/final_last.pt")));
  EXPECT_EQ(read_json(join_path(dir, "metrics.json"))["seed"].get<uint64_t>(), 8u);
  EXPECT_TRUE(file_exists(mine));

  RunConfig bad = cfg;
  bad.out_dir = join_path(test::temp_dir("nofolder"), "run");
  bad.data = join_path(dir, "missing.npz");
  EXPECT_THROW(run_train(bad), Error);
  EXPECT_FALSE(file_exists(bad.out_dir));
}

TEST(Pipeline, C17_SameSeedSameAssignments) {
  RunConfig a = tiny_run(test::temp_dir("c17a"));
  RunConfig b = tiny_run(test::temp_dir("c17b"));
  a.phase1.epochs = b.phase1.epochs = 1;
  a.phase2.rounds = b.phase2.rounds = 1;
  a.raw_kmeans_baseline = b.raw_kmeans_baseline = false;
  run_train(a);
  run_train(b);
  EXPECT_EQ(read_npy(join_path(a.out_dir, "assignments.npy")).to_int64("a"),
            read_npy(join_path(b.out_dir, "assignments.npy")).to_int64("b"));
  EXPECT_EQ(read_json(join_path(a.out_dir, "config.json"))["seed"].get<uint64_t>(), 7u);
}

// Regression: the default encoder for small grey images is the MLP; DCv2's small multi-crop
// views (16x16 for 28x28 input) must be resized for it instead of failing.
TEST(Pipeline, MlpDeepClusterAcceptsSmallCropsOnImages) {
  Context ctx = test_ctx();
  apply_context(ctx);
  PretextConfig pc;
  pc.encoder = "auto";
  pc.input_shape = {1, 28, 28};
  pc.mlp_hidden = {32, 32};
  pc.embed_dim = 8;
  pc.proj_hidden = 16;
  pc.heads = 1;
  pc.prototypes = 8;
  pc.small_crops = 2;
  auto x = test::blob_images(64, 1, 28, 28, 4, 5);
  auto p = make_pretext(pc, 64, ctx);
  p->begin_epoch(x, 0);
  p->set_train(true);
  auto idx = torch::arange(32, torch::kLong);
  auto loss = p->instance_loss(x.slice(0, 0, 32), idx, p->augmenter());
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
  EXPECT_GT(loss.item<double>(), 0.0);
}

// --resume refuses when the settings its checkpoints depend on changed, and leaves the run's
// config.json as it was (a failed resume never rewrites the record of the run).
TEST(Pipeline, ResumeRefusesChangedSettingsAndKeepsConfig) {
  const std::string dir = test::temp_dir("resume_check");
  RunConfig cfg = tiny_run(dir);
  cfg.pretext.input_shape = {1, 28, 28};
  make_dirs(dir);
  write_json_file(join_path(dir, "config.json"), config_to_json(cfg));
  const std::string before = read_file(join_path(dir, "config.json"));
  RunConfig other = cfg;
  other.resume = true;
  other.ctx.seed = 8;
  other.pretext.embed_dim = 32;
  try {
    run_train(other);
    FAIL() << "resume with another seed and embedding size was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("seed: 7 (run) vs 8 (now)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pretext.embed_dim"), std::string::npos) << msg;
  }
  EXPECT_EQ(read_file(join_path(dir, "config.json")), before);
  EXPECT_FALSE(file_exists(join_path(dir, "checkpoints/phase1_last.pt")));
}

TEST(Pipeline, DefaultRunFolderIsNamedAfterTheData) {
  EXPECT_EQ(default_run_dir("fashion-mnist"), "runs/fashion-mnist");
  EXPECT_EQ(default_run_dir("/data/scans.npz"), "runs/scans");
  EXPECT_EQ(default_run_dir("images/"), "runs/images");
  EXPECT_EQ(default_run_dir("x/cells.tar.gz"), "runs/cells");
  EXPECT_EQ(default_run_dir("/"), "runs/run");
}

// predict on a folder without final centroids (e.g. a pretrain run) says what to do instead.
TEST(Pipeline, PredictWithoutCentroidsSaysWhy) {
  const std::string dir = test::temp_dir("predict_no_centroids");
  make_dirs(dir);
  try {
    run_predict(dir, "breastmnist", join_path(dir, "out/pred"), "", test_ctx());
    FAIL() << "predict without centroids.npy was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rdc embed"), std::string::npos) << e.what();
  }
}
