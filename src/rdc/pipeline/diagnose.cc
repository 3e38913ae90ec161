// rdc diagnose (torch-free): intrinsic dimension of each cluster's manifold in every stored
// embedding of a run (Feature Twist shows as a change between phase 1 and the final embedding),
// and a summary of the gradient cosines written by the DEC / IDEC baselines.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"
#include "rdc/metrics/intrinsic_dim.h"
#include "rdc/pipeline/pipeline.h"
#include "rdc/pipeline/run_io.h"

namespace rdc {

using nlohmann::json;

namespace {

/// NaN/Inf are not JSON numbers: they become null.
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

struct Stage {
  std::string name;  ///< "phase1", "round3", ..., "final"
  std::string path;
};

/// Natural order of stage names: numbers inside names compare as numbers (round2 < round10).
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      const unsigned long long x = std::stoull(a.substr(i, i2 - i)), y = std::stoull(b.substr(j, j2 - j));
      if (x != y) return x < y;
      i = i2, j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

/// embedding_phase1.npy first, then other embedding_<name>.npy (per round) in natural order, then
/// embedding.npy as "final".
std::vector<Stage> find_stages(const std::string& run_dir) {
  std::vector<Stage> middle;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run_dir, ec)) {
    const std::string f = e.path().filename().string();
    const std::string pre = "embedding_", suf = ".npy";
    if (f.size() <= pre.size() + suf.size() || f.compare(0, pre.size(), pre) != 0 ||
        f.compare(f.size() - suf.size(), suf.size(), suf) != 0)
      continue;
    const std::string name = f.substr(pre.size(), f.size() - pre.size() - suf.size());
    if (name != "phase1") middle.push_back({name, e.path().string()});
  }
  RDC_CHECK(!ec, "cannot list run folder '{}': {}", run_dir, ec.message());
  std::sort(middle.begin(), middle.end(), [](const Stage& a, const Stage& b) { return natural_less(a.name, b.name); });
  std::vector<Stage> out;
  if (file_exists(join_path(run_dir, "embedding_phase1.npy")))
    out.push_back({"phase1", join_path(run_dir, "embedding_phase1.npy")});
  out.insert(out.end(), middle.begin(), middle.end());
  if (file_exists(join_path(run_dir, "embedding.npy"))) out.push_back({"final", join_path(run_dir, "embedding.npy")});
  return out;
}

/// Reads the cosine column of gradient_cosines.csv (header epoch,step,cosine); per-epoch groups.
void read_cosines(const std::string& path, std::vector<double>* all, std::vector<std::pair<int64_t, double>>* rows) {
  std::istringstream in(read_file(path));
  std::string line;
  RDC_CHECK(std::getline(in, line), "{} is empty (expected the header epoch,step,cosine)", path);
  RDC_CHECK(line.rfind("epoch,step,cosine", 0) == 0, "{}: header '{}' is not 'epoch,step,cosine'", path, line);
  int64_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::string e, s, c;
    RDC_CHECK(std::getline(ls, e, ',') && std::getline(ls, s, ',') && std::getline(ls, c, ','),
              "{} line {}: expected 3 comma-separated fields, got '{}'", path, lineno, line);
    try {
      const double v = std::stod(c);
      all->push_back(v);
      rows->push_back({std::stoll(e), v});
    } catch (const std::exception&) {
      RDC_FAIL("{} line {}: '{}' is not a number", path, lineno, line);
    }
  }
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  int64_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++n;
  return n ? s / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

std::string fmt_dims(const json& row) {
  if (row.is_null()) return "-";
  const std::string t = row["twonn"].is_null() ? std::string("nan") : fmt::format("{:.2f}", row["twonn"].get<double>());
  return fmt::format("{} / {}", t, row["lid"].get<int64_t>());
}

}  // namespace

json summarize_gradient_cosines(const std::vector<double>& cosines) {
  std::vector<double> v;
  for (double c : cosines)
    if (std::isfinite(c)) v.push_back(c);
  if (v.empty()) return {{"n", 0}};
  const double mean = mean_of(v);
  double var = 0, neg = 0;
  for (double c : v) {
    var += (c - mean) * (c - mean);
    if (c < 0) neg += 1;
  }
  const double n = static_cast<double>(v.size());
  return {{"n", v.size()},
          {"mean", mean},
          {"std", std::sqrt(var / n)},
          {"min", *std::min_element(v.begin(), v.end())},
          {"max", *std::max_element(v.begin(), v.end())},
          {"fraction_negative", neg / n}};
}

