#include "rdc/pipeline/run_io.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <faiss/Index.h>  // FAISS_VERSION_* only

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/labels_io.h"
#include "rdc/core/npy.h"
#include "rdc/data/reader_util.h"
#include "rdc/report/report.h"

namespace rdc {

std::string default_run_dir(const std::string& data) {
  const auto normal = std::filesystem::path(data).lexically_normal();
  std::string name = normal.filename().string();
  if (name.empty()) name = normal.parent_path().filename().string();  // "dir/" normalises to "dir/" + ""
  for (const char* ext : {".tar.gz", ".tgz", ".gz", ".npz", ".npy", ".csv", ".tsv", ".txt", ".h5", ".hdf5"}) {
    if (name.size() > std::strlen(ext) && detail::ends_with_ci(name, ext)) {
      name.resize(name.size() - std::strlen(ext));
      break;
    }
  }
  if (name.empty() || name == "." || name == ".." || name == "/") name = "run";
  return "runs/" + name;
}

using nlohmann::json;

double peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

void Phase2Params::validate() const {
  RDC_CHECK(rounds >= 1, "phase2.rounds={} must be >= 1", rounds);
  RDC_CHECK(epochs_per_round > 0, "phase2.epochs_per_round={} must be > 0", epochs_per_round);
  RDC_CHECK(knn >= 1, "phase2.knn={} must be >= 1", knn);
  RDC_CHECK(s_start > 0 && s_start <= 1, "phase2.s_start={} must be in (0, 1]", s_start);
  RDC_CHECK(s_end > 0 && s_end <= 1, "phase2.s_end={} must be in (0, 1]", s_end);
  RDC_CHECK(w_start >= 0 && w_start <= 1, "phase2.w_start={} must be in [0, 1]", w_start);
  RDC_CHECK(w_end >= 0 && w_end <= 1, "phase2.w_end={} must be in [0, 1]", w_end);
  RDC_CHECK(round1_reference == "augmented" || round1_reference == "none",
            "phase2.round1_reference='{}' must be 'augmented' or 'none'", round1_reference);
  RDC_CHECK(consistency_width >= 1 && consistency_width <= 10,
            "phase2.consistency_width={} must be in [1, 10] (a multiple of k)", consistency_width);
  RDC_CHECK(proximity_loss == "distance" || proximity_loss == "contrastive",
            "phase2.proximity_loss='{}' must be 'distance' or 'contrastive'", proximity_loss);
  RDC_CHECK(temperature > 0 && temperature <= 10, "phase2.temperature={} must be in (0, 10]", temperature);
  RDC_CHECK(lr >= 0, "phase2.lr={} must be >= 0 (0 = lr_fraction x phase-1 lr)", lr);
  RDC_CHECK(lr_fraction >= 0 && lr_fraction <= 10, "phase2.lr_fraction={} must be in [0, 10] (0 = auto)", lr_fraction);
  RDC_CHECK(stop_tolerance >= 0, "phase2.stop_tolerance={} must be >= 0", stop_tolerance);
}

void RunConfig::validate() const {
  ctx.validate();
  RDC_CHECK(clusters >= 0, "clusters={} must be >= 1 (or 0 = number of label classes)", clusters);
  RDC_CHECK(!out_dir.empty(), "an output folder (--out) is required");
  RDC_CHECK(phase1.epochs >= 0, "epochs={} must be >= 0", phase1.epochs);
  RDC_CHECK(phase1.batch_size >= 2, "batch_size={} must be >= 2", phase1.batch_size);
  RDC_CHECK(pretext.embed_dim >= 0, "embed_dim={} must be >= 0", pretext.embed_dim);
  RDC_CHECK(kmeans.n_init >= 1, "restarts={} must be >= 1", kmeans.n_init);
  RDC_CHECK(kmeans.iters >= 1, "kmeans iters={} must be >= 1", kmeans.iters);
  phase2.validate();
}

json config_to_json(const RunConfig& c) {
  json j;
  j["command"] = c.command;
  j["method"] = c.method;
  j["data"] = c.data;
  j["protocol"] = protocol_name(c.protocol);
  j["load"] = {{"labels_from_folders", c.load.labels_from_folders},
               {"csv_header", c.load.csv_header},
               {"csv_label_column", c.load.csv_label_column},
               {"npz_key", c.load.npz_key}};
  j["seed"] = c.ctx.seed;
  j["threads"] = c.ctx.effective_threads();
  j["device"] = c.ctx.device;
  j["clusters"] = c.clusters;
  j["pretext"] = pretext_config_to_json(c.pretext);
  j["phase1"] = {{"epochs", c.phase1.epochs},
                 {"batch_size", c.phase1.batch_size},
                 {"lr", c.phase1.lr},
                 {"optimizer", c.phase1.optimizer},
                 {"skip", c.phase1.skip}};
  const auto& q = c.phase2;
  j["phase2"] = {{"enabled", q.enabled},
                 {"rounds", q.rounds},
                 {"epochs_per_round", q.epochs_per_round},
                 {"knn", q.knn},
                 {"s_start", q.s_start},
                 {"s_end", q.s_end},
                 {"w_start", q.w_start},
                 {"w_end", q.w_end},
                 {"mutual", q.mutual},
                 {"consistency", q.consistency},
                 {"round1_reference", q.round1_reference},
                 {"consistency_width", q.consistency_width},
                 {"proximity_loss", q.proximity_loss},
                 {"temperature", q.temperature},
                 {"scale_losses", q.scale_losses},
                 {"stop_tolerance", q.stop_tolerance},
                 {"min_rounds", q.min_rounds},
                 {"min_core_fraction", q.min_core_fraction},
                 {"allow_without_phase1", q.allow_without_phase1},
                 {"lr", q.lr},
                 {"lr_fraction", q.lr_fraction}};
  j["kmeans"] = {{"n_init", c.kmeans.n_init}, {"iters", c.kmeans.iters}, {"spherical", c.kmeans.spherical}};
  j["versions"] = {{"rdc", RDC_VERSION},
                   {"libtorch", RDC_TORCH_VERSION},  // from CMake's find_package(Torch): this file stays torch-free
                   {"faiss", fmt::format("{}.{}.{}", FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR, FAISS_VERSION_PATCH)}};
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  j["started"] = buf;
  return j;
}

namespace {

// Integer fields are read with casts that are undefined for huge floats: refuse any float
// beyond +-2^31 up front, naming its path (found by fuzz/fuzz_config).
void check_json_numbers(const json& j, const std::string& path, int depth) {
  RDC_CHECK(depth <= 64, "config.json: nesting deeper than 64 levels at {}", path);
  if (j.is_number_float()) {
    const double v = j.get<double>();
    RDC_CHECK(std::isfinite(v) && std::abs(v) < 2147483648.0, "config.json: number {} at {} is out of range", v,
              path);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) check_json_numbers(it.value(), path + "/" + it.key(), depth + 1);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) check_json_numbers(j[i], path + "/" + std::to_string(i), depth + 1);
  }
}

}  // namespace

