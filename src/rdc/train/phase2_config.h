#pragma once
// Phase-2 parameters of R-DC (proximity-level self-supervision). Torch-free.
#include <cstdint>
#include <string>

namespace rdc {

struct Phase2Params {
  bool enabled = true;             ///< false: ablation "phase 2 off" (R-DC = phase 1 + k-means)
  int rounds = 5;                  ///< R refresh rounds (>= 1)
  double epochs_per_round = 1.0;   ///< E, training epochs after each refresh (> 0; fractions allowed)
  int64_t knn = 10;                ///< k of the k-NN graph (clipped to n-1)
  double s_start = 0.8;            ///< core threshold s_1: |R(i)| >= ceil(s*k); in (0, 1]
  double s_end = 0.3;              ///< core threshold s_R (relaxes linearly over rounds)
  double w_start = 0.5;            ///< hand-over weight of the instance loss in round 1, in [0, 1]
  double w_end = 0.1;              ///< ... in round R (decays linearly); equal to w_start = fixed weight
  bool mutual = true;              ///< dual filter: mutual proximity (ablation switch)
  bool consistency = true;         ///< dual filter: consistency across rounds/views (ablation switch)
  std::string round1_reference = "none";  ///< round 1's consistency reference: "augmented" (graph of an augmented view) | "none" (mutual only; measured: the augmented graph keeps < 1 reliable neighbour per point)
  double consistency_width = 1.0;  ///< consistency reference: the previous round's ceil(width * k) nearest neighbours (1 = N_k, as the method is written)
  std::string proximity_loss = "distance";  ///< "distance": mean d(f(a(x_i)), c_i) as the method is written | "contrastive": softmax of f(a(x_i)) against its own centroid vs the other core points' centroids in the batch (InfoNCE, cosine / temperature)
  double temperature = 0.2;        ///< temperature of the contrastive proximity loss, in (0, 10]
  bool scale_losses = true;        ///< divide each loss term by its value measured at refresh
  double stop_tolerance = 0.05;    ///< stop early when graph change and core-fraction change are both below this
  int min_rounds = 3;              ///< never stop before this many rounds
  double min_core_fraction = 0.01; ///< below this the threshold is relaxed for the round (never crashes)
  bool allow_without_phase1 = false;  ///< C08: phase 2 refuses to start on an untrained encoder unless set
  double lr = 0;                   ///< 0 = lr_fraction x the phase-1 learning rate
  double lr_fraction = 0;          ///< phase-2 lr as a fraction of phase 1's; 0 = auto: for acai 0.3 in the cosine geometry, 1.0 in the Euclidean one (constant Adam lr; measured, docs/benchmarks.md), 0.1 for deepcluster-v2 (its cosine schedule ends near 0)
  void validate() const;
};

}  // namespace rdc
