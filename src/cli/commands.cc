#include "cli/commands.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "rdc/cluster/kmeans.h"
#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/interrupt.h"
#include "rdc/core/labels_io.h"
#include "rdc/data/readers.h"
#include "rdc/metrics/metrics.h"
#include "rdc/pipeline/run_io.h"
#include "rdc/report/report.h"

namespace rdc::cli {

namespace {

std::map<CLI::App*, std::function<int()>>& actions() {
  static std::map<CLI::App*, std::function<int()>> a;
  return a;
}

// Options shared by every command that computes something.
void add_context_options(CLI::App* c, Context& ctx) {
  c->add_option("--threads", ctx.threads, "threads for torch/faiss/OpenMP (0 = all cores)")->capture_default_str();
  c->add_option("--seed", ctx.seed, "seed for torch, faiss and every RNG (>= 0)")
      ->check(CLI::Validator(  // a uint64: -1 would otherwise wrap to 2^64 - 1
          [](std::string& v) {
            return v.find_first_not_of("0123456789") == std::string::npos && !v.empty()
                       ? std::string()
                       : "must be a non-negative integer, got '" + v + "'";
          },
          ""))
      ->capture_default_str();
  c->add_option("--device", ctx.device, "cpu | cuda | cuda:N")->capture_default_str();
}

void add_data_options(CLI::App* c, RunConfig& cfg, std::string& protocol) {
  c->add_option("--protocol", protocol, "all (merge splits) | train-test (fit on train, score on test)")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "train-test"}));
  c->add_option("--csv-label-column", cfg.load.csv_label_column,
                "CSV/TSV: column holding labels (-1 none, -2 last)");
  c->add_flag("--csv-header", cfg.load.csv_header, "CSV/TSV: first line is a header");
  c->add_option("--npz-key", cfg.load.npz_key, "npz: name of the array holding the samples");
  c->add_flag("!--no-folder-labels", cfg.load.labels_from_folders, "image folders: do not read classes from sub-folders");
}

void add_phase1_options(CLI::App* c, RunConfig& cfg) {
  auto& p = cfg.pretext;
  c->add_option("--pretext", p.name,
                "phase-1 pretext: auto (acai for vectors, grey images, volumes; deepcluster-v2 for colour images) | "
                "deepcluster-v2 | acai")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "deepcluster-v2", "acai"}));
  c->add_option("--encoder", p.encoder, "auto | mlp | conv | resnet18 | conv3d")->capture_default_str()
      ->check(CLI::IsMember({"auto", "mlp", "conv", "resnet18", "conv3d"}));
  c->add_option("--embed-dim", p.embed_dim, "embedding size m (0 = pretext default)");
  c->add_option("--width", p.encoder_width, "base channels of conv encoders (0 = encoder default)");
  c->add_option("--heads", p.heads, "DCv2 prototype heads")->capture_default_str();
  c->add_option("--prototypes", p.prototypes, "DCv2 prototypes per head (0 = auto, capped by N)");
  c->add_option("--temperature", p.temperature, "DCv2 softmax temperature")->capture_default_str();
  c->add_option("--small-crops", p.small_crops, "DCv2 small crops per sample")->capture_default_str();
  c->add_option("--acai-lambda", p.acai_lambda, "ACAI critic-term weight (0 = plain autoencoder)")
      ->capture_default_str();
  c->add_option("--acai-invariance", p.acai_invariance,
                "ACAI: weight of 1 - cos between the codes of two augmented views (0 = one view)")
      ->capture_default_str();
  c->add_option("--acai-target", p.acai_target,
                "ACAI: the decoder reconstructs the augmented view it was given (view) or the clean sample (clean)")
      ->capture_default_str()
      ->check(CLI::IsMember({"view", "clean"}));
  c->add_option("--geometry", p.geometry,
                 "embedding geometry for the k-NN graph, centroids and k-means: auto (= cosine) | cosine | euclidean")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cosine", "euclidean"}));
  c->add_option("--augment", p.augment, "augmentation strength: auto | none | weak | strong")->capture_default_str()
      ->check(CLI::IsMember({"auto", "none", "weak", "strong"}));
  c->add_option("--epochs", cfg.phase1.epochs, "phase-1 epochs (0 = default for the data size)");
  c->add_option("--batch-size", cfg.phase1.batch_size, "mini-batch size")->capture_default_str();
  c->add_option("--lr", cfg.phase1.lr, "phase-1 learning rate (0 = pretext default)");
  c->add_flag("--skip-phase1", cfg.phase1.skip, "ablation: no phase-1 training (phase 2 then refuses: C08)");
  c->add_flag("--resume", cfg.resume, "continue an interrupted run from its last checkpoint");
}

