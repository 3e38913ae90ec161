#include "rdc/proximity/knn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <spdlog/spdlog.h>

#include "rdc/cluster/kmeans.h"
#include "rdc/core/error.h"
#include "rdc/data/dataset.h"

namespace rdc {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

void validate(const KnnParams& p) {
  RDC_CHECK(p.k >= 1, "knn: k={} must be >= 1", p.k);
  RDC_CHECK(p.exact_max_n >= 0, "knn: exact_max_n={} must be >= 0", p.exact_max_n);
  RDC_CHECK(p.block_rows >= 1, "knn: block_rows={} must be >= 1", p.block_rows);
  RDC_CHECK(p.nprobe >= 1, "knn: nprobe={} must be >= 1", p.nprobe);
}

/// Number of IVF lists for n points: about 4 sqrt(n), at most n.
int64_t ivf_nlist(int64_t n) {
  const int64_t nlist = static_cast<int64_t>(std::lround(4.0 * std::sqrt(static_cast<double>(n))));
  return std::clamp<int64_t>(nlist, 1, n);
}

/// Trains an IVF-Flat index on a seeded sample of `data` and adds all rows.
std::unique_ptr<faiss::Index> make_ivf(const float* data, int64_t n, int64_t d, bool inner_product, int nprobe,
                                       uint64_t seed, std::unique_ptr<faiss::Index>* quantizer) {
  const int64_t nlist = ivf_nlist(n);
  if (inner_product)
    *quantizer = std::make_unique<faiss::IndexFlatIP>(d);
  else
    *quantizer = std::make_unique<faiss::IndexFlatL2>(d);
  auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer->get(), d, nlist,
                                                   inner_product ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2);
  ivf->cp.seed = static_cast<int>(derive_seed(seed, "knn/ivf-kmeans") & 0x7fffffff);
  ivf->cp.min_points_per_centroid = 1;  // no faiss stderr warning for small n
  ivf->cp.spherical = inner_product;
  ivf->cp.verbose = false;
  ivf->verbose = false;

  // Seeded training sample (64 points per list) in index order.
  const int64_t sample_n = std::min<int64_t>(n, 64 * nlist);
  std::vector<float> sample;
  const float* train = data;
  if (sample_n < n) {
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    std::mt19937_64 rng(derive_seed(seed, "knn/ivf-sample"));
    for (int64_t i = 0; i < sample_n; ++i) {
      std::uniform_int_distribution<int64_t> pick(i, n - 1);
      std::swap(perm[i], perm[pick(rng)]);
    }
    perm.resize(sample_n);
    std::sort(perm.begin(), perm.end());
    sample.resize(sample_n * d);
    for (int64_t i = 0; i < sample_n; ++i) std::copy(data + perm[i] * d, data + (perm[i] + 1) * d, &sample[i * d]);
    train = sample.data();
  }
  ivf->train(sample_n, train);
  ivf->add(n, data);
  ivf->nprobe = static_cast<size_t>(std::min<int64_t>(nprobe, nlist));
  return ivf;
}

}  // namespace

