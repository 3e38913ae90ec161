#include "rdc/pretext/acai.h"

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/train/data_tensor.h"

namespace rdc {

namespace F = torch::nn::functional;

/// Running sums over the current epoch (buffers, so a mid-epoch checkpoint carries them):
/// rows, recon sum, critic loss sum, steps, per-batch spread sum, per-batch relative spread sum.
struct AcaiStats : torch::nn::Module {
  torch::Tensor sums;
  AcaiStats() { sums = register_buffer("sums", torch::zeros({6}, torch::kFloat64)); }
};

Acai::Acai(const PretextConfig& cfg, int64_t n_samples, const Context& ctx) : cfg_(cfg) {
  cfg_.validate();
  RDC_CHECK(n_samples >= 2, "acai needs at least 2 samples; got n={}", n_samples);
  torch::manual_seed(derive_seed(ctx.seed, "init"));
  m_ = cfg_.embed_dim > 0 ? cfg_.embed_dim : 10;
  if (cfg_.geometry == "auto") cfg_.geometry = "cosine";
  cosine_ = cfg_.geometry == "cosine";
  clean_target_ = cfg_.acai_target == "clean";
  EncoderConfig ec;
  ec.name = cfg_.encoder;
  ec.input_shape = cfg_.input_shape;
  ec.width = cfg_.encoder_width;
  ec.mlp_hidden = cfg_.mlp_hidden;
  ec.out_dim = m_;
  enc_ = make_encoder(ec);
  dec_ = make_decoder(ec, m_);
  critic_ = make_encoder(ec);
  stats_ = std::make_shared<AcaiStats>();
  to(torch_device(ctx));
  const double lr = cfg_.critic_lr > 0 ? cfg_.critic_lr : optim_defaults().lr;
  critic_opt_ = std::make_unique<torch::optim::Adam>(critic_->parameters(), torch::optim::AdamOptions(lr));
  if (cfg_.augment == "auto") cfg_.augment = "weak";  // recorded resolved: config() says what ran
  aug_ = std::make_unique<Augmenter>(AugmentConfig::preset(cfg_.augment),
                                     cfg_.input_shape, derive_seed(ctx.seed, "augment"));
  spdlog::info("acai: encoder {} -> m={} ({} parameters in encoder+decoder, {} in critic), lambda={}, "
               "invariance={}, reconstructs the {}, {} geometry",
               enc_->kind(), m_, count_parameters(*enc_) + count_parameters(*dec_), count_parameters(*critic_),
               cfg_.acai_lambda, cfg_.acai_invariance, clean_target_ ? "clean sample" : "augmented view",
               cfg_.geometry);
}

Acai::~Acai() = default;

torch::Tensor Acai::embed(const torch::Tensor& x) {
  torch::Tensor z = enc_->forward(x);
  if (!cosine_) return z;
  return torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
}
torch::Tensor Acai::decode(const torch::Tensor& z) { return dec_->forward(z); }
torch::Tensor Acai::critic(const torch::Tensor& x) { return critic_->forward(x).mean(1); }

void Acai::begin_epoch(const torch::Tensor& all_x, int64_t epoch) {
  (void)all_x, (void)epoch;
  torch::NoGradGuard no_grad;
  stats_->sums.zero_();
}

torch::Tensor Acai::instance_loss(const torch::Tensor& x, const torch::Tensor& idx, Augmenter& aug) {
  const int64_t b = x.size(0);
  RDC_CHECK(idx.numel() == b, "instance_loss: {} indices for a batch of {}", idx.numel(), b);
  RDC_CHECK(b >= 2, "acai needs batches of at least 2 samples (it mixes pairs); got {}", b);
  auto u = aug.uniform({2, b}).to(x.device());
  auto xa = aug.view(x);
  auto z = enc_->forward(xa);
  auto xr = dec_->forward(z);
  auto recon = F::mse_loss(xr, clean_target_ ? x : xa);

  auto loss = recon;
  if (cfg_.acai_invariance > 0) {  // a second view of the batch; its code should match the first's
    auto zb = enc_->forward(aug.view(x));
    auto inv = (1 - F::cosine_similarity(z, zb, F::CosineSimilarityFuncOptions().dim(1).eps(1e-8))).mean();
    loss = loss + cfg_.acai_invariance * inv;
  }
  double critic_value = 0;
  if (cfg_.acai_lambda > 0) {  // lambda = 0 is a plain autoencoder: no critic work at all
    std::vector<int64_t> bshape(static_cast<size_t>(x.dim()), 1);
    bshape[0] = b;
    auto alpha = (0.5 * u[0]).view({b, 1});
    auto z_mix = alpha * z + (1 - alpha) * z.flip({0});
    auto x_mix = dec_->forward(z_mix);
    if (training_ && torch::GradMode::is_enabled()) {
      // Critic step: predict alpha on interpolations, 0 on gamma-mixes of inputs and reconstructions.
      auto gamma = (0.5 - (u[1] - 0.5).abs()).view(bshape);
      auto real_mix = gamma * xa + (1 - gamma) * xr.detach();
      auto loss_c = F::mse_loss(critic(x_mix.detach()), alpha.view({b})) + critic(real_mix).pow(2).mean();
      critic_opt_->zero_grad();
      loss_c.backward();
      critic_opt_->step();
      critic_value = loss_c.item<double>();
    }
    loss = recon + cfg_.acai_lambda * critic(x_mix).pow(2).mean();
  }
  {
    torch::NoGradGuard no_grad;
    // Spread within the batch (not across steps, whose weights differ): ~0 means collapse.
    auto zd = z.detach().to(torch::kFloat64);
    auto spread = zd.std(0, /*unbiased=*/false).mean();
    auto rel = spread / zd.pow(2).mean().sqrt().clamp_min(1e-30);
    auto one = torch::ones_like(spread);
    stats_->sums += torch::stack({one * static_cast<double>(b), recon.detach().to(torch::kFloat64), one * critic_value,
                                  one, spread, rel});
  }
  last_view_ = z;
  return loss;
}

std::vector<std::pair<std::string, torch::nn::Module*>> Acai::modules() {
  return {{"encoder", enc_.get()}, {"decoder", dec_.get()}, {"critic", critic_.get()}, {"stats", stats_.get()}};
}

std::vector<torch::Tensor> Acai::parameters() {
  auto p = enc_->parameters();
  for (auto& t : dec_->parameters()) p.push_back(t);
  return p;
}

void Acai::set_train(bool on) {
  training_ = on;
  enc_->train(on);
  dec_->train(on);
  critic_->train(on);
}

void Acai::to(const torch::Device& dev) {
  enc_->to(dev);
  dec_->to(dev);
  critic_->to(dev);
  stats_->to(dev);
}

std::vector<std::pair<std::string, double>> Acai::epoch_stats() const {
  auto s = stats_->sums.to(torch::kCPU);
  const double steps = s[3].item<double>();
  if (steps < 1) return {};
  std::vector<std::pair<std::string, double>> out{{"recon", s[1].item<double>() / steps},
                                                   {"spread", s[4].item<double>() / steps},
                                                   {"spread_rel", s[5].item<double>() / steps}};
  if (cfg_.acai_lambda > 0) out.emplace_back("critic_loss", s[2].item<double>() / steps);  // no critic at 0
  return out;
}

OptimDefaults Acai::optim_defaults() const {
  OptimDefaults d;
  d.optimizer = "adam";
  d.lr = cfg_.lr > 0 ? cfg_.lr : 1e-3;  // measured: 1e-4 barely trains in a CPU budget of ~10 epochs
  d.schedule = "constant";
  d.warmup_epochs = 0;
  d.weight_decay = 0;
  return d;
}

std::vector<std::pair<std::string, torch::optim::Optimizer*>> Acai::internal_optimizers() {
  return {{"critic", critic_opt_.get()}};
}

}  // namespace rdc
