#include <chrono>
#include <filesystem>

#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

namespace {

// A synthetic MNIST folder in the shared-data layout: t10k IDX (2 images), train labels IDX
// (20 labels) and 20 PNG batches of one image each.
void write_fake_mnist(const std::string& dir) {
  std::string t10k(2 * 784, '\0');
  t10k[0] = '\x7f';
  write_bytes(dir + "/t10k-images-idx3-ubyte.gz", gzip(idx_bytes(0x08, {2, 28, 28}, t10k)));
  write_bytes(dir + "/t10k-labels-idx1-ubyte.gz", gzip(idx_bytes(0x08, {2}, std::string("\x07\x03", 2))));
  std::string lab;
  for (int b = 0; b < 20; ++b) lab += static_cast<char>(b % 10);
  write_bytes(dir + "/train-labels-idx1-ubyte.gz", gzip(idx_bytes(0x08, {20}, lab)));
  for (int b = 0; b < 20; ++b) {
    std::vector<uint8_t> px(784, 0);
    px[b] = 255;  // batch b marks pixel b
    write_bytes(dir + "/train_images_convnetjs_png/mnist_batch_" + std::to_string(b) + ".png", png_bytes(784, 1, 1, px));
  }
}

}  // namespace

TEST(Registry, DataDirFollowsEnvironment) {
  TempDir t;
  ScopedEnv env("RDC_DATA_DIR", t.path());
  EXPECT_EQ(data_dir(), t.path());
}

TEST(Registry, BuiltinListAndAvailability) {
  TempDir t;
  ScopedEnv env("RDC_DATA_DIR", t.path());
  std::filesystem::create_directories(t / "usps");
  std::filesystem::copy_file(real_data("usps.h5"), t / "usps/usps.h5");
  std::vector<BuiltinInfo> b = builtin_datasets();
  std::vector<std::string> names;
  for (auto& i : b) names.push_back(i.name);
  EXPECT_EQ(names, (std::vector<std::string>{"fashion-mnist", "mnist", "usps", "breastmnist", "pneumoniamnist",
                                             "vesselmnist3d", "cifar10", "bloodmnist-sample"}));
  for (auto& i : b) {
    EXPECT_FALSE(i.description.empty());
    if (i.name == "usps") {
      EXPECT_TRUE(i.available);
      EXPECT_EQ(i.path, t / "usps/usps.h5");
    }
    if (i.name == "mnist" || i.name == "cifar10" || i.name == "breastmnist") {
      EXPECT_FALSE(i.available) << i.name;
    }
  }
  Dataset u = load_dataset("USPS");  // names are case-insensitive
  EXPECT_EQ(u.n(), 9298);
  EXPECT_EQ(u.class_names.size(), 10u);
  EXPECT_NE(u.source.find("usps"), std::string::npos);
}

TEST(Registry, MissingBuiltinFilesSayWhatAndHow) {
  TempDir t;
  ScopedEnv env("RDC_DATA_DIR", t.path());
  expect_error([] { load_dataset("breastmnist"); }, {"breastmnist", "missing", "breastmnist/breastmnist.npz",
                                                     "RDC_DATA_DIR", t.path()});
  expect_error([] { load_dataset("cifar10"); }, {"cifar10_train_jpg.tar.gz", "cifar10_test_jpg.tar.gz"});
}

TEST(Registry, MnistBuiltinReadsPngBatchesAndIdx) {
  TempDir t;
  write_fake_mnist(t / "mnist");
  ScopedEnv env("RDC_DATA_DIR", t.path());
  Dataset d = load_dataset("mnist");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{22, 1, 28, 28}));
  EXPECT_EQ(d.indices_of(Split::kTrain).size(), 20u);
  EXPECT_EQ(d.indices_of(Split::kTest).size(), 2u);
  for (int b = 0; b < 20; ++b) {
    EXPECT_EQ(d.labels[b], b % 10);
    EXPECT_EQ(d.x[b * 784 + b], 1.f) << "batch " << b << " out of order";
  }
  EXPECT_EQ(d.labels[20], 7);
  EXPECT_FLOAT_EQ(d.x[20 * 784], 127.f / 255.f);
  EXPECT_EQ(d.class_names.size(), 10u);
  // Same folder as a path: IDX folder detection.
  EXPECT_EQ(load_dataset(t / "mnist").n(), 22);
  // A missing batch is named.
  std::filesystem::remove(t / "mnist/train_images_convnetjs_png/mnist_batch_7.png");
  expect_error([] { load_dataset("mnist"); }, {"mnist_batch_7.png", "RDC_DATA_DIR"});
}

TEST(Registry, LoadDatasetDispatchAndIdxLabelPairing) {
  TempDir t;
  write_bytes(t / "train-images-idx3-ubyte", idx_bytes(0x08, {2, 2, 2}, std::string(8, '\x33')));
  write_bytes(t / "train-labels-idx1-ubyte", idx_bytes(0x08, {2}, std::string("\x01\x00", 2)));
  Dataset d = load_dataset(t / "train-images-idx3-ubyte");
  EXPECT_EQ(d.labels, (std::vector<int64_t>{1, 0}));
  EXPECT_FLOAT_EQ(d.x[0], 0.2f);
  expect_error([&] { load_dataset(t / "nothing-here.npz"); }, {"nothing-here.npz", "built-in", "fashion-mnist"});
  write_bytes(t / "x.weird", "abc");
  expect_error([&] { load_dataset(t / "x.weird"); }, {"x.weird", "unknown dataset format"});
  // Real committed files through load_dataset: format by suffix.
  EXPECT_EQ(load_dataset(real_data("breastmnist.npz")).n(), 780);
  EXPECT_EQ(load_dataset(real_data("bloodmnist_sample.tar.gz")).n(), 160);
  EXPECT_EQ(load_dataset(real_data("cifar10_jpg")).n(), 12);
}

TEST(Registry, FashionMnistByName) {
  const auto t0 = std::chrono::steady_clock::now();
  Dataset d = load_dataset("fashion-mnist");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fashion-mnist loaded in %.2f s\n", s);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{70000, 1, 28, 28}));
  EXPECT_EQ(d.num_classes(), 10);
  for (int64_t c = 0; c < 10; ++c) EXPECT_EQ(std::count(d.labels.begin(), d.labels.end(), c), 7000) << c;
  EXPECT_EQ(d.indices_of(Split::kTrain).size(), 60000u);
  EXPECT_EQ(d.indices_of(Split::kTest).size(), 10000u);
  EXPECT_EQ(d.class_names[9], "Ankle boot");
  const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
  EXPECT_EQ(*lo, 0.f);
  EXPECT_EQ(*hi, 1.f);
  EXPECT_LT(s, 10.0);  // gross regression guard only (measured well under 1 s)
}
