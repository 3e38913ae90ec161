#pragma once
// Training-loop parameters, per-epoch statistics and the divergence error (torch-free).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rdc/core/error.h"

namespace rdc {

struct TrainConfig {
  int epochs = 10;                  ///< total epochs; fit() trains epochs [start, epochs), >= 0
  int64_t batch_size = 256;         ///< mini-batch size, >= 2 (batches are balanced: no tiny last batch)
  double lr = 0;                    ///< peak learning rate; 0 = the pretext's default
  std::string optimizer;            ///< "adam" | "sgd" (momentum below); "" = the pretext's default
  double momentum = 0.9;            ///< sgd momentum, [0, 1)
  double weight_decay = -1;         ///< < 0 = the pretext's default
  std::string schedule;             ///< "constant" | "cosine" (after warm-up); "" = the pretext's default
  double warmup_epochs = -1;        ///< linear warm-up length in epochs; < 0 = the pretext's default
  double final_lr_fraction = 1e-3;  ///< cosine decays to lr * this, [0, 1]
  std::string out_dir;              ///< run folder: checkpoints/<tag>_{last,prev}.pt and <tag>_stats.jsonl; "" = none
  std::string tag = "phase1";       ///< file-name prefix of checkpoints and statistics
  bool resume = false;              ///< continue from out_dir's checkpoint (exactly where it stopped)
  int log_every_steps = 50;         ///< progress line every N steps when stderr is not a terminal; 0 = never
  int64_t max_steps_per_epoch = 0;  ///< 0 = whole epochs; > 0 = at most this many steps (tests, benchmarks)
  double collapse_spread = 1e-4;    ///< collapse (C13) when probe_spread_rel (relative spread of clean eval-mode
                                    ///< embeddings of <= 512 fixed samples) falls below this; 0 = off
  double weak_spread = 0.05;        ///< from epoch 3 on, warn (no stop) when probe_spread_rel is below this
  bool stop_on_collapse = true;     ///< collapse (C13: spread ~ 0 or one prototype for all) throws TrainingDiverged
  nlohmann::json run_config;        ///< caller's effective run configuration, stored in checkpoints
  /// Throws rdc::Error naming the field, its value and the allowed range.
  void validate() const;
};

/// All fields except run_config.
nlohmann::json train_config_to_json(const TrainConfig& cfg);

struct EpochStats {
  int epoch = 0;             ///< 0-based epoch index
  double loss = 0;           ///< mean training loss over the epoch's steps
  double seconds = 0;        ///< wall time of the epoch (begin_epoch included)
  double images_per_s = 0;   ///< training samples per second (steps only)
  double lr = 0;             ///< learning rate at the epoch's last step
  int64_t steps = 0;
  std::vector<std::pair<std::string, double>> extra;  ///< pretext statistics (proto_entropy, spread, ...)
  /// Value of an extra statistic, or `fallback` when absent.
  double get(const std::string& key, double fallback) const;
  /// {"epoch", "loss", "seconds", "images_per_s", "lr", "steps", extras...}.
  nlohmann::json to_json() const;
  static EpochStats from_json(const nlohmann::json& j);
};

/// Training stopped because it diverged: kind "nan" (NaN/Inf loss, case C14) or "collapse" (C13).
/// The last good checkpoint is kept; the message says what happened and what to try.
class TrainingDiverged : public Error {
 public:
  TrainingDiverged(std::string kind, const std::string& msg) : Error(msg), kind_(std::move(kind)) {}
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
};

}  // namespace rdc
