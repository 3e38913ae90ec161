#include <cmath>
#include <numeric>

#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

namespace {

float pixel(const Dataset& d, int64_t n, int c, int y, int x) {
  const int64_t C = d.shape[1], H = d.shape[2], W = d.shape[3];
  return d.x[((n * C + c) * H + y) * W + x];
}

}  // namespace

TEST(ReadImages, C11_FlatFolderWithStrayTxtAndNestedFolder) {
  TempDir t;
  write_bytes(t / "b.png", png_bytes(5, 4, 1, pattern(5, 4, 1, 20)));
  write_bytes(t / "a.png", png_bytes(5, 4, 1, pattern(5, 4, 1, 10)));
  write_bytes(t / "notes.txt", "not an image");
  write_bytes(t / "sub/c.png", png_bytes(5, 4, 1, pattern(5, 4, 1, 30)));
  write_bytes(t / "sub/readme.md", "# nothing");
  LogCapture log;
  Dataset d = read_image_folder(t.path());
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 1, 4, 5}));
  EXPECT_EQ(d.names, (std::vector<std::string>{"a.png", "b.png", "sub/c.png"}));  // sorted, nested included
  EXPECT_FALSE(d.has_labels());  // mixed flat + nested: no labels
  EXPECT_FLOAT_EQ(pixel(d, 0, 0, 0, 0), 10.f / 255.f);
  EXPECT_FLOAT_EQ(pixel(d, 2, 0, 3, 4), (30.f + 21 + 12) / 255.f);
  EXPECT_NE(log.text().find("skipped 2 non-image file(s)"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("2 of 3 images are not inside a class sub-folder"), std::string::npos) << log.text();
  d.validate();
}

TEST(ReadImages, ClassFoldersGiveSortedLabels) {
  TempDir t;
  for (const char* cls : {"dog", "cat", "bird"})
    for (int i = 0; i < 2; ++i)
      write_bytes(t / (std::string(cls) + "/" + std::to_string(i) + ".png"), png_bytes(3, 3, 3, pattern(3, 3, 3, i)));
  Dataset d = read_image_folder(t.path());
  EXPECT_EQ(d.shape, (std::vector<int64_t>{6, 3, 3, 3}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"bird", "cat", "dog"}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(d.names[2], "cat/0.png");
  // RGB pixel (y=1, x=2, k) = 0 + 7 + 6 + 11 k, planar after loading.
  for (int k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(pixel(d, 0, k, 1, 2), (13.f + 11 * k) / 255.f);
  LoadOptions o;
  o.labels_from_folders = false;
  EXPECT_FALSE(read_image_folder(t.path(), o).has_labels());  // C16
}

TEST(ReadImages, NumericClassNamesSortNumerically) {
  TempDir t;
  for (const char* cls : {"10", "2", "0"})
    write_bytes(t / (std::string(cls) + "/x.png"), png_bytes(2, 2, 1, pattern(2, 2, 1, 0)));
  Dataset d = read_image_folder(t.path());
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "2", "10"}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 2, 1}));  // paths sorted "0/", "10/", "2/"
}

TEST(ReadImages, SplitFoldersAndWrapperFolder) {
  TempDir t;
  write_bytes(t / "root/train/b/1.png", png_bytes(2, 2, 1, pattern(2, 2, 1, 1)));
  write_bytes(t / "root/train/a/1.png", png_bytes(2, 2, 1, pattern(2, 2, 1, 2)));
  write_bytes(t / "root/test/a/2.png", png_bytes(2, 2, 1, pattern(2, 2, 1, 3)));
  write_bytes(t / "root/val/c/3.png", png_bytes(2, 2, 1, pattern(2, 2, 1, 4)));
  write_bytes(t / "root/param.json", "{}");
  Dataset d = read_image_folder(t.path());
  EXPECT_EQ(d.n(), 4);
  EXPECT_EQ(d.split, (std::vector<Split>{Split::kTrain, Split::kTrain, Split::kVal, Split::kTest}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 1, 2, 0}));
  EXPECT_EQ(d.names[0], "root/train/a/1.png");
}

