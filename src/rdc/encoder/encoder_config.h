#pragma once
// Encoder choice and per-sample input shapes (torch-free: the CLI and configs include it).
//   (D) vectors, (C,H,W) images, (C,D,H,W) volumes.
#include <cstdint>
#include <string>
#include <vector>

#include "rdc/data/dataset.h"

namespace rdc {

struct EncoderConfig {
  std::string name = "auto";                    ///< "mlp" | "conv" | "resnet18" | "conv3d" | "auto" (by modality)
  std::vector<int64_t> input_shape;             ///< per-sample shape: (D), (C,H,W) or (C,D,H,W)
  int64_t out_dim = 0;                          ///< 0: backbone features; > 0: adds a final Linear to out_dim
  std::vector<int64_t> mlp_hidden = {500, 500, 2000};  ///< mlp hidden sizes (ReLU after each)
  int64_t width = 0;                            ///< base channels; 0 = default (conv 32, resnet18 64, conv3d 16)
  /// Throws rdc::Error naming the field, its value and what is allowed (also checks name vs modality).
  void validate() const;
};

/// Names accepted by make_encoder ("auto" included).
std::vector<std::string> encoder_names();
/// Resolves "auto" by modality (vectors -> mlp, images -> conv but small grey-scale images -> mlp,
/// volumes -> conv3d); checks that
/// other names suit the modality (conv/resnet18: images; conv3d: volumes; mlp: any).
std::string resolve_encoder_name(const std::string& name, const std::vector<int64_t>& input_shape);
/// Base channel count a conv encoder uses when width = 0 (conv 32, resnet18 64, conv3d 16; mlp: 0,
/// its layout is mlp_hidden).
int64_t default_encoder_width(const std::string& resolved_name);

/// Modality of a per-sample shape; throws rdc::Error for other ranks or non-positive sizes.
Modality sample_modality(const std::vector<int64_t>& sample_shape);
/// Number of floats per sample.
int64_t sample_numel(const std::vector<int64_t>& sample_shape);
/// "[3, 32, 32]"-style text for messages.
std::string shape_str(const std::vector<int64_t>& shape);

}  // namespace rdc
