// PNG / JPEG decoding from memory: rdc::detail::probe_image and decode_image (grey and RGB),
// plus the one-image dataset path (images_to_dataset) that the folder and tar readers share.
#include "fuzz_util.h"
#include "rdc/data/reader_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

namespace {

void check_decoded(const rdc::detail::DecodedImage& img, int channels, const rdc::detail::DecodedImage& probe) {
  const size_t want = static_cast<size_t>(img.width) * img.height * channels;
  if (img.channels != channels || img.pixels.size() != want || img.width != probe.width ||
      img.height != probe.height) {
    std::fprintf(stderr, "BUG: decoded %dx%dx%d (%zu bytes), probe said %dx%dx%d, asked %d channels\n", img.width,
                 img.height, img.channels, img.pixels.size(), probe.width, probe.height, probe.channels, channels);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  rdc::detail::DecodedImage probe;
  try {
    probe = rdc::detail::probe_image(bytes, "fuzz");
  } catch (const rdc::Error&) {
    return 0;
  }
  if (probe.width <= 0 || probe.height <= 0 || (probe.channels != 1 && probe.channels != 3)) {
    std::fprintf(stderr, "BUG: probe gave %dx%dx%d\n", probe.width, probe.height, probe.channels);
    std::abort();
  }
  rdc_fuzz::expect_error_only([&] { check_decoded(rdc::detail::decode_image(bytes, 3, "fuzz"), 3, probe); });
  if (probe.channels == 1)
    rdc_fuzz::expect_error_only([&] { check_decoded(rdc::detail::decode_image(bytes, 1, "fuzz"), 1, probe); });
  rdc_fuzz::expect_error_only([&] {
    std::vector<rdc::detail::ImageEntry> entries(1);
    entries[0].path = "class_a/x.png";
    entries[0].bytes = bytes;
    rdc_fuzz::check_reader_output(rdc::detail::images_to_dataset(std::move(entries), 0, "fuzz", {}));
  });
  return 0;
}
