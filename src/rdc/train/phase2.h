#pragma once
// Phase 2 of R-DC (arXiv 2503.03733): proximity-level self-supervision.
// Each round: embed -> k-NN graph -> dual filter -> core points -> neighbour
// centroids (fixed targets) -> train on w*L_instance + (1-w)*L_proximity.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rdc/core/context.h"
#include "rdc/proximity/filters.h"
#include "rdc/proximity/knn.h"
#include "rdc/train/phase2_config.h"

namespace rdc {

class Pretext;
class Augmenter;

/// Targets of one round, fixed until the next refresh.
struct RoundTargets {
  torch::Tensor targets;   ///< (N, m) float on the device: c_i for core points, 0 elsewhere
  torch::Tensor is_core;   ///< (N) bool on the device
  KnnGraph graph;          ///< this round's k-NN graph
  KnnGraph reference;      ///< the next round's consistency reference: ceil(consistency_width * k) neighbours
  int64_t n_core = 0;
  double s = 0;            ///< threshold actually used (after relaxation)
  double mean_reliable = 0;
  double graph_change = -1;  ///< vs previous round (-1 in round 1)
  double seconds = 0;
};

/// Threshold s_r and weight w_r of round r (1-based) of R: linear schedules.
double phase2_threshold(const Phase2Params& q, int round);
double phase2_weight(const Phase2Params& q, int round);
/// Phase-2 lr as a fraction of phase 1's: --round-lr-fraction, or when 0 (auto) 0.3 for acai in the
/// cosine geometry, 1.0 for acai in the Euclidean one (constant Adam lr; both measured, docs/benchmarks.md)
/// and 0.1 for deepcluster-v2 (whose cosine schedule ends near 0).
double phase2_lr_fraction(const Phase2Params& q, const std::string& pretext, bool normalized);

/// Refresh step (steps 1-5 of phase 2). `prev` is the previous round's `reference` (null in round 1);
/// it may hold more than k neighbours per row (--consistency-width).
RoundTargets phase2_refresh(Pretext& p, const torch::Tensor& all_x, Augmenter& aug, const Phase2Params& q,
                            int round, const KnnGraph* prev, const Context& ctx);

/// Per-sample proximity distance d(e, c): 1 - cos (normalised) or squared Euclidean. (B) tensor.
torch::Tensor proximity_distance(const torch::Tensor& e, const torch::Tensor& c, bool normalized);

/// Contrastive proximity loss (scalar): row i of `e` (B, m) should be closer in cosine to its own centroid
/// c_i than to the other rows of `c` (B, m): mean cross-entropy of softmax(cos(e_i, c_j) / temperature) at j = i.
torch::Tensor proximity_contrastive(const torch::Tensor& e, const torch::Tensor& c, double temperature);

/// Runs phase 2 on a trained phase-1 pretext; appends per-round stats to `out_dir/phase2_stats.jsonl`,
/// checkpoints after each round as `phase2_last.pt`; resumes after the last completed round when asked.
/// Returns the per-round statistics.
std::vector<nlohmann::json> run_phase2(Pretext& p, const torch::Tensor& all_x, const Phase2Params& q,
                                       int64_t batch_size, double lr, const std::string& out_dir, bool resume,
                                       const Context& ctx);

}  // namespace rdc
