#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

namespace {

std::vector<float> iota_f(size_t n, float scale = 1.f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * scale;
  return v;
}

std::vector<uint8_t> iota_u8(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i % 256);
  return v;
}

}  // namespace

TEST(ReadNpy, LayoutRule) {
  TempDir t;
  // (N, D) vectors.
  write_npy(t / "v.npy", iota_f(6), {2, 3});
  Dataset v = read_npy_dataset(t / "v.npy");
  EXPECT_EQ(v.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(v.modality(), Modality::kVector);
  // (N, H, W) uint8 -> grey images scaled by 1/255.
  write_bytes(t / "g.npy", npy_bytes_u8(iota_u8(2 * 3 * 4), {2, 3, 4}));
  Dataset g = read_npy_dataset(t / "g.npy");
  EXPECT_EQ(g.shape, (std::vector<int64_t>{2, 1, 3, 4}));
  EXPECT_FLOAT_EQ(g.x[23], 23.f / 255.f);
  // (N, H, W, 3) -> (N, 3, H, W): element (n, y, x, c) goes to (n, c, y, x).
  write_npy(t / "hwc.npy", iota_f(2 * 4 * 5 * 3), {2, 4, 5, 3});
  Dataset hwc = read_npy_dataset(t / "hwc.npy");
  EXPECT_EQ(hwc.shape, (std::vector<int64_t>{2, 3, 4, 5}));
  for (int n : {0, 1})
    for (int y : {0, 3})
      for (int x : {0, 2, 4})
        for (int c : {0, 1, 2})
          EXPECT_EQ(hwc.x[((n * 3 + c) * 4 + y) * 5 + x], static_cast<float>(((n * 4 + y) * 5 + x) * 3 + c));
  // (N, 3, H, W) kept as is.
  write_npy(t / "chw.npy", iota_f(2 * 3 * 6 * 6), {2, 3, 6, 6});
  Dataset chw = read_npy_dataset(t / "chw.npy");
  EXPECT_EQ(chw.shape, (std::vector<int64_t>{2, 3, 6, 6}));
  EXPECT_EQ(chw.x, iota_f(2 * 3 * 6 * 6));
  // (N, D, H, W) with no channel axis -> volume (N, 1, D, H, W).
  write_npy(t / "vol.npy", iota_f(2 * 8 * 8 * 8), {2, 8, 8, 8});
  EXPECT_EQ(read_npy_dataset(t / "vol.npy").shape, (std::vector<int64_t>{2, 1, 8, 8, 8}));
  // (N, D, H, W, C) -> (N, C, D, H, W).
  write_npy(t / "vol5.npy", iota_f(2 * 5 * 5 * 5 * 3), {2, 5, 5, 5, 3});
  Dataset v5 = read_npy_dataset(t / "vol5.npy");
  EXPECT_EQ(v5.shape, (std::vector<int64_t>{2, 3, 5, 5, 5}));
  EXPECT_EQ(v5.x[125], 1.f);  // channel 1 of voxel 0 of sample 0
  // int64 kept as values.
  std::vector<int64_t> li = {5, -3, 7, 1};
  write_npy(t / "i.npy", li, {2, 2});
  EXPECT_EQ(read_npy_dataset(t / "i.npy").x, (std::vector<float>{5.f, -3.f, 7.f, 1.f}));
}

TEST(ReadNpy, RejectsBadRanksAndBadFiles) {
  TempDir t;
  write_npy(t / "one.npy", iota_f(4), {4});
  expect_error([&] { read_npy_dataset(t / "one.npy"); }, {"one.npy", "(4)", "1 dims"});
  write_npy(t / "six.npy", iota_f(64), {2, 2, 2, 2, 2, 2});
  expect_error([&] { read_npy_dataset(t / "six.npy"); }, {"six.npy", "6 dims"});
  write_npy(t / "empty.npy", std::vector<float>{}, {0, 3});
  expect_error([&] { read_npy_dataset(t / "empty.npy"); }, {"empty.npy", "empty dimension"});
  expect_error([&] { read_npy_dataset(t / "missing.npy"); }, {"missing.npy"});
  write_npy(t / "ok.npy", iota_f(6), {2, 3});
  std::string ok = read_bytes(t / "ok.npy");
  write_bytes(t / "cut.npy", ok.substr(0, ok.size() - 4));
  expect_error([&] { read_npy_dataset(t / "cut.npy"); }, {"cut.npy", "truncated"});
  write_bytes(t / "magic.npy", "XX" + ok.substr(2));
  expect_error([&] { read_npy_dataset(t / "magic.npy"); }, {"magic.npy", "magic"});
}

TEST(ReadNpy, C18_NanNamesRowAndZeroColumnIsAccepted) {
  TempDir t;
  std::vector<float> x = {0.f, 1.f, 0.f, 2.f, 0.f, 3.f, 0.f, 4.f};
  write_npy(t / "ok.npy", x, {4, 2});
  EXPECT_EQ(read_npy_dataset(t / "ok.npy").n(), 4);  // constant (all-zero) column accepted
  x[7] = std::numeric_limits<float>::infinity();
  write_npy(t / "inf.npy", x, {4, 2});
  expect_error([&] { read_npy_dataset(t / "inf.npy"); }, {"inf.npy", "row 3", "column 1"});
  x[7] = 4.f;
  x[2] = std::numeric_limits<float>::quiet_NaN();
  write_npy(t / "nan.npy", x, {4, 2});
  expect_error([&] { read_npy_dataset(t / "nan.npy"); }, {"nan.npy", "row 1", "column 0"});
}

namespace {

// A MedMNIST-like archive: train 3, val 2, test 1 images of 4x4 (uint8), labels (N, 1).
void write_medmnist(const std::string& path, bool deflate, int train_labels = 3) {
  std::vector<std::pair<std::string, std::string>> a;
  const int counts[3] = {3, 2, 1};
  const char* names[3] = {"train", "val", "test"};
  for (int s = 0; s < 3; ++s) {
    std::vector<uint8_t> px(counts[s] * 16, static_cast<uint8_t>(10 * (s + 1)));
    a.push_back({std::string(names[s]) + "_images", npy_bytes_u8(px, {counts[s], 4, 4})});
    const int nl = s == 0 ? train_labels : counts[s];
    std::vector<uint8_t> lab(nl);
    for (int i = 0; i < nl; ++i) lab[i] = static_cast<uint8_t>((i + s) % 2);
    a.push_back({std::string(names[s]) + "_labels", npy_bytes_u8(lab, {nl, 1})});
  }
  write_npz(path, a, deflate);
}

}  // namespace

TEST(ReadNpz, MedMnistLayoutMergesSplitsDeflatedAndStored) {
  TempDir t;
  for (bool deflate : {true, false}) {
    const std::string p = t / (deflate ? "d.npz" : "s.npz");
    write_medmnist(p, deflate);
    Dataset d = read_npz(p);
    EXPECT_EQ(d.shape, (std::vector<int64_t>{6, 1, 4, 4}));
    EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 1, 0, 1, 0, 0}));
    EXPECT_EQ(d.split, (std::vector<Split>{Split::kTrain, Split::kTrain, Split::kTrain, Split::kVal, Split::kVal,
                                           Split::kTest}));
    EXPECT_FLOAT_EQ(d.x[0], 10.f / 255.f);
    EXPECT_FLOAT_EQ(d.x[5 * 16], 30.f / 255.f);
  }
}