json run_diagnose(const std::string& run_dir, const IntrinsicDimParams& p, const Context& ctx) {
  p.validate();
  const std::string apath = join_path(run_dir, "assignments.npy");
  RDC_CHECK(file_exists(apath), "'{}' not found: diagnose needs a finished run (rdc train ... --out {})", apath,
            run_dir);
  const std::vector<int64_t> assign = read_npy(apath).to_int64(apath);
  const int64_t n = static_cast<int64_t>(assign.size());
  std::vector<Stage> stages = find_stages(run_dir);
  RDC_CHECK(!stages.empty(), "'{}' holds no embedding (embedding_phase1.npy, embedding.npy)", run_dir);

  json out;
  out["run"] = run_dir;
  out["n"] = n;
  out["params"] = {{"fit_fraction", p.fit_fraction},
                   {"variance_fraction", p.variance_fraction},
                   {"min_cluster_size", p.min_cluster_size},
                   {"max_points", p.max_points}};
  out["stages"] = json::array();
  out["per_cluster"] = json::array();
  out["whole"] = json::object();
  out["summary"] = json::object();
  std::string csv = "cluster,stage,n,twonn,lid\n";
  std::map<std::string, std::vector<ClusterDimension>> by_stage;
  for (const Stage& st : stages) {
    NpyArray a = read_npy(st.path);
    if (a.shape.size() != 2 || a.shape[0] != n) {
      spdlog::warn("diagnose: {} has shape [{}], not ({}, m) like the assignments; skipped", st.path,
                   fmt::join(a.shape, "x"), n);
      continue;
    }
    const int64_t d = a.shape[1];
    const std::vector<float> z = a.to_float();
    out["stages"].push_back(st.name);
    TwoNNResult whole = twonn_dimension_sampled(z.data(), n, d, p, ctx);
    const int64_t whole_lid = linear_intrinsic_dim(z.data(), n, d, p.variance_fraction);
    out["whole"][st.name] = {{"n", n},
                             {"dim", d},
                             {"twonn", num(whole.dimension)},
                             {"twonn_points", whole.n_used + whole.n_duplicates},
                             {"lid", whole_lid},
                             {"duplicates", whole.n_duplicates}};
    csv += fmt::format("all,{},{},{:.6g},{}\n", st.name, n, whole.dimension, whole_lid);
    auto dims = per_cluster_dimensions(z.data(), n, d, assign, p, ctx);
    std::vector<double> tw, lid;
    for (const auto& c : dims) {
      if (c.skipped) continue;
      out["per_cluster"].push_back({{"cluster", c.cluster}, {"stage", st.name}, {"n", c.n}, {"twonn", num(c.twonn)},
                                    {"lid", c.lid}, {"duplicates", c.n_duplicates}});
      csv += fmt::format("{},{},{},{:.6g},{}\n", c.cluster, st.name, c.n, c.twonn, c.lid);
      tw.push_back(c.twonn);
      lid.push_back(static_cast<double>(c.lid));
    }
    out["summary"][st.name] = {{"clusters", tw.size()},
                               {"mean_twonn", num(mean_of(tw))},
                               {"median_twonn", num(median_of(tw))},
                               {"mean_lid", num(mean_of(lid))}};
    by_stage[st.name] = std::move(dims);
  }
  RDC_CHECK(!out["stages"].empty(), "no embedding of '{}' matches its {} assignments", run_dir, n);
  // Skipped clusters (same for every stage: the partition is the run's final assignment).
  out["skipped_clusters"] = json::array();
  const auto& first = by_stage.begin()->second;
  for (const auto& c : first)
    if (c.skipped) out["skipped_clusters"].push_back({{"cluster", c.cluster}, {"n", c.n}});
  if (!out["skipped_clusters"].empty())
    spdlog::info("diagnose: {} cluster(s) with fewer than {} points skipped", out["skipped_clusters"].size(),
                 p.min_cluster_size);
  // Change from phase 1 to the final embedding, per cluster (Feature Twist shows here).
  if (by_stage.count("phase1") && by_stage.count("final")) {
    std::vector<double> dtw, dlid;
    const auto &a = by_stage["phase1"], &b = by_stage["final"];
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (a[i].skipped || b[i].skipped) continue;
      dtw.push_back(b[i].twonn - a[i].twonn);
      dlid.push_back(static_cast<double>(b[i].lid - a[i].lid));
    }
    out["final_minus_phase1"] = {{"mean_twonn_change", num(mean_of(dtw))}, {"mean_lid_change", num(mean_of(dlid))}};
  }
  // Gradient cosines of the DEC / IDEC baselines.
  const std::string cpath = join_path(run_dir, "gradient_cosines.csv");
  if (file_exists(cpath)) {
    std::vector<double> all;
    std::vector<std::pair<int64_t, double>> rows;
    read_cosines(cpath, &all, &rows);
    std::string method;
    const std::string mpath = join_path(run_dir, "metrics.json");
    if (file_exists(mpath)) method = read_json_file(mpath).value("method", "");
    json g = summarize_gradient_cosines(all);
    g["method"] = method;
    g["meaning"] = method == "idec"  ? "feature drift coefficient: cosine of the instance-loss and KL gradients"
                   : method == "dec" ? "feature randomness proxy: cosine of the KL gradient (trained) and the "
                                       "instance-loss gradient (not trained)"
                                     : "cosine of the instance-loss and KL gradients";
    json per_epoch = json::array();
    std::map<int64_t, std::vector<double>> ep;
    for (const auto& r : rows) ep[r.first].push_back(r.second);
    for (const auto& [e, v] : ep) per_epoch.push_back({{"epoch", e}, {"n", v.size()}, {"mean", num(mean_of(v))}});
    g["per_epoch"] = per_epoch;
    out["gradient_cosines"] = g;
    if (g["n"].get<int64_t>() > 0) {
      if (method == "idec") out["feature_drift_coefficient"] = g["mean"];
      if (method == "dec") out["feature_randomness_proxy"] = g["mean"];
    }
  }
  write_json_file(join_path(run_dir, "diagnostics.json"), out);
  write_file_atomic(join_path(run_dir, "diagnostics.csv"), csv);
  return out;
}

