#include "rdc/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <utility>

#include "rdc/augment/augment.h"
#include "rdc/core/fs.h"
#include "rdc/core/interrupt.h"
#include "rdc/pretext/pretext.h"
#include "rdc/train/data_tensor.h"

namespace rdc {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string duration_str(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, static_cast<int>((t % 3600) / 60));
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, static_cast<int>(t % 60));
  return fmt::format("{}s", t);
}

/// Restores a pretext's train/eval mode when leaving a scope.
struct ModeGuard {
  Pretext& p;
  bool was;
  explicit ModeGuard(Pretext& p_) : p(p_), was(p_.is_training()) {}
  ~ModeGuard() { p.set_train(was); }
};

}  // namespace

/// Position inside an epoch, saved on interruption so that resume continues at the next step.
struct Trainer::Partial {
  int64_t step = 0;        // steps done in this epoch
  double loss_sum = 0;     // sum of batch loss * batch size
  int64_t samples = 0;
  double seconds = 0;      // wall time spent in this epoch so far
  double train_seconds = 0;
  double begin_seconds = 0;
  double lr = 0;
  nlohmann::json to_json() const {
    return {{"step", step},       {"loss_sum", loss_sum},           {"samples", samples},     {"seconds", seconds},
            {"train_seconds", train_seconds}, {"begin_seconds", begin_seconds}, {"lr", lr}};
  }
  static Partial from_json(const nlohmann::json& j) {
    Partial p;
    p.step = j.at("step").get<int64_t>();
    p.loss_sum = j.at("loss_sum").get<double>();
    p.samples = j.at("samples").get<int64_t>();
    p.seconds = j.at("seconds").get<double>();
    p.train_seconds = j.at("train_seconds").get<double>();
    p.begin_seconds = j.value("begin_seconds", 0.0);
    p.lr = j.at("lr").get<double>();
    return p;
  }
};

void tune_allocator_for_training() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("GLIBC_TUNABLES") != nullptr || std::getenv("RDC_DEFAULT_MALLOC") != nullptr) return;
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
}

Trainer::Trainer(Pretext& p, const TrainConfig& cfg, const Context& ctx)
    : p_(p), cfg_(cfg), ctx_(ctx), dev_(torch_device(ctx)) {
  cfg_.validate();
  tune_allocator_for_training();
  apply_context(ctx_);
  const OptimDefaults d = p_.optim_defaults();
  optim_name_ = cfg_.optimizer.empty() ? d.optimizer : cfg_.optimizer;
  lr_ = cfg_.lr > 0 ? cfg_.lr : d.lr;
  wd_ = cfg_.weight_decay >= 0 ? cfg_.weight_decay : d.weight_decay;
  schedule_ = cfg_.schedule.empty() ? d.schedule : cfg_.schedule;
  warmup_ = cfg_.warmup_epochs >= 0 ? cfg_.warmup_epochs : d.warmup_epochs;
  RDC_CHECK(lr_ > 0 && std::isfinite(lr_), "learning rate {} must be > 0", lr_);
  if (optim_name_ == "sgd") {
    opt_ = std::make_unique<torch::optim::SGD>(p_.parameters(),
                                               torch::optim::SGDOptions(lr_).momentum(cfg_.momentum).weight_decay(wd_));
  } else {
    RDC_CHECK(optim_name_ == "adam", "optimizer='{}' is unknown; allowed: adam, sgd", optim_name_);
    opt_ = std::make_unique<torch::optim::Adam>(p_.parameters(), torch::optim::AdamOptions(lr_).weight_decay(wd_));
  }
}

Trainer::~Trainer() = default;

double Trainer::lr_at(int64_t step, int64_t total, int64_t steps_per_epoch) const {
  const double warm = warmup_ * static_cast<double>(steps_per_epoch);
  if (warm > 0 && static_cast<double>(step) < warm) return lr_ * static_cast<double>(step + 1) / warm;
  if (schedule_ == "constant") return lr_;
  const double t = std::clamp((static_cast<double>(step) - warm) / std::max(1.0, static_cast<double>(total) - warm), 0.0, 1.0);
  const double lo = lr_ * cfg_.final_lr_fraction;
  return lo + (lr_ - lo) * 0.5 * (1.0 + std::cos(M_PI * t));
}

nlohmann::json Trainer::effective_config() const {
  nlohmann::json j = train_config_to_json(cfg_);
  j["optimizer"] = optim_name_;
  j["lr"] = lr_;
  j["weight_decay"] = wd_;
  j["schedule"] = schedule_;
  j["warmup_epochs"] = warmup_;
  j["seed"] = ctx_.seed;
  j["threads"] = ctx_.effective_threads();
  j["device"] = ctx_.device;
  return j;
}