TEST(ReadNpz, MedMnistColourAnd3d) {
  TempDir t;
  // (N, 28, 28, 3) colour -> N x 3 x 28 x 28; (N, 28, 28, 28) -> N x 1 x 28 x 28 x 28.
  std::vector<uint8_t> rgb(2 * 28 * 28 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i % 3 == 1 ? 200 : 0);  // green only
  write_npz(t / "c.npz", {{"train_images", npy_bytes_u8(rgb, {2, 28, 28, 3})}});
  Dataset c = read_npz(t / "c.npz");
  EXPECT_EQ(c.shape, (std::vector<int64_t>{2, 3, 28, 28}));
  EXPECT_FLOAT_EQ(c.x[0], 0.f);                    // red plane
  EXPECT_FLOAT_EQ(c.x[28 * 28 + 5], 200.f / 255);  // green plane
  EXPECT_FALSE(c.has_labels());                    // C16
  std::vector<uint8_t> vol(2 * 28 * 28 * 28, 7);
  write_npz(t / "v.npz", {{"test_images", npy_bytes_u8(vol, {2, 28, 28, 28})}});
  Dataset v = read_npz(t / "v.npz");
  EXPECT_EQ(v.shape, (std::vector<int64_t>{2, 1, 28, 28, 28}));
  EXPECT_EQ(v.modality(), Modality::kVolume);
  EXPECT_EQ(v.split, (std::vector<Split>{Split::kTest, Split::kTest}));
}

