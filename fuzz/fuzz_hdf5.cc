// HDF5: rdc::read_hdf5 through a temp file. Note: libhdf5 itself is not instrumented; only
// crashes (SEGV, aborts) inside it are seen, and its coverage does not guide the fuzzer.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = rdc_fuzz::write_temp(data, size, "h5", ".h5");
  rdc_fuzz::expect_error_only([&] { rdc_fuzz::check_reader_output(rdc::read_hdf5(path)); });
  return 0;
}
