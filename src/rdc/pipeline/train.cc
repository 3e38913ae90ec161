// The torch side of the jobs: pretrain, train (R-DC end to end), embed, predict.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "rdc/augment/augment.h"
#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/labels_io.h"
#include "rdc/core/npy.h"
#include "rdc/encoder/encoder_config.h"
#include "rdc/pipeline/pipeline.h"
#include "rdc/pipeline/run_io.h"
#include "rdc/pretext/deepcluster_v2.h"  // resolve_prototypes
#include "rdc/pretext/pretext.h"
#include "rdc/report/report.h"
#include "rdc/train/checkpoint.h"
#include "rdc/train/data_tensor.h"
#include "rdc/train/dec.h"
#include "rdc/train/phase2.h"
#include "rdc/train/trainer.h"

namespace rdc {

using nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<int64_t> sample_shape(const Dataset& d) { return {d.shape.begin() + 1, d.shape.end()}; }

/// Default phase-1 epochs, a budget of training samples that fits the main job's time on a 2-core CPU:
/// acai about 700k samples (10 epochs of Fashion-MNIST, ~5 min), between 10 and 300 epochs;
/// deepcluster-v2 (4 crops per sample) about 350k, between 5 and 200. Large samples (volumes, big
/// images) also get at most the input size of that budget on Fashion-MNIST (samples x 784 values),
/// so that the default run time does not grow with the sample size.
int default_epochs(int64_t n, int64_t sample_size, const std::string& pretext) {
  const bool acai = pretext == "acai";
  const double samples = acai ? 700000.0 : 350000.0;
  const double budget = std::min(samples, samples * 784.0 / static_cast<double>(std::max<int64_t>(sample_size, 1)));
  return static_cast<int>(std::clamp(budget / static_cast<double>(std::max<int64_t>(n, 1)), acai ? 10.0 : 5.0,
                                     acai ? 300.0 : 200.0));
}

/// --resume continues the run in cfg.out_dir: refuses when what the checkpoints depend on (data,
/// protocol, seed, pretext, encoder, embedding size, input shape) differs from that run's
/// config.json, listing the differences, so that a resumed run never records settings it did not
/// use and a failed resume never rewrites the run's configuration. Training lengths, phase-2 and
/// k-means options may change (e.g. --epochs to extend phase 1).
void check_resume_matches(const RunConfig& cfg) {
  const std::string path = join_path(cfg.out_dir, "config.json");
  if (!cfg.resume || !file_exists(path)) return;
  const json old = read_json_file(path);
  const json now = config_to_json(cfg);
  std::vector<std::string> diffs;
  for (const char* key : {"data", "protocol", "seed"})
    if (old.contains(key) && old[key] != now[key])
      diffs.push_back(fmt::format("{}: {} (run) vs {} (now)", key, old[key].dump(), now[key].dump()));
  for (const char* key : {"name", "encoder", "embed_dim", "input_shape"}) {
    if (!old.contains("pretext") || !old["pretext"].contains(key)) continue;
    if (old["pretext"][key] != now["pretext"][key])
      diffs.push_back(fmt::format("pretext.{}: {} (run) vs {} (now)", key, old["pretext"][key].dump(),
                                  now["pretext"][key].dump()));
  }
  RDC_CHECK(diffs.empty(),
            "--resume: '{}' was started with other settings ({}); resume with the run's settings, or drop --resume "
            "and use a new --out folder",
            cfg.out_dir, fmt::join(diffs, "; "));
}

/// Completes cfg for the fit rows (input shape, pretext "auto" by modality - stated in the log -,
/// default epoch count), checks it against the run being resumed, and writes RUN/config.json.
void prepare_run_config(RunConfig& cfg, const Dataset& fit) {
  cfg.pretext.input_shape = sample_shape(fit);
  const std::string asked = cfg.pretext.name;
  cfg.pretext.name = resolve_pretext_name(asked, cfg.pretext.input_shape);
  if (asked == "auto")
    spdlog::info("pretext auto -> {} (input {}; acai for vectors, grey-scale images and volumes, deepcluster-v2 "
                 "for colour images)",
                 cfg.pretext.name, shape_str(cfg.pretext.input_shape));
  if (cfg.phase1.epochs == 0) cfg.phase1.epochs = default_epochs(fit.n(), fit.sample_size(), cfg.pretext.name);
  check_resume_matches(cfg);
  make_dirs(cfg.out_dir);  // only now: a call that fails on its input leaves no folder behind
  if (!cfg.resume) clear_previous_run(cfg.out_dir);
  write_json_file(join_path(cfg.out_dir, "config.json"), config_to_json(cfg));
}

struct Phase1Result {
  std::unique_ptr<Pretext> pretext;
  int epochs_trained = 0;  ///< epochs trained by this call (a resumed run's earlier epochs not counted)
  std::string optimizer;  ///< as the trainer resolved it
  double lr = 0;          ///< the phase-1 base learning rate actually used
  int64_t n_fit = 0;      ///< rows phase 1 trains on
};

/// Rewrites RUN/config.json with a "resolved" block: what every "auto" or 0 setting became
/// (encoder, embedding size, geometry, learning rates, K), so a reader needs neither the log nor a
/// checkpoint. The top-level settings stay as given, which is what --resume compares.
void write_resolved_config(const RunConfig& cfg, const Phase1Result& p1) {
  const Pretext& p = *p1.pretext;
  json j = config_to_json(cfg);
  const std::string encoder = resolve_encoder_name(cfg.pretext.encoder, cfg.pretext.input_shape);
  const bool acai = cfg.pretext.name == "acai";
  json r = {{"pretext", cfg.pretext.name},
            {"encoder", encoder},
            {"encoder_width", cfg.pretext.encoder_width > 0 ? cfg.pretext.encoder_width : default_encoder_width(encoder)},
            {"embed_dim", p.embed_dim()},
            {"augment", p.config().augment},
            {"geometry", p.normalized() ? "cosine" : "euclidean"},
            {"phase1_epochs", cfg.phase1.epochs},
            {"batch_size", std::min<int64_t>(cfg.phase1.batch_size, std::max<int64_t>(2, p1.n_fit))},
            {"phase1_optimizer", p1.optimizer},
            {"phase1_lr", p1.lr},
            {"clusters", cfg.clusters},
            {"kmeans_spherical", p.normalized()}};
  if (!acai)
    r["prototypes"] = resolve_prototypes(cfg.pretext.prototypes, p1.n_fit, cfg.pretext.min_points_per_prototype);
  if (cfg.phase2.enabled)
    r["phase2_lr"] = cfg.phase2.lr > 0 ? cfg.phase2.lr
                                       : phase2_lr_fraction(cfg.phase2, p.name(), p.normalized()) * p1.lr;
  j["resolved"] = std::move(r);
  write_json_file(join_path(cfg.out_dir, "config.json"), j);
}

Phase1Result run_phase1(RunConfig& cfg, const torch::Tensor& x_fit, int64_t n_fit) {
  cfg.pretext.batch_size = cfg.phase1.batch_size;
  Phase1Result r;
  r.n_fit = n_fit;
  r.pretext = make_pretext(cfg.pretext, n_fit, cfg.ctx);
  TrainConfig tc;
  tc.epochs = cfg.phase1.skip ? 0 : cfg.phase1.epochs;
  tc.batch_size = std::min<int64_t>(cfg.phase1.batch_size, std::max<int64_t>(2, n_fit));
  tc.lr = cfg.phase1.lr;
  tc.optimizer = cfg.phase1.optimizer;
  tc.out_dir = cfg.out_dir;
  tc.tag = "phase1";
  tc.resume = cfg.resume;
  tc.run_config = config_to_json(cfg);
  Trainer tr(*r.pretext, tc, cfg.ctx);
  r.optimizer = tr.optimizer_name();
  r.lr = tr.base_lr();
  write_resolved_config(cfg, r);
  spdlog::info("phase 1: {} pretext, {} epochs, batch {}, optimiser {} lr {:.2g}", r.pretext->name(), tc.epochs,
               tc.batch_size, tr.optimizer_name(), tr.base_lr());
  if (tc.epochs > 0) tr.fit(x_fit);
  r.epochs_trained = tr.epochs_this_call();
  return r;
}

std::vector<float> embed_cpu(Pretext& p, const torch::Tensor& x, int64_t* m) {
  torch::Tensor z = Trainer::embed_all(p, x);
  *m = z.size(1);
  return to_vector(z);
}

/// The model a finished run uses by default (C02): final, else phase 2, else phase 1; says which.
std::string default_checkpoint(const std::string& run_dir) {
  for (const char* tag : {"final", "phase2", "phase1"}) {
    for (const char* which : {"last", "prev"}) {
      std::string p = checkpoint_path(run_dir, tag, which);
      if (file_exists(p)) return p;
    }
  }
  RDC_FAIL("'{}' holds no checkpoint (checkpoints/final_last.pt, phase2_last.pt or phase1_last.pt); train first",
           run_dir);
}

}  // namespace