std::string format_diagnostics_table(const json& d) {
  std::vector<std::string> stages = d["stages"].get<std::vector<std::string>>();
  std::string s = fmt::format("{:<8} {:>7}", "cluster", "n");
  for (const auto& st : stages) s += fmt::format("  {:>16}", st + " TwoNN/LID");
  s += "\n";
  s += fmt::format("{:<8} {:>7}", "all", d["n"].get<int64_t>());
  for (const auto& st : stages) s += fmt::format("  {:>16}", fmt_dims(d["whole"][st]));
  s += "\n";
  std::map<int64_t, std::map<std::string, json>> rows;
  std::map<int64_t, int64_t> sizes;
  for (const auto& r : d["per_cluster"]) {
    rows[r["cluster"].get<int64_t>()][r["stage"].get<std::string>()] = r;
    sizes[r["cluster"].get<int64_t>()] = r["n"].get<int64_t>();
  }
  for (const auto& [c, per] : rows) {
    s += fmt::format("{:<8} {:>7}", c, sizes[c]);
    for (const auto& st : stages) {
      auto it = per.find(st);
      s += fmt::format("  {:>16}", it == per.end() ? std::string("-") : fmt_dims(it->second));
    }
    s += "\n";
  }
  if (!d["skipped_clusters"].empty()) {
    std::vector<std::string> sk;
    for (const auto& c : d["skipped_clusters"])
      sk.push_back(fmt::format("{} (n={})", c["cluster"].get<int64_t>(), c["n"].get<int64_t>()));
    s += fmt::format("skipped (< {} points): {}\n", d["params"]["min_cluster_size"].get<int64_t>(), fmt::join(sk, ", "));
  }
  if (d.contains("gradient_cosines") && d["gradient_cosines"]["n"].get<int64_t>() > 0) {
    const auto& g = d["gradient_cosines"];
    s += fmt::format("gradient cosines ({}): mean {:+.3f}, std {:.3f}, {:.0f}% negative, {} samples\n",
                     g["meaning"].get<std::string>(), g["mean"].get<double>(), g["std"].get<double>(),
                     100 * g["fraction_negative"].get<double>(), g["n"].get<int64_t>());
  }
  return s;
}

}  // namespace rdc
