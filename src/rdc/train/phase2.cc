#include "rdc/train/phase2.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cmath>

#include "rdc/augment/augment.h"
#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"
#include "rdc/pipeline/run_io.h"
#include "rdc/pretext/pretext.h"
#include "rdc/train/data_tensor.h"
#include "rdc/train/trainer.h"

namespace rdc {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double lerp_round(double a, double b, int round, int rounds) {
  if (rounds <= 1) return a;
  return a + (b - a) * static_cast<double>(round - 1) / static_cast<double>(rounds - 1);
}

// Embedding of one augmented view of every sample (eval mode, no grad): (N, m) on CPU.
torch::Tensor embed_augmented(Pretext& p, const torch::Tensor& all_x, Augmenter& aug, int64_t batch) {
  torch::NoGradGuard ng;
  p.set_train(false);
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < all_x.size(0); s += batch) {
    auto xb = all_x.slice(0, s, std::min(all_x.size(0), s + batch));
    parts.push_back(p.embed(aug.view(xb)).to(torch::kCPU));
  }
  return torch::cat(parts, 0);
}

}  // namespace

double phase2_threshold(const Phase2Params& q, int round) { return lerp_round(q.s_start, q.s_end, round, q.rounds); }
double phase2_weight(const Phase2Params& q, int round) { return lerp_round(q.w_start, q.w_end, round, q.rounds); }

double phase2_lr_fraction(const Phase2Params& q, const std::string& pretext, bool normalized) {
  if (q.lr_fraction > 0) return q.lr_fraction;
  if (pretext != "acai") return 0.1;
  return normalized ? 0.3 : 1.0;
}

torch::Tensor proximity_distance(const torch::Tensor& e, const torch::Tensor& c, bool normalized) {
  if (normalized) return 1.0 - torch::nn::functional::cosine_similarity(
                                   e, c, torch::nn::functional::CosineSimilarityFuncOptions().dim(1));
  return (e - c).pow(2).sum(1);
}

torch::Tensor proximity_contrastive(const torch::Tensor& e, const torch::Tensor& c, double temperature) {
  namespace F = torch::nn::functional;
  auto en = F::normalize(e, F::NormalizeFuncOptions().dim(1).eps(1e-12));
  auto cn = F::normalize(c, F::NormalizeFuncOptions().dim(1).eps(1e-12));
  auto logits = en.mm(cn.t()) / temperature;
  auto target = torch::arange(e.size(0), torch::TensorOptions().dtype(torch::kInt64).device(e.device()));
  return F::cross_entropy(logits, target);
}

