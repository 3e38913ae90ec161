#include "rdc/pretext/deepcluster_v2.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "rdc/core/error.h"
#include "rdc/pretext/acai.h"
#include "rdc/train/data_tensor.h"

namespace rdc {

namespace F = torch::nn::functional;

/// Projection head: Linear -> BatchNorm1d -> ReLU -> Linear.
struct Dcv2Head : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  Dcv2Head(int64_t in, int64_t hidden, int64_t out) {
    fc1 = register_module("fc1", torch::nn::Linear(in, hidden));
    bn = register_module("bn", torch::nn::BatchNorm1d(hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, out));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(bn(fc1(x)))); }
};

/// Non-trainable state, as buffers so that checkpoints carry it.
struct Dcv2State : torch::nn::Module {
  torch::Tensor prototypes;   // (H, P, m) float32, frozen prototype weights
  torch::Tensor bank;         // (2, N, m) float32, embeddings of the 2 large views
  torch::Tensor assignments;  // (H, N) int64, targets of the current epoch (-1 = none yet)
  torch::Tensor filled;       // () int64, 1 once the bank holds embeddings of every sample
  torch::Tensor stats;        // (3) float64: mean assignment entropy (nats), min and mean non-empty prototypes
  torch::Tensor batch_stats;  // (3) float64 over the epoch's steps: sum of per-batch spread, of relative spread, steps
  Dcv2State(int64_t h, int64_t p, int64_t n, int64_t m) {
    prototypes = register_buffer("prototypes", torch::zeros({h, p, m}));
    bank = register_buffer("bank", torch::zeros({2, n, m}));
    assignments = register_buffer("assignments", torch::full({h, n}, -1, torch::kLong));
    filled = register_buffer("bank_filled", torch::zeros({}, torch::kLong));
    stats = register_buffer("stats", torch::zeros({3}, torch::kFloat64));
    batch_stats = register_buffer("batch_stats", torch::zeros({3}, torch::kFloat64));
  }
};

// ---------------------------------------------------------------- spherical k-means

namespace {

/// Nearest centroid (largest inner product) of every row, in chunks to bound memory.
torch::Tensor assign_rows(const torch::Tensor& x, const torch::Tensor& c) {
  const int64_t n = x.size(0);
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(1, c.size(0)));  // ~64 MB of scores
  auto out = torch::empty({n}, x.options().dtype(torch::kLong));
  for (int64_t i = 0; i < n; i += chunk) {
    const int64_t j = std::min(n, i + chunk);
    out.slice(0, i, j).copy_(torch::matmul(x.slice(0, i, j), c.t()).argmax(1));
  }
  return out;
}

}  // namespace

SphericalKMeansResult spherical_kmeans(const torch::Tensor& x, int64_t p, int iters, uint64_t seed) {
  RDC_CHECK(x.dim() == 2, "spherical k-means expects (N, m) data; got {} dims", x.dim());
  const int64_t n = x.size(0);
  RDC_CHECK(p >= 1 && p <= n, "spherical k-means: P={} prototypes for N={} points; need 1 <= P <= N", p, n);
  RDC_CHECK(iters >= 0, "spherical k-means: iters={} must be >= 0", iters);
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed);
  auto init = torch::randperm(n, gen, torch::kLong).slice(0, 0, p).to(x.device());
  auto c = x.index_select(0, init).clone();
  torch::Tensor a;
  for (int it = 0; it < iters; ++it) {
    a = assign_rows(x, c);
    auto sums = torch::zeros_like(c).index_add_(0, a, x);
    auto counts = torch::bincount(a, {}, p);
    auto fresh = F::normalize(sums, F::NormalizeFuncOptions().dim(1));
    c = torch::where((counts > 0).unsqueeze(1), fresh, c);  // empty clusters keep their old centroid
  }
  a = assign_rows(x, c);
  return {c, a, torch::bincount(a, {}, p)};
}

