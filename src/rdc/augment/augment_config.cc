#include "rdc/augment/augment_config.h"

#include <cmath>

#include "rdc/core/error.h"

namespace rdc {

namespace {

void check_range(const char* field, double v, double lo, double hi) {
  RDC_CHECK(std::isfinite(v) && v >= lo && v <= hi, "augment {}={} must be in [{}, {}]", field, v, lo, hi);
}

}  // namespace

AugmentConfig AugmentConfig::preset(const std::string& strength) {
  AugmentConfig c;  // defaults are the "strong" preset
  c.strength = strength;
  if (strength == "strong") return c;
  if (strength == "none" || strength == "weak") {
    c.crop_scale_min = c.crop_scale_max = 1.0;
    c.small_scale_min = c.small_scale_max = 1.0;
    c.flip_prob = 0;
    c.blur_prob = 0;
    c.jitter_prob = 0;
    c.grey_prob = 0;
    c.feature_drop = 0;
    c.noise_std = 0;
    if (strength == "weak") {  // DynAE / ACAI: width/height shift 0.1, rotation 10 degrees
      c.max_shift = 0.1;
      c.max_rotation_deg = 10;
      c.noise_std = 0.05;
    }
    return c;
  }
  RDC_FAIL("augmentation strength='{}' is unknown; allowed: none, weak, strong", strength);
}

void AugmentConfig::validate() const {
  check_range("crop_scale_min", crop_scale_min, 1e-3, 1);
  check_range("crop_scale_max", crop_scale_max, crop_scale_min, 1);
  check_range("crop_ratio_max", crop_ratio_max, 1, 10);
  check_range("flip_prob", flip_prob, 0, 1);
  check_range("max_shift", max_shift, 0, 1);
  check_range("max_rotation_deg", max_rotation_deg, 0, 180);
  check_range("blur_prob", blur_prob, 0, 1);
  check_range("blur_sigma_min", blur_sigma_min, 1e-3, 100);
  check_range("blur_sigma_max", blur_sigma_max, blur_sigma_min, 100);
  check_range("jitter_prob", jitter_prob, 0, 1);
  check_range("brightness", brightness, 0, 1);
  check_range("contrast", contrast, 0, 1);
  check_range("saturation", saturation, 0, 1);
  check_range("hue", hue, 0, 0.5);
  check_range("grey_prob", grey_prob, 0, 1);
  check_range("noise_std", noise_std, 0, 100);
  check_range("feature_drop", feature_drop, 0, 0.99);
  check_range("small_scale_min", small_scale_min, 1e-3, 1);
  check_range("small_scale_max", small_scale_max, small_scale_min, 1);
  check_range("small_size_ratio", small_size_ratio, 1e-3, 1);
  RDC_CHECK(small_min_size >= 1, "augment small_min_size={} must be >= 1", small_min_size);
}

}  // namespace rdc
