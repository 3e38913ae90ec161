// Encoders (every modality each supports), decoders and augmentations.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nn_test_util.h"
#include "rdc/augment/augment.h"
#include "rdc/core/error.h"
#include "rdc/encoder/encoder.h"

using namespace rdc;

namespace {

struct EncCase {
  std::string name;
  std::vector<int64_t> shape;
  int64_t width;
};

std::vector<int64_t> batch_shape(int64_t b, const std::vector<int64_t>& s) {
  std::vector<int64_t> out{b};
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

}  // namespace

TEST(Encoders, EveryEncoderOnEveryModalityItSupports) {
  const std::vector<EncCase> cases = {
      {"mlp", {20}, 0},           {"mlp", {1, 12, 12}, 0},     {"mlp", {1, 6, 6, 6}, 0},
      {"conv", {1, 16, 16}, 4},   {"conv", {3, 32, 32}, 4},    {"conv", {4, 9, 11}, 4},
      {"resnet18", {3, 16, 16}, 4}, {"resnet18", {1, 12, 12}, 4}, {"conv3d", {1, 12, 12, 12}, 4},
      {"conv3d", {2, 8, 9, 10}, 4}};
  for (const auto& c : cases) {
    for (int64_t out_dim : {int64_t{0}, int64_t{7}}) {
      SCOPED_TRACE(c.name + " " + shape_str(c.shape) + " out_dim " + std::to_string(out_dim));
      EncoderConfig cfg;
      cfg.name = c.name;
      cfg.input_shape = c.shape;
      cfg.width = c.width;
      cfg.mlp_hidden = {32, 16};
      cfg.out_dim = out_dim;
      torch::manual_seed(1);
      auto enc = make_encoder(cfg);
      EXPECT_EQ(enc->kind(), c.name);
      if (out_dim > 0) EXPECT_EQ(enc->out_dim(), out_dim);
      auto x = torch::rand(batch_shape(5, c.shape));
      auto y = enc->forward(x);
      ASSERT_EQ(y.dim(), 2);
      EXPECT_EQ(y.size(0), 5);
      EXPECT_EQ(y.size(1), enc->out_dim());
      EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
      y.pow(2).sum().backward();
      auto first = enc->parameters().front();  // the first layer's weight (registered first)
      ASSERT_TRUE(first.grad().defined());
      EXPECT_GT(first.grad().abs().sum().item<double>(), 0.0) << "no gradient reaches the first layer";
    }
  }
}

TEST(Encoders, AutoPicksByModalityAndWrongModalityIsAnError) {
  EXPECT_EQ(resolve_encoder_name("auto", {12}), "mlp");
  EXPECT_EQ(resolve_encoder_name("auto", {3, 32, 32}), "conv");
  EXPECT_EQ(resolve_encoder_name("auto", {1, 28, 28}), "mlp");   // small grey-scale: CPU-fast MLP
  EXPECT_EQ(resolve_encoder_name("auto", {1, 64, 64}), "conv");
  EXPECT_EQ(resolve_encoder_name("auto", {1, 28, 28, 28}), "mlp");     // small volumes: the MLP is ~40x faster
  EXPECT_EQ(resolve_encoder_name("auto", {1, 48, 48, 48}), "conv3d");
  EXPECT_EQ(resolve_encoder_name("auto", {2, 16, 16, 16}), "conv3d");
  EXPECT_EQ(resolve_encoder_name("mlp", {1, 28, 28}), "mlp");
  try {
    resolve_encoder_name("conv", {12});
    FAIL() << "conv on vectors must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs images"), std::string::npos) << e.what();
  }
  try {
    resolve_encoder_name("conv3d", {1, 28, 28});
    FAIL() << "conv3d on images must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs volumes"), std::string::npos) << e.what();
  }
  try {
    resolve_encoder_name("vit", {1, 28, 28});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("encoder='vit' is unknown"), std::string::npos) << e.what();
  }
}

TEST(Encoders, ConvEncodersAcceptSmallCropsOfAnySize) {
  EncoderConfig cfg;
  cfg.name = "conv";
  cfg.input_shape = {3, 32, 32};
  cfg.width = 4;
  auto enc = make_encoder(cfg);
  for (int64_t s : {8, 18, 32}) EXPECT_EQ(enc->forward(torch::rand({2, 3, s, s})).size(1), enc->out_dim());
  EXPECT_THROW(enc->forward(torch::rand({2, 1, 32, 32})), Error);  // wrong channel count
}

TEST(Decoders, MirrorTheInputShape) {
  const std::vector<EncCase> cases = {{"mlp", {20}, 0},          {"mlp", {1, 12, 12}, 0},   {"conv", {1, 28, 28}, 4},
                                      {"conv", {3, 15, 17}, 4},  {"resnet18", {3, 16, 16}, 4}, {"conv3d", {1, 11, 12, 13}, 4}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name + " " + shape_str(c.shape));
    EncoderConfig cfg;
    cfg.name = c.name;
    cfg.input_shape = c.shape;
    cfg.width = c.width;
    cfg.mlp_hidden = {32, 16};
    auto dec = make_decoder(cfg, 6);
    auto y = dec->forward(torch::randn({3, 6}));
    EXPECT_EQ(y.sizes().vec(), batch_shape(3, c.shape));
    y.sum().backward();
    EXPECT_GT(dec->parameters().front().grad().abs().sum().item<double>(), 0.0);
  }
}

