// Labels / assignments files: rdc::read_ids (.npy, .csv, .tsv, text). The first input byte
// picks the extension and the column name; the rest is the file. With bit 3 of that byte set,
// the rest is instead split at 0xFF bytes into sample names for a round trip:
// write_assignments_csv(names) then read_ids must give back exactly the cluster ids.
#include "fuzz_util.h"
#include "rdc/core/labels_io.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

namespace {

void round_trip(const uint8_t* data, size_t size) {
  std::vector<std::string> names(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0xFF) names.emplace_back();
    else names.back() += static_cast<char>(data[i]);
  }
  std::vector<int64_t> clusters(names.size()), labels(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    clusters[i] = static_cast<int64_t>((i * 7) % 5);
    labels[i] = static_cast<int64_t>(i % 3);
  }
  const std::string path = rdc_fuzz::write_temp(nullptr, 0, "ids-rt", ".csv");
  rdc::write_assignments_csv(path, clusters, names, (size % 2) ? labels : std::vector<int64_t>{});
  std::vector<int64_t> back;
  try {
    back = rdc::read_ids(path, "cluster");
  } catch (const rdc::Error& e) {
    std::fprintf(stderr, "BUG: read_ids cannot read what write_assignments_csv wrote: %s\n", e.what());
    std::abort();
  }
  if (back != clusters) {
    std::fprintf(stderr, "BUG: assignments round trip: wrote %zu ids, read %zu (or different values)\n",
                 clusters.size(), back.size());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* kExt[] = {".npy", ".csv", ".tsv", ".txt"};
  static const char* kColumn[] = {"cluster", "label"};
  const uint8_t sel = data[0];
  if (sel & 8) {
    round_trip(data + 1, size - 1);
    return 0;
  }
  const std::string path = rdc_fuzz::write_temp(data + 1, size - 1, "ids", kExt[sel & 3]);
  rdc_fuzz::expect_error_only([&] { (void)rdc::read_ids(path, kColumn[(sel >> 2) & 1]); });
  return 0;
}