TEST(ReadImages, SizeMismatchNamesFirstDifferingFile) {
  TempDir t;
  write_bytes(t / "a.png", png_bytes(4, 4, 1, pattern(4, 4, 1, 0)));
  write_bytes(t / "b.png", png_bytes(4, 4, 1, pattern(4, 4, 1, 0)));
  write_bytes(t / "c.png", png_bytes(5, 4, 1, pattern(5, 4, 1, 0)));
  write_bytes(t / "d.png", png_bytes(6, 4, 1, pattern(6, 4, 1, 0)));
  expect_error([&] { read_image_folder(t.path()); }, {"'c.png' is 5x4", "'a.png' is 4x4"});
}

TEST(ReadImages, MixedGreyAndRgbPromotesToRgb) {
  TempDir t;
  write_bytes(t / "a.png", png_bytes(2, 2, 1, {10, 20, 30, 40}));
  write_bytes(t / "b.png", png_bytes(2, 2, 3, pattern(2, 2, 3, 0)));
  write_bytes(t / "c.png", png_bytes(2, 2, 4, std::vector<uint8_t>(16, 255)));  // RGBA: alpha dropped
  Dataset d = read_image_folder(t.path());
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 3, 2, 2}));
  for (int k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(pixel(d, 0, k, 1, 0), 30.f / 255.f);
  EXPECT_FLOAT_EQ(pixel(d, 2, 1, 1, 1), 1.f);
}

TEST(ReadImages, JpegGreyAndColour) {
  TempDir t;
  // Smooth images survive JPEG with small errors.
  std::vector<uint8_t> grey(16 * 16), rgb(16 * 16 * 3);
  for (int i = 0; i < 256; ++i) grey[i] = static_cast<uint8_t>(60 + (i % 16) * 4);
  for (int i = 0; i < 256; ++i) {
    rgb[3 * i] = 200;
    rgb[3 * i + 1] = 50;
    rgb[3 * i + 2] = static_cast<uint8_t>(100 + (i / 16) * 2);
  }
  write_bytes(t / "g/a.jpg", jpeg_bytes(16, 16, 1, grey));
  Dataset g = read_image_folder(t / "g");
  EXPECT_EQ(g.shape, (std::vector<int64_t>{1, 1, 16, 16}));
  for (int i = 0; i < 256; ++i) EXPECT_NEAR(g.x[i], grey[i] / 255.f, 4.f / 255.f);
  write_bytes(t / "c/a.JPEG", jpeg_bytes(16, 16, 3, rgb));
  write_bytes(t / "c/b.jpg", jpeg_bytes(16, 16, 1, grey));  // grey JPEG among colour: promoted
  Dataset c = read_image_folder(t / "c");
  EXPECT_EQ(c.shape, (std::vector<int64_t>{2, 3, 16, 16}));
  EXPECT_NEAR(pixel(c, 0, 0, 5, 5), 200.f / 255.f, 6.f / 255.f);
  EXPECT_NEAR(pixel(c, 0, 1, 5, 5), 50.f / 255.f, 6.f / 255.f);
  EXPECT_NEAR(pixel(c, 1, 2, 3, 3), pixel(c, 1, 0, 3, 3), 1e-6);
}

TEST(ReadImages, DamagedFilesAreNamed) {
  TempDir t;
  const std::string png = png_bytes(8, 8, 1, pattern(8, 8, 1, 0));
  write_bytes(t / "p/a.png", png);
  write_bytes(t / "p/b.png", png.substr(0, png.size() - 20));
  expect_error([&] { read_image_folder(t / "p"); }, {"'b.png'", "PNG"});
  write_bytes(t / "m/a.png", "GIF89a....");
  expect_error([&] { read_image_folder(t / "m"); }, {"'a.png'", "wrong magic"});
  const std::string jpg = jpeg_bytes(8, 8, 3, pattern(8, 8, 3, 0));
  write_bytes(t / "j/a.jpg", jpg.substr(0, jpg.size() / 2));
  expect_error([&] { read_image_folder(t / "j"); }, {"'a.jpg'", "JPEG"});
  // IHDR forged to 16000 x 16000 (CRC fixed): refused before a 256 MB buffer is allocated.
  std::string big = png;
  for (int k = 0; k < 2; ++k) {
    big[16 + 4 * k] = 0;
    big[17 + 4 * k] = 0;
    big[18 + 4 * k] = static_cast<char>(16000 >> 8);
    big[19 + 4 * k] = static_cast<char>(16000 & 0xff);
  }
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(big.data() + 12), 17);
  for (int k = 0; k < 4; ++k) big[29 + k] = static_cast<char>((crc >> (24 - 8 * k)) & 0xff);
  write_bytes(t / "h/a.png", big);
  expect_error([&] { read_image_folder(t / "h"); }, {"'a.png'", "16000 x 16000", "refusing"});
  write_bytes(t / "e/x.txt", "no images here");
  expect_error([&] { read_image_folder(t / "e"); }, {"no PNG/JPEG images", "1 other file"});
  expect_error([&] { read_image_folder(t / "nothere"); }, {"nothere", "not a folder"});
}