void add_phase2_options(CLI::App* c, RunConfig& cfg) {
  auto& q = cfg.phase2;
  c->add_option("--rounds", q.rounds, "phase-2 refresh rounds")->capture_default_str();
  c->add_option("--round-epochs", q.epochs_per_round, "training epochs per phase-2 round")->capture_default_str();
  c->add_option("--round-lr", q.lr, "phase-2 learning rate (0 = --round-lr-fraction x phase-1 lr)");
  c->add_option("--round-lr-fraction", q.lr_fraction, "phase-2 lr as a fraction of phase 1's (0 = auto: acai 0.3 cosine / 1 euclidean, deepcluster-v2 0.1)")->capture_default_str();
  c->add_option("--knn", q.knn, "k of the k-NN graph")->capture_default_str();
  c->add_option("--s-start", q.s_start, "core threshold in round 1")->capture_default_str();
  c->add_option("--s-end", q.s_end, "core threshold in the last round")->capture_default_str();
  c->add_option("--w-start", q.w_start, "instance-loss weight in round 1")->capture_default_str();
  c->add_option("--w-end", q.w_end, "instance-loss weight in the last round")->capture_default_str();
  c->add_flag("!--no-phase2", q.enabled, "ablation: skip phase 2");
  c->add_flag("!--no-mutual", q.mutual, "ablation: drop the mutual-proximity filter");
  c->add_flag("!--no-consistency", q.consistency, "ablation: drop the consistency filter");
  c->add_option("--round1-reference", q.round1_reference, "augmented | none")->capture_default_str()
      ->check(CLI::IsMember({"augmented", "none"}));
  c->add_option("--consistency-width", q.consistency_width,
                 "consistency keeps j when it is among the previous round's ceil(width x k) neighbours of i")
      ->capture_default_str();
  c->add_option("--proximity-loss", q.proximity_loss,
                 "distance (pull each core point to its neighbour centroid) | contrastive (... and away from the "
                 "other centroids in the batch)")
      ->capture_default_str()
      ->check(CLI::IsMember({"distance", "contrastive"}));
  c->add_option("--proximity-temperature", q.temperature, "temperature of the contrastive proximity loss")
      ->capture_default_str();
  c->add_option("--stop-tolerance", q.stop_tolerance, "stop when graph and core changes fall below")
      ->capture_default_str();
  c->add_flag("--allow-untrained-phase1", q.allow_without_phase1,
              "C08 override: run phase 2 even without a trained phase 1");
}

void add_kmeans_options(CLI::App* c, RunConfig& cfg) {
  c->add_option("--restarts", cfg.kmeans.n_init, "k-means restarts")->capture_default_str();
  c->add_option("--kmeans-iters", cfg.kmeans.iters, "k-means iterations per restart")->capture_default_str();
}

template <typename F>
void on(CLI::App* c, F f) {
  actions()[c] = f;
}

}  // namespace

void setup_logging(const CommonOptions& common) {
  auto logger = spdlog::stderr_color_mt("rdc");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  spdlog::set_level(common.quiet ? spdlog::level::warn : spdlog::level::from_str(common.log_level));
}

