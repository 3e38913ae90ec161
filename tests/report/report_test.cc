// Tests of the HTML/JSON report: the data behind each plot, the SVG/PNG building blocks, and
// whole reports built from small synthetic run directories written here.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"
#include "rdc/data/readers.h"
#include "rdc/metrics/metrics.h"
#include "rdc/report/analysis.h"
#include "rdc/report/image.h"
#include "rdc/report/report.h"
#include "rdc/report/svg.h"

using namespace rdc;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

std::string test_data(const std::string& rel) { return std::string(RDC_TEST_DATA) + "/real/" + rel; }

// Fresh empty folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = (fs::temp_directory_path() / ("rdc_report_" + tag + "_" + std::to_string(::getpid()))).string();
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write_jsonl(const std::string& path, const std::vector<json>& rows) {
  std::string s;
  for (const auto& r : rows) s += r.dump() + "\n";
  write_file_atomic(path, s);
}

// Contents of a synthetic run directory; empty parts are not written.
struct FakeRun {
  json config = json::object();
  json metrics;  // null: not written
  std::vector<int64_t> assign;
  std::vector<float> embedding;  // n x m
  int64_t m = 0;
  std::vector<float> centroids;  // k x m
  std::vector<json> phase1, phase2;
  bool write_phase2 = true;
};

void write_run(const std::string& dir, const FakeRun& r) {
  make_dirs(dir);
  write_file_atomic(join_path(dir, "config.json"), r.config.dump(2));
  if (!r.metrics.is_null()) write_file_atomic(join_path(dir, "metrics.json"), r.metrics.dump(2));
  const int64_t n = static_cast<int64_t>(r.assign.size());
  if (n) write_npy(join_path(dir, "assignments.npy"), r.assign, {n});
  if (!r.embedding.empty()) write_npy(join_path(dir, "embedding.npy"), r.embedding, {n, r.m});
  if (!r.centroids.empty())
    write_npy(join_path(dir, "centroids.npy"), r.centroids, {static_cast<int64_t>(r.centroids.size()) / r.m, r.m});
  if (!r.phase1.empty()) write_jsonl(join_path(dir, "phase1_stats.jsonl"), r.phase1);
  if (r.write_phase2 && !r.phase2.empty()) write_jsonl(join_path(dir, "phase2_stats.jsonl"), r.phase2);
}

std::vector<json> phase1_rows(int epochs) {
  std::vector<json> rows;
  for (int e = 1; e <= epochs; ++e)
    rows.push_back({{"epoch", e}, {"loss", 5.0 / e}, {"seconds", 2.0}, {"images_per_s", 300.0 + e},
                    {"proto_entropy", 1.0 + 0.1 * e}});
  return rows;
}

std::vector<json> phase2_rows(int rounds) {
  std::vector<json> rows;
  for (int r = 1; r <= rounds; ++r)
    rows.push_back({{"round", r},          {"s", 0.5},
                    {"w", 0.1},            {"core_fraction", 0.5 + 0.1 * r},
                    {"n_core", 50 + r},    {"mean_reliable", 3.0 + r},
                    {"graph_change", 0.3 / r}, {"loss", 2.0 - 0.1 * r},
                    {"instance_loss", 1.5}, {"proximity_loss", 0.5 - 0.1 * r},
                    {"seconds", 4.0}});
  return rows;
}
// Charts drawn from the rows above: phase 1 = loss + 3 other keys; phase 2 = 4 main charts
// (losses, core fraction, mean reliable, graph change) + 4 other keys (s, w, n_core, seconds).
constexpr size_t kPhase1Charts = 1 + 3;
constexpr size_t kPhase2Charts = 4 + 4;

// Embedding (n x 8) of a dataset's scored rows: mean of 8 horizontal bands of channel 0, plus
// a large offset along dimension `cluster` so that the clusters are well apart.
std::vector<float> band_embedding(const Dataset& d, const std::vector<int64_t>& assign) {
  const int64_t m = 8, ss = d.sample_size(), h = d.shape[d.shape.size() - 2], w = d.shape.back();
  std::vector<float> e(d.n() * m, 0.f);
  for (int64_t i = 0; i < d.n(); ++i) {
    const float* x = d.row(i);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t c = 0; c < w; ++c) e[i * m + (y * m / h)] += x[y * w + c] / static_cast<float>(w * h / m);
    e[i * m + assign[i] % m] += 5.f;
    (void)ss;
  }
  return e;
}

std::vector<float> cluster_means(const std::vector<float>& e, int64_t m, const std::vector<int64_t>& assign,
                                 int64_t k) {
  std::vector<float> c(k * m, 0.f);
  std::vector<int64_t> cnt(k, 0);
  for (size_t i = 0; i < assign.size(); ++i) {
    ++cnt[assign[i]];
    for (int64_t j = 0; j < m; ++j) c[assign[i] * m + j] += e[i * m + j];
  }
  for (int64_t a = 0; a < k; ++a)
    for (int64_t j = 0; j < m; ++j) c[a * m + j] /= std::max<int64_t>(cnt[a], 1);
  return c;
}

json metrics_json(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred, int64_t k) {
  return json::parse(metrics_to_json(evaluate_clustering(labels, pred, k)));
}

