// HTML rendering of the report (one self-contained page: inline CSS + SVG, PNG data URIs).
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "rdc/report/image.h"
#include "rdc/report/report_data.h"
#include "rdc/report/svg.h"

namespace rdc {

using json = nlohmann::json;

namespace {

const char* kStyle = R"css(
:root { --fg:#1d2430; --muted:#5b6575; --line:#dde2ea; --bg:#f6f7f9; --card:#ffffff; --accent:#2f6fb3; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color:var(--fg); background:var(--bg); line-height:1.45; }
header { background:#22303f; color:#fff; padding:18px 28px; }
header h1 { margin:0; font-size:22px; font-weight:600; }
header p { margin:4px 0 0; color:#c9d3de; font-size:13px; word-break:break-all; }
nav { padding:8px 28px; background:#fff; border-bottom:1px solid var(--line); font-size:14px; }
nav a { color:var(--accent); text-decoration:none; margin-right:16px; }
main { max-width:1180px; margin:0 auto; padding:12px 20px 40px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 20px 18px;
          margin:16px 0; }
h2 { font-size:18px; margin:2px 0 10px; }
h3 { font-size:15px; margin:16px 0 6px; }
table { border-collapse:collapse; font-size:14px; margin:6px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 12px 4px 0; text-align:left; vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
tr.best td { font-weight:600; }
.note { color:var(--muted); font-style:italic; margin:6px 0; }
.flag { border-radius:6px; padding:6px 10px; margin:6px 0; font-size:14px; }
.flag.error { background:#fdecea; border:1px solid #f5b7b1; }
.flag.warning { background:#fff6e0; border:1px solid #f3d38a; }
.flag.info { background:#eaf2fb; border:1px solid #b9d2ee; }
.flag.ok { background:#eaf7ee; border:1px solid #b5e0c0; }
.charts { display:flex; flex-wrap:wrap; gap:10px; }
svg.chart { max-width:100%; height:auto; border:1px solid var(--line); border-radius:4px; background:#fff; }
svg .ct { font-size:13px; font-weight:600; fill:#1d2430; }
svg .tick { font-size:10px; fill:#5b6575; }
svg .lab { font-size:11px; fill:#1d2430; }
svg .cell { font-size:11px; }
svg .grid { stroke:#edf0f4; stroke-width:1; }
svg .axis { stroke:#8a94a3; stroke-width:1; }
.legend { display:flex; flex-wrap:wrap; gap:4px 12px; font-size:12px; margin:6px 0; }
.swatch { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
.cluster { border-top:1px solid var(--line); padding:8px 0; }
.cluster h3 { margin:4px 0; }
.strip { display:flex; flex-wrap:wrap; align-items:center; gap:4px; margin:3px 0; }
.strip .lbl { width:150px; font-size:12px; color:var(--muted); }
.strip img { border:1px solid var(--line); image-rendering: pixelated; background:#000; }
.strip.edge img { border-color:#e3a33b; }
pre { background:#f2f4f7; border:1px solid var(--line); border-radius:6px; padding:10px; font-size:12px;
      overflow:auto; max-height:520px; }
footer { text-align:center; color:var(--muted); font-size:12px; margin:20px 0; }
)css";

std::string esc(const std::string& s) { return html_escape(s); }

std::string note(const std::string& text) { return "<p class=\"note\">" + esc(text) + "</p>\n"; }

std::string not_available(const std::string& what, const std::string& why) {
  return note(what + ": not available" + (why.empty() ? "" : " (" + why + ")"));
}

std::string fmt_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return fmt::format("{:.1f} s", s);
  const int64_t t = static_cast<int64_t>(std::llround(s));
  if (t < 3600) return fmt::format("{:.1f} s ({} min {:02d} s)", s, t / 60, static_cast<int>(t % 60));
  return fmt::format("{:.0f} s ({} h {:02d} min)", s, t / 3600, static_cast<int>((t % 3600) / 60));
}

std::string json_scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return format_number(v.get<double>());
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json* find_key(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string class_name(const ReportData& r, int64_t c) {
  if (c >= 0 && c < static_cast<int64_t>(r.class_names.size()) && !r.class_names[c].empty())
    return r.class_names[c];
  return std::to_string(c);
}

// ---- sections ----

std::string section_summary(const ReportData& r) {
  std::string s = "<section id=\"summary\">\n<h2>Summary</h2>\n";
  if (r.assign.empty()) {
    s += not_available("final assignments", r.assign_note);
  } else if (r.flags.empty()) {
    s += fmt::format("<div class=\"flag ok\">all {} clusters are used; the largest holds {:.1f}% of the points</div>\n",
                     r.k, 100.0 * *std::max_element(r.sizes.begin(), r.sizes.end()) / r.assign.size());
  }
  for (const auto& f : r.flags)
    s += fmt::format("<div class=\"flag {}\"><strong>{}</strong>: {}</div>\n", esc(f.level), esc(f.level),
                     esc(f.message));
  s += "<table>\n";
  auto row = [&](const std::string& k, const std::string& v) {
    if (!v.empty()) s += "<tr><th>" + esc(k) + "</th><td>" + esc(v) + "</td></tr>\n";
  };
  const json& c = r.config;
  const json& m = r.metrics;
  auto pick = [&](const char* key) -> std::string {
    if (auto* v = find_key(m, key)) return json_scalar(*v);
    if (auto* v = find_key(c, key)) return json_scalar(*v);
    return "";
  };
  row("run directory", r.run_dir);
  row("command", pick("command"));
  row("method", pick("method"));
  row("data", r.data_spec.empty() ? pick("data") : r.data_spec);
  if (r.data) row("data shape", [&] {
      std::string t;
      for (size_t i = 0; i < r.data->shape.size(); ++i) t += (i ? " x " : "") + std::to_string(r.data->shape[i]);
      return t + " (" + modality_name(r.data->modality()) + ")";
    }());
  row("protocol", pick("protocol"));
  row("seed", pick("seed"));
  row("clusters requested (k)", r.k > 0 ? std::to_string(r.k) : "");
  row("scored samples (n)", !r.assign.empty() ? std::to_string(r.assign.size()) : pick("n"));
  if (!r.assign.empty())
    row("non-empty clusters",
        fmt::format("{} of {}", std::count_if(r.sizes.begin(), r.sizes.end(), [](int64_t v) { return v > 0; }),
                    r.k));
  if (auto* w = find_key(m, "wall_seconds"); w && w->is_number()) row("wall time", fmt_duration(w->get<double>()));
  if (auto* p = find_key(m, "peak_rss_mb"); p && p->is_number())
    row("peak memory", fmt::format("{:.0f} MiB", p->get<double>()));
  row("device", pick("device"));
  row("threads", pick("threads"));
  row("labels", r.has_labels() ? "yes (from " + r.labels_source + ")" : "no");
  s += "</table>\n";
  if (!r.config_note.empty()) s += note(r.config_note);
  s += "</section>\n";
  return s;
}

std::string section_metrics(const ReportData& r) {
  std::string s = "<section id=\"metrics\">\n<h2>Metrics</h2>\n";
  if (!r.has_labels() && !r.labels_note.empty()) {
    s += note(r.labels_note);
  }
  struct Row {
    const char* key;
    const char* name;
  };
  const Row rows[] = {{"final", "final (R-DC)"},
                      {"phase1_kmeans", "k-means on the phase-1 embedding"},
                      {"raw_kmeans", "k-means on the raw input"}};
  const char* cols[] = {"acc", "nmi", "ari", "f1_macro", "f1_micro", "purity"};
  const char* col_names[] = {"ACC", "NMI", "ARI", "F1 macro", "F1 micro", "purity"};
  bool any = false;
  std::string t = "<table>\n<tr><th>result</th>";
  for (auto* c : col_names) t += fmt::format("<th class=\"num\">{}</th>", c);
  t += "<th class=\"num\">non-empty clusters</th><th>flags</th></tr>\n";
  for (const auto& row : rows) {
    const json* obj = find_key(r.metrics, row.key);
    if (!obj || !obj->is_object()) continue;
    any = true;
    t += fmt::format("<tr{}><td>{}</td>", std::string(row.key) == "final" ? " class=\"best\"" : "", row.name);
    for (auto* c : cols) {
      const json* v = find_key(*obj, c);
      t += "<td class=\"num\">" + (v && v->is_number() ? fmt::format("{:.4f}", v->get<double>()) : "&ndash;") +
           "</td>";
    }
    std::string nonempty = "&ndash;", flags;
    if (const json* ne = find_key(*obj, "num_nonempty_clusters"); ne && ne->is_number_integer())
      nonempty = fmt::format("{} of {}", ne->get<int64_t>(), r.k);
    if (const json* cs = find_key(*obj, "cluster_sizes"); cs && cs->is_array()) {
      std::vector<int64_t> sizes;
      for (const auto& v : *cs)
        if (v.is_number_integer()) sizes.push_back(v.get<int64_t>());
      for (const auto& f : cluster_flags(sizes, r.k)) flags += (flags.empty() ? "" : "; ") + f.message;
    }
    t += "<td class=\"num\">" + nonempty + "</td><td>" + esc(flags) + "</td></tr>\n";
  }
  t += "</table>\n";
  if (any) {
    s += t;
    if (r.metrics_computed) s += note("metrics.json has no results: the final row was computed from assignments.npy");
    s += note("Labels are used for evaluation only; they never select models or hyper-parameters.");
  } else if (r.has_labels() || r.labels_note.empty()) {
    s += not_available("metrics", r.metrics_note.empty() ? "metrics.json holds no results" : r.metrics_note);
  }
  s += "</section>\n";
  return s;
}

std::string chart_of(const StatsTable& t, const std::vector<std::string>& keys, const std::string& title,
                     const std::string& y_label, int width, int height) {
  std::vector<Series> series;
  for (const auto& k : keys)
    if (const auto* col = t.column(k)) series.push_back({k, t.x, *col});
  if (series.empty()) return "";
  ChartOptions o;
  o.title = title;
  o.x_label = t.x_key;
  o.y_label = y_label;
  o.width = width;
  o.height = height;
  return svg_line_chart(series, o);
}

std::string stats_block(const StatsTable& t, const std::string& heading,
                        const std::vector<std::pair<std::vector<std::string>, std::string>>& main_charts) {
  std::string s = "<h3>" + esc(heading) + "</h3>\n";
  if (!t.available) return s + not_available(heading, t.note);
  if (!t.note.empty()) s += note(t.note);
  std::vector<std::string> used;
  s += "<div class=\"charts\">\n";
  std::string missing;
  for (const auto& [keys, title] : main_charts) {
    const std::string chart = chart_of(t, keys, title, keys.size() == 1 ? keys[0] : "", 520, 260);
    if (chart.empty()) missing += (missing.empty() ? "" : ", ") + keys[0];
    s += chart;
    used.insert(used.end(), keys.begin(), keys.end());
  }
  s += "</div>\n";
  if (!missing.empty()) s += note("not logged: " + missing);
  std::vector<std::string> extra;
  for (const auto& k : t.keys)
    if (std::find(used.begin(), used.end(), k) == used.end()) extra.push_back(k);
  if (!extra.empty()) {
    s += "<p>Other logged values</p>\n<div class=\"charts\">\n";
    for (const auto& k : extra) s += chart_of(t, {k}, k, "", 350, 200);
    s += "</div>\n";
  }
  return s;
}

std::string section_training(const ReportData& r) {
  std::string s = "<section id=\"training\">\n<h2>Training curves</h2>\n";
  s += stats_block(r.phase1, "Phase 1 (pretext) per epoch", {{{"loss"}, "loss per epoch"}});
  s += stats_block(r.phase2, "Phase 2 (proximity) per round",
                   {{{"loss", "instance_loss", "proximity_loss"}, "losses per round"},
                    {{"core_fraction"}, "core-point fraction"},
                    {{"mean_reliable"}, "mean reliable neighbours"},
                    {{"graph_change"}, "graph change"}});
  s += "</section>\n";
  return s;
}

std::string section_clusters(const ReportData& r) {
  std::string s = "<section id=\"clusters\">\n<h2>Clusters</h2>\n<h3>Cluster sizes</h3>\n";
  if (r.assign.empty()) {
    s += not_available("cluster sizes", r.assign_note);
  } else {
    std::vector<double> v(r.sizes.begin(), r.sizes.end());
    std::vector<std::string> labels;
    std::vector<int64_t> colors;
    for (size_t c = 0; c < r.sizes.size(); ++c) {
      labels.push_back(std::to_string(c));
      colors.push_back(static_cast<int64_t>(c));
    }
    ChartOptions o;
    o.title = fmt::format("samples per cluster ({} clusters, {} non-empty)", r.sizes.size(),
                          std::count_if(r.sizes.begin(), r.sizes.end(), [](int64_t x) { return x > 0; }));
    o.x_label = "cluster";
    o.y_label = "samples";
    o.width = std::clamp<int>(static_cast<int>(90 + 40 * r.sizes.size()), 360, 1080);
    s += "<div class=\"charts\">\n" + svg_bar_chart(v, labels, colors, o);
    if (r.sizes.size() > 40) {  // many clusters: also how many clusters have each size
      const Histogram h = histogram(v, 20);
      std::vector<double> counts(h.counts.begin(), h.counts.end());
      std::vector<std::string> bins;
      const double width = (h.hi - h.lo) / static_cast<double>(h.counts.size());
      for (size_t b = 0; b < h.counts.size(); ++b) bins.push_back(format_number(h.lo + width * static_cast<double>(b)));
      ChartOptions ho;
      ho.title = "clusters by size (20 bins)";
      ho.x_label = "cluster size (bin start)";
      ho.y_label = "clusters";
      ho.width = 520;
      s += svg_bar_chart(counts, bins, {}, ho);
    }
    s += "</div>\n";
    const int64_t mn = *std::min_element(r.sizes.begin(), r.sizes.end());
    const int64_t mx = *std::max_element(r.sizes.begin(), r.sizes.end());
    s += note(fmt::format("smallest cluster {} samples, largest {} ({:.1f}% of {})", mn, mx,
                          100.0 * mx / r.assign.size(), r.assign.size()));
  }
  s += "<h3>Confusion matrix (after Hungarian matching)</h3>\n";
  if (!r.has_confusion) {
    s += not_available("confusion matrix", r.labels_note.empty() ? "no labels" : r.labels_note);
  } else {
    const auto& cm = r.confusion;
    std::vector<std::string> rows, cols;
    for (int64_t j = 0; j < cm.num_classes; ++j) rows.push_back(class_name(r, j));
    for (auto c : cm.column_cluster) cols.push_back(std::to_string(c));
    ChartOptions o;
    o.title = "classes (rows) vs clusters (columns)";
    o.x_label = "cluster (reordered by the matching)";
    o.y_label = "class";
    s += "<div class=\"charts\">\n" + svg_heatmap(cm.counts, rows, cols, o) + "</div>\n";
    s += note(fmt::format("{} of {} samples ({:.2f}%) lie on matched (class, cluster) cells; shading = count "
                          "relative to the largest of its class (row)",
                          cm.matched, cm.n, cm.n ? 100.0 * cm.matched / cm.n : 0.0));
  }
  s += "</section>\n";
  return s;
}

std::string section_map(const ReportData& r) {
  std::string s = "<section id=\"map\">\n<h2>Embedding map (PCA)</h2>\n";
  if (r.map_xy.empty()) {
    s += not_available("embedding map", r.map_note);
    return s + "</section>\n";
  }
  const double tv = r.pca.total_variance > 0 ? r.pca.total_variance : 1.0;
  auto pc = [&](int i) {
    return i < r.pca.components ? fmt::format("PC{} ({:.1f}% of variance)", i + 1, 100.0 * r.pca.variance[i] / tv)
                                : std::string("(one-dimensional embedding)");
  };
  const bool can_color = !r.assign.empty();
  std::vector<int64_t> groups(r.map_rows.size(), -1), classes(r.map_rows.size(), -1);
  for (size_t i = 0; i < r.map_rows.size(); ++i) {
    if (can_color) groups[i] = r.assign[r.map_rows[i]];
    if (r.has_labels()) classes[i] = r.labels[r.map_rows[i]];
  }
  ChartOptions o;
  o.x_label = pc(0);
  o.y_label = pc(1);
  o.width = 520;
  o.height = 440;
  o.title = "coloured by cluster";
  s += "<div class=\"charts\">\n" + svg_scatter(r.map_xy, groups, o);
  if (r.has_labels()) {
    o.title = "coloured by class (labels)";
    s += svg_scatter(r.map_xy, classes, o);
  }
  s += "</div>\n";
  s += note(fmt::format("{} of {} points{} of the final embedding ({} dimensions), projected on its first principal "
                        "axes",
                        r.map_rows.size(), r.emb_n,
                        static_cast<int64_t>(r.map_rows.size()) < r.emb_n ? " (random sample)" : "", r.emb_d));
  if (can_color && r.sizes.size() <= 60) {
    s += "<div class=\"legend\">";
    for (size_t c = 0; c < r.sizes.size(); ++c)
      s += fmt::format("<span><span class=\"swatch\" style=\"background:{}\"></span>cluster {}</span>",
                       palette_color(static_cast<int64_t>(c)), c);
    s += "</div>\n";
  }
  s += "</section>\n";
  return s;
}

std::string section_gallery(const ReportData& r) {
  std::string s = "<section id=\"gallery\">\n<h2>Gallery</h2>\n";
  if (r.gallery.empty()) {
    s += not_available("gallery", r.gallery_note);
    return s + "</section>\n";
  }
  const Dataset& d = *r.data;
  const std::vector<int64_t> sample_shape(d.shape.begin() + 1, d.shape.end());
  const int scale = r.opt.image_scale > 0 ? r.opt.image_scale : auto_scale(std::max(d.shape.back(), d.shape[d.shape.size() - 2]));
  std::string intro = fmt::format("Per cluster: the {} samples closest to the centroid (ascending distance) and the {} "
                                  "farthest ones (cluster edge), in the final embedding.",
                                  r.opt.gallery_nearest, r.opt.gallery_edge);
  if (d.modality() == Modality::kVolume) intro += " Volumes show their middle slice.";
  s += "<p>" + esc(intro) + "</p>\n";
  if (r.gallery_total_clusters > static_cast<int64_t>(r.gallery.size()))
    s += note(fmt::format("showing the first {} of {} non-empty clusters", r.gallery.size(), r.gallery_total_clusters));
  auto image = [&](int64_t row, double dist) {
    std::string title = fmt::format("sample {}", row);
    if (row < static_cast<int64_t>(d.names.size()) && !d.names[row].empty()) title += " " + d.names[row];
    if (r.has_labels()) title += ", class " + class_name(r, r.labels[row]);
    title += fmt::format(", distance {}", format_number(dist));
    const Thumbnail t = make_thumbnail(d.row(row), sample_shape, scale);
    return fmt::format("<img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\" title=\"{}\">", png_data_uri(t),
                       t.width, t.height, esc(title), esc(title));
  };
  for (const auto& g : r.gallery) {
    std::string sub = fmt::format("{} samples", g.size);
    if (r.has_confusion && g.cluster < static_cast<int64_t>(r.confusion.class_of_cluster.size())) {
      const int64_t cls = r.confusion.class_of_cluster[g.cluster];
      sub += cls >= 0 ? "; matched class " + class_name(r, cls) : "; unmatched";
      // Majority class and its share.
      std::vector<int64_t> cnt(r.confusion.num_classes, 0);
      for (size_t i = 0; i < r.assign.size(); ++i)
        if (r.assign[i] == g.cluster) ++cnt[r.labels[i]];
      const auto it = std::max_element(cnt.begin(), cnt.end());
      if (it != cnt.end() && g.size > 0)
        sub += fmt::format("; majority class {} ({:.0f}%)", class_name(r, it - cnt.begin()), 100.0 * *it / g.size);
    }
    s += fmt::format("<div class=\"cluster\"><h3><span class=\"swatch\" style=\"background:{}\"></span>cluster {} "
                     "<span class=\"note\">{}</span></h3>\n",
                     palette_color(g.cluster), g.cluster, esc(sub));
    s += "<div class=\"strip\"><span class=\"lbl\">closest to centroid</span>";
    for (size_t i = 0; i < g.nearest.size(); ++i) s += image(g.nearest[i], g.nearest_dist[i]);
    s += "</div>\n";
    if (!g.edge.empty()) {
      s += "<div class=\"strip edge\"><span class=\"lbl\">cluster edge</span>";
      for (size_t i = 0; i < g.edge.size(); ++i) s += image(g.edge[i], g.edge_dist[i]);
      s += "</div>\n";
    }
    s += "</div>\n";
  }
  s += "</section>\n";
  return s;
}

std::string section_config(const ReportData& r) {
  std::string s = "<section id=\"config\">\n<h2>Configuration</h2>\n";
  if (r.config.is_null()) {
    s += not_available("config.json", r.config_note);
  } else {
    s += "<pre>" + esc(r.config.dump(2, ' ', false, json::error_handler_t::replace)) + "</pre>\n";
  }
  s += "</section>\n";
  return s;
}

}  // namespace

std::string render_html(const ReportData& r) {
  const std::string name = std::filesystem::path(r.run_dir).filename().string().empty()
                               ? std::filesystem::path(r.run_dir).parent_path().filename().string()
                               : std::filesystem::path(r.run_dir).filename().string();
  std::string s;
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += "<title>rdc report: " + esc(name) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  s += "<header><h1>rdc report: " + esc(name) + "</h1><p>" + esc(r.run_dir) + "</p></header>\n";
  s += "<nav><a href=\"#summary\">Summary</a><a href=\"#metrics\">Metrics</a><a href=\"#training\">Training</a>"
       "<a href=\"#clusters\">Clusters</a><a href=\"#map\">Map</a><a href=\"#gallery\">Gallery</a>"
       "<a href=\"#config\">Configuration</a></nav>\n<main>\n";
  s += section_summary(r);
  s += section_metrics(r);
  s += section_training(r);
  s += section_clusters(r);
  s += section_map(r);
  s += section_gallery(r);
  s += section_config(r);
  s += "</main>\n<footer>generated by rdc " RDC_VERSION
       " &middot; self-contained page (no scripts, no network)</footer>\n</body>\n</html>\n";
  return s;
}

}  // namespace rdc
