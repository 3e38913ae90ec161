#pragma once
// The jobs the CLI runs, as plain functions over plain parameter structs
// (torch-free header: the CLI includes it without libtorch).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rdc/cluster/kmeans.h"
#include "rdc/core/context.h"
#include "rdc/data/readers.h"
#include "rdc/metrics/intrinsic_dim.h"
#include "rdc/pretext/pretext_config.h"
#include "rdc/train/dec_config.h"
#include "rdc/train/phase2_config.h"

namespace rdc {

struct Phase1Params {
  int epochs = 0;              ///< 0 = default for the pretext and data size
  int64_t batch_size = 256;
  double lr = 0;               ///< 0 = pretext default
  std::string optimizer = "";  ///< "" = pretext default
  bool skip = false;           ///< ablation / C08 test: no phase-1 training (random encoder)
};

/// Everything one run needs. Written to RUN/config.json as the effective configuration.
struct RunConfig {
  std::string command = "train";   ///< train | pretrain | kmeans
  std::string method = "rdc";      ///< rdc | pretext | kmeans | dec | idec (baselines: train/dec.h)
  std::string data = "fashion-mnist";
  Protocol protocol = Protocol::kAll;
  LoadOptions load;
  Context ctx;
  std::string out_dir = "runs/fashion-mnist";
  int64_t clusters = 0;            ///< K; 0 = number of label classes (stated in the log) when labels exist
  bool resume = false;
  PretextConfig pretext;
  Phase1Params phase1;
  Phase2Params phase2;
  DecParams dec;                   ///< --method dec | idec (phase 2 is then off)
  KMeansParams kmeans;             ///< final assignment (k filled from clusters)
  bool raw_kmeans_baseline = true; ///< also score k-means on the raw input (when labels exist)
  bool write_report = true;
  void validate() const;
};

/// The run folder `rdc train` uses when --out is not given: runs/<DATA's name without folders and
/// extensions> ("fashion-mnist" -> runs/fashion-mnist, "/x/scans.npz" -> runs/scans).
std::string default_run_dir(const std::string& data);

/// rdc kmeans: k-means on the raw input; writes assignments, metrics, config.
void run_kmeans(const RunConfig& cfg);
/// rdc pretrain: phase 1 only (checkpoints + phase-1 embedding).
void run_pretrain(const RunConfig& cfg);
/// rdc train: phase 1, phase 2, final k-means, metrics (the main job).
void run_train(const RunConfig& cfg);
/// rdc embed: embedding of DATA with the run's final (or named) model -> .npy
/// DATA is read with the run's load options (config.json); csv_label_column, when not
/// kRunCsvLabelColumn, replaces the run's CSV label column (-1: new data without labels).
constexpr int kRunCsvLabelColumn = -1000;
void run_embed(const std::string& run_dir, const std::string& data, const std::string& out_npy,
               const std::string& checkpoint, const Context& ctx, int csv_label_column = kRunCsvLabelColumn);
/// rdc predict: cluster ids of DATA by nearest final centroid -> .npy + .csv (+ metrics if labels).
void run_predict(const std::string& run_dir, const std::string& data, const std::string& out_prefix,
                 const std::string& checkpoint, const Context& ctx, int csv_label_column = kRunCsvLabelColumn);

/// rdc diagnose: per-cluster (RUN/assignments.npy) TwoNN and linear intrinsic dimension of every
/// stored embedding of RUN (embedding_phase1.npy, per-round embedding_*.npy, embedding.npy), plus a
/// summary of RUN/gradient_cosines.csv when present. Writes RUN/diagnostics.json and
/// RUN/diagnostics.csv (cluster,stage,n,twonn,lid) and returns the JSON.
nlohmann::json run_diagnose(const std::string& run_dir, const IntrinsicDimParams& p, const Context& ctx);
/// The short table `rdc diagnose` prints: one row per cluster (and "all"), TwoNN / LID per stage.
std::string format_diagnostics_table(const nlohmann::json& diagnostics);
/// Summary of gradient cosines: n, mean, std, min, max, fraction_negative (NaN entries ignored).
nlohmann::json summarize_gradient_cosines(const std::vector<double>& cosines);

/// Peak resident memory of this process in MiB (from /proc/self/status VmHWM).
double peak_rss_mb();

}  // namespace rdc
