#include <cmath>
#include <limits>

#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

namespace {

// USPS-like file: train (3 x 16) and test (2 x 16) float32 in [0,1] + int64 targets.
void write_usps_like(const std::string& path, int test_labels = 2, float bad = 0.f) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  for (auto [name, n] : {std::pair{"train", 3}, std::pair{"test", 2}}) {
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<float> x(n * 16);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 100.f;
    if (std::string(name) == "test" && bad != 0.f) x[16 + 3] = bad;
    h5_write_f32(g, "data", x, {static_cast<hsize_t>(n), 16});
    const int nl = std::string(name) == "test" ? test_labels : n;
    std::vector<int64_t> y(nl);
    for (int i = 0; i < nl; ++i) y[i] = (i + 1) % 10;
    h5_write_i64(g, "target", y);
    H5Gclose(g);
  }
  H5Fclose(f);
}

}  // namespace

TEST(ReadHdf5, UspsLayoutSquareColumnsBecomeImages) {
  TempDir t;
  write_usps_like(t / "u.h5");
  Dataset d = read_hdf5(t / "u.h5");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{5, 1, 4, 4}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{1, 2, 3, 1, 2}));
  EXPECT_EQ(d.split, (std::vector<Split>{Split::kTrain, Split::kTrain, Split::kTrain, Split::kTest, Split::kTest}));
  EXPECT_FLOAT_EQ(d.x[17], 0.17f);
  EXPECT_FLOAT_EQ(d.x[3 * 16 + 1], 0.01f);  // first test sample restarts at 0
}

TEST(ReadHdf5, RootLayoutKeepsVectors) {
  TempDir t;
  hid_t f = H5Fcreate((t / "r.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  h5_write_f32(f, "x", {1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  h5_write_i64(f, "labels", {0, 1, 0});
  H5Fclose(f);
  Dataset d = read_hdf5(t / "r.h5");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 3}));  // 9 is square, but the root layout is not reshaped
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 1, 0}));
  EXPECT_TRUE(d.split.empty());
}

TEST(ReadHdf5, UnsignedBytesAreScaledAndNoLabelsIsFine) {
  TempDir t;
  hid_t f = H5Fcreate((t / "b.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[3] = {2, 2, 2};
  std::vector<uint8_t> v = {0, 51, 102, 153, 204, 255, 0, 0};
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t ds = H5Dcreate2(f, "images", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(ds);
  H5Sclose(space);
  H5Fclose(f);
  Dataset d = read_hdf5(t / "b.h5");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_FLOAT_EQ(d.x[1], 0.2f);
  EXPECT_FLOAT_EQ(d.x[5], 1.f);
  EXPECT_FALSE(d.has_labels());  // C16
}

TEST(ReadHdf5, LabelCountMismatchNamesDataset) {
  TempDir t;
  write_usps_like(t / "m.h5", 3);
  expect_error([&] { read_hdf5(t / "m.h5"); }, {"label count mismatch", "m.h5", "test/target", "3 labels",
                                                 "test/data", "2 samples"});
}

TEST(ReadHdf5, C18_NanNamesRow) {
  TempDir t;
  write_usps_like(t / "n.h5", 2, std::numeric_limits<float>::quiet_NaN());
  expect_error([&] { read_hdf5(t / "n.h5"); }, {"n.h5", "test/data", "row 1", "column 3"});
  write_usps_like(t / "i.h5", 2, -std::numeric_limits<float>::infinity());
  expect_error([&] { read_hdf5(t / "i.h5"); }, {"i.h5", "row 1"});
}

TEST(ReadHdf5, BadFiles) {
  TempDir t;
  write_bytes(t / "text.h5", "not an hdf5 file");
  expect_error([&] { read_hdf5(t / "text.h5"); }, {"text.h5", "wrong magic"});
  expect_error([&] { read_hdf5(t / "missing.h5"); }, {"missing.h5", "no such file"});
  write_usps_like(t / "ok.h5");
  const std::string ok = read_bytes(t / "ok.h5");
  for (size_t cut : {ok.size() / 4, ok.size() / 2, ok.size() - 100}) {
    write_bytes(t / "cut.h5", ok.substr(0, cut));
    expect_error([&] { read_hdf5(t / "cut.h5"); }, {"cut.h5"});
  }
  hid_t f = H5Fcreate((t / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  h5_write_f32(f, "features", {1, 2}, {1, 2});
  H5Fclose(f);
  expect_error([&] { read_hdf5(t / "other.h5"); }, {"other.h5", "no known layout"});
}

TEST(ReadHdf5, AbsurdDimsAreRefused) {
  TempDir t;
  // A dataset whose dataspace claims 10^12 values (never written: no storage).
  hid_t f = H5Fcreate((t / "huge.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {1000000, 1000000};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hsize_t chunk[2] = {1000, 1000};
  H5Pset_chunk(dcpl, 2, chunk);
  hid_t ds = H5Dcreate2(f, "data", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
  expect_error([&] { read_hdf5(t / "huge.h5"); }, {"huge.h5", "'data'", "refusing"});
  f = H5Fcreate((t / "huge2.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  // 2^31 values claimed with no stored bytes: under the hard cap, refused by the storage check.
  hsize_t dims2[2] = {1 << 20, 1 << 11};
  space = H5Screate_simple(2, dims2, nullptr);
  dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  hid_t g = H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ds = H5Dcreate2(g, "data", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dclose(ds);
  H5Gclose(g);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
  expect_error([&] { read_hdf5(t / "huge2.h5"); }, {"huge2.h5", "train/data", "stores only"});
}

TEST(ReadHdf5, RealUsps) {
  Dataset d = read_hdf5(real_data("usps.h5"));
  EXPECT_EQ(d.shape, (std::vector<int64_t>{9298, 1, 16, 16}));
  EXPECT_EQ(d.indices_of(Split::kTrain).size(), 7291u);
  EXPECT_EQ(d.indices_of(Split::kTest).size(), 2007u);
  EXPECT_EQ(d.num_classes(), 10);
  const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
  EXPECT_GE(*lo, 0.f);
  EXPECT_LE(*hi, 1.f);
  // Standard USPS training class counts: 1194 zeros, 1005 ones.
  std::vector<int64_t> tr = d.indices_of(Split::kTrain);
  int64_t zeros = 0, ones = 0;
  for (int64_t i : tr) {
    zeros += d.labels[i] == 0;
    ones += d.labels[i] == 1;
  }
  EXPECT_EQ(zeros, 1194);
  EXPECT_EQ(ones, 1005);
}

// Found by fuzz_hdf5: a deflated chunk claiming 771 rows of a 3-row dimension made libhdf5 1.10
// read past its own buffer. HDF5 never writes such a chunk; the reader refuses it before reading.
TEST(ReadHdf5, ChunkLargerThanFixedDimensionIsRefused) {
  const std::string forged = RDC_TEST_DATA "/../../fuzz/corpus/hdf5/regress-chunk-larger-than-dims.h5";
  expect_error([&] { read_hdf5(forged); }, {"'images'", "chunk dimension 1 = 771", "maximum 3"});
  // A legal chunked + deflated file still reads.
  TempDir t;
  hid_t f = H5Fcreate((t / "ok.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {4, 6};
  hsize_t chunk[2] = {2, 6};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  H5Pset_deflate(dcpl, 4);
  hid_t ds = H5Dcreate2(f, "data", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 24.f;
  H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x.data());
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
  const Dataset d = read_hdf5(t / "ok.h5");
  ASSERT_EQ(d.n(), 4);
  EXPECT_FLOAT_EQ(d.x.back(), 23.f / 24.f);
}
