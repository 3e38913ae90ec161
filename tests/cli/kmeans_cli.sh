#!/usr/bin/env bash
# CLI test: datasets / inspect / kmeans / evaluate on a real file (BreastMNIST).
set -euo pipefail
RDC=$1; DATA=$2
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$RDC" datasets | grep -q fashion-mnist || fail "datasets does not list fashion-mnist"
"$RDC" inspect "$DATA/real/breastmnist.npz" > "$T/inspect.txt"
grep -q 780 "$T/inspect.txt" || fail "inspect does not report 780 samples: $(cat "$T/inspect.txt")"

"$RDC" -q kmeans "$DATA/real/breastmnist.npz" --clusters 2 --out "$T/km" --restarts 3 --threads 2
for f in assignments.npy assignments.csv metrics.json config.json centroids.npy; do
  [ -s "$T/km/$f" ] || fail "kmeans did not write $f"
done
/usr/bin/python3 - "$T/km" <<'PY' || fail "metrics.json content"
import json, sys
m = json.load(open(sys.argv[1] + "/metrics.json"))
assert m["protocol"] == "all" and m["k"] == 2 and m["n"] == 780, m
f = m["final"]
assert 0.0 < f["acc"] <= 1.0 and -1 <= f["ari"] <= 1 and 0 <= f["nmi"] <= 1, f
assert sum(f["cluster_sizes"]) == 780, f
c = json.load(open(sys.argv[1] + "/config.json"))
assert c["seed"] == 42 and c["data"].endswith("breastmnist.npz"), c
PY
lines=$(wc -l < "$T/km/assignments.csv")
[ "$lines" -eq 781 ] || fail "assignments.csv has $lines lines, expected 781"

# evaluate scores the CSV the kmeans run wrote against its own label column: same ACC.
cut -d, -f4 "$T/km/assignments.csv" > "$T/labels.txt"
"$RDC" -q evaluate --labels "$T/labels.txt" --pred "$T/km/assignments.csv" > "$T/eval.json"
/usr/bin/python3 - "$T" <<'PY' || fail "evaluate disagrees with kmeans metrics"
import json, sys
e = json.load(open(sys.argv[1] + "/eval.json"))
m = json.load(open(sys.argv[1] + "/km/metrics.json"))["final"]
assert abs(e["acc"] - m["acc"]) < 1e-12 and abs(e["nmi"] - m["nmi"]) < 1e-12, (e, m)
PY

# an unknown command and a wrong run folder are named as such
if "$RDC" frobnicate 2> "$T/unk.err"; then fail "an unknown command was accepted"; fi
grep -q "unknown command 'frobnicate'" "$T/unk.err" || fail "unknown command message: $(cat "$T/unk.err")"
if "$RDC" predict "$T/nosuch" "$DATA/real/breastmnist.npz" --out "$T/p" 2> "$T/nf.err"; then fail "predict on no folder"; fi
grep -q "does not exist" "$T/nf.err" || fail "predict on a missing run folder: $(cat "$T/nf.err")"

# train --method kmeans: says which training options it ignores, and writes its report like any train run
"$RDC" train "$DATA/real/breastmnist.npz" --method kmeans --epochs 3 --restarts 2 --out "$T/tk" 2> "$T/tk.err"
grep -q -- "--epochs ignored" "$T/tk.err" || fail "train --method kmeans did not name the ignored --epochs: $(cat "$T/tk.err")"
grep -q -- "--restarts" "$T/tk.err" && fail "train --method kmeans called --restarts ignored"
[ -s "$T/tk/report.html" ] || fail "train --method kmeans wrote no report.html"

# C03: evaluate says when everything is in one cluster (JSON "warnings" and a log line)
printf '0\n1\n0\n1\n0\n1\n0\n1\n0\n1\n0\n1\n' > "$T/y12.txt"
printf '0\n0\n0\n0\n0\n0\n0\n0\n0\n0\n0\n0\n' > "$T/p12.txt"
"$RDC" evaluate --labels "$T/y12.txt" --pred "$T/p12.txt" --clusters 2 > "$T/eval1.json" 2> "$T/eval1.err"
grep -q "collapse" "$T/eval1.err" || fail "evaluate did not warn about one cluster: $(cat "$T/eval1.err")"
/usr/bin/python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["warnings"]; assert any("1 of 2 clusters" in x for x in w), w' "$T/eval1.json" \
  || fail "evaluate's JSON has no cluster warning"
/usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["warnings"] == []' "$T/eval.json" \
  || fail "evaluate warned on a healthy assignment"

# train-test protocol: fit on train+val, score the 156 test images.
"$RDC" -q kmeans "$DATA/real/breastmnist.npz" --clusters 2 --out "$T/km2" --protocol train-test --restarts 2
/usr/bin/python3 -c "
import json; m = json.load(open('$T/km2/metrics.json')); assert m['protocol'] == 'train-test' and m['n'] == 156, m" \
  || fail "train-test protocol"

# bad input: clear error, non-zero exit, no crash
if "$RDC" -q kmeans "$DATA/real/breastmnist.npz" --clusters 1000 --out "$T/km3" 2> "$T/err.txt"; then
  fail "k > n accepted"
fi
grep -q "1000" "$T/err.txt" || fail "error does not name k: $(cat "$T/err.txt")"
[ ! -e "$T/km3" ] || fail "a failed kmeans run left its output folder behind"
if "$RDC" -q kmeans "$T/missing.csv" --out "$T/km4" 2> /dev/null; then fail "a missing file was accepted"; fi
if "$RDC" -q kmeans "$DATA/real/breastmnist.npz" --clusters 2 --seed -1 --out "$T/km5" 2> "$T/err5.txt"; then
  fail "--seed -1 was accepted (it would wrap to 2^64 - 1)"
fi
grep -q -- "--seed" "$T/err5.txt" || fail "the --seed error does not name the option: $(cat "$T/err5.txt")"
[ ! -e "$T/km4" ] || fail "kmeans on a missing file left its output folder behind"

# OpenMP's wait policy defaults to PASSIVE (rdc re-executes itself once), and a user's choice is kept
# running_policy OUT [ENV...]: the OMP_WAIT_POLICY seen in a running `rdc kmeans` started under `env ENV...`
running_policy() {
  local out=$1; shift
  env "$@" "$RDC" -q kmeans "$DATA/real/breastmnist.npz" --clusters 2 --out "$out" --restarts 50 &
  local pid=$! policy=""
  for _ in $(seq 50); do
    policy=$(tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep '^OMP_WAIT_POLICY=' || true)
    [ -n "$policy" ] && break
    sleep 0.1
  done
  wait "$pid" || fail "kmeans under env $* failed"
  echo "$policy"
}
policy=$(running_policy "$T/km5" -u OMP_WAIT_POLICY)
[ "$policy" = "OMP_WAIT_POLICY=PASSIVE" ] || fail "OMP_WAIT_POLICY in the running process: '$policy', expected PASSIVE"
policy=$(running_policy "$T/km6" OMP_WAIT_POLICY=ACTIVE)
[ "$policy" = "OMP_WAIT_POLICY=ACTIVE" ] || fail "the user's OMP_WAIT_POLICY was not kept: '$policy'"
echo "kmeans_cli: all checks passed"