// ---------------------------------------------------------------- augmentations

TEST(Augment, ShapesAndRangeForEveryModality) {
  auto img = test::blob_images(6, 3, 16, 16, 3, 1);
  Augmenter a(AugmentConfig::preset("strong"), {3, 16, 16}, 5);
  auto v = a.view(img);
  EXPECT_EQ(v.sizes(), img.sizes());
  EXPECT_GE(v.min().item<float>(), img.min().item<float>() - 1e-5);
  EXPECT_LE(v.max().item<float>(), img.max().item<float>() + 1e-5);
  auto s = a.small_view(img);
  EXPECT_EQ(s.sizes().vec(), (std::vector<int64_t>{6, 3, 9, 9}));  // round(0.57 * 16) = 9
  auto crops = a.multi_crop(img, 2, 3);
  ASSERT_EQ(crops.size(), 5u);
  EXPECT_EQ(crops[1].sizes(), img.sizes());
  EXPECT_EQ(crops[4].size(2), 9);

  Augmenter tiny(AugmentConfig::preset("strong"), {1, 10, 10}, 5);
  EXPECT_EQ(tiny.small_shape(), (std::vector<int64_t>{1, 8, 8}));  // never below 8 px
  Augmenter tiniest(AugmentConfig::preset("strong"), {1, 6, 6}, 5);
  EXPECT_EQ(tiniest.small_shape(), (std::vector<int64_t>{1, 6, 6}));  // never above the input size

  auto vol = torch::rand({3, 1, 12, 12, 12});
  Augmenter av(AugmentConfig::preset("strong"), {1, 12, 12, 12}, 5);
  EXPECT_EQ(av.view(vol).sizes(), vol.sizes());
  EXPECT_EQ(av.small_view(vol).sizes().vec(), (std::vector<int64_t>{3, 1, 8, 8, 8}));
  auto vv = av.view(vol);
  EXPECT_GE(vv.min().item<float>(), vol.min().item<float>() - 1e-5);
  EXPECT_LE(vv.max().item<float>(), vol.max().item<float>() + 1e-5);

  auto vec = test::blob_vectors(16, 5, 2, 3);
  Augmenter ax(AugmentConfig::preset("strong"), {5}, 5);
  auto y = ax.view(vec);
  EXPECT_EQ(y.sizes(), vec.sizes());
  EXPECT_FALSE(torch::equal(y, vec));
  EXPECT_LT((y - vec).abs().mean().item<double>(), (vec - vec.mean(0)).abs().mean().item<double>());

  EXPECT_THROW(a.view(torch::rand({2, 1, 16, 16})), Error);  // wrong sample shape
}

TEST(Augment, SameSeedSameViewsDifferentSeedDifferentViews) {
  struct M {
    std::vector<int64_t> shape;
  };
  for (const auto& m : {M{{3, 16, 16}}, M{{1, 12, 12}}, M{{1, 8, 8, 8}}, M{{7}}}) {
    SCOPED_TRACE(shape_str(m.shape));
    std::vector<int64_t> bs{8};
    bs.insert(bs.end(), m.shape.begin(), m.shape.end());
    torch::manual_seed(3);
    auto x = torch::rand(bs);
    for (const char* strength : {"weak", "strong"}) {
      SCOPED_TRACE(strength);
      Augmenter a(AugmentConfig::preset(strength), m.shape, 11), b(AugmentConfig::preset(strength), m.shape, 11),
          c(AugmentConfig::preset(strength), m.shape, 12);
      torch::manual_seed(99);  // the global RNG must not matter
      auto va = a.view(x);
      torch::manual_seed(1234);
      auto vb = b.view(x);
      auto vc = c.view(x);
      EXPECT_TRUE(torch::equal(va, vb));
      EXPECT_FALSE(torch::equal(va, vc));
      // A saved state replays the same stream.
      auto st = a.state();
      auto next = a.view(x);
      EXPECT_FALSE(torch::equal(next, va));
      a.set_state(st);
      EXPECT_TRUE(torch::equal(a.view(x), next));
    }
  }
}

