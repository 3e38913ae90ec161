#include "rdc/encoder/encoder.h"

#include <fmt/format.h>

#include "rdc/core/error.h"

namespace rdc {

namespace F = torch::nn::functional;

int64_t count_parameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

namespace {

// ---------------------------------------------------------------- building blocks

/// conv3x3 (no bias) -> BatchNorm -> ReLU, 2-D.
struct ConvBnRelu2dImpl : torch::nn::Module {
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  ConvBnRelu2dImpl(int64_t in, int64_t out, int64_t stride) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(out));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn(conv(x))); }
};
TORCH_MODULE(ConvBnRelu2d);

/// conv3x3x3 (no bias) -> BatchNorm -> ReLU, 3-D.
struct ConvBnRelu3dImpl : torch::nn::Module {
  torch::nn::Conv3d conv{nullptr};
  torch::nn::BatchNorm3d bn{nullptr};
  ConvBnRelu3dImpl(int64_t in, int64_t out, int64_t stride) {
    conv = register_module("conv", torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm3d(out));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn(conv(x))); }
};
TORCH_MODULE(ConvBnRelu3d);

/// ResNet BasicBlock: conv-BN-ReLU-conv-BN + shortcut, ReLU.
struct BasicBlockImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, short_conv{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, short_bn{nullptr};
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).stride(1).padding(1).bias(false)));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
    if (stride != 1 || in != out) {
      short_conv = register_module("short_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
      short_bn = register_module("short_bn", torch::nn::BatchNorm2d(out));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = torch::relu(bn1(conv1(x)));
    h = bn2(conv2(h));
    auto s = short_conv ? short_bn(short_conv(x)) : x;
    return torch::relu(h + s);
  }
};
TORCH_MODULE(BasicBlock);

/// Checks the trailing dims of x against the expected channel count / numel.
void check_channels(const torch::Tensor& x, int64_t want_dim, int64_t channels, const char* who) {
  RDC_CHECK(x.dim() == want_dim && x.size(1) == channels, "{} encoder expects input (B, {}, ...) with {} dims; got [{}]",
            who, channels, want_dim, fmt::join(x.sizes(), ", "));
}

// Spatial size after a conv3x3, padding 1, stride 2: ceil(s / 2).
int64_t half(int64_t s) { return (s + 1) / 2; }

// ---------------------------------------------------------------- encoders

class MlpEncoder : public Encoder {
 public:
  explicit MlpEncoder(const EncoderConfig& cfg) : in_(sample_numel(cfg.input_shape)) {
    int64_t prev = in_;
    for (size_t i = 0; i < cfg.mlp_hidden.size(); ++i) {
      fc_.push_back(register_module(fmt::format("fc{}", i), torch::nn::Linear(prev, cfg.mlp_hidden[i])));
      prev = cfg.mlp_hidden[i];
    }
    if (cfg.out_dim > 0) {
      out_ = register_module("out", torch::nn::Linear(prev, cfg.out_dim));
      prev = cfg.out_dim;
    }
    dim_ = prev;
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    RDC_CHECK(x.dim() >= 1 && x.size(0) > 0 && x.numel() / x.size(0) == in_,
              "mlp encoder expects {} values per sample; got input [{}]", in_, fmt::join(x.sizes(), ", "));
    auto h = x.reshape({x.size(0), in_});
    for (auto& l : fc_) h = torch::relu(l(h));
    if (out_) h = out_(h);
    return h;
  }
  int64_t out_dim() const override { return dim_; }
  std::string kind() const override { return "mlp"; }

 private:
  int64_t in_, dim_ = 0;
  std::vector<torch::nn::Linear> fc_;
  torch::nn::Linear out_{nullptr};
};

class ConvEncoder : public Encoder {
 public:
  explicit ConvEncoder(const EncoderConfig& cfg) : channels_(cfg.input_shape[0]) {
    const int64_t w = cfg.width > 0 ? cfg.width : 32;
    const int64_t ch[5] = {channels_, w, 2 * w, 4 * w, 8 * w};
    const int64_t stride[4] = {1, 2, 2, 2};
    for (int i = 0; i < 4; ++i)
      blocks_.push_back(register_module(fmt::format("block{}", i), ConvBnRelu2d(ch[i], ch[i + 1], stride[i])));
    dim_ = ch[4];
    if (cfg.out_dim > 0) {
      out_ = register_module("out", torch::nn::Linear(dim_, cfg.out_dim));
      dim_ = cfg.out_dim;
    }
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    check_channels(x, 4, channels_, "conv");
    auto h = x;
    for (auto& b : blocks_) h = b(h);
    h = h.mean({2, 3});
    if (out_) h = out_(h);
    return h;
  }
  int64_t out_dim() const override { return dim_; }
  std::string kind() const override { return "conv"; }

