#pragma once
// Parameters of the pseudo-supervised baselines DEC and IDEC (torch-free: the CLI and RunConfig
// include it). The baselines exist to measure what R-DC avoids: Feature Twist (sequential DEC)
// and Feature Drift (joint IDEC), see docs/method.md.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace rdc {

struct DecParams {
  int epochs = 2;               ///< DEC/IDEC training epochs after phase 1, >= 0 (0: centres stay the k-means ones)
  double gamma = 0.1;           ///< idec: weight of the KL term beside the phase-1 instance loss, > 0
  int64_t update_interval = 0;  ///< steps between recomputations of the target distribution P on all data; 0 = every epoch
  double tol = 0.001;           ///< stop after an epoch in which a target update changed < tol of the assignments; 0 = never
  double lr = 0;                ///< learning rate (constant); 0 = the phase-1 learning rate
  int64_t cosine_every = 10;    ///< steps between gradient-cosine samples (gradient_cosines.csv); 0 = off
  /// Throws rdc::Error naming the field, its value and the allowed range.
  void validate() const;
};

/// True for the method names trained by train/dec.h ("dec", "idec").
inline bool is_dec_method(const std::string& method) { return method == "dec" || method == "idec"; }

/// Every field as JSON.
nlohmann::json dec_params_to_json(const DecParams& q);

}  // namespace rdc
