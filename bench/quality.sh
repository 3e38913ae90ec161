#!/usr/bin/env bash
# Clustering quality of rdc against its baselines: datasets x methods x seeds -> one markdown
# table (ACC / NMI / ARI mean ± std over the seeds, k-means on the phase-1 embedding, wall time,
# peak RSS) on stdout. Each run's folder stays in $OUT_ROOT/quality/<dataset>/<method>-s<seed>
# (metrics.json, run.log); progress goes to stderr.
#
# Usage: bench/quality.sh [--datasets "a b"] [--methods "kmeans pretext dec idec rdc"]
#                         [--seeds "0 1 2"] [--threads N] [-- EXTRA rdc train OPTIONS...]
# Example (smoke test): bench/quality.sh --datasets breastmnist --methods "kmeans dec" --seeds 0 \
#                         -- --epochs 2 --dec-epochs 1 --restarts 3
# Methods: kmeans (raw input), pretext (phase 1 + k-means), dec / idec (phase 1 + DEC / IDEC,
# src/rdc/train/dec.h), rdc (phase 1 + phase 2 + k-means). EXTRA options go to every
# `rdc train` call (kmeans ignores the training ones).
set -uo pipefail
source "$(dirname "$0")/common.sh"

DATASETS="breastmnist pneumoniamnist usps fashion-mnist"
METHODS="kmeans pretext dec idec rdc"
SEEDS="0 1 2"
THREADS=0
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --datasets) DATASETS=$2; shift 2 ;;
    --methods) METHODS=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$RDC" ] || { echo "rdc binary not found at $RDC (build first or set RDC=...)" >&2; exit 2; }

ROOT="$OUT_ROOT/quality"
mkdir -p "$ROOT"
RUNS=()
for d in $DATASETS; do
  for m in $METHODS; do
    for s in $SEEDS; do
      out="$ROOT/$d/$m-s$s"
      rm -rf "$out"
      mkdir -p "$out"
      echo "[quality] $d / $m / seed $s -> $out" >&2
      t0=$SECONDS
      if "$RDC" train "$d" --method "$m" --seed "$s" --threads "$THREADS" --out "$out" --no-report \
           "${EXTRA[@]}" > "$out/run.log" 2>&1; then
        echo "[quality]   done in $((SECONDS - t0)) s" >&2
      else
        rc=$?
        echo "[quality]   FAILED (exit $rc), see $out/run.log: $(tail -n 1 "$out/run.log")" >&2
      fi
      RUNS+=("$d|$m|$s|$out")
    done
  done
done

/usr/bin/python3 - "${RUNS[@]}" <<'PY'
import json, math, os, sys
from collections import OrderedDict
groups = OrderedDict()
for spec in sys.argv[1:]:
    d, m, s, out = spec.split("|", 3)
    groups.setdefault((d, m), []).append((s, out))

def stat(vals):
    if not vals:
        return "-"
    mean = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return f"{mean:.3f} ± {sd:.3f}"

print("| dataset | method | seeds ok | ACC | NMI | ARI | phase-1 k-means ACC | wall s | peak MiB |")
print("|---|---|---|---|---|---|---|---|---|")
for (d, m), runs in groups.items():
    acc, nmi, ari, p1, wall, rss = [], [], [], [], [], []
    for s, out in runs:
        path = os.path.join(out, "metrics.json")
        if not os.path.exists(path):
            continue
        j = json.load(open(path))
        f = j.get("final") or {}
        if "acc" not in f:
            continue
        acc.append(f["acc"]); nmi.append(f["nmi"]); ari.append(f["ari"])
        if (j.get("phase1_kmeans") or {}).get("acc") is not None:
            p1.append(j["phase1_kmeans"]["acc"])
        wall.append(j.get("wall_seconds", float("nan")))
        rss.append(j.get("peak_rss_mb", float("nan")))
    w = f"{sum(wall) / len(wall):.1f}" if wall else "-"
    r = f"{max(rss):.0f}" if rss else "-"
    print(f"| {d} | {m} | {len(acc)}/{len(runs)} | {stat(acc)} | {stat(nmi)} | {stat(ari)} | {stat(p1)} | {w} | {r} |")
PY