void run_pretrain(const RunConfig& cfg_in) {
  RunConfig cfg = cfg_in;
  cfg.validate();
  auto t0 = std::chrono::steady_clock::now();
  apply_context(cfg.ctx);
  const auto dev = torch_device(cfg.ctx);  // a missing device fails before anything is written
  ProtocolSplit ps = load_for_run(cfg);
  const Dataset& scored = scored_rows(ps, cfg.protocol);
  prepare_run_config(cfg, ps.fit);
  torch::Tensor x_fit = dataset_tensor(ps.fit, dev);
  Phase1Result p1 = run_phase1(cfg, x_fit, ps.fit.n());
  int64_t m = 0;
  auto z = embed_cpu(*p1.pretext, cfg.protocol == Protocol::kAll ? x_fit : dataset_tensor(scored, dev), &m);
  write_npy(join_path(cfg.out_dir, "embedding_phase1.npy"), z, {scored.n(), m});
  spdlog::info("phase 1 done in {:.1f} s; wrote {}", seconds_since(t0), cfg.out_dir);
}

void run_train(const RunConfig& cfg_in) {
  RunConfig cfg = cfg_in;
  cfg.validate();
  if (is_dec_method(cfg.method)) {  // baselines (train/dec.h): DEC / IDEC replace phase 2
    cfg.dec.validate();
    cfg.phase2.enabled = false;
  }
  const bool phase1_trains = !cfg.phase1.skip;
  RDC_CHECK(!cfg.phase2.enabled || phase1_trains || cfg.phase2.allow_without_phase1,
            "phase 2 needs a trained phase 1, but --skip-phase1 was given; drop it, or pass "
            "--allow-untrained-phase1 to run phase 2 from random weights (C08)");
  if (!phase1_trains && cfg.phase2.enabled)
    spdlog::warn("--allow-untrained-phase1: phase 2 starts from a randomly initialised encoder (C08); expect "
                 "results near chance");
  auto t0 = std::chrono::steady_clock::now();
  apply_context(cfg.ctx);
  const auto dev = torch_device(cfg.ctx);  // a missing device fails before anything is written
  ProtocolSplit ps = load_for_run(cfg);
  const Dataset& scored = scored_rows(ps, cfg.protocol);
  const int64_t k = resolve_clusters(cfg, scored);
  cfg.clusters = k;
  RDC_CHECK(k <= ps.fit.n(), "--clusters {} is larger than the number of training samples {}", k, ps.fit.n());
  prepare_run_config(cfg, ps.fit);
  const bool has_labels = scored.has_labels();
  const bool same = cfg.protocol == Protocol::kAll;
  std::vector<std::string> warnings;
  json metrics;
  metrics["method"] = cfg.method;
  metrics["protocol"] = protocol_name(cfg.protocol);
  metrics["seed"] = cfg.ctx.seed;
  metrics["threads"] = cfg.ctx.effective_threads();
  metrics["k"] = k;
  metrics["n"] = scored.n();
  metrics["labels"] = has_labels;
  if (!has_labels) spdlog::info("no labels: label metrics are skipped (C16)");

  // Baseline: k-means on the raw input (evaluation only).
  if (has_labels && cfg.raw_kmeans_baseline) {
    auto tb = std::chrono::steady_clock::now();
    const int64_t d = ps.fit.sample_size();
    RunConfig raw_cfg = cfg;  // raw input is high-dimensional: 3 restarts keep the baseline cheap
    raw_cfg.kmeans.n_init = std::min(cfg.kmeans.n_init, 3);
    KMeansResult km = cluster_embedding(ps.fit.x, ps.fit.n(), d, k, false, raw_cfg);
    auto pred = same ? km.assignments : kmeans_predict(scored.x.data(), scored.n(), d, km.centroids, false);
    metrics["raw_kmeans"] = score_assignments(scored, pred, k, nullptr, "k-means (raw input)");
    metrics["raw_kmeans"]["seconds"] = seconds_since(tb);
    metrics["raw_kmeans"]["restarts"] = raw_cfg.kmeans.n_init;
    spdlog::info("baseline k-means on raw input ({} restarts): ACC {:.4f} NMI {:.4f} ({:.1f} s)",
                 raw_cfg.kmeans.n_init, metrics["raw_kmeans"]["acc"].get<double>(),
                 metrics["raw_kmeans"]["nmi"].get<double>(), seconds_since(tb));
  }

  // Phase 1
  torch::Tensor x_fit = dataset_tensor(ps.fit, dev);
  torch::Tensor x_score = same ? x_fit : dataset_tensor(scored, dev);
  auto t1 = std::chrono::steady_clock::now();
  Phase1Result p1 = run_phase1(cfg, x_fit, ps.fit.n());
  Pretext& pretext = *p1.pretext;
  metrics["phase1_seconds"] = seconds_since(t1);
  const bool spherical = pretext.normalized();
  int64_t m = 0;
  std::vector<float> z_fit = embed_cpu(pretext, x_fit, &m);
  std::vector<float> z_score = same ? z_fit : embed_cpu(pretext, x_score, &m);
  write_npy(join_path(cfg.out_dir, "embedding_phase1.npy"), z_score, {scored.n(), m});
  if (has_labels && cfg.phase2.enabled) {
    KMeansResult km = cluster_embedding(z_fit, ps.fit.n(), m, k, spherical, cfg);
    auto pred = same ? km.assignments : kmeans_predict(z_score.data(), scored.n(), m, km.centroids, spherical);
    metrics["phase1_kmeans"] = score_assignments(scored, pred, k, nullptr, "phase 1 + k-means");
    spdlog::info("phase 1 + k-means: ACC {:.4f} NMI {:.4f}", metrics["phase1_kmeans"]["acc"].get<double>(),
                 metrics["phase1_kmeans"]["nmi"].get<double>());
  }

  // Phase 2
  if (cfg.phase2.enabled) {
    auto t2 = std::chrono::steady_clock::now();
    const double lr = cfg.phase1.lr > 0 ? cfg.phase1.lr : pretext.optim_defaults().lr;
    // Phase 2 builds on phase 1: when this call trained phase 1 further (a resume with a larger
    // --epochs, or one interrupted in phase 1), phase 2 starts again from round 1.
    const bool resume_phase2 = cfg.resume && p1.epochs_trained == 0;
    if (cfg.resume && !resume_phase2 && file_exists(checkpoint_path(cfg.out_dir, "phase2", "last")))
      spdlog::info("phase 1 trained {} more epoch(s) in this call: phase 2 starts again from round 1 on the new "
                   "phase-1 model",
                   p1.epochs_trained);
    auto rounds =
        run_phase2(pretext, x_fit, cfg.phase2, cfg.phase1.batch_size, lr, cfg.out_dir, resume_phase2, cfg.ctx);
    metrics["phase2_seconds"] = seconds_since(t2);
    metrics["phase2_rounds"] = rounds.size();
    z_fit = embed_cpu(pretext, x_fit, &m);
    z_score = same ? z_fit : embed_cpu(pretext, x_score, &m);
  }

  // Baselines DEC / IDEC: centres from k-means on the phase-1 embedding, then the KL clustering loss.
  std::optional<DecOutcome> dec;
  if (is_dec_method(cfg.method)) {
    dec = run_dec_stage(pretext, x_fit, z_fit, k, cfg);
    if (has_labels) {
      auto pred1 = same ? dec->init.assignments
                        : kmeans_predict(z_score.data(), scored.n(), m, dec->init.centroids, spherical);
      metrics["phase1_kmeans"] = score_assignments(scored, pred1, k, nullptr, "phase 1 + k-means");
    }
    metrics["dec"] = dec->summary;
    z_fit = std::move(dec->z_fit);
    z_score = same ? z_fit : embed_cpu(pretext, x_score, &m);
  }

  // Final assignment: k-means on the final embedding (DEC/IDEC: argmax q, their own centres);
  // centroids saved with the model.
  auto tk = std::chrono::steady_clock::now();
  KMeansResult km = dec ? std::move(dec->final) : cluster_embedding(z_fit, ps.fit.n(), m, k, spherical, cfg);
  auto pred = same ? km.assignments : kmeans_predict(z_score.data(), scored.n(), m, km.centroids, spherical);
  metrics["final_kmeans_seconds"] = seconds_since(tk);
  write_npy(join_path(cfg.out_dir, "embedding.npy"), z_score, {scored.n(), m});
  write_npy(join_path(cfg.out_dir, "centroids.npy"), km.centroids, {k, m});
  write_assignments(cfg.out_dir, scored, pred);
  json meta = {{"pretext_config", pretext_config_to_json(cfg.pretext)},
               {"n_samples", ps.fit.n()},
               {"k", k},
               {"spherical", spherical},
               {"run_config", config_to_json(cfg)}};
  auto ct = torch::from_blob(km.centroids.data(), {k, m}, torch::kFloat32).clone();
  save_checkpoint(cfg.out_dir, "final", pretext, {}, meta, {{"centroids", ct}});
  metrics["final"] = score_assignments(scored, pred, k, &warnings, "final");
  metrics["warnings"] = warnings;
  metrics["wall_seconds"] = seconds_since(t0);
  metrics["peak_rss_mb"] = peak_rss_mb();
  write_json_file(join_path(cfg.out_dir, "metrics.json"), metrics);
  if (has_labels) {
    spdlog::info("final ({}): ACC {:.4f}  NMI {:.4f}  ARI {:.4f}  | {} of {} clusters non-empty | {:.1f} s",
                 cfg.method, metrics["final"]["acc"].get<double>(), metrics["final"]["nmi"].get<double>(),
                 metrics["final"]["ari"].get<double>(), metrics["final"]["num_nonempty_clusters"].get<int64_t>(), k,
                 metrics["wall_seconds"].get<double>());
  } else {
    spdlog::info("final: {} of {} clusters non-empty | {:.1f} s",
                 metrics["final"]["num_nonempty_clusters"].get<int64_t>(), k, metrics["wall_seconds"].get<double>());
  }
  if (cfg.write_report) write_report_or_warn(cfg.out_dir);
  spdlog::info("run folder: {}", cfg.out_dir);
}

