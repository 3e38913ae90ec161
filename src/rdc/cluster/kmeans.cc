#include "rdc/cluster/kmeans.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/core/interrupt.h"
#include "rdc/data/dataset.h"

namespace rdc {

namespace {

/// faiss's own threshold below which it warns ("please provide at least ... training points").
constexpr int64_t kMinPointsPerCentroid = 39;

std::vector<int64_t> nearest_centroid(const float* x, int64_t n, int64_t d, const std::vector<float>& centroids,
                                      bool inner_product, std::vector<float>* dist) {
  const int64_t k = static_cast<int64_t>(centroids.size()) / d;
  std::unique_ptr<faiss::IndexFlat> index;
  if (inner_product)
    index = std::make_unique<faiss::IndexFlatIP>(d);
  else
    index = std::make_unique<faiss::IndexFlatL2>(d);
  index->add(k, centroids.data());
  std::vector<faiss::Index::idx_t> labels(n);
  std::vector<float> local;
  if (dist == nullptr) dist = &local;
  dist->resize(n);
  index->search(n, x, 1, dist->data(), labels.data());
  return std::vector<int64_t>(labels.begin(), labels.end());
}

}  // namespace

void KMeansParams::validate(int64_t n) const {
  RDC_CHECK(k >= 1, "kmeans: k={} must be >= 1", k);
  RDC_CHECK(n >= k,
            "kmeans: k={} clusters requested but only n={} points; k must be <= n (reduce k or provide more data)",
            k, n);
  RDC_CHECK(k <= INT_MAX, "kmeans: k={} must be <= {}", k, INT_MAX);
  RDC_CHECK(n_init >= 1, "kmeans: n_init={} must be >= 1", n_init);
  RDC_CHECK(iters >= 1, "kmeans: iters={} must be >= 1", iters);
  RDC_CHECK(max_points_per_centroid >= 1, "kmeans: max_points_per_centroid={} must be >= 1",
            max_points_per_centroid);
}

void l2_normalize_rows(float* x, int64_t n, int64_t d) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float* r = x + i * d;
    double s = 0;
    for (int64_t j = 0; j < d; ++j) s += static_cast<double>(r[j]) * r[j];
    if (s <= 0) continue;
    const float inv = static_cast<float>(1.0 / std::sqrt(s));
    for (int64_t j = 0; j < d; ++j) r[j] *= inv;
  }
}

KMeansResult kmeans_fit(const float* x, int64_t n, int64_t d, const KMeansParams& p, const Context& ctx) {
  RDC_CHECK(d >= 1, "kmeans: d={} must be >= 1", d);
  RDC_CHECK(n >= 1, "kmeans: n={} must be >= 1", n);
  p.validate(n);
  ctx.validate();
  check_finite(x, n, d, "kmeans input");
  apply_threads_omp(ctx);

  const int64_t per_centroid = n / p.k;
  if (per_centroid < kMinPointsPerCentroid)
    spdlog::info("kmeans: {} points for {} centroids ({} per centroid, fewer than {}): fine, centroids may be noisy",
                 n, p.k, per_centroid, kMinPointsPerCentroid);

  // Spherical k-means runs on an L2-normalised copy; the caller's data is never modified.
  std::vector<float> normalised;
  const float* data = x;
  if (p.spherical) {
    normalised.assign(x, x + n * d);
    l2_normalize_rows(normalised.data(), n, d);
    data = normalised.data();
  }

  faiss::ClusteringParameters cp;
  cp.niter = p.iters;
  cp.nredo = 1;  // restarts are our own loop so that every restart's objective is recorded
  cp.verbose = p.verbose;
  cp.spherical = p.spherical;
  cp.min_points_per_centroid = 1;  // we log the small-cluster note ourselves (faiss prints to stderr)
  cp.max_points_per_centroid = static_cast<int>(std::min<int64_t>(p.max_points_per_centroid, INT_MAX));

  KMeansResult best;
  best.d = d;
  double best_obj = 0;
  for (int r = 0; r < p.n_init; ++r) {
    // Ctrl-C / SIGTERM: stop between restarts (a restart is seconds even on 70k x 784); nothing is
    // written, the command exits 130.
    if (interrupt_requested())
      throw Interrupted(fmt::format("k-means interrupted after {} of {} restarts; nothing was written for it", r,
                                    p.n_init));
    cp.seed = static_cast<int>(derive_seed(ctx.seed, fmt::format("kmeans/r{}", r)) & 0x7fffffff);
    faiss::Clustering clus(static_cast<int>(d), static_cast<int>(p.k), cp);
    std::unique_ptr<faiss::IndexFlat> index;
    if (p.spherical)
      index = std::make_unique<faiss::IndexFlatIP>(d);
    else
      index = std::make_unique<faiss::IndexFlatL2>(d);
    clus.train(n, data, *index);

    // Final assignment to the final centroids (the same rule as kmeans_predict) and the exact objective.
    std::vector<float> dist;
    std::vector<int64_t> assign = nearest_centroid(data, n, d, clus.centroids, p.spherical, &dist);
    double obj = 0;
    for (int64_t i = 0; i < n; ++i) obj += p.spherical ? 1.0 - dist[i] : std::max(0.0, static_cast<double>(dist[i]));
    best.restart_objectives.push_back(obj);
    if (p.verbose) spdlog::info("kmeans: restart {}/{} objective {:.6g}", r + 1, p.n_init, obj);
    if (r == 0 || obj < best_obj) {
      best_obj = obj;
      best.centroids = std::move(clus.centroids);
      best.assignments = std::move(assign);
    }
  }
  for (float v : best.centroids)
    RDC_CHECK(std::isfinite(v), "kmeans: internal error, non-finite centroid coordinate {}", v);

  best.objective = best_obj;
  best.sizes.assign(p.k, 0);
  for (int64_t a : best.assignments) ++best.sizes[a];
  const int64_t empty = std::count(best.sizes.begin(), best.sizes.end(), 0);
  if (empty > 0) spdlog::info("kmeans: {} of {} clusters are empty after the final assignment", empty, p.k);
  return best;
}

std::vector<int64_t> kmeans_predict(const float* x, int64_t n, int64_t d, const std::vector<float>& centroids,
                                    bool spherical) {
  RDC_CHECK(d >= 1, "kmeans_predict: d={} must be >= 1", d);
  RDC_CHECK(!centroids.empty() && centroids.size() % d == 0,
            "kmeans_predict: centroids hold {} floats, not a non-empty multiple of d={}", centroids.size(), d);
  if (n == 0) return {};
  check_finite(x, n, d, "kmeans_predict input");
  if (!spherical) return nearest_centroid(x, n, d, centroids, false, nullptr);
  std::vector<float> normalised(x, x + n * d);
  l2_normalize_rows(normalised.data(), n, d);
  return nearest_centroid(normalised.data(), n, d, centroids, true, nullptr);
}

}  // namespace rdc
