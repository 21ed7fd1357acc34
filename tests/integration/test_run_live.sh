#!/usr/bin/env bash
# End to end, LIVE mode: `ringside run` with exec.mode live (configs/live-sim.yml)
# against `ringside venue-sim` with its order side on, everything over TLS with
# verification on and a throw-away key in a 0600 file that both sides read.
#
# One session (one warm-up), two phases:
#  clean:  signed orders go out on the WS API session (session.logon, then
#          unsigned on the session), acks/fills/executionReports come back as
#          journaled venue records; one WS API session, nothing refused.
#  faults: on demand through the order side's control endpoint, while the
#          engine trades: 2 rejects (-2010 reports), a dropped ack (the order
#          goes UNKNOWN, is queried over REST and resolved), the venue
#          dropping the WS connection right after accepting an order
#          (reconnect, re-logon, the order resolved over REST), a 429
#          (back-off risk record).
# At the end (pause + flatten): the engine's position per symbol (from its
# exec reports) equals the simulator's, every venue execution was applied
# exactly once, no duplicate client id / bad signature at the venue, no
# order left UNKNOWN, the journal verifies and replay-verifies with 0
# divergences, and the API key, HMAC secret and Ed25519 seed appear nowhere
# in the journal or the logs (nor any signature/apiKey field).
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
session_begin
# the test key: 0600, never in the config
session_secrets rsLiveCanaryKey
SPEED=1440

die() { echo "FAIL: $*"; for f in "$T"/run-*.log "$T"/sim-*.log; do [ -f "$f" ] && { echo "== $f"; tail -30 "$f"; }; done; exit 1; }

octl() { "$B" venue-sim ctl --port "$OPORT" --ca "$T/certs/ca.pem" "$@"; }
# wait until a condition on the order side's counters holds (at most $2 s)
wait_for() {
  local end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    octl stats | python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" && return 0
    kill -0 "$RUN" 2>/dev/null || die "$name: the engine exited early"
    sleep 0.2
  done
  die "$name: order side never reached ($1) in $2 s: $(octl stats)"
}

start() {   # name
  name=$1
  local origin=$(( $(date +%s%3N) + 1000 ))
  sim_start "$T" "$T/sim-$name.log" --orders --speed $SPEED --start-ms "$origin" --origin-ms "$origin" \
      --seed 11 --symbols 2 --rate-scale 0.02 --duration 300 --orders-config "$T/base.yml" \
      --orders-secrets "$T/secrets" --orders-clock-tolerance-ms 1440000
  sim_config "$T/base.yml" "$T/$name.yml" "itest-live-$name-$$" "$T/journal" \
      -e "s#var/live-sim/secrets#$T/secrets#"
  "$B" run -c "$T/$name.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration 240 --progress 0 \
      --verify > "$T/run-$name.log" 2>&1 &
  RUN=$!
}

