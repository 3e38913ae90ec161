#pragma once
// Batched, seeded data augmentation chosen by modality (phase 1 and phase 2's a(x)).
//   images  (B,C,H,W)  : random resized crop + horizontal flip + shift + rotation (one affine
//                        grid_sample per view), Gaussian blur; colour jitter and random
//                        grey-scale ONLY when C == 3 (case C21: never on 1-channel data).
//   volumes (B,C,D,H,W): 3-D crop + flips on each axis + shift + rotation in the H-W plane.
//   vectors (B,D)      : Gaussian noise (scaled by the batch's per-feature std) + feature
//                        dropout (a dropped feature is replaced by the batch mean).
// Random parameters are drawn per sample on the CPU from the augmenter's own generator
// (reproducible on any device, and independent of torch's global RNG), then moved to the
// data's device where the pixel work runs.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rdc/augment/augment_config.h"

namespace rdc {

class Augmenter {
 public:
  /// sample_shape: per-sample shape (D), (C,H,W) or (C,D,H,W); seed: this augmenter's own stream.
  Augmenter(const AugmentConfig& cfg, const std::vector<int64_t>& sample_shape, uint64_t seed);

  /// One augmented "large" view: x (B, sample_shape...) -> same shape, same device and dtype.
  torch::Tensor view(const torch::Tensor& x);
  /// One small multi-crop view: images (B,C,h,w) / volumes (B,C,d,h,w) with small_shape(); vectors: as view().
  torch::Tensor small_view(const torch::Tensor& x);
  /// DeepCluster-v2 multi-crop: `large` views at input size followed by `small` small views.
  std::vector<torch::Tensor> multi_crop(const torch::Tensor& x, int large, int small);
  /// Per-sample shape of small views.
  std::vector<int64_t> small_shape() const { return small_shape_; }
  const std::vector<int64_t>& sample_shape() const { return shape_; }
  const AugmentConfig& config() const { return cfg_; }
  /// True when colour jitter / grey-scale can run (exactly 3 channels and a non-zero probability).
  bool colour_enabled() const { return colour_; }
  /// How many batches went through the colour branch so far (diagnostics, tests of case C21).
  int64_t colour_batches() const { return colour_batches_; }

  /// U(0, 1) float32 draws of `shape` from this augmenter's stream, on the CPU (for pretexts'
  /// own randomness, e.g. ACAI's alpha, so one generator state covers everything).
  torch::Tensor uniform(const std::vector<int64_t>& shape);
  /// Restarts the stream from `seed`.
  void reseed(uint64_t seed);
  /// Generator state (CPU uint8 tensor) for checkpoints; set_state() restores it exactly.
  torch::Tensor state() const;
  void set_state(const torch::Tensor& state);

 private:
  torch::Tensor geometric(const torch::Tensor& x, const std::vector<int64_t>& out_spatial, double smin, double smax);
  torch::Tensor colour(const torch::Tensor& x);
  torch::Tensor blur(const torch::Tensor& x);
  torch::Tensor vector_view(const torch::Tensor& x);
  torch::Tensor image_view(const torch::Tensor& x, bool small);

  AugmentConfig cfg_;
  std::vector<int64_t> shape_, small_shape_;
  int modality_ = 0;  // 0 vector, 1 image, 2 volume
  bool colour_ = false;
  int64_t colour_batches_ = 0;
  at::Generator gen_;
};

}  // namespace rdc
