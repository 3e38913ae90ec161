#pragma once
// Augmentation parameters and strength presets (torch-free: the CLI and configs include it).
#include <cstdint>
#include <string>

namespace rdc {

struct AugmentConfig {
  std::string strength = "strong";  ///< preset it was built from: "none" | "weak" | "strong" | "custom"
  // geometry (images and volumes)
  double crop_scale_min = 0.25;   ///< large views: min area (volume) fraction kept by the random crop, (0, 1]
  double crop_scale_max = 1.0;    ///< large views: max area fraction, [crop_scale_min, 1]
  double crop_ratio_max = 4.0 / 3.0;  ///< aspect ratio drawn log-uniformly in [1/r, r], r >= 1 (images)
  double flip_prob = 0.5;         ///< horizontal flip (images) / flip of each axis (volumes), [0, 1]
  double max_shift = 0.0;         ///< max translation as a fraction of the size, [0, 1]
  double max_rotation_deg = 0.0;  ///< max rotation in degrees, [0, 180]
  double blur_prob = 0.5;         ///< Gaussian blur probability (images), [0, 1]
  double blur_sigma_min = 0.1;    ///< blur sigma range in pixels, 0 < min <= max
  double blur_sigma_max = 2.0;
  // colour (only for exactly 3 channels)
  double jitter_prob = 0.8;       ///< probability of colour jitter, [0, 1]
  double brightness = 0.4;        ///< factor drawn in [1-b, 1+b], [0, 1]
  double contrast = 0.4;          ///< factor drawn in [1-c, 1+c], [0, 1]
  double saturation = 0.4;        ///< factor drawn in [1-s, 1+s], [0, 1]
  double hue = 0.1;               ///< hue rotation in [-h, h] turns, [0, 0.5]
  double grey_prob = 0.2;         ///< random grey-scale probability, [0, 1]
  // vectors
  double noise_std = 0.1;         ///< Gaussian noise std as a multiple of the batch's per-feature std, >= 0
  double feature_drop = 0.1;      ///< probability a feature is replaced by the batch mean, [0, 1)
  // multi-crop small views
  double small_scale_min = 0.08;  ///< small views: min area fraction, (0, 1]
  double small_scale_max = 0.4;   ///< small views: max area fraction, [small_scale_min, 1]
  double small_size_ratio = 0.57; ///< small view side = round(ratio * side), (0, 1]
  int64_t small_min_size = 8;     ///< ... but at least this many pixels (and at most the input side)

  /// "none" (identity), "weak" (ACAI / DynAE: shift 0.1, rotation 10 deg, noise 0.05, nothing else),
  /// "strong" (DeepCluster-v2: crops, flips, blur, colour for RGB, noise 0.1 + dropout 0.1 for vectors).
  static AugmentConfig preset(const std::string& strength);
  /// Throws rdc::Error naming the field, its value and the allowed range.
  void validate() const;
};

}  // namespace rdc
