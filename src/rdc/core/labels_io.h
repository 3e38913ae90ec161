#pragma once
// Reading and writing label / assignment vectors (.npy int or float, .csv, plain text).
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

/// Reads integer ids from .npy (any integer dtype or integral floats), .csv (column named
/// `column` when the file has a header containing it, else the last column) or text (one per line).
std::vector<int64_t> read_ids(const std::string& path, const std::string& column = "cluster");

/// Writes `index,name,cluster[,label]` atomically (names/labels optional: empty vectors).
void write_assignments_csv(const std::string& path, const std::vector<int64_t>& clusters,
                           const std::vector<std::string>& names, const std::vector<int64_t>& labels);

}  // namespace rdc