RoundTargets phase2_refresh(Pretext& p, const torch::Tensor& all_x, Augmenter& aug, const Phase2Params& q,
                            int round, const KnnGraph* prev, const Context& ctx) {
  auto t0 = std::chrono::steady_clock::now();
  RoundTargets rt;
  const int64_t n = all_x.size(0);
  RDC_CHECK(n >= 2, "phase 2 needs at least 2 samples, got {}", n);
  // 1. embed (clean)
  torch::Tensor z = Trainer::embed_all(p, all_x);
  const int64_t m = z.size(1);
  std::vector<float> zv = to_vector(z);
  // 2. k-NN graph
  // (one search for both: the next round's wider consistency reference and this round's k-NN graph)
  KnnParams kp;
  kp.k = q.knn;
  kp.cosine = p.normalized();
  if (q.consistency && q.consistency_width > 1.0)
    kp.k = std::max(q.knn, std::min(static_cast<int64_t>(std::ceil(q.consistency_width * q.knn)), n - 1));
  rt.reference = build_knn_graph(zv.data(), n, m, kp, ctx);
  rt.graph = kp.k == q.knn ? rt.reference : truncate_graph(rt.reference, std::min(q.knn, rt.reference.k));
  const int64_t k = rt.graph.k;
  // 3. dual filter; round 1's consistency reference is the graph of an augmented view
  KnnGraph aug_graph;
  const KnnGraph* ref = prev;
  bool consistency = q.consistency;
  if (consistency && ref == nullptr) {
    if (q.round1_reference == "augmented") {
      std::vector<float> za = to_vector(embed_augmented(p, all_x, aug, 1024));
      aug_graph = build_knn_graph(za.data(), n, m, kp, ctx);
      ref = &aug_graph;
    } else {
      consistency = false;
    }
  }
  DualFilterParams fp;
  fp.mutual = q.mutual;
  fp.consistency = consistency;
  ReliableNeighbours rel = dual_filter(rt.graph, consistency ? ref : nullptr, fp);
  rt.mean_reliable = rel.mean_count();
  // 4. core points; relax the threshold when too few survive (never crash on an empty set)
  double s = phase2_threshold(q, round);
  std::vector<int64_t> core = core_points(rel, k, s);
  const double min_core = q.min_core_fraction * static_cast<double>(n);
  while (static_cast<double>(core.size()) < min_core && s > 1.0 / static_cast<double>(k) + 1e-12) {
    s = std::max(1.0 / static_cast<double>(k), s - 1.0 / static_cast<double>(k));
    core = core_points(rel, k, s);
  }
  if (s != phase2_threshold(q, round))
    spdlog::warn("phase 2 round {}: too few core points at s = {:.2f}; relaxed to s = {:.2f} ({} core points)",
                 round, phase2_threshold(q, round), s, core.size());
  if (core.empty())
    spdlog::warn("phase 2 round {}: no core point (no sample has a reliable neighbour); this round trains the "
                 "instance-level loss only",
                 round);
  rt.s = s;
  rt.n_core = static_cast<int64_t>(core.size());
  // 5. neighbour centroids, fixed until the next refresh
  auto dev = all_x.device();
  rt.targets = torch::zeros({n, m}, torch::kFloat32);
  rt.is_core = torch::zeros({n}, torch::kBool);
  if (!core.empty()) {
    std::vector<float> c = neighbour_centroids(zv.data(), n, m, rel, core, p.normalized());
    auto idx = torch::from_blob(core.data(), {static_cast<int64_t>(core.size())}, torch::kInt64).clone();
    auto ct = torch::from_blob(c.data(), {static_cast<int64_t>(core.size()), m}, torch::kFloat32).clone();
    rt.targets.index_copy_(0, idx, ct);
    rt.is_core.index_fill_(0, idx, true);
  }
  rt.targets = rt.targets.to(dev);
  rt.is_core = rt.is_core.to(dev);
  rt.graph_change = !prev ? -1.0 : prev->k > k ? graph_change(rt.graph, truncate_graph(*prev, k))
                                              : graph_change(rt.graph, *prev);
  rt.seconds = seconds_since(t0);
  return rt;
}

}  // namespace rdc

