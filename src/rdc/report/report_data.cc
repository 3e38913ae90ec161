#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"
#include "rdc/data/readers.h"
#include "rdc/metrics/metrics.h"
#include "rdc/report/report_data.h"

namespace rdc {

using json = nlohmann::json;

void ReportOptions::validate() const {
  RDC_CHECK(max_map_points >= 10, "report: max_map_points={} must be >= 10", max_map_points);
  RDC_CHECK(max_gallery_clusters >= 0, "report: max_gallery_clusters={} must be >= 0", max_gallery_clusters);
  RDC_CHECK(gallery_nearest >= 0 && gallery_nearest <= 64, "report: gallery_nearest={} must be in [0, 64]",
            gallery_nearest);
  RDC_CHECK(gallery_edge >= 0 && gallery_edge <= 64, "report: gallery_edge={} must be in [0, 64]", gallery_edge);
  RDC_CHECK(image_scale >= 0 && image_scale <= 8, "report: image_scale={} must be in [0, 8] (0 = automatic)",
            image_scale);
}

const std::vector<double>* StatsTable::column(const std::string& key) const {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &columns[i];
  return nullptr;
}

StatsTable read_stats_jsonl(const std::string& path, const std::string& x_key) {
  StatsTable t;
  t.x_key = x_key;
  const std::string name = std::filesystem::path(path).filename().string();
  if (!file_exists(path)) {
    t.note = name + " not found";
    return t;
  }
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    t.note = e.what();
    return t;
  }
  std::istringstream in(text);
  std::string line;
  std::vector<json> rows;
  int64_t lineno = 0, bad = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      ++bad;
      continue;
    }
    rows.push_back(std::move(j));
  }
  if (rows.empty()) {
    t.note = name + (bad ? fmt::format(": no valid rows ({} unreadable lines)", bad) : ": no rows");
    return t;
  }
  for (const auto& r : rows)
    for (auto it = r.begin(); it != r.end(); ++it)
      if (it.key() != x_key && (it.value().is_number() || it.value().is_null()) &&
          std::find(t.keys.begin(), t.keys.end(), it.key()) == t.keys.end() && !it.value().is_null())
        t.keys.push_back(it.key());
  t.columns.assign(t.keys.size(), std::vector<double>(rows.size(), NAN));
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    auto xi = r.find(x_key);
    t.x.push_back(xi != r.end() && xi->is_number() ? xi->get<double>() : static_cast<double>(i + 1));
    for (size_t k = 0; k < t.keys.size(); ++k) {
      auto v = r.find(t.keys[k]);
      if (v != r.end() && v->is_number()) t.columns[k][i] = v->get<double>();
    }
  }
  t.available = true;
  if (bad) t.note = fmt::format("{}: {} unreadable lines skipped", name, bad);
  return t;
}

namespace {

json read_json_file(const std::string& path, std::string& note) {
  const std::string name = std::filesystem::path(path).filename().string();
  if (!file_exists(path)) {
    note = name + " not found";
    return nullptr;
  }
  try {
    json j = json::parse(read_file(path));
    if (!j.is_object()) {
      note = name + " is not a JSON object";
      return nullptr;
    }
    return j;
  } catch (const std::exception& e) {
    note = fmt::format("{} could not be read: {}", name, e.what());
    return nullptr;
  }
}

template <typename T>
bool get_to(const json& j, const char* key, T& out) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  try {
    out = it->get<T>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Labels from the last column of assignments.csv when its header names it "label".
std::vector<int64_t> labels_from_csv(const std::string& path, int64_t n) {
  if (!file_exists(path)) return {};
  std::istringstream in(read_file(path));
  std::string line;
  if (!std::getline(in, line)) return {};
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  const auto comma = line.rfind(',');
  if (comma == std::string::npos || line.substr(comma + 1) != "label") return {};
  std::vector<int64_t> labels;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    const auto c = line.rfind(',');
    if (c == std::string::npos) return {};
    const std::string cell = line.substr(c + 1);
    char* end = nullptr;
    const long long v = std::strtoll(cell.c_str(), &end, 10);
    if (cell.empty() || *end != '\0' || v < 0) return {};  // empty or unlabelled rows: no labels
    labels.push_back(v);
  }
  if (static_cast<int64_t>(labels.size()) != n) return {};
  return labels;
}

LoadOptions load_options_from(const json& cfg) {
  LoadOptions lo;
  if (!cfg.is_object()) return lo;
  auto it = cfg.find("load");
  if (it == cfg.end() || !it->is_object()) return lo;
  get_to(*it, "labels_from_folders", lo.labels_from_folders);
  get_to(*it, "csv_header", lo.csv_header);
  get_to(*it, "csv_label_column", lo.csv_label_column);
  get_to(*it, "npz_key", lo.npz_key);
  return lo;
}

void add_flag(std::vector<Flag>& flags, const Flag& f) {
  for (const auto& g : flags)
    if (g.message == f.message) return;
  flags.push_back(f);
}

}  // namespace