// A complete run on real images: the data spec, protocol and k given; assignments = labels
// with every 7th sample moved to the next cluster.
FakeRun image_run(const std::string& spec, const std::string& protocol, int64_t k, Dataset* scored_out) {
  Dataset scored = apply_protocol(load_dataset(spec), parse_protocol(protocol)).score;
  FakeRun r;
  for (int64_t i = 0; i < scored.n(); ++i) r.assign.push_back(i % 7 == 0 ? (scored.labels[i] + 1) % k : scored.labels[i]);
  r.m = 8;
  r.embedding = band_embedding(scored, r.assign);
  r.centroids = cluster_means(r.embedding, r.m, r.assign, k);
  r.config = {{"command", "train"}, {"data", spec}, {"protocol", protocol}, {"seed", 7}, {"clusters", k},
              {"threads", 2},       {"device", "cpu"}};
  r.metrics = {{"final", metrics_json(scored.labels, r.assign, k)},
               {"phase1_kmeans", metrics_json(scored.labels, r.assign, k)},
               {"raw_kmeans", metrics_json(scored.labels, r.assign, k)},
               {"protocol", protocol},
               {"seed", 7},
               {"k", k},
               {"n", scored.n()},
               {"wall_seconds", 123.4},
               {"labels", true},
               {"warnings", json::array()}};
  r.phase1 = phase1_rows(5);
  r.phase2 = phase2_rows(3);
  if (scored_out) *scored_out = std::move(scored);
  return r;
}

// A vector run without labels (C16): 60 points in 3 blobs of 4-D, data not reloadable.
FakeRun vector_run_without_labels() {
  FakeRun r;
  r.m = 4;
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 0.3f);
  for (int i = 0; i < 60; ++i) {
    const int c = i % 3;
    r.assign.push_back(c);
    for (int j = 0; j < 4; ++j) r.embedding.push_back((j == c ? 4.f : 0.f) + g(rng));
  }
  r.centroids = cluster_means(r.embedding, r.m, r.assign, 3);
  r.config = {{"command", "train"}, {"protocol", "all"}, {"seed", 1}, {"clusters", 3}};
  r.metrics = {{"protocol", "all"}, {"seed", 1}, {"k", 3}, {"n", 60}, {"wall_seconds", 2.5}, {"labels", false}};
  r.phase1 = phase1_rows(4);
  r.phase2 = phase2_rows(2);
  return r;
}

std::vector<std::string> img_sources(const std::string& html) {
  std::vector<std::string> out;
  const std::regex re("<img src=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

std::string base64_decode(const std::string& s) {
  const std::string a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    const auto p = a.find(c);
    if (p == std::string::npos) return "";
    buf = (buf << 6) | static_cast<uint32_t>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

// Decodes a PNG (libpng simplified API) into 8-bit pixels of the given format.
std::vector<uint8_t> decode_png(const std::string& bytes, png_uint_32 format, int* w, int* h) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) return {};
  img.format = format;
  std::vector<uint8_t> px(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, px.data(), 0, nullptr)) return {};
  *w = static_cast<int>(img.width);
  *h = static_cast<int>(img.height);
  return px;
}

// Common checks of a report page: structure, self-containment, balanced svg elements.
void expect_self_contained(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<script"), 0u);
  EXPECT_EQ(count_of(html, "<link"), 0u);
  EXPECT_EQ(count_of(html, "src=\"http"), 0u);
  EXPECT_EQ(count_of(html, "url("), 0u);
  EXPECT_EQ(count_of(html, "@import"), 0u);
  EXPECT_EQ(count_of(html, "<svg"), count_of(html, "</svg>"));
  EXPECT_EQ(count_of(html, "<section"), count_of(html, "</section>"));
  for (const char* id : {"summary", "metrics", "training", "clusters", "map", "gallery", "config"})
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\">"), std::string::npos) << id;
  // Only the SVG namespace may name a web address.
  std::string rest = html;
  for (size_t p; (p = rest.find("xmlns=\"http://www.w3.org/2000/svg\"")) != std::string::npos;) rest.erase(p, 34);
  EXPECT_EQ(count_of(rest, "http://"), 0u);
  EXPECT_EQ(count_of(rest, "https://"), 0u);
}

}  // namespace

// ---------------------------------------------------------------- plot data

TEST(ReportAnalysis, ClusterSizesPadToK) {
  EXPECT_EQ(cluster_sizes({0, 2, 2, 0, 2}, 4), (std::vector<int64_t>{2, 0, 3, 0}));
  EXPECT_EQ(cluster_sizes({0, 3}, 2), (std::vector<int64_t>{1, 0, 0, 1}));  // ids beyond k still counted
  try {
    cluster_sizes({0, -1}, 2);
    FAIL() << "negative id accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cluster id -1 of sample 1"), std::string::npos) << e.what();
  }
}

TEST(ReportAnalysis, HistogramBins) {
  // [0, 10] in 5 bins of width 2; 10 falls in the last (closed) bin, NaN is ignored.
  const Histogram h = histogram({0, 1, 1.99, 2, 5, 7.5, 9.99, 10, NAN}, 5);
  EXPECT_DOUBLE_EQ(h.lo, 0);
  EXPECT_DOUBLE_EQ(h.hi, 10);
  EXPECT_EQ(h.counts, (std::vector<int64_t>{3, 1, 1, 1, 2}));
  EXPECT_EQ(h.bin_of(-0.1), -1);
  EXPECT_EQ(h.bin_of(10.1), -1);
  EXPECT_EQ(h.bin_of(4.0), 2);
  // Constant values: a unit-wide range around them, all in one bin.
  const Histogram c = histogram({3, 3, 3}, 4);
  EXPECT_DOUBLE_EQ(c.lo, 2.5);
  EXPECT_DOUBLE_EQ(c.hi, 3.5);
  EXPECT_EQ(std::accumulate(c.counts.begin(), c.counts.end(), int64_t{0}), 3);
  EXPECT_EQ(c.counts[2], 3);
  EXPECT_THROW(histogram({1}, 0), Error);
}

