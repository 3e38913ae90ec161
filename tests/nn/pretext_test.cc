// Pretexts: DeepCluster-v2 (spherical k-means, prototypes, loss) and ACAI.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nn_test_util.h"
#include "rdc/augment/augment.h"
#include "rdc/core/error.h"
#include "rdc/pretext/acai.h"
#include "rdc/pretext/deepcluster_v2.h"
#include "rdc/train/data_tensor.h"

using namespace rdc;

namespace {

Context cpu_ctx(uint64_t seed = 42) {
  Context c;
  c.threads = 2;
  c.seed = seed;
  return c;
}

/// Mean of the first and last `k` losses of `steps` full-batch Adam steps.
std::pair<double, double> train_steps(Pretext& p, const torch::Tensor& x, int steps, double lr, int k = 3) {
  torch::optim::Adam opt(p.parameters(), torch::optim::AdamOptions(lr));
  auto idx = torch::arange(x.size(0));
  std::vector<double> losses;
  p.set_train(true);
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    auto l = p.instance_loss(x, idx, p.augmenter());
    losses.push_back(l.item<double>());
    l.backward();
    opt.step();
  }
  double first = 0, last = 0;
  for (int i = 0; i < k; ++i) {
    first += losses[i] / k;
    last += losses[losses.size() - 1 - i] / k;
  }
  return {first, last};
}

}  // namespace

TEST(SphericalKMeans, FindsSeparatedGroupsWithUnitCentroids) {
  torch::manual_seed(0);
  const int64_t per = 50, m = 8;
  auto centres = torch::nn::functional::normalize(torch::randn({3, m}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto x = centres.repeat_interleave(per, 0) + 0.05 * torch::randn({3 * per, m});
  x = torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1));
  // Several seeds: a bad init may merge two groups; the best of a few must not.
  bool pure = false;
  for (uint64_t seed = 0; seed < 4 && !pure; ++seed) {
    auto r = spherical_kmeans(x, 3, 10, seed);
    EXPECT_EQ(r.counts.sum().item<int64_t>(), 3 * per);
    EXPECT_TRUE(torch::allclose(r.centroids.norm(2, 1), torch::ones({3}), 0, 1e-4));
    auto a = r.assignments.view({3, per});
    bool ok = true;
    for (int g = 0; g < 3; ++g) ok = ok && (a[g] == a[g][0]).all().item<bool>();
    ok = ok && a[0][0].item<int64_t>() != a[1][0].item<int64_t>() && a[1][0].item<int64_t>() != a[2][0].item<int64_t>() &&
         a[0][0].item<int64_t>() != a[2][0].item<int64_t>();
    pure = ok;
  }
  EXPECT_TRUE(pure);
}