TEST(ReadNpz, LabelCountMismatchNamesArray) {
  TempDir t;
  write_medmnist(t / "bad.npz", true, 2);
  expect_error([&] { read_npz(t / "bad.npz"); }, {"label count mismatch", "bad.npz", "train_labels", "2 labels",
                                                   "3 samples"});
}

TEST(ReadNpz, MultiLabelArraysLoadWithoutLabels) {
  TempDir t;
  std::vector<uint8_t> lab(3 * 14, 1);
  write_npz(t / "chest.npz", {{"train_images", npy_bytes_u8(std::vector<uint8_t>(3 * 16, 1), {3, 4, 4})},
                              {"train_labels", npy_bytes_u8(lab, {3, 14})}});
  LogCapture log;
  Dataset d = read_npz(t / "chest.npz");
  EXPECT_EQ(d.n(), 3);
  EXPECT_FALSE(d.has_labels());
  EXPECT_NE(log.text().find("multi-label"), std::string::npos) << log.text();
}

TEST(ReadNpz, GenericKeysAndNpzKeyOption) {
  TempDir t;
  std::vector<float> x = iota_f(8, 0.5f);
  std::vector<int64_t> y = {1, 0, 1, 2};
  write_npz(t / "g.npz", {{"data", npy_bytes_f32(x.data(), {4, 2})}, {"targets", npy_bytes_i64(y.data(), {4})},
                          {"emb", npy_bytes_f32(x.data(), {2, 4})}});
  Dataset d = read_npz(t / "g.npz");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(d.labels, y);
  LoadOptions o;
  o.npz_key = "emb";
  EXPECT_THROW(read_npz(t / "g.npz", o), Error);  // 4 labels for 2 samples
  expect_error([&] { read_npz(t / "g.npz", o); }, {"label count mismatch", "targets"});
  o.npz_key = "nope";
  expect_error([&] { read_npz(t / "g.npz", o); }, {"g.npz", "no array 'nope'", "data", "emb", "targets"});
  // Unknown names: error lists them; a single array is taken as the samples.
  write_npz(t / "u.npz", {{"a", npy_bytes_f32(x.data(), {4, 2})}, {"b", npy_bytes_f32(x.data(), {4, 2})}});
  expect_error([&] { read_npz(t / "u.npz"); }, {"u.npz", "a, b"});
  write_npz(t / "one.npz", {{"arr_0", npy_bytes_f32(x.data(), {2, 4})}});
  EXPECT_EQ(read_npz(t / "one.npz").shape, (std::vector<int64_t>{2, 4}));
}

TEST(ReadNpz, KerasStyleSplits) {
  TempDir t;
  std::vector<uint8_t> a(2 * 9, 255), b(1 * 9, 0);
  write_npz(t / "k.npz", {{"x_train", npy_bytes_u8(a, {2, 3, 3})},
                          {"y_train", npy_bytes_u8({3, 4}, {2})},
                          {"x_test", npy_bytes_u8(b, {1, 3, 3})},
                          {"y_test", npy_bytes_u8({5}, {1})}});
  Dataset d = read_npz(t / "k.npz");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 1, 3, 3}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(d.split, (std::vector<Split>{Split::kTrain, Split::kTrain, Split::kTest}));
  EXPECT_FLOAT_EQ(d.x[0], 1.f);
}

