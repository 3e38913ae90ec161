#pragma once
// Run-directory plumbing shared by the jobs (torch-free).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rdc/metrics/metrics.h"
#include "rdc/pipeline/pipeline.h"

namespace rdc {

nlohmann::json config_to_json(const RunConfig& cfg);
/// Rebuilds the parts of a RunConfig that embed/predict need from RUN/config.json.
RunConfig config_from_json(const nlohmann::json& j);
nlohmann::json read_json_file(const std::string& path);
void write_json_file(const std::string& path, const nlohmann::json& j);
/// Before a fresh (non --resume) run writes into out_dir: when out_dir holds an earlier run
/// (config.json), removes that run's result and checkpoint files (only names rdc writes), with a
/// warning, so that a folder never mixes two runs' files.
void clear_previous_run(const std::string& out_dir);
/// Warnings on the sizes of k = sizes.size() clusters holding n points (C03): clusters left
/// empty, fewer than 90% used, more than 90% of the points in one cluster.
std::vector<std::string> cluster_size_warnings(const std::vector<int64_t>& sizes, size_t n);
/// Writes RUN/report.html; a failure is a warning, never the run's failure.
void write_report_or_warn(const std::string& run_dir);
/// Appends one JSON object as a line (crash-safe enough for logs: whole lines, fsync'd).
void append_jsonl(const std::string& path, const nlohmann::json& j);

/// Loads cfg.data and applies cfg.protocol. With Protocol::kAll only `fit` is filled (no copy):
/// use scored_rows() for the rows that are assigned and scored.
ProtocolSplit load_for_run(const RunConfig& cfg);
inline const Dataset& scored_rows(const ProtocolSplit& ps, Protocol p) {
  return p == Protocol::kAll ? ps.fit : ps.score;
}
/// K from cfg.clusters, or the number of label classes (logged) when 0.
int64_t resolve_clusters(const RunConfig& cfg, const Dataset& scored);

/// Metrics (when labels exist) plus warnings for degenerate results (C03, C04, C06) as JSON.
nlohmann::json score_assignments(const Dataset& scored, const std::vector<int64_t>& pred, int64_t k,
                                 std::vector<std::string>* warnings, const std::string& what);
/// Writes assignments.npy/.csv for the scored data.
void write_assignments(const std::string& run_dir, const Dataset& scored, const std::vector<int64_t>& pred,
                       const std::string& prefix = "assignments");

/// Final k-means on an embedding (n x d) with cfg.kmeans (k set), returns the result.
KMeansResult cluster_embedding(const std::vector<float>& z, int64_t n, int64_t d, int64_t k, bool spherical,
                               const RunConfig& cfg);

}  // namespace rdc
