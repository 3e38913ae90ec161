// IDX images/labels (raw or gzip): rdc::read_idx and the labels reader, from a temp file.
#include "fuzz_util.h"
#include "rdc/data/reader_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = rdc_fuzz::write_temp(data, size, "idx", "-ubyte");
  // The same file as images and labels: a valid image file then exercises the labels parser and
  // the label-count check. (Each read of a header claiming ~2^30 values costs ~0.3 s under ASan:
  // GzReader reserves up to 1 GiB of address space, so the reads per input are kept few.)
  bool images_ok = false;
  rdc_fuzz::expect_error_only([&] {
    rdc_fuzz::check_reader_output(rdc::read_idx(path));
    images_ok = true;
  });
  if (images_ok)
    rdc_fuzz::expect_error_only([&] { rdc_fuzz::check_reader_output(rdc::read_idx(path, path)); });
  else
    rdc_fuzz::expect_error_only([&] { (void)rdc::detail::read_idx_labels(path); });
  return 0;
}
