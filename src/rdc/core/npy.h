#pragma once
// NumPy .npy format (v1/v2/v3): parse from memory, write atomically.
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

/// A parsed .npy array. `dtype` is the numpy descr without byte order, e.g. "f4", "u1", "i8".
struct NpyArray {
  std::string dtype;           ///< "f4", "f8", "u1", "i1", "i2", "u2", "i4", "u4", "i8", "u8", "b1"
  std::vector<int64_t> shape;  ///< empty = scalar
  std::vector<char> data;      ///< raw little-endian values, C order
  int64_t numel() const;
  int itemsize() const;
  /// Converts any numeric dtype to float32 (throws on unsupported dtypes).
  std::vector<float> to_float() const;
  /// Converts an integer (or integral float) array to int64; throws naming the first non-integer.
  std::vector<int64_t> to_int64(const std::string& what) const;
};

/// Parses a .npy buffer; `what` names the file in error messages. Refuses absurd
/// shapes (more elements than the buffer holds) before allocating.
NpyArray parse_npy(const char* buf, size_t len, const std::string& what);
NpyArray read_npy(const std::string& path);

/// Serialises float32 / int64 arrays to .npy bytes.
std::string npy_bytes_f32(const float* data, const std::vector<int64_t>& shape);
std::string npy_bytes_i64(const int64_t* data, const std::vector<int64_t>& shape);
/// Atomic writers.
void write_npy(const std::string& path, const std::vector<float>& data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const std::vector<int64_t>& data, const std::vector<int64_t>& shape);

}  // namespace rdc
