#!/usr/bin/env bash
# ringside report on bad input: usage errors (2), a missing journal and a
# corrupt journal (1, with a message naming the problem), the good part of a
# damaged journal with --allow-damaged, a journal without trades (0, and the
# report says so, plots and page included), a missing plotting script (1).
set -euo pipefail
R=${RINGSIDE:?RINGSIDE not set}
SRC=${RS_SOURCE_DIR:?RS_SOURCE_DIR not set}
export RS_REPORT_PLOTS="$SRC/tools/python/report_plots.py"
T=$(mktemp -d /tmp/rs_rcli.XXXXXX)
trap 'rm -rf "$T"' EXIT
expect() {   # expect RC PATTERN -- command...
    local want=$1 pat=$2; shift 3
    set +e
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    set -e
    if [ "$rc" -ne "$want" ]; then echo "FAIL: $* -> $rc, want $want"; cat "$T/out" "$T/err"; exit 1; fi
    if [ -n "$pat" ] && ! grep -q -- "$pat" "$T/out" "$T/err"; then
        echo "FAIL: $* : no '$pat' in the output"; cat "$T/out" "$T/err"; exit 1
    fi
}
expect 2 "a JOURNAL is required" -- "$R" report --out "$T/o"
expect 2 "--out DIR is required" -- "$R" report "$T/j"
expect 2 "unknown option" -- "$R" report "$T/j" --out "$T/o" --bogus
expect 2 "capital must be" -- "$R" report "$T/j" --out "$T/o" --capital -5
expect 1 "cannot read the journal $T/missing" -- "$R" report "$T/missing" --out "$T/o"
[ ! -e "$T/o" ]

"$R" report --synth-journal "$T/j" --days 3 >/dev/null
"$R" report "$T/j" --out "$T/ok" --no-plots >/dev/null
[ -s "$T/ok/evaluation_summary.csv" ]
[ ! -e "$T/ok/index.html" ]
# corrupt a byte in the middle of the segment: refused, naming file and offset
cp -r "$T/j" "$T/bad"
seg=$(ls "$T/bad"/seg-*.rsj | head -1)
size=$(stat -c %s "$seg")
printf '\xff\xfe\xfd\xfc' | dd of="$seg" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect 1 "corrupt tail at $seg offset" -- "$R" report "$T/bad" --out "$T/o2" --no-plots
grep -q "refusing" "$T/err"
[ ! -e "$T/o2" ]
expect 0 "reporting the good part" -- "$R" report "$T/bad" --out "$T/o3" --no-plots --allow-damaged
grep -q ',corrupt,' "$T/o3/runs.csv"
# a file that is not a journal
mkdir "$T/notj" && echo hello >"$T/notj/seg-000001.rsj"
expect 1 "cannot read the journal" -- "$R" report "$T/notj" --out "$T/o4"
# a journal without an embedded ringside config: says to pass -c
"$R" journal synth "$T/js" --bars 0 >/dev/null
expect 1 "pass -c CONFIG" -- "$R" report "$T/js" --out "$T/o5"
# ... and with -c: no fills at all -> no trades, exit 0, page says so
expect 0 "no trades" -- "$R" report "$T/js" -c "$SRC/configs/demo.yml" --out "$T/o6"
grep -q "no trades" "$T/o6/index.html"
[ -s "$T/o6/img/cum_return.png" ]
# a synthetic session without trades: zero returns, the page says no trades
"$R" report --synth-journal "$T/jn" --days 2 --no-trades --no-incidents >/dev/null
expect 0 "no trades" -- "$R" report "$T/jn" --out "$T/o7"
grep -q "no trades" "$T/o7/index.html"
# the plotting script missing: CSVs written, clear error, exit 1
RS_REPORT_PLOTS=/nonexistent/report_plots.py expect 1 "cannot find the plotting script" -- \
    "$R" report "$T/j" --out "$T/o8"
[ -s "$T/o8/evaluation_summary.csv" ]
echo PASS