void register_commands(CLI::App& app, CommonOptions& common) {
  app.add_option("--log-level", common.log_level, "trace | debug | info | warn | error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_flag("-q,--quiet", common.quiet, "only warnings and errors");
  auto cfg = std::make_shared<RunConfig>();
  auto protocol = std::make_shared<std::string>("all");
  auto finish_cfg = [cfg, protocol]() { cfg->protocol = parse_protocol(*protocol); };

  // ---- datasets
  auto* ds = app.add_subcommand("datasets", "list the built-in dataset names");
  on(ds, [] {
    for (const auto& b : builtin_datasets())
      std::printf("%-20s %-10s %s\n    %s\n", b.name.c_str(), b.available ? "available" : "MISSING",
                  b.description.c_str(), b.path.c_str());
    return 0;
  });

  // ---- inspect
  auto* ins = app.add_subcommand("inspect", "print shape, dtype, value range and label counts of DATA");
  ins->add_option("data", cfg->data, "built-in name or path")->required();
  add_data_options(ins, *cfg, *protocol);
  on(ins, [cfg, finish_cfg] {
    finish_cfg();
    Dataset d = load_dataset(cfg->data, cfg->load);
    std::printf("%s\n", describe(d).c_str());
    return 0;
  });

  // ---- evaluate
  auto* ev = app.add_subcommand("evaluate", "score an assignment file against labels");
  auto labels_path = std::make_shared<std::string>();
  auto pred_path = std::make_shared<std::string>();
  auto eval_k = std::make_shared<int64_t>(0);
  ev->add_option("--labels", *labels_path, "labels: .npy, .csv or text (one id per line)")->required();
  ev->add_option("--pred", *pred_path, "cluster ids: .npy, .csv (column 'cluster') or text")->required();
  ev->add_option("--clusters", *eval_k, "number of clusters requested (0 = max id + 1)");
  on(ev, [labels_path, pred_path, eval_k] {
    auto y = read_ids(*labels_path, "label");
    auto p = read_ids(*pred_path, "cluster");
    RDC_CHECK(y.size() == p.size(), "{} has {} labels but {} has {} ids", *labels_path, y.size(), *pred_path,
              p.size());
    auto m = evaluate_clustering(y, p, *eval_k);
    nlohmann::json j = nlohmann::json::parse(metrics_to_json(m));
    j["warnings"] = cluster_size_warnings(m.cluster_sizes, p.size());  // C03: a degenerate result is said
    for (const auto& w : j["warnings"]) spdlog::warn("{}", w.get<std::string>());
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  });

  // ---- kmeans
  auto* km = app.add_subcommand("kmeans", "k-means baseline on the raw input");
  km->add_option("data", cfg->data, "built-in name or path")->required();
  km->add_option("-k,--clusters", cfg->clusters, "number of clusters K (0 = number of label classes)");
  km->add_option("-o,--out", cfg->out_dir, "output folder")->required();
  km->add_flag("--spherical", cfg->kmeans.spherical, "spherical (cosine) k-means");
  add_data_options(km, *cfg, *protocol);
  add_context_options(km, cfg->ctx);
  add_kmeans_options(km, *cfg);
  on(km, [cfg, finish_cfg] {
    finish_cfg();
    cfg->command = "kmeans";
    cfg->method = "kmeans";
    run_kmeans(*cfg);
    return 0;
  });

  // ---- pretrain
  auto* pt = app.add_subcommand("pretrain", "phase 1 only: instance-level self-supervision");
  pt->add_option("data", cfg->data, "built-in name or path")->required();
  pt->add_option("-o,--out", cfg->out_dir, "run folder")->required();
  add_data_options(pt, *cfg, *protocol);
  add_context_options(pt, cfg->ctx);
  add_phase1_options(pt, *cfg);
  on(pt, [cfg, finish_cfg] {
    finish_cfg();
    cfg->command = "pretrain";
    run_pretrain(*cfg);
    return 0;
  });

  // ---- train (main job)
  auto* tr = app.add_subcommand("train", "the whole of R-DC: phase 1, phase 2, final k-means, metrics");
  tr->add_option("data", cfg->data, "built-in name or path (default: fashion-mnist)")->capture_default_str();
  tr->add_option("-k,--clusters", cfg->clusters, "number of clusters K (0 = number of label classes)");
  auto* tr_out = tr->add_option("-o,--out", cfg->out_dir, "run folder (default: runs/<name of DATA>)");
  tr->add_option("--method", cfg->method,
                 "rdc | pretext (phase 1 + k-means) | kmeans (raw input) | dec | idec (pseudo-supervised baselines "
                 "after phase 1)")
      ->capture_default_str()
      ->check(CLI::IsMember({"rdc", "pretext", "kmeans", "dec", "idec"}));
  tr->add_option("--dec-epochs", cfg->dec.epochs, "dec/idec: training epochs after phase 1")->capture_default_str();
  tr->add_option("--dec-gamma", cfg->dec.gamma, "idec: weight of the KL term")->capture_default_str();
  tr->add_option("--dec-update-interval", cfg->dec.update_interval,
                 "dec/idec: steps between target-distribution updates (0 = every epoch)")
      ->capture_default_str();
  tr->add_option("--dec-tol", cfg->dec.tol, "dec/idec: stop when fewer assignments change (fraction; 0 = never)")
      ->capture_default_str();
  tr->add_option("--dec-lr", cfg->dec.lr, "dec/idec: learning rate (0 = phase-1 rate)")->capture_default_str();
  tr->add_option("--cosine-every", cfg->dec.cosine_every,
                 "dec/idec: steps between gradient-cosine samples (gradient_cosines.csv; 0 = off)")
      ->capture_default_str();
  tr->add_flag("!--no-report", cfg->write_report, "do not write report.html");
  tr->add_flag("!--no-raw-baseline", cfg->raw_kmeans_baseline, "skip k-means on the raw input");
  add_data_options(tr, *cfg, *protocol);
  add_context_options(tr, cfg->ctx);
  add_phase1_options(tr, *cfg);
  add_phase2_options(tr, *cfg);
  add_kmeans_options(tr, *cfg);
  on(tr, [cfg, finish_cfg, tr_out, tr, km] {
    finish_cfg();
    cfg->command = "train";
    if (tr_out->count() == 0) {
      cfg->out_dir = default_run_dir(cfg->data);
      spdlog::info("--out not given: the run folder is {}", cfg->out_dir);
    }
    if (cfg->method == "kmeans") {
      // k-means on the raw input trains nothing: the options that apply are those of `rdc kmeans`
      std::vector<std::string> ignored;
      for (const auto* opt : tr->get_options())
        if (opt->count() > 0 && !opt->get_lnames().empty()) {
          const std::string n = "--" + opt->get_lnames().front();
          if (n != "--method" && n != "--no-report" && km->get_option_no_throw(n) == nullptr) ignored.push_back(n);
        }
      if (!ignored.empty())
        spdlog::warn("--method kmeans clusters the raw input and trains nothing: {} ignored",
                     fmt::format("{}", fmt::join(ignored, ", ")));
      run_kmeans(*cfg);
      if (cfg->write_report) write_report_or_warn(cfg->out_dir);
      return 0;
    }
    if (cfg->method == "pretext") cfg->phase2.enabled = false;
    run_train(*cfg);
    return 0;
  });

  // ---- embed / predict
  auto run_dir = std::make_shared<std::string>();
  auto data2 = std::make_shared<std::string>();
  auto out2 = std::make_shared<std::string>();
  auto ckpt = std::make_shared<std::string>();
  auto csv_col = std::make_shared<int>(kRunCsvLabelColumn);
  const char* csv_col_help = "CSV/TSV: column holding labels (-1 none, -2 last); default: as the run read its data";
  auto* em = app.add_subcommand("embed", "embed DATA with a trained run's model");
  em->add_option("run", *run_dir, "run folder")->required();
  em->add_option("data", *data2, "built-in name or path")->required();
  em->add_option("-o,--out", *out2, "output .npy")->required();
  em->add_option("--checkpoint", *ckpt, "checkpoint file (default: the run's final model)");
  em->add_option("--csv-label-column", *csv_col, csv_col_help);
  add_context_options(em, cfg->ctx);
  on(em, [cfg, run_dir, data2, out2, ckpt, csv_col] {
    run_embed(*run_dir, *data2, *out2, *ckpt, cfg->ctx, *csv_col);
    return 0;
  });
  auto* pr = app.add_subcommand("predict", "assign DATA to the run's final clusters (nearest centroid)");
  pr->add_option("run", *run_dir, "run folder")->required();
  pr->add_option("data", *data2, "built-in name or path")->required();
  pr->add_option("-o,--out", *out2, "output prefix (writes PREFIX.npy, PREFIX.csv, and PREFIX_metrics.json when DATA has labels)")->required();
  pr->add_option("--checkpoint", *ckpt, "checkpoint file (default: the run's final model)");
  pr->add_option("--csv-label-column", *csv_col, csv_col_help);
  add_context_options(pr, cfg->ctx);
  on(pr, [cfg, run_dir, data2, out2, ckpt, csv_col] {
    run_predict(*run_dir, *data2, *out2, *ckpt, cfg->ctx, *csv_col);
    return 0;
  });

  // ---- diagnose
  auto* dg = app.add_subcommand("diagnose", "intrinsic dimension (TwoNN, linear) of each cluster in RUN's embeddings");
  auto dims = std::make_shared<IntrinsicDimParams>();
  dg->add_option("run", *run_dir, "run folder")->required();
  dg->add_option("--min-cluster-size", dims->min_cluster_size, "skip (and report) smaller clusters")
      ->capture_default_str();
  dg->add_option("--fit-fraction", dims->fit_fraction, "TwoNN: fraction of the sorted ratios in the fit")
      ->capture_default_str();
  dg->add_option("--variance", dims->variance_fraction, "linear ID: fraction of the variance explained")
      ->capture_default_str();
  dg->add_option("--max-points", dims->max_points, "TwoNN on a seeded subset of at most this many points (0 = all)")
      ->capture_default_str();
  add_context_options(dg, cfg->ctx);
  on(dg, [cfg, run_dir, dims] {
    auto d = run_diagnose(*run_dir, *dims, cfg->ctx);
    std::printf("%s", format_diagnostics_table(d).c_str());
    spdlog::info("wrote {} and {}", join_path(*run_dir, "diagnostics.json"), join_path(*run_dir, "diagnostics.csv"));
    return 0;
  });

  // ---- report
  auto* rp = app.add_subcommand("report", "write RUN/report.html (or print JSON)");
  auto fmt_opt = std::make_shared<std::string>("html");
  rp->add_option("run", *run_dir, "run folder")->required();
  rp->add_option("--format", *fmt_opt, "html | json")->check(CLI::IsMember({"html", "json"}))->capture_default_str();
  on(rp, [run_dir, fmt_opt] {
    if (*fmt_opt == "json") {
      std::printf("%s\n", report_json(*run_dir).c_str());
    } else {
      write_report(*run_dir);
    }
    return 0;
  });
}

int run_selected(CLI::App& app, const CommonOptions&) {
  install_interrupt_handler();
  for (auto* sub : app.get_subcommands()) {
    auto it = actions().find(sub);
    if (it != actions().end()) return it->second();
  }
  RDC_FAIL("no command given; see rdc --help");
}

}  // namespace rdc::cli