TEST(ReadImageTar, GzipAndPlainTarWithLayout) {
  TempDir t;
  std::vector<TarMember> m = {
      {"./ds/", "", '5'},
      {"./ds/train/", "", '5'},
      {"./ds/train/1/x.png", png_bytes(3, 2, 3, pattern(3, 2, 3, 9)), '0'},
      {"./ds/train/0/y.png", png_bytes(3, 2, 3, pattern(3, 2, 3, 8)), '0'},
      {"./ds/test/1/z.png", png_bytes(3, 2, 3, pattern(3, 2, 3, 7)), '0'},
      {"./ds/param.json", "{\"a\": 1}", '0'},
      {"./ds/test/0/" + std::string(120, 'q') + ".png", png_bytes(3, 2, 3, pattern(3, 2, 3, 6)), '0'},
  };
  const std::string tar = tar_bytes(m);
  write_bytes(t / "a.tar", tar);
  write_bytes(t / "a.tar.gz", gzip(tar));
  for (const std::string p : {t / "a.tar", t / "a.tar.gz"}) {
    LogCapture log;
    Dataset d = read_image_tar(p);
    EXPECT_EQ(d.shape, (std::vector<int64_t>{4, 3, 2, 3}));
    EXPECT_EQ(d.split, (std::vector<Split>{Split::kTrain, Split::kTrain, Split::kTest, Split::kTest}));
    EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 1, 0, 1}));
    EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1"}));
    EXPECT_EQ(d.names[2], "./ds/test/0/" + std::string(120, 'q') + ".png");  // GNU long name
    EXPECT_FLOAT_EQ(pixel(d, 0, 0, 0, 0), 8.f / 255.f);
    EXPECT_NE(log.text().find("skipped 1 non-image"), std::string::npos);
  }
}

