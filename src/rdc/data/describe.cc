// Human-readable dataset summary (used by `rdc inspect` / `rdc datasets`).
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "rdc/data/readers.h"

namespace rdc {

std::string describe(const Dataset& d) {
  std::string s = fmt::format("{}: {} {}", d.source.empty() ? std::string("dataset") : d.source, d.n(),
                              d.modality() == Modality::kVector ? "vectors" : d.modality() == Modality::kImage
                                                                                  ? "images"
                                                                                  : "volumes");
  if (d.shape.size() >= 2) {
    s += fmt::format(" of {}", fmt::join(d.shape.begin() + 1, d.shape.end(), "x"));
    if (d.modality() == Modality::kImage) s += " (C x H x W)";
    if (d.modality() == Modality::kVolume) s += " (C x D x H x W)";
  }
  s += fmt::format(", shape ({}), float32, modality {}", fmt::join(d.shape, ", "), modality_name(d.modality()));
  if (!d.x.empty()) {
    float lo = d.x[0], hi = d.x[0];
    double sum = 0;
    for (float v : d.x) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    s += fmt::format("; values in [{:.4g}, {:.4g}], mean {:.4g}", lo, hi, sum / static_cast<double>(d.x.size()));
  }
  if (d.has_labels()) {
    std::map<int64_t, int64_t> counts;
    for (int64_t l : d.labels) ++counts[l];
    std::vector<std::string> parts;
    for (auto& [label, c] : counts) {
      const bool named = label >= 0 && label < static_cast<int64_t>(d.class_names.size());
      parts.push_back(named ? fmt::format("{} '{}': {}", label, d.class_names[label], c)
                            : fmt::format("{}: {}", label, c));
    }
    s += fmt::format("; {} classes ({})", counts.size(), fmt::join(parts, ", "));
  } else {
    s += "; no labels";
  }
  if (!d.split.empty()) {
    std::map<int, int64_t> counts;
    for (Split t : d.split) ++counts[static_cast<int>(t)];
    std::vector<std::string> parts;
    for (auto& [t, c] : counts) parts.push_back(fmt::format("{} {}", split_name(static_cast<Split>(t)), c));
    s += fmt::format("; splits: {}", fmt::join(parts, ", "));
  } else {
    s += "; no split tags";
  }
  s += ".";
  return s;
}

}  // namespace rdc
