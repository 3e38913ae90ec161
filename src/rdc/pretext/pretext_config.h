#pragma once
// Phase-1 pretext parameters (torch-free: the CLI and configs include it).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rdc {

struct PretextConfig {
  std::string name = "auto";            ///< "deepcluster-v2" | "acai" | "auto" (by modality: resolve_pretext_name)
  std::string encoder = "auto";         ///< "mlp" | "conv" | "resnet18" | "conv3d" | "auto" (by modality)
  std::vector<int64_t> input_shape;     ///< per-sample shape (C,H,W), (C,D,H,W) or (D)
  int64_t embed_dim = 0;                ///< m; 0 = pretext default (128 DCv2, 10 ACAI)
  int64_t encoder_width = 0;            ///< base channels of conv encoders; 0 = encoder default
  std::vector<int64_t> mlp_hidden = {500, 500, 2000};  ///< mlp encoder hidden sizes (DEC/DynAE layout)
  std::string augment = "auto";         ///< "none" | "weak" | "strong" | "auto" (DCv2 strong, ACAI weak)
  // deepcluster-v2
  int heads = 3;                        ///< H prototype heads, >= 1
  int64_t prototypes = 0;               ///< P per head; 0 = auto: min(1000, n / min_points_per_prototype), >= 2
  int64_t min_points_per_prototype = 20;  ///< auto P keeps at least this many points per prototype
  int kmeans_iters = 10;                ///< spherical k-means iterations per epoch and head
  int64_t proj_hidden = 512;            ///< hidden size of the projection head Linear-BN-ReLU-Linear
  double temperature = 0.1;             ///< tau, > 0
  int small_crops = 2;                  ///< V small crops in multi-crop, >= 0
  // acai
  double acai_lambda = 0;               ///< critic term weight, >= 0; 0 = plain autoencoder (measured: docs/benchmarks.md)
  double critic_lr = 0;                 ///< critic's Adam lr; 0 = same as the pretext's default lr (1e-3)
  /// Weight of an augmentation-invariance term, mean(1 - cos(f(a(x)), f(a'(x)))) over a second
  /// augmented view of each batch (0 = off: one view, reconstruction only).
  double acai_invariance = 0;
  /// What the decoder reconstructs: "view" (the augmented input it was given) | "clean" (the
  /// un-augmented sample: a denoising autoencoder, whose code must discard the augmentation).
  std::string acai_target = "view";
  /// Geometry of the clustering embedding (k-NN graph, neighbour centroids, proximity loss, k-means):
  /// "cosine" (rows L2-normalised) | "euclidean" | "auto" (= cosine; measured: docs/benchmarks.md).
  /// deepcluster-v2's embedding is always on the unit sphere (cosine).
  std::string geometry = "auto";
  // optimisation
  double lr = 0;                        ///< 0 = pretext default
  double weight_decay = 1e-6;          ///< deepcluster-v2's weight decay (ACAI uses none)
  int64_t batch_size = 256;             ///< recipe's batch size (the trainer's TrainConfig decides)
  /// Throws rdc::Error naming the field, its value and the allowed range.
  void validate() const;
};

/// The optimiser recipe a pretext runs best with (used when TrainConfig leaves them unset).
struct OptimDefaults {
  std::string optimizer = "adam";  ///< "adam" | "sgd" (momentum 0.9)
  double lr = 1e-3;
  std::string schedule = "constant";  ///< "constant" | "cosine" (after the warm-up)
  double warmup_epochs = 0;
  double weight_decay = 0;
};

/// Names accepted by make_pretext ("auto" included).
std::vector<std::string> pretext_names();

/// The pretext "auto" stands for, by modality (measured, docs/benchmarks.md): acai for feature
/// vectors, grey-scale images and volumes (a small autoencoder learns them well in minutes on a
/// CPU), deepcluster-v2 for colour / multi-channel images (whose augmentation invariance matters
/// most). Other names are checked and returned unchanged.
std::string resolve_pretext_name(const std::string& name, const std::vector<int64_t>& input_shape);

/// Every field of cfg as JSON (checkpoints store it so a model can be rebuilt exactly).
nlohmann::json pretext_config_to_json(const PretextConfig& cfg);
/// Reads the fields present in j over `defaults` (absent fields keep their default).
PretextConfig pretext_config_from_json(const nlohmann::json& j, PretextConfig defaults = {});

}  // namespace rdc