KnnGraph build_knn_graph(const float* x, int64_t n, int64_t d, const KnnParams& p, const Context& ctx) {
  validate(p);
  ctx.validate();
  RDC_CHECK(n >= 2, "knn: n={} points; a k-NN graph needs at least 2 points (self is excluded)", n);
  RDC_CHECK(d >= 1, "knn: d={} must be >= 1", d);
  check_finite(x, n, d, "knn input");
  apply_threads_omp(ctx);

  int64_t k = p.k;
  if (k > n - 1) {
    spdlog::warn("knn: k={} neighbours requested but only n={} points; using k={} (n-1)", p.k, n, n - 1);
    k = n - 1;
  }
  const bool approximate = n > p.exact_max_n;
  const int64_t kq = k + 1;  // self is searched too, then removed by index
  const int64_t block = std::min(p.block_rows, n);

  const double results_mib = static_cast<double>(n) * k * (8 + 4) / kMiB;
  const double block_mib = static_cast<double>(block) * kq * (8 + 4) / kMiB;
  const double copy_mib = static_cast<double>(n) * d * 4 * (p.cosine ? 2 : 1) / kMiB;  // index (+ normalised copy)
  const double tile_mib = approximate ? 0.0 : 4096.0 * 1024.0 * 4 / kMiB;               // faiss BLAS distance tile
  spdlog::info(
      "knn: n={} d={} k={} {} {} search in blocks of {} rows; memory ~{:.1f} MiB (results {:.1f}, data copies {:.1f}, "
      "block buffers {:.1f})",
      n, d, k, approximate ? "approximate (IVF-Flat)" : "exact", p.cosine ? "cosine" : "L2", block,
      results_mib + block_mib + copy_mib + tile_mib, results_mib, copy_mib, block_mib + tile_mib);

  std::vector<float> normalised;
  const float* data = x;
  if (p.cosine) {
    normalised.assign(x, x + n * d);
    l2_normalize_rows(normalised.data(), n, d);
    data = normalised.data();
  }

  std::unique_ptr<faiss::Index> quantizer, index;
  if (approximate) {
    index = make_ivf(data, n, d, p.cosine, p.nprobe, ctx.seed, &quantizer);
    spdlog::info("knn: IVF-Flat with {} lists, nprobe {}", ivf_nlist(n), std::min<int64_t>(p.nprobe, ivf_nlist(n)));
  } else {
    if (p.cosine)
      index = std::make_unique<faiss::IndexFlatIP>(d);
    else
      index = std::make_unique<faiss::IndexFlatL2>(d);
    index->add(n, data);
  }

  KnnGraph g;
  g.n = n;
  g.k = k;
  g.approximate = approximate;
  g.ids.assign(n * k, -1);
  g.dist.assign(n * k, std::numeric_limits<float>::infinity());
  std::vector<float> bd(block * kq);
  std::vector<faiss::Index::idx_t> bi(block * kq);
  for (int64_t b0 = 0; b0 < n; b0 += block) {
    const int64_t bn = std::min(block, n - b0);
    index->search(bn, data + b0 * d, kq, bd.data(), bi.data());
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < bn; ++r) {
      const int64_t i = b0 + r;
      const faiss::Index::idx_t* ri = bi.data() + r * kq;
      const float* rd = bd.data() + r * kq;
      // Drop self wherever it appears (exact duplicates tie with it); if absent, drop the last.
      int64_t skip = kq - 1;
      for (int64_t t = 0; t < kq; ++t)
        if (ri[t] == i) {
          skip = t;
          break;
        }
      int64_t out = 0;
      for (int64_t t = 0; t < kq && out < k; ++t) {
        if (t == skip) continue;
        g.ids[i * k + out] = ri[t];
        if (ri[t] >= 0) g.dist[i * k + out] = p.cosine ? 1.0f - rd[t] : std::max(0.0f, rd[t]);
        ++out;
      }
    }
  }
  return g;
}

KnnGraph truncate_graph(const KnnGraph& g, int64_t k) {
  RDC_CHECK(k >= 0 && k <= g.k, "truncate_graph: k={} must be in [0, {}]", k, g.k);
  KnnGraph t;
  t.n = g.n;
  t.k = k;
  t.approximate = g.approximate;
  t.ids.resize(g.n * k);
  const bool has_dist = static_cast<int64_t>(g.dist.size()) == g.n * g.k;
  if (has_dist) t.dist.resize(g.n * k);
  for (int64_t i = 0; i < g.n; ++i) {
    std::copy(g.ids.begin() + i * g.k, g.ids.begin() + i * g.k + k, t.ids.begin() + i * k);
    if (has_dist) std::copy(g.dist.begin() + i * g.k, g.dist.begin() + i * g.k + k, t.dist.begin() + i * k);
  }
  return t;
}

double graph_change(const KnnGraph& a, const KnnGraph& b) {
  RDC_CHECK(a.n == b.n, "graph_change: graphs have n={} and n={}; they must be equal", a.n, b.n);
  int64_t edges = 0, changed = 0;
#pragma omp parallel for schedule(static) reduction(+ : edges, changed)
  for (int64_t i = 0; i < a.n; ++i) {
    std::vector<int64_t> rb(b.row(i), b.row(i) + b.k);
    std::sort(rb.begin(), rb.end());
    const int64_t* ra = a.row(i);
    for (int64_t t = 0; t < a.k; ++t) {
      if (ra[t] < 0) continue;
      ++edges;
      if (!std::binary_search(rb.begin(), rb.end(), ra[t])) ++changed;
    }
  }
  return edges == 0 ? 0.0 : static_cast<double>(changed) / edges;
}

}  // namespace rdc