namespace {

struct LoadedRun {
  std::unique_ptr<Pretext> pretext;
  std::string checkpoint;
  Dataset data;
};

LoadedRun load_run(const std::string& run_dir, const std::string& data, const std::string& checkpoint,
                   const Context& ctx, int csv_label_column) {
  apply_context(ctx);
  LoadedRun r;
  r.checkpoint = checkpoint.empty() ? default_checkpoint(run_dir) : checkpoint;
  json meta;
  try {
    r.pretext = load_pretext(r.checkpoint, ctx, &meta);
  } catch (const Error& e) {
    if (r.checkpoint.find("final_") == std::string::npos) throw;
    RDC_FAIL("{}. The final model can be rebuilt from the run's phase-2 checkpoint: run the same `rdc train` "
             "command again with --resume (it skips the finished phases and redoes the final k-means), or name "
             "another checkpoint with --checkpoint",
             e.what());
  }
  spdlog::info("model: {} ({} pretext{})", r.checkpoint, r.pretext->name(),
               meta.contains("epoch") ? fmt::format(", epoch {}", meta["epoch"].dump()) : std::string());
  RunConfig rc = config_from_json(read_json_file(join_path(run_dir, "config.json")));
  const bool csv_override = csv_label_column != kRunCsvLabelColumn;
  if (csv_override) rc.load.csv_label_column = csv_label_column;
  r.data = load_dataset(data.empty() ? rc.data : data, rc.load);
  std::vector<int64_t> shape = sample_shape(r.data);
  const std::string csv_hint =
      !csv_override && rc.load.csv_label_column != -1
          ? fmt::format(" (CSV/TSV data is read as the run read it, with column {} as labels; new data without "
                        "labels needs --csv-label-column -1)",
                        rc.load.csv_label_column)
          : std::string();
  RDC_CHECK(shape == r.pretext->config().input_shape,
            "'{}' has samples of shape [{}] but the model was trained on [{}]{}", r.data.source,
            fmt::join(shape, "x"), fmt::join(r.pretext->config().input_shape, "x"), csv_hint);
  return r;
}

}  // namespace

