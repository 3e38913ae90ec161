#include "rdc/augment/augment.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "rdc/core/error.h"
#include "rdc/encoder/encoder_config.h"

namespace rdc {

namespace F = torch::nn::functional;

namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

// ---------------------------------------------------------------- augmenter

Augmenter::Augmenter(const AugmentConfig& cfg, const std::vector<int64_t>& sample_shape, uint64_t seed)
    : cfg_(cfg), shape_(sample_shape), gen_(at::detail::createCPUGenerator(seed)) {
  cfg_.validate();
  const Modality mod = sample_modality(shape_);
  modality_ = mod == Modality::kVector ? 0 : mod == Modality::kImage ? 1 : 2;
  small_shape_ = shape_;
  for (size_t i = 1; i < shape_.size() && modality_ != 0; ++i) {
    const int64_t s = std::llround(cfg_.small_size_ratio * static_cast<double>(shape_[i]));
    small_shape_[i] = std::min(shape_[i], std::max(cfg_.small_min_size, s));
  }
  colour_ = modality_ == 1 && shape_[0] == 3 && (cfg_.jitter_prob > 0 || cfg_.grey_prob > 0);
}

void Augmenter::reseed(uint64_t seed) { gen_ = at::detail::createCPUGenerator(seed); }

torch::Tensor Augmenter::uniform(const std::vector<int64_t>& shape) {
  return torch::rand(shape, gen_, torch::kFloat32);
}

torch::Tensor Augmenter::state() const { return gen_.get_state(); }

void Augmenter::set_state(const torch::Tensor& state) { gen_.set_state(state); }

torch::Tensor Augmenter::view(const torch::Tensor& x) {
  RDC_CHECK(x.dim() == static_cast<int64_t>(shape_.size()) + 1 &&
                std::equal(shape_.begin(), shape_.end(), x.sizes().begin() + 1),
            "augmenter built for samples {} got a batch [{}]", shape_str(shape_), fmt::join(x.sizes(), ", "));
  if (cfg_.strength == "none") return x;
  if (modality_ == 0) return vector_view(x);
  return image_view(x, false);
}

torch::Tensor Augmenter::small_view(const torch::Tensor& x) {
  if (modality_ == 0) return view(x);
  RDC_CHECK(x.dim() == static_cast<int64_t>(shape_.size()) + 1 &&
                std::equal(shape_.begin(), shape_.end(), x.sizes().begin() + 1),
            "augmenter built for samples {} got a batch [{}]", shape_str(shape_), fmt::join(x.sizes(), ", "));
  return image_view(x, true);
}

std::vector<torch::Tensor> Augmenter::multi_crop(const torch::Tensor& x, int large, int small) {
  RDC_CHECK(large >= 0 && small >= 0, "multi_crop: large={} and small={} must be >= 0", large, small);
  std::vector<torch::Tensor> out;
  for (int i = 0; i < large; ++i) out.push_back(view(x));
  for (int i = 0; i < small; ++i) out.push_back(small_view(x));
  return out;
}

torch::Tensor Augmenter::image_view(const torch::Tensor& x, bool small) {
  std::vector<int64_t> out_spatial((small ? small_shape_ : shape_).begin() + 1, (small ? small_shape_ : shape_).end());
  auto y = small ? geometric(x, out_spatial, cfg_.small_scale_min, cfg_.small_scale_max)
                 : geometric(x, out_spatial, cfg_.crop_scale_min, cfg_.crop_scale_max);
  if (modality_ == 1) {
    if (colour_) y = colour(y);
    if (cfg_.blur_prob > 0) y = blur(y);
  }
  return y;
}

torch::Tensor Augmenter::geometric(const torch::Tensor& x, const std::vector<int64_t>& out_spatial, double smin,
                                   double smax) {
  const int64_t b = x.size(0);
  const bool vol = modality_ == 2;
  // 10 uniforms per sample: area, ratio, centre (3), flips (3), rotation, unused for images.
  auto u = torch::rand({b, 12}, gen_, torch::kFloat64);
  if (smin >= 1 && cfg_.flip_prob <= 0 && cfg_.max_shift <= 0 && cfg_.max_rotation_deg <= 0 &&
      std::equal(out_spatial.begin(), out_spatial.end(), x.sizes().begin() + 2))
    return x;  // identity geometry: skip the resampling (exact, and faster)
  auto area = smin + (smax - smin) * u.select(1, 0);
  auto rot = (u.select(1, 8) * 2 - 1) * (cfg_.max_rotation_deg * kPi / 180.0);
  auto cosr = torch::cos(rot), sinr = torch::sin(rot);
  auto flip = [&](int k) { return torch::where(u.select(1, k) < cfg_.flip_prob, torch::full_like(rot, -1.0), torch::ones_like(rot)); };
  auto shift = [&](int k) { return (u.select(1, k) * 2 - 1) * (2.0 * cfg_.max_shift); };  // normalised coords span 2
  torch::Tensor theta;
  if (!vol) {
    // Aspect ratio r log-uniform in [max(1/rmax, area), min(rmax, 1/area)] so that both sides fit (<= 1).
    const double lr_max = std::log(cfg_.crop_ratio_max);
    auto lo = torch::clamp_min(torch::log(area), -lr_max), hi = torch::clamp_max(-torch::log(area), lr_max);
    auto r = torch::exp(lo + (hi - lo) * u.select(1, 1));
    auto cw = torch::sqrt(area * r).clamp_max(1.0), ch = torch::sqrt(area / r).clamp_max(1.0);
    auto cx = (u.select(1, 2) * 2 - 1) * (1 - cw) + shift(9);
    auto cy = (u.select(1, 3) * 2 - 1) * (1 - ch) + shift(10);
    auto fx = flip(5);
    theta = torch::stack({torch::stack({cw * cosr * fx, -cw * sinr, cx}, 1),
                          torch::stack({ch * sinr * fx, ch * cosr, cy}, 1)}, 1);  // (B, 2, 3)
  } else {
    auto side = torch::pow(area, 1.0 / 3.0);
    auto cx = (u.select(1, 2) * 2 - 1) * (1 - side) + shift(9);
    auto cy = (u.select(1, 3) * 2 - 1) * (1 - side) + shift(10);
    auto cz = (u.select(1, 4) * 2 - 1) * (1 - side) + shift(11);
    auto fx = flip(5), fy = flip(6), fz = flip(7);
    auto zero = torch::zeros_like(rot);
    // grid coords are (x, y, z) = (W, H, D); rotation in the H-W plane.
    theta = torch::stack({torch::stack({side * cosr * fx, -side * sinr * fy, zero, cx}, 1),
                          torch::stack({side * sinr * fx, side * cosr * fy, zero, cy}, 1),
                          torch::stack({zero, zero, side * fz, cz}, 1)}, 1);  // (B, 3, 4)
  }
  theta = theta.to(x.device(), x.scalar_type());
  std::vector<int64_t> size{b, x.size(1)};
  size.insert(size.end(), out_spatial.begin(), out_spatial.end());
  auto grid = F::affine_grid(theta, size, /*align_corners=*/false);
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
}

torch::Tensor Augmenter::colour(const torch::Tensor& x) {
  // x: (B, 3, H, W). Brightness, contrast, then saturation + hue + grey-scale as one 3x3 matrix per sample.
  ++colour_batches_;
  const int64_t b = x.size(0);
  auto u = torch::rand({b, 6}, gen_, torch::kFloat64);
  auto on = u.select(1, 0) < cfg_.jitter_prob;
  auto factor = [&](int k, double amp) {
    return torch::where(on, 1 + (u.select(1, k) * 2 - 1) * amp, torch::ones_like(u.select(1, k)));
  };
  auto bright = factor(1, cfg_.brightness), contr = factor(2, cfg_.contrast), satur = factor(3, cfg_.saturation);
  auto hue = torch::where(on, (u.select(1, 4) * 2 - 1) * cfg_.hue * 2 * kPi, torch::zeros_like(bright));
  auto grey = u.select(1, 5) < cfg_.grey_prob;

  const auto lum = torch::tensor({0.299, 0.587, 0.114}, torch::kFloat64);
  auto eye = torch::eye(3, torch::kFloat64).expand({b, 3, 3});
  auto lum_rows = lum.view({1, 1, 3}).expand({b, 3, 3});  // every row = luminance weights
  auto s = satur.view({b, 1, 1});
  auto m_sat = s * eye + (1 - s) * lum_rows;
  // Hue: rotate the chroma plane of YIQ.
  const auto to_yiq = torch::tensor({0.299, 0.587, 0.114, 0.596, -0.274, -0.322, 0.211, -0.523, 0.312}, torch::kFloat64).view({3, 3});
  const auto from_yiq = torch::inverse(to_yiq);
  auto c = torch::cos(hue), sn = torch::sin(hue), one = torch::ones_like(hue), zero = torch::zeros_like(hue);
  auto rot = torch::stack({torch::stack({one, zero, zero}, 1), torch::stack({zero, c, -sn}, 1), torch::stack({zero, sn, c}, 1)}, 1);
  auto m_hue = torch::matmul(torch::matmul(from_yiq, rot), to_yiq);
  auto m = torch::matmul(m_hue, m_sat);
  m = torch::where(grey.view({b, 1, 1}), torch::matmul(lum_rows, m), m);

  const auto dev = x.device();
  const auto dt = x.scalar_type();
  auto lo = x.min(), hi = x.max();
  auto y = x * bright.to(dev, dt).view({b, 1, 1, 1});
  auto mean = (y * lum.to(dev, dt).view({1, 3, 1, 1})).sum(1, true).mean({2, 3}, true);  // (B,1,1,1)
  y = (y - mean) * contr.to(dev, dt).view({b, 1, 1, 1}) + mean;
  y = torch::max(torch::min(y, hi), lo);
  y = torch::einsum("bij,bjhw->bihw", {m.to(dev, dt), y});
  return torch::max(torch::min(y, hi), lo);
}

torch::Tensor Augmenter::blur(const torch::Tensor& x) {
  // Separable Gaussian blur with a per-sample sigma (identity kernel for samples not blurred).
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  int64_t k = std::llround(0.1 * static_cast<double>(std::min(h, w)));
  if (k % 2 == 0) ++k;
  k = std::max<int64_t>(k, 3);
  auto u = torch::rand({b, 2}, gen_, torch::kFloat64);
  auto on = u.select(1, 0) < cfg_.blur_prob;
  auto sigma = cfg_.blur_sigma_min + (cfg_.blur_sigma_max - cfg_.blur_sigma_min) * u.select(1, 1);
  auto t = torch::arange(k, torch::kFloat64) - static_cast<double>(k / 2);
  auto kern = torch::exp(-(t * t).view({1, k}) / (2 * (sigma * sigma).view({b, 1})));
  kern = kern / kern.sum(1, true);
  auto delta = torch::zeros({1, k}, torch::kFloat64);
  delta[0][k / 2] = 1.0;
  kern = torch::where(on.view({b, 1}), kern, delta);  // (B, k)
  kern = kern.repeat_interleave(c, 0).to(x.device(), x.scalar_type());  // (B*C, k)
  const int64_t p = k / 2;
  const bool reflect = h > p && w > p;
  auto y = x.reshape({1, b * c, h, w});
  F::PadFuncOptions pad({p, p, p, p});
  if (reflect)
    pad.mode(torch::kReflect);
  else
    pad.mode(torch::kReplicate);
  y = F::pad(y, pad);
  y = F::conv2d(y, kern.view({b * c, 1, k, 1}), F::Conv2dFuncOptions().groups(b * c));
  y = F::conv2d(y, kern.view({b * c, 1, 1, k}), F::Conv2dFuncOptions().groups(b * c));
  return y.view({b, c, h, w});
}

torch::Tensor Augmenter::vector_view(const torch::Tensor& x) {
  const int64_t b = x.size(0), d = x.size(1);
  auto y = x;
  if (cfg_.noise_std > 0) {
    auto std = b > 1 ? x.std(0, /*unbiased=*/false, /*keepdim=*/true) : torch::zeros({1, d}, x.options());
    auto noise = torch::randn({b, d}, gen_, torch::kFloat32).to(x.device(), x.scalar_type());
    y = y + noise * std * cfg_.noise_std;
  }
  if (cfg_.feature_drop > 0) {
    auto drop = (torch::rand({b, d}, gen_, torch::kFloat32) < cfg_.feature_drop).to(x.device());
    y = torch::where(drop, x.mean(0, true).expand({b, d}), y);
  }
  return y;
}

}  // namespace rdc
