#!/usr/bin/env bash
# k-means on raw input (issue 2 baseline): ACC/NMI/ARI, wall time, peak memory.
# Usage: bench/kmeans_raw.sh [datasets...]   (default: the five below)
set -euo pipefail
source "$(dirname "$0")/common.sh"
DATASETS=("$@")
[ ${#DATASETS[@]} -eq 0 ] && DATASETS=(fashion-mnist mnist usps breastmnist pneumoniamnist)
echo "| dataset | raw k-means ACC / NMI / ARI | phase 1 | final | wall s | peak MiB | N |"
echo "|---|---|---|---|---|---|---|"
for d in "${DATASETS[@]}"; do
  out="$OUT_ROOT/kmeans-$d"
  "$RDC" -q kmeans "$d" --out "$out" --restarts 10 --seed 0 >/dev/null
  metrics_row "$out" "$d"
done
