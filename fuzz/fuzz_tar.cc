// tar / tar.gz archives of images: rdc::read_image_tar through a temp file (zlib reads plain
// tar transparently, so the seeds are uncompressed tars the fuzzer can mutate structurally).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = rdc_fuzz::write_temp(data, size, "tar", ".tar.gz");
  rdc::LoadOptions opt;
  opt.labels_from_folders = size % 2 == 0;
  rdc_fuzz::expect_error_only([&] { rdc_fuzz::check_reader_output(rdc::read_image_tar(path, opt)); });
  return 0;
}
