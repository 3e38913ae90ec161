#pragma once
// `rdc report RUN`: one self-contained HTML page (inline SVG + embedded PNG, no scripts, no
// network) summarising a run directory (see docs/run-directory.md), or the same content as JSON.
#include <cstdint>
#include <string>

namespace rdc {

struct ReportOptions {
  std::string output;             ///< HTML file to write; "" = RUN/report.html
  std::string data;               ///< data spec for the gallery/labels; "" = config.json "data"
  bool load_data = true;          ///< reload the data (gallery images, labels, class names)
  int64_t max_map_points = 5000;  ///< points sampled for the 2-D PCA map (>= 10)
  int64_t max_gallery_clusters = 50;  ///< clusters shown in the gallery (>= 0; 0 = no gallery)
  int gallery_nearest = 8;        ///< images closest to the centroid per cluster (0..64)
  int gallery_edge = 4;           ///< images farthest from the centroid per cluster (0..64)
  int image_scale = 0;            ///< thumbnail upscaling 1..8; 0 = automatic (small images x2-x4)
  uint64_t seed = 0;              ///< sampling of the map points
  /// Throws rdc::Error naming the field, its value and the allowed range.
  void validate() const;
};

/// Reads the run directory and returns the report page (HTML5 text).
std::string report_html(const std::string& run_dir, const ReportOptions& opt = {});

/// Writes the report page atomically to opt.output (default RUN/report.html); returns its path.
std::string write_report(const std::string& run_dir, const ReportOptions& opt = {});

/// The same content as data: a JSON object (summary, flags, metrics, curves, cluster sizes,
/// confusion matrix, PCA map points, gallery sample indices, config) pretty-printed.
std::string report_json(const std::string& run_dir, const ReportOptions& opt = {});

}  // namespace rdc
