// PNG (libpng simplified API) and JPEG (libjpeg-turbo) decoding from memory.
// Neither library calls exit/abort here: libpng's simplified API returns failure codes and
// libjpeg errors longjmp back to the decode function, which converts them to rdc::Error.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
// jpeglib.h needs <cstdio> first; jerror.h gives the warning codes.
#include <jerror.h>

#include "rdc/core/error.h"
#include "rdc/data/reader_util.h"

namespace rdc {
namespace detail {

namespace {

// Larger images are refused before allocating (2^28 pixels = 16384 x 16384).
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

// Refuses sizes over kMaxPixels and sizes no real file of `bytes` bytes can hold (PNG's
// deflate and JPEG stay far below 2000 pixels per byte), before any pixel buffer is allocated.
bool plausible_size(uint64_t w, uint64_t h, uint64_t bytes) {
  return w > 0 && h > 0 && w * h <= kMaxPixels && w * h <= bytes * 2000 + (uint64_t{1} << 20);
}

bool is_png(const std::string& b) { return b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0; }
bool is_jpeg(const std::string& b) {
  return b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8 &&
         static_cast<unsigned char>(b[2]) == 0xFF;
}

DecodedImage png_decode(const std::string& bytes, int want_channels, bool header_only, const std::string& what) {
  png_image img;
  std::memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()))
    RDC_FAIL("{}: damaged PNG header: {}", what, img.message);
  DecodedImage out;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.channels = (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
  if (!plausible_size(img.width, img.height, bytes.size())) {
    png_image_free(&img);
    RDC_FAIL("{}: PNG claims {} x {} pixels in {} bytes; refusing (damaged header or over the limit of {} pixels)",
             what, img.width, img.height, bytes.size(), kMaxPixels);
  }
  if (header_only) {
    png_image_free(&img);
    return out;
  }
  if (want_channels == 1 && out.channels == 3) {
    png_image_free(&img);
    RDC_FAIL("{}: internal: colour PNG requested as grey", what);
  }
  out.channels = want_channels;
  const bool wide = (img.format & PNG_FORMAT_FLAG_LINEAR) != 0;  // 16-bit samples
  if (wide) {
    // 16-bit files: read the linear 16-bit values and keep the top 8 bits (no gamma change).
    img.format = want_channels == 3 ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_LINEAR_Y;
    std::vector<uint16_t> buf(static_cast<size_t>(img.width) * img.height * want_channels, 0);
    if (!png_image_finish_read(&img, nullptr, buf.data(), 0, nullptr))
      RDC_FAIL("{}: damaged or truncated PNG: {}", what, img.message);
    out.pixels.resize(buf.size());
    for (size_t i = 0; i < buf.size(); ++i) out.pixels[i] = static_cast<uint8_t>((buf[i] + 128u) / 257u);
    return out;
  }
  img.format = want_channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  out.pixels.assign(PNG_IMAGE_SIZE(img), 0);
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr))
    RDC_FAIL("{}: damaged or truncated PNG: {}", what, img.message);
  return out;
}

struct JpegError {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

void jpeg_on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegError*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

void jpeg_on_message(j_common_ptr c, int level) {
  if (level >= 0) return;  // trace messages
  auto* e = reinterpret_cast<JpegError*>(c->err);
  if (c->err->msg_code == JWRN_JPEG_EOF || c->err->msg_code == JWRN_HIT_MARKER) {
    if (!e->truncated) (*c->err->format_message)(c, e->message);
    e->truncated = true;
  }
  // Other corrupt-data warnings (extraneous bytes, ...) are tolerated like most decoders do.
}

// Plain-C style body: no C++ objects with destructors live in this frame, so a longjmp from
// libjpeg back to setjmp skips no destructor (`out` is owned by the caller). Returns false with
// je->message filled on failure.
bool jpeg_decode_c(const unsigned char* data, size_t len, int want_channels, bool header_only, DecodedImage* out,
                   JpegError* je) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&je->pub);
  je->pub.error_exit = jpeg_on_error;
  je->pub.emit_message = jpeg_on_message;
  je->truncated = false;
  je->message[0] = '\0';
  if (setjmp(je->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(len));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space != JCS_GRAYSCALE && cinfo.jpeg_color_space != JCS_YCbCr &&
      cinfo.jpeg_color_space != JCS_RGB) {
    std::snprintf(je->message, sizeof(je->message), "unsupported JPEG colour space %d (CMYK/YCCK?)",
                  static_cast<int>(cinfo.jpeg_color_space));
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  out->width = static_cast<int>(cinfo.image_width);
  out->height = static_cast<int>(cinfo.image_height);
  out->channels = cinfo.jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
  if (!plausible_size(cinfo.image_width, cinfo.image_height, len)) {
    std::snprintf(je->message, sizeof(je->message),
                  "JPEG claims %u x %u pixels in %zu bytes; refusing (damaged header or too large)",
                  static_cast<unsigned>(cinfo.image_width), static_cast<unsigned>(cinfo.image_height), len);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  if (header_only) {
    jpeg_destroy_decompress(&cinfo);
    return true;
  }
  if (want_channels == 1 && out->channels == 3) {
    std::snprintf(je->message, sizeof(je->message), "internal: colour JPEG requested as grey");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = want_channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  try {
    out->pixels.assign(static_cast<size_t>(out->width) * out->height * want_channels, 0);
  } catch (...) {  // a C++ exception from our own frame: no longjmp involved
    jpeg_destroy_decompress(&cinfo);
    throw;
  }
  jpeg_start_decompress(&cinfo);
  if (static_cast<int>(cinfo.output_components) != want_channels) {
    std::snprintf(je->message, sizeof(je->message), "decoder gave %d channels, expected %d",
                  static_cast<int>(cinfo.output_components), want_channels);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  out->channels = want_channels;
  const size_t stride = static_cast<size_t>(cinfo.output_width) * want_channels;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(cinfo.output_scanline) * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

DecodedImage jpeg_decode(const std::string& bytes, int want_channels, bool header_only, const std::string& what) {
  DecodedImage out;
  JpegError je;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (!jpeg_decode_c(data, bytes.size(), want_channels, header_only, &out, &je))
    RDC_FAIL("{}: damaged JPEG: {}", what, je.message);
  if (je.truncated) RDC_FAIL("{}: truncated or damaged JPEG data: {}", what, je.message);
  return out;
}

}  // namespace

bool is_image_name(const std::string& name) {
  const size_t slash = name.find_last_of('/');
  const std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  if (base.empty() || base[0] == '.') return false;  // hidden files, macOS "._x.jpg" forks
  return ends_with_ci(base, ".png") || ends_with_ci(base, ".jpg") || ends_with_ci(base, ".jpeg");
}

DecodedImage probe_image(const std::string& bytes, const std::string& what) {
  if (is_png(bytes)) return png_decode(bytes, 0, true, what);
  if (is_jpeg(bytes)) return jpeg_decode(bytes, 0, true, what);
  RDC_FAIL("{}: wrong magic, neither PNG nor JPEG ({} bytes)", what, bytes.size());
}

DecodedImage decode_image(const std::string& bytes, int channels, const std::string& what) {
  RDC_CHECK(channels == 1 || channels == 3, "{}: internal: channels = {}", what, channels);
  if (is_png(bytes)) return png_decode(bytes, channels, false, what);
  if (is_jpeg(bytes)) return jpeg_decode(bytes, channels, false, what);
  RDC_FAIL("{}: wrong magic, neither PNG nor JPEG ({} bytes)", what, bytes.size());
}

}  // namespace detail
}  // namespace rdc
