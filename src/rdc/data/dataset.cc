#include "rdc/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "rdc/core/error.h"

namespace rdc {

const char* modality_name(Modality m) {
  switch (m) {
    case Modality::kVector: return "vector";
    case Modality::kImage: return "image";
    case Modality::kVolume: return "volume";
  }
  return "?";
}

const char* split_name(Split s) {
  switch (s) {
    case Split::kTrain: return "train";
    case Split::kVal: return "val";
    case Split::kTest: return "test";
    default: return "unknown";
  }
}

int64_t Dataset::sample_size() const {
  int64_t s = 1;
  for (size_t i = 1; i < shape.size(); ++i) s *= shape[i];
  return shape.size() < 2 ? 0 : s;
}

Modality Dataset::modality() const {
  if (shape.size() == 4) return Modality::kImage;
  if (shape.size() == 5) return Modality::kVolume;
  return Modality::kVector;
}

namespace {

// Branch-free scan (vectorises): true when no value has an all-ones exponent (NaN/Inf).
bool all_finite(const float* x, int64_t count) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < count; ++i) {
    uint32_t u;
    std::memcpy(&u, x + i, sizeof(u));
    bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

}  // namespace

void check_finite(const float* x, int64_t n, int64_t d, const std::string& what) {
  if (all_finite(x, n * d)) return;
  for (int64_t i = 0; i < n; ++i) {
    const float* r = x + i * d;
    for (int64_t j = 0; j < d; ++j) {
      if (!std::isfinite(r[j]))
        RDC_FAIL("{}: non-finite value {} at row {} (0-based), column {}; rdc rejects NaN/Inf input",
                 what, r[j], i, j);
    }
  }
}

void Dataset::validate() const {
  RDC_CHECK(shape.size() == 2 || shape.size() == 4 || shape.size() == 5,
            "{}: shape has {} dims; expected 2 (N x D), 4 (N x C x H x W) or 5 (N x C x D x H x W)",
            source, shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    RDC_CHECK(shape[i] > 0, "{}: shape[{}] = {} must be > 0", source, i, shape[i]);
  RDC_CHECK(static_cast<int64_t>(x.size()) == n() * sample_size(),
            "{}: {} values but shape says {} x {}", source, x.size(), n(), sample_size());
  RDC_CHECK(labels.empty() || static_cast<int64_t>(labels.size()) == n(),
            "{}: {} labels for {} samples", source, labels.size(), n());
  RDC_CHECK(split.empty() || static_cast<int64_t>(split.size()) == n(),
            "{}: {} split tags for {} samples", source, split.size(), n());
  RDC_CHECK(names.empty() || static_cast<int64_t>(names.size()) == n(),
            "{}: {} names for {} samples", source, names.size(), n());
  for (size_t i = 0; i < labels.size(); ++i)
    RDC_CHECK(labels[i] >= 0, "{}: label {} at sample {} is negative", source, labels[i], i);
  check_finite(x.data(), n(), sample_size(), source);
}

Dataset Dataset::subset(const std::vector<int64_t>& idx) const {
  Dataset out;
  out.shape = shape;
  out.shape[0] = static_cast<int64_t>(idx.size());
  out.source = source;
  out.class_names = class_names;
  const int64_t d = sample_size();
  out.x.resize(idx.size() * d);
  for (size_t k = 0; k < idx.size(); ++k) {
    RDC_CHECK(idx[k] >= 0 && idx[k] < n(), "subset index {} out of range [0, {})", idx[k], n());
    std::copy(row(idx[k]), row(idx[k]) + d, out.x.data() + k * d);
    if (!labels.empty()) out.labels.push_back(labels[idx[k]]);
    if (!split.empty()) out.split.push_back(split[idx[k]]);
    if (!names.empty()) out.names.push_back(names[idx[k]]);
  }
  return out;
}

std::vector<int64_t> Dataset::indices_of(Split s) const {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < static_cast<int64_t>(split.size()); ++i)
    if (split[i] == s) out.push_back(i);
  return out;
}

int64_t Dataset::num_classes() const {
  if (labels.empty()) return 0;
  return *std::max_element(labels.begin(), labels.end()) + 1;
}

}  // namespace rdc