TEST(ReadNpz, BadArchives) {
  TempDir t;
  write_bytes(t / "text.npz", "this is not a zip archive at all, just text");
  expect_error([&] { read_npz(t / "text.npz"); }, {"text.npz", "not a zip"});
  write_medmnist(t / "ok.npz", true);
  std::string ok = read_bytes(t / "ok.npz");
  write_bytes(t / "half.npz", ok.substr(0, ok.size() / 2));
  expect_error([&] { read_npz(t / "half.npz"); }, {"half.npz"});
  expect_error([&] { read_npz(t / "missing.npz"); }, {"missing.npz"});
  // Forge the uncompressed size of the first entry (local + central headers) to ~4 GB.
  std::string forged = ok;
  for (size_t p = 0; p + 4 <= forged.size(); ++p) {
    if (forged.compare(p, 4, "PK\x03\x04") == 0 && p == 0) std::memcpy(&forged[p + 22], "\xf0\xff\xff\xff", 4);
    if (forged.compare(p, 4, "PK\x01\x02") == 0) {
      std::memcpy(&forged[p + 24], "\xf0\xff\xff\xff", 4);
      break;
    }
  }
  write_bytes(t / "forged.npz", forged);
  expect_error([&] { read_npz(t / "forged.npz"); }, {"forged.npz"});
}

TEST(ReadNpz, C18_NanNamesRow) {
  TempDir t;
  std::vector<float> x = {0.f, 1.f, 0.f, 2.f, 0.f, std::numeric_limits<float>::quiet_NaN()};
  write_npz(t / "n.npz", {{"x", npy_bytes_f32(x.data(), {3, 2})}});
  expect_error([&] { read_npz(t / "n.npz"); }, {"n.npz", "'x'", "row 2", "column 1"});
}

TEST(ReadNpz, RealBreastMnist) {
  Dataset d = read_npz(real_data("breastmnist.npz"));
  EXPECT_EQ(d.shape, (std::vector<int64_t>{780, 1, 28, 28}));
  EXPECT_EQ(d.indices_of(Split::kTrain).size(), 546u);
  EXPECT_EQ(d.indices_of(Split::kVal).size(), 78u);
  EXPECT_EQ(d.indices_of(Split::kTest).size(), 156u);
  EXPECT_EQ(d.num_classes(), 2);
  const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
  EXPECT_EQ(*lo, 0.f);
  EXPECT_EQ(*hi, 1.f);
  d.validate();
}

TEST(ReadNpz, RealVesselMnist3d) {
  Dataset d = read_npz(real_data("vesselmnist3d.npz"));
  EXPECT_EQ(d.shape, (std::vector<int64_t>{1908, 1, 28, 28, 28}));
  EXPECT_EQ(d.modality(), Modality::kVolume);
  EXPECT_EQ(d.indices_of(Split::kTrain).size(), 1335u);
  EXPECT_EQ(d.indices_of(Split::kVal).size(), 191u);
  EXPECT_EQ(d.indices_of(Split::kTest).size(), 382u);
  EXPECT_EQ(d.num_classes(), 2);
}

// A zip cut short (its central directory lost) is called truncated, not "wrong magic".
TEST(ReadNpz, TruncatedArchiveIsCalledTruncated) {
  TempDir t;
  write_medmnist(t / "ok.npz", true);
  std::ifstream in(t / "ok.npz", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 64u);
  write_bytes(t / "cut.npz", bytes.substr(0, bytes.size() / 2));
  expect_error([&] { read_npz(t / "cut.npz"); }, {"cut.npz", "truncated"});
  write_bytes(t / "junk.npz", "hello, not a zip at all");
  expect_error([&] { read_npz(t / "junk.npz"); }, {"junk.npz", "wrong magic"});
}
