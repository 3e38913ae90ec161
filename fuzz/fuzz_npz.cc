// .npz (zip of .npy): rdc::read_npz through a temp file (libzip needs a file or source).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = rdc_fuzz::write_temp(data, size, "npz", ".npz");
  rdc_fuzz::expect_error_only([&] { rdc_fuzz::check_reader_output(rdc::read_npz(path)); });
  return 0;
}