int64_t resolve_prototypes(int64_t requested, int64_t n, int64_t min_points) {
  constexpr int64_t kAutoPrototypes = 1000;
  RDC_CHECK(n >= 1, "deepcluster-v2 needs at least 1 sample; got n={}", n);
  RDC_CHECK(min_points >= 1, "min_points_per_prototype={} must be >= 1", min_points);
  if (requested > 0) {
    if (requested > n) {
      spdlog::warn("deepcluster-v2: prototypes={} > n={} samples; capped to {} (case C12)", requested, n, n);
      return n;
    }
    if (requested * min_points > n)
      spdlog::warn("deepcluster-v2: prototypes={} leaves only {:.1f} samples per prototype (n={})", requested,
                   static_cast<double>(n) / requested, n);
    return requested;
  }
  const int64_t cap = n / min_points;
  int64_t p = std::max(std::min(kAutoPrototypes, cap), std::min<int64_t>(n, 2));
  if (cap < kAutoPrototypes)
    spdlog::warn("deepcluster-v2: prototypes capped to P={} by n={} samples (>= {} samples per prototype; uncapped "
                 "default {}) (case C12)",
                 p, n, min_points, kAutoPrototypes);
  return p;
}

// ---------------------------------------------------------------- pretext

DeepClusterV2::DeepClusterV2(const PretextConfig& cfg, int64_t n_samples, const Context& ctx)
    : cfg_(cfg), ctx_(ctx), n_(n_samples) {
  cfg_.validate();
  RDC_CHECK(n_samples >= 2, "deepcluster-v2 needs at least 2 samples (batch norm); got n={}", n_samples);
  torch::manual_seed(derive_seed(ctx.seed, "init"));
  m_ = cfg_.embed_dim > 0 ? cfg_.embed_dim : 128;
  p_ = resolve_prototypes(cfg_.prototypes, n_, cfg_.min_points_per_prototype);
  EncoderConfig ec;
  ec.name = cfg_.encoder;
  ec.input_shape = cfg_.input_shape;
  ec.width = cfg_.encoder_width;
  ec.mlp_hidden = cfg_.mlp_hidden;
  backbone_ = make_encoder(ec);
  head_ = std::make_shared<Dcv2Head>(backbone_->out_dim(), cfg_.proj_hidden, m_);
  state_ = std::make_shared<Dcv2State>(cfg_.heads, p_, n_, m_);
  if (cfg_.augment == "auto") cfg_.augment = "strong";  // recorded resolved: config() says what ran
  aug_ = std::make_unique<Augmenter>(AugmentConfig::preset(cfg_.augment),
                                     cfg_.input_shape, derive_seed(ctx.seed, "augment"));
  to(torch_device(ctx));
  spdlog::info("deepcluster-v2: encoder {} ({} features, {} parameters), m={}, heads={}, prototypes={}, crops 2+{}",
               backbone_->kind(), backbone_->out_dim(), count_parameters(*backbone_) + count_parameters(*head_), m_,
               cfg_.heads, p_, cfg_.small_crops);
}

torch::Tensor DeepClusterV2::project(const torch::Tensor& x) {
  return F::normalize(head_->forward(backbone_->forward(x)), F::NormalizeFuncOptions().dim(1));
}

torch::Tensor DeepClusterV2::embed(const torch::Tensor& x) { return project(x); }

void DeepClusterV2::fill_bank(const torch::Tensor& all_x) {
  // Batch-statistics (train) mode, without grad: before any training, eval-mode batch norm has identity
  // running statistics and maps every sample onto nearly the same point (the head's bias), which would
  // give k-means nothing to separate. (The BN running averages move a little, as in any training pass.)
  const bool was = training_;
  set_train(true);
  torch::NoGradGuard no_grad;
  const int64_t bs = 512;
  for (int64_t i = 0; i < n_; i += bs) {
    const int64_t j = std::min(n_, i + bs);
    auto xb = all_x.slice(0, i, j);
    for (int v = 0; v < 2; ++v) state_->bank.select(0, v).slice(0, i, j).copy_(project(aug_->view(xb)));
  }
  state_->filled.fill_(1);
  set_train(was);
}

