#include "rdc/proximity/filters.h"

#include <algorithm>
#include <cmath>

#include "rdc/core/error.h"

namespace rdc {

namespace {

/// Each row of the graph sorted by id (n x k, -1 entries sort first), for O(log k) membership tests.
std::vector<int64_t> sorted_rows(const KnnGraph& g) {
  std::vector<int64_t> s = g.ids;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < g.n; ++i) std::sort(s.begin() + i * g.k, s.begin() + (i + 1) * g.k);
  return s;
}

bool row_contains(const std::vector<int64_t>& sorted, int64_t k, int64_t row, int64_t id) {
  const auto begin = sorted.begin() + row * k;
  return std::binary_search(begin, begin + k, id);
}

void check_graph(const KnnGraph& g, const char* what) {
  RDC_CHECK(g.n >= 0 && g.k >= 0 && static_cast<int64_t>(g.ids.size()) == g.n * g.k,
            "dual_filter: {} graph has n={} k={} but {} ids (expected n*k)", what, g.n, g.k, g.ids.size());
}

}  // namespace

double ReliableNeighbours::mean_count() const {
  const int64_t n = offsets.empty() ? 0 : static_cast<int64_t>(offsets.size()) - 1;
  return n == 0 ? 0.0 : static_cast<double>(ids.size()) / n;
}

ReliableNeighbours dual_filter(const KnnGraph& graph, const KnnGraph* reference, const DualFilterParams& p) {
  check_graph(graph, "current");
  if (p.consistency) {
    RDC_CHECK(reference != nullptr, "dual_filter: consistency=true needs a reference graph (got none)");
    check_graph(*reference, "reference");
    RDC_CHECK(reference->n == graph.n, "dual_filter: reference graph has n={} but the current graph has n={}",
              reference->n, graph.n);
  }
  const int64_t n = graph.n, k = graph.k;
  for (int64_t t = 0; t < n * k; ++t)
    RDC_CHECK(graph.ids[t] >= -1 && graph.ids[t] < n, "dual_filter: neighbour id {} of row {} is outside [0, {})",
              graph.ids[t], t / std::max<int64_t>(k, 1), n);

  std::vector<int64_t> own_sorted, ref_sorted;
  if (p.mutual) own_sorted = sorted_rows(graph);
  if (p.consistency) ref_sorted = sorted_rows(*reference);
  const int64_t rk = p.consistency ? reference->k : 0;

  // Pass 1 marks kept edges and counts them per row; pass 2 compacts into CSR (original order kept).
  std::vector<char> keep(n * k, 0);
  ReliableNeighbours r;
  r.offsets.assign(n + 1, 0);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    int64_t count = 0;
    for (int64_t t = 0; t < k; ++t) {
      const int64_t j = graph.ids[i * k + t];
      if (j < 0 || j == i) continue;
      if (p.mutual && !row_contains(own_sorted, k, j, i)) continue;
      if (p.consistency && !row_contains(ref_sorted, rk, i, j)) continue;
      keep[i * k + t] = 1;
      ++count;
    }
    r.offsets[i + 1] = count;
  }
  for (int64_t i = 0; i < n; ++i) r.offsets[i + 1] += r.offsets[i];
  r.ids.resize(r.offsets[n]);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    int64_t out = r.offsets[i];
    for (int64_t t = 0; t < k; ++t)
      if (keep[i * k + t]) r.ids[out++] = graph.ids[i * k + t];
  }
  return r;
}

std::vector<int64_t> core_points(const ReliableNeighbours& r, int64_t k, double s) {
  RDC_CHECK(k >= 0, "core_points: k={} must be >= 0", k);
  RDC_CHECK(s >= 0.0 && s <= 1.0, "core_points: s={} must be in [0, 1]", s);
  // ceil with a small tolerance so that e.g. s = 0.7, k = 10 needs 7 (not 8 through rounding error).
  const int64_t need = static_cast<int64_t>(std::ceil(s * static_cast<double>(k) - 1e-9));
  const int64_t n = r.offsets.empty() ? 0 : static_cast<int64_t>(r.offsets.size()) - 1;
  std::vector<int64_t> core;
  for (int64_t i = 0; i < n; ++i)
    if (r.count(i) >= need) core.push_back(i);
  return core;
}

std::vector<float> neighbour_centroids(const float* z, int64_t n, int64_t d, const ReliableNeighbours& r,
                                       const std::vector<int64_t>& core, bool normalize) {
  RDC_CHECK(static_cast<int64_t>(r.offsets.size()) == n + 1,
            "neighbour_centroids: reliable neighbours cover {} points but z has n={}",
            r.offsets.empty() ? 0 : r.offsets.size() - 1, n);
  RDC_CHECK(d >= 1, "neighbour_centroids: d={} must be >= 1", d);
  const int64_t m = static_cast<int64_t>(core.size());
  for (int64_t c = 0; c < m; ++c)
    RDC_CHECK(core[c] >= 0 && core[c] < n, "neighbour_centroids: core point {} is outside [0, {})", core[c], n);
  std::vector<float> out(m * d);
#pragma omp parallel
  {
    std::vector<double> acc(d);
#pragma omp for schedule(static)
    for (int64_t c = 0; c < m; ++c) {
      const int64_t i = core[c];
      for (int64_t t = 0; t < d; ++t) acc[t] = z[i * d + t];
      for (int64_t e = r.offsets[i]; e < r.offsets[i + 1]; ++e) {
        const float* zj = z + r.ids[e] * d;
        for (int64_t t = 0; t < d; ++t) acc[t] += zj[t];
      }
      const double members = static_cast<double>(r.count(i) + 1);
      double norm2 = 0;
      for (int64_t t = 0; t < d; ++t) {
        acc[t] /= members;
        norm2 += acc[t] * acc[t];
      }
      const double scale = (normalize && norm2 > 0) ? 1.0 / std::sqrt(norm2) : 1.0;
      for (int64_t t = 0; t < d; ++t) out[c * d + t] = static_cast<float>(acc[t] * scale);
    }
  }
  return out;
}

}  // namespace rdc
