#pragma once
// Phase 1 of R-DC: instance-level self-supervision behind one interface.
// Pretexts: "deepcluster-v2" (normalised embedding, prototypes) and "acai"
// (autoencoder + critic on interpolations). Chosen by name via make_pretext().
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "rdc/core/context.h"
#include "rdc/pretext/pretext_config.h"

namespace rdc {

class Augmenter;  // augment/augment.h

/// Phase-1 pretext: owns the encoder, its heads and its augmenter.
class Pretext {
 public:
  virtual ~Pretext() = default;
  virtual std::string name() const = 0;
  /// Embedding used for clustering: (B, m); unit-norm rows when normalized().
  /// Runs in the module's current mode (call set_train(false) for a clean embedding).
  virtual torch::Tensor embed(const torch::Tensor& x) = 0;
  virtual int64_t embed_dim() const = 0;
  virtual bool normalized() const = 0;
  /// Called once per epoch before training with the whole data set (N, ...) on the device
  /// (DCv2: recompute prototypes from the memory bank). No-op by default.
  virtual void begin_epoch(const torch::Tensor& all_x, int64_t epoch) { (void)all_x, (void)epoch; }
  /// Instance-level loss on a batch (B, ...) with sample indices idx (B) int64 (rows of the all_x
  /// given to begin_epoch). Uses `aug` for the views it needs. Returns a scalar tensor with grad.
  virtual torch::Tensor instance_loss(const torch::Tensor& x, const torch::Tensor& idx, Augmenter& aug) = 0;
  /// Called after each optimiser step (e.g. to train a critic). No-op by default.
  virtual void after_step() {}
  /// All modules that hold state to checkpoint (named).
  virtual std::vector<std::pair<std::string, torch::nn::Module*>> modules() = 0;
  /// Trainable parameters of the encoder path (for the optimiser).
  virtual std::vector<torch::Tensor> parameters() = 0;
  virtual void set_train(bool on) = 0;
  virtual bool is_training() const = 0;
  virtual void to(const torch::Device& dev) = 0;
  /// Statistics of the last epoch for the log (e.g. prototype entropy, non-empty prototypes).
  /// Pretexts report "spread" (mean per-dimension std of the embeddings within a batch, averaged over
  /// the epoch's steps) and "spread_rel" (the same divided by the RMS value; ~0 means collapse);
  /// DCv2 also "proto_nonempty" (min over heads), "proto_entropy", "prototypes".
  virtual std::vector<std::pair<std::string, double>> epoch_stats() const { return {}; }

  /// The pretext's own augmenter (its recipe's strength), seeded from derive_seed(ctx.seed, "augment").
  /// Every random draw of the pretext comes from it or from seeds derived per epoch, so saving its
  /// state() in a checkpoint is enough for an exact resume.
  virtual Augmenter& augmenter() = 0;
  /// The optimiser recipe for this pretext (TrainConfig fields left at 0/"" take these).
  virtual OptimDefaults optim_defaults() const = 0;
  /// Optimisers the pretext steps itself (ACAI's critic), for checkpoints.
  virtual std::vector<std::pair<std::string, torch::optim::Optimizer*>> internal_optimizers() { return {}; }
  /// (B, m) embedding, with grad, of the first augmented view of the last instance_loss() batch
  /// (lets phase 2 reuse that forward pass); undefined before the first call.
  virtual torch::Tensor last_view_embedding() const { return last_view_; }
  virtual const PretextConfig& config() const = 0;

 protected:
  torch::Tensor last_view_;
};

/// Builds the pretext named cfg.name for a data set of n_samples rows, on torch_device(ctx), weights
/// initialised from derive_seed(ctx.seed, "init"). Validates cfg (including prototypes <= n).
std::unique_ptr<Pretext> make_pretext(const PretextConfig& cfg, int64_t n_samples, const Context& ctx);

}  // namespace rdc
