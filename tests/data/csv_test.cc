#include "rdc/data/readers.h"
#include "test_files.h"

using namespace rdc;
using namespace rdc_test;

TEST(ReadCsv, HeaderAutoDetectedAndLastColumnLabels) {
  TempDir t;
  write_bytes(t / "a.csv", "f1,f2,label\n1.5,2,1\n-3e2,+4,0\r\n\n# comment\n5,6.25,2\n");
  LoadOptions o;
  o.csv_label_column = -2;  // last
  Dataset d = read_csv(t / "a.csv", o);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(d.x, (std::vector<float>{1.5f, 2.f, -300.f, 4.f, 5.f, 6.25f}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{1, 0, 2}));
  EXPECT_TRUE(d.class_names.empty());
  // Same file without the label option: the label column is a feature (C16: no labels).
  Dataset f = read_csv(t / "a.csv");
  EXPECT_EQ(f.shape, (std::vector<int64_t>{3, 3}));
  EXPECT_FALSE(f.has_labels());
}

TEST(ReadCsv, DelimitersBySuffixAndSniffing) {
  TempDir t;
  write_bytes(t / "a.tsv", "1\t2\t3\n4\t5\t6\n");
  EXPECT_EQ(read_csv(t / "a.tsv").shape, (std::vector<int64_t>{2, 3}));
  write_bytes(t / "semi.csv", "1;2\n3;4\n");
  EXPECT_EQ(read_csv(t / "semi.csv").x, (std::vector<float>{1, 2, 3, 4}));
  write_bytes(t / "blank.txt", "  1 2   3\n4\t5 6\n");
  EXPECT_EQ(read_csv(t / "blank.txt").x, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  write_bytes(t / "comma.txt", "1, 2\n\"3\", 4\n");
  EXPECT_EQ(read_csv(t / "comma.txt").x, (std::vector<float>{1, 2, 3, 4}));
}

TEST(ReadCsv, StringLabelsBecomeSortedClassNames) {
  TempDir t;
  write_bytes(t / "iris.csv", "setosa,1,2\nvirginica,3,4\nversicolor,5,6\nsetosa,7,8\n");
  LoadOptions o;
  o.csv_label_column = 0;
  Dataset d = read_csv(t / "iris.csv", o);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 2, 1, 0}));
}

TEST(ReadCsv, ExplicitHeaderOption) {
  TempDir t;
  write_bytes(t / "h.csv", "10,20\n1,2\n");
  LoadOptions o;
  o.csv_header = true;
  EXPECT_EQ(read_csv(t / "h.csv", o).n(), 1);
  EXPECT_EQ(read_csv(t / "h.csv").n(), 2);  // numeric first line: data
}

TEST(ReadCsv, RaggedRowNamesLine) {
  TempDir t;
  write_bytes(t / "r.csv", "a,b,c\n1,2,3\n\n4,5\n");
  expect_error([&] { read_csv(t / "r.csv"); }, {"r.csv", "line 4", "2 columns", "expected 3"});
}

TEST(ReadCsv, NonNumericCellNamesLineAndColumn) {
  TempDir t;
  write_bytes(t / "n.csv", "1,2,3\n4,five,6\n");
  expect_error([&] { read_csv(t / "n.csv"); }, {"n.csv", "line 2", "column 2", "'five'", "not a number"});
  write_bytes(t / "e.csv", "1,2,3\n4,,6\n");
  expect_error([&] { read_csv(t / "e.csv"); }, {"e.csv", "line 2", "column 2", "empty cell"});
}

TEST(ReadCsv, C18_NanInfNamesRowAndZeroColumnIsAccepted) {
  TempDir t;
  write_bytes(t / "z.csv", "x,y\n0,1\n0,2\n0,3\n");
  Dataset z = read_csv(t / "z.csv");
  EXPECT_EQ(z.n(), 3);  // all-zero column accepted
  write_bytes(t / "nan.csv", "x,y\n0,1\n0,2\n0,nan\n");
  expect_error([&] { read_csv(t / "nan.csv"); }, {"nan.csv", "data row 2", "line 4", "column 2"});
  write_bytes(t / "inf.csv", "0,1\n-inf,2\n");
  expect_error([&] { read_csv(t / "inf.csv"); }, {"inf.csv", "data row 1", "line 2", "column 1"});
  write_bytes(t / "big.csv", "0,1\n1e39,2\n");  // overflows float32
  expect_error([&] { read_csv(t / "big.csv"); }, {"big.csv", "data row 1"});
}

TEST(ReadCsv, BadLabelColumnAndEmptyFiles) {
  TempDir t;
  write_bytes(t / "a.csv", "1,2\n3,4\n");
  LoadOptions o;
  o.csv_label_column = 5;
  expect_error([&] { read_csv(t / "a.csv", o); }, {"a.csv", "csv_label_column = 5", "2 columns"});
  o.csv_label_column = -4;
  expect_error([&] { read_csv(t / "a.csv", o); }, {"csv_label_column = -4"});
  write_bytes(t / "empty.csv", "");
  expect_error([&] { read_csv(t / "empty.csv"); }, {"empty.csv", "no data rows"});
  write_bytes(t / "hdr.csv", "a,b\n");
  expect_error([&] { read_csv(t / "hdr.csv"); }, {"hdr.csv", "only a header"});
  expect_error([&] { read_csv(t / "none.csv"); }, {"none.csv"});
}

TEST(ReadCsv, LoadDatasetDispatchesBySuffix) {
  TempDir t;
  write_bytes(t / "a.csv", "1,2\n3,4\n");
  Dataset d = load_dataset(t / "a.csv");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(d.source, t / "a.csv");
}