NamedOptimizers Trainer::all_optimizers() {
  NamedOptimizers o{{"main", opt_.get()}};
  for (auto& kv : p_.internal_optimizers()) o.push_back(kv);
  return o;
}

nlohmann::json Trainer::make_meta(int next_epoch, const Partial* partial) const {
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& s : history_) hist.push_back(s.to_json());
  nlohmann::json meta = {{"format", 1},
                         {"tag", cfg_.tag},
                         {"pretext", p_.name()},
                         {"pretext_config", pretext_config_to_json(p_.config())},
                         {"n_samples", n_},
                         {"epoch", next_epoch},
                         {"step", partial ? partial->step : 0},
                         {"partial", partial ? partial->to_json() : nlohmann::json()},
                         {"train_config", effective_config()},
                         {"run_config", cfg_.run_config},
                         {"history", hist}};
#ifdef RDC_VERSION
  meta["rdc_version"] = RDC_VERSION;
#endif
  return meta;
}

std::string Trainer::write_checkpoint(int next_epoch, const Partial* partial, const nlohmann::json& extra_meta) {
  RDC_CHECK(!cfg_.out_dir.empty(), "cannot write a checkpoint: no output folder (out_dir) was given");
  nlohmann::json meta = make_meta(next_epoch, partial);
  if (extra_meta.is_object()) meta.update(extra_meta);
  std::vector<std::pair<std::string, torch::Tensor>> extra{
      {"rng_torch", at::detail::getDefaultCPUGenerator().get_state()}, {"rng_augment", p_.augmenter().state()}};
  return save_checkpoint(cfg_.out_dir, cfg_.tag, p_, all_optimizers(), meta, extra);
}

std::string Trainer::save(int next_epoch, const nlohmann::json& extra_meta) {
  return write_checkpoint(next_epoch, nullptr, extra_meta);
}

nlohmann::json Trainer::restore() {
  RDC_CHECK(!cfg_.out_dir.empty(), "cannot resume: no output folder (out_dir) was given");
  auto lc = load_checkpoint(cfg_.out_dir, cfg_.tag, p_, all_optimizers());
  if (!lc) return nullptr;
  const auto& meta = lc->meta;
  RDC_CHECK(meta.value("pretext", "") == p_.name(), "checkpoint '{}' holds a '{}' model, this run trains '{}'",
            lc->path, meta.value("pretext", "?"), p_.name());
  if (n_ > 0 && meta.contains("n_samples"))
    RDC_CHECK(meta["n_samples"].get<int64_t>() == n_, "checkpoint '{}' was trained on {} samples; this data has {}",
              lc->path, meta["n_samples"].get<int64_t>(), n_);
  history_.clear();
  for (const auto& h : meta.value("history", nlohmann::json::array())) history_.push_back(EpochStats::from_json(h));
  resume_epoch_ = meta.value("epoch", 0);
  resume_partial_.reset();
  if (meta.contains("partial") && meta["partial"].is_object())
    resume_partial_ = std::make_unique<Partial>(Partial::from_json(meta["partial"]));
  if (lc->extra.count("rng_torch")) {
    at::Generator g = at::detail::getDefaultCPUGenerator();  // a handle: shares the default generator
    g.set_state(lc->extra["rng_torch"]);
  }
  if (lc->extra.count("rng_augment")) p_.augmenter().set_state(lc->extra["rng_augment"]);
  spdlog::info("resuming {} from '{}': epoch {}{}", cfg_.tag, lc->path, resume_epoch_,
               resume_partial_ ? fmt::format(", step {}", resume_partial_->step) : std::string());
  return meta;
}

void Trainer::write_stats_file() const {
  std::string lines;
  for (const auto& s : history_) lines += s.to_json().dump() + "\n";
  make_dirs(cfg_.out_dir);
  write_file_atomic(join_path(cfg_.out_dir, cfg_.tag + "_stats.jsonl"), lines);
}

