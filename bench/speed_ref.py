#!/usr/bin/python3
"""Reference side of bench/speed.sh: the same k-NN graph and k-means as bench/graph_speed.cc,
with scikit-learn and with faiss called directly from Python. One implementation per process so
the peak RSS printed is its own. Prints one JSON line.

  speed_ref.py EMB.npy --impl sklearn-knn|faiss-knn|sklearn-kmeans [--knn 10] [--clusters 10]
               [--iters 50] [--threads 2] [--cosine 0|1]
"""
import argparse, json, os, resource, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("emb")
ap.add_argument("--impl", required=True, choices=["sklearn-knn", "faiss-knn", "sklearn-kmeans"])
ap.add_argument("--knn", type=int, default=10)
ap.add_argument("--clusters", type=int, default=10)
ap.add_argument("--iters", type=int, default=50)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--cosine", type=int, default=0)
a = ap.parse_args()
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = str(a.threads)
import numpy as np  # after the thread variables

x = np.load(a.emb).astype(np.float32)
if a.cosine:
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
n, d = x.shape
row = {"impl": a.impl, "n": n, "d": d, "threads": a.threads}
t = time.perf_counter()
if a.impl == "sklearn-knn":
    from sklearn.neighbors import NearestNeighbors
    nn = NearestNeighbors(n_neighbors=a.knn + 1, n_jobs=a.threads).fit(x)
    nn.kneighbors(x)
    row.update(step="knn", k=a.knn, algorithm=nn._fit_method)
elif a.impl == "faiss-knn":
    import faiss
    faiss.omp_set_num_threads(a.threads)
    index = faiss.IndexFlatIP(d) if a.cosine else faiss.IndexFlatL2(d)
    index.add(x)
    index.search(x, a.knn + 1)
    row.update(step="knn", k=a.knn, algorithm="IndexFlat")
else:
    from sklearn.cluster import KMeans
    km = KMeans(n_clusters=a.clusters, n_init=1, max_iter=a.iters, tol=0.0, algorithm="lloyd", random_state=0).fit(x)
    row.update(step="kmeans", clusters=a.clusters, iters=a.iters, restarts=1, objective=float(km.inertia_),
               iters_run=int(km.n_iter_))
row["seconds"] = round(time.perf_counter() - t, 3)
row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
print(json.dumps(row))