TEST(SphericalKMeans, EmptyClustersKeepTheirCentroidAndPIsChecked) {
  // 6 identical points, 3 prototypes: two clusters stay empty and must keep finite centroids.
  auto x = torch::nn::functional::normalize(torch::ones({6, 4}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto r = spherical_kmeans(x, 3, 5, 1);
  EXPECT_TRUE(torch::isfinite(r.centroids).all().item<bool>());
  EXPECT_EQ(r.counts.sum().item<int64_t>(), 6);
  EXPECT_EQ((r.counts > 0).sum().item<int64_t>(), 1);
  try {
    spherical_kmeans(x, 7, 5, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("P=7 prototypes for N=6 points"), std::string::npos) << e.what();
  }
}

TEST(DeepClusterV2, C12_PrototypesCappedForSmallN) {
  EXPECT_EQ(resolve_prototypes(0, 100, 20), 5);
  EXPECT_EQ(resolve_prototypes(0, 1000000, 20), 1000);
  EXPECT_EQ(resolve_prototypes(3000, 100, 20), 100);  // explicit request capped to n
  EXPECT_EQ(resolve_prototypes(0, 10, 20), 2);
  EXPECT_EQ(resolve_prototypes(0, 1, 20), 1);
  // 100 images with the default number of prototypes: trains without "nx >= k" failures.
  auto ctx = cpu_ctx();
  apply_context(ctx);
  auto x = test::blob_images(100, 1, 12, 12, 4, 1);
  auto cfg = test::tiny_dcv2({1, 12, 12});
  for (int64_t requested : {int64_t{0}, int64_t{3000}}) {
    cfg.prototypes = requested;
    auto p = make_pretext(cfg, 100, ctx);
    auto* d = dynamic_cast<DeepClusterV2*>(p.get());
    ASSERT_NE(d, nullptr);
    EXPECT_LE(d->prototypes(), 100);
    p->begin_epoch(x, 0);
    auto a = d->assignments();
    EXPECT_GE(a.min().item<int64_t>(), 0);
    EXPECT_LT(a.max().item<int64_t>(), d->prototypes());
    auto l = p->instance_loss(x.slice(0, 0, 32), torch::arange(32), p->augmenter());
    EXPECT_TRUE(std::isfinite(l.item<double>()));
  }
}

TEST(DeepClusterV2, EmbeddingIsUnitNormAndBankFilledBeforeFirstKMeans) {
  auto ctx = cpu_ctx();
  auto x = test::blob_images(48, 3, 12, 12, 3, 2);
  auto p = make_pretext(test::tiny_dcv2({3, 12, 12}), 48, ctx);
  EXPECT_TRUE(p->normalized());
  EXPECT_EQ(p->embed_dim(), 8);
  auto* d = dynamic_cast<DeepClusterV2*>(p.get());
  EXPECT_EQ(d->memory_bank().abs().sum().item<double>(), 0.0);
  EXPECT_THROW(p->instance_loss(x, torch::arange(48), p->augmenter()), Error);  // no prototypes yet
  p->begin_epoch(x, 0);
  auto bank = d->memory_bank();
  EXPECT_TRUE(torch::allclose(bank.norm(2, 2), torch::ones({2, 48}), 0, 1e-4));
  EXPECT_FALSE(torch::equal(bank[0], bank[1]));  // two different augmented views
  EXPECT_TRUE(torch::allclose(d->prototype_weights().norm(2, 2), torch::ones({2, d->prototypes()}), 0, 1e-4));
  p->set_train(false);
  auto z = p->embed(x);
  EXPECT_EQ(z.sizes().vec(), (std::vector<int64_t>{48, 8}));
  EXPECT_TRUE(torch::allclose(z.norm(2, 1), torch::ones({48}), 0, 1e-4));
  auto stats = p->epoch_stats();
  bool has_entropy = false;
  for (auto& kv : stats) has_entropy |= kv.first == "proto_entropy" && kv.second > 0;
  EXPECT_TRUE(has_entropy);
}

TEST(DeepClusterV2, AFewStepsLowerTheLoss) {
  auto ctx = cpu_ctx();
  apply_context(ctx);
  auto x = test::blob_images(64, 1, 12, 12, 4, 3);
  auto cfg = test::tiny_dcv2({1, 12, 12});
  cfg.augment = "weak";
  auto p = make_pretext(cfg, 64, ctx);
  p->begin_epoch(x, 0);
  auto [first, last] = train_steps(*p, x, 25, 3e-3);
  EXPECT_LT(last, 0.8 * first) << "first " << first << " last " << last;
  // The loss uses the sample's own assignment: the last view embedding is exposed for phase 2.
  EXPECT_EQ(p->last_view_embedding().sizes().vec(), (std::vector<int64_t>{64, 8}));
  EXPECT_TRUE(p->last_view_embedding().requires_grad());
}

TEST(DeepClusterV2, VectorsVolumesAndMlpOnImagesWork) {
  auto ctx = cpu_ctx();
  auto v = test::blob_vectors(40, 6, 2, 1);
  auto cv = test::tiny_dcv2({6});
  auto pv = make_pretext(cv, 40, ctx);
  pv->begin_epoch(v, 0);
  EXPECT_TRUE(std::isfinite(pv->instance_loss(v, torch::arange(40), pv->augmenter()).item<double>()));
  // A flattening encoder on images: the small crops are brought back to the input size.
  auto img = test::blob_images(24, 1, 12, 12, 2, 3);
  auto cm = test::tiny_dcv2({1, 12, 12});
  cm.encoder = "mlp";
  auto pm = make_pretext(cm, 24, ctx);
  pm->begin_epoch(img, 0);
  EXPECT_TRUE(std::isfinite(pm->instance_loss(img, torch::arange(24), pm->augmenter()).item<double>()));
  auto vol = torch::rand({24, 1, 8, 8, 8});
  auto cvol = test::tiny_dcv2({1, 8, 8, 8});
  auto pvol = make_pretext(cvol, 24, ctx);
  pvol->begin_epoch(vol, 0);
  EXPECT_TRUE(std::isfinite(pvol->instance_loss(vol, torch::arange(24), pvol->augmenter()).item<double>()));
}

TEST(Acai, AFewStepsLowerTheLossOnVectors) {
  auto ctx = cpu_ctx();
  auto x = test::blob_vectors(64, 12, 3, 4);
  auto cfg = test::tiny_acai({12});
  EXPECT_EQ(cfg.acai_lambda, 0.0);  // default: plain autoencoder (docs/benchmarks.md, "ACAI critic weight")
  cfg.acai_lambda = 0.5;            // exercise the critic too
  auto p = make_pretext(cfg, 64, ctx);
  EXPECT_TRUE(p->normalized());  // geometry auto = cosine (docs/benchmarks.md, "Embedding geometry")
  EXPECT_EQ(p->config().geometry, "cosine");
  EXPECT_EQ(p->optim_defaults().optimizer, "adam");
  EXPECT_DOUBLE_EQ(p->optim_defaults().lr, 1e-3);  // measured: 1e-4 barely trains in a CPU budget (docs/method.md)
  p->begin_epoch(x, 0);
  auto* acai = dynamic_cast<Acai*>(p.get());
  ASSERT_NE(acai, nullptr);
  auto critic_before = acai->critic(x).detach().clone();
  auto [first, last] = train_steps(*p, x, 40, 2e-3);
  EXPECT_LT(last, 0.7 * first) << "first " << first << " last " << last;
  EXPECT_FALSE(torch::equal(acai->critic(x).detach(), critic_before));  // the critic trained too
  p->set_train(false);
  EXPECT_EQ(p->embed(x).sizes().vec(), (std::vector<int64_t>{64, 4}));
  bool has_recon = false;
  for (auto& kv : p->epoch_stats()) has_recon |= kv.first == "recon" && kv.second > 0;
  EXPECT_TRUE(has_recon);
}

// The geometry decides the clustering space: cosine embeds on the unit sphere, euclidean leaves the
// code as the encoder gives it; both train the same autoencoder (same loss from the same seed).
TEST(Acai, GeometryChoosesTheClusteringSpace) {
  auto ctx = cpu_ctx();
  auto x = test::blob_vectors(64, 12, 3, 4);
  auto cfg = test::tiny_acai({12});
  cfg.geometry = "euclidean";
  auto pe = make_pretext(cfg, 64, ctx);
  cfg.geometry = "cosine";
  auto pc = make_pretext(cfg, 64, ctx);
  EXPECT_FALSE(pe->normalized());
  EXPECT_TRUE(pc->normalized());
  pe->set_train(false);
  pc->set_train(false);
  auto ze = pe->embed(x), zc = pc->embed(x);
  EXPECT_TRUE(torch::allclose(zc.norm(2, 1), torch::ones({64}), 1e-5, 1e-5));
  EXPECT_FALSE(torch::allclose(ze.norm(2, 1), torch::ones({64}), 1e-2, 1e-2));
  // same weights (same seed): the cosine embedding is the euclidean one, normalised
  EXPECT_TRUE(torch::allclose(zc, ze / ze.norm(2, 1, true), 1e-5, 1e-5));
  pe->set_train(true);
  pc->set_train(true);
  auto idx = torch::arange(64);
  EXPECT_NEAR(pe->instance_loss(x, idx, pe->augmenter()).item<double>(),
              pc->instance_loss(x, idx, pc->augmenter()).item<double>(), 1e-6);
  // checks: unknown names, and euclidean on the unit-sphere pretext
  cfg.geometry = "manhattan";
  EXPECT_THROW(cfg.validate(), Error);
  PretextConfig d = cfg;
  d.name = "deepcluster-v2";
  d.geometry = "euclidean";
  EXPECT_THROW(d.validate(), Error);
  d.geometry = "auto";
  EXPECT_NO_THROW(d.validate());
  // a model saved before the option (no "geometry" field) keeps its euclidean clustering space
  nlohmann::json j = pretext_config_to_json(cfg);
  j.erase("geometry");
  EXPECT_EQ(pretext_config_from_json(j).geometry, "euclidean");
  j["geometry"] = "cosine";
  EXPECT_EQ(pretext_config_from_json(j).geometry, "cosine");
}

// --acai-invariance adds w * mean(1 - cos) between the codes of two augmented views; --acai-target
// clean reconstructs the un-augmented sample. Without augmentation both are no-ops (the two views
// and the two targets coincide); with it they change the loss by what they define.
TEST(Acai, InvarianceTermAndCleanTarget) {
  auto ctx = cpu_ctx();
  auto x = torch::rand({16, 1, 16, 16});
  auto idx = torch::arange(16);
  auto loss_of = [&](const std::string& augment, double inv, const std::string& target) {
    auto c = test::tiny_acai({1, 16, 16});
    c.encoder = "mlp";
    c.augment = augment;
    c.acai_invariance = inv;
    c.acai_target = target;
    auto p = make_pretext(c, 16, ctx);  // same seed: same weights and the same first view
    p->set_train(true);
    p->begin_epoch(x, 0);
    return p->instance_loss(x, idx, p->augmenter()).item<double>();
  };
  const double base_none = loss_of("none", 0, "view");
  EXPECT_NEAR(loss_of("none", 0.5, "view"), base_none, 1e-6);   // identical views: 1 - cos = 0
  EXPECT_NEAR(loss_of("none", 0, "clean"), base_none, 1e-7);   // view == clean sample
  const double base = loss_of("weak", 0, "view");
  const double extra = loss_of("weak", 0.5, "view") - base;
  EXPECT_GT(extra, 1e-6);        // two different views give different codes
  EXPECT_LE(extra, 0.5 * 2.0);   // 1 - cos <= 2
  EXPECT_GT(std::abs(loss_of("weak", 0, "clean") - base), 1e-7);
  auto c = test::tiny_acai({1, 16, 16});
  c.acai_invariance = -0.1;
  EXPECT_THROW(c.validate(), Error);
  c.acai_invariance = 0.1;
  c.acai_target = "noisy";
  EXPECT_THROW(c.validate(), Error);
  c.acai_target = "clean";
  PretextConfig back = pretext_config_from_json(pretext_config_to_json(c));
  EXPECT_EQ(back.acai_target, "clean");
  EXPECT_DOUBLE_EQ(back.acai_invariance, 0.1);
}

// lambda weighs the critic term: 0 is a plain autoencoder (loss == reconstruction, critic untouched);
// lambda > 0 adds a positive critic term and trains the critic.
TEST(Acai, LambdaWeighsTheCriticTerm) {
  auto ctx = cpu_ctx();
  auto x = test::blob_vectors(32, 12, 3, 4);
  for (double lambda : {0.0, 0.5}) {
    auto c = test::tiny_acai({12});
    c.acai_lambda = lambda;
    auto p = make_pretext(c, 32, ctx);
    auto* acai = dynamic_cast<Acai*>(p.get());
    ASSERT_NE(acai, nullptr);
    p->set_train(true);
    p->begin_epoch(x, 0);
    auto critic_before = acai->critic(x).detach().clone();
    const double loss = p->instance_loss(x, torch::arange(32), p->augmenter()).item<double>();
    double recon = -1;
    bool has_critic_stat = false;
    for (auto& kv : p->epoch_stats()) {
      if (kv.first == "recon") recon = kv.second;
      has_critic_stat |= kv.first == "critic_loss";
    }
    ASSERT_GT(recon, 0);
    EXPECT_EQ(has_critic_stat, lambda > 0);
    const bool critic_moved = !torch::equal(acai->critic(x).detach(), critic_before);
    if (lambda == 0) {
      EXPECT_NEAR(loss, recon, 1e-6 * recon);
      EXPECT_FALSE(critic_moved);
    } else {
      EXPECT_GT(loss, recon * (1 + 1e-6));
      EXPECT_TRUE(critic_moved);
    }
  }
}

TEST(Acai, ConvVariantOnImagesAndVolumes) {
  auto ctx = cpu_ctx();
  auto x = test::blob_images(32, 1, 12, 12, 2, 5);
  auto p = make_pretext(test::tiny_acai({1, 12, 12}), 32, ctx);
  auto* acai = dynamic_cast<Acai*>(p.get());
  auto z = p->embed(x);
  EXPECT_EQ(z.sizes().vec(), (std::vector<int64_t>{32, 4}));
  EXPECT_EQ(acai->decode(z).sizes(), x.sizes());
  EXPECT_EQ(acai->critic(x).sizes().vec(), (std::vector<int64_t>{32}));
  auto [first, last] = train_steps(*p, x, 15, 3e-3);
  EXPECT_LT(last, first);
  auto vol = torch::rand({8, 1, 8, 8, 8});
  auto pv = make_pretext(test::tiny_acai({1, 8, 8, 8}), 8, ctx);
  EXPECT_TRUE(std::isfinite(pv->instance_loss(vol, torch::arange(8), pv->augmenter()).item<double>()));
}

TEST(Pretexts, FactoryChecksNamesAndShapes) {
  auto ctx = cpu_ctx();
  PretextConfig c = test::tiny_acai({1, 12, 12});
  c.name = "simclr";
  try {
    make_pretext(c, 10, ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pretext='simclr' is unknown"), std::string::npos) << e.what();
  }
  c.name = "deepcluster-v2";
  c.encoder = "conv3d";
  EXPECT_THROW(make_pretext(c, 10, ctx), Error);
  c.encoder = "auto";
  c.temperature = 0;
  try {
    make_pretext(c, 10, ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("temperature=0"), std::string::npos) << e.what();
  }
  // Every field survives the JSON round trip (checkpoints rebuild models from it).
  PretextConfig d = test::tiny_dcv2({3, 9, 9});
  d.prototypes = 17;
  d.mlp_hidden = {5, 6};
  auto back = pretext_config_from_json(pretext_config_to_json(d));
  EXPECT_EQ(pretext_config_to_json(back), pretext_config_to_json(d));
  EXPECT_EQ(back.mlp_hidden, d.mlp_hidden);
}

TEST(Pretexts, AutoPicksThePretextByModality) {
  EXPECT_EQ(resolve_pretext_name("auto", {12}), "acai");               // feature vectors
  EXPECT_EQ(resolve_pretext_name("auto", {1, 28, 28}), "acai");        // grey-scale images
  EXPECT_EQ(resolve_pretext_name("auto", {1, 64, 64}), "acai");
  EXPECT_EQ(resolve_pretext_name("auto", {1, 8, 8, 8}), "acai");       // volumes
  EXPECT_EQ(resolve_pretext_name("auto", {3, 32, 32}), "deepcluster-v2");  // colour images
  EXPECT_EQ(resolve_pretext_name("auto", {4, 16, 16}), "deepcluster-v2");  // multi-channel images
  EXPECT_EQ(resolve_pretext_name("deepcluster-v2", {12}), "deepcluster-v2");  // explicit names are kept
  EXPECT_EQ(resolve_pretext_name("acai", {3, 32, 32}), "acai");
  EXPECT_THROW(resolve_pretext_name("simclr", {12}), Error);
  // The factory builds what "auto" stands for.
  auto ctx = cpu_ctx();
  PretextConfig c = test::tiny_dcv2({3, 9, 9});
  c.name = "auto";
  EXPECT_EQ(make_pretext(c, 16, ctx)->name(), "deepcluster-v2");
  PretextConfig a = test::tiny_acai({1, 12, 12});
  a.name = "auto";
  EXPECT_EQ(make_pretext(a, 16, ctx)->name(), "acai");
}
