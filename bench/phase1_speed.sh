#!/usr/bin/env bash
# Phase-1 training speed: rdc (C++, bench/phase1_speed.cc) vs the same recipe in python3-torch
# (bench/phase1_speed.py), Fashion-MNIST 28x28x1, batch 256, same thread count.
#   bench/phase1_speed.sh [THREADS] [REPEATS]
# Env: PHASE1_SPEED_BIN (default build/phase1_speed), STEPS_DCV2 (8), STEPS_ACAI (16).
# Runs the two implementations alternately (so background load hits both alike) and prints the
# median images/s (wall) and images per CPU-second (process CPU time; robust to a busy machine).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PHASE1_SPEED_BIN:-$ROOT/build/phase1_speed}
THREADS=${1:-2}
REPEATS=${2:-3}
export OMP_WAIT_POLICY=PASSIVE
if [[ ! -x "$BIN" ]]; then  # configure with the benchmark target and build it
  cmake -S "$ROOT" -B "$ROOT/build" -DRDC_BUILD_BENCH=ON >/dev/null
  cmake --build "$ROOT/build" --target phase1_speed -j"$(nproc)"
fi
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
for cfg in "deepcluster-v2 ${STEPS_DCV2:-8}" "acai ${STEPS_ACAI:-16}"; do
  set -- $cfg
  for ((r = 0; r < REPEATS; ++r)); do
    "$BIN" --pretext "$1" --threads "$THREADS" --steps "$2" 2>/dev/null | grep '"impl"' >>"$TMP"
    /usr/bin/python3 "$ROOT/bench/phase1_speed.py" --pretext "$1" --threads "$THREADS" --steps "$2" >>"$TMP"
  done
done
/usr/bin/python3 - "$TMP" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| pretext + encoder | threads | impl | images/s (wall, median) | images per CPU-s (median) | runs |")
print("|---|---|---|---|---|---|")
for key in sorted({(r["pretext"], r["encoder"], r["threads"]) for r in rows}):
    for impl in ("cpp", "python"):
        rs = [r for r in rows if (r["pretext"], r["encoder"], r["threads"]) == key and r["impl"] == impl]
        if rs:
            print(f"| {key[0]} + {key[1]} | {key[2]} | {impl} | {statistics.median(r['images_per_s'] for r in rs):.0f} "
                  f"| {statistics.median(r['images_per_cpu_s'] for r in rs):.0f} | {len(rs)} |")
PY