TEST(ReportAnalysis, ConfusionMatrixAfterMatchingHandBuilt) {
  // class 0: 5 in cluster 2, 1 in cluster 0; class 1: 4 in cluster 0, 1 in cluster 3;
  // class 2: 3 in cluster 1, 2 in cluster 3; k = 5 (cluster 4 empty).
  std::vector<int64_t> labels, pred;
  auto add = [&](int64_t cls, int64_t clu, int times) {
    for (int i = 0; i < times; ++i) {
      labels.push_back(cls);
      pred.push_back(clu);
    }
  };
  add(0, 2, 5);
  add(1, 0, 4);
  add(0, 0, 1);
  add(2, 1, 3);
  add(1, 3, 1);
  add(2, 3, 2);
  const MatchedConfusion m = matched_confusion(labels, pred, 5);
  EXPECT_EQ(m.num_classes, 3);
  EXPECT_EQ(m.num_clusters, 5);
  EXPECT_EQ(m.n, 16);
  // Best matching 0->2, 1->0, 2->1 (12 samples); 3 (3 samples) then 4 (empty) unmatched.
  EXPECT_EQ(m.column_cluster, (std::vector<int64_t>{2, 0, 1, 3, 4}));
  EXPECT_EQ(m.class_of_cluster, (std::vector<int64_t>{1, 2, 0, -1, -1}));
  EXPECT_EQ(m.matched, 12);
  const std::vector<std::vector<int64_t>> expected = {{5, 1, 0, 0, 0}, {0, 4, 0, 1, 0}, {0, 0, 3, 2, 0}};
  EXPECT_EQ(m.counts, expected);
  // The matched count is the accuracy numerator of the metrics module.
  EXPECT_NEAR(evaluate_clustering(labels, pred, 5).acc, 12.0 / 16, 1e-12);
}

