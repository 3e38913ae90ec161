#include "rdc/train/train_config.h"

#include <cmath>

namespace rdc {

void TrainConfig::validate() const {
  RDC_CHECK(epochs >= 0, "epochs={} must be >= 0", epochs);
  RDC_CHECK(batch_size >= 2, "batch_size={} must be >= 2", batch_size);
  RDC_CHECK(std::isfinite(lr) && lr >= 0, "lr={} must be >= 0 (0 = pretext default)", lr);
  RDC_CHECK(optimizer.empty() || optimizer == "adam" || optimizer == "sgd",
            "optimizer='{}' is unknown; allowed: adam, sgd (or empty = pretext default)", optimizer);
  RDC_CHECK(momentum >= 0 && momentum < 1, "momentum={} must be in [0, 1)", momentum);
  RDC_CHECK(std::isfinite(weight_decay), "weight_decay={} must be finite (< 0 = pretext default)", weight_decay);
  RDC_CHECK(schedule.empty() || schedule == "constant" || schedule == "cosine",
            "schedule='{}' is unknown; allowed: constant, cosine (or empty = pretext default)", schedule);
  RDC_CHECK(std::isfinite(warmup_epochs), "warmup_epochs={} must be finite (< 0 = pretext default)", warmup_epochs);
  RDC_CHECK(final_lr_fraction >= 0 && final_lr_fraction <= 1, "final_lr_fraction={} must be in [0, 1]",
            final_lr_fraction);
  RDC_CHECK(!tag.empty() && tag.find('/') == std::string::npos, "tag='{}' must be a non-empty file-name prefix", tag);
  RDC_CHECK(log_every_steps >= 0, "log_every_steps={} must be >= 0", log_every_steps);
  RDC_CHECK(max_steps_per_epoch >= 0, "max_steps_per_epoch={} must be >= 0 (0 = whole epochs)", max_steps_per_epoch);
  RDC_CHECK(collapse_spread >= 0 && collapse_spread < 1, "collapse_spread={} must be in [0, 1)", collapse_spread);
}

nlohmann::json train_config_to_json(const TrainConfig& c) {
  return {{"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"lr", c.lr},
          {"optimizer", c.optimizer},
          {"momentum", c.momentum},
          {"weight_decay", c.weight_decay},
          {"schedule", c.schedule},
          {"warmup_epochs", c.warmup_epochs},
          {"final_lr_fraction", c.final_lr_fraction},
          {"tag", c.tag},
          {"max_steps_per_epoch", c.max_steps_per_epoch},
          {"collapse_spread", c.collapse_spread},
          {"stop_on_collapse", c.stop_on_collapse}};
}

double EpochStats::get(const std::string& key, double fallback) const {
  for (const auto& kv : extra)
    if (kv.first == key) return kv.second;
  return fallback;
}

nlohmann::json EpochStats::to_json() const {
  nlohmann::json j = {{"epoch", epoch}, {"loss", loss}, {"seconds", seconds}, {"images_per_s", images_per_s},
                      {"lr", lr},       {"steps", steps}};
  for (const auto& kv : extra) j[kv.first] = kv.second;
  return j;
}

EpochStats EpochStats::from_json(const nlohmann::json& j) {
  EpochStats s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "epoch") s.epoch = it->get<int>();
    else if (k == "loss") s.loss = it->is_number() ? it->get<double>() : NAN;
    else if (k == "seconds") s.seconds = it->get<double>();
    else if (k == "images_per_s") s.images_per_s = it->get<double>();
    else if (k == "lr") s.lr = it->get<double>();
    else if (k == "steps") s.steps = it->get<int64_t>();
    else if (it->is_number()) s.extra.emplace_back(k, it->get<double>());
  }
  return s;
}

}  // namespace rdc