TEST(Augment, C21_NoColourOpsOnOneChannelData) {
  // A grey image whose every pixel has the same value: geometry and blur keep it exactly,
  // any intensity/colour operation would change it.
  auto grey = torch::full({16, 1, 12, 12}, 0.3f) + torch::arange(16).view({16, 1, 1, 1}) * 0.04f;
  auto cfg = AugmentConfig::preset("strong");
  cfg.jitter_prob = 1;
  cfg.grey_prob = 1;
  Augmenter a(cfg, {1, 12, 12}, 7);
  EXPECT_FALSE(a.colour_enabled());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(torch::allclose(a.view(grey), grey, 0, 1e-5));
    EXPECT_TRUE(torch::allclose(a.small_view(grey), grey.slice(2, 0, 8).slice(3, 0, 8), 0, 1e-5));
  }
  EXPECT_EQ(a.colour_batches(), 0);
  // 4-channel data (e.g. RGBA-like) gets no colour operations either.
  Augmenter a4(cfg, {4, 12, 12}, 7);
  EXPECT_FALSE(a4.colour_enabled());
  // 3-channel data does, and they change a flat-coloured image.
  auto rgb = torch::stack({torch::full({12, 12}, 0.7f), torch::full({12, 12}, 0.2f), torch::full({12, 12}, 0.4f)})
                 .unsqueeze(0)
                 .repeat({4, 1, 1, 1});
  Augmenter a3(cfg, {3, 12, 12}, 7);
  EXPECT_TRUE(a3.colour_enabled());
  auto v = a3.view(rgb);
  EXPECT_GT(a3.colour_batches(), 0);
  EXPECT_GT((v - rgb).abs().max().item<double>(), 0.01);
  // grey_prob = 1: the three channels become equal.
  EXPECT_TRUE(torch::allclose(v.select(1, 0), v.select(1, 1), 0, 1e-5));
}

TEST(Augment, FlipIsExactAndNoneIsIdentity) {
  AugmentConfig cfg = AugmentConfig::preset("none");
  cfg.strength = "custom";
  cfg.flip_prob = 1;
  auto img = torch::rand({3, 2, 7, 9});
  Augmenter a(cfg, {2, 7, 9}, 1);
  EXPECT_TRUE(torch::allclose(a.view(img), img.flip({3}), 0, 1e-5));
  auto vol = torch::rand({2, 1, 5, 6, 7});
  Augmenter av(cfg, {1, 5, 6, 7}, 1);
  EXPECT_TRUE(torch::allclose(av.view(vol), vol.flip({2, 3, 4}), 0, 1e-5));
  Augmenter none(AugmentConfig::preset("none"), {2, 7, 9}, 1);
  EXPECT_TRUE(torch::equal(none.view(img), img));
}

TEST(Augment, WeakShiftMovesContentByAtMostTenPercent) {
  // One bright pixel in the centre of a 21x21 image: a shift <= 0.1 * 21 px and a rotation <= 10 degrees
  // keep the centre of mass within ~2.1 px; some shifts happen.
  auto img = torch::zeros({64, 1, 21, 21});
  img.select(2, 10).select(2, 10).fill_(1);
  Augmenter a(AugmentConfig::preset("weak"), {1, 21, 21}, 3);
  auto v = a.view(img).squeeze(1);
  auto coords = torch::arange(21, torch::kFloat32);
  auto mass = v.sum({1, 2});
  auto cy = (v.sum(2) * coords).sum(1) / mass, cx = (v.sum(1) * coords).sum(1) / mass;
  auto dist = ((cy - 10).pow(2) + (cx - 10).pow(2)).sqrt();
  EXPECT_LE(dist.max().item<double>(), 0.1 * 21 * std::sqrt(2.0) + 0.2);
  EXPECT_GT(dist.max().item<double>(), 0.5);
}

TEST(Augment, BlurKeepsConstantsAndSpreadsImpulses) {
  AugmentConfig cfg = AugmentConfig::preset("none");
  cfg.strength = "custom";
  cfg.blur_prob = 1;
  cfg.blur_sigma_min = cfg.blur_sigma_max = 1.0;
  Augmenter a(cfg, {1, 30, 30}, 1);
  auto flat = torch::full({2, 1, 30, 30}, 0.25f);
  EXPECT_TRUE(torch::allclose(a.view(flat), flat, 0, 1e-6));
  auto imp = torch::zeros({1, 1, 30, 30});
  imp[0][0][15][15] = 1;
  auto b = a.view(imp);
  EXPECT_NEAR(b.sum().item<double>(), 1.0, 1e-5);
  EXPECT_LT(b.max().item<double>(), 0.9);
}

TEST(Augment, VectorNoiseScalesWithFeatureSpreadAndConfigIsChecked) {
  auto x = torch::randn({32, 3});
  x.select(1, 1).fill_(5.0);  // a constant feature stays constant (noise is relative to its std 0)
  auto cfg = AugmentConfig::preset("strong");
  Augmenter a(cfg, {3}, 2);
  auto y = a.view(x);
  EXPECT_TRUE(torch::allclose(y.select(1, 1), x.select(1, 1)));
  EXPECT_FALSE(torch::equal(y.select(1, 0), x.select(1, 0)));
  cfg.flip_prob = 1.5;
  try {
    Augmenter bad(cfg, {3}, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("flip_prob=1.5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(AugmentConfig::preset("medium"), Error);
}
