#include "rdc/pretext/pretext_config.h"

#include <algorithm>
#include <cmath>

#include "rdc/core/error.h"
#include "rdc/encoder/encoder_config.h"

namespace rdc {

std::vector<std::string> pretext_names() { return {"auto", "deepcluster-v2", "acai"}; }

std::string resolve_pretext_name(const std::string& name, const std::vector<int64_t>& input_shape) {
  const auto names = pretext_names();
  RDC_CHECK(std::find(names.begin(), names.end(), name) != names.end(), "pretext='{}' is unknown; allowed: {}", name,
            fmt::join(names, ", "));
  if (name != "auto") return name;
  const Modality mod = sample_modality(input_shape);
  if (mod == Modality::kImage && input_shape[0] != 1) return "deepcluster-v2";
  return "acai";
}

void PretextConfig::validate() const {
  RDC_CHECK(!input_shape.empty(), "pretext input_shape is empty; expected (D), (C,H,W) or (C,D,H,W)");
  resolve_pretext_name(name, input_shape);  // checks the name
  resolve_encoder_name(encoder, input_shape);  // checks name and modality
  RDC_CHECK(embed_dim >= 0, "embed_dim={} must be >= 0 (0 = pretext default)", embed_dim);
  RDC_CHECK(!mlp_hidden.empty(), "mlp_hidden is empty; give at least one hidden size");
  for (int64_t h : mlp_hidden) RDC_CHECK(h > 0, "mlp_hidden has size {}; sizes must be > 0", h);
  RDC_CHECK(encoder_width >= 0, "encoder_width={} must be >= 0 (0 = encoder default)", encoder_width);
  RDC_CHECK(augment == "auto" || augment == "none" || augment == "weak" || augment == "strong",
            "augment='{}' is unknown; allowed: auto, none, weak, strong", augment);
  RDC_CHECK(heads >= 1 && heads <= 100, "heads={} must be in [1, 100]", heads);
  RDC_CHECK(prototypes >= 0, "prototypes={} must be >= 0 (0 = auto)", prototypes);
  RDC_CHECK(min_points_per_prototype >= 1, "min_points_per_prototype={} must be >= 1", min_points_per_prototype);
  RDC_CHECK(kmeans_iters >= 1 && kmeans_iters <= 1000, "kmeans_iters={} must be in [1, 1000]", kmeans_iters);
  RDC_CHECK(proj_hidden >= 1, "proj_hidden={} must be >= 1", proj_hidden);
  RDC_CHECK(std::isfinite(temperature) && temperature > 0, "temperature={} must be > 0", temperature);
  RDC_CHECK(small_crops >= 0 && small_crops <= 16, "small_crops={} must be in [0, 16]", small_crops);
  RDC_CHECK(std::isfinite(acai_lambda) && acai_lambda >= 0, "acai_lambda={} must be >= 0", acai_lambda);
  RDC_CHECK(std::isfinite(acai_invariance) && acai_invariance >= 0, "acai_invariance={} must be >= 0",
            acai_invariance);
  RDC_CHECK(acai_target == "view" || acai_target == "clean", "acai_target='{}' is unknown; allowed: view, clean",
            acai_target);
  RDC_CHECK(std::isfinite(critic_lr) && critic_lr >= 0, "critic_lr={} must be >= 0 (0 = default)", critic_lr);
  RDC_CHECK(geometry == "auto" || geometry == "cosine" || geometry == "euclidean",
            "geometry='{}' is unknown; allowed: auto, cosine, euclidean", geometry);
  RDC_CHECK(!(geometry == "euclidean" && name == "deepcluster-v2"),
            "geometry=euclidean does not apply to deepcluster-v2, whose embedding lies on the unit sphere; use "
            "cosine (or auto), or --pretext acai");
  RDC_CHECK(std::isfinite(lr) && lr >= 0, "lr={} must be >= 0 (0 = pretext default)", lr);
  RDC_CHECK(std::isfinite(weight_decay) && weight_decay >= 0, "weight_decay={} must be >= 0", weight_decay);
  RDC_CHECK(batch_size >= 2, "batch_size={} must be >= 2", batch_size);
}

#define RDC_PRETEXT_FIELDS(X)                                                                      \
  X(name) X(encoder) X(input_shape) X(embed_dim) X(encoder_width) X(mlp_hidden) X(augment) X(heads) X(prototypes)   \
  X(min_points_per_prototype) X(kmeans_iters) X(proj_hidden) X(temperature) X(small_crops)          \
  X(acai_lambda) X(acai_invariance) X(acai_target) X(critic_lr) X(geometry) X(lr) X(weight_decay) X(batch_size)

nlohmann::json pretext_config_to_json(const PretextConfig& cfg) {
  nlohmann::json j;
#define RDC_TO(f) j[#f] = cfg.f;
  RDC_PRETEXT_FIELDS(RDC_TO)
#undef RDC_TO
  return j;
}

PretextConfig pretext_config_from_json(const nlohmann::json& j, PretextConfig c) {
  RDC_CHECK(j.is_object(), "pretext configuration: expected a JSON object, got {}", j.type_name());
  try {
#define RDC_FROM(f) \
  if (j.contains(#f)) j.at(#f).get_to(c.f);
    RDC_PRETEXT_FIELDS(RDC_FROM)
#undef RDC_FROM
    // models saved before the geometry option clustered their (acai) embedding in Euclidean space
    if (!j.contains("geometry")) c.geometry = "euclidean";
  } catch (const nlohmann::json::exception& e) {
    RDC_FAIL("pretext configuration: {}", e.what());
  }
  return c;
}

}  // namespace rdc