void run_embed(const std::string& run_dir, const std::string& data, const std::string& out_npy,
               const std::string& checkpoint, const Context& ctx, int csv_label_column) {
  LoadedRun r = load_run(run_dir, data, checkpoint, ctx, csv_label_column);
  int64_t m = 0;
  auto z = embed_cpu(*r.pretext, dataset_tensor(r.data, torch_device(ctx)), &m);
  write_npy(out_npy, z, {r.data.n(), m});
  spdlog::info("wrote {} ({} x {})", out_npy, r.data.n(), m);
}

void run_predict(const std::string& run_dir, const std::string& data, const std::string& out_prefix,
                 const std::string& checkpoint, const Context& ctx, int csv_label_column) {
  RDC_CHECK(std::filesystem::is_directory(run_dir), "run folder '{}' does not exist (predict takes the --out of `rdc train`)",
            run_dir);
  RDC_CHECK(file_exists(join_path(run_dir, "centroids.npy")),
            "'{}' has no centroids.npy: predict needs a run finished by `rdc train` (for a `rdc pretrain` run, "
            "use `rdc embed` and cluster the embedding)",
            run_dir);
  // fail before the work, not after it, when the output folder cannot be made
  const std::string out_folder = std::filesystem::path(out_prefix).parent_path().string();
  if (!out_folder.empty()) make_dirs(out_folder);
  LoadedRun r = load_run(run_dir, data, checkpoint, ctx, csv_label_column);
  NpyArray c = read_npy(join_path(run_dir, "centroids.npy"));
  RDC_CHECK(c.shape.size() == 2, "{}: centroids must be 2-D", join_path(run_dir, "centroids.npy"));
  int64_t m = 0;
  auto z = embed_cpu(*r.pretext, dataset_tensor(r.data, torch_device(ctx)), &m);
  RDC_CHECK(c.shape[1] == m, "centroids have dimension {} but the model embeds into {}", c.shape[1], m);
  const bool spherical = r.pretext->normalized();
  if (r.checkpoint.find("final_") == std::string::npos)
    spdlog::warn("predict: '{}' is not the run's final model, but the centroids ({}) were fitted on the final "
                 "model's embedding; the assignments are only meaningful for the final model",
                 r.checkpoint, join_path(run_dir, "centroids.npy"));
  auto pred = kmeans_predict(z.data(), r.data.n(), m, c.to_float(), spherical);
  write_npy(out_prefix + ".npy", pred, {r.data.n()});
  write_assignments_csv(out_prefix + ".csv", pred, r.data.names, r.data.labels);
  if (r.data.has_labels()) {
    auto mt = evaluate_clustering(r.data.labels, pred, c.shape[0]);
    write_file_atomic(out_prefix + "_metrics.json", metrics_to_json(mt) + "\n");
    spdlog::info("ACC {:.4f}  NMI {:.4f}  ARI {:.4f}", mt.acc, mt.nmi, mt.ari);
  }
  spdlog::info("wrote {}.npy and {}.csv ({} samples)", out_prefix, out_prefix, r.data.n());
}

}  // namespace rdc
