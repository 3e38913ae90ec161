# Shared helpers for the bench scripts (sourced).
RDC=${RDC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/rdc}
OUT_ROOT=${OUT_ROOT:-/tmp/rdc-bench}
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$OUT_ROOT"
# metrics_row RUN_DIR LABEL: prints a markdown table row from RUN/metrics.json
metrics_row() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
run, label = sys.argv[1], sys.argv[2]
m = json.load(open(run + "/metrics.json"))
def f(key, obj):
    o = m.get(obj) or {}
    v = o.get(key)
    return "-" if v is None else f"{v:.3f}"
row = [label]
for obj in ("raw_kmeans", "phase1_kmeans", "final"):
    if obj in m and m[obj] and "acc" in m[obj]:
        row.append(f"{f('acc', obj)} / {f('nmi', obj)} / {f('ari', obj)}")
    else:
        row.append("-")
row += [f"{m.get('wall_seconds', 0):.1f}", f"{m.get('peak_rss_mb', 0):.0f}", str(m.get("n", "-"))]
print("| " + " | ".join(row) + " |")
PY
}
