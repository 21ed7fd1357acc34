#!/usr/bin/env bash
# ringside journal CLI on a synthetic journal: every record prints as valid
# JSON, filters work, latency finds the known stage delays of `journal synth`,
# verify fails (exit 1, naming segment and offset) on a damaged journal.
set -euo pipefail
R=${RINGSIDE:?RINGSIDE not set}
T=$(mktemp -d /tmp/rs_jcli.XXXXXX)
trap 'rm -rf "$T"' EXIT
J=$T/j
"$R" journal synth "$J" --bars 30 >/dev/null
"$R" journal verify "$J" | grep -q '^ok: '
"$R" journal stat "$J" | grep -q 'tail: sealed'
# every line of cat --json is a JSON object with every type decoded
"$R" journal cat "$J" --json > "$T/all.json"
/usr/bin/python3 - "$T/all.json" <<'PY'
import json, sys
types = set()
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert "error" not in o, o
    types.add(o["type"])
    n += 1
want = {"trade", "bbo", "depth", "mark", "timer", "freshness", "raw", "bad_input", "bar", "features",
        "prediction", "model_swap", "decision", "intent", "risk", "position", "order", "exec_report",
        "venue_msg", "control", "step", "alarm"}
missing = want - types
assert not missing, missing
print(f"cat --json: {n} records, {len(types)} types")
PY
# filters
n_orders=$("$R" journal cat "$J" --type order | wc -l)
n_exec=$("$R" journal cat "$J" --stream exec | wc -l)
[ "$n_orders" -gt 0 ] && [ "$n_exec" -eq $((n_orders * 3)) ]
[ "$("$R" journal cat "$J" --limit 5 | wc -l)" -eq 5 ]
[ "$("$R" journal cat "$J" --from 1763800300000000000 --to 1763800300000000000 --type bar | wc -l)" -eq 2 ]
# latency: synth's delays are features 21-22 us, model 35, gate 5, exec 12, venue ack 800
"$R" journal latency "$J" --json > "$T/lat.json"
/usr/bin/python3 - "$T/lat.json" <<'PY'
import json, sys
lat = {o["stage"]: o for o in map(json.loads, open(sys.argv[1]))}
exp = {"features": (21, 22.5), "model": (34.5, 35.6), "gate": (4.9, 5.1), "exec": (11.8, 12.2),
       "venue_ack": (790, 815)}
for k, (lo, hi) in exp.items():
    o = lat[k]
    assert o["n"] > 0 and o["unmatched"] == 0, o
    assert lo <= o["p50"] <= hi, o
print("latency: stage delays recovered")
PY
# damage: verify exits 1 and names the segment and offset; stat still works
seg=$(ls "$J"/seg-*.rsj | tail -1)
printf '\xff\xff\xff' | dd of="$seg" bs=1 seek=300 conv=notrunc 2>/dev/null
if "$R" journal verify "$J" 2> "$T/err"; then echo "verify passed on a damaged journal"; exit 1; fi
grep -q "$(basename "$seg") offset" "$T/err"
"$R" journal stat "$J" >/dev/null 2>&1
echo "ok"