RunConfig config_from_json(const json& j) {
  RunConfig c;
  RDC_CHECK(j.is_object(), "config.json: expected a JSON object, got {}", j.type_name());
  check_json_numbers(j, "", 0);
  try {
    c.command = j.value("command", "train");
    c.method = j.value("method", "rdc");
    c.data = j.at("data").get<std::string>();
    c.protocol = parse_protocol(j.value("protocol", "all"));
    if (j.contains("load")) {
      const auto& l = j["load"];
      c.load.labels_from_folders = l.value("labels_from_folders", true);
      c.load.csv_header = l.value("csv_header", false);
      c.load.csv_label_column = l.value("csv_label_column", -1);
      c.load.npz_key = l.value("npz_key", "");
    }
    c.ctx.seed = j.value("seed", uint64_t{42});
    c.clusters = j.value("clusters", int64_t{0});
    if (j.contains("pretext")) c.pretext = pretext_config_from_json(j["pretext"]);
    if (j.contains("kmeans")) c.kmeans.spherical = j["kmeans"].value("spherical", false);
  } catch (const json::exception& e) {
    RDC_FAIL("config.json: {}", e.what());
  }
  return c;
}

json read_json_file(const std::string& path) {
  std::string s = read_file(path);
  try {
    int max_depth = 0;
    json::parser_callback_t cb = [&max_depth](int depth, json::parse_event_t, json&) {
      if (depth > 64) throw ::rdc::Error("JSON nesting deeper than 64 levels");
      max_depth = std::max(max_depth, depth);
      return true;
    };
    return json::parse(s, cb);
  } catch (const json::exception& e) {
    RDC_FAIL("{}: invalid JSON: {}", path, e.what());
  }
}

