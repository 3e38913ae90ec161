// Pretext factory and configuration checks.
#include "rdc/pretext/pretext.h"

#include "rdc/core/error.h"
#include "rdc/pretext/acai.h"
#include "rdc/pretext/deepcluster_v2.h"

namespace rdc {

std::unique_ptr<Pretext> make_pretext(const PretextConfig& cfg, int64_t n_samples, const Context& ctx) {
  cfg.validate();
  if (cfg.name == "acai") return std::make_unique<Acai>(cfg, n_samples, ctx);
  return std::make_unique<DeepClusterV2>(cfg, n_samples, ctx);
}

}  // namespace rdc
