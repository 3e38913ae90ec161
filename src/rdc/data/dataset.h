#pragma once
// The one dataset type of rdc (torch-free): float32 samples, row-major.
//   images : N x C x H x W      vectors: N x D      volumes: N x C x D x H x W
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

enum class Modality { kVector, kImage, kVolume };
const char* modality_name(Modality m);

/// Split a sample came from (MedMNIST / IDX train-test files).
enum class Split : int8_t { kUnknown = -1, kTrain = 0, kVal = 1, kTest = 2 };
const char* split_name(Split s);

struct Dataset {
  std::vector<float> x;            ///< N * sample_size() floats, row-major
  std::vector<int64_t> shape;      ///< {N, ...}: 2 (vectors), 4 (images) or 5 (volumes) dims
  std::vector<int64_t> labels;     ///< empty, or N class ids (evaluation only)
  std::vector<Split> split;        ///< empty, or N split tags
  std::vector<std::string> names;  ///< empty, or N sample names (file names)
  std::vector<std::string> class_names;  ///< optional, index = label
  std::string source;              ///< where it was read from

  int64_t n() const { return shape.empty() ? 0 : shape[0]; }
  /// Floats per sample (product of shape[1:]).
  int64_t sample_size() const;
  Modality modality() const;
  bool has_labels() const { return !labels.empty(); }
  const float* row(int64_t i) const { return x.data() + i * sample_size(); }

  /// Checks internal consistency (sizes, finite values); throws rdc::Error naming the fault.
  void validate() const;
  /// Keeps the rows in `idx` (in that order).
  Dataset subset(const std::vector<int64_t>& idx) const;
  /// Rows whose split tag is `s`.
  std::vector<int64_t> indices_of(Split s) const;
  /// Number of distinct labels (max + 1), 0 without labels.
  int64_t num_classes() const;
};

/// Throws rdc::Error naming `what` and the first non-finite value (row, column) if any.
void check_finite(const float* x, int64_t n, int64_t d, const std::string& what);

}  // namespace rdc