namespace rdc {

namespace {

std::string stable_checkpoint_path(const std::string& out_dir) {
  return join_path(join_path(out_dir, "checkpoints"), "phase2_stable.pt");
}

std::string graph_file(const std::string& out_dir) { return join_path(join_path(out_dir, "checkpoints"), "phase2_graph.npy"); }

}  // namespace

std::vector<nlohmann::json> run_phase2(Pretext& p, const torch::Tensor& all_x, const Phase2Params& q,
                                       int64_t batch_size, double lr, const std::string& out_dir, bool resume,
                                       const Context& ctx) {
  q.validate();
  const int64_t n = all_x.size(0);
  const int whole = static_cast<int>(std::floor(q.epochs_per_round));
  const double frac = q.epochs_per_round - whole;
  TrainConfig tc;
  tc.tag = "phase2";
  tc.out_dir = out_dir;
  tc.batch_size = std::min<int64_t>(batch_size, std::max<int64_t>(2, n));
  tc.lr = q.lr > 0 ? q.lr : phase2_lr_fraction(q, p.name(), p.normalized()) * lr;
  tc.schedule = "constant";
  tc.warmup_epochs = 0;
  // epoch indices phase 2 uses: per round `whole` full epochs plus one partial one (progress and ETA
  // count these; an early stop only makes the ETA an upper bound)
  tc.epochs = q.rounds * (whole + (frac > 1e-9 ? 1 : 0));
  tc.resume = false;
  Trainer tr(p, tc, ctx);

  std::vector<nlohmann::json> stats;
  int start_round = 1;
  int epoch_counter = 0;
  KnnGraph prev;
  bool have_prev = false;
  double prev_core_fraction = -1;
  const std::string stats_path = join_path(out_dir, "phase2_stats.jsonl");
  if (resume) {
    nlohmann::json meta = tr.restore();
    if (!meta.is_null() && meta.contains("phase2_round")) {
      start_round = meta["phase2_round"].get<int>() + 1;
      epoch_counter = meta.value("phase2_epoch_counter", 0);
      prev_core_fraction = meta.value("phase2_core_fraction", -1.0);
      for (const auto& s : meta.value("phase2_stats", nlohmann::json::array())) stats.push_back(s);
      if (file_exists(graph_file(out_dir))) {
        NpyArray g = read_npy(graph_file(out_dir));
        RDC_CHECK(g.shape.size() == 2 && g.shape[0] == n, "{}: graph of {} rows does not match {} samples",
                  graph_file(out_dir), g.shape.empty() ? 0 : g.shape[0], n);
        prev.n = n;
        prev.k = g.shape[1];
        prev.ids = g.to_int64(graph_file(out_dir));
        have_prev = true;
      }
      spdlog::info("phase 2: resuming after round {} of {}", start_round - 1, q.rounds);
      // A finished phase 2 stays finished when it stopped on its own criterion or already ran the rounds
      // asked for now; a larger --rounds continues it from the next round.
      const int done_rounds = start_round - 1;
      if (meta.value("phase2_done", false) && (meta.value("phase2_stopped_early", false) || done_rounds >= q.rounds)) {
        if (done_rounds != q.rounds)
          spdlog::info("phase 2 had already finished after round {} ({}); --rounds {} changes nothing", done_rounds,
                       meta.value("phase2_stopped_early", false) ? "graph and core set stable" : "all rounds run",
                       q.rounds);
        start_round = q.rounds + 1;
      } else if (meta.value("phase2_done", false)) {
        spdlog::info("phase 2: --rounds {} extends the {} rounds run so far", q.rounds, done_rounds);
      }
    }
  }
  if (start_round == 1) {
    // fresh phase 2: the statistics file starts empty
    write_file_atomic(stats_path, "");
  }
  // C22: besides the last round, the round whose graph changed least (the most stable one, an
  // unsupervised signal) is kept as checkpoints/phase2_stable.pt
  double best_change = -1;
  for (const auto& st : stats)
    if (st.value("most_stable", false)) best_change = st.value("graph_change", -1.0);
  Augmenter& aug = p.augmenter();
  int r = start_round;
  try {
  for (; r <= q.rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    RoundTargets rt = phase2_refresh(p, all_x, aug, q, r, have_prev ? &prev : nullptr, ctx);
    const double w = phase2_weight(q, r);
    // Per-round scales (method.md lesson 4): each term is divided by its value on the round's first
    // batch, so that the hand-over weight w means the same on every data set.
    double inst0 = q.scale_losses ? -1.0 : 1.0, prox0 = q.scale_losses ? -1.0 : 1.0;
    double sum_inst = 0, sum_prox = 0;
    int64_t steps = 0, prox_steps = 0;
    const bool normalized = p.normalized();
    const bool contrastive = q.proximity_loss == "contrastive";
    Trainer::LossFn loss = [&](const torch::Tensor& x, const torch::Tensor& idx) {
      torch::Tensor inst = p.instance_loss(x, idx, aug);
      const double inst_v = inst.item<double>();
      if (inst0 < 0) inst0 = std::max(std::abs(inst_v), 1e-6);
      torch::Tensor total = (w / inst0) * inst;
      sum_inst += inst_v;
      ++steps;
      if (w < 1.0 && rt.n_core > 0) {
        auto mask = rt.is_core.index_select(0, idx);
        if (mask.any().item<bool>()) {
          auto e = p.last_view_embedding().index({mask});
          auto c = rt.targets.index_select(0, idx.masked_select(mask));
          auto prox = contrastive ? proximity_contrastive(e, c, q.temperature)
                                  : proximity_distance(e, c, normalized).mean();
          const double prox_v = prox.item<double>();
          if (prox0 < 0) prox0 = std::max(prox_v, 1e-6);
          sum_prox += prox_v;
          ++prox_steps;
          total = total + ((1.0 - w) / prox0) * prox;
        }
      }
      return total;
    };
    EpochStats last;
    double loss_sum = 0;
    int64_t loss_steps = 0;
    for (int e = 0; e < whole; ++e) {
      last = tr.run_epoch(all_x, epoch_counter++, loss);
      loss_sum += last.loss * last.steps;
      loss_steps += last.steps;
    }
    if (frac > 1e-9) {
      const int64_t steps_per_epoch = std::max<int64_t>(1, n / tc.batch_size);
      last = tr.run_epoch(all_x, epoch_counter++, loss,
                          std::max<int64_t>(1, static_cast<int64_t>(std::llround(frac * steps_per_epoch))));
      loss_sum += last.loss * last.steps;
      loss_steps += last.steps;
    }
    const double core_fraction = static_cast<double>(rt.n_core) / static_cast<double>(n);
    nlohmann::json js = {{"round", r},
                         {"s", rt.s},
                         {"w", w},
                         {"core_fraction", core_fraction},
                         {"n_core", rt.n_core},
                         {"mean_reliable", rt.mean_reliable},
                         {"knn", rt.graph.k},
                         {"graph_change", rt.graph_change},
                         {"loss", loss_steps ? loss_sum / loss_steps : 0.0},
                         {"instance_loss", steps ? sum_inst / steps : 0.0},
                         {"proximity_loss", prox_steps ? sum_prox / prox_steps : 0.0},
                         {"instance_scale", inst0},
                         {"proximity_scale", prox0},
                         {"refresh_seconds", rt.seconds},
                         {"seconds", seconds_since(t0)}};
    const bool most_stable = rt.graph_change >= 0 && (best_change < 0 || rt.graph_change < best_change);
    if (most_stable) {
      best_change = rt.graph_change;
      for (auto& st : stats) st["most_stable"] = false;
    }
    js["most_stable"] = most_stable;
    stats.push_back(js);
    {  // rewritten whole: an earlier round may just have lost its most_stable mark
      std::string lines;
      for (const auto& st : stats) lines += st.dump() + "\n";
      write_file_atomic(stats_path, lines);
    }
    spdlog::info("phase 2 round {}/{}: core {:.1f}% (s={:.2f}), reliable {:.2f}/pt, graph change {}, w={:.2f}, "
                 "instance {:.4f}, proximity {:.4f}, {:.1f} s",
                 r, q.rounds, 100 * core_fraction, rt.s, rt.mean_reliable,
                 rt.graph_change < 0 ? std::string("-") : fmt::format("{:.3f}", rt.graph_change), w,
                 js["instance_loss"].get<double>(), js["proximity_loss"].get<double>(), js["seconds"].get<double>());
    // 7. unsupervised stopping: graph and core set both stable
    const bool stable = r >= q.min_rounds && rt.graph_change >= 0 && rt.graph_change < q.stop_tolerance &&
                        prev_core_fraction >= 0 && std::abs(core_fraction - prev_core_fraction) < q.stop_tolerance;
    if (!out_dir.empty()) {
      make_dirs(join_path(out_dir, "checkpoints"));
      write_npy(graph_file(out_dir), rt.reference.ids, {n, rt.reference.k});
      tr.save(epoch_counter, {{"phase2_round", r},
                              {"phase2_epoch_counter", epoch_counter},
                              {"phase2_core_fraction", core_fraction},
                              {"phase2_stats", stats},
                              {"phase2_done", stable || r == q.rounds},
                              {"phase2_stopped_early", stable}});
      if (most_stable) {
        const std::string tmp = stable_checkpoint_path(out_dir) + ".tmp";  // copy, then rename: never half a file
        std::filesystem::copy_file(checkpoint_path(out_dir, "phase2", "last"), tmp,
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::rename(tmp, stable_checkpoint_path(out_dir));
        spdlog::info("phase 2 round {}: the most stable graph so far (change {:.3f}); kept as {}", r,
                     rt.graph_change, stable_checkpoint_path(out_dir));
      }
    }
    prev = std::move(rt.reference);
    have_prev = true;
    prev_core_fraction = core_fraction;
    if (stable) {
      spdlog::info("phase 2: graph change {:.3f} and core-fraction change below {:.3f}: stopping after round {}",
                   js["graph_change"].get<double>(), q.stop_tolerance, r);
      break;
    }
  }
  } catch (const Interrupted&) {
    throw Interrupted(fmt::format(
        "phase 2 interrupted in round {} of {}; {}; run the same command with --resume to continue", r, q.rounds,
        r > 1 ? fmt::format("{} saved in {}", r == 2 ? std::string("round 1 is") : fmt::format("rounds 1-{} are", r - 1),
                            checkpoint_path(out_dir, "phase2", "last"))
              : std::string("it restarts from round 1 (phase 1 is saved)")));
  }
  return stats;
}

}  // namespace rdc