TEST(ReportAnalysis, ConfusionMatrixSkipsEmptyClustersAndAbsentClasses) {
  // Class 1 never occurs, cluster 1 is empty: neither is matched, even though a zero-cost
  // pairing of them exists.
  const std::vector<int64_t> labels = {0, 0, 2, 2, 2};
  const std::vector<int64_t> pred = {0, 0, 2, 2, 0};
  const MatchedConfusion m = matched_confusion(labels, pred, 3);
  EXPECT_EQ(m.class_of_cluster, (std::vector<int64_t>{0, -1, 2}));
  EXPECT_EQ(m.column_cluster, (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(m.counts, (std::vector<std::vector<int64_t>>{{2, 0, 0}, {0, 0, 0}, {1, 2, 0}}));
  EXPECT_EQ(m.matched, 4);
}

TEST(ReportAnalysis, ConfusionMatrixFewerClustersThanClasses) {
  // 3 classes, 2 clusters: class 1 has no cluster; the columns follow classes 0 and 2.
  const std::vector<int64_t> labels = {0, 0, 0, 1, 2, 2, 2, 2};
  const std::vector<int64_t> pred = {1, 1, 1, 1, 0, 0, 0, 1};
  const MatchedConfusion m = matched_confusion(labels, pred, 2);
  EXPECT_EQ(m.column_cluster, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(m.matched, 6);
  EXPECT_EQ(m.counts, (std::vector<std::vector<int64_t>>{{3, 0}, {1, 0}, {1, 3}}));
}

TEST(ReportAnalysis, PcaFindsKnownPrincipalAxes) {
  // Points mean +/- 3 u1, +/- 1 u2, +/- 0.1 u3 in 5-D: the covariance is exactly
  // 3 u1u1' + (1/3) u2u2' + (0.01/3) u3u3', whatever the orthonormal u's.
  const int d = 5;
  std::mt19937 rng(11);
  std::normal_distribution<double> g;
  std::vector<std::vector<double>> u(3, std::vector<double>(d));
  for (int a = 0; a < 3; ++a) {
    for (auto& e : u[a]) e = g(rng);
    for (int b = 0; b < a; ++b) {
      double dot = 0;
      for (int j = 0; j < d; ++j) dot += u[a][j] * u[b][j];
      for (int j = 0; j < d; ++j) u[a][j] -= dot * u[b][j];
    }
    double nrm = 0;
    for (auto e : u[a]) nrm += e * e;
    for (auto& e : u[a]) e /= std::sqrt(nrm);
  }
  const double scale[3] = {3, 1, 0.1};
  const double mean[d] = {10, -2, 0.5, 7, 1};
  std::vector<float> x;
  for (int a = 0; a < 3; ++a)
    for (double sgn : {1.0, -1.0})
      for (int j = 0; j < d; ++j) x.push_back(static_cast<float>(mean[j] + sgn * scale[a] * u[a][j]));
  const Pca p = pca_fit(x.data(), 6, d, 2, 5);
  ASSERT_EQ(p.variance.size(), 2u);
  EXPECT_NEAR(p.variance[0], 3.0, 1e-4);
  EXPECT_NEAR(p.variance[1], 1.0 / 3, 1e-4);
  EXPECT_NEAR(p.total_variance, 3.0 + 1.0 / 3 + 0.01 / 3, 1e-4);
  for (int a = 0; a < 2; ++a) {
    double dot = 0;
    for (int j = 0; j < d; ++j) dot += p.axes[a * d + j] * u[a][j];
    EXPECT_NEAR(std::abs(dot), 1.0, 1e-5) << "axis " << a;
  }
  for (int j = 0; j < d; ++j) EXPECT_NEAR(p.mean[j], mean[j], 1e-5);
  // The first point (mean + 3 u1) projects to (+/-3, 0).
  const auto proj = p.project(x.data(), 1);
  EXPECT_NEAR(std::abs(proj[0]), 3.0, 1e-4);
  EXPECT_NEAR(proj[1], 0.0, 1e-4);
}

TEST(ReportAnalysis, PcaCloseEigenvaluesAndConstantData) {
  // Axis-aligned variances 1.00, 0.99, 0.01 (close leading pair): variances still exact.
  std::vector<float> x;
  const double s[3] = {1.0, std::sqrt(0.99), 0.1};
  for (int a = 0; a < 3; ++a)
    for (double sgn : {1.0, -1.0})
      for (int j = 0; j < 3; ++j) x.push_back(static_cast<float>(j == a ? sgn * s[a] * std::sqrt(3.0) : 0.0));
  const Pca p = pca_fit(x.data(), 6, 3, 2, 1);
  EXPECT_NEAR(p.variance[0], 1.0, 1e-5);
  EXPECT_NEAR(p.variance[1], 0.99, 1e-5);
  EXPECT_NEAR(std::abs(p.axes[0]), 1.0, 1e-3);
  EXPECT_NEAR(std::abs(p.axes[3 + 1]), 1.0, 1e-3);
  // Constant rows: zero variance, finite unit axes.
  const std::vector<float> c(4 * 3, 2.5f);
  const Pca q = pca_fit(c.data(), 4, 3, 2, 1);
  EXPECT_EQ(q.variance[0], 0.0);
  for (double a : q.axes) EXPECT_TRUE(std::isfinite(a));
  EXPECT_THROW(pca_fit(c.data(), 4, 3, 4, 1), Error);
  EXPECT_THROW(pca_fit(c.data(), 0, 3, 2, 1), Error);
}

TEST(ReportAnalysis, SampleRowsDistinctSortedSeeded) {
  EXPECT_EQ(sample_rows(4, 10, 1), (std::vector<int64_t>{0, 1, 2, 3}));
  const auto a = sample_rows(1000, 50, 1);
  ASSERT_EQ(a.size(), 50u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 50u);
  EXPECT_GE(a.front(), 0);
  EXPECT_LT(a.back(), 1000);
  EXPECT_EQ(a, sample_rows(1000, 50, 1));
  EXPECT_NE(a, sample_rows(1000, 50, 2));
}

TEST(ReportAnalysis, GalleryPicksNearestAndEdge) {
  // 1-D embedding; cluster 0 = rows 0..9 at 0, 1, ..., 9 (centroid 0), cluster 1 = rows 10..12.
  std::vector<float> e;
  std::vector<int64_t> assign;
  for (int i = 0; i < 10; ++i) {
    e.push_back(static_cast<float>(i));
    assign.push_back(0);
  }
  for (int i = 0; i < 3; ++i) {
    e.push_back(100.f + i);
    assign.push_back(1);
  }
  const std::vector<float> centroids = {0.f, 101.f};
  const auto picks = gallery_picks(e.data(), 13, 1, assign, centroids, {0, 1}, 3, 2);
  ASSERT_EQ(picks.size(), 2u);
  EXPECT_EQ(picks[0].size, 10);
  EXPECT_EQ(picks[0].nearest, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(picks[0].edge, (std::vector<int64_t>{9, 8}));
  EXPECT_DOUBLE_EQ(picks[0].edge_dist[0], 9.0);
  // Cluster 1 has 3 samples: all are "nearest" (101 first), none left for the edge.
  EXPECT_EQ(picks[1].nearest.size(), 3u);
  EXPECT_EQ(picks[1].nearest[0], 11);
  EXPECT_TRUE(picks[1].edge.empty());
  // Without centroids the cluster mean is used (cluster 0 mean = 4.5: rows 4 and 5 closest).
  const auto m = gallery_picks(e.data(), 13, 1, assign, {}, {0}, 2, 1);
  EXPECT_EQ(std::set<int64_t>(m[0].nearest.begin(), m[0].nearest.end()), (std::set<int64_t>{4, 5}));
}

TEST(ReportAnalysis, C03_OneOfTwoClustersUsedIsFlagged) {
  const auto flags = cluster_flags({1000, 0}, 2);
  ASSERT_GE(flags.size(), 1u);
  EXPECT_EQ(flags[0].level, "error");
  EXPECT_NE(flags[0].message.find("1 of 2 clusters used"), std::string::npos) << flags[0].message;
  // A 60/40 split with both clusters used raises nothing.
  EXPECT_TRUE(cluster_flags({600, 400}, 2).empty());
}

TEST(ReportAnalysis, C04_WarningWhenFewerThan90PercentOfKUsed) {
  std::vector<int64_t> sizes(100, 0);
  for (int c = 0; c < 85; ++c) sizes[c] = 50 + c;
  auto flags = cluster_flags(sizes, 100);
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].level, "warning");
  EXPECT_NE(flags[0].message.find("85 of 100 clusters used"), std::string::npos) << flags[0].message;
  for (int c = 85; c < 95; ++c) sizes[c] = 60;
  flags = cluster_flags(sizes, 100);
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].level, "info");
  EXPECT_NE(flags[0].message.find("95 of 100"), std::string::npos);
  for (int c = 95; c < 100; ++c) sizes[c] = 60;
  EXPECT_TRUE(cluster_flags(sizes, 100).empty());
}

TEST(ReportAnalysis, C06_CollapseOver90PercentInOneCluster) {
  auto flags = cluster_flags({300, 10, 15}, 3);  // 92.3 %
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].code, "collapse");
  EXPECT_NE(flags[0].message.find("92.3%"), std::string::npos) << flags[0].message;
  EXPECT_NE(flags[0].message.find("cluster 0"), std::string::npos);
  EXPECT_TRUE(cluster_flags({290, 20, 15}, 3).empty());  // 89.2 %: not a collapse
  EXPECT_EQ(cluster_flags({0, 0}, 2).at(0).code, "no_points");
}

TEST(ReportAnalysis, NiceTicks) {
  const auto t = nice_ticks(0, 1, 5);
  ASSERT_EQ(t.size(), 6u);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], 0.2 * i, 1e-12);
  EXPECT_EQ(nice_ticks(3, 97, 5), (std::vector<double>{20, 40, 60, 80}));
  EXPECT_EQ(nice_ticks(-50, 50, 4), (std::vector<double>{-40, -20, 0, 20, 40}));
  EXPECT_FALSE(nice_ticks(5, 5, 5).empty());  // zero-width range widened
  EXPECT_TRUE(nice_ticks(NAN, 1, 5).empty());
}

