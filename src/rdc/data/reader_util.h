#pragma once
// Internal helpers shared by the dataset readers (not part of the public API).
#include <cstdint>
#include <string>
#include <vector>

#include "rdc/data/dataset.h"
#include "rdc/data/readers.h"

namespace rdc {
namespace detail {

/// Largest number of values a reader accepts from a header (2^32, 16 GiB as float32);
/// larger claims are refused before anything is allocated.
constexpr int64_t kMaxElements = int64_t{1} << 32;
/// Largest single member (image file, npz entry) read into memory.
constexpr int64_t kMaxMemberBytes = int64_t{1} << 32;

/// Product of `dims` with overflow and kMaxElements checks; `what` names the file.
int64_t checked_numel(const std::vector<int64_t>& dims, const std::string& what);

/// Exact float values of the bytes 0..255 divided by 255 (as torchvision's ToTensor).
const float* u8_to_unit_table();

/// Turns a numpy-style array (shape[0] = N) into a Dataset shape, moving the data:
///   (N, D) vectors; (N, H, W) images C = 1;
///   (N, H, W, C) with C in {1,3,4} -> transposed to (N, C, H, W);
///   (N, C, H, W) with C in {1,3,4} kept; other 4-D (N, D, H, W) -> volumes (N, 1, D, H, W);
///   (N, C, D, H, W) with C in {1,3,4} kept; (N, D, H, W, C) with C in {1,3,4} -> (N, C, D, H, W).
/// Fills out.shape and out.x; throws naming `what` for other ranks.
void arrange_array(const std::vector<int64_t>& shape, std::vector<float>&& data, Dataset& out,
                   const std::string& what);

/// Concatenates datasets with equal sample shapes; labels are remapped through class names
/// when the parts carry different class_names. Labels/splits/names are kept only when every
/// part has them.
Dataset concat_datasets(std::vector<Dataset>&& parts, const std::string& source);

/// Sorts class names for id assignment: numerically when all are decimal integers
/// ("2" < "10"), otherwise byte-wise alphabetical. Removes duplicates.
void sort_class_names(std::vector<std::string>& names);

/// Case-insensitive suffix test.
bool ends_with_ci(const std::string& s, const std::string& suffix);
std::string to_lower(std::string s);

/// Reads a gzip (or plain) file through zlib in chunks; the buffer grows only as data
/// actually arrives. Stops after `max_bytes` (throws if the stream is longer and `exact`).
class GzReader {
 public:
  explicit GzReader(const std::string& path);
  ~GzReader();
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;
  /// Reads up to n bytes into dst; returns bytes read (< n only at end of stream).
  size_t read(void* dst, size_t n);
  /// Reads exactly n bytes into a growing vector (appended); returns bytes read.
  size_t read_append(std::vector<uint8_t>& out, size_t n);
  /// Skips n bytes; returns bytes skipped.
  size_t skip(size_t n);
  /// Decompressed bytes consumed so far.
  uint64_t offset() const { return offset_; }
  const std::string& path() const { return path_; }

 private:
  void* gz_ = nullptr;
  std::string path_;
  uint64_t offset_ = 0;
};

// ---- images (images.cc) ----

/// An image file held in memory, named by its path relative to the dataset root.
struct ImageEntry {
  std::string path;   ///< relative path with '/' separators (used for labels, splits, names)
  std::string bytes;  ///< encoded PNG / JPEG
};

/// True when the file name has an image extension we decode (.png, .jpg, .jpeg).
bool is_image_name(const std::string& name);

/// Decoded 8-bit image, interleaved H x W x C (C = 1 or 3).
struct DecodedImage {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};
/// Reads only the header: width, height, channels (1 grey, 3 colour). Throws naming `what`.
DecodedImage probe_image(const std::string& bytes, const std::string& what);
/// Decodes to 8-bit with `channels` (1 or 3) output channels. Throws naming `what`.
DecodedImage decode_image(const std::string& bytes, int channels, const std::string& what);

/// Builds an image dataset from in-memory files: layout (split folders, class folders) is
/// detected from the relative paths; see read_image_folder. `skipped` = non-image files seen.
Dataset images_to_dataset(std::vector<ImageEntry>&& entries, int64_t skipped, const std::string& source,
                          const LoadOptions& opt);

/// Labels of an IDX labels file, shape (N) or (N, 1) (idx.cc).
std::vector<int64_t> read_idx_labels(const std::string& path);

/// Appends the image files of a .tar / .tar.gz archive (in memory, no extraction) to `entries`,
/// with paths as stored in the archive; counts the other regular files in `skipped`.
void read_tar_entries(const std::string& path, std::vector<ImageEntry>& entries, int64_t& skipped);

/// MNIST training images stored as 20 PNG batches (grey, 784 wide, one image per row).
Dataset read_mnist_png_batches(const std::vector<std::string>& png_paths);

}  // namespace detail
}  // namespace rdc
