#!/usr/bin/python3
"""Reference clustering metrics for tests/metrics/metrics_test.cc.

Run with the system interpreter (scikit-learn + scipy), from anywhere:
    /usr/bin/python3 tests/testdata/metrics/make_reference.py
It rewrites reference.json next to this file. The C++ tests compare against it to 1e-9.

Definitions (the same as rdc::evaluate_clustering):
  * Hungarian matching (scipy linear_sum_assignment, maximise) on the contingency table
    of the clusters and classes that actually occur; clusters left over stay unmatched.
  * acc = matched count / n.
  * f1_macro / f1_micro = sklearn f1_score(labels, mapped, labels=<classes present>,
    average=..., zero_division=0), where mapped = matched class of each point's cluster,
    and -1 (a class that matches nothing) for points of unmatched clusters.
  * nmi = normalized_mutual_info_score (arithmetic), ari = adjusted_rand_score.
  * purity = sum over clusters of the majority class count / n.
"""
import json
import os

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, f1_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix


class TiedMatching(Exception):
    """F1 depends on the choice among tied optimal matchings: the case is not a fair reference."""


def mapped_predictions(labels, pred, rows, cols, classes, clusters):
    cluster_to_class = {clusters[r]: classes[c] for r, c in zip(rows, cols)}
    return np.array([cluster_to_class.get(p, -1) for p in pred]), cluster_to_class


def f1_pair(labels, mapped, classes):
    kw = dict(labels=list(classes), zero_division=0)
    return (f1_score(labels, mapped, average="macro", **kw),
            f1_score(labels, mapped, average="micro", **kw))


def reference(name, labels, pred, k=0):
    labels = np.asarray(labels, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    classes = np.unique(labels)
    clusters = np.unique(pred)
    cont = contingency_matrix(pred, labels)  # rows: present clusters, cols: present classes
    rows, cols = linear_sum_assignment(cont, maximize=True)
    best = cont[rows, cols].sum()
    mapped, cluster_to_class = mapped_predictions(labels, pred, rows, cols, classes, clusters)
    f1_macro, f1_micro = f1_pair(labels, mapped, classes)

    # Is the optimal matching unique? Forbid each matched edge in turn and re-solve: any other
    # optimal matching avoids at least one edge of this one. F1 depends on the matching, so it
    # must be the same under every alternative optimum found (the C++ side may pick another).
    unique = True
    for r, c in zip(rows, cols):
        alt = cont.astype(np.float64).copy()
        alt[r, c] = -1e9
        ar, ac = linear_sum_assignment(alt, maximize=True)
        if cont[ar, ac].sum() == best and alt[ar, ac].min() > -1:
            unique = False
            alt_mapped, _ = mapped_predictions(labels, pred, ar, ac, classes, clusters)
            am, ai = f1_pair(labels, alt_mapped, classes)
            if abs(am - f1_macro) > 1e-12 or abs(ai - f1_micro) > 1e-12:
                raise TiedMatching(name)

    size = max(k, int(pred.max()) + 1)
    sizes = np.bincount(pred, minlength=size)
    mapping = [int(cluster_to_class.get(c, -1)) for c in range(size)]
    return {
        "name": name,
        "labels": labels.tolist(),
        "pred": pred.tolist(),
        "k": int(k),
        "acc": float(best) / len(labels),
        "nmi": float(normalized_mutual_info_score(labels, pred, average_method="arithmetic")),
        "ari": float(adjusted_rand_score(labels, pred)),
        "f1_macro": float(f1_macro),
        "f1_micro": float(f1_micro),
        "purity": float(cont.max(axis=1).sum()) / len(labels),
        "num_classes": int(len(classes)),
        "num_nonempty_clusters": int(len(clusters)),
        "cluster_sizes": sizes.tolist(),
        "mapping_unique": unique,
        "mapping": mapping,
    }


def untied(name, labels, draw, k=0, tries=100):
    """reference() of the first random prediction `draw()` whose F1 does not depend on ties."""
    for _ in range(tries):
        try:
            return reference(name, labels, draw(), k)
        except TiedMatching:
            pass
    raise RuntimeError(f"case {name}: every draw had tied matchings")


def noisy(rng, labels, num_clusters, noise):
    perm = rng.permutation(max(num_clusters, labels.max() + 1))
    pred = perm[labels] % num_clusters
    flip = rng.random(len(labels)) < noise
    pred[flip] = rng.integers(0, num_clusters, flip.sum())
    return pred


def main():
    rng = np.random.default_rng(20250301)
    cases = []
    y4 = np.repeat(np.arange(4), 5)
    cases.append(reference("perfect", y4, y4))
    cases.append(reference("permuted", y4, np.array([2, 0, 3, 1])[y4]))
    y10 = rng.integers(0, 10, 500)
    cases.append(untied("random_10x10", y10, lambda: rng.integers(0, 10, 500)))
    y5 = rng.integers(0, 5, 300)
    cases.append(untied("noisy_5", y5, lambda: noisy(rng, y5, 5, 0.3)))
    yb = np.repeat(np.arange(10), 20)
    cases.append(reference("k1_all_one_cluster", yb, np.zeros(200, dtype=np.int64), k=1))
    cases.append(untied("C07_k2_ten_classes", yb, lambda: noisy(rng, yb, 2, 0.1), k=2))
    cases.append(untied("C07_k20_ten_classes", yb,
                        lambda: noisy(rng, yb * 2 + rng.integers(0, 2, 200), 20, 0.05), k=20))
    ye = rng.integers(0, 3, 60)
    cases.append(untied("empty_cluster_ids", ye, lambda: np.array([0, 3, 7])[noisy(rng, ye, 3, 0.2)], k=10))
    yi = np.repeat(np.arange(5), [60, 20, 10, 5, 5])
    cases.append(untied("C05_imbalanced_three_clusters", yi, lambda: noisy(rng, np.minimum(yi, 2), 3, 0.15), k=3))
    cases.append(reference("single_class_single_cluster", np.full(7, 3), np.full(7, 1)))
    cases.append(reference("single_class_many_clusters", np.zeros(9, dtype=np.int64), np.arange(9) % 3))
    cases.append(reference("many_classes_single_cluster", np.arange(9) % 3, np.zeros(9, dtype=np.int64)))
    cases.append(reference("n1", [0], [0]))
    cases.append(reference("noncontiguous_labels", np.array([2, 2, 7, 7, 7, 9]), np.array([1, 1, 1, 4, 4, 4])))
    cases.append(reference("C03_two_classes_one_cluster", np.repeat([0, 1], [600, 400]), np.zeros(1000, dtype=np.int64), k=2))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(out, "w") as f:  # one case per line
        f.write('{"generator": "make_reference.py (scikit-learn + scipy)",\n "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c) for c in cases))
        f.write("\n ]\n}\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
