// Mutation smoke tests: damaged copies of valid files (truncations and byte flips at fixed
// pseudo-random positions) must load or throw rdc::Error, never crash or throw anything else.
// Run under RDC_SANITIZE=ON to also catch out-of-bounds reads.
#include <functional>

#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

namespace {

struct Lcg {
  uint64_t s;
  uint64_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  }
};

// Returns the number of mutants that loaded (the rest threw rdc::Error).
int mutate_and_read(const std::string& valid, const std::string& path,
                    const std::function<void(const std::string&)>& read, int flips, uint64_t seed) {
  int loaded = 0;
  auto attempt = [&](const std::string& bytes, const std::string& what) {
    write_bytes(path, bytes);
    try {
      read(path);
      ++loaded;
    } catch (const Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": non-rdc exception " << e.what();
    }
  };
  const size_t n = valid.size();
  for (int k = 1; k <= 24; ++k) attempt(valid.substr(0, n * k / 25), "truncated at " + std::to_string(n * k / 25));
  Lcg rng{seed};
  for (int k = 0; k < flips; ++k) {
    std::string m = valid;
    const int nflip = 1 + static_cast<int>(rng.next() % 4);
    for (int j = 0; j < nflip; ++j) {
      const size_t pos = rng.next() % n;
      m[pos] = static_cast<char>(rng.next() & 0xff);
    }
    attempt(m, "mutant " + std::to_string(k));
  }
  return loaded;
}

}  // namespace

TEST(Robustness, IdxMutants) {
  TempDir t;
  std::string px(4 * 5 * 5, '\x40');
  const std::string raw = idx_bytes(0x08, {4, 5, 5}, px);
  mutate_and_read(raw, t / "m.idx", [](const std::string& p) { read_idx(p); }, 200, 1);
  mutate_and_read(gzip(raw), t / "m.gz", [](const std::string& p) { read_idx(p); }, 200, 2);
}

TEST(Robustness, NpyAndNpzMutants) {
  TempDir t;
  std::vector<float> x(24, 0.5f);
  const std::string npy = npy_bytes_f32(x.data(), {2, 3, 4});
  mutate_and_read(npy, t / "m.npy", [](const std::string& p) { read_npy_dataset(p); }, 300, 3);
  for (bool deflate : {true, false}) {
    write_npz(t / "v.npz", {{"train_images", npy_bytes_u8(std::vector<uint8_t>(3 * 16, 9), {3, 4, 4})},
                            {"train_labels", npy_bytes_u8({0, 1, 1}, {3, 1})}},
              deflate);
    mutate_and_read(read_bytes(t / "v.npz"), t / "m.npz", [](const std::string& p) { read_npz(p); }, 300, 4);
  }
}

TEST(Robustness, CsvMutants) {
  TempDir t;
  const std::string csv = "a,b,label\n1,2,x\n3.5,-4,y\n5e-3,6,x\n";
  LoadOptions o;
  o.csv_label_column = -2;
  mutate_and_read(csv, t / "m.csv", [&](const std::string& p) { read_csv(p, o); }, 300, 5);
}

TEST(Robustness, ImageAndTarMutants) {
  TempDir t;
  const std::string png = png_bytes(6, 5, 3, pattern(6, 5, 3, 1));
  const std::string jpg = jpeg_bytes(8, 8, 3, pattern(8, 8, 3, 2));
  const std::string tar = tar_bytes({{"d/train/a/1.png", png}, {"d/test/b/2.jpg", jpg}});
  auto read_tar = [](const std::string& p) { read_image_tar(p); };
  mutate_and_read(tar, t / "m.tar", read_tar, 300, 6);
  mutate_and_read(gzip(tar), t / "m.tar.gz", read_tar, 200, 7);
  // Damaged images inside a valid tar.
  Lcg rng{8};
  for (int k = 0; k < 200; ++k) {
    std::string p = png, j = jpg;
    for (int f = 0; f < 3; ++f) {
      p[rng.next() % p.size()] = static_cast<char>(rng.next());
      j[rng.next() % j.size()] = static_cast<char>(rng.next());
    }
    write_bytes(t / "i.tar", tar_bytes({{"a/1.png", p}, {"b/2.jpg", j}}));
    try {
      read_image_tar(t / "i.tar");
    } catch (const Error&) {
    }
  }
}

TEST(Robustness, Hdf5Truncations) {
  TempDir t;
  hid_t f = H5Fcreate((t / "v.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  h5_write_f32(f, "data", std::vector<float>(12, 0.25f), {3, 4});
  h5_write_i64(f, "target", {0, 1, 0});
  H5Fclose(f);
  const std::string valid = read_bytes(t / "v.h5");
  // Truncations only: the HDF5 library itself is not hardened against arbitrary byte flips.
  mutate_and_read(valid, t / "m.h5", [](const std::string& p) { read_hdf5(p); }, 0, 9);
}
