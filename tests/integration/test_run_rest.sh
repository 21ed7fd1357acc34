#!/usr/bin/env bash
# End to end, LIVE mode with REST order entry (exec.order_channel: rest):
# `ringside run` against `ringside venue-sim` with its order side on, over TLS
# with verification on, a throw-away key in a 0600 file that both sides read.
#
# Two short sessions, run side by side (each its own venue-sim, ports, journal):
#  hmac:    key_type hmac, a secrets file with only an HMAC secret: every
#           order is POST /api/v3/order signed with HMAC-SHA256; there is no WS
#           account stream (an HMAC key cannot log on), so fills come from the
#           order answers (FULL) and the REST reconciliation (myTrades).
#  ed25519: key_type ed25519, a secrets file with an Ed25519 seed AND an HMAC
#           secret (key_type decides): every order is POST /api/v3/order
#           signed with Ed25519 (percent-encoded base64; the simulator counts
#           which key verified each signed request: none may be HMAC);
#           account events (executionReport) arrive over the WS API
#           user-data subscription after session.logon.
# Each session at the end (pause + flatten): orders went over REST and none
# over the WS API; the engine's position per symbol (from its exec reports)
# equals the simulator's; every venue execution was applied exactly once; no
# duplicate client id / bad signature / bad request at the venue; the journal
# verifies and replay-verifies with 0 divergences; the API key and the secret
# appear nowhere in the journal or the logs (nor any signature/apiKey field).
set -euo pipefail
# sim_start, sim_config (this script does its own set-up, not session_begin)
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
B=${RINGSIDE:?}
SRC=${RS_SOURCE_DIR:?}
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${RS_KEEP_TMP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
cd "$SRC"
bash tools/make-certs.sh "$T/certs" >/dev/null
SPEED=1440
# sanitizer builds on a loaded 2-core box: the sessions one after the other
# (two engines + two simulators at once starve each other there), fewer orders
case "${RS_BUILD_TYPE:-release}" in
  asan|tsan) SEQ=1; NORD=4; NFILL=2; RATE=0.01 ;;   # a thinner tape: the engine keeps up
  *) SEQ=0; NORD=6; NFILL=4; RATE=0.02 ;;
esac
t0=$(date +%s)
note() { echo "[$(( $(date +%s) - t0 ))s] $*"; }
die() {   # message (in a session's subshell: fails that session)
  echo "FAIL: $*"
  for f in "$T"/run-*.log "$T"/sim-*.log; do [ -f "$f" ] && { echo "== $f"; tail -30 "$f"; }; done
  exit 1
}

# Two symbols (BTC, ETH) keep the load of the 1440x market low on small CI boxes.
sed -e '/symbol: SOLUSDT/d' -e '/symbol: BNBUSDT/d' configs/live-sim.yml > "$T/base.yml"