 private:
  int64_t channels_, dim_ = 0;
  std::vector<ConvBnRelu2d> blocks_;
  torch::nn::Linear out_{nullptr};
};

class ResNet18Encoder : public Encoder {
 public:
  explicit ResNet18Encoder(const EncoderConfig& cfg) : channels_(cfg.input_shape[0]) {
    const int64_t w = cfg.width > 0 ? cfg.width : 64;
    stem_conv_ = register_module("stem_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels_, w, 3).stride(1).padding(1).bias(false)));
    stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(w));
    int64_t in = w;
    const int64_t mult[4] = {1, 2, 4, 8};
    for (int stage = 0; stage < 4; ++stage) {
      const int64_t out = w * mult[stage];
      for (int b = 0; b < 2; ++b) {
        const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
        blocks_.push_back(register_module(fmt::format("layer{}_{}", stage + 1, b), BasicBlock(in, out, stride)));
        in = out;
      }
    }
    dim_ = in;
    if (cfg.out_dim > 0) {
      out_ = register_module("out", torch::nn::Linear(dim_, cfg.out_dim));
      dim_ = cfg.out_dim;
    }
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    check_channels(x, 4, channels_, "resnet18");
    auto h = torch::relu(stem_bn_(stem_conv_(x)));
    for (auto& b : blocks_) h = b(h);
    h = h.mean({2, 3});
    if (out_) h = out_(h);
    return h;
  }
  int64_t out_dim() const override { return dim_; }
  std::string kind() const override { return "resnet18"; }

 private:
  int64_t channels_, dim_ = 0;
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<BasicBlock> blocks_;
  torch::nn::Linear out_{nullptr};
};

class Conv3dEncoder : public Encoder {
 public:
  explicit Conv3dEncoder(const EncoderConfig& cfg) : channels_(cfg.input_shape[0]) {
    const int64_t w = cfg.width > 0 ? cfg.width : 16;
    const int64_t ch[5] = {channels_, w, 2 * w, 4 * w, 8 * w};
    const int64_t stride[4] = {1, 2, 2, 2};
    for (int i = 0; i < 4; ++i)
      blocks_.push_back(register_module(fmt::format("block{}", i), ConvBnRelu3d(ch[i], ch[i + 1], stride[i])));
    dim_ = ch[4];
    if (cfg.out_dim > 0) {
      out_ = register_module("out", torch::nn::Linear(dim_, cfg.out_dim));
      dim_ = cfg.out_dim;
    }
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    check_channels(x, 5, channels_, "conv3d");
    auto h = x;
    for (auto& b : blocks_) h = b(h);
    h = h.mean({2, 3, 4});
    if (out_) h = out_(h);
    return h;
  }
  int64_t out_dim() const override { return dim_; }
  std::string kind() const override { return "conv3d"; }

 private:
  int64_t channels_, dim_ = 0;
  std::vector<ConvBnRelu3d> blocks_;
  torch::nn::Linear out_{nullptr};
};

// ---------------------------------------------------------------- decoders

class MlpDecoder : public Decoder {
 public:
  MlpDecoder(const EncoderConfig& cfg, int64_t in_dim) : shape_(cfg.input_shape) {
    int64_t prev = in_dim;
    for (size_t i = cfg.mlp_hidden.size(); i-- > 0;) {
      fc_.push_back(register_module(fmt::format("fc{}", fc_.size()), torch::nn::Linear(prev, cfg.mlp_hidden[i])));
      prev = cfg.mlp_hidden[i];
    }
    out_ = register_module("out", torch::nn::Linear(prev, sample_numel(shape_)));
  }
  torch::Tensor forward(const torch::Tensor& z) override {
    auto h = z;
    for (auto& l : fc_) h = torch::relu(l(h));
    std::vector<int64_t> shape{z.size(0)};
    shape.insert(shape.end(), shape_.begin(), shape_.end());
    return out_(h).reshape(shape);
  }

