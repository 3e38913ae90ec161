#!/usr/bin/env bash
# Crash safety (issue 6): kill -9 mid-run then --resume; SIGINT saves and says how to resume;
# C10 (CPU, one process, no launcher) and C22 (stopping signals logged per round).
set -euo pipefail
RDC=$1; DATA=$2
T=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ARGS=("$DATA/real/breastmnist.npz" --clusters 2 --threads 2 --width 8 --embed-dim 16 --heads 1 --small-crops 0
      --epochs 6 --rounds 3 --round-epochs 0.5 --restarts 2 --no-report)

wait_for() {  # wait_for FILE SECONDS
  for _ in $(seq 1 $(( $2 * 10 ))); do [ -e "$1" ] && return 0; sleep 0.1; done
  return 1
}

# 1. SIGKILL after the first phase-1 checkpoint, then resume with the same command.
"$RDC" -q train "${ARGS[@]}" --out "$T/a" & pid=$!
wait_for "$T/a/checkpoints/phase1_last.pt" 120 || fail "no phase-1 checkpoint appeared"
kill -9 $pid; wait $pid 2>/dev/null || true
[ ! -f "$T/a/metrics.json" ] || fail "run finished before it could be killed (make it longer)"
"$RDC" -q train "${ARGS[@]}" --out "$T/a" --resume || fail "resume after kill -9 failed"
/usr/bin/python3 - "$T/a" <<'PY' || fail "resumed run outputs"
import json, sys
run = sys.argv[1]
m = json.load(open(run + "/metrics.json"))
assert m["n"] == 780 and m["final"]["num_nonempty_clusters"] == 2, m["final"]
epochs = [json.loads(l)["epoch"] for l in open(run + "/phase1_stats.jsonl") if l.strip()]
assert epochs == list(range(6)), epochs          # every epoch exactly once
rounds = [json.loads(l) for l in open(run + "/phase2_stats.jsonl") if l.strip()]
assert 1 <= len(rounds) <= 3
for r in rounds:                                   # C22: unsupervised stopping signals are logged
    for key in ("loss", "graph_change", "core_fraction", "mean_reliable"):
        assert key in r, (key, r)
PY
ls "$T/a" "$T/a/checkpoints" | grep -q '\.tmp\.' && fail "temporary files left behind"

# 2. SIGINT: checkpoint at the next step, exit 130 with the resume command; then resume.
"$RDC" train "${ARGS[@]}" --out "$T/b" 2> "$T/b.err" & pid=$!
wait_for "$T/b/checkpoints/phase1_last.pt" 120 || fail "no phase-1 checkpoint appeared (SIGINT run)"
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
if [ ! -f "$T/b/metrics.json" ]; then
  [ $rc -eq 130 ] || fail "SIGINT exit code $rc, expected 130: $(tail -3 "$T/b.err")"
  grep -q -- "--resume" "$T/b.err" || fail "SIGINT message does not say how to resume: $(tail -3 "$T/b.err")"
fi
"$RDC" -q train "${ARGS[@]}" --out "$T/b" --resume || fail "resume after SIGINT failed"
[ -s "$T/b/assignments.npy" ] || fail "no assignments after resume"

# C10: the run above used the CPU, in one process, without any launcher.
grep -q '"device": "cpu"' "$T/b/config.json" || fail "config.json does not record device cpu"
echo "resume_cli: all checks passed"
