// CSV / TSV / whitespace text: rdc::read_csv. The first input byte picks the options
// (extension, header flag, label column) so every code path is reachable; the rest is the file.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  static const char* kExt[] = {".csv", ".tsv", ".txt", ".CSV"};
  static const int kLabelCol[] = {-1, -2, 0, 1, 2, -3, 7, -9};
  rdc::LoadOptions opt;
  opt.csv_header = (sel & 4) != 0;
  opt.csv_label_column = kLabelCol[(sel >> 3) & 7];
  const std::string path = rdc_fuzz::write_temp(data + 1, size - 1, "csv", kExt[sel & 3]);
  rdc_fuzz::expect_error_only([&] { rdc_fuzz::check_reader_output(rdc::read_csv(path, opt)); });
  return 0;
}