 private:
  std::vector<int64_t> shape_;
  std::vector<torch::nn::Linear> fc_;
  torch::nn::Linear out_{nullptr};
};

/// Mirror of a 3-stride-2 conv stack: Linear -> (8w, s3) -> [upsample to s_k, conv-BN-ReLU] x3 -> conv to C.
/// Works for 2-D (C,H,W) and 3-D (C,D,H,W) shapes.
class ConvDecoder : public Decoder {
 public:
  ConvDecoder(const EncoderConfig& cfg, int64_t in_dim, int64_t w) : channels_(cfg.input_shape[0]) {
    spatial_.push_back(std::vector<int64_t>(cfg.input_shape.begin() + 1, cfg.input_shape.end()));
    for (int i = 0; i < 3; ++i) {
      auto s = spatial_.back();
      for (auto& v : s) v = half(v);
      spatial_.push_back(s);
    }
    three_d_ = spatial_[0].size() == 3;
    top_ = 8 * w;
    int64_t cells = 1;
    for (int64_t v : spatial_[3]) cells *= v;
    fc_ = register_module("fc", torch::nn::Linear(in_dim, top_ * cells));
    const int64_t ch[4] = {8 * w, 4 * w, 2 * w, w};
    for (int i = 0; i < 3; ++i) {
      if (three_d_)
        up3_.push_back(register_module(fmt::format("up{}", i), ConvBnRelu3d(ch[i], ch[i + 1], 1)));
      else
        up2_.push_back(register_module(fmt::format("up{}", i), ConvBnRelu2d(ch[i], ch[i + 1], 1)));
    }
    if (three_d_)
      out3_ = register_module("out", torch::nn::Conv3d(torch::nn::Conv3dOptions(w, channels_, 3).padding(1)));
    else
      out2_ = register_module("out", torch::nn::Conv2d(torch::nn::Conv2dOptions(w, channels_, 3).padding(1)));
  }
  torch::Tensor forward(const torch::Tensor& z) override {
    std::vector<int64_t> shape{z.size(0), top_};
    shape.insert(shape.end(), spatial_[3].begin(), spatial_[3].end());
    auto h = torch::relu(fc_(z)).reshape(shape);
    for (int i = 0; i < 3; ++i) {
      h = F::interpolate(h, F::InterpolateFuncOptions().size(spatial_[2 - i]).mode(torch::kNearest));
      h = three_d_ ? up3_[i](h) : up2_[i](h);
    }
    return three_d_ ? out3_(h) : out2_(h);
  }

 private:
  int64_t channels_, top_ = 0;
  bool three_d_ = false;
  std::vector<std::vector<int64_t>> spatial_;  // input size, then after each stride-2 stage
  torch::nn::Linear fc_{nullptr};
  std::vector<ConvBnRelu2d> up2_;
  std::vector<ConvBnRelu3d> up3_;
  torch::nn::Conv2d out2_{nullptr};
  torch::nn::Conv3d out3_{nullptr};
};

}  // namespace

EncoderPtr make_encoder(const EncoderConfig& cfg) {
  cfg.validate();
  const std::string name = resolve_encoder_name(cfg.name, cfg.input_shape);
  if (name == "mlp") return std::make_shared<MlpEncoder>(cfg);
  if (name == "conv") return std::make_shared<ConvEncoder>(cfg);
  if (name == "resnet18") return std::make_shared<ResNet18Encoder>(cfg);
  return std::make_shared<Conv3dEncoder>(cfg);
}

DecoderPtr make_decoder(const EncoderConfig& cfg, int64_t in_dim) {
  cfg.validate();
  RDC_CHECK(in_dim > 0, "decoder in_dim={} must be > 0", in_dim);
  const std::string name = resolve_encoder_name(cfg.name, cfg.input_shape);
  if (name == "mlp") return std::make_shared<MlpDecoder>(cfg, in_dim);
  const int64_t w = cfg.width > 0 ? cfg.width : default_encoder_width(name);
  return std::make_shared<ConvDecoder>(cfg, in_dim, w);
}

}  // namespace rdc
