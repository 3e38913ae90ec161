#include <chrono>

#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

namespace {

// 3 images of 2x2 with pixel values 0, 51, 102, ... and labels 2, 0, 1.
std::string small_images() {
  std::string px;
  for (int i = 0; i < 12; ++i) px += static_cast<char>((i * 51) % 256);
  return idx_bytes(0x08, {3, 2, 2}, px);
}
std::string small_labels(int n = 3) {
  std::string l;
  for (int i = 0; i < n; ++i) l += static_cast<char>((2 + i) % 3);
  return idx_bytes(0x08, {static_cast<uint32_t>(n)}, l);
}

}  // namespace

TEST(ReadIdx, RawAndGzipGiveScaledImagesAndLabels) {
  TempDir t;
  write_bytes(t / "img-ubyte", small_images());
  write_bytes(t / "lab-ubyte", small_labels());
  write_bytes(t / "img.gz", gzip(small_images()));
  write_bytes(t / "lab.gz", gzip(small_labels()));
  for (auto [img, lab] : {std::pair{t / "img-ubyte", t / "lab-ubyte"}, std::pair{t / "img.gz", t / "lab.gz"}}) {
    Dataset d = read_idx(img, lab);
    EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 1, 2, 2}));
    ASSERT_EQ(d.x.size(), 12u);
    for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(d.x[i], static_cast<float>((i * 51) % 256) / 255.0f);
    EXPECT_EQ(d.labels, (std::vector<int64_t>{2, 0, 1}));
    EXPECT_TRUE(d.split.empty());
  }
}

TEST(ReadIdx, FloatVectorsBigEndian) {
  TempDir t;
  write_bytes(t / "v.idx", idx_bytes(0x0D, {2, 3}, be_floats({1.5f, -2.f, 0.f, 3.25f, 0.f, 7.f})));
  Dataset d = read_idx(t / "v.idx");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(d.x, (std::vector<float>{1.5f, -2.f, 0.f, 3.25f, 0.f, 7.f}));
  EXPECT_FALSE(d.has_labels());  // C16: no labels is fine
}

TEST(ReadIdx, TruncatedDataNamesFileAndSizes) {
  TempDir t;
  std::string b = small_images();
  write_bytes(t / "cut.idx", b.substr(0, b.size() - 5));
  expect_error([&] { read_idx(t / "cut.idx"); }, {"cut.idx", "truncated", "12 bytes", "after 7 bytes"});
  write_bytes(t / "cut.gz", gzip(b.substr(0, b.size() - 5)));
  expect_error([&] { read_idx(t / "cut.gz"); }, {"cut.gz", "truncated"});
  // A gzip stream cut in the middle.
  std::string gz = gzip(std::string(5000, 'a') + b);
  write_bytes(t / "cutstream.gz", gz.substr(0, gz.size() / 2));
  expect_error([&] { read_idx(t / "cutstream.gz"); }, {"cutstream.gz"});
}

TEST(ReadIdx, TruncatedHeader) {
  TempDir t;
  write_bytes(t / "h.idx", small_images().substr(0, 9));
  expect_error([&] { read_idx(t / "h.idx"); }, {"h.idx", "truncated IDX header", "dimension 2"});
  write_bytes(t / "e.idx", "");
  expect_error([&] { read_idx(t / "e.idx"); }, {"e.idx", "truncated"});
}

TEST(ReadIdx, WrongMagic) {
  TempDir t;
  std::string b = small_images();
  b[0] = 'P';
  write_bytes(t / "m.idx", b);
  expect_error([&] { read_idx(t / "m.idx"); }, {"m.idx", "wrong magic", "byte 0"});
  std::string c = small_images();
  c[2] = 0x42;  // unknown type code
  write_bytes(t / "t.idx", c);
  expect_error([&] { read_idx(t / "t.idx"); }, {"t.idx", "wrong magic"});
}

TEST(ReadIdx, AbsurdHeaderIsRefusedBeforeAllocating) {
  TempDir t;
  write_bytes(t / "huge.idx", idx_bytes(0x08, {100000, 100000, 100000}, "abc"));
  const auto t0 = std::chrono::steady_clock::now();
  expect_error([&] { read_idx(t / "huge.idx"); }, {"huge.idx", "refusing"});
  // 10^12 elements but under the hard cap per dim: also refused (needs more than the limit).
  write_bytes(t / "huge2.gz", gzip(idx_bytes(0x08, {1000000, 1000000}, "abc")));
  expect_error([&] { read_idx(t / "huge2.gz"); }, {"huge2.gz", "refusing"});
  // A claim under the cap but far beyond the data: truncated, memory grows only with the data.
  write_bytes(t / "big.idx", idx_bytes(0x08, {60000, 28, 28}, "abc"));
  expect_error([&] { read_idx(t / "big.idx"); }, {"big.idx", "truncated", "47040000 bytes"});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
}

TEST(ReadIdx, ExtraDataIsAShapeMismatch) {
  TempDir t;
  write_bytes(t / "x.idx", small_images() + "zz");
  expect_error([&] { read_idx(t / "x.idx"); }, {"x.idx", "shape mismatch", "(3, 2, 2)"});
}

TEST(ReadIdx, LabelCountMismatchNamesBothFiles) {
  TempDir t;
  write_bytes(t / "img.idx", small_images());
  write_bytes(t / "lab.idx", small_labels(4));
  expect_error([&] { read_idx(t / "img.idx", t / "lab.idx"); }, {"label count mismatch", "lab.idx", "4 labels",
                                                                  "img.idx", "3 samples"});
}

TEST(ReadIdx, C18_NanNamesRowAndZeroColumnIsAccepted) {
  TempDir t;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  write_bytes(t / "ok.idx", idx_bytes(0x0D, {3, 2}, be_floats({0.f, 1.f, 0.f, 2.f, 0.f, 3.f})));
  Dataset ok = read_idx(t / "ok.idx");  // all-zero first column: accepted
  EXPECT_EQ(ok.n(), 3);
  write_bytes(t / "nan.idx", idx_bytes(0x0D, {3, 2}, be_floats({0.f, 1.f, 0.f, 2.f, 0.f, nan})));
  expect_error([&] { read_idx(t / "nan.idx"); }, {"nan.idx", "row 2", "column 1"});
  write_bytes(t / "inf.idx",
              idx_bytes(0x0D, {3, 2}, be_floats({0.f, 1.f, std::numeric_limits<float>::infinity(), 2.f, 0.f, 1.f})));
  expect_error([&] { read_idx(t / "inf.idx"); }, {"inf.idx", "row 1", "column 0"});
}

TEST(ReadIdx, RealMnistT10kLabels) {
  // The committed MNIST t10k labels: 10000 labels in 0..9 (the official count per class for 0 is 980).
  TempDir t;
  std::string lab = real_data("t10k-labels-idx1-ubyte.gz");
  // Pair them with synthetic images of the right count to read through read_idx.
  write_bytes(t / "img.idx", idx_bytes(0x08, {10000, 1, 1}, std::string(10000, '\x10')));
  Dataset d = read_idx(t / "img.idx", lab);
  ASSERT_EQ(d.labels.size(), 10000u);
  EXPECT_EQ(d.num_classes(), 10);
  EXPECT_EQ(std::count(d.labels.begin(), d.labels.end(), 0), 980);
  EXPECT_EQ(std::count(d.labels.begin(), d.labels.end(), 1), 1135);
}
