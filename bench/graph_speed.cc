// rdc's side of bench/speed.sh: the phase-2 k-NN graph and the final k-means on an embedding
// (.npy, N x d float32), timed inside one process; peak RSS is this process's own.
// Usage: graph_speed EMB.npy [--knn 10] [--clusters 10] [--iters 50] [--restarts 1] [--threads 0]
//                    [--cosine 0|1]
// Prints one JSON line per step: {"impl": "rdc", "step": "knn"|"kmeans", "seconds": ..., ...}.
// k-means runs a fixed number of Lloyd iterations (faiss has no early stop), so the python side
// (bench/speed_ref.py) runs scikit-learn at the same iteration count with tol = 0.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_util.h"
#include "rdc/cluster/kmeans.h"
#include "rdc/core/context.h"
#include "rdc/core/npy.h"
#include "rdc/proximity/knn.h"

using rdc::bench::now_s;
using rdc::bench::peak_rss_mb;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: graph_speed EMB.npy [--knn K] [--clusters C] [--iters I] [--restarts R] "
                         "[--threads T] [--cosine 0|1]\n");
    return 2;
  }
  const std::string path = argv[1];
  int64_t knn = 10, clusters = 10;
  int iters = 50, restarts = 1, threads = 0;
  bool cosine = false;
  const bool ok = rdc::bench::parse_options(
      argc, argv, 2,
      {{"--knn", [&](const std::string& v) { knn = std::stoll(v); }},
       {"--clusters", [&](const std::string& v) { clusters = std::stoll(v); }},
       {"--iters", [&](const std::string& v) { iters = std::stoi(v); }},
       {"--restarts", [&](const std::string& v) { restarts = std::stoi(v); }},
       {"--threads", [&](const std::string& v) { threads = std::stoi(v); }},
       {"--cosine", [&](const std::string& v) { cosine = std::stoi(v) != 0; }}});
  if (!ok) return 2;
  try {
    rdc::Context ctx;
    ctx.threads = threads;
    ctx.validate();
    rdc::apply_threads_omp(ctx);
    const rdc::NpyArray a = rdc::read_npy(path);
    if (a.shape.size() != 2) throw std::runtime_error(path + ": expected a 2-D array");
    const int64_t n = a.shape[0], d = a.shape[1];
    std::vector<float> x = a.to_float();
    if (cosine) rdc::l2_normalize_rows(x.data(), n, d);
    rdc::KnnParams kp;
    kp.k = knn;
    kp.cosine = cosine;
    double t = now_s();
    const rdc::KnnGraph g = rdc::build_knn_graph(x.data(), n, d, kp, ctx);
    const double knn_s = now_s() - t;
    std::printf("{\"impl\": \"rdc\", \"step\": \"knn\", \"n\": %lld, \"d\": %lld, \"k\": %lld, \"threads\": %d, "
                "\"seconds\": %.3f, \"approximate\": %s, \"peak_rss_mb\": %.0f}\n",
                static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(g.k),
                ctx.effective_threads(), knn_s, g.approximate ? "true" : "false", peak_rss_mb());
    rdc::KMeansParams km;
    km.k = clusters;
    km.iters = iters;
    km.n_init = restarts;
    km.spherical = cosine;
    t = now_s();
    const rdc::KMeansResult r = rdc::kmeans_fit(x.data(), n, d, km, ctx);
    const double km_s = now_s() - t;
    std::printf("{\"impl\": \"rdc\", \"step\": \"kmeans\", \"n\": %lld, \"d\": %lld, \"clusters\": %lld, "
                "\"iters\": %d, \"restarts\": %d, \"threads\": %d, \"seconds\": %.3f, \"objective\": %.6g, "
                "\"peak_rss_mb\": %.0f}\n",
                static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(clusters), iters,
                restarts, ctx.effective_threads(), km_s, r.objective, peak_rss_mb());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "graph_speed: %s\n", e.what());
    return 1;
  }
  return 0;
}
