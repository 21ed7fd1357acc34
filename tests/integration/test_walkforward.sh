#!/usr/bin/env bash
# Walk-forward evaluation (tools/python/walkforward.py) on a small synthetic
# data set: a one-minute session of the simulator's market at 2000x (about
# 400 five-minute bars of 4 symbols) is recorded, then split into
# train/test segments; each segment's models are trained and the engine is
# re-run over the journal with them (`replay --what-if`). Checks: one table
# row per segment with IC, hit rate, PnL and Sharpe; the plot; each
# segment's what-if journal replay-verifies with zero divergences.
set -euo pipefail
PY=/usr/bin/python3
# Python tooling over the release binary: the C paths it drives (run, replay --what-if, verify) have their own
# integration tests in every build type; under ASan/TSan a 2000x session falls behind the simulator.
case "${RS_BUILD_TYPE:-release}" in asan|tsan) echo "walk-forward runs in the release build only: skip"; exit 77;; esac
$PY -c "import xgboost, pandas, yaml, matplotlib" 2>/dev/null || { echo "python3 xgboost/pandas/yaml/matplotlib missing: skip"; exit 77; }
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
session_begin

SPEED=2000
SECS=${RS_WF_SECONDS:-60}
origin=$(( $(date +%s%3N) + 1000 ))
sim_start "$T" "$T/sim.log" --speed $SPEED --start-ms "$origin" --origin-ms "$origin" --seed 5 --symbols 4 \
    --rate-scale 0.05 --duration $((SECS + 30))
# staleness thresholds are market time: at 2000x the demo's minutes are milliseconds of wall time
sim_config configs/demo.yml "$T/wf.yml" "wf-$$" "$T/journal" \
    -e "s#stale_conn_ms: 120000#stale_conn_ms: 3600000#" -e "s#stale_symbol_ms: 300000#stale_symbol_ms: 3600000#"
"$B" run -c "$T/wf.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration "$SECS" --progress 0 \
    --summary-json "$T/run.json" > "$T/run.log" 2>&1 || { cat "$T/run.log"; exit 1; }
kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""
J=$(ls -d "$T"/journal/wf-$$/*/ | head -1)

$PY tools/python/walkforward.py --journal "$J" --out "$T/wf" --train-bars 180 --test-bars 50 --trees 60 \
    --ringside "$B" > "$T/wf.log" 2>&1 || { cat "$T/wf.log"; exit 1; }
cat "$T/wf.log" | grep -E "^(walkforward|segment)"
[ -s "$T/wf/walkforward.png" ] || { echo "no plot"; exit 1; }
$PY - "$T/wf/walkforward.csv" <<'PYEOF'
import math, sys
import pandas as pd
t = pd.read_csv(sys.argv[1])
assert len(t) >= 2, f"want >= 2 segments, got {len(t)}"
trained = t[t["pnl"].notna()] if "pnl" in t else t.iloc[0:0]
assert len(trained) >= 2, f"want >= 2 evaluated segments:\n{t}"
for c in ("ic_h1", "ic_h3", "ic_h12", "ic_ens", "hit_ens", "pnl", "sharpe", "fills"):
    assert c in t.columns, f"column {c} missing: {list(t.columns)}"
for _, r in trained.iterrows():
    assert -1 <= r["ic_ens"] <= 1 or math.isnan(r["ic_ens"]), r
    assert 0 <= r["hit_ens"] <= 1, r
    assert r["test_from_ms"] > r["train_to_ms"], "test window must follow its training window"
# segments are consecutive: each test window starts one step after the previous one
assert (t["test_from_ms"].diff().dropna() > 0).all()
print(f"walkforward table ok: {len(t)} segments, {len(trained)} evaluated")
PYEOF
# every segment's what-if journal is itself exactly replayable
for w in "$T"/wf/seg-*/whatif; do
  [ -d "$w" ] || continue
  "$B" replay "$w" --verify > "$T/v.log" 2>&1 || { cat "$T/v.log"; exit 1; }
  grep -q "divergences       0" "$T/v.log"
done
echo "1 passed, 0 failed"
