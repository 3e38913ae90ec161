#pragma once
// Sample thumbnails for the report: float samples -> 8-bit pixels -> PNG -> base64 data URI.
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

/// 8-bit pixels, row-major, interleaved channels (1 = grey, 3 = RGB).
struct Thumbnail {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  ///< height * width * channels
};

/// Turns one sample into a thumbnail. sample_shape = the dataset shape without N:
/// (C, H, W) images or (C, D, H, W) volumes (the middle slice D/2 is shown). C = 3 (or more:
/// the first three) gives RGB, otherwise channel 0 in grey. Values in [0, 1] are used as they
/// are, other ranges are stretched per sample from min..max. scale >= 1: nearest-neighbour
/// upscaling factor; samples with a side over max_side are instead subsampled (every s-th
/// pixel) to at most max_side pixels.
Thumbnail make_thumbnail(const float* sample, const std::vector<int64_t>& sample_shape, int scale,
                         int max_side = 256);

/// Upscaling factor that makes a side of `side` pixels at least ~64 px (1..4).
int auto_scale(int64_t side);

/// PNG file bytes of a thumbnail (libpng, in memory).
std::string encode_png(const Thumbnail& t);

/// Standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(const std::string& bytes);

/// "data:image/png;base64,..." of a thumbnail.
std::string png_data_uri(const Thumbnail& t);

}  // namespace rdc