// ---------------------------------------------------------------- SVG, PNG

TEST(ReportSvg, HtmlEscaping) {
  EXPECT_EQ(html_escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
  EXPECT_EQ(html_escape("plain text, ümlaut"), "plain text, ümlaut");
  EXPECT_EQ(html_escape(std::string("a\x01z")), "a\xEF\xBF\xBDz");
}

TEST(ReportSvg, PaletteHasManyDistinctColours) {
  std::set<std::string> seen;
  const std::regex hex("#[0-9a-f]{6}");
  for (int i = 0; i < 200; ++i) {
    const std::string c = palette_color(i);
    EXPECT_TRUE(std::regex_match(c, hex)) << c;
    seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(palette_color(0), "#1f77b4");
}

TEST(ReportSvg, LineChartBreaksAtNonFiniteValues) {
  Series s{"loss", {1, 2, 3, 4, 5}, {1.0, 0.8, NAN, 0.5, 0.4}};
  ChartOptions o;
  o.title = "loss <per> epoch";
  const std::string svg = svg_line_chart({s}, o);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(count_of(svg, "<path"), 1u);
  const auto d0 = svg.find("<path d=\"");
  const std::string d = svg.substr(d0, svg.find('"', d0 + 9) - d0);
  EXPECT_EQ(count_of(d, "M"), 2u);  // two pieces
  EXPECT_EQ(count_of(d, "L"), 2u);
  EXPECT_EQ(count_of(svg, "<circle"), 4u);  // few points: every finite one is marked
  EXPECT_NE(svg.find("loss &lt;per&gt; epoch"), std::string::npos);
  // Two series: a legend with both names.
  const std::string two = svg_line_chart({s, Series{"other", {1, 2}, {3, 4}}}, o);
  EXPECT_EQ(count_of(two, "<path"), 2u);
  EXPECT_NE(two.find(">other</text>"), std::string::npos);
}

TEST(ReportSvg, BarScatterHeatmapElementCounts) {
  ChartOptions o;
  const std::string bars = svg_bar_chart({3, 0, 7}, {"a", "b", "c"}, {0, 1, 2}, o);
  EXPECT_EQ(count_of(bars, "<rect"), 1u + 3u);  // background + one bar per value
  EXPECT_NE(bars.find("<title>c: 7</title>"), std::string::npos);
  const std::string sc = svg_scatter({0, 0, 1, 1, 2, 0.5, NAN, 1}, {0, 1, 1, 0}, o);
  EXPECT_EQ(count_of(sc, "<circle"), 3u);  // the NaN point is dropped
  EXPECT_EQ(count_of(sc, "<g fill="), 2u);  // one group per colour
  const std::string hm = svg_heatmap({{5, 1}, {0, 4}}, {"cat", "dog"}, {"2", "0"}, o);
  EXPECT_EQ(count_of(hm, "<rect"), 1u + 4u);
  EXPECT_NE(hm.find(">cat</text>"), std::string::npos);
  EXPECT_NE(hm.find("fill=\"#08519c\""), std::string::npos);  // a row's full fraction is the darkest
}

TEST(ReportImage, Base64KnownVectors) {
  // RFC 4648 section 10.
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\x00\xfe", 3)), "/wD+");
}

TEST(ReportImage, ThumbnailUpscalesAndPngRoundTrips) {
  // 1 x 2 x 2 grey image, upscaled x3: 6 x 6 of 2 x 2 blocks.
  const std::vector<float> img = {0.f, 1.f, 0.5f, 0.25f};
  const Thumbnail t = make_thumbnail(img.data(), {1, 2, 2}, 3);
  ASSERT_EQ(t.width, 6);
  ASSERT_EQ(t.height, 6);
  ASSERT_EQ(t.channels, 1);
  EXPECT_EQ(t.pixels[0], 0);
  EXPECT_EQ(t.pixels[5], 255);
  EXPECT_EQ(t.pixels[3 * 6 + 0], 128);
  EXPECT_EQ(t.pixels[5 * 6 + 5], 64);
  const std::string png = encode_png(t);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  int w = 0, h = 0;
  const auto px = decode_png(png, PNG_FORMAT_GRAY, &w, &h);
  EXPECT_EQ(w, 6);
  EXPECT_EQ(h, 6);
  EXPECT_EQ(px, t.pixels);
  EXPECT_EQ(png_data_uri(t).rfind("data:image/png;base64,iVBORw0KGgo", 0), 0u);
}

TEST(ReportImage, ThumbnailRgbVolumeSliceAndStretch) {
  // RGB 3 x 1 x 2: pixel 0 = (1, 0, 0), pixel 1 = (0, 0, 1).
  const std::vector<float> rgb = {1, 0, 0, 0, 0, 1};
  const Thumbnail t = make_thumbnail(rgb.data(), {3, 1, 2}, 1);
  EXPECT_EQ(t.channels, 3);
  EXPECT_EQ(t.pixels, (std::vector<uint8_t>{255, 0, 0, 0, 0, 255}));
  int w = 0, h = 0;
  EXPECT_EQ(decode_png(encode_png(t), PNG_FORMAT_RGB, &w, &h), t.pixels);
  // Volume 1 x 3 x 1 x 1: the middle slice (index 1) is shown; values outside [0, 1] are
  // stretched over the slice's min..max.
  const std::vector<float> vol = {0.f, 0.7f, 0.f};
  EXPECT_EQ(make_thumbnail(vol.data(), {1, 3, 1, 1}, 1).pixels[0], 179);
  const std::vector<float> wide = {-10.f, 30.f};
  EXPECT_EQ(make_thumbnail(wide.data(), {1, 1, 2}, 1).pixels, (std::vector<uint8_t>{0, 255}));
  EXPECT_THROW(make_thumbnail(vol.data(), {3}, 1), Error);
  // A 300 x 10 image over max_side = 100: every 3rd pixel, no upscaling.
  std::vector<float> tall(300 * 10);
  for (size_t i = 0; i < tall.size(); ++i) tall[i] = static_cast<float>(i % 251) / 250.f;
  const Thumbnail small = make_thumbnail(tall.data(), {1, 300, 10}, 3, 100);
  EXPECT_EQ(small.width, 4);
  EXPECT_EQ(small.height, 100);
  EXPECT_EQ(small.pixels[1 * 4 + 1], static_cast<uint8_t>(std::lround(tall[3 * 10 + 3] * 255)));
  EXPECT_EQ(auto_scale(28), 3);
  EXPECT_EQ(auto_scale(32), 2);
  EXPECT_EQ(auto_scale(128), 1);
}

// ---------------------------------------------------------------- whole reports

TEST(Report, FullRunWithImagesAndLabels) {
  TempDir tmp("full");
  const std::string run = join_path(tmp.path(), "run");
  Dataset scored;
  FakeRun fr = image_run(test_data("breastmnist.npz"), "train-test", 2, &scored);
  write_run(run, fr);
  ASSERT_EQ(scored.n(), 156);  // the test split of BreastMNIST

  ReportOptions opt;
  const std::string out = write_report(run, opt);
  EXPECT_EQ(out, join_path(run, "report.html"));
  const std::string html = read_file(out);
  expect_self_contained(html);

  // <svg>: training curves, cluster sizes, confusion matrix, two maps (by cluster, by class).
  EXPECT_EQ(count_of(html, "<svg"), kPhase1Charts + kPhase2Charts + 1 + 1 + 2);
  // <img>: 2 clusters x (8 nearest + 4 edge), each a PNG data URI that decodes.
  const auto srcs = img_sources(html);
  EXPECT_EQ(count_of(html, "<img"), 24u);
  ASSERT_EQ(srcs.size(), 24u);
  for (const auto& s : srcs) {
    ASSERT_EQ(s.rfind("data:image/png;base64,", 0), 0u);
    int w = 0, h = 0;
    const auto px = decode_png(base64_decode(s.substr(22)), PNG_FORMAT_GRAY, &w, &h);
    EXPECT_EQ(w, 84);  // 28 x 3
    EXPECT_EQ(h, 84);
    EXPECT_FALSE(px.empty());
  }
  // Metrics table with the three results and the values of metrics.json.
  for (const char* s : {"final (R-DC)", "k-means on the phase-1 embedding", "k-means on the raw input", "ACC",
                        "NMI", "ARI", "train-test", "123.4 s (2 min 03 s)"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  EXPECT_NE(html.find(fmt::format("{:.4f}", fr.metrics["final"]["acc"].get<double>())), std::string::npos);
  EXPECT_NE(html.find("all 2 clusters are used"), std::string::npos);
  EXPECT_NE(html.find("core-point fraction"), std::string::npos);
  EXPECT_NE(html.find("mean reliable neighbours"), std::string::npos);
  EXPECT_NE(html.find("graph change"), std::string::npos);
  EXPECT_EQ(html.find("not available"), std::string::npos);

  // JSON: the same content as data.
  const json j = json::parse(report_json(run, opt));
  EXPECT_EQ(j["summary"]["k"], 2);
  EXPECT_EQ(j["summary"]["n"], 156);
  EXPECT_EQ(j["summary"]["labels"], true);
  EXPECT_EQ(j["cluster_sizes"].size(), 2u);
  int64_t total = 0;
  for (const auto& row : j["confusion"]["counts"])
    for (const auto& v : row) total += v.get<int64_t>();
  EXPECT_EQ(total, 156);
  const MatchedConfusion direct = matched_confusion(scored.labels, fr.assign, 2);
  EXPECT_EQ(j["confusion"]["counts"].get<std::vector<std::vector<int64_t>>>(), direct.counts);
  EXPECT_EQ(j["map"]["xy"].size(), 156u);
  EXPECT_EQ(j["gallery"]["clusters"].size(), 2u);
  EXPECT_EQ(j["gallery"]["clusters"][0]["nearest"].size(), 8u);
  EXPECT_EQ(j["gallery"]["clusters"][0]["edge"].size(), 4u);
  EXPECT_EQ(j["curves"]["phase1"]["series"]["loss"].size(), 5u);
  EXPECT_EQ(j["curves"]["phase2"]["series"]["core_fraction"].size(), 3u);
  EXPECT_EQ(j["config"]["seed"], 7);
  EXPECT_TRUE(j["flags"].empty());
}

TEST(Report, C16_WorksWithoutLabels) {
  TempDir tmp("nolabels");
  const std::string run = join_path(tmp.path(), "run");
  write_run(run, vector_run_without_labels());
  const std::string html = report_html(run);
  expect_self_contained(html);
  EXPECT_NE(html.find("the data has no labels: label metrics (ACC, NMI, ARI, F1, purity) are skipped"),
            std::string::npos);
  EXPECT_NE(html.find("confusion matrix: not available"), std::string::npos);
  EXPECT_EQ(html.find(">ACC</th>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<img"), 0u);
  EXPECT_NE(html.find("gallery: not available"), std::string::npos);
  // Curves + cluster sizes + one map (no class map, no confusion matrix).
  EXPECT_EQ(count_of(html, "<svg"), kPhase1Charts + kPhase2Charts + 1 + 1);
  const json j = json::parse(report_json(run));
  EXPECT_EQ(j["summary"]["labels"], false);
  EXPECT_TRUE(j["confusion"].is_null());
  EXPECT_TRUE(j["metrics"].empty());
  EXPECT_EQ(j["cluster_sizes"], json({20, 20, 20}));
}

TEST(Report, C16_ImagesWithoutLabelsStillShowTheGallery) {
  // A flat folder of 10 grey PNGs (no class sub-folders: no labels), 2 clusters of 5.
  TempDir tmp("c16img");
  const std::string folder = join_path(tmp.path(), "images");
  make_dirs(folder);
  for (int i = 0; i < 10; ++i) {
    Thumbnail t;
    t.width = t.height = 8;
    t.channels = 1;
    t.pixels.assign(64, static_cast<uint8_t>(20 * i));
    write_file_atomic(join_path(folder, fmt::format("img{:02d}.png", i)), encode_png(t));
  }
  const Dataset d = load_dataset(folder);
  ASSERT_EQ(d.n(), 10);
  ASSERT_FALSE(d.has_labels());
  FakeRun fr;
  fr.m = 2;
  for (int i = 0; i < 10; ++i) {
    fr.assign.push_back(i % 2);
    fr.embedding.push_back(static_cast<float>(i % 2) * 10.f);
    fr.embedding.push_back(static_cast<float>(i));
  }
  fr.config = {{"data", folder}, {"protocol", "all"}, {"clusters", 2}};
  fr.metrics = {{"k", 2}, {"n", 10}, {"labels", false}};
  const std::string run = join_path(tmp.path(), "run");
  write_run(run, fr);
  const std::string html = report_html(run);
  expect_self_contained(html);
  EXPECT_EQ(img_sources(html).size(), 10u);  // 5 per cluster, all "nearest"
  EXPECT_NE(html.find("img03.png"), std::string::npos);  // sample names in the image titles
  EXPECT_EQ(html.find("matched class"), std::string::npos);
  EXPECT_NE(html.find("the data has no labels"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), 1u + 1u);  // cluster sizes + one map; no curves logged
}

TEST(Report, WorksWithoutPhase2StatsAndWithoutPhase1Stats) {
  TempDir tmp("nophase2");
  const std::string run = join_path(tmp.path(), "run");
  FakeRun fr = vector_run_without_labels();
  fr.write_phase2 = false;
  write_run(run, fr);
  std::string html = report_html(run);
  expect_self_contained(html);
  EXPECT_NE(html.find("Phase 2 (proximity) per round: not available (phase2_stats.jsonl not found)"),
            std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), kPhase1Charts + 1 + 1);
  fs::remove(join_path(run, "phase1_stats.jsonl"));
  html = report_html(run);
  EXPECT_NE(html.find("Phase 1 (pretext) per epoch: not available (phase1_stats.jsonl not found)"),
            std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), 2u);
  // An empty stats file and a malformed line are reported, not fatal.
  write_file_atomic(join_path(run, "phase1_stats.jsonl"), "{\"epoch\": 1, \"loss\": 2.0}\nnot json\n");
  html = report_html(run);
  EXPECT_NE(html.find("phase1_stats.jsonl: 1 unreadable lines skipped"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), 3u);
}

TEST(Report, C03_DegenerateRunIsFlagged) {
  TempDir tmp("c03");
  const std::string run = join_path(tmp.path(), "run");
  FakeRun fr = vector_run_without_labels();
  std::fill(fr.assign.begin(), fr.assign.end(), 1);
  fr.metrics["k"] = 2;
  fr.centroids.clear();
  write_run(run, fr);
  const std::string html = report_html(run);
  EXPECT_NE(html.find("1 of 2 clusters used"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"flag error\">"), std::string::npos);
  EXPECT_NE(html.find("collapse: 100.0% of the points (60 of 60) are in cluster 1"), std::string::npos);
  const json j = json::parse(report_json(run));
  EXPECT_EQ(j["summary"]["num_nonempty_clusters"], 1);
  EXPECT_EQ(j["flags"][0]["code"], "unused_clusters");
}

TEST(Report, C04_ManyClustersWarningAndSizeHistogram) {
  // k = 100 requested, 85 used (C04): the warning, and a histogram of the cluster sizes.
  TempDir tmp("c04");
  const std::string run = join_path(tmp.path(), "run");
  FakeRun fr;
  fr.m = 2;
  for (int c = 0; c < 85; ++c)
    for (int i = 0; i < 5 + c % 7; ++i) {
      fr.assign.push_back(c);
      fr.embedding.push_back(static_cast<float>(c));
      fr.embedding.push_back(static_cast<float>(i));
    }
  fr.config = {{"clusters", 100}};
  fr.metrics = {{"k", 100}, {"labels", false}};
  write_run(run, fr);
  const std::string html = report_html(run);
  EXPECT_NE(html.find("85 of 100 clusters used (fewer than 90% of k: 15 clusters are empty)"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"flag warning\">"), std::string::npos);
  EXPECT_NE(html.find("clusters by size (20 bins)"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), 2u + 1u);  // sizes, size histogram, map
  // The size histogram counts all 100 clusters (15 of them in the first bin, at size 0).
  std::vector<double> sizes;
  for (auto v : cluster_sizes(fr.assign, 100)) sizes.push_back(static_cast<double>(v));
  const Histogram h = histogram(sizes, 20);
  EXPECT_EQ(h.counts[0], 15);
  EXPECT_EQ(std::accumulate(h.counts.begin(), h.counts.end(), int64_t{0}), 100);
}

TEST(Report, RgbImagesAndGalleryCap) {
  TempDir tmp("rgb");
  const std::string run = join_path(tmp.path(), "run");
  Dataset scored;
  FakeRun fr = image_run(test_data("cifar10_jpg"), "all", 3, &scored);
  write_run(run, fr);
  ASSERT_EQ(scored.n(), 12);
  ReportOptions opt;
  opt.max_gallery_clusters = 2;
  const std::string html = report_html(run, opt);
  expect_self_contained(html);
  EXPECT_NE(html.find("showing the first 2 of 3 non-empty clusters"), std::string::npos);
  // Samples 0 and 7 were moved to the next cluster: sizes 3, 4, 5. Clusters smaller than
  // 8 + 4 show every sample once ("nearest", no edge row); the first two clusters are shown.
  ASSERT_EQ(cluster_sizes(fr.assign, 3), (std::vector<int64_t>{3, 4, 5}));
  const auto srcs = img_sources(html);
  ASSERT_EQ(srcs.size(), 3u + 4u);
  int w = 0, h = 0;
  const std::string png = base64_decode(srcs[0].substr(22));
  ASSERT_GT(png.size(), 26u);
  EXPECT_EQ(static_cast<int>(png[25]), 2);  // IHDR colour type 2 = RGB
  EXPECT_FALSE(decode_png(png, PNG_FORMAT_RGB, &w, &h).empty());
  EXPECT_EQ(w, 64);  // 32 x 2
  // Class names from the folders appear in the confusion matrix.
  EXPECT_NE(html.find(">airplane</text>"), std::string::npos);
}

TEST(Report, VolumesShowTheirMiddleSlice) {
  TempDir tmp("vol");
  const std::string run = join_path(tmp.path(), "run");
  Dataset scored;
  FakeRun fr = image_run(test_data("vesselmnist3d.npz"), "train-test", 2, &scored);
  write_run(run, fr);
  ReportOptions opt;
  opt.gallery_nearest = 2;
  opt.gallery_edge = 1;
  const std::string html = report_html(run, opt);
  EXPECT_NE(html.find("Volumes show their middle slice."), std::string::npos);
  const auto srcs = img_sources(html);
  ASSERT_EQ(srcs.size(), 6u);
  // The first shown sample is the one closest to cluster 0's centroid: its PNG is that
  // sample's slice 14 (of 28), upscaled x3.
  const auto picks = gallery_picks(fr.embedding.data(), scored.n(), fr.m, fr.assign, fr.centroids, {0}, 2, 1);
  const int64_t row = picks.at(0).nearest.at(0);
  const Thumbnail expect = make_thumbnail(scored.row(row), {1, 28, 28, 28}, 3);
  int w = 0, h = 0;
  EXPECT_EQ(decode_png(base64_decode(srcs[0].substr(22)), PNG_FORMAT_GRAY, &w, &h), expect.pixels);
  const float* slice = scored.row(row) + 14 * 28 * 28;
  EXPECT_EQ(expect.pixels[0], static_cast<uint8_t>(std::lround(slice[0] * 255)));
}

TEST(Report, DataMismatchAndNoDataAreNotes) {
  TempDir tmp("mismatch");
  const std::string run = join_path(tmp.path(), "run");
  FakeRun fr = image_run(test_data("breastmnist.npz"), "train-test", 2, nullptr);
  fr.config["protocol"] = "all";  // 780 rows reloaded, 156 assigned
  write_run(run, fr);
  std::string html = report_html(run);
  EXPECT_NE(html.find("has 780 scored rows but the run has 156 assignments"), std::string::npos);
  EXPECT_EQ(count_of(html, "<img"), 0u);
  ReportOptions opt;
  opt.load_data = false;
  html = report_html(run, opt);
  EXPECT_NE(html.find("gallery: not available (data not reloaded (disabled))"), std::string::npos);
  // Data that cannot be reloaded is a note; ReportOptions::data points the report at it.
  fr.config["protocol"] = "train-test";
  fr.config["data"] = join_path(tmp.path(), "moved-away.npz");
  write_run(run, fr);
  opt.load_data = true;
  html = report_html(run, opt);
  EXPECT_NE(html.find("could not reload the data"), std::string::npos);
  EXPECT_EQ(count_of(html, "<img"), 0u);
  opt.data = test_data("breastmnist.npz");
  html = report_html(run, opt);
  EXPECT_EQ(count_of(html, "<img"), 24u);
}

TEST(Report, NonFiniteEmbeddingAndBadKAreNotes) {
  // A run stopped by the NaN guard (C14) may leave NaN in the embedding; a corrupt k.
  TempDir tmp("nan");
  const std::string run = join_path(tmp.path(), "run");
  FakeRun fr = vector_run_without_labels();
  fr.embedding[3 * fr.m + 1] = NAN;
  fr.metrics["k"] = 1000000000000LL;
  write_run(run, fr);
  const std::string html = report_html(run);
  expect_self_contained(html);
  EXPECT_NE(html.find("embedding map: not available"), std::string::npos);
  EXPECT_NE(html.find("embedding.npy"), std::string::npos);
  EXPECT_NE(html.find("the recorded k=1000000000000 exceeds the 60 assigned samples; ignored"), std::string::npos);
  const json j = json::parse(report_json(run));
  EXPECT_EQ(j["summary"]["k"], 3);  // from the assignments
  EXPECT_EQ(j["map"]["available"], false);
}

TEST(Report, EscapesEverythingFromTheRun) {
  TempDir tmp("escape");
  const std::string run = join_path(tmp.path(), "run");
  FakeRun fr = vector_run_without_labels();
  fr.config["note"] = "</pre><script>alert(1)</script>";
  fr.metrics["warnings"] = {"k <= 3 & \"quoted\""};
  write_run(run, fr);
  const std::string html = report_html(run);
  EXPECT_EQ(count_of(html, "<script"), 0u);
  EXPECT_NE(html.find("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("k &lt;= 3 &amp; &quot;quoted&quot;"), std::string::npos);
}

TEST(Report, RefusesWhatIsNotARunDirectory) {
  TempDir tmp("empty");
  try {
    report_html(tmp.path());
    FAIL() << "an empty folder was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a run directory"), std::string::npos) << e.what();
  }
  EXPECT_THROW(report_html(join_path(tmp.path(), "missing")), Error);
  ReportOptions opt;
  opt.gallery_nearest = 100;
  try {
    opt.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gallery_nearest=100"), std::string::npos) << e.what();
  }
}