void Trainer::check_collapse(const EpochStats& s) const {
  const std::string keep = cfg_.out_dir.empty() || s.epoch == 0
                               ? std::string("no checkpoint of an earlier epoch exists")
                               : fmt::format("the last good checkpoint ('{}', after epoch {}) is kept",
                                             checkpoint_path(cfg_.out_dir, cfg_.tag, "last"), s.epoch);
  const double rel = s.get("probe_spread_rel", s.get("spread_rel", -1)), spread = s.get("probe_spread", s.get("spread", -1));
  if (!std::isfinite(rel) || !std::isfinite(spread))  // finite loss, but the weights went NaN/Inf in the last step
    throw TrainingDiverged(
        "nan", fmt::format("{}: training diverged at epoch {} (case C14): the embeddings became NaN/Inf (loss {:.4g}). "
                           "Training stopped; {}. Use a smaller learning rate, e.g. --lr {:.3g}.",
                           cfg_.tag, s.epoch + 1, s.loss, keep, lr_ / 10));
  // A finite loss that blew up is divergence too (C14), not collapse: no loss rdc trains reaches 1e10
  // on sane weights, nor 1e4 x its first epoch's value.
  const double first = history_.empty() ? s.loss : history_.front().loss;
  if (std::abs(s.loss) > 1e10 || (history_.size() > 1 && std::abs(s.loss) > 1e4 * std::max(std::abs(first), 1e-8)))
    throw TrainingDiverged(
        "nan", fmt::format("{}: training diverged at epoch {} (case C14): the loss exploded to {:.4g}{}. Training "
                           "stopped; {}. Use a smaller learning rate, e.g. --lr {:.3g}.",
                           cfg_.tag, s.epoch + 1, s.loss,
                           history_.size() > 1 ? fmt::format(" (first epoch: {:.4g})", first) : std::string(), keep,
                           lr_ / 10));
  if (!cfg_.stop_on_collapse) return;
  if (rel >= 0 && rel < cfg_.collapse_spread)
    throw TrainingDiverged(
        "collapse",
        fmt::format("{}: representation collapse at epoch {} (case C13): the embeddings have almost no spread "
                    "(relative spread {:.3g} < {:.3g}; mean per-dimension std {:.3g}), so every sample maps to nearly "
                    "the same point. Training stopped; {}. Check that the data is not (nearly) constant, or try a "
                    "smaller learning rate, another pretext or stronger augmentation.",
                    cfg_.tag, s.epoch + 1, rel, cfg_.collapse_spread, spread, keep));
  // Partial collapse: not fatal, but the clusters will be poor (measured: acai on MNIST settles at a
  // relative spread of 0.03-0.04 and its phase-1 k-means ACC is 0.24, below raw pixels).
  if (rel >= 0 && rel < cfg_.weak_spread && s.epoch + 1 >= 3)
    spdlog::log(std::exchange(warned_weak_spread_, true) ? spdlog::level::debug : spdlog::level::warn,
                "{}: epoch {}: the embeddings are nearly collapsed (relative spread {:.3g} < {:.3g}); clusters "
                "from this model will be poor. Try another pretext (--pretext deepcluster-v2 or acai), a smaller "
                "--lr, or check the data's value range",
                cfg_.tag, s.epoch + 1, rel, cfg_.weak_spread);
  const double nonempty = s.get("proto_nonempty", -1), protos = s.get("prototypes", 0);
  if (nonempty >= 0 && nonempty <= 1 && protos > 1 && n_ > 1)
    throw TrainingDiverged(
        "collapse",
        fmt::format("{}: representation collapse at epoch {} (case C13): all {} samples fall into one of {} "
                    "prototypes (assignment entropy {:.3g}). Training stopped; {}. Check that the data is not (nearly) "
                    "constant, or try a smaller learning rate, another pretext or stronger augmentation.",
                    cfg_.tag, s.epoch + 1, n_, static_cast<int64_t>(protos), s.get("proto_entropy", 0), keep));
}

EpochStats Trainer::run_epoch(const torch::Tensor& all_x, int epoch, const LossFn& loss, int64_t max_steps) {
  n_ = all_x.size(0);
  LossFn fn = loss ? loss : LossFn([this](const torch::Tensor& x, const torch::Tensor& idx) {
    return p_.instance_loss(x, idx, p_.augmenter());
  });
  return epoch_impl(all_x, epoch, fn, max_steps, nullptr, false);
}

