#pragma once
// DeepCluster-v2 (Caron et al., "Unsupervised Learning of Visual Features by Contrasting
// Cluster Assignments", NeurIPS 2020), the instance-level pretext of R-DC phase 1:
// backbone -> projection head (Linear-BN-ReLU-Linear, L2-normalised) -> H frozen prototype
// heads whose weights are the centroids of a spherical k-means on a memory bank of the
// previous epoch's embeddings; loss = cross-entropy of softmax(C_h^T e / tau) vs the
// sample's k-means assignment, averaged over heads and multi-crop views.
#include <memory>

#include "rdc/augment/augment.h"
#include "rdc/encoder/encoder.h"
#include "rdc/pretext/pretext.h"

namespace rdc {

struct SphericalKMeansResult {
  torch::Tensor centroids;    ///< (P, m) unit rows, on the data's device
  torch::Tensor assignments;  ///< (N) int64, nearest centroid (largest inner product)
  torch::Tensor counts;       ///< (P) int64 cluster sizes
};

/// Spherical k-means on the rows of x (N, m), batched in torch on x's device: `iters` Lloyd
/// iterations (empty clusters keep their old centroid), init = P distinct rows drawn with `seed`.
/// Requires 1 <= p <= N (error names both numbers otherwise).
SphericalKMeansResult spherical_kmeans(const torch::Tensor& x, int64_t p, int iters, uint64_t seed);

/// Prototype count for n samples: explicit `requested` (capped to n with a warning) or the auto rule
/// min(1000, n / min_points) (at least 2, at most n), with a warning when n caps it (case C12).
int64_t resolve_prototypes(int64_t requested, int64_t n, int64_t min_points);

struct Dcv2Head;   // projection head (deepcluster_v2.cc)
struct Dcv2State;  // prototypes, memory bank, assignments, statistics as buffers

class DeepClusterV2 : public Pretext {
 public:
  DeepClusterV2(const PretextConfig& cfg, int64_t n_samples, const Context& ctx);
  std::string name() const override { return "deepcluster-v2"; }
  torch::Tensor embed(const torch::Tensor& x) override;
  int64_t embed_dim() const override { return m_; }
  bool normalized() const override { return true; }
  void begin_epoch(const torch::Tensor& all_x, int64_t epoch) override;
  torch::Tensor instance_loss(const torch::Tensor& x, const torch::Tensor& idx, Augmenter& aug) override;
  std::vector<std::pair<std::string, torch::nn::Module*>> modules() override;
  std::vector<torch::Tensor> parameters() override;
  void set_train(bool on) override;
  bool is_training() const override { return training_; }
  void to(const torch::Device& dev) override;
  std::vector<std::pair<std::string, double>> epoch_stats() const override;
  Augmenter& augmenter() override { return *aug_; }
  OptimDefaults optim_defaults() const override;
  const PretextConfig& config() const override { return cfg_; }

  int64_t prototypes() const { return p_; }
  /// (H, P, m) prototype weights (frozen; set by begin_epoch).
  torch::Tensor prototype_weights() const;
  /// (H, N) int64 assignments of the last begin_epoch.
  torch::Tensor assignments() const;
  /// (2, N, m) memory bank.
  torch::Tensor memory_bank() const;

 private:
  void fill_bank(const torch::Tensor& all_x);
  torch::Tensor project(const torch::Tensor& x);

  PretextConfig cfg_;
  Context ctx_;
  int64_t n_, m_, p_;
  bool training_ = true;
  EncoderPtr backbone_;
  std::shared_ptr<Dcv2Head> head_;
  std::shared_ptr<Dcv2State> state_;
  std::unique_ptr<Augmenter> aug_;
};

}  // namespace rdc