session() {   # name key_type: the whole session, in a subshell of its own
  local name=$1 kt=$2 D="$T/$1"
  mkdir -p "$D"
  ( umask 077
    if [ "$kt" = hmac ]; then
      printf 'api_key = rsRestCanaryKey%s\nhmac_secret = %s\n' "$(openssl rand -hex 12)" "$(openssl rand -hex 32)"
    else
      # both secrets: key_type decides, every request must be Ed25519-signed
      # (the simulator counts which key verified each one)
      printf 'api_key = rsRestCanaryKey%s\ned25519_seed = %s\nhmac_secret = %s\n' "$(openssl rand -hex 12)" \
          "$(openssl rand -hex 32)" "$(openssl rand -hex 32)"
    fi > "$D/secrets" )
  local secrets; secrets=$(sed 's/^[a-z_0-9]* = //' "$D/secrets")
  local inst="itest-rest-$name-$$"
  octl() { "$B" venue-sim ctl --port "$OPORT" --ca "$T/certs/ca.pem" "$@"; }
  wait_for() {   # python condition on the order side's counters, seconds
    local end=$(( $(date +%s) + $2 ))
    while [ "$(date +%s)" -lt "$end" ]; do
      octl stats | python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" && return 0
      kill -0 "$RUN" 2>/dev/null || die "$name: the engine exited early"
      sleep 0.2
    done
    die "$name: order side never reached ($1) in $2 s: $(octl stats)"
  }
  local origin=$(( $(date +%s%3N) + 1000 ))
  sim_start "$D" "$T/sim-$name.log" --orders --speed $SPEED --start-ms "$origin" --origin-ms "$origin" \
      --seed 11 --symbols 2 --rate-scale $RATE --duration 400 --orders-config "$T/base.yml" \
      --orders-secrets "$D/secrets" --orders-clock-tolerance-ms 1440000
  sim_config "$T/base.yml" "$D/run.yml" "$inst" "$D/journal" -e "s#var/live-sim/secrets#$D/secrets#" \
      -e "s#key_type: ed25519 .*#key_type: $kt#" -e "s#^exec:#exec:\n  order_channel: rest#" \
      -e "s#reconcile_interval_ms: .*#reconcile_interval_ms: 720000#" \
      -e "s#^recorder:#recorder:\n  attach_timeout_ms: 60000   \# sanitizer builds on a loaded box start slowly#"
  "$B" config check --quiet "$D/run.yml" || die "$name: config does not pass config check"
  "$B" run -c "$D/run.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration 360 --progress 0 \
      --verify > "$T/run-$name.log" 2>&1 &
  RUN=$!
  trap 'kill $RUN $SIM 2>/dev/null; wait 2>/dev/null' EXIT
  # exec.order_channel: rest, the configured key type, the faster reconciliation
  grep -q "order_channel: rest" "$D/run.yml" && grep -q "key_type: $kt" "$D/run.yml" \
      && grep -q "reconcile_interval_ms: 720000" "$D/run.yml" || die "$name: config not rewritten"
  wait_for "s['orders_placed'] >= 1" 200
  note "$name: first order"
  wait_for "s['orders_placed'] >= $NORD and s['fills'] >= $NFILL" 60
  note "$name: $(octl stats | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['orders_placed'], 'orders,', s['fills'], 'fills,', s['rest_places'], 'placed over REST,', s['rest_requests'], 'REST requests,', s['ws_requests'], 'WS API requests')")"
  note "$name: pausing"
  # generous timeouts: sanitizer builds on a loaded box acknowledge slowly
  "$B" ctl pause --instance "$inst" --timeout 60 > "$D/ctl.log" 2>&1 || die "$name: ctl pause: $(cat "$D/ctl.log")"
  "$B" ctl flatten --instance "$inst" --timeout 60 > "$D/ctl.log" 2>&1 || die "$name: ctl flatten: $(cat "$D/ctl.log")"
  # with an HMAC key (no account stream) a resting order's fill is seen by
  # the REST reconciliation (0.5 s wall here): stop only once the engine's
  # books (top) agree with the venue's positions -- under a loaded sanitizer
  # build a fixed pause was not always enough (at most 60 s, then the checks
  # below report the difference)
  local agreed=0
  for _ in $(seq 1 120); do
    sleep 0.5
    "$B" top --once --instance "$inst" > "$D/top.txt" 2>/dev/null || continue
    octl stats > "$D/stats-now.json" 2>/dev/null || continue
    if python3 - "$D/top.txt" "$D/stats-now.json" "$D/run.yml" <<'EOF2'
