#!/usr/bin/python3
"""Offline diagnosis of a finished run (labels read here, never by rdc during training).

For each embedding in RUN (embedding_phase1.npy, embedding.npy) prints the k-NN label purity
(fraction of each point's k nearest neighbours that share its label) and k-means ACC/NMI on the raw
and on the L2-normalised embedding. Labels come from RUN/assignments.csv (column `label`).

Usage: /usr/bin/python3 bench/embedding_purity.py RUN [RUN ...] [--k 10]
"""
import csv, os, sys
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from sklearn.neighbors import NearestNeighbors


def acc(y, p):
    k = max(y.max(), p.max()) + 1
    w = np.zeros((k, k), dtype=np.int64)
    np.add.at(w, (p, y), 1)
    r, c = linear_sum_assignment(-w)
    return w[r, c].sum() / len(y)


def purity(z, y, k):
    nn = NearestNeighbors(n_neighbors=k + 1).fit(z)
    idx = nn.kneighbors(z, return_distance=False)[:, 1:]
    return float((y[idx] == y[:, None]).mean())


def main():
    args = sys.argv[1:]
    k = 10
    if "--k" in args:
        i = args.index("--k"); k = int(args[i + 1]); del args[i:i + 2]
    if not args:
        print(__doc__); sys.exit(2)
    print("| run | embedding | space | k-NN purity | k-means ACC | NMI |")
    print("|---|---|---|---|---|---|")
    for run in args:
        with open(os.path.join(run, "assignments.csv")) as f:
            rows = list(csv.DictReader(f))
        if not rows or "label" not in rows[0]:
            print(f"{run}: no labels in assignments.csv", file=sys.stderr); continue
        y = np.array([int(r["label"]) for r in rows])
        K = len(np.unique(y))
        for name in ("embedding_phase1.npy", "embedding.npy"):
            path = os.path.join(run, name)
            if not os.path.exists(path):
                continue
            z = np.load(path).astype(np.float32).reshape(len(y), -1)
            for space, e in (("raw", z), ("l2", z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12))):
                p = KMeans(K, n_init=10, random_state=0).fit_predict(e)
                print(f"| {os.path.basename(run.rstrip('/'))} | {name} | {space} | {purity(e, y, k):.3f} | "
                      f"{acc(y, p):.3f} | {normalized_mutual_info_score(y, p):.3f} |", flush=True)


if __name__ == "__main__":
    main()
