#!/usr/bin/env bash
# A short real run (BreastMNIST, seconds) whose report.html is rendered in headless Chromium
# and checked (tests/browser/check_report.sh). The screenshot is kept in $OUT (default build/browser).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build/browser}
rm -rf "$OUT"; mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE
./build/rdc -q train tests/testdata/real/breastmnist.npz --clusters 2 --out "$OUT/run" \
  --width 8 --embed-dim 16 --heads 1 --small-crops 0 --epochs 2 --rounds 2 --round-epochs 0.5 --restarts 3
CHECK_REPORT_KEEP=1 bash tests/browser/check_report.sh "$OUT/run" ./build/rdc