import json, re, sys
top, st, cfg = sys.argv[1:4]
venue = json.load(open(st))['positions']
exps = {m.group(1): int(m.group(2)) for m in re.finditer(r'symbol: (\w+),.*?qty_exp: (\d+)', open(cfg).read())}
lines = open(top).read().split("positions (gate's books")[1].splitlines()[2:]
eng = {l.split()[0]: l.split()[1] for l in lines if l.split() and l.split()[0] in exps}
ok = all(round(float(eng.get(s, 'nan')) * 10 ** e) == venue.get(s, 0) for s, e in exps.items() if s in venue)
sys.exit(0 if ok and eng else 1)
EOF2
    then agreed=1; break; fi
  done
  note "$name: engine books $( [ $agreed = 1 ] && echo agree || echo DO NOT agree) with the venue's positions before stop"
  "$B" ctl stop --instance "$inst" --timeout 60 > /dev/null 2>&1 || true
  wait "$RUN" || die "$name: ringside run failed"
  note "$name: run finished"
  octl stats > "$D/stats.json"
  kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true
  trap - EXIT
  local J; J=$(ls -d "$D"/journal/$inst/*/ | head -1)
  "$B" journal verify "$J" > "$D/jverify.log" || die "$name: journal verify failed: $(cat "$D/jverify.log")"
  grep -q "verdict: identical (0 divergences)" "$T/run-$name.log" || die "$name: replay diverged"
  "$B" journal cat "$J" --type exec_report,order > "$D/jr.txt"
  grep " type=exec_report " "$D/jr.txt" > "$D/xr.txt" || true
  grep " type=order " "$D/jr.txt" > "$D/orders.txt" || true
  python3 - "$D/xr.txt" "$D/stats.json" "$D/run.yml" "$D/orders.txt" "$kt" <<'EOF' || die "$name: engine and venue disagree"
import json, re, sys
xr, st, cfg, orders, kt = sys.argv[1:6]
st = json.load(open(st))
def recs(path):
    for line in open(path):
        yield dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
pos, fills = {}, set()
for f in recs(xr):
    if f.get('is_fill') == '1':
        q = int(f['last_qty']) * (1 if f['side'] == 'buy' else -1)
        pos[int(f['sym'])] = pos.get(int(f['sym']), 0) + q
        fills.add((f['sym'], f['trade_id']))
syms = re.findall(r'^\s*- \{symbol: (\w+)', open(cfg).read(), re.M)   # instruments, in order (not ref_symbol)
venue = st['positions']
print("  positions (engine == venue):", {s: venue[s] for s in syms})
bad = [(s, pos.get(i, 0), venue[s]) for i, s in enumerate(syms) if pos.get(i, 0) != venue[s]]
if bad:
    sys.exit(f"  MISMATCH (symbol, engine, venue): {bad}")
print(f"  executions: venue {st['fills']}, engine {len(fills)} distinct")
if len(fills) != st['fills'] or not fills:
    sys.exit("  executions differ (or none)")
if st['bad_signatures'] or st['duplicate_client_ids'] or st['bad_requests']:
    sys.exit(f"  venue saw bad signatures / duplicate client ids / bad requests: {st}")
# every placement went over REST, none over the WS API (the venue counts them)
places = [o for o in recs(orders) if o.get('kind') == '1']
print(f"  placements: engine {len(places)}, venue {st['rest_places']} over REST, {st['ws_places']} over the WS API")
if not places or st['ws_places'] or st['rest_places'] != len(places):
    sys.exit("  placements did not all go over REST")
# every signed request verified with the key of key_type (the ed25519 session's
# file holds an HMAC secret too, which the simulator tries first)
print(f"  signed requests verified: HMAC {st['sig_hmac']}, Ed25519 {st['sig_ed25519']}")
if (st['sig_hmac'] if kt == 'ed25519' else st['sig_ed25519']) or not (st['sig_ed25519'] if kt == 'ed25519' else st['sig_hmac']):
    sys.exit(f"  requests signed with a key other than key_type {kt}")
# HMAC: nothing on the WS API (no logon: an HMAC key cannot); Ed25519:
# session.logon + userDataStream.subscribe there, and account events came back
print(f"  WS API requests {st['ws_requests']}, account events sent {st['events']}")
if kt == 'hmac' and (st['ws_requests'] or st['events']):
    sys.exit("  an HMAC-only session used the WS API")
if kt == 'ed25519' and (st['ws_requests'] < 2 or not st['events']):
    sys.exit("  no logged-on WS API account stream with the Ed25519 key")
EOF
  # no credential anywhere in the journal or the logs
  local pats=()
  for s in $secrets; do pats+=(-e "$s"); done
  if grep -rqaF "${pats[@]}" "$J" "$T/run-$name.log" "$T/sim-$name.log"; then die "$name: a secret leaked into the journal or logs"; fi
  if grep -rqaE '"signature"|signature=|X-MBX-APIKEY|"apiKey"' "$J"; then die "$name: a signed request reached the journal"; fi
  echo "$name: $(grep -o 'venue session: .*' "$T/run-$name.log" | cut -c1-160)..."
  echo "$name: $(grep 'records compared' "$T/run-$name.log" | sed 's/^ *//'), 0 divergences"
}

# release: both sessions side by side (one warm-up's worth of wall time)
rc=0
if [ "$SEQ" = 1 ]; then
  # (in background subshells all the same: set -e and the session's own traps hold there)
  session hmac hmac > "$T/out-hmac.txt" 2>&1 &
  PIDS=($!)
  wait "${PIDS[0]}" || rc=1
  session ed25519 ed25519 > "$T/out-ed25519.txt" 2>&1 &
  PIDS=($!)
  wait "${PIDS[0]}" || rc=$((rc | 2))
  PIDS=()
else
  session hmac hmac > "$T/out-hmac.txt" 2>&1 &
  PIDS+=($!)
  session ed25519 ed25519 > "$T/out-ed25519.txt" 2>&1 &
  PIDS+=($!)
  wait "${PIDS[0]}" || rc=1
  wait "${PIDS[1]}" || rc=$((rc | 2))
  PIDS=()
fi
cat "$T/out-hmac.txt" "$T/out-ed25519.txt"
[ "$rc" = 0 ] || { echo "FAIL: session(s) failed (rc $rc)"; exit 1; }
note "both sessions passed"
echo "1 passed, 0 failed"
