#pragma once
// Crash-safe file output: write to a temporary file, fsync, rename.
#include <string>

namespace rdc {

/// Writes `bytes` to `path` atomically (tmp file in the same folder + fsync + rename).
void write_file_atomic(const std::string& path, const std::string& bytes);
/// Reads a whole file; throws rdc::Error naming the path on failure.
std::string read_file(const std::string& path);
/// Creates a folder and its parents (no error if it exists).
void make_dirs(const std::string& path);
bool file_exists(const std::string& path);
/// Joins two path parts with '/'.
std::string join_path(const std::string& a, const std::string& b);

}  // namespace rdc
