#pragma once
// The training loop shared by phase 1 and phase 2: shuffled balanced mini-batches on the
// device, warm-up + cosine (or constant) learning rate, NaN/Inf guard (C14), collapse
// detector (C13), progress (terminal: one updating line; otherwise a line every N steps),
// per-epoch statistics as JSON lines, checkpoints after every epoch and on interruption,
// and exact resume (same seed, same threads, CPU: bitwise the same weights as an
// uninterrupted run).
//
// Reproducibility: epoch e's shuffling comes from derive_seed(seed, "shuffle-e"); every other
// random draw comes from the pretext's augmenter (whose state is checkpointed) or from seeds
// derived per epoch, and torch's global generator state is checkpointed too.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rdc/core/context.h"
#include "rdc/train/checkpoint.h"
#include "rdc/train/train_config.h"

namespace rdc {

class Pretext;

/// Makes glibc keep freed memory for reuse instead of unmapping and re-faulting it at every step
/// (mmap threshold 256 MiB, trim threshold 1 GiB). Training frees and reallocates the same large
/// activation buffers each step; with glibc's defaults the page faults cost ~10-25% of a step
/// (measured: ACAI mlp 930-990 -> 1130-1240 images per CPU-second, 2 threads). Process-wide; the
/// Trainer calls it once; skipped when GLIBC_TUNABLES or RDC_DEFAULT_MALLOC is set in the environment.
void tune_allocator_for_training();

class Trainer {
 public:
  /// Builds the optimiser over p.parameters() with the resolved recipe; applies ctx (threads, seed).
  Trainer(Pretext& p, const TrainConfig& cfg, const Context& ctx);
  ~Trainer();

  /// Loss of one mini-batch: x (B, ...) on the device, idx (B) int64 rows of all_x -> scalar with grad.
  using LossFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& idx)>;
  /// Called after every optimiser step (epoch, step in epoch, loss) - progress hooks, tests.
  using StepHook = std::function<void(int epoch, int64_t step, double loss)>;

  /// Trains epochs [start, cfg.epochs) over all_x (N, ...) on the device; start = 0, or where the
  /// checkpoint in cfg.out_dir stopped when cfg.resume. `loss` defaults to p.instance_loss with
  /// p.augmenter(). Calls p.begin_epoch before each epoch. Checkpoints after every epoch (when
  /// out_dir is set) and rewrites <out_dir>/<tag>_stats.jsonl. Returns the stats of all epochs
  /// (resumed ones included). Throws TrainingDiverged (NaN/Inf loss, collapse) and Interrupted
  /// (after saving a checkpoint of the exact position) when rdc::interrupt_requested().
  std::vector<EpochStats> fit(const torch::Tensor& all_x, LossFn loss = nullptr);

  /// One epoch (or its first max_steps steps when > 0) with the global epoch index `epoch` (sets the
  /// schedule position and the shuffling); no checkpoint, no collapse check. For callers that
  /// drive their own rounds (phase 2). Throws TrainingDiverged on a NaN/Inf loss and Interrupted
  /// (without saving) when an interruption is requested.
  EpochStats run_epoch(const torch::Tensor& all_x, int epoch, const LossFn& loss, int64_t max_steps = 0);

  /// Embeds all_x in eval mode, batched, without grad: (N, m) float32 on the CPU. Restores the mode.
  static torch::Tensor embed_all(Pretext& p, const torch::Tensor& all_x, int64_t batch = 1024);

  /// Writes a checkpoint now (as fit() does at epoch ends) with `extra_meta` merged into the
  /// metadata (e.g. phase-2 round state). Requires cfg.out_dir. Returns the path.
  std::string save(int next_epoch, const nlohmann::json& extra_meta = {});
  /// Restores the newest checkpoint of cfg.tag in cfg.out_dir (model, optimisers, RNG states,
  /// history). Returns its metadata, or null JSON when there is none.
  nlohmann::json restore();

  void set_step_hook(StepHook hook) { hook_ = std::move(hook); }
  torch::optim::Optimizer& optimizer() { return *opt_; }
  /// Statistics of the completed epochs (restored ones included).
  const std::vector<EpochStats>& history() const { return history_; }
  /// Resolved recipe (after pretext defaults).
  const std::string& optimizer_name() const { return optim_name_; }
  double base_lr() const { return lr_; }
  /// Epochs the last fit() trained itself (0 when a resumed run had nothing left to do).
  int epochs_this_call() const { return epochs_this_call_; }
  const std::string& schedule() const { return schedule_; }
  double warmup_epochs() const { return warmup_; }
  double weight_decay() const { return wd_; }
  /// Learning rate at global step `step` of `total` steps with `steps_per_epoch`.
  double lr_at(int64_t step, int64_t total, int64_t steps_per_epoch) const;
  /// The effective configuration stored in checkpoints.
  nlohmann::json effective_config() const;

 private:
  struct Partial;  // position inside an epoch (for interruption checkpoints)
  EpochStats epoch_impl(const torch::Tensor& all_x, int epoch, const LossFn& loss, int64_t max_steps,
                        Partial* resume_from, bool checkpoint_on_interrupt);
  nlohmann::json make_meta(int next_epoch, const Partial* partial) const;
  std::string write_checkpoint(int next_epoch, const Partial* partial, const nlohmann::json& extra_meta);
  void write_stats_file() const;
  /// Throws TrainingDiverged on NaN/Inf embeddings (C14) or a collapse (C13) after an epoch.
  void check_collapse(const EpochStats& s) const;
  NamedOptimizers all_optimizers();

  Pretext& p_;
  TrainConfig cfg_;
  Context ctx_;
  torch::Device dev_;
  std::string optim_name_, schedule_;
  double lr_ = 0, wd_ = 0, warmup_ = 0;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  std::vector<EpochStats> history_;
  StepHook hook_;
  int64_t n_ = 0;  // rows of the data being trained
  mutable bool warned_weak_spread_ = false;
  int epochs_this_call_ = 0;  // epochs fit() trained in this call (the history also holds resumed ones)  // the partial-collapse warning is given once; later epochs log at debug level
  std::unique_ptr<Partial> resume_partial_;
  int resume_epoch_ = 0;
};

}  // namespace rdc