finish() {   # stop trading, let every order settle, stop, check
  note "$name: pausing"
  # generous timeouts: sanitizer builds on a loaded box acknowledge slowly
  "$B" ctl pause --instance "itest-live-$name-$$" --timeout 60 > "$T/ctl.log" 2>&1 || die "$name: ctl pause: $(cat "$T/ctl.log")"
  "$B" ctl flatten --instance "itest-live-$name-$$" --timeout 60 > "$T/ctl.log" 2>&1 || die "$name: ctl flatten: $(cat "$T/ctl.log")"
  sleep 2
  note "$name: stopping"
  "$B" ctl stop --instance "itest-live-$name-$$" --timeout 60 > /dev/null 2>&1 || true
  wait "$RUN" || die "$name: ringside run failed"
  RUN=""
  note "$name: run finished"
  octl stats > "$T/stats-$name.json"
  kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""
  J=$(ls -d "$T"/journal/itest-live-$name-$$/*/ | head -1)
  "$B" journal verify "$J" > "$T/jverify-$name.log" || die "$name: journal verify failed: $(cat "$T/jverify-$name.log")"
  grep -q "divergences       0" "$T/run-$name.log" || die "$name: replay verify did not report 0 divergences"
  grep -q "verdict: identical (0 divergences)" "$T/run-$name.log" || die "$name: replay diverged"
  "$B" journal cat "$J" --type exec_report,risk > "$T/jr-$name.txt"
  grep " type=exec_report " "$T/jr-$name.txt" > "$T/xr-$name.txt" || true
  grep " type=risk " "$T/jr-$name.txt" > "$T/risk-$name.txt" || true
  # engine position from its own exec reports == the venue's position, per symbol
  python3 - "$T/xr-$name.txt" "$T/stats-$name.json" "$T/$name.yml" <<'EOF' || die "$name: positions differ"
import json, re, sys
pos = {}
for line in open(sys.argv[1]):
    f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
    if f.get('type') == 'exec_report' and f.get('is_fill') == '1':
        q = int(f['last_qty']) * (1 if f['side'] == 'buy' else -1)
        pos[int(f['sym'])] = pos.get(int(f['sym']), 0) + q
st = json.load(open(sys.argv[2]))
syms = re.findall(r'symbol: (\w+)', open(sys.argv[3]).read())
venue = st['positions']
bad = [(s, pos.get(i, 0), venue[s]) for i, s in enumerate(syms) if pos.get(i, 0) != venue[s]]
print("  positions (engine == venue):", {s: venue[s] for s in syms})
if bad:
    print("  MISMATCH (symbol, engine, venue):", bad)
    sys.exit(1)
fills = set()
for line in open(sys.argv[1]):
    f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
    if f.get('type') == 'exec_report' and f.get('is_fill') == '1':
        fills.add((f['sym'], f['trade_id']))
print(f"  executions: venue {st['fills']}, engine {len(fills)} distinct")
if len(fills) != st['fills']:
    sys.exit(1)
if st['bad_signatures'] or st['duplicate_client_ids'] or st['bad_requests']:
    print("  venue saw bad signatures / duplicate client ids / bad requests:", st)
    sys.exit(1)
EOF
  # no credential anywhere in the journal or the logs
  local pats=()
  for s in $SECRETS; do pats+=(-e "$s"); done
  if grep -rqaF "${pats[@]}" "$J" "$T/run-$name.log" "$T/sim-$name.log"; then die "$name: a secret leaked into the journal or logs"; fi
  if grep -rqaE '"signature"|signature=|X-MBX-APIKEY|"apiKey"' "$J"; then die "$name: a signed request reached the journal"; fi
  fills=$(grep -c "is_fill=1" "$T/xr-$name.txt" || true)
  [ "$fills" -gt 0 ] || die "$name: no fills came back"
  echo "$name: orders placed $(python3 -c "import json; print(json.load(open('$T/stats-$name.json'))['orders_placed'])"), fills $fills, $(grep -o 'venue session: .*' "$T/run-$name.log" | cut -c1-120)..."
  echo "$name: $(grep 'records compared' "$T/run-$name.log" | sed 's/^ *//'), 0 divergences"
}

# the venue-sim reads instruments + recv window from a config with the same instruments
# both live profiles are valid as shipped
"$B" config check --quiet configs/live-sim.yml || die "configs/live-sim.yml does not pass config check"
"$B" config check --quiet configs/binance-testnet.yml || die "configs/binance-testnet.yml does not pass config check"

# Two symbols (BTC, ETH) keep the load of the 1440x market low on small CI boxes.
sed -e "s#var/live-sim/secrets#$T/secrets#" -e '/symbol: SOLUSDT/d' -e '/symbol: BNBUSDT/d' configs/live-sim.yml > "$T/base.yml"

# ---- one session: a clean phase, then the faults -------------------------------
# (one warm-up instead of two: the 1440x market still needs ~10 s of wall
# time before the features are ready)
start live
wait_for "s['orders_placed'] >= 1" 120
note "first order"
wait_for "s['orders_placed'] >= 10 and s['fills'] >= 5" 60
# clean phase: one WS API session, nothing refused
wait_for "s['ws_sessions'] == 1 and s['bad_signatures'] == 0 and s['bad_requests'] == 0 and s['order_rejects'] == 0" 5
note "clean phase: $(octl stats | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['orders_placed'], 'orders,', s['fills'], 'fills, 1 WS API session')")"
# faults, all at once; each applies to the next requests in the venue's own order
octl reject 2 > /dev/null
octl drop_ack 1 > /dev/null
octl 429 1 2000 > /dev/null
wait_for "s['order_rejects'] >= 2 and s['dropped_acks'] >= 1 and s['errors'] >= 1" 90
# then the disconnect, on the very next placement. (It was the 4th placement
# after arming all four at once: a TSan run saw the other three fire and 76
# placements after the clean phase, but most went out while the four ctl
# processes -- TSan binaries, slow to start on a loaded box -- were still
# arming the faults, and fewer than 4 followed in the next 60 s.)
octl disconnect_on_order 1 > /dev/null
wait_for "s['disconnects'] >= 1" 90
note "faults fired"
sleep 2
finish
x=$T/xr-live.txt
n=$(grep -c "state=7 .*reject_code=-2010" "$x" || true)
[ "$n" -ge 2 ] || die "faults: expected 2 venue rejects (-2010), saw $n"
# UNKNOWN orders (dropped ack, dropped connection) were all resolved from venue evidence
python3 - "$x" <<'EOF2' || die "faults: an UNKNOWN order was not resolved"
import sys
last, unknown = {}, set()
for line in open(sys.argv[1]):
    f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
    cid, st = f.get('client_id', '0'), int(f.get('state', 0))
    if st == 9:
        unknown.add(cid)
    last[cid] = st
left = [c for c in unknown if last[c] == 9]
print(f"  orders that went UNKNOWN: {len(unknown)}, still unknown at the end: {len(left)}")
sys.exit(0 if unknown and not left else 1)
EOF2
grep -q "circuit=102" "$T/risk-live.txt" || die "faults: no rate-limit back-off (risk circuit 102) after the 429"
opens=$(grep -o "opens [0-9]*" "$T/run-live.log" | awk '{print $2}')
[ "${opens:-0}" -ge 2 ] || die "faults: the WS API session did not reconnect after the venue dropped it"
echo "faults: 2 rejects, dropped ack -> UNKNOWN -> resolved, disconnect mid-order -> reconnect ($opens opens), 429 -> back-off"
echo "1 passed, 0 failed"
