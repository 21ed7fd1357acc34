#!/usr/bin/env bash
# ringside report with two journals (overlaid curves, side-by-side summary):
# every file the page needs is there, the page refers to nothing outside DIR,
# and headless Chromium renders it with every <img> loaded (naturalWidth > 0).
# A control image that does not exist must read 0, so the check can fail.
# Skips (77) only when chromium is not installed.
set -euo pipefail
R=${RINGSIDE:?RINGSIDE not set}
SRC=${RS_SOURCE_DIR:?RS_SOURCE_DIR not set}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "SKIP: chromium is not installed (tools/install-deps.sh installs it)"
    exit 77
fi
T=$(mktemp -d /tmp/rs_rhtml.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$R" report --synth-journal "$T/a" --days 8 --seed 11 >/dev/null
"$R" report --synth-journal "$T/b" --days 8 --seed 12 --no-incidents >/dev/null
RS_REPORT_PLOTS="$SRC/tools/python/report_plots.py" "$R" report "$T/a" "$T/b" --out "$T/out" --labels live,whatif >"$T/log"
grep -q "report: $T/out/index.html" "$T/log"
O=$T/out
for f in index.html evaluation_summary.csv runs.csv img/cum_return.png img/drawdown.png img/monthly_run1.png \
         img/monthly_run2.png img/symbol_pnl.png img/trade_returns.png img/latency_hist.png img/latency_strip.png \
         data/run1/equity_curve.csv data/run2/trades.csv; do
    [ -s "$O/$f" ] || { echo "FAIL: $f missing or empty"; exit 1; }
done
# both runs side by side in the summary and the page
grep -q '^live,total,' "$O/evaluation_summary.csv"
grep -q '^whatif,total,' "$O/evaluation_summary.csv"
grep -q 'whatif<br><small>total' "$O/index.html"
grep -q 'difference' "$O/index.html"
# offline: no scheme-qualified or root-relative references
if grep -Eo '(src|href)=.[a-z]+:|(src|href)=./|url\(' "$O/index.html"; then
    echo "FAIL: index.html refers to something outside DIR"; exit 1
fi
# render it: a copy of the page with a load handler that records every image's naturalWidth
cp "$O/index.html" "$O/check.html"
cat >>"$O/check.html" <<'HTML'
<img id="control" src="img/no_such_image.png" alt="control">
<script>
window.addEventListener('load', function () {
  var r = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    r.push(im.getAttribute('src') + '=' + (im.complete ? im.naturalWidth : -1));
  }
  document.body.setAttribute('data-imgcheck', r.join(' '));
});
</script>
HTML
timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
    --virtual-time-budget=15000 --dump-dom "file://$O/check.html" >"$T/dom.html" 2>"$T/chromium.err" || {
    echo "FAIL: chromium failed"; tail -20 "$T/chromium.err"; exit 1; }
res=$(grep -o 'data-imgcheck="[^"]*"' "$T/dom.html" | sed 's/data-imgcheck="//; s/"$//')
[ -n "$res" ] || { echo "FAIL: the page's load handler did not run"; exit 1; }
echo "images: $res"
n_img=$(grep -o '<img ' "$O/index.html" | wc -l)
ok=0
for kv in $res; do
    src=${kv%=*}; w=${kv##*=}
    if [ "$src" = "img/no_such_image.png" ]; then
        [ "$w" = 0 ] || { echo "FAIL: the control image reads $w"; exit 1; }
        continue
    fi
    [ "$w" -gt 0 ] || { echo "FAIL: $src did not load in chromium (naturalWidth $w)"; exit 1; }
    ok=$((ok + 1))
done
[ "$ok" -eq "$n_img" ] || { echo "FAIL: $ok of $n_img images loaded"; exit 1; }
[ "$n_img" -ge 8 ]
echo "PASS: $ok images rendered by $($CHROMIUM --version 2>/dev/null | head -1)"
