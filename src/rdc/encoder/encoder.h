#pragma once
// Encoders (backbones) of phase 1, chosen by name through one factory that the
// CLI and the library share, plus the mirrored decoders used by autoencoders.
//   mlp      : flattened input, d-500-500-2000 (DEC/DynAE layout), any modality
//   conv     : 4 conv3x3-BN-ReLU blocks (strides 1,2,2,2) + global average pool; images up to ~64 px, any C
//   resnet18 : CIFAR ResNet-18 (3x3 stem, no max-pool, BasicBlocks [2,2,2,2]); images
//   conv3d   : 4 conv3d-BN-ReLU blocks (strides 1,2,2,2) + global average pool; volumes (C,D,H,W)
//   auto     : vectors -> mlp; images -> conv, except small grey-scale images (1 channel,
//              H*W <= 32*32) -> mlp (faster on CPU); volumes -> conv3d
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "rdc/encoder/encoder_config.h"

namespace rdc {

/// A backbone: (B, input_shape...) float32 -> (B, out_dim()) float32.
class Encoder : public torch::nn::Module {
 public:
  /// x: (B, input_shape...) float32 -> (B, out_dim()).
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  /// Feature dimension of forward()'s output.
  virtual int64_t out_dim() const = 0;
  /// Resolved encoder name ("mlp", "conv", ...).
  virtual std::string kind() const = 0;
};
using EncoderPtr = std::shared_ptr<Encoder>;

/// Builds the encoder named by cfg.name (validates cfg; resolves "auto").
EncoderPtr make_encoder(const EncoderConfig& cfg);

/// A decoder mirroring an encoder: (B, in_dim) -> (B, input_shape...), linear output.
class Decoder : public torch::nn::Module {
 public:
  /// z: (B, in_dim) float32 -> (B, input_shape...).
  virtual torch::Tensor forward(const torch::Tensor& z) = 0;
};
using DecoderPtr = std::shared_ptr<Decoder>;

/// Builds the decoder mirroring make_encoder(cfg) for codes of size in_dim
/// (mlp -> mirrored MLP; conv/resnet18 -> upsample+conv stack; conv3d -> its 3-D mirror).
DecoderPtr make_decoder(const EncoderConfig& cfg, int64_t in_dim);

/// Number of elements of all trainable parameters of a module (for logs).
int64_t count_parameters(torch::nn::Module& m);

}  // namespace rdc
