#!/bin/bash
# Renders RUN_DIR/report.html in headless Chromium (Debian's `chromium` package) and checks it:
#   1. the page loads with no console error and no network request (a self-contained page);
#   2. the DOM after loading: every <img> has a non-empty PNG data: URI, every <svg> has
#      content, the report's sections are all there;
#   3. in the browser itself: every image decoded (naturalWidth > 0) and every <svg> has a
#      non-empty layout box (a harness page loads the report in an iframe and inspects it);
#   4. a full-width screenshot is a real PNG of non-trivial size and content.
#
# usage: check_report.sh RUN_DIR [RDC_BINARY]
#   When RUN_DIR/report.html does not exist and RDC_BINARY (or $RDC) is given, the report is
#   first written with `RDC_BINARY report RUN_DIR`.
# Environment: CHROMIUM (browser binary, default: chromium), CHECK_REPORT_KEEP=1 keeps the
# screenshot and dumps in RUN_DIR/report_check/.
set -u -o pipefail

fail() { echo "check_report: FAIL: $*" >&2; exit 1; }
say() { echo "check_report: $*"; }

[ $# -ge 1 ] || { echo "usage: $0 RUN_DIR [RDC_BINARY]" >&2; exit 2; }
RUN=$(cd "$1" 2>/dev/null && pwd) || fail "run directory '$1' does not exist"
RDC_BIN=${2:-${RDC:-}}
HTML="$RUN/report.html"
if [ ! -f "$HTML" ] && [ -n "$RDC_BIN" ]; then
  say "writing the report: $RDC_BIN report $RUN"
  "$RDC_BIN" report "$RUN" || fail "'$RDC_BIN report $RUN' failed"
fi
[ -s "$HTML" ] || fail "$HTML does not exist or is empty"

BROWSER=${CHROMIUM:-chromium}
command -v "$BROWSER" >/dev/null 2>&1 || fail "'$BROWSER' not found (apt-get install -y chromium)"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

WORK=$(mktemp -d)
cleanup() {
  if [ "${CHECK_REPORT_KEEP:-0}" = 1 ]; then
    mkdir -p "$RUN/report_check" && cp "$WORK"/*.png "$WORK"/*.html "$WORK"/*.log "$RUN/report_check/" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# One headless Chromium run: the flags of the brief plus logging of console messages and of
# every network request to stderr; a fresh profile each time.
browse() {
  local log=$1; shift
  timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$WORK")" --enable-logging=stderr --v=0 \
    --hide-scrollbars --window-size=1280,2000 "$@" 2>"$log"
}

# Console errors and failed loads as Chromium logs them (CONSOLE lines, network errors).
check_log() {
  local log=$1 what=$2
  if grep -E "CONSOLE|Uncaught|Failed to load resource|net::ERR_|Refused to" "$log" >"$WORK/bad.txt"; then
    sed 's/^/    /' "$WORK/bad.txt" | head -20 >&2
    fail "$what: the browser logged console errors or failed loads"
  fi
}

URL="file://$HTML"
size=$(stat -c %s "$HTML")
say "report: $HTML ($size bytes)"

# ---- 1 + 2: DOM after loading ----
browse "$WORK/dom.log" --dump-dom "$URL" >"$WORK/dom.html" || fail "chromium --dump-dom failed (see $WORK/dom.log)"
[ -s "$WORK/dom.html" ] || fail "chromium dumped an empty DOM"
check_log "$WORK/dom.log" "loading the report"
say "loaded with no console error and no failed load"
"$PY" - "$WORK/dom.html" <<'PY' || fail "DOM checks failed"
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.svgs, self.sections, self.stack = [], [], [], []
        self.external = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.external.append(tag)
        for k in ("src", "href"):
            v = a.get(k) or ""
            if v.startswith(("http:", "https:", "//", "ftp:")):
                self.external.append(f"{tag} {k}={v[:60]}")
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "svg":
            self.svgs.append(0)
            self.stack.append(len(self.svgs) - 1)
        elif self.stack:
            self.svgs[self.stack[-1]] += 1
    def handle_endtag(self, tag):
        if tag == "svg" and self.stack:
            self.stack.pop()

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
errors = []
bad_img = [i for i, s in enumerate(p.imgs) if not s.startswith("data:image/png;base64,") or len(s) < 100]
if bad_img:
    errors.append(f"{len(bad_img)} <img> without a PNG data: URI (first: #{bad_img[0]})")
empty_svg = [i for i, n in enumerate(p.svgs) if n < 2]
if empty_svg:
    errors.append(f"{len(empty_svg)} empty <svg> (first: #{empty_svg[0]})")
if not p.svgs:
    errors.append("no <svg> at all")
need = ["summary", "metrics", "training", "clusters", "map", "gallery", "config"]
missing = [s for s in need if s not in p.sections]
if missing:
    errors.append("missing sections: " + ", ".join(missing))
if p.external:
    errors.append("external resources or scripts: " + "; ".join(p.external[:5]))
print(f"check_report: DOM: {len(p.imgs)} <img> with PNG data URIs, {len(p.svgs)} non-empty <svg>, "
      f"sections {', '.join(p.sections)}; no scripts, no external resources")
for e in errors:
    print("check_report: FAIL: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

# ---- 3: decoded images and laid-out charts, inspected from a harness page ----
cat >"$WORK/harness.html" <<EOF
<!DOCTYPE html><html><head><meta charset="utf-8"><title>harness</title></head><body>
<pre id="result">pending</pre>
<iframe id="f" src="$URL" width="1280" height="2000"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var out = document.getElementById('result');
  try {
    var d = this.contentDocument;
    var imgs = d.querySelectorAll('img'), svgs = d.querySelectorAll('svg');
    var decoded = 0, drawn = 0;
    imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0 && i.naturalHeight > 0) decoded++; });
    svgs.forEach(function (s) { var r = s.getBoundingClientRect(); if (r.width > 0 && r.height > 0 && s.childElementCount > 0) drawn++; });
    out.textContent = 'RESULT imgs=' + imgs.length + ' decoded=' + decoded + ' svgs=' + svgs.length + ' drawn=' + drawn;
  } catch (e) {
    out.textContent = 'RESULT error=' + e;
  }
});
</script></body></html>
EOF
browse "$WORK/harness.log" --allow-file-access-from-files --virtual-time-budget=15000 \
  --dump-dom "file://$WORK/harness.html" >"$WORK/harness_dom.html" || fail "chromium (harness page) failed"
result=$(grep -o 'RESULT[^<]*' "$WORK/harness_dom.html" | head -1)
[ -n "$result" ] || fail "the harness page produced no result (see $WORK/harness.log)"
case "$result" in *error=*) fail "harness: $result" ;; esac
read -r imgs decoded svgs drawn < <(echo "$result" | sed -E 's/.*imgs=([0-9]+) decoded=([0-9]+) svgs=([0-9]+) drawn=([0-9]+).*/\1 \2 \3 \4/')
[ "$imgs" = "$decoded" ] || fail "only $decoded of $imgs images decoded in the browser"
[ "$svgs" = "$drawn" ] || fail "only $drawn of $svgs <svg> elements have content and a non-empty layout box"
[ "$svgs" -gt 0 ] || fail "no <svg> in the rendered page"
say "browser: $decoded of $imgs images decoded, $drawn of $svgs <svg> laid out with content"

# ---- 4: screenshot ----
browse "$WORK/shot.log" --screenshot="$WORK/report.png" "$URL" >/dev/null || fail "chromium --screenshot failed"
check_log "$WORK/shot.log" "screenshot"
[ -s "$WORK/report.png" ] || fail "no screenshot written"
"$PY" - "$WORK/report.png" <<'PY' || fail "screenshot check failed"
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
if b[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("check_report: FAIL: the screenshot is not a PNG")
w, h = struct.unpack(">II", b[16:24])
idat, pos = b"", 8
while pos < len(b):
    n, t = struct.unpack(">I4s", b[pos:pos + 8])
    if t == b"IDAT":
        idat += b[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
distinct = len(set(raw[::7]))
print(f"check_report: screenshot {w}x{h}, {len(b)} bytes, {distinct} distinct byte values")
if len(b) < 20000 or w < 800 or h < 800 or distinct < 32:
    sys.exit("check_report: FAIL: the screenshot looks blank or trivial")
PY
say "PASS: $HTML"