void DeepClusterV2::begin_epoch(const torch::Tensor& all_x, int64_t epoch) {
  RDC_CHECK(all_x.size(0) == n_, "deepcluster-v2 was built for n={} samples; begin_epoch got {}", n_, all_x.size(0));
  if (state_->filled.item<int64_t>() == 0) fill_bank(all_x);
  torch::NoGradGuard no_grad;
  double entropy = 0, nonempty_min = 1e300, nonempty_mean = 0;
  for (int h = 0; h < cfg_.heads; ++h) {
    auto r = spherical_kmeans(state_->bank.select(0, h % 2), p_, cfg_.kmeans_iters,
                              derive_seed(ctx_.seed, fmt::format("dcv2-kmeans-{}-{}", epoch, h)));
    state_->prototypes.select(0, h).copy_(r.centroids);
    state_->assignments.select(0, h).copy_(r.assignments);
    auto freq = r.counts.to(torch::kCPU, torch::kFloat64) / static_cast<double>(n_);
    auto nz = freq.masked_select(freq > 0);
    entropy += -(nz * nz.log()).sum().item<double>();
    const double ne = static_cast<double>(nz.numel());
    nonempty_min = std::min(nonempty_min, ne);
    nonempty_mean += ne;
  }
  auto s = state_->stats;
  s.copy_(torch::tensor({entropy / cfg_.heads, nonempty_min, nonempty_mean / cfg_.heads}, torch::kFloat64));
  state_->batch_stats.zero_();
}

torch::Tensor DeepClusterV2::instance_loss(const torch::Tensor& x, const torch::Tensor& idx, Augmenter& aug) {
  RDC_CHECK(state_->filled.item<int64_t>() == 1,
            "deepcluster-v2: begin_epoch() must run before instance_loss() (no prototypes yet)");
  const int64_t b = x.size(0);
  RDC_CHECK(idx.numel() == b, "instance_loss: {} indices for a batch of {}", idx.numel(), b);
  auto crops = aug.multi_crop(x, 2, cfg_.small_crops);
  auto e_large = project(torch::cat({crops[0], crops[1]}, 0));  // views grouped by resolution
  std::vector<torch::Tensor> parts{e_large};
  if (cfg_.small_crops > 0) {
    auto small = torch::cat(std::vector<torch::Tensor>(crops.begin() + 2, crops.end()), 0);
    if (backbone_->kind() == "mlp" && small.dim() >= 4 && small.sizes().slice(1) != x.sizes().slice(1)) {
      // A flattening encoder needs the input size: small crops are resized up to it (low resolution).
      std::vector<int64_t> size(x.sizes().begin() + 2, x.sizes().end());
      auto opts = F::InterpolateFuncOptions().size(size).align_corners(false);
      if (small.dim() == 4) opts.mode(torch::kBilinear);
      else opts.mode(torch::kTrilinear);
      small = F::interpolate(small, opts);
    }
    parts.push_back(project(small));
  }
  auto e = parts.size() == 1 ? e_large : torch::cat(parts, 0);
  const int64_t views = 2 + cfg_.small_crops;
  auto idx_dev = idx.to(e.device(), torch::kLong);
  {
    torch::NoGradGuard no_grad;  // the bank feeds the next epoch's k-means
    state_->bank.select(0, 0).index_copy_(0, idx_dev, e_large.slice(0, 0, b).detach());
    state_->bank.select(0, 1).index_copy_(0, idx_dev, e_large.slice(0, b, 2 * b).detach());
    // Spread within the batch (not across steps, whose weights differ): ~0 means collapse.
    auto e0 = e_large.slice(0, 0, b).detach().to(torch::kFloat64);
    auto spread = e0.std(0, /*unbiased=*/false).mean();
    auto rel = spread / e0.pow(2).mean().sqrt().clamp_min(1e-30);
    state_->batch_stats += torch::stack({spread, rel, torch::ones_like(spread)});
  }
  torch::Tensor loss;
  for (int h = 0; h < cfg_.heads; ++h) {
    auto scores = torch::matmul(e, state_->prototypes.select(0, h).t()) / cfg_.temperature;
    auto target = state_->assignments.select(0, h).index_select(0, idx_dev).repeat({views});
    auto l = F::cross_entropy(scores, target);
    loss = loss.defined() ? loss + l : l;
  }
  last_view_ = e_large.slice(0, 0, b);
  return loss / static_cast<double>(cfg_.heads);
}

