// .npy: rdc::parse_npy from memory, the conversions, and read_npy_dataset through a temp file.
#include "fuzz_util.h"
#include "rdc/core/npy.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bool parsed = false;
  rdc_fuzz::expect_error_only([&] {
    rdc::NpyArray a = rdc::parse_npy(reinterpret_cast<const char*>(data), size, "fuzz.npy");
    parsed = true;
    if (static_cast<size_t>(a.numel()) * a.itemsize() != a.data.size()) {
      std::fprintf(stderr, "BUG: npy numel %lld x itemsize %d != %zu data bytes\n",
                   static_cast<long long>(a.numel()), a.itemsize(), a.data.size());
      std::abort();
    }
    rdc_fuzz::expect_error_only([&] { (void)a.to_float(); });
    rdc_fuzz::expect_error_only([&] { (void)a.to_int64("fuzz.npy"); });
  });
  if (parsed) {  // the dataset path only makes sense for a parseable array
    const std::string path = rdc_fuzz::write_temp(data, size, "npy", ".npy");
    rdc_fuzz::expect_error_only([&] { rdc_fuzz::check_reader_output(rdc::read_npy_dataset(path)); });
  }
  return 0;
}
