#include "rdc/report/image.h"

#include <png.h>

#include <algorithm>
#include <cmath>

#include "rdc/core/error.h"

namespace rdc {

Thumbnail make_thumbnail(const float* sample, const std::vector<int64_t>& sample_shape, int scale, int max_side) {
  RDC_CHECK(sample_shape.size() == 3 || sample_shape.size() == 4,
            "thumbnail: sample shape must be (C, H, W) or (C, D, H, W), got {} dims", sample_shape.size());
  RDC_CHECK(scale >= 1 && scale <= 16, "thumbnail: scale={} must be in [1, 16]", scale);
  const int64_t c = sample_shape[0];
  const int64_t depth = sample_shape.size() == 4 ? sample_shape[1] : 1;
  const int64_t h = sample_shape[sample_shape.size() - 2], w = sample_shape.back();
  RDC_CHECK(c >= 1 && depth >= 1 && h >= 1 && w >= 1, "thumbnail: unsupported sample shape C={} D={} H={} W={}", c,
            depth, h, w);
  RDC_CHECK(max_side >= 1, "thumbnail: max_side={} must be >= 1", max_side);
  // Output pixel (x, y) shows input pixel (x * step / up, y * step / up).
  const int64_t step = (std::max(h, w) + max_side - 1) / max_side;
  const int up = step > 1 ? 1 : scale;
  const int64_t slice = depth / 2;
  const int channels = c >= 3 ? 3 : 1;
  // Plane of channel ch at the chosen slice.
  auto plane = [&](int64_t ch) { return sample + (ch * depth + slice) * h * w; };
  float lo = INFINITY, hi = -INFINITY;
  for (int ch = 0; ch < channels; ++ch) {
    const float* p = plane(ch);
    for (int64_t i = 0; i < h * w; ++i)
      if (std::isfinite(p[i])) {
        lo = std::min(lo, p[i]);
        hi = std::max(hi, p[i]);
      }
  }
  float off = 0, mul = 1;
  if (!(lo >= 0.f && hi <= 1.f)) {
    if (hi > lo) {
      off = lo;
      mul = 1.f / (hi - lo);
    } else {
      off = std::isfinite(lo) ? lo : 0.f;
      mul = 0.f;
    }
  }
  Thumbnail t;
  t.width = static_cast<int>(step > 1 ? (w + step - 1) / step : w * up);
  t.height = static_cast<int>(step > 1 ? (h + step - 1) / step : h * up);
  t.channels = channels;
  t.pixels.resize(static_cast<size_t>(t.width) * t.height * channels);
  for (int y = 0; y < t.height; ++y)
    for (int x = 0; x < t.width; ++x)
      for (int ch = 0; ch < channels; ++ch) {
        float v = plane(ch)[(y * step / up) * w + (x * step / up)];
        v = std::isfinite(v) ? (v - off) * mul : 0.f;
        const int b = static_cast<int>(std::lround(std::clamp(v, 0.f, 1.f) * 255.f));
        t.pixels[(static_cast<size_t>(y) * t.width + x) * channels + ch] = static_cast<uint8_t>(b);
      }
  return t;
}

int auto_scale(int64_t side) {
  if (side <= 0) return 1;
  return static_cast<int>(std::clamp<int64_t>((64 + side - 1) / side, 1, 4));
}

namespace {

void png_append(png_structp png, png_bytep data, png_size_t len) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), len);
}
void png_flush_noop(png_structp) {}
[[noreturn]] void png_error_fn(png_structp png, png_const_charp msg) {
  // Unwind back to encode_png's setjmp (no C++ exception through C frames).
  auto* buf = static_cast<std::string*>(png_get_error_ptr(png));
  if (buf) *buf = msg ? msg : "unknown libpng error";
  png_longjmp(png, 1);
}
void png_warn_fn(png_structp, png_const_charp) {}

}  // namespace

std::string encode_png(const Thumbnail& t) {
  RDC_CHECK(t.width > 0 && t.height > 0 && (t.channels == 1 || t.channels == 3) &&
                t.pixels.size() == static_cast<size_t>(t.width) * t.height * t.channels,
            "encode_png: bad thumbnail {}x{}x{} with {} bytes", t.width, t.height, t.channels, t.pixels.size());
  std::string out, err;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &err, png_error_fn, png_warn_fn);
  RDC_CHECK(png != nullptr, "encode_png: cannot create the libpng writer");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    RDC_FAIL("encode_png: cannot create the libpng info struct");
  }
  std::vector<png_bytep> rows(t.height);
  for (int y = 0; y < t.height; ++y)
    rows[y] = const_cast<png_bytep>(t.pixels.data() + static_cast<size_t>(y) * t.width * t.channels);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    RDC_FAIL("encode_png: libpng failed: {}", err);
  }
  png_set_write_fn(png, &out, png_append, png_flush_noop);
  png_set_IHDR(png, info, t.width, t.height, 8, t.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 9);
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string base64_encode(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string png_data_uri(const Thumbnail& t) { return "data:image/png;base64," + base64_encode(encode_png(t)); }

}  // namespace rdc
