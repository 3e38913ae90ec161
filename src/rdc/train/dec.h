#pragma once
// Pseudo-supervised baselines on top of phase 1: DEC (Xie, Girshick, Farhadi, ICML 2016) and
// IDEC (Guo, Gao, Liu, Yin, IJCAI 2017). They are what R-DC argues against (arXiv 2503.03733):
//  - dec  = sequential: after phase 1 the encoder trains on the clustering loss KL(P || Q) only
//           (the paradigm that suffers Feature Twist);
//  - idec = joint: phase-1 instance loss + gamma * KL(P || Q) (the paradigm that suffers Feature Drift).
// Q: Student-t soft assignments of the embedding to K trainable centres (initialised by k-means on
// the phase-1 embedding); P: the sharpened target q^2 / f, recomputed on all data every
// `update_interval` steps (default: every epoch) and fixed in between. Final assignment = argmax q.
// Normalised embeddings (DeepCluster-v2) use unit-norm z and unit-norm centres (the centres are free
// parameters, normalised in the forward pass), so argmax q is the nearest centre by cosine and
// `rdc predict` (spherical nearest centroid) reproduces it.
//
// Gradient cosines (gradient_cosines.csv): every `cosine_every` steps, the cosine between the
// whole-encoder gradient vectors of the instance loss and of the KL term on the same batch.
// idec: the Feature Drift coefficient (negative = the two losses compete). dec: the same cosine,
// measured although only the KL is trained, is our Feature Randomness proxy (near 0 or negative =
// the pseudo-labels push the features in directions unrelated to the instance-level structure).
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rdc/cluster/kmeans.h"
#include "rdc/core/context.h"
#include "rdc/pipeline/pipeline.h"
#include "rdc/train/dec_config.h"

namespace rdc {

class Pretext;

/// Student-t soft assignments (DEC eq. 1, alpha = 1): q_ij = (1 + |z_i - mu_j|^2)^-1 / sum_j'(...).
/// z (N, m), mu (K, m), same dtype -> (N, K), rows sum to 1. Differentiable in z and mu.
torch::Tensor dec_soft_assign(const torch::Tensor& z, const torch::Tensor& mu);

/// Target distribution (DEC eq. 3): p_ij = (q_ij^2 / f_j) / sum_j'(q_ij'^2 / f_j'), f_j = sum_i q_ij.
/// q (N, K) -> (N, K) without grad.
torch::Tensor dec_target(const torch::Tensor& q);

/// KL(P || Q) averaged over rows: mean_i sum_j p_ij log(p_ij / q_ij) (0 log 0 = 0). p, q (B, K) -> scalar.
torch::Tensor dec_kl(const torch::Tensor& p, const torch::Tensor& q);

/// The centres the assignments use: mu (K, m), row-normalised when `normalized`.
torch::Tensor dec_centres(const torch::Tensor& mu, bool normalized);

/// Cosine between the gradients of scalar losses a and b w.r.t. `params` (all flattened into one
/// vector; parameters a loss does not reach count as 0). Keeps both graphs (retain_graph) when
/// `retain`. NaN when either gradient is 0.
double gradient_cosine(const torch::Tensor& a, const torch::Tensor& b, const std::vector<torch::Tensor>& params,
                       bool retain);

struct GradientCosine {
  int epoch = 0;     ///< 0-based DEC epoch
  int64_t step = 0;  ///< step within the epoch
  double cosine = 0;
};

struct DecTrainResult {
  torch::Tensor centres;                ///< (K, m) float32 CPU: the trained centres as used (unit rows when normalised)
  std::vector<nlohmann::json> epochs;   ///< per epoch: epoch, loss, kl, instance_loss, delta_label, target_updates, seconds
  std::vector<GradientCosine> cosines;  ///< sampled gradient cosines
  int64_t target_updates = 0;
  bool stopped_early = false;           ///< the delta-label tolerance stopped training
};

/// Trains p's encoder and K centres from `init_centres` (K, m) on DEC (joint = false) or IDEC
/// (joint = true) over all_x (N, ...) on the device, with mini-batches of batch_size and a
/// constant learning rate `lr` (the pretext's optimiser). Writes out_dir/dec_stats.jsonl and
/// out_dir/gradient_cosines.csv (epoch,step,cosine) after every epoch when out_dir is set.
DecTrainResult train_dec(Pretext& p, const torch::Tensor& all_x, const torch::Tensor& init_centres, const DecParams& q,
                         bool joint, int64_t batch_size, double lr, const std::string& out_dir, const Context& ctx);

struct DecOutcome {
  KMeansResult init;         ///< k-means on the phase-1 embedding of the fit rows (the initial centres)
  KMeansResult final;        ///< centroids = trained centres (K x m), assignments = argmax q of the fit rows
  std::vector<float> z_fit;  ///< final embedding of the fit rows (N x m)
  nlohmann::json summary;    ///< for metrics.json["dec"]: parameters, epochs, target updates, cosine summary
};

/// The DEC/IDEC stage of `rdc train --method dec|idec` on a trained phase-1 pretext: k-means
/// (cfg.kmeans, K = k) on z_fit_phase1 (N x m), then train_dec (joint for "idec") with cfg.dec,
/// batch cfg.phase1.batch_size, lr cfg.dec.lr or the phase-1 learning rate, writing into cfg.out_dir.
DecOutcome run_dec_stage(Pretext& p, const torch::Tensor& x_fit, const std::vector<float>& z_fit_phase1, int64_t k,
                         const RunConfig& cfg);

}  // namespace rdc
