#!/usr/bin/env bash
# How the cost of one phase-2 refresh (k-NN graph + dual filter + core points + neighbour
# centroids) and of the final k-means grows with N (issue 5). Synthetic vectors (bench/scale.cc:
# a mixture of 50 Gaussians), d = 64, k = 10, K = 10, 10 restarts; one process per N.
# Usage: bench/scale.sh [--threads N] [N ...]      (default N: 10000 100000 1000000)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export OMP_WAIT_POLICY=PASSIVE
THREADS=0
NS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) NS+=("$1"); shift ;;
  esac
done
[ ${#NS[@]} -eq 0 ] && NS=(10000 100000 1000000)
BIN=${SCALE_BIN:-$ROOT/build/scale}
if [[ ! -x "$BIN" ]]; then
  cmake -S "$ROOT" -B "$ROOT/build" -DRDC_BUILD_BENCH=ON >/dev/null
  cmake --build "$ROOT/build" --target scale -j"$(nproc)" >&2
fi
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F)"
for n in "${NS[@]}"; do
  echo "[scale] N = $n" >&2
  "$BIN" --n "$n" --d 64 --knn 10 --clusters 10 --restarts 10 --threads "$THREADS" >>"$TMP" || echo "[scale] N = $n FAILED" >&2
done
/usr/bin/python3 - "$TMP" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]  # log lines are not results
print("\n| N | k-NN s (index) | filter + core + centroids s | refresh s | refresh peak MiB | final k-means s | peak MiB | non-k-NN refresh us per N log2 N |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    rest = r["filter_s"] + r["core_s"] + r["centroids_s"]
    per = 1e6 * rest / (r["n"] * math.log2(r["n"]))
    idx = "IVF" if r["approximate"] else "exact"
    print(f"| {r['n']} | {r['knn_s']:.2f} ({idx}) | {rest:.3f} | {r['refresh_s']:.2f} | {r['refresh_peak_rss_mb']:.0f} "
          f"| {r['kmeans_s']:.2f} | {r['peak_rss_mb']:.0f} | {per:.4f} |")
PY
