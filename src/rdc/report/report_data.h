#pragma once
// Internal: everything the report shows, read once from a run directory; the HTML and the
// JSON renderers both draw from this one structure.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rdc/data/dataset.h"
#include "rdc/report/analysis.h"
#include "rdc/report/report.h"

namespace rdc {

/// Rows of a *_stats.jsonl file as numeric columns.
struct StatsTable {
  bool available = false;
  std::string note;                   ///< why it is not available / lines skipped
  std::string x_key;                  ///< "epoch" or "round"
  std::vector<double> x;              ///< one per row (row number when x_key is missing)
  std::vector<std::string> keys;      ///< numeric keys in order of first appearance (without x_key)
  std::vector<std::vector<double>> columns;  ///< per key, one value per row (NaN when absent)
  const std::vector<double>* column(const std::string& key) const;
};

/// The content of one report.
struct ReportData {
  std::string run_dir;
  ReportOptions opt;

  nlohmann::json config;    ///< null when config.json is absent or unreadable
  std::string config_note;
  nlohmann::json metrics;   ///< null when metrics.json is absent or unreadable
  std::string metrics_note;
  bool metrics_computed = false;  ///< final metrics computed here (metrics.json had none)

  // Final assignments.
  std::vector<int64_t> assign;
  std::string assign_note;
  int64_t k = 0;            ///< clusters requested
  std::vector<int64_t> sizes;
  std::vector<Flag> flags;

  // Labels (evaluation only).
  std::vector<int64_t> labels;
  std::string labels_source, labels_note;
  std::vector<std::string> class_names;
  bool has_confusion = false;
  MatchedConfusion confusion;

  // The reloaded scored data (gallery).
  std::shared_ptr<Dataset> data;
  std::string data_spec, data_note;

  // 2-D map of the final embedding.
  int64_t emb_n = 0, emb_d = 0;
  std::vector<float> embedding;  ///< emb_n x emb_d
  std::vector<float> centroids;  ///< k x emb_d or empty
  std::string map_note;
  std::vector<int64_t> map_rows;
  std::vector<double> map_xy;    ///< map_rows.size() x 2
  Pca pca;

  StatsTable phase1, phase2;

  std::string gallery_note;
  int64_t gallery_total_clusters = 0;  ///< non-empty clusters
  std::vector<GalleryPick> gallery;

  bool has_labels() const { return !labels.empty(); }
};

/// Reads run_dir (throws rdc::Error when it is not a run directory at all).
ReportData collect_report(const std::string& run_dir, const ReportOptions& opt);

/// Parses a *_stats.jsonl file (missing file: available = false with a note).
StatsTable read_stats_jsonl(const std::string& path, const std::string& x_key);

std::string render_html(const ReportData& r);
nlohmann::json render_json(const ReportData& r);

}  // namespace rdc
