#pragma once
// Small fixed-seed data and comparisons shared by the libtorch tests.
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "rdc/pretext/pretext.h"

namespace rdc::test {

/// n images (n, c, h, w) in [0, 1]: `classes` blobs (a bright square at a class-dependent place) + noise.
inline torch::Tensor blob_images(int64_t n, int64_t c, int64_t h, int64_t w, int classes, uint64_t seed) {
  torch::manual_seed(seed);
  auto x = 0.1 * torch::rand({n, c, h, w});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i % classes;
    const int64_t r0 = (k * h) / (classes + 1), c0 = (k * w) / (classes + 1);
    x[i].slice(1, r0, r0 + h / 3).slice(2, c0, c0 + w / 3) += 0.8;
  }
  return x.clamp(0, 1);
}

/// n vectors (n, d): `classes` Gaussian blobs with unit noise around centres at distance ~6.
inline torch::Tensor blob_vectors(int64_t n, int64_t d, int classes, uint64_t seed) {
  torch::manual_seed(seed);
  auto centres = 3 * torch::randn({classes, d});
  auto x = torch::randn({n, d});
  for (int64_t i = 0; i < n; ++i) x[i] += centres[i % classes];
  return x;
}

/// True when every parameter and buffer of the two pretexts' modules is bitwise equal.
inline bool same_state(Pretext& a, Pretext& b, std::string* first_diff = nullptr) {
  auto ma = a.modules(), mb = b.modules();
  if (ma.size() != mb.size()) return false;
  for (size_t i = 0; i < ma.size(); ++i) {
    auto pa = ma[i].second->named_parameters(true), pb = mb[i].second->named_parameters(true);
    auto ba = ma[i].second->named_buffers(true), bb = mb[i].second->named_buffers(true);
    if (pa.size() != pb.size() || ba.size() != bb.size()) return false;
    for (size_t j = 0; j < pa.size(); ++j)
      if (!torch::equal(pa[j].value(), pb[j].value())) {
        if (first_diff) *first_diff = ma[i].first + "." + pa[j].key();
        return false;
      }
    for (size_t j = 0; j < ba.size(); ++j)
      if (!torch::equal(ba[j].value(), bb[j].value())) {
        if (first_diff) *first_diff = ma[i].first + "." + ba[j].key();
        return false;
      }
  }
  return true;
}

/// A fresh empty temporary folder (removed first if it exists).
inline std::string temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("rdc_nn_tests_" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

/// Tiny DeepCluster-v2 config for (c, h, w) images.
inline PretextConfig tiny_dcv2(std::vector<int64_t> shape) {
  PretextConfig c;
  c.name = "deepcluster-v2";
  if (shape.size() == 3) c.encoder = "conv";  // "auto" would pick the MLP for small grey images
  c.input_shape = std::move(shape);
  c.encoder_width = 4;
  c.mlp_hidden = {32, 32};
  c.embed_dim = 8;
  c.proj_hidden = 16;
  c.heads = 2;
  c.small_crops = 1;
  c.kmeans_iters = 3;
  return c;
}

/// Tiny ACAI config.
inline PretextConfig tiny_acai(std::vector<int64_t> shape) {
  PretextConfig c;
  c.name = "acai";
  if (shape.size() == 3) c.encoder = "conv";
  c.input_shape = std::move(shape);
  c.encoder_width = 4;
  c.mlp_hidden = {32, 32, 64};
  c.embed_dim = 4;
  return c;
}

}  // namespace rdc::test
