#!/usr/bin/env bash
# Smoke test of `ringside bench e2e` (no timing thresholds: speed is measured
# in benches, never asserted in tests): a short open-loop run with and
# without the recorder must produce orders traced back to their ticks, the
# per-stage and hop rows, isolated stage medians, and a replay-verified
# journal with 0 divergences, as JSON lines.
set -euo pipefail
B=${RINGSIDE:?}
cd "${RS_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
TMPDIR=$T "$B" bench e2e --json --quick -- --rate 1000 --seconds 3 > "$T/out.json" 2> "$T/err" ||
  { cat "$T/err" "$T/out.json"; exit 1; }
python3 - "$T/out.json" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    d = json.loads(line)            # every line is one JSON object
    assert d["bench"] == "e2e"
    rows[d["case"]] = d
def need(c):
    assert c in rows, "missing case: %s (have %s)" % (c, sorted(rows))
    return rows[c]
for tag in ("norec", "rec"):
    t = need("t2o send->order (%s)" % tag)
    n = int(t["note"].split()[0])
    assert n > 0, "no order traced to its tick (%s): %s" % (tag, t["note"])
    assert t["p50"] > 0 and t["p999"] >= t["p50"]
    d = need("t2o decoded->order (%s)" % tag)
    # the bench's attribution and the runtime's own origin tables count the
    # same orders with the same stamps: the same histogram
    lv = need("t2o runtime live (%s)" % tag)
    for q in ("p50", "p99", "max"):
        assert d[q] == lv[q], (tag, q, d[q], lv[q])
    for s in ("feed", "features", "model", "gate", "exec"):
        assert need("stage %s (%s)" % (s, tag))["p50"] > 0
    need("hop features->prediction (%s)" % tag)
    # the first order of each tick, walked back through its own lineage:
    # the nine parts add up to the chain's mean decoded->order
    c = need("chain feed tail (%s)" % tag)
    chains = int(c["note"].split("(")[1].split()[0])
    assert chains > 0, c["note"]
    parts = ["feed tail", "wait->features", "features", "wait->model", "model", "wait->gate", "gate",
             "wait->exec", "exec->order"]
    total = sum(need("chain %s (%s)" % (p, tag))["mean"] for p in parts)
    m = need("chain mean decoded->order (%s)" % tag)
    assert abs(m["p50"] - total) <= 1e-6 * max(1.0, total), (m, total)
    assert m["p50"] > 0
b = need("t2o runtime live (bare)")
assert b["p50"] > 0 and b["throughput"] > 0, b
need("ratio p50/sum medians (bare)")
r = need("replay verify (1 thread)")
assert " 0 divergences" in r["note"], r["note"]
assert r["throughput"] > 0
for s in ("feed", "features", "model", "gate", "exec"):
    assert need("isolated %s (path inputs)" % s)["p50"] > 0, s
need("ratio p50/sum medians (rec)")
need("ratio p99.9/p50 (norec)")
print("bench e2e: %d cases, %s" % (len(rows), r["note"]))
PY
# the bench cleans up its journal
[ -z "$(ls -A "$T" | grep ringside-bench-e2e || true)" ] || { echo "journal left behind"; ls "$T"; exit 1; }
echo "1 passed, 0 failed"
