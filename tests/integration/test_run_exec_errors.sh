#!/usr/bin/env bash
# End to end, LIVE mode, the venue's ERROR-side faults: `ringside run` with
# exec.mode live (configs/live-sim.yml) against `ringside venue-sim` with its
# order side, everything over TLS, one engine session with one phase per fault
# (fired through the order side's control endpoint while the engine trades):
#
#  5xx:     the next 2 placements are executed by the venue but answered HTTP
#           503, their account events withheld (`5xx_order 2`): each order goes
#           UNKNOWN, is queried by client id (REST) and resolved from the
#           venue's answer; never re-sent. Then `5xx 3`: the next 3 requests of
#           any kind (queries, reconciliation, orders) get 503.
#  unknown: the next 2 placements are answered -1007 "status unknown" (placed):
#           UNKNOWN, resolved from venue evidence, never re-sent.
#  skew:    the venue's clock jumps ahead by 5,000,000 ms (far outside
#           recvWindow): -1021, orders blocked, the engine re-syncs its clock
#           offset, orders resume; then the skew goes back to 0: -1021 again,
#           re-sync again.
#  418:     the next request gets 418 with Retry-After (an IP ban of 5 s wall;
#           the venue then refuses and counts every request until it ends).
#           `ringside ctl kill` is issued during the ban: the engine sends NO
#           request while banned (journal: no order record inside its ban
#           window; venue: no order request during the ban), holds the kill
#           path's flattens and sends them when the ban ends; the kill
#           completes (gate record "kill complete"), the venue is flat.
# At the end: the engine's position per symbol (from its exec reports) equals
# the venue's, every venue execution was applied exactly once, no duplicate
# client id / bad signature at the venue, every client id placed at most once,
# no order left UNKNOWN, the journal verifies and replay-verifies with 0
# divergences.
# (The 429 back-off is covered by test_run_live.sh.)
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
session_begin
session_secrets rsErrKey
SPEED=1440
INST="itest-xerr-$$"
# an IP ban of 5 s of wall time (Retry-After is market time), long enough
# for `ctl kill` to land inside it on a loaded box; 15 s under the
# sanitizers (an ASan binary took 5 s just to start at load average 30)
BAN_S=5
case "${RS_BUILD_TYPE:-release}" in asan|tsan|*san*) BAN_S=15 ;; esac
BAN_MS=$(( BAN_S * SPEED * 1000 ))
SKEW_MS=5000000
# The kill switch's retries are market time like every other timeout here:
# the default 500 ms would spend all 6 attempts in 22 ms of wall time, deep
# inside the ban, and an order that fills during the ban (a stop whose cancel
# the ban refused) would then never be flattened. The config's maximum,
# 600000 ms (0.42 s wall), and 8 retries put them at 0.4, 1.3, 2.9, 6.3,
# 12.9, 26.3, 53, 80 s wall after the kill, the last ones after the ban
# (docs/exec.md: a real 2-minute ban outlasts the default schedule the same
# way).
KILL_BACKOFF_MS=600000