EpochStats Trainer::epoch_impl(const torch::Tensor& all_x, int epoch, const LossFn& loss, int64_t max_steps,
                               Partial* resume_from, bool checkpoint_on_interrupt) {
  const int64_t n = all_x.size(0);
  RDC_CHECK(n >= 2, "training needs at least 2 samples; got {}", n);
  n_ = n;
  const auto t0 = Clock::now();
  Partial part = resume_from ? *resume_from : Partial{};
  if (!resume_from) {
    p_.begin_epoch(all_x, epoch);
    part.begin_seconds = since(t0);
  }
  p_.set_train(true);
  const int64_t nb = (n + cfg_.batch_size - 1) / cfg_.batch_size;  // balanced batches of n/nb (+1) rows
  const int64_t steps = max_steps > 0 ? std::min(nb, max_steps) : nb;
  const int64_t total = static_cast<int64_t>(std::max(cfg_.epochs, epoch + 1)) * steps;
  auto gen = at::detail::createCPUGenerator(derive_seed(ctx_.seed, fmt::format("shuffle-{}", epoch)));
  const auto perm = torch::randperm(n, gen, torch::kLong);
  const bool tty = ::isatty(::fileno(stderr)) != 0;
  auto last_print = Clock::now();
  const double seconds_before = part.seconds;
  const auto t_train = Clock::now();
  const double train_before = part.train_seconds;
  for (int64_t s = part.step; s < steps; ++s) {
    const int64_t lo = s * n / nb, hi = (s + 1) * n / nb;
    auto idx = perm.slice(0, lo, hi).to(dev_);
    auto x = all_x.index_select(0, idx);
    const double lr = lr_at(static_cast<int64_t>(epoch) * steps + s, total, steps);
    for (auto& g : opt_->param_groups()) g.options().set_lr(lr);
    opt_->zero_grad();
    auto l = loss(x, idx);
    const double lv = l.item<double>();
    if (!std::isfinite(lv)) {
      const std::string keep =
          cfg_.out_dir.empty() || history_.empty()
              ? std::string("no checkpoint of an earlier epoch exists")
              : fmt::format("the last good checkpoint ('{}', after epoch {}) is kept",
                            checkpoint_path(cfg_.out_dir, cfg_.tag, "last"), history_.back().epoch + 1);
      throw TrainingDiverged(
          "nan", fmt::format("{}: training diverged (case C14): the loss became {} at epoch {} step {}/{} with learning "
                             "rate {:.4g} ({}, previous loss {:.4g}). Training stopped; {}. Use a smaller learning "
                             "rate, e.g. --lr {:.3g}.",
                             cfg_.tag, lv, epoch + 1, s + 1, steps, lr, optim_name_,
                             part.samples > 0 ? part.loss_sum / static_cast<double>(part.samples) : NAN, keep,
                             lr_ / 10));
    }
    l.backward();
    opt_->step();
    p_.after_step();
    const int64_t b = hi - lo;
    part.loss_sum += lv * static_cast<double>(b);
    part.samples += b;
    part.step = s + 1;
    part.lr = lr;
    part.train_seconds = train_before + since(t_train);
    part.seconds = seconds_before + since(t0);
    if (hook_) hook_(epoch, s, lv);
    const double ips = static_cast<double>(part.samples) / std::max(1e-9, part.train_seconds);
    const double step_time = part.train_seconds / static_cast<double>(std::max<int64_t>(1, part.step));
    const double eta = step_time * static_cast<double>((steps - part.step) + (std::max(cfg_.epochs, epoch + 1) - epoch - 1) * steps);
    if (tty) {
      if (since(last_print) > 0.25 || part.step == steps) {
        std::fprintf(stderr, "\r%s epoch %d/%d step %lld/%lld  %.0f img/s  loss %.4f  lr %.3g  ETA %s   ",
                     cfg_.tag.c_str(), epoch + 1, std::max(cfg_.epochs, epoch + 1), static_cast<long long>(part.step),
                     static_cast<long long>(steps), ips, lv, lr, duration_str(eta).c_str());
        std::fflush(stderr);
        last_print = Clock::now();
      }
    } else if (cfg_.log_every_steps > 0 && (part.step % cfg_.log_every_steps == 0)) {
      spdlog::info("{} epoch {}/{} step {}/{}  {:.0f} img/s  loss {:.4f}  lr {:.3g}  ETA {}", cfg_.tag, epoch + 1,
                   std::max(cfg_.epochs, epoch + 1), part.step, steps, ips, lv, lr, duration_str(eta));
    }
    if (interrupt_requested() && part.step < steps) {
      if (tty) std::fprintf(stderr, "\n");
      std::string where = "no checkpoint was written (no output folder)";
      if (checkpoint_on_interrupt && !cfg_.out_dir.empty())
        where = fmt::format("checkpoint saved to '{}'; run the same command with --resume to continue exactly from "
                            "here",
                            write_checkpoint(epoch, &part, {}));
      throw Interrupted(
          fmt::format("{} interrupted at epoch {} step {}/{}; {}", cfg_.tag, epoch + 1, part.step, steps, where));
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  EpochStats st;
  st.epoch = epoch;
  st.steps = part.step;
  st.loss = part.samples > 0 ? part.loss_sum / static_cast<double>(part.samples) : 0.0;
  st.seconds = seconds_before + since(t0);
  st.images_per_s = static_cast<double>(part.samples) / std::max(1e-9, part.train_seconds);
  st.lr = part.lr;
  st.extra = p_.epoch_stats();
  st.extra.emplace_back("begin_seconds", part.begin_seconds);
  // Collapse probe: clean eval-mode embeddings of up to 512 fixed, evenly spaced samples. Unlike
  // per-batch training statistics, this is free of batch-norm noise and of drift across steps.
  {
    const int64_t k = std::min<int64_t>(n, 512);
    auto idx = torch::div(torch::arange(k, torch::kLong) * n, k, "floor");
    auto z = embed_all(p_, all_x.index_select(0, idx.to(all_x.device())), 512).to(torch::kFloat64);
    const double spread = z.std(0, /*unbiased=*/false).mean().item<double>();
    const double rms = z.pow(2).mean().sqrt().item<double>();
    st.extra.emplace_back("probe_spread", spread);
    st.extra.emplace_back("probe_spread_rel", rms > 0 ? spread / rms : 0.0);
  }
  return st;
}

std::vector<EpochStats> Trainer::fit(const torch::Tensor& all_x_in, LossFn loss) {
  torch::Tensor all_x = all_x_in.device() == dev_ ? all_x_in : all_x_in.to(dev_);
  n_ = all_x.size(0);
  RDC_CHECK(n_ >= 2, "training needs at least 2 samples; got {}", n_);
  if (!loss)
    loss = [this](const torch::Tensor& x, const torch::Tensor& idx) { return p_.instance_loss(x, idx, p_.augmenter()); };
  int start = 0;
  std::unique_ptr<Partial> partial;
  history_.clear();
  epochs_this_call_ = 0;
  if (cfg_.resume) {
    RDC_CHECK(!cfg_.out_dir.empty(), "--resume needs the run's output folder");
    if (restore().is_null()) {
      spdlog::info("{}: no checkpoint in '{}' to resume from; starting at epoch 1", cfg_.tag, cfg_.out_dir);
    } else {
      start = resume_epoch_;
      partial = std::move(resume_partial_);
    }
  } else if (!cfg_.out_dir.empty() && file_exists(checkpoint_path(cfg_.out_dir, cfg_.tag, "last"))) {
    spdlog::warn("{}: starting a fresh run; the checkpoints in '{}' will be replaced (use --resume to continue)",
                 cfg_.tag, cfg_.out_dir);
  }
  if (start >= cfg_.epochs && !partial)
    spdlog::info("{}: all {} epochs already done", cfg_.tag, cfg_.epochs);
  spdlog::info("{}: {} epochs on {} samples, batch {}, {} lr {:.3g} ({}, warm-up {} epochs), {} threads, {}", cfg_.tag,
               cfg_.epochs, n_, cfg_.batch_size, optim_name_, lr_, schedule_, warmup_, ctx_.effective_threads(),
               ctx_.device);
  for (int e = start; e < cfg_.epochs; ++e) {
    EpochStats s = epoch_impl(all_x, e, loss, cfg_.max_steps_per_epoch, partial.get(), true);
    partial.reset();
    history_.push_back(s);
    ++epochs_this_call_;
    std::string extra;
    for (const auto& kv : s.extra) extra += fmt::format(" {}={:.4g}", kv.first, kv.second);
    spdlog::info("{} epoch {}/{}: loss {:.4f}, {:.1f} s, {:.0f} img/s, lr {:.3g};{}", cfg_.tag, e + 1, cfg_.epochs,
                 s.loss, s.seconds, s.images_per_s, s.lr, extra);
    if (!cfg_.out_dir.empty()) write_stats_file();
    check_collapse(s);
    if (!cfg_.out_dir.empty()) write_checkpoint(e + 1, nullptr, {});
  }
  return history_;
}

torch::Tensor Trainer::embed_all(Pretext& p, const torch::Tensor& all_x, int64_t batch) {
  RDC_CHECK(batch >= 1, "embed_all: batch={} must be >= 1", batch);
  ModeGuard guard(p);
  p.set_train(false);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < all_x.size(0); i += batch)
    parts.push_back(p.embed(all_x.slice(0, i, std::min(all_x.size(0), i + batch))).to(torch::kCPU, torch::kFloat32));
  RDC_CHECK(!parts.empty(), "embed_all: no samples");
  return torch::cat(parts, 0);
}

}  // namespace rdc