void write_json_file(const std::string& path, const json& j) { write_file_atomic(path, j.dump(2) + "\n"); }

void append_jsonl(const std::string& path, const json& j) {
  std::string line = j.dump() + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  RDC_CHECK(fd >= 0, "cannot append to '{}': {}", path, std::strerror(errno));
  ssize_t w = ::write(fd, line.data(), line.size());
  ::fsync(fd);
  ::close(fd);
  RDC_CHECK(w == static_cast<ssize_t>(line.size()), "short write to '{}'", path);
}

ProtocolSplit load_for_run(const RunConfig& cfg) {
  Dataset d = load_dataset(cfg.data, cfg.load);
  spdlog::info("data: {} samples of shape [{}] ({}) from {}", d.n(),
               fmt::join(d.shape.begin() + 1, d.shape.end(), "x"), modality_name(d.modality()), d.source);
  if (cfg.protocol == Protocol::kAll) {  // no copies: fit and score are the same rows
    ProtocolSplit ps;
    ps.fit = std::move(d);
    return ps;
  }
  return apply_protocol(d, cfg.protocol);
}

int64_t resolve_clusters(const RunConfig& cfg, const Dataset& scored) {
  if (cfg.clusters > 0) return cfg.clusters;
  RDC_CHECK(scored.has_labels(),
            "--clusters K is required: '{}' has no labels to take the number of classes from", cfg.data);
  int64_t k = scored.num_classes();
  spdlog::info("--clusters not given: using K = {} (the number of label classes; labels are not used otherwise)",
               k);
  return k;
}

std::vector<std::string> cluster_size_warnings(const std::vector<int64_t>& sizes, size_t n) {
  const auto k = static_cast<int64_t>(sizes.size());
  int64_t nonempty = 0, largest = 0;
  for (auto s : sizes) {
    nonempty += s > 0;
    largest = std::max(largest, s);
  }
  std::vector<std::string> w;
  if (nonempty < k) w.push_back(fmt::format("{} of {} clusters used", nonempty, k));
  if (nonempty < 0.9 * k && k > 2) w.push_back(fmt::format("fewer than 90% of the {} clusters are non-empty", k));
  if (n > 10 && largest > 0.9 * n)
    w.push_back(fmt::format("collapse: {:.1f}% of points in one cluster", 100.0 * largest / n));
  return w;
}

void write_report_or_warn(const std::string& run_dir) {
  try {
    write_report(run_dir);
  } catch (const Error& e) {
    spdlog::warn("could not write the report: {}", e.what());
  }
}

json score_assignments(const Dataset& scored, const std::vector<int64_t>& pred, int64_t k,
                       std::vector<std::string>* warnings, const std::string& what) {
  std::vector<int64_t> sizes(k, 0);
  for (auto p : pred)
    if (p >= 0 && p < k) sizes[p]++;
  for (const auto& w : cluster_size_warnings(sizes, pred.size())) {
    spdlog::warn("{}: {}", what, w);
    if (warnings) warnings->push_back(what + ": " + w);
  }
  json j;
  if (scored.has_labels()) {
    j = json::parse(metrics_to_json(evaluate_clustering(scored.labels, pred, k)));
  } else {
    j["labels"] = false;
    j["cluster_sizes"] = sizes;
    j["num_nonempty_clusters"] = std::count_if(sizes.begin(), sizes.end(), [](int64_t c) { return c > 0; });
  }
  return j;
}

void write_assignments(const std::string& run_dir, const Dataset& scored, const std::vector<int64_t>& pred,
                       const std::string& prefix) {
  write_npy(join_path(run_dir, prefix + ".npy"), pred, {static_cast<int64_t>(pred.size())});
  write_assignments_csv(join_path(run_dir, prefix + ".csv"), pred, scored.names, scored.labels);
}

KMeansResult cluster_embedding(const std::vector<float>& z, int64_t n, int64_t d, int64_t k, bool spherical,
                               const RunConfig& cfg) {
  KMeansParams p = cfg.kmeans;
  p.k = k;
  p.spherical = spherical;
  return kmeans_fit(z.data(), n, d, p, cfg.ctx);
}

