// Cost of one phase-2 refresh and of the final k-means as N grows (issue 5, `bench/scale.sh`).
// Synthetic vectors: a seeded mixture of 50 Gaussians in d dimensions. One process per N, so the
// peak RSS printed is that N's own. Prints one JSON line:
//   {"n":..., "d":..., "k":..., "knn_s":..., "approximate":..., "filter_s":..., "core_s":...,
//    "centroids_s":..., "refresh_s":..., "kmeans_s":..., "peak_rss_mb":...}
// Usage: scale --n 100000 [--d 64] [--knn 10] [--clusters 10] [--restarts 10] [--threads 0]
//
// The consistency filter is run against a second graph built on the same points with small noise
// added (a stand-in for the previous round's graph); building that reference is not timed, since
// a real refresh keeps the previous round's graph from the round before.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "rdc/cluster/kmeans.h"
#include "rdc/core/context.h"
#include "rdc/core/error.h"
#include "rdc/proximity/filters.h"
#include "rdc/proximity/knn.h"

using rdc::bench::now_s;
using rdc::bench::peak_rss_mb;

int main(int argc, char** argv) {
  int64_t n = 100000, d = 64, knn = 10, clusters = 10;
  int restarts = 10, threads = 0;
  const bool ok = rdc::bench::parse_options(
      argc, argv, 1,
      {{"--n", [&](const std::string& v) { n = std::stoll(v); }},
       {"--d", [&](const std::string& v) { d = std::stoll(v); }},
       {"--knn", [&](const std::string& v) { knn = std::stoll(v); }},
       {"--clusters", [&](const std::string& v) { clusters = std::stoll(v); }},
       {"--restarts", [&](const std::string& v) { restarts = std::stoi(v); }},
       {"--threads", [&](const std::string& v) { threads = std::stoi(v); }}});
  if (!ok) return 2;
  try {
    rdc::Context ctx;
    ctx.threads = threads;
    ctx.seed = 7;
    ctx.validate();
    rdc::apply_threads_omp(ctx);
    // data: 50 Gaussian blobs, unit variance, centres spread at scale 4
    std::mt19937_64 rng(ctx.seed);
    std::normal_distribution<float> g(0.f, 1.f);
    const int64_t blobs = 50;
    std::vector<float> centres(static_cast<size_t>(blobs * d));
    for (auto& c : centres) c = 4.f * g(rng);
    std::vector<float> x(static_cast<size_t>(n * d)), x2(x.size());
    std::uniform_int_distribution<int64_t> pick(0, blobs - 1);
    for (int64_t i = 0; i < n; ++i) {
      const float* c = centres.data() + pick(rng) * d;
      for (int64_t j = 0; j < d; ++j) {
        const float v = c[j] + g(rng);
        x[static_cast<size_t>(i * d + j)] = v;
        x2[static_cast<size_t>(i * d + j)] = v + 0.1f * g(rng);
      }
    }
    rdc::KnnParams kp;
    kp.k = knn;
    const rdc::KnnGraph ref = rdc::build_knn_graph(x2.data(), n, d, kp, ctx);
    std::vector<float>().swap(x2);

    double t = now_s();
    const rdc::KnnGraph graph = rdc::build_knn_graph(x.data(), n, d, kp, ctx);
    const double knn_s = now_s() - t;
    t = now_s();
    rdc::DualFilterParams fp;
    const rdc::ReliableNeighbours rel = rdc::dual_filter(graph, &ref, fp);
    const double filter_s = now_s() - t;
    t = now_s();
    const std::vector<int64_t> core = rdc::core_points(rel, graph.k, 0.5);
    const double core_s = now_s() - t;
    t = now_s();
    const std::vector<float> cent = rdc::neighbour_centroids(x.data(), n, d, rel, core, false);
    const double centroids_s = now_s() - t;
    const double rss_refresh = peak_rss_mb();

    rdc::KMeansParams km;
    km.k = clusters;
    km.n_init = restarts;
    t = now_s();
    const rdc::KMeansResult res = rdc::kmeans_fit(x.data(), n, d, km, ctx);
    const double kmeans_s = now_s() - t;
    std::printf(
        "{\"n\": %lld, \"d\": %lld, \"k\": %lld, \"threads\": %d, \"approximate\": %s, \"knn_s\": %.3f, "
        "\"filter_s\": %.4f, \"core_s\": %.4f, \"centroids_s\": %.4f, \"refresh_s\": %.3f, "
        "\"core_fraction\": %.4f, \"mean_reliable\": %.3f, \"refresh_peak_rss_mb\": %.0f, "
        "\"kmeans_s\": %.3f, \"kmeans_clusters\": %lld, \"kmeans_restarts\": %d, \"kmeans_objective\": %.6g, "
        "\"peak_rss_mb\": %.0f}\n",
        static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(graph.k),
        ctx.effective_threads(), graph.approximate ? "true" : "false", knn_s, filter_s, core_s, centroids_s,
        knn_s + filter_s + core_s + centroids_s, static_cast<double>(core.size()) / static_cast<double>(n),
        rel.mean_count(), rss_refresh, kmeans_s, static_cast<long long>(clusters), restarts, res.objective,
        peak_rss_mb());
    (void)cent;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scale: %s\n", e.what());
    return 1;
  }
  return 0;
}