std::vector<std::pair<std::string, torch::nn::Module*>> DeepClusterV2::modules() {
  return {{"backbone", backbone_.get()}, {"head", head_.get()}, {"state", state_.get()}};
}

std::vector<torch::Tensor> DeepClusterV2::parameters() {
  auto p = backbone_->parameters();
  for (auto& t : head_->parameters()) p.push_back(t);
  return p;
}

void DeepClusterV2::set_train(bool on) {
  training_ = on;
  backbone_->train(on);
  head_->train(on);
  state_->train(on);
}

void DeepClusterV2::to(const torch::Device& dev) {
  backbone_->to(dev);
  head_->to(dev);
  state_->to(dev);
}

std::vector<std::pair<std::string, double>> DeepClusterV2::epoch_stats() const {
  torch::NoGradGuard no_grad;
  auto s = state_->stats.to(torch::kCPU);
  auto bs = state_->batch_stats.to(torch::kCPU);
  const double steps = bs[2].item<double>();
  double spread = 0, rel = 0;
  if (steps > 0) {
    spread = bs[0].item<double>() / steps;
    rel = bs[1].item<double>() / steps;
  } else {  // no training step yet: the bank's spread
    auto bank = state_->bank.select(0, 0);
    spread = bank.std(0, /*unbiased=*/false).mean().item<double>();
    const double rms = bank.pow(2).mean().sqrt().item<double>();
    rel = rms > 0 ? spread / rms : 0.0;
  }
  return {{"proto_entropy", s[0].item<double>()},
          {"proto_entropy_max", std::log(static_cast<double>(p_))},
          {"proto_nonempty", s[1].item<double>()},
          {"proto_nonempty_mean", s[2].item<double>()},
          {"prototypes", static_cast<double>(p_)},
          {"spread", spread},
          {"spread_rel", rel}};
}

OptimDefaults DeepClusterV2::optim_defaults() const {
  OptimDefaults d;
  d.optimizer = "sgd";
  d.lr = cfg_.lr > 0 ? cfg_.lr : 0.05;
  d.schedule = "cosine";
  d.warmup_epochs = 1;
  d.weight_decay = cfg_.weight_decay;
  return d;
}

torch::Tensor DeepClusterV2::prototype_weights() const { return state_->prototypes; }
torch::Tensor DeepClusterV2::assignments() const { return state_->assignments; }
torch::Tensor DeepClusterV2::memory_bank() const { return state_->bank; }

// ---------------------------------------------------------------- factory
// (here rather than in a translation unit of its own: every libtorch unit costs ~30 s to compile)

std::unique_ptr<Pretext> make_pretext(const PretextConfig& cfg_in, int64_t n_samples, const Context& ctx) {
  cfg_in.validate();
  PretextConfig cfg = cfg_in;
  cfg.name = resolve_pretext_name(cfg.name, cfg.input_shape);
  if (cfg.name == "acai") return std::make_unique<Acai>(cfg, n_samples, ctx);
  return std::make_unique<DeepClusterV2>(cfg, n_samples, ctx);
}

}  // namespace rdc