die() { echo "FAIL: $*"; for f in "$T"/run.log "$T"/sim.log; do [ -f "$f" ] && { echo "== $f"; tail -30 "$f"; }; done; exit 1; }
octl() { "$B" venue-sim ctl --port "$OPORT" --ca "$T/certs/ca.pem" "$@"; }
# the order side's counters as shell variables s_<name>, parsed in bash (one
# process per poll: on a loaded CI box every process start costs); s_open =
# symbols with a non-zero venue position
snap() {
  S=$(octl stats) || return 1
  local rest=${S%%\"positions\"*} re='"([a-z_0-9]+)":(-?[0-9]+)(.*)'
  while [[ $rest =~ $re ]]; do
    printf -v "s_${BASH_REMATCH[1]}" %s "${BASH_REMATCH[2]}"
    rest=${BASH_REMATCH[3]}
  done
  rest=${S#*\"positions\"} re='"[A-Z0-9]+":(-?[0-9]+)(.*)'
  s_open=0
  while [[ $rest =~ $re ]]; do
    [ "${BASH_REMATCH[1]}" != 0 ] && s_open=$(( s_open + 1 ))
    rest=${BASH_REMATCH[2]}
  done
}
# wait until a bash arithmetic condition over s_* holds (at most $2 s)
wait_for() {
  local end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    snap && (( $1 )) && return 0
    kill -0 "$RUN" 2>/dev/null || die "the engine exited early"
    sleep 0.3
  done
  die "order side never reached ($1) in $2 s: $S"
}

# time_sync_s: the periodic time sync (3600 market s = 2.5 s wall at 1440x)
# could adopt the skewed venue clock before any order went out with the old
# offset, and then no -1021 ever came (seen once in CI): a day of market time
# leaves the -1021 path to the skew phase.
# unknown_retry_ms: the first status query of an UNKNOWN order 1.4 s market
# after it went UNKNOWN (live-sim.yml: 144 s = 100 ms wall). With 144 s, the
# gate's own cancel of the entry could reach the venue first on a loaded box
# (ASan in CI) and resolve the 503'd orders without the query by client id
# this test is there to see.
sed -e "s#var/live-sim/secrets#$T/secrets#" -e '/symbol: SOLUSDT/d' -e '/symbol: BNBUSDT/d' \
    -e 's#^\(  *\)time_sync_s: .*#\1time_sync_s: 86400#' \
    -e 's#^\(  *\)unknown_retry_ms: .*#\1unknown_retry_ms: 1440#' configs/live-sim.yml > "$T/base.yml"
grep -q "unknown_retry_ms: 1440$" "$T/base.yml" || die "could not set exec.unknown_retry_ms"
origin=$(( $(date +%s%3N) + 1000 ))
sim_start "$T" "$T/sim.log" --orders --speed $SPEED --start-ms "$origin" --origin-ms "$origin" --seed 11 \
    --symbols 2 --rate-scale 0.02 --duration 400 --orders-config "$T/base.yml" --orders-secrets "$T/secrets" \
    --orders-clock-tolerance-ms 1440000
sim_config "$T/base.yml" "$T/run.yml" "$INST" "$T/journal" \
    -e "s#^  max_orders_per_sec: 5#  max_orders_per_sec: 5\n  kill_backoff_ms: $KILL_BACKOFF_MS\n  kill_retries: 8#"
grep -q "kill_backoff_ms: $KILL_BACKOFF_MS" "$T/run.yml" || die "could not set risk.kill_backoff_ms"
"$B" run -c "$T/run.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration 360 --progress 0 \
    --verify > "$T/run.log" 2>&1 &
RUN=$!

wait_for "s_orders_placed >= 4 && s_fills >= 2" 120
note "trading: $s_orders_placed orders, $s_fills fills"

# ---- 5xx on order entry, then on any request -----------------------------------
octl 5xx_order 2 > /dev/null
wait_for "s_answers_5xx >= 2" 60
octl 5xx 3 > /dev/null
wait_for "s_answers_5xx >= 5" 60
note "5xx: $s_answers_5xx answers 503"

# ---- -1007 status unknown --------------------------------------------------------
octl unknown 2 > /dev/null
wait_for "s_answers_unknown >= 2" 60
note "unknown: $s_answers_unknown answers -1007"

# ---- clock skew: ahead, then back ------------------------------------------------
octl skew $SKEW_MS > /dev/null || die "venue-sim ctl skew failed"
wait_for "s_clock_rejects >= 1" 60
n1=$s_orders_placed
wait_for "s_orders_placed > n1" 60
c1=$s_clock_rejects
octl skew 0 > /dev/null || die "venue-sim ctl skew 0 failed"
wait_for "s_clock_rejects > c1" 60
n1=$s_orders_placed
wait_for "s_orders_placed > n1" 60
note "skew: $s_clock_rejects answers -1021, orders resumed"

# ---- 418: IP ban, kill during the ban --------------------------------------------
# the kill must have work to do: ban while the venue holds a position (if
# the position closed in between, wait the ban out and try again; the
# entries refused locally during a ban may trip the gate's consecutive-reject
# pause, so resume). Positions here last seconds; on a loaded box (ASan, CI)
# three bans in a row once all landed while flat, so it tries six times.
for attempt in 1 2 3 4 5 6; do
  wait_for "s_open > 0" 60
  octl 418 1 $BAN_MS > /dev/null
  wait_for "s_bans >= attempt" 60
  [ "$s_open" -gt 0 ] && break
  [ $attempt = 6 ] && die "flat at every ban: the kill would have nothing to do"
  note "banned while flat: waiting the ban out"
  wait_for "s_banned == 0" 60
  "$B" ctl resume --instance "$INST" --timeout 60 > /dev/null 2>&1 || die "ctl resume failed"
done
note "banned with a position: ${S#*positions\":}"
"$B" ctl kill --instance "$INST" --timeout 60 > "$T/ctl.log" 2>&1 || die "ctl kill: $(cat "$T/ctl.log")"
snap
# (the end checks decide whether the kill latched inside the ban)
note "kill acknowledged ($([ "$s_banned" = 1 ] && echo "ban still on" || echo "ban already over"))"
wait_for "s_banned == 0" 60
note "ban over"
wait_for "s_open == 0" 60
note "venue flat"
sleep 1
"$B" ctl stop --instance "$INST" --timeout 60 > /dev/null 2>&1 || true
wait "$RUN" || die "ringside run failed"
RUN=""
note "run finished"
octl stats > "$T/stats.json"
kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""

# ---- end checks ------------------------------------------------------------------
J=$(ls -d "$T"/journal/$INST/*/ | head -1)
"$B" journal verify "$J" > "$T/jverify.log" || die "journal verify failed: $(cat "$T/jverify.log")"
grep -q "verdict: identical (0 divergences)" "$T/run.log" || die "replay diverged: $(grep -A3 -i diverg "$T/run.log" | head)"
"$B" journal cat "$J" --type order,exec_report,risk > "$T/jr.txt"
python3 - "$T/jr.txt" "$T/stats.json" "$T/run.yml" $SPEED <<'EOF' || die "end checks failed"
import json, re, sys
recs = []
for line in open(sys.argv[1]):
    f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
    recs.append(f)
st = json.load(open(sys.argv[2]))
syms = re.findall(r'symbol: (\w+)', open(sys.argv[3]).read())
speed = float(sys.argv[4])
ok = True
def fail(msg):
    global ok
    print("  FAIL:", msg)
    ok = False
def ts(f):
    return int(f['ts'])
xr = [f for f in recs if f.get('type') == 'exec_report']
orders = [f for f in recs if f.get('type') == 'order']
risk = [f for f in recs if f.get('type') == 'risk']
# positions: engine (its exec reports) == venue, per symbol; the kill left both flat
pos, fills = {}, set()
for f in xr:
    if f['is_fill'] == '1':
        q = int(f['last_qty']) * (1 if f['side'] == 'buy' else -1)
        pos[int(f['sym'])] = pos.get(int(f['sym']), 0) + q
        fills.add((f['sym'], f['trade_id']))
venue = st['positions']
print("  positions engine:", {s: pos.get(i, 0) for i, s in enumerate(syms)}, "venue:", venue)
for i, s in enumerate(syms):
    if pos.get(i, 0) != venue[s]:
        fail(f"{s}: engine {pos.get(i, 0)} != venue {venue[s]}")
    if venue[s] != 0:
        fail(f"{s}: not flat after the kill ({venue[s]})")
print(f"  executions: venue {st['fills']}, engine {len(fills)} distinct")
if len(fills) != st['fills']:
    fail("executions differ")
if st['bad_signatures'] or st['duplicate_client_ids'] or st['bad_requests']:
    fail(f"venue saw bad signatures / duplicate client ids / bad requests: {st}")
# every client id placed at most once (kind 1 = RS_INT_NEW)
places = {}
for f in orders:
    if f['kind'] == '1':
        places[f['client_id']] = places.get(f['client_id'], 0) + 1
dup = [c for c, n in places.items() if n > 1]
if dup:
    fail(f"client ids placed more than once: {dup}")
# UNKNOWN orders: each resolved from venue evidence, queried by client id
# (kind 4 = RS_INT_QUERY) unless the venue's own report settled it first
last, unk_at, why = {}, {}, {}
for f in xr:
    cid, s = f['client_id'], int(f['state'])
    if s == 9 and cid not in unk_at:
        unk_at[cid] = ts(f)
        why[cid] = int(f['reject_code'])
    last[cid] = (s, f)
queried = {}
for f in orders:
    if f['kind'] == '4' and f['client_id'] in unk_at and ts(f) >= unk_at[f['client_id']]:
        queried[f['client_id']] = queried.get(f['client_id'], 0) + 1
left = [c for c in unk_at if last[c][0] == 9]
by_cause = {}
for c in unk_at:
    k = {503: '503', -1000: '503', -1007: '-1007'}.get(why[c], str(why[c]))
    by_cause.setdefault(k, []).append(c)
state_name = {2: 'acked', 3: 'partial', 4: 'filled', 6: 'cancelled', 7: 'rejected', 8: 'expired', 9: 'unknown'}
for k, cs in sorted(by_cause.items()):
    res = {}
    for c in cs:
        src = 'query' if queried.get(c) else 'account stream'
        r = f"{state_name.get(last[c][0], last[c][0])} via {src}"
        res[r] = res.get(r, 0) + 1
    print(f"  UNKNOWN after {k}: {len(cs)} orders -> {res}")
print(f"  orders that went UNKNOWN: {len(unk_at)}, queried by client id: {len(queried)}, still unknown: {len(left)}")
if left:
    fail(f"orders left UNKNOWN: {left}")
if len(by_cause.get('503', [])) < 2:
    fail("expected >= 2 orders UNKNOWN after a 503")
if len(by_cause.get('-1007', [])) < 2:
    fail("expected >= 2 orders UNKNOWN after -1007")
# the 2 orders of `5xx_order 2` had their account events withheld: only a
# query by client id could resolve them (a 503 from `5xx` on a placement may
# be settled by the account stream first)
if sum(1 for c in by_cause.get('503', []) if queried.get(c)) < 2:
    fail("the 503'd orders were not queried by client id")
# clock: -1021 -> blocked (action 1) -> re-synced (action 4), twice
clk = [f for f in risk if f['circuit'] == '104']
bad = [f for f in clk if f['action'] == '1']
good = [f for f in clk if f['action'] == '4']
if len(bad) < 2 or len(good) < 2:
    fail(f"expected 2 clock blocks and 2 re-syncs, saw {len(bad)} / {len(good)}")
for b in bad:
    g = [x for x in good if ts(x) >= ts(b)]
    if not g:
        fail("a clock block never re-synced")
        continue
    g = g[0]
    sent = [f for f in orders if f['kind'] == '1' and ts(b) < ts(f) < ts(g)]
    if sent:
        fail(f"{len(sent)} orders placed while the clock was untrusted")
    if not [f for f in orders if f['kind'] == '1' and ts(f) > ts(g)]:
        fail("orders did not resume after a clock re-sync")
    print(f"  clock: -1021 at offset {float(b['value']):.0f} ms -> re-synced to offset {float(g['value']):.0f} ms "
          f"in {(ts(g) - ts(b)) / 1e6 / speed:.1f} ms wall ({(ts(g) - ts(b)) / 1e6:.0f} ms market)")
lr = [f for f in xr if f['reject_code'] == '-1021']
print(f"  orders refused -1021 by the venue: {len(lr)} (never placed there, not re-sent)")
# 418: no request sent inside the engine's ban window; the kill completed after it
# the engine's ban windows (a request in flight when the ban began may add a record)
wins = []
for b in sorted((f for f in risk if f['circuit'] == '103'), key=ts):
    w = [ts(b), ts(b) + int(float(b['value']) * 1e6)]
    if wins and w[0] <= wins[-1][1]:
        wins[-1][1] = max(wins[-1][1], w[1])
    else:
        wins.append(w)
kills = [f for f in risk if f['circuit'] == '1']
started = [f for f in kills if f['action'] == '2']
done = [f for f in kills if f['action'] == '0' and 'complete' in f.get('text', '')]
esc = [f for f in kills if f['action'] == '5']
kw = [w for w in wins if started and w[0] <= ts(started[0]) < w[1]]
during = [f for f in orders if any(w[0] < ts(f) < w[1] for w in wins)]
print(f"  bans: {len(wins)}, {', '.join(f'{(w[1] - w[0]) / 1e6:.0f} ms market ({(w[1] - w[0]) / 1e9 / speed:.2f} s wall)' for w in wins)}; "
      f"requests the engine sent during them {len(during)}; the venue saw {st['ban_requests']} "
      f"({st['ban_order_requests']} order) during its ban")
if not wins:
    fail("no ban record (circuit 103)")
if during:
    fail(f"{len(during)} requests sent during a ban")
if st['ban_order_requests']:
    fail("order requests reached the venue during the ban")
if not kw:
    fail("the kill did not start during a ban")
elif not done:
    fail("the kill did not complete")
else:
    b1 = kw[0][1]
    after = [f for f in orders if ts(f) >= b1 and f['kind'] in ('1', '2')]
    flat = [f for f in after if f['kind'] == '1' and f['reduce_only'] == '1']
    # the market may close the position inside the ban: a stop or take-profit
    # resting at the venue since before the ban fills -- before the kill
    # (`ctl kill` took 5 s of wall time, 2 market hours, on a loaded CI box) or
    # after it -- and the kill is left with nothing to send. Correct behaviour,
    # but not the held-kill path this phase is for: say so instead of failing
    # (the ban checks above still hold)
    b0 = kw[0][0]
    before = {f['client_id'] for f in orders if ts(f) < b0 and f['kind'] == '1'}
    market_closed = [f for f in xr if f.get('is_fill') == '1' and b0 <= ts(f) < b1 and f['client_id'] in before]
    if ts(done[0]) < b1 and market_closed:
        print(f"  kill: latched during the ban; the market closed the position inside it ({len(market_closed)} fill(s) "
              f"of orders resting since before the kill), so the kill completed with nothing to send: "
              f"held-kill path not exercised this run")
    elif not after:
        fail("no held kill-path order went out after the ban")
        for f in sorted([f for f in xr if f.get('is_fill') == '1' and b0 <= ts(f) < b1] + kills, key=ts):
            print("   ", " ".join(f"{k}={v}" for k, v in f.items()))
    elif ts(done[0]) < b1:
        fail("the kill completed inside the ban: it had nothing to do")
    else:
        print(f"  kill: latched during the ban; after it: {len(flat)} flatten / {len(after) - len(flat)} cancel requests, "
              f"the first {(min(ts(f) for f in after) - b1) / 1e6 / speed:.1f} ms wall after the ban ended; "
              f"complete {(ts(done[0]) - b1) / 1e6 / speed:.0f} ms wall after it; escalations {len(esc)}")
print(f"  venue: orders placed {st['orders_placed']}, 503 answers {st['answers_5xx']}, -1007 {st['answers_unknown']}, "
      f"-1021 {st['clock_rejects']}, bans {st['bans']}")
sys.exit(0 if ok else 1)
EOF
echo "$(grep 'records compared' "$T/run.log" | sed 's/^ *//'), 0 divergences"
note "done"
echo "1 passed, 0 failed"
