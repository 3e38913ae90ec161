#pragma once
// Phase-1 parameters (torch-free so that the CLI and configs need no libtorch).
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

struct PretextConfig {
  std::string name = "deepcluster-v2";  ///< "deepcluster-v2" | "acai"
  std::string encoder = "auto";         ///< "mlp" | "conv" | "resnet18" | "conv3d" | "auto" (by modality)
  std::vector<int64_t> input_shape;     ///< per-sample shape (C,H,W), (C,D,H,W) or (D)
  int64_t embed_dim = 0;                ///< m; 0 = pretext default (128 DCv2, 10 ACAI)
  // deepcluster-v2
  int heads = 3;                        ///< H prototype heads
  int64_t prototypes = 0;               ///< P per head; 0 = auto (over-clusters, capped by n)
  double temperature = 0.1;             ///< tau
  int small_crops = 2;                  ///< V small crops in multi-crop
  // acai
  double acai_lambda = 0.5;             ///< critic term weight
  // optimisation
  double lr = 0;                        ///< 0 = pretext default
  double weight_decay = 1e-6;
  int64_t batch_size = 256;
};

}  // namespace rdc
