#!/usr/bin/env bash
# Phase-2 parameter sweep on one phase-1 model (how the phase-2 defaults were chosen).
# Trains phase 1 once per dataset (or reuses $OUT_ROOT/sweep/<dataset>/phase1 when present), then
# for each variant copies its phase-1 checkpoint into a fresh run folder and runs
# `rdc train ... --resume VARIANT_OPTIONS`, so every variant starts from the same encoder.
# Prints one markdown row per variant: phase 1 + k-means and R-DC (ACC / NMI / ARI), phase-2 s.
# Labels are read only by the final scoring, as in every run.
#
# Usage: bench/phase2_sweep.sh DATASET [--seed S] [--phase1 "OPTIONS"] -- "NAME|OPTIONS" ...
# Example: bench/phase2_sweep.sh usps -- "default|" "lr1|--round-lr-fraction 1" "r10|--rounds 10 --round-epochs 0.5"
set -uo pipefail
source "$(dirname "$0")/common.sh"
[ $# -ge 1 ] || { sed -n '2,11p' "$0"; exit 2; }
DATA=$1; shift
SEED=42
P1=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) SEED=$2; shift 2 ;;
    --phase1) P1=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown argument '$1'" >&2; exit 2 ;;
  esac
done
ROOT="$OUT_ROOT/sweep/$DATA-s$SEED"
mkdir -p "$ROOT"
if [ ! -f "$ROOT/phase1/checkpoints/phase1_last.pt" ]; then
  echo "[sweep] phase 1 on $DATA -> $ROOT/phase1" >&2
  # shellcheck disable=SC2086
  "$RDC" train "$DATA" --method pretext --seed "$SEED" --out "$ROOT/phase1" --no-report $P1 > "$ROOT/phase1.log" 2>&1 \
    || { echo "[sweep] phase 1 FAILED: $(tail -n 1 "$ROOT/phase1.log")" >&2; exit 1; }
fi
echo "| dataset | variant | options | phase 1 + k-means | R-DC | phase-2 s |"
echo "|---|---|---|---|---|---|"
for spec in "$@"; do
  name=${spec%%|*}
  opts=${spec#*|}
  out="$ROOT/$name"
  rm -rf "$out"
  mkdir -p "$out/checkpoints"
  cp "$ROOT/phase1/checkpoints/phase1_"*.pt "$out/checkpoints/"
  cp "$ROOT/phase1/phase1_stats.jsonl" "$out/" 2>/dev/null || true
  echo "[sweep] $DATA / $name: $opts" >&2
  # shellcheck disable=SC2086
  if "$RDC" train "$DATA" --seed "$SEED" --out "$out" --resume --no-report $P1 $opts > "$out/run.log" 2>&1; then
    /usr/bin/python3 - "$out/metrics.json" "$DATA" "$name" "$opts" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
f = lambda o: f"{o['acc']:.3f} / {o['nmi']:.3f} / {o['ari']:.3f}" if o and "acc" in o else "-"
print(f"| {sys.argv[2]} | {sys.argv[3]} | `{sys.argv[4].strip() or '(defaults)'}` | {f(m.get('phase1_kmeans'))} | "
      f"{f(m.get('final'))} | {m.get('phase2_seconds', 0):.0f} |")
PY
  else
    echo "| $DATA | $name | \`$opts\` | failed: $(tail -n 1 "$out/run.log" | cut -c1-80) | | |"
  fi
done
