// DEC / IDEC baselines (one translation unit: the losses, the training loop and the pipeline stage).
#include "rdc/train/dec.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "rdc/augment/augment.h"
#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/pipeline/run_io.h"
#include "rdc/pretext/pretext.h"
#include "rdc/train/data_tensor.h"
#include "rdc/train/trainer.h"

namespace rdc {

using nlohmann::json;

void DecParams::validate() const {
  RDC_CHECK(epochs >= 0, "dec epochs={} must be >= 0", epochs);
  RDC_CHECK(std::isfinite(gamma) && gamma > 0, "dec gamma={} must be > 0", gamma);
  RDC_CHECK(update_interval >= 0, "dec update_interval={} must be >= 0 (0 = every epoch)", update_interval);
  RDC_CHECK(tol >= 0 && tol < 1, "dec tol={} must be in [0, 1)", tol);
  RDC_CHECK(std::isfinite(lr) && lr >= 0, "dec lr={} must be >= 0 (0 = phase-1 learning rate)", lr);
  RDC_CHECK(cosine_every >= 0, "dec cosine_every={} must be >= 0 (0 = off)", cosine_every);
}

json dec_params_to_json(const DecParams& q) {
  return {{"epochs", q.epochs},       {"gamma", q.gamma}, {"update_interval", q.update_interval},
          {"tol", q.tol},             {"lr", q.lr},       {"cosine_every", q.cosine_every}};
}

torch::Tensor dec_soft_assign(const torch::Tensor& z, const torch::Tensor& mu) {
  RDC_CHECK(z.dim() == 2 && mu.dim() == 2 && z.size(1) == mu.size(1),
            "dec_soft_assign: z [{}] and centres [{}] must be (N, m) and (K, m)", fmt::join(z.sizes(), "x"),
            fmt::join(mu.sizes(), "x"));
  // |z - mu|^2 = |z|^2 + |mu|^2 - 2 z.mu: no (N, K, m) temporary on large N.
  auto d2 = (z.pow(2).sum(1, true) + mu.pow(2).sum(1).unsqueeze(0) - 2 * z.matmul(mu.t())).clamp_min(0);
  auto q = 1.0 / (1.0 + d2);
  return q / q.sum(1, true);
}

torch::Tensor dec_target(const torch::Tensor& q) {
  torch::NoGradGuard no_grad;
  auto qd = q.detach();
  auto w = qd.pow(2) / qd.sum(0, true);
  return w / w.sum(1, true);
}

torch::Tensor dec_kl(const torch::Tensor& p, const torch::Tensor& q) {
  RDC_CHECK(p.sizes() == q.sizes(), "dec_kl: P [{}] and Q [{}] must have the same shape", fmt::join(p.sizes(), "x"),
            fmt::join(q.sizes(), "x"));
  return (torch::xlogy(p, p) - p * torch::log(q)).sum(1).mean();
}

torch::Tensor dec_centres(const torch::Tensor& mu, bool normalized) {
  if (!normalized) return mu;
  return torch::nn::functional::normalize(mu, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
}

double gradient_cosine(const torch::Tensor& a, const torch::Tensor& b, const std::vector<torch::Tensor>& params,
                       bool retain) {
  std::vector<torch::Tensor> ps;
  for (const auto& t : params)
    if (t.requires_grad()) ps.push_back(t);
  RDC_CHECK(!ps.empty(), "gradient_cosine: no parameter requires grad");
  auto ga = torch::autograd::grad({a}, ps, {}, retain, false, /*allow_unused=*/true);
  auto gb = torch::autograd::grad({b}, ps, {}, retain, false, /*allow_unused=*/true);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(ps[0].device());
  auto dot = torch::zeros({}, opts), na = torch::zeros({}, opts), nb = torch::zeros({}, opts);
  for (size_t i = 0; i < ps.size(); ++i) {
    const bool ha = ga[i].defined(), hb = gb[i].defined();
    if (ha) na += ga[i].to(torch::kFloat64).pow(2).sum();
    if (hb) nb += gb[i].to(torch::kFloat64).pow(2).sum();
    if (ha && hb) dot += (ga[i].to(torch::kFloat64) * gb[i].to(torch::kFloat64)).sum();
  }
  const double d = dot.item<double>(), sa = na.item<double>(), sb = nb.item<double>();
  if (!(sa > 0) || !(sb > 0)) return std::nan("");
  return std::clamp(d / std::sqrt(sa * sb), -1.0, 1.0);
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void write_cosines_csv(const std::string& path, const std::vector<GradientCosine>& c) {
  std::string s = "epoch,step,cosine\n";
  for (const auto& g : c) s += fmt::format("{},{},{:.6f}\n", g.epoch, g.step, g.cosine);
  write_file_atomic(path, s);
}

}  // namespace

DecTrainResult train_dec(Pretext& p, const torch::Tensor& all_x, const torch::Tensor& init_centres, const DecParams& q,
                         bool joint, int64_t batch_size, double lr, const std::string& out_dir, const Context& ctx) {
  q.validate();
  const int64_t n = all_x.size(0);
  RDC_CHECK(n >= 2, "DEC needs at least 2 samples; got {}", n);
  RDC_CHECK(init_centres.dim() == 2 && init_centres.size(1) == p.embed_dim(),
            "DEC: initial centres [{}] must be (K, {}) (the embedding size)", fmt::join(init_centres.sizes(), "x"),
            p.embed_dim());
  const int64_t k = init_centres.size(0);
  RDC_CHECK(k >= 1 && k <= n, "DEC: K={} centres must be in [1, n={}]", k, n);
  const bool normalized = p.normalized();
  const auto dev = all_x.device();

  TrainConfig tc;
  tc.tag = "dec";
  tc.out_dir = out_dir;
  tc.batch_size = std::min<int64_t>(batch_size, std::max<int64_t>(2, n));
  tc.lr = lr;
  tc.schedule = "constant";
  tc.warmup_epochs = 0;
  tc.epochs = std::max(1, q.epochs);
  Trainer tr(p, tc, ctx);
  torch::Tensor mu = dec_centres(init_centres.to(dev, torch::kFloat32), normalized).detach().clone();
  mu.set_requires_grad(true);
  tr.optimizer().add_param_group(torch::optim::OptimizerParamGroup(std::vector<torch::Tensor>{mu}));

  DecTrainResult res;
  const std::string stats_path = out_dir.empty() ? "" : join_path(out_dir, "dec_stats.jsonl");
  const std::string csv_path = out_dir.empty() ? "" : join_path(out_dir, "gradient_cosines.csv");
  if (!out_dir.empty()) {
    write_file_atomic(stats_path, "");
    write_cosines_csv(csv_path, {});
  }

  // Target distribution on all data (eval mode, clean inputs), fixed until the next update.
  torch::Tensor target, prev_pred;
  double delta_label = -1;
  auto update_targets = [&]() {
    torch::NoGradGuard no_grad;
    torch::Tensor z = Trainer::embed_all(p, all_x);
    auto qa = dec_soft_assign(z, dec_centres(mu.detach(), normalized).to(torch::kCPU));
    target = dec_target(qa).to(dev);
    auto pred = qa.argmax(1);
    if (prev_pred.defined()) delta_label = (pred != prev_pred).to(torch::kFloat64).mean().item<double>();
    prev_pred = pred;
    ++res.target_updates;
  };

  const int64_t steps_per_epoch = (n + tc.batch_size - 1) / tc.batch_size;  // the trainer's balanced batches
  const int64_t interval = q.update_interval > 0 ? q.update_interval : steps_per_epoch;
  const auto params = p.parameters();
  Augmenter& aug = p.augmenter();
  int64_t global_step = 0, step_in_epoch = 0;
  int epoch = 0;
  double sum_kl = 0, sum_inst = 0;
  int64_t kl_steps = 0, inst_steps = 0;
  bool below_tol = false;
  std::vector<double> epoch_cosines;
  Trainer::LossFn loss = [&](const torch::Tensor& x, const torch::Tensor& idx) {
    if (global_step % interval == 0 && step_in_epoch > 0) {  // mid-epoch update (update_interval > 0)
      update_targets();
      if (delta_label >= 0 && delta_label < q.tol) below_tol = true;
    }
    auto z = p.embed(x);
    auto kl = dec_kl(target.index_select(0, idx), dec_soft_assign(z, dec_centres(mu, normalized)));
    const bool sample = q.cosine_every > 0 && global_step % q.cosine_every == 0;
    torch::Tensor inst;
    if (joint || sample) inst = p.instance_loss(x, idx, aug);
    if (sample) {
      const double c = gradient_cosine(inst, kl, params, /*retain=*/true);
      if (std::isfinite(c)) {
        res.cosines.push_back({epoch, step_in_epoch, c});
        epoch_cosines.push_back(c);
      }
    }
    sum_kl += kl.item<double>();
    ++kl_steps;
    if (inst.defined()) {
      sum_inst += inst.item<double>();
      ++inst_steps;
    }
    ++global_step;
    ++step_in_epoch;
    return joint ? inst + q.gamma * kl : kl;
  };

  for (epoch = 0; epoch < q.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    if (global_step % interval == 0) {
      update_targets();
      if (delta_label >= 0 && delta_label < q.tol) below_tol = true;
    }
    if (below_tol) {
      spdlog::info("{}: {:.3f}% of the assignments changed at the last target update (< tol {:.3f}%): stopping",
                   joint ? "idec" : "dec", 100 * delta_label, 100 * q.tol);
      res.stopped_early = true;
      break;
    }
    step_in_epoch = 0;
    sum_kl = sum_inst = 0;
    kl_steps = inst_steps = 0;
    epoch_cosines.clear();
    EpochStats st = tr.run_epoch(all_x, epoch, loss);
    double cos_mean = std::nan("");
    if (!epoch_cosines.empty()) {
      cos_mean = 0;
      for (double c : epoch_cosines) cos_mean += c;
      cos_mean /= static_cast<double>(epoch_cosines.size());
    }
    json js = {{"epoch", epoch},
               {"loss", st.loss},
               {"kl", kl_steps ? sum_kl / kl_steps : 0.0},
               {"instance_loss", inst_steps ? json(sum_inst / inst_steps) : json(nullptr)},
               {"delta_label", delta_label >= 0 ? json(delta_label) : json(nullptr)},
               {"target_updates", res.target_updates},
               {"gradient_cosine_mean", std::isfinite(cos_mean) ? json(cos_mean) : json(nullptr)},
               {"gradient_cosine_samples", epoch_cosines.size()},
               {"lr", st.lr},
               {"steps", st.steps},
               {"seconds", seconds_since(t0)}};
    res.epochs.push_back(js);
    if (!out_dir.empty()) {
      append_jsonl(stats_path, js);
      write_cosines_csv(csv_path, res.cosines);
    }
    spdlog::info("{} epoch {}/{}: KL {:.5f}{}, assignments changed {}, gradient cosine {} ({} samples), {:.1f} s",
                 joint ? "idec" : "dec", epoch + 1, q.epochs, js["kl"].get<double>(),
                 inst_steps ? fmt::format(", instance loss {:.4f}", sum_inst / inst_steps) : std::string(),
                 delta_label >= 0 ? fmt::format("{:.2f}%", 100 * delta_label) : std::string("-"),
                 std::isfinite(cos_mean) ? fmt::format("{:+.3f}", cos_mean) : std::string("-"), epoch_cosines.size(),
                 js["seconds"].get<double>());
  }
  res.centres = dec_centres(mu.detach(), normalized).to(torch::kCPU).contiguous();
  return res;
}

DecOutcome run_dec_stage(Pretext& p, const torch::Tensor& x_fit, const std::vector<float>& z_fit_phase1, int64_t k,
                         const RunConfig& cfg) {
  cfg.dec.validate();
  auto t0 = std::chrono::steady_clock::now();
  const int64_t n = x_fit.size(0);
  const int64_t m = p.embed_dim();
  RDC_CHECK(static_cast<int64_t>(z_fit_phase1.size()) == n * m, "DEC: phase-1 embedding has {} values, expected {} x {}",
            z_fit_phase1.size(), n, m);
  const bool spherical = p.normalized();
  const bool joint = cfg.method == "idec";
  DecOutcome o;
  o.init = cluster_embedding(z_fit_phase1, n, m, k, spherical, cfg);
  const double lr = cfg.dec.lr > 0 ? cfg.dec.lr : (cfg.phase1.lr > 0 ? cfg.phase1.lr : p.optim_defaults().lr);
  spdlog::info("{}: {} epochs from the phase-1 k-means centres (K={}), {}, lr {:.2g}, targets every {}", cfg.method,
               cfg.dec.epochs, k,
               joint ? fmt::format("instance loss + {} x KL", cfg.dec.gamma) : std::string("KL(P||Q) only"), lr,
               cfg.dec.update_interval > 0 ? fmt::format("{} steps", cfg.dec.update_interval) : std::string("epoch"));
  auto init = torch::from_blob(o.init.centroids.data(), {k, m}, torch::kFloat32).clone();
  DecTrainResult tr = train_dec(p, x_fit, init, cfg.dec, joint, cfg.phase1.batch_size, lr, cfg.out_dir, cfg.ctx);

  // Final assignment = argmax q = nearest centre (Euclidean; cosine for unit z and centres).
  o.z_fit = to_vector(Trainer::embed_all(p, x_fit));
  o.final.d = m;
  o.final.centroids = to_vector(tr.centres);
  o.final.assignments = kmeans_predict(o.z_fit.data(), n, m, o.final.centroids, spherical);
  o.final.sizes.assign(static_cast<size_t>(k), 0);
  for (int64_t a : o.final.assignments) ++o.final.sizes[a];

  std::vector<double> cos;
  for (const auto& g : tr.cosines) cos.push_back(g.cosine);
  o.summary = {{"method", cfg.method},
               {"joint", joint},
               {"params", dec_params_to_json(cfg.dec)},
               {"lr", lr},
               {"epochs_trained", tr.epochs.size()},
               {"target_updates", tr.target_updates},
               {"stopped_early", tr.stopped_early},
               {"seconds", seconds_since(t0)},
               {"gradient_cosines", summarize_gradient_cosines(cos)},
               {"gradient_cosine_meaning",
                joint ? "feature drift: cosine of the instance-loss and KL gradients of the trained joint loss"
                      : "feature randomness proxy: cosine of the KL gradient (trained) and the instance-loss "
                        "gradient (not trained)"}};
  return o;
}

}  // namespace rdc