ReportData collect_report(const std::string& run_dir, const ReportOptions& opt) {
  opt.validate();
  RDC_CHECK(!std::filesystem::is_regular_file(run_dir),
            "report: '{}' is a file; report takes a run folder (the --out of `rdc train`)", run_dir);
  RDC_CHECK(std::filesystem::is_directory(run_dir), "report: run directory '{}' does not exist", run_dir);
  ReportData r;
  r.run_dir = run_dir;
  r.opt = opt;
  const auto path = [&](const char* name) { return join_path(run_dir, name); };
  {
    bool any = false;
    for (const char* f : {"config.json", "metrics.json", "assignments.npy", "assignments.csv", "embedding.npy",
                          "phase1_stats.jsonl", "phase2_stats.jsonl"})
      any = any || file_exists(path(f));
    RDC_CHECK(any,
              "report: '{}' is not a run directory (it holds none of config.json, metrics.json, assignments.npy, "
              "embedding.npy, phase1_stats.jsonl, phase2_stats.jsonl)",
              run_dir);
  }
  r.config = read_json_file(path("config.json"), r.config_note);
  r.metrics = read_json_file(path("metrics.json"), r.metrics_note);
  r.phase1 = read_stats_jsonl(path("phase1_stats.jsonl"), "epoch");
  r.phase2 = read_stats_jsonl(path("phase2_stats.jsonl"), "round");

  // Final assignments.
  try {
    if (file_exists(path("assignments.npy"))) {
      NpyArray a = read_npy(path("assignments.npy"));
      RDC_CHECK(a.shape.size() == 1, "assignments.npy: expected shape (N,), got {} dims", a.shape.size());
      r.assign = a.to_int64("assignments.npy");
    } else {
      r.assign_note = "assignments.npy not found";
    }
    for (size_t i = 0; i < r.assign.size(); ++i)
      RDC_CHECK(r.assign[i] >= 0, "assignments.npy: cluster id {} of sample {} is negative", r.assign[i], i);
  } catch (const Error& e) {
    r.assign.clear();
    r.assign_note = e.what();
  }
  const int64_t n = static_cast<int64_t>(r.assign.size());

  // Final embedding and centroids.
  try {
    if (file_exists(path("embedding.npy"))) {
      NpyArray e = read_npy(path("embedding.npy"));
      RDC_CHECK(e.shape.size() == 2, "embedding.npy: expected shape (N, m), got {} dims", e.shape.size());
      RDC_CHECK(r.assign.empty() || e.shape[0] == n, "embedding.npy has {} rows but assignments.npy has {}",
                e.shape[0], n);
      r.emb_n = e.shape[0];
      r.emb_d = e.shape[1];
      r.embedding = e.to_float();
      // A run stopped by the NaN guard may leave non-finite values: no map, no distances.
      check_finite(r.embedding.data(), r.emb_n, r.emb_d, "embedding.npy");
      if (file_exists(path("centroids.npy"))) {
        NpyArray c = read_npy(path("centroids.npy"));
        if (c.shape.size() == 2 && c.shape[1] == r.emb_d) r.centroids = c.to_float();
        for (float v : r.centroids)
          if (!std::isfinite(v)) {
            r.centroids.clear();  // fall back to the cluster means
            break;
          }
      }
    } else {
      r.map_note = "embedding.npy not found";
    }
  } catch (const Error& e) {
    r.embedding.clear();
    r.emb_n = r.emb_d = 0;
    r.map_note = e.what();
  }

  // Number of clusters requested.
  int64_t k = 0;
  if (!get_to(r.metrics, "k", k) || k <= 0) {
    if (!get_to(r.config, "clusters", k) || k <= 0) {
      json km;
      if (!(get_to(r.config, "kmeans", km) && get_to(km, "k", k) && k > 0)) k = 0;
    }
  }
  if (k <= 0 && !r.centroids.empty() && r.emb_d > 0) k = static_cast<int64_t>(r.centroids.size()) / r.emb_d;
  if (!r.assign.empty() && k > n) {  // k-means needs n >= k: a larger k is not this run's
    add_flag(r.flags, {"warning", "bad_k", fmt::format("the recorded k={} exceeds the {} assigned samples; ignored", k, n)});
    k = 0;
  }
  if (!r.assign.empty()) {
    r.sizes = cluster_sizes(r.assign, k);
    if (k <= 0) k = static_cast<int64_t>(r.sizes.size());
    for (const auto& f : cluster_flags(r.sizes, k)) add_flag(r.flags, f);
  }
  r.k = k;
  if (r.metrics.is_object() && r.metrics.contains("warnings") && r.metrics["warnings"].is_array())
    for (const auto& w : r.metrics["warnings"])
      if (w.is_string()) add_flag(r.flags, {"warning", "run", w.get<std::string>()});

  // Reload the scored data (gallery images, labels, class names).
  r.data_spec = opt.data;
  if (r.data_spec.empty()) get_to(r.config, "data", r.data_spec);
  if (!opt.load_data) {
    r.data_note = "data not reloaded (disabled)";
  } else if (r.data_spec.empty()) {
    r.data_note = "no data spec (config.json has no \"data\")";
  } else {
    try {
      std::string proto = "all";
      if (!get_to(r.config, "protocol", proto)) get_to(r.metrics, "protocol", proto);
      Dataset all = load_dataset(r.data_spec, load_options_from(r.config));
      const Protocol p = parse_protocol(proto);
      // Protocol all scores every row: skip apply_protocol's two copies of the data.
      Dataset scored = p == Protocol::kAll ? std::move(all) : apply_protocol(all, p).score;
      RDC_CHECK(r.assign.empty() || scored.n() == n,
                "the data '{}' (protocol {}) has {} scored rows but the run has {} assignments", r.data_spec, proto,
                scored.n(), n);
      r.data = std::make_shared<Dataset>(std::move(scored));
    } catch (const std::exception& e) {
      r.data_note = fmt::format("could not reload the data '{}': {}", r.data_spec, e.what());
      spdlog::warn("report: {}", r.data_note);
    }
  }

  // Labels.
  bool labels_flag = true;
  get_to(r.metrics, "labels", labels_flag);
  if (!labels_flag) {
    r.labels_note = "the data has no labels: label metrics (ACC, NMI, ARI, F1, purity) are skipped";
  } else if (!r.assign.empty()) {
    if (r.data && r.data->has_labels() && r.data->n() == n) {
      r.labels = r.data->labels;
      r.labels_source = "data";
    } else {
      try {
        r.labels = labels_from_csv(path("assignments.csv"), n);
      } catch (const Error&) {
        r.labels.clear();
      }
      if (!r.labels.empty()) r.labels_source = "assignments.csv";
    }
    if (r.labels.empty())
      r.labels_note = "no labels found (data and assignments.csv): label metrics and confusion matrix are skipped";
  }
  if (r.data) r.class_names = r.data->class_names;
  if (r.has_labels()) {
    r.confusion = matched_confusion(r.labels, r.assign, k);
    r.has_confusion = true;
    const bool has_final = r.metrics.is_object() && r.metrics.contains("final") && r.metrics["final"].is_object();
    if (!has_final) {
      if (!r.metrics.is_object()) r.metrics = json::object();
      r.metrics["final"] = json::parse(metrics_to_json(evaluate_clustering(r.labels, r.assign, k)));
      r.metrics_computed = true;
    }
  }

  // 2-D PCA map of a sample of the embedding.
  if (!r.embedding.empty() && r.emb_n > 0 && r.emb_d > 0) {
    r.map_rows = sample_rows(r.emb_n, opt.max_map_points, opt.seed);
    const int64_t m = static_cast<int64_t>(r.map_rows.size());
    std::vector<float> sub(static_cast<size_t>(m) * r.emb_d);
    for (int64_t i = 0; i < m; ++i)
      std::copy_n(r.embedding.data() + r.map_rows[i] * r.emb_d, r.emb_d, sub.data() + i * r.emb_d);
    const int comps = r.emb_d >= 2 ? 2 : 1;
    r.pca = pca_fit(sub.data(), m, r.emb_d, comps, opt.seed);
    const auto proj = r.pca.project(sub.data(), m);
    r.map_xy.assign(static_cast<size_t>(m) * 2, 0.0);
    for (int64_t i = 0; i < m; ++i) {
      r.map_xy[2 * i] = proj[i * comps];
      r.map_xy[2 * i + 1] = comps == 2 ? proj[i * comps + 1] : 0.0;
    }
  }

  // Gallery.
  if (!r.data) {
    r.gallery_note = r.data_note.empty() ? "data not available" : r.data_note;
  } else if (r.data->modality() == Modality::kVector) {
    r.gallery_note = "the data are vectors (no images to show)";
  } else if (r.assign.empty()) {
    r.gallery_note = "no assignments";
  } else if (r.embedding.empty()) {
    r.gallery_note = "no embedding to rank samples by distance to the centroid";
  } else if (opt.max_gallery_clusters == 0) {
    r.gallery_note = "gallery disabled";
  } else {
    std::vector<int64_t> shown;
    for (size_t c = 0; c < r.sizes.size(); ++c)
      if (r.sizes[c] > 0) {
        ++r.gallery_total_clusters;
        if (static_cast<int64_t>(shown.size()) < opt.max_gallery_clusters) shown.push_back(static_cast<int64_t>(c));
      }
    r.gallery = gallery_picks(r.embedding.data(), r.emb_n, r.emb_d, r.assign, r.centroids, shown,
                              opt.gallery_nearest, opt.gallery_edge);
  }
  return r;
}

std::string report_html(const std::string& run_dir, const ReportOptions& opt) {
  return render_html(collect_report(run_dir, opt));
}

std::string write_report(const std::string& run_dir, const ReportOptions& opt) {
  const std::string out = opt.output.empty() ? join_path(run_dir, "report.html") : opt.output;
  const std::string html = report_html(run_dir, opt);
  write_file_atomic(out, html);
  spdlog::info("report written to {} ({:.1f} KiB)", out, html.size() / 1024.0);
  return out;
}

std::string report_json(const std::string& run_dir, const ReportOptions& opt) {
  return render_json(collect_report(run_dir, opt)).dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace rdc
