#!/usr/bin/env bash
# `ringside top --once` against a live engine: venue simulator (TLS,
# accelerated market) -> `ringside run`; while it runs, top must show the
# rings, the threads (with their CPU), per-stage latency percentiles, the
# positions/PnL table with every configured symbol, and the circuit states,
# all published by the engine threads into the shared-memory region; and,
# with the demo's gates opened wide (orders on most bar closes) and a
# 5760x market clock (staleness limits raised to match: 2 h of market time
# is 1.25 s of wall time, so a loaded CI machine does not trip them), the live
# tick-to-order row (runtime side channel, core/origin.c) in top and in the
# run summary.
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
session_begin

origin=$(( $(date +%s%3N) + 1000 ))
sim_start "$T" "$T/sim.log" --speed 5760 --start-ms "$origin" --origin-ms "$origin" --seed 11 --symbols 4 \
    --rate-scale 0.01 --duration 60
inst="itest-top-$$"
sim_config configs/demo.yml "$T/top.yml" "$inst" "$T/journal" \
    -e "s#^  z_min_samples: .*#  z_min_samples: 4#" -e "s#^  z_threshold: .*#  z_threshold: 0.0001#" \
    -e "s#^  cost_bps: .*#  cost_bps: 0#" -e "s#^  quantile: .*#  quantile_enabled: false#" \
    -e "s#^  warmup_bars: .*#  warmup_bars: 0#" -e "s#^  vote_k: .*#  vote_k: 1\n  vote_min: 1#" \
    -e "s#^  cooldown_bars: .*#  cooldown_bars: 0#" \
    -e "s#^  stale_symbol_ms: .*#  stale_symbol_ms: 7200000#" -e "s#^  stale_conn_ms: .*#  stale_conn_ms: 7200000#" \
    -e "s#^  md_stale_ms: .*#  md_stale_ms: 7200000#"
"$B" run -c "$T/top.yml" --clock-speed 5760 --clock-origin-ms "$origin" --duration 20 --progress 0 --summary-json "$T/sum.json" \
    > "$T/run.log" 2>&1 &
RUN=$!

# wait until the engine has handled market data and published latency
ok=0
for _ in $(seq 1 60); do
  sleep 0.5
  if "$B" top --once --instance "$inst" > "$T/top.txt" 2>&1 &&
     grep -Eq '^feed +[0-9]+ +[0-9]+' "$T/top.txt"; then
    ok=1; break
  fi
done
[ $ok -eq 1 ] || { echo "top never showed feed latency"; cat "$T/top.txt" "$T/run.log"; exit 1; }

fail() { echo "FAIL: $*"; cat "$T/top.txt"; exit 1; }
grep -q "^instance $inst" "$T/top.txt" || fail "no instance line"
grep -q "^ring " "$T/top.txt" || fail "no ring table"
grep -Eq '^thread +tid +cpu' "$T/top.txt" || fail "no thread table with cpu column"
grep -q "^stage latency" "$T/top.txt" || fail "no stage latency section"
for s in feed features model gate exec; do
  grep -Eq "^$s " "$T/top.txt" || fail "no latency row for $s"
done
grep -q "^positions" "$T/top.txt" || fail "no positions section"
for s in BTCUSDT ETHUSDT SOLUSDT BNBUSDT; do
  grep -q "^$s " "$T/top.txt" || fail "no position row for $s"
done
grep -q "^total " "$T/top.txt" || fail "no PnL total"
grep -q "^circuits" "$T/top.txt" || fail "no circuits section"
# no ANSI escapes in --once output (it is for scripts and tests)
if grep -q $'\033' "$T/top.txt"; then fail "escape sequences in --once output"; fi

# live tick-to-order: once orders flow, top shows a t2o row with a count
# and p50 <= p99.9 <= max, and the counters carry the same count
# (polled while the engine runs: under load the first orders can come late)
t2o=""
while kill -0 "$RUN" 2>/dev/null; do
  if "$B" top --once --instance "$inst" > "$T/top2.txt" 2>/dev/null; then
    t2o=$(awk '$1 == "t2o" && $2 ~ /^[0-9]+$/ && $2 > 0' "$T/top2.txt")
    [ -n "$t2o" ] && break
  fi
  sleep 0.2
done
[ -n "$t2o" ] || { echo "FAIL: top never showed tick-to-order"; cat "$T/top2.txt"; wait "$RUN"; cat "$T/run.log"; exit 1; }
echo "$t2o" | awk '{ if (!($3 > 0 && $3 <= $4 && $4 <= $5 && $5 <= $6)) { print "FAIL: t2o percentiles not sane: " $0; exit 1 } }'
grep -q "tick_to_order_count" "$T/top2.txt" || { echo "FAIL: no tick_to_order_count counter"; cat "$T/top2.txt"; exit 1; }

wait "$RUN" || { cat "$T/run.log"; exit 1; }
RUN=""
sum=$(awk '$1 == "t2o" && $2 ~ /^[0-9]+$/' "$T/run.log")
echo "run summary: $sum"
echo "$sum" | awk '{ if (!($2 > 0 && $3 > 0 && $3 <= $4 && $4 <= $5 && $5 <= $6)) { print "FAIL: run summary t2o: " $0; exit 1 } }'
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s['t2o_count'] > 0 and 0 < s['t2o_p50_ns'] <= s['t2o_p99_ns'] else 1)" "$T/sum.json" \
  || { echo "FAIL: summary JSON t2o"; cat "$T/sum.json"; exit 1; }
orders=$(grep -Eo 'orders [0-9]+' "$T/run.log" | head -1 | awk '{print $2}')
[ "${orders:-0}" -gt 0 ] || { echo "FAIL: no orders in the session"; cat "$T/run.log"; exit 1; }
echo "top --once:"; cat "$T/top.txt"; echo "later:"; grep -A2 '^tick-to-order' "$T/top2.txt"
echo "1 passed, 0 failed"
