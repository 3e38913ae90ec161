#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

namespace {

// 6 vectors of dim 2 (row i = {i, -i}), labels i % 3, splits train train val test train test.
Dataset tagged() {
  Dataset d;
  d.source = "mem";
  d.shape = {6, 2};
  for (int i = 0; i < 6; ++i) {
    d.x.push_back(static_cast<float>(i));
    d.x.push_back(static_cast<float>(-i));
    d.labels.push_back(i % 3);
  }
  d.split = {Split::kTrain, Split::kTrain, Split::kVal, Split::kTest, Split::kTrain, Split::kTest};
  return d;
}

}  // namespace

TEST(Protocol, C09_AllMergesEverything) {
  Dataset d = tagged();
  ProtocolSplit p = apply_protocol(d, Protocol::kAll);
  EXPECT_EQ(p.fit.x, d.x);
  EXPECT_EQ(p.score.x, d.x);
  EXPECT_EQ(p.fit.labels, d.labels);
  // Works without split tags too.
  d.split.clear();
  EXPECT_EQ(apply_protocol(d, Protocol::kAll).fit.n(), 6);
}

TEST(Protocol, C09_TrainTestFitsOnTrainAndValScoresOnTest) {
  ProtocolSplit p = apply_protocol(tagged(), Protocol::kTrainTest);
  EXPECT_EQ(p.fit.n(), 4);
  EXPECT_EQ(p.fit.x, (std::vector<float>{0, 0, 1, -1, 2, -2, 4, -4}));
  EXPECT_EQ(p.fit.labels, (std::vector<int64_t>{0, 1, 2, 1}));
  EXPECT_EQ(p.score.n(), 2);
  EXPECT_EQ(p.score.x, (std::vector<float>{3, -3, 5, -5}));
  EXPECT_EQ(p.score.labels, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(p.score.split, (std::vector<Split>{Split::kTest, Split::kTest}));
}

TEST(Protocol, C09_TrainTestNeedsSplitTagsAndTestRows) {
  Dataset d = tagged();
  d.split.clear();
  expect_error([&] { apply_protocol(d, Protocol::kTrainTest); }, {"mem", "split tags", "protocol all"});
  d = tagged();
  for (auto& s : d.split) s = s == Split::kTest ? Split::kVal : s;
  expect_error([&] { apply_protocol(d, Protocol::kTrainTest); }, {"test rows", "6 rows"});
  d = tagged();
  for (auto& s : d.split) s = Split::kTest;
  expect_error([&] { apply_protocol(d, Protocol::kTrainTest); }, {"train or val rows"});
}

TEST(Protocol, C09_ParseAndName) {
  EXPECT_EQ(parse_protocol("all"), Protocol::kAll);
  EXPECT_EQ(parse_protocol("train-test"), Protocol::kTrainTest);
  EXPECT_EQ(parse_protocol("Train_Test"), Protocol::kTrainTest);
  EXPECT_STREQ(protocol_name(Protocol::kTrainTest), "train-test");
  EXPECT_EQ(parse_protocol(protocol_name(Protocol::kAll)), Protocol::kAll);
  expect_error([] { parse_protocol("test-only"); }, {"test-only", "all, train-test"});
}

TEST(Protocol, C09_RealBreastMnistTrainTest) {
  ProtocolSplit p = apply_protocol(read_npz(real_data("breastmnist.npz")), Protocol::kTrainTest);
  EXPECT_EQ(p.fit.n(), 546 + 78);
  EXPECT_EQ(p.score.n(), 156);
}

TEST(Describe, NamesShapeRangeLabelsAndSplits) {
  Dataset d = tagged();
  d.class_names = {"zero", "one", "two"};
  const std::string s = describe(d);
  for (const char* part : {"mem", "6 vectors", "shape (6, 2)", "float32", "[-5, 5]", "mean 0", "3 classes",
                           "0 'zero': 2", "2 'two': 2", "train 3", "val 1", "test 2"})
    EXPECT_NE(s.find(part), std::string::npos) << "'" << part << "' not in: " << s;
  d.labels.clear();
  d.split.clear();
  const std::string u = describe(d);
  EXPECT_NE(u.find("no labels"), std::string::npos) << u;  // C16
  EXPECT_NE(u.find("no split tags"), std::string::npos) << u;
  Dataset v = read_npz(real_data("vesselmnist3d.npz"));
  const std::string vs = describe(v);
  EXPECT_NE(vs.find("1908 volumes of 1x28x28x28"), std::string::npos) << vs;
  EXPECT_NE(vs.find("[0, 1]"), std::string::npos) << vs;
}
