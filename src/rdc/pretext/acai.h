#pragma once
// ACAI autoencoder (Berthelot et al., "Understanding and Improving Interpolation in
// Autoencoders via an Adversarial Regularizer", ICLR 2019), the pretext DynAE uses:
//   AE loss     = MSE(dec(enc(a(x))), a(x)) + lambda * mean critic(dec(alpha z_i + (1-alpha) z_j))^2
//   critic loss = mean (critic(x_mix) - alpha)^2 + mean critic(gamma a(x) + (1-gamma) x_rec)^2
// with alpha ~ U(0, 0.5), j = the batch reversed, gamma = 0.5 - |u - 0.5|, u ~ U(0, 1).
// The critic (same architecture as the encoder, outputs averaged to a scalar) has its own
// Adam optimiser, stepped inside instance_loss() before the AE loss is formed.
#include <memory>

#include "rdc/augment/augment.h"
#include "rdc/encoder/encoder.h"
#include "rdc/pretext/pretext.h"

namespace rdc {

struct AcaiStats;  // running epoch statistics as buffers (acai.cc)

class Acai : public Pretext {
 public:
  Acai(const PretextConfig& cfg, int64_t n_samples, const Context& ctx);
  ~Acai() override;
  std::string name() const override { return "acai"; }
  /// z = enc(x): (B, m); rows L2-normalised in the cosine geometry (PretextConfig::geometry).
  torch::Tensor embed(const torch::Tensor& x) override;
  int64_t embed_dim() const override { return m_; }
  bool normalized() const override { return cosine_; }
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
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> internal_optimizers() override;
  const PretextConfig& config() const override { return cfg_; }

  /// x_rec = dec(z): (B, m) -> (B, input_shape...).
  torch::Tensor decode(const torch::Tensor& z);
  /// Critic score per sample: (B, input_shape...) -> (B).
  torch::Tensor critic(const torch::Tensor& x);

 private:
  PretextConfig cfg_;
  int64_t m_;
  bool cosine_;
  bool clean_target_ = false;  ///< reconstruct the un-augmented sample (acai_target = "clean")
  bool training_ = true;
  EncoderPtr enc_, critic_;
  DecoderPtr dec_;
  std::shared_ptr<AcaiStats> stats_;
  std::unique_ptr<torch::optim::Adam> critic_opt_;
  std::unique_ptr<Augmenter> aug_;
};

}  // namespace rdc
