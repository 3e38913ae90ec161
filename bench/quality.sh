#!/usr/bin/env bash
# Clustering quality of rdc against its baselines: datasets x methods x seeds -> one markdown
# table (ACC / NMI / ARI mean ± std over the seeds, k-means on the phase-1 embedding, wall time,
# peak RSS) on stdout. Each run's folder stays in $OUT_ROOT/quality/<dataset>/<method>-s<seed>
# (metrics.json, run.log); progress goes to stderr.
#
# Usage: bench/quality.sh [--datasets "a b"] [--methods "kmeans pretext dec idec rdc"]
#                         [--seeds "0 1 2"] [--threads N] [--table-only] [-- EXTRA rdc train OPTIONS...]
# --table-only runs nothing: it prints the table of the run folders already in $OUT_ROOT/quality
# (e.g. to merge seeds or methods measured by separate calls).
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
TABLE_ONLY=0
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --datasets) DATASETS=$2; shift 2 ;;
    --methods) METHODS=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --table-only) TABLE_ONLY=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$RDC" ] || { echo "rdc binary not found at $RDC (build first or set RDC=...)" >&2; exit 2; }

ROOT="$OUT_ROOT/quality"
mkdir -p "$ROOT"
RUNS=()
# Phase 1 is the same for pretext, dec, idec and rdc at the same seed (deterministic), so it is
# trained once: rdc runs first, `pretext` is read from its phase-1 + k-means result, and dec/idec
# start from a copy of its phase-1 checkpoint (--resume); kmeans is the rdc run's k-means on the
# raw input (3 restarts). Set RDC_QUALITY_SHARE=0 to run each method on its own.
SHARE=${RDC_QUALITY_SHARE:-1}
ORDERED=""
for m in rdc $METHODS; do case " $ORDERED " in *" $m "*) ;; *) [[ " $METHODS " == *" $m "* ]] && ORDERED="$ORDERED $m" ;; esac; done
for d in $DATASETS; do
  for s in $SEEDS; do
    for m in $ORDERED; do
      out="$ROOT/$d/$m-s$s"
      base="$ROOT/$d/rdc-s$s"
      RUNS+=("$d|$m|$s|$out")
      [ "$TABLE_ONLY" = 1 ] && continue
      rm -rf "$out"
      mkdir -p "$out"
      resume=()
      if [ "$SHARE" = 1 ] && [ "$m" != rdc ] && [ -f "$base/metrics.json" ]; then
        if [ "$m" = pretext ] || [ "$m" = kmeans ]; then
          /usr/bin/python3 - "$base/metrics.json" "$out/metrics.json" "$m" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
raw_s = (m.get("raw_kmeans") or {}).get("seconds", 0)
if sys.argv[3] == "pretext":  # wall: raw baseline + phase 1 (+ its k-means, a few seconds)
    out = dict(m, method="pretext", final=m["phase1_kmeans"], wall_seconds=m.get("phase1_seconds", 0) + raw_s)
else:  # the rdc run's k-means on the raw input (3 restarts)
    out = dict(m, method="kmeans", final=m["raw_kmeans"], wall_seconds=raw_s)
out["derived_from"] = sys.argv[1]
json.dump(out, open(sys.argv[2], "w"))
PY
          echo "[quality] $d / $m / seed $s: read from $base" >&2
          continue
        fi
        if [ "$m" = dec ] || [ "$m" = idec ]; then
          mkdir -p "$out/checkpoints"
          cp "$base/checkpoints/phase1_"*.pt "$out/checkpoints/" && resume=(--resume)
          # the aggregate adds the shared phase 1's time to this run's wall time
          /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("phase1_seconds", 0))' \
            "$base/metrics.json" > "$out/shared_phase1_seconds"
        fi
      fi
      echo "[quality] $d / $m / seed $s -> $out" >&2
      t0=$SECONDS
      if "$RDC" train "$d" --method "$m" --seed "$s" --threads "$THREADS" --out "$out" --no-report \
           "${resume[@]}" "${EXTRA[@]}" > "$out/run.log" 2>&1; then
        echo "[quality]   done in $((SECONDS - t0)) s" >&2
      else
        rc=$?
        echo "[quality]   FAILED (exit $rc), see $out/run.log: $(tail -n 1 "$out/run.log")" >&2
      fi
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
        extra = os.path.join(out, "shared_phase1_seconds")
        shared = float(open(extra).read()) if os.path.exists(extra) else 0.0
        wall.append(j.get("wall_seconds", float("nan")) + shared)
        rss.append(j.get("peak_rss_mb", float("nan")))
    w = f"{sum(wall) / len(wall):.1f}" if wall else "-"
    r = f"{max(rss):.0f}" if rss else "-"
    print(f"| {d} | {m} | {len(acc)}/{len(runs)} | {stat(acc)} | {stat(nmi)} | {stat(ari)} | {stat(p1)} | {w} | {r} |")
PY