TEST(ReadImageTar, DamagedArchives) {
  TempDir t;
  const std::string tar =
      tar_bytes({{"a/1.png", png_bytes(2, 2, 1, {1, 2, 3, 4})}, {"a/2.png", png_bytes(2, 2, 1, {1, 2, 3, 4})}});
  write_bytes(t / "cut.tar", tar.substr(0, 700));
  expect_error([&] { read_image_tar(t / "cut.tar"); }, {"cut.tar", "truncated", "a/1.png"});
  write_bytes(t / "cuthdr.tar", tar.substr(0, 1024 + 100));
  expect_error([&] { read_image_tar(t / "cuthdr.tar"); }, {"cuthdr.tar", "truncated", "header at byte 1024"});
  const std::string gz = gzip(tar);
  write_bytes(t / "cut.tar.gz", gz.substr(0, gz.size() / 2));
  expect_error([&] { read_image_tar(t / "cut.tar.gz"); }, {"cut.tar.gz"});
  write_bytes(t / "text.tgz", gzip(std::string(2000, 'x')));
  expect_error([&] { read_image_tar(t / "text.tgz"); }, {"text.tgz", "wrong magic"});
  std::string bad = tar;
  bad[1024 + 10] ^= 0x55;  // damage the second header
  write_bytes(t / "bad.tar", bad);
  expect_error([&] { read_image_tar(t / "bad.tar"); }, {"bad.tar", "checksum", "byte 1024"});
  // A header claiming a 10^12-byte image is refused without allocating.
  std::string huge = tar_header("a/big.png", 0, '0');
  std::memset(&huge[124], 0, 12);  // base-256 size field: 10^12
  huge[124] = static_cast<char>(0x80);
  for (int k = 0; k < 8; ++k) huge[135 - k] = static_cast<char>((1000000000000ULL >> (8 * k)) & 0xff);
  std::memset(&huge[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char ch : huge) sum += ch;
  std::snprintf(&huge[148], 8, "%06o", sum);
  huge[155] = ' ';
  write_bytes(t / "huge.tar", huge + std::string(1024, '\0'));
  expect_error([&] { read_image_tar(t / "huge.tar"); }, {"huge.tar", "a/big.png", "refusing"});
}

TEST(ReadMnistPng, BatchesRowsAreImages) {
  TempDir t;
  std::vector<uint8_t> b0(784 * 3), b1(784 * 2);
  for (size_t i = 0; i < b0.size(); ++i) b0[i] = static_cast<uint8_t>(i % 251);
  for (size_t i = 0; i < b1.size(); ++i) b1[i] = static_cast<uint8_t>((i * 7) % 256);
  write_bytes(t / "b0.png", png_bytes(784, 3, 1, b0));
  write_bytes(t / "b1.png", png_bytes(784, 2, 1, b1));
  Dataset d = detail::read_mnist_png_batches({t / "b0.png", t / "b1.png"});
  EXPECT_EQ(d.shape, (std::vector<int64_t>{5, 1, 28, 28}));
  EXPECT_FLOAT_EQ(d.x[784 * 2 + 28 * 3 + 5], b0[784 * 2 + 28 * 3 + 5] / 255.f);  // image 2, row 3, col 5
  EXPECT_FLOAT_EQ(d.x[784 * 4 + 100], b1[784 + 100] / 255.f);
  write_bytes(t / "wide.png", png_bytes(785, 2, 1, std::vector<uint8_t>(785 * 2)));
  expect_error([&] { detail::read_mnist_png_batches({t / "wide.png"}); }, {"wide.png", "785x2", "784 pixels wide"});
}

TEST(ReadMnistPng, RealBatch0) {
  Dataset d = detail::read_mnist_png_batches({real_data("mnist_batch_0.png")});
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3000, 1, 28, 28}));
  const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
  EXPECT_EQ(*lo, 0.f);
  EXPECT_EQ(*hi, 1.f);
  const double mean = std::accumulate(d.x.begin(), d.x.end(), 0.0) / d.x.size();
  EXPECT_GT(mean, 0.11);  // MNIST pixel mean is 0.1307
  EXPECT_LT(mean, 0.15);
  // Each row is one digit: borders are empty, the centre is not.
  double border = 0, centre = 0;
  for (int64_t n = 0; n < d.n(); ++n) {
    border += d.x[n * 784 + 0] + d.x[n * 784 + 27] + d.x[n * 784 + 27 * 28];
    centre += d.x[n * 784 + 14 * 28 + 14];
  }
  EXPECT_EQ(border, 0.0);
  EXPECT_GT(centre / d.n(), 0.3);
}

TEST(ReadImageTar, RealBloodMnistSample) {
  LogCapture log;
  Dataset d = read_image_tar(real_data("bloodmnist_sample.tar.gz"));
  EXPECT_EQ(d.shape, (std::vector<int64_t>{160, 3, 28, 28}));
  EXPECT_EQ(d.num_classes(), 8);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(d.indices_of(Split::kTrain).size(), 80u);
  EXPECT_EQ(d.indices_of(Split::kVal).size(), 40u);
  EXPECT_EQ(d.indices_of(Split::kTest).size(), 40u);
  // The label is the folder under the split, which the file name repeats: "<split><idx>_<label>.png".
  for (int64_t i = 0; i < d.n(); ++i) {
    const std::string& name = d.names[i];
    const char last = name[name.size() - 5];
    EXPECT_EQ(d.labels[i], last - '0') << name;
  }
  EXPECT_NE(log.text().find("skipped 1 non-image"), std::string::npos);  // param.json
}

TEST(ReadImages, RealCifarJpegFolder) {
  Dataset d = read_image_folder(real_data("cifar10_jpg"));
  EXPECT_EQ(d.shape, (std::vector<int64_t>{12, 3, 32, 32}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"airplane", "cat", "ship"}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}));
  const double mean = std::accumulate(d.x.begin(), d.x.end(), 0.0) / d.x.size();
  EXPECT_GT(mean, 0.2);
  EXPECT_LT(mean, 0.8);
}
