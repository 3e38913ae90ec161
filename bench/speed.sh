#!/usr/bin/env bash
# Speed side by side, one run, one machine (issue 5):
#   1. phase-1 training: rdc vs the same recipe in python3-torch (bench/phase1_speed.sh);
#   2. the phase-2 k-NN graph: rdc vs scikit-learn NearestNeighbors vs faiss called from Python;
#   3. the final k-means: rdc (faiss) vs scikit-learn KMeans at equal iterations (1 restart, tol 0);
# each implementation in its own process, so its peak RSS is its own.
#
# Usage: bench/speed.sh [--threads N] [--skip-phase1] [EMB.npy ...]
#   EMB.npy: N x d float32 embeddings (e.g. RUN/embedding.npy). Default: the Fashion-MNIST
#   phase-1 embedding of runs/fashion-mnist if present, and the raw Fashion-MNIST pixels (70000 x 784).
set -uo pipefail
source "$(dirname "$0")/common.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
THREADS=2
PHASE1=1
EMBS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --skip-phase1) PHASE1=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) EMBS+=("$1"); shift ;;
  esac
done
BIN=${GRAPH_SPEED_BIN:-$ROOT/build/graph_speed}
if [[ ! -x "$BIN" ]]; then
  cmake -S "$ROOT" -B "$ROOT/build" -DRDC_BUILD_BENCH=ON >/dev/null
  cmake --build "$ROOT/build" --target graph_speed -j"$(nproc)" >&2
fi
if [ ${#EMBS[@]} -eq 0 ]; then
  [ -f "$ROOT/runs/fashion-mnist/embedding_phase1.npy" ] && EMBS+=("$ROOT/runs/fashion-mnist/embedding_phase1.npy")
  raw="$OUT_ROOT/fashion-mnist-raw.npy"
  if [ ! -f "$raw" ]; then
    /usr/bin/python3 - "$raw" <<'PY'
import gzip, sys, numpy as np
parts = []
for s in ("train", "t10k"):
    with gzip.open(f"/usr/share/datasets/fashion-mnist/{s}-images-idx3-ubyte.gz") as f:
        parts.append(np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784))
np.save(sys.argv[1], (np.concatenate(parts).astype(np.float32) / 255.0))
PY
  fi
  EMBS+=("$raw")
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F)"
if [ "$PHASE1" = 1 ]; then
  echo
  echo "### Phase-1 training (rdc C++ vs python3-torch)"
  echo
  "$ROOT/bench/phase1_speed.sh" "$THREADS" 3
fi
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
for emb in "${EMBS[@]}"; do
  echo "[speed] $emb" >&2
  "$BIN" "$emb" --threads "$THREADS" --knn 10 --clusters 10 --iters 50 | sed "s|^{|{\"file\": \"$(basename "$emb")\", |" >>"$TMP"
  for impl in faiss-knn sklearn-knn sklearn-kmeans; do
    /usr/bin/python3 "$ROOT/bench/speed_ref.py" "$emb" --impl "$impl" --threads "$THREADS" --knn 10 --clusters 10 \
      --iters 50 | sed "s|^{|{\"file\": \"$(basename "$emb")\", |" >>"$TMP"
  done
done
/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]  # log lines are not results
for step, title in (("knn", "k-NN graph (k = 10, exact, self excluded)"), ("kmeans", "k-means (K = 10, 50 iterations, 1 restart)")):
    print(f"\n### {title}\n")
    print("| input (N x d) | impl | seconds | vs rdc | peak RSS MiB |")
    print("|---|---|---|---|---|")
    for f in dict.fromkeys(r["file"] for r in rows):
        rs = [r for r in rows if r["file"] == f and r["step"] == step]
        base = next((r["seconds"] for r in rs if r["impl"] == "rdc"), None)
        for r in rs:
            impl = r["impl"] + (f" ({r['algorithm']})" if "algorithm" in r else "")
            ratio = f"{r['seconds'] / base:.2f}x" if base else "-"
            print(f"| {f} ({r['n']} x {r['d']}) | {impl} | {r['seconds']:.2f} | {ratio} | {r['peak_rss_mb']:.0f} |")
PY
