// JSON rendering of the report: the same content as the HTML page, as data.
#include <algorithm>
#include <cmath>

#include "rdc/report/report_data.h"

namespace rdc {

using json = nlohmann::json;

namespace {

json stats_json(const StatsTable& t) {
  json j;
  j["available"] = t.available;
  if (!t.note.empty()) j["note"] = t.note;
  if (!t.available) return j;
  j["x_key"] = t.x_key;
  j["x"] = t.x;
  json cols = json::object();
  for (size_t k = 0; k < t.keys.size(); ++k) {
    json c = json::array();
    for (double v : t.columns[k]) c.push_back(std::isfinite(v) ? json(v) : json(nullptr));
    cols[t.keys[k]] = c;
  }
  j["series"] = cols;
  return j;
}

json note_or(const std::string& note) { return note.empty() ? json(nullptr) : json(note); }

}  // namespace

json render_json(const ReportData& r) {
  json j;
  j["run_dir"] = r.run_dir;
  json summary;
  summary["k"] = r.k;
  summary["n"] = static_cast<int64_t>(r.assign.size());
  summary["num_nonempty_clusters"] = std::count_if(r.sizes.begin(), r.sizes.end(), [](int64_t v) { return v > 0; });
  summary["labels"] = r.has_labels();
  if (r.has_labels()) summary["labels_source"] = r.labels_source;
  if (!r.labels_note.empty()) summary["labels_note"] = r.labels_note;
  summary["data"] = r.data_spec;
  if (!r.data_note.empty()) summary["data_note"] = r.data_note;
  for (const char* key : {"protocol", "seed", "wall_seconds", "peak_rss_mb", "command", "method"}) {
    if (r.metrics.is_object() && r.metrics.contains(key))
      summary[key] = r.metrics[key];
    else if (r.config.is_object() && r.config.contains(key))
      summary[key] = r.config[key];
  }
  j["summary"] = summary;
  json flags = json::array();
  for (const auto& f : r.flags) flags.push_back({{"level", f.level}, {"code", f.code}, {"message", f.message}});
  j["flags"] = flags;

  json metrics = json::object();
  for (const char* key : {"final", "phase1_kmeans", "raw_kmeans"})
    if (r.metrics.is_object() && r.metrics.contains(key) && r.metrics[key].is_object()) metrics[key] = r.metrics[key];
  j["metrics"] = metrics;
  j["metrics_computed_by_report"] = r.metrics_computed;
  if (!r.metrics_note.empty()) j["metrics_note"] = r.metrics_note;

  j["curves"] = {{"phase1", stats_json(r.phase1)}, {"phase2", stats_json(r.phase2)}};
  j["cluster_sizes"] = r.sizes;
  if (!r.assign_note.empty()) j["assignments_note"] = r.assign_note;

  if (r.has_confusion) {
    const auto& cm = r.confusion;
    json c;
    c["rows"] = "classes";
    c["num_classes"] = cm.num_classes;
    c["num_clusters"] = cm.num_clusters;
    c["column_cluster"] = cm.column_cluster;
    c["class_of_cluster"] = cm.class_of_cluster;
    c["counts"] = cm.counts;
    c["matched"] = cm.matched;
    c["n"] = cm.n;
    if (!r.class_names.empty()) c["class_names"] = r.class_names;
    j["confusion"] = c;
  } else {
    j["confusion"] = nullptr;
  }

  if (!r.map_xy.empty()) {
    json m;
    m["method"] = "pca";
    m["embedding_dim"] = r.emb_d;
    m["n_total"] = r.emb_n;
    m["explained_variance"] = r.pca.variance;
    m["total_variance"] = r.pca.total_variance;
    m["rows"] = r.map_rows;
    json xy = json::array();
    for (size_t i = 0; i < r.map_rows.size(); ++i) xy.push_back({r.map_xy[2 * i], r.map_xy[2 * i + 1]});
    m["xy"] = xy;
    j["map"] = m;
  } else {
    j["map"] = {{"available", false}, {"note", note_or(r.map_note)}};
  }

  json g;
  g["note"] = note_or(r.gallery_note);
  g["clusters_total"] = r.gallery_total_clusters;
  json gc = json::array();
  for (const auto& p : r.gallery)
    gc.push_back({{"cluster", p.cluster}, {"size", p.size}, {"nearest", p.nearest}, {"nearest_distance", p.nearest_dist},
                  {"edge", p.edge}, {"edge_distance", p.edge_dist}});
  g["clusters"] = gc;
  j["gallery"] = g;

  j["config"] = r.config;
  if (!r.config_note.empty()) j["config_note"] = r.config_note;
  return j;
}

}  // namespace rdc
