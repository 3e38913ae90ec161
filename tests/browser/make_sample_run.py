#!/usr/bin/python3
"""Writes a small synthetic run directory (the files of docs/run-directory.md) for trying
`rdc report` and tests/browser/check_report.sh without training anything.

Test fixture only (/usr/bin/python3 + numpy). The data is the committed BreastMNIST copy
(or any .npz of MedMNIST layout given with --data); the "embedding" is the mean of 8
horizontal bands of each image plus an offset per cluster, the clusters are the labels with
every 7th sample moved to the next cluster.

usage: make_sample_run.py OUT_DIR [--data NPZ] [--k K] [--no-labels] [--no-phase2]
"""
import argparse
import json
import os

import numpy as np


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--data", default=os.path.join(here, "..", "testdata", "real", "breastmnist.npz"))
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--no-labels", action="store_true", help="metrics.json says labels: false")
    ap.add_argument("--no-phase2", action="store_true", help="do not write phase2_stats.jsonl")
    a = ap.parse_args()
    data = os.path.abspath(a.data)
    os.makedirs(a.out, exist_ok=True)

    z = np.load(data)
    x = z["test_images"].astype(np.float32) / 255.0          # protocol train-test: score = test
    labels = z["test_labels"].reshape(-1).astype(np.int64)
    n = x.shape[0]
    k = a.k
    assign = labels % k
    assign[::7] = (assign[::7] + 1) % k
    flat = x.reshape(n, x.shape[1], -1)
    emb = np.stack([flat[:, b * x.shape[1] // 8:(b + 1) * x.shape[1] // 8].mean(axis=(1, 2)) for b in range(8)], 1)
    emb[np.arange(n), assign % 8] += 5.0
    emb = emb.astype(np.float32)
    cent = np.stack([emb[assign == c].mean(0) if (assign == c).any() else np.zeros(8, np.float32)
                     for c in range(k)]).astype(np.float32)
    np.save(os.path.join(a.out, "embedding.npy"), emb)
    np.save(os.path.join(a.out, "embedding_phase1.npy"), emb)
    np.save(os.path.join(a.out, "centroids.npy"), cent)
    np.save(os.path.join(a.out, "assignments.npy"), assign.astype(np.int64))

    with open(os.path.join(a.out, "assignments.csv"), "w") as f:
        f.write("index,name,cluster" + ("" if a.no_labels else ",label") + "\n")
        for i in range(n):
            f.write(f"{i},,{assign[i]}" + ("" if a.no_labels else f",{labels[i]}") + "\n")

    write_json(os.path.join(a.out, "config.json"), {
        "command": "train", "method": "rdc", "data": data, "protocol": "train-test", "seed": 42,
        "threads": 2, "device": "cpu", "clusters": k, "note": "synthetic run <for report tests> & checks"})

    sizes = np.bincount(assign, minlength=k)
    result = {"num_nonempty_clusters": int((sizes > 0).sum()), "cluster_sizes": sizes.tolist()}
    metrics = {"protocol": "train-test", "seed": 42, "k": k, "n": n, "wall_seconds": 95.2,
               "peak_rss_mb": 512.0, "labels": not a.no_labels, "warnings": []}
    if not a.no_labels:
        counts = np.zeros((k, labels.max() + 1), np.int64)
        np.add.at(counts, (assign, labels), 1)
        result.update({"acc": float(max(counts[0, 0] + counts[1, 1], counts[0, 1] + counts[1, 0]) / n)
                       if k == 2 and counts.shape[1] == 2 else None,
                       "purity": float(counts.max(1).sum() / n)})
        metrics.update({"final": result, "phase1_kmeans": result, "raw_kmeans": result})
    write_json(os.path.join(a.out, "metrics.json"), metrics)

    with open(os.path.join(a.out, "phase1_stats.jsonl"), "w") as f:
        for e in range(1, 21):
            f.write(json.dumps({"epoch": e, "loss": 6.0 * np.exp(-e / 6) + 0.5, "seconds": 3.1,
                                "images_per_s": 250 + e, "proto_entropy": 2.0 - e / 40}) + "\n")
    if not a.no_phase2:
        with open(os.path.join(a.out, "phase2_stats.jsonl"), "w") as f:
            for r in range(1, 9):
                f.write(json.dumps({"round": r, "s": 0.5, "w": 0.1, "core_fraction": 0.4 + 0.05 * r,
                                    "n_core": 60 + 5 * r, "mean_reliable": 4 + 0.5 * r,
                                    "graph_change": 0.4 / r, "loss": 3.0 - 0.2 * r, "instance_loss": 2.0 - 0.1 * r,
                                    "proximity_loss": 1.0 - 0.1 * r, "seconds": 6.0}) + "\n")
    print(f"wrote {a.out}: n={n}, k={k}, data={data}")


if __name__ == "__main__":
    main()