void clear_previous_run(const std::string& out_dir) {
  if (!file_exists(join_path(out_dir, "config.json"))) return;  // not a run folder: touch nothing
  std::vector<std::string> removed;
  auto drop = [&](const std::string& path) {
    std::error_code ec;
    if (std::filesystem::remove(path, ec)) removed.push_back(path);
  };
  for (const char* f : {"metrics.json", "embedding.npy", "embedding_phase1.npy", "centroids.npy", "assignments.npy",
                        "assignments.csv", "phase1_stats.jsonl", "phase2_stats.jsonl", "dec_stats.jsonl",
                        "gradient_cosines.csv", "report.html", "diagnostics.json", "diagnostics.csv"})
    drop(join_path(out_dir, f));
  const std::string ck = join_path(out_dir, "checkpoints");
  std::error_code ec;
  if (std::filesystem::is_directory(ck, ec)) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(ck, ec)) files.push_back(e.path().filename().string());
    for (const auto& name : files) {
      const bool ours = name == "phase2_graph.npy" || ((name.rfind("phase1_", 0) == 0 || name.rfind("phase2_", 0) == 0 ||
                                                          name.rfind("final_", 0) == 0 || name.rfind("dec_", 0) == 0) &&
                                                         name.size() > 3 && name.compare(name.size() - 3, 3, ".pt") == 0);
      if (ours) drop(join_path(ck, name));
    }
  }
  if (!removed.empty())
    spdlog::warn("'{}' held a previous run: its {} result and checkpoint files were removed so that the folder holds "
                 "only this run (use --resume to continue a run, or another --out to keep it)",
                 out_dir, removed.size());
}

void run_kmeans(const RunConfig& cfg_in) {
  RunConfig cfg = cfg_in;
  cfg.validate();
  auto t0 = std::chrono::steady_clock::now();
  apply_threads_omp(cfg.ctx);
  // the run folder is created only once the input has loaded and k-means has run: a failed call
  // (missing file, NaN, K > N) leaves nothing behind
  ProtocolSplit ps = load_for_run(cfg);
  const Dataset& scored = scored_rows(ps, cfg.protocol);
  const int64_t k = resolve_clusters(cfg, scored);
  cfg.clusters = k;
  const int64_t d = ps.fit.sample_size();
  KMeansResult km = cluster_embedding(ps.fit.x, ps.fit.n(), d, k, cfg.kmeans.spherical, cfg);
  make_dirs(cfg.out_dir);
  clear_previous_run(cfg.out_dir);
  write_json_file(join_path(cfg.out_dir, "config.json"), config_to_json(cfg));
  std::vector<int64_t> pred =
      (cfg.protocol == Protocol::kAll) ? km.assignments
                                       : kmeans_predict(scored.x.data(), scored.n(), d, km.centroids,
                                                        cfg.kmeans.spherical);
  write_assignments(cfg.out_dir, scored, pred);
  write_npy(join_path(cfg.out_dir, "centroids.npy"), km.centroids, {k, d});
  std::vector<std::string> warnings;
  json m;
  m["raw_kmeans"] = score_assignments(scored, pred, k, &warnings, "k-means (raw input)");
  m["final"] = m["raw_kmeans"];
  m["method"] = "kmeans";
  m["protocol"] = protocol_name(cfg.protocol);
  m["seed"] = cfg.ctx.seed;
  m["k"] = k;
  m["n"] = scored.n();
  m["labels"] = scored.has_labels();
  m["objective"] = km.objective;
  m["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m["peak_rss_mb"] = peak_rss_mb();
  m["warnings"] = warnings;
  write_json_file(join_path(cfg.out_dir, "metrics.json"), m);
  if (scored.has_labels())
    spdlog::info("k-means (raw input): ACC {:.4f}  NMI {:.4f}  ARI {:.4f}  ({:.1f} s)", m["final"]["acc"].get<double>(),
                 m["final"]["nmi"].get<double>(), m["final"]["ari"].get<double>(), m["wall_seconds"].get<double>());
  spdlog::info("wrote {}", cfg.out_dir);
}

}  // namespace rdc
