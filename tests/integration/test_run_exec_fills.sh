#!/usr/bin/env bash
# Engine-level FILL-SIDE faults: the whole `ringside run` in exec.mode live
# (configs/live-sim.yml, 2 symbols) against `ringside venue-sim` with its order
# side, over TLS, one session with phases (faults fired through
# `venue-sim ctl`; docs/exec.md "Engine-level fault scenarios"):
#
#  clean   orders and fills flow (baseline)
#  drop    `drop_fills 3`: the venue loses the executionReport TRADE of 3
#          executions but still sends their status (X=FILLED, z=cum qty) --
#          the recorded incident. The exec stage sees venue cum qty > fills
#          seen (risk 107 FILL_GAP), back-fills over REST myTrades (exec
#          reports source=1, risk 101 DRIFT); the gate's fill health marks the
#          symbol's position stale (no ENTRY/EXIT on it) until the fill lands.
#  silent  `drop_fills_silent 2`: neither the TRADE nor any status event; only
#          the REST polling path (open orders -> order status, my trades, on
#          the 2 s timer) finds the executions and back-fills them.
#  dup     `dup_fills 3`: 3 executionReports delivered twice: applied once.
#  delay   `delay_fills_ms`: every fill arrives 1.5 s (wall) late, some after a
#          reconciliation poll (every 2 s) already applied it: each applied once.
#  outage  `stream_outage`: the account stream terminates
#          (eventStreamTerminated), every account event for 1.5 s (wall) is lost, then
#          the venue drops the WS API session; the engine reconnects, logs on,
#          re-subscribes and back-fills from its trade-id watermark; the
#          executions of the outage are applied exactly once.
#  disconnect  the venue closes every order connection (WS API and REST)
#          as a fill goes in flight and refuses the WS API for 1.2 s: the fill
#          is lost; REST polls and the reconnect's back-fill apply it once.
# Throughout: no trade is listed by two myTrades answers (back-fills start at
# the journaled trade-id watermark).
# End (pause + flatten + stop): `journal verify` clean, `run --verify` 0
# divergences; per symbol the engine's position (from its exec reports, and
# the gate's last position record) == the venue's; distinct fills applied ==
# venue executions, no execution reported twice; no duplicate client id, bad
# signature or bad request at the venue; no order left UNKNOWN; every
# fill-health stale record resolved, none escalated.
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
session_begin
session_secrets rsFillsKey
SPEED=1440
INST=itest-fills-$$

die() { echo "FAIL: $*"; for f in "$T"/run.log "$T"/sim.log; do [ -f "$f" ] && { echo "== $f"; tail -30 "$f"; }; done; exit 1; }
sed -e "s#var/live-sim/secrets#$T/secrets#" -e '/symbol: SOLUSDT/d' -e '/symbol: BNBUSDT/d' configs/live-sim.yml > "$T/base.yml"
origin=$(( $(date +%s%3N) + 1000 ))
sim_start "$T" "$T/sim.log" --orders --speed $SPEED --start-ms "$origin" --origin-ms "$origin" --seed 23 \
    --symbols 2 --rate-scale 0.02 --duration 200 --orders-config "$T/base.yml" --orders-secrets "$T/secrets" \
    --orders-clock-tolerance-ms 1440000
sim_config "$T/base.yml" "$T/run.yml" "$INST" "$T/journal"
"$B" run -c "$T/run.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration 170 --progress 0 \
    --verify > "$T/run.log" 2>&1 &
RUN=$!

# The phases are driven from one Python process talking to the order side's
# control endpoint (GET /ctl/...) directly: a process per poll is too slow on a
# loaded CI box. Each phase boundary records the venue's execution count, so the
# checks below attribute executions (trade ids, handed out in order) to phases.
python3 - "$OPORT" "$T/certs/ca.pem" "$RUN" "$T/phases" "$SPEED" "$t0" <<'EOF' || die "phases failed"
import http.client, json, os, ssl, sys, time
port, ca, pid, phases, speed, t0 = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
ctx = ssl.create_default_context(cafile=ca)
ms_per_s = speed * 1000            # market ms per wall second: fault durations are market time
def ctl(*w):
    c = http.client.HTTPSConnection('localhost', port, context=ctx, timeout=30)
    c.request('GET', '/ctl/' + '/'.join(str(x) for x in w))
    r = c.getresponse(); body = r.read().decode(); c.close()
    if r.status != 200: sys.exit(f"venue-sim ctl {w}: {body}")
    return body
def stats():
    # The venue drops every connection on its port in the outage phase, and
    # a ctl connection being opened at that moment goes with them (seen once
    # under ASan: SSLEOFError in the request). Reading stats twice is
    # harmless, so it is retried; commands are not.
    for attempt in range(5):
        try:
            return json.loads(ctl('stats'))
        except (OSError, http.client.HTTPException):
            if attempt == 4: raise
            time.sleep(0.2)
def note(m): print(f"[{time.time() - t0:.0f}s] {m}", flush=True)
def wait(phase, cond, secs):
    end = time.time() + secs
    while time.time() < end:
        s = stats()
        if cond(s): return s
        try: os.kill(pid, 0)
        except OSError: sys.exit(f"{phase}: the engine exited early")
        time.sleep(0.05)
    sys.exit(f"{phase}: the order side never got there in {secs} s: {stats()}")
def mark(name):
    s = stats()
    with open(phases, 'a') as f: f.write(f"{name} {s['fills']}\n")
    return s

wait('warm-up', lambda s: s['orders_placed'] >= 1, 120)
note("first order")
wait('clean', lambda s: s['fills'] >= 3, 60)
mark('clean')
# the recorded incident: the TRADE events are lost, the status (cum qty) still comes
ctl('drop_fills', 3)
wait('drop', lambda s: s['fills_dropped'] >= 3, 60)
time.sleep(0.5)                    # the gap-triggered back-fill is immediate
s = mark('drop')
note(f"drop: {s['fills_dropped']} executionReports dropped")
# the harder variant: no status event either; only the REST polling path (open orders, order
# status, my trades, every 2 s wall) can find the executions
d0 = s['fills_dropped']
ctl('drop_fills_silent', 2)
wait('silent', lambda s: s['fills_dropped'] >= d0 + 2, 60)
time.sleep(2.5)                    # one reconciliation interval and a margin
s = mark('silent')
note(f"silent: {s['fills_dropped'] - d0} executions with neither a TRADE nor a status event")
ctl('dup_fills', 3)
s = wait('dup', lambda s: s['fills_duplicated'] >= 3, 60)
mark('dup')
note(f"dup: {s['fills_duplicated']} executionReports sent twice")
# 1.5 s (wall) late: some fills are polled over REST (every 2 s) before they arrive
f0 = stats()['fills']
ctl('delay_fills_ms', ms_per_s * 3 // 2)
wait('delay', lambda s: s['fills'] >= f0 + 4, 60)
ctl('delay_fills_ms', 0)
time.sleep(1.6)                    # the delayed events are still due
s = mark('delay')
note(f"delay: {s['fills'] - f0} executions with late fills")
# account stream down ~1.5 s (wall), then the venue drops the WS API session
s0 = stats()
ctl('stream_outage', ms_per_s * 3 // 2)
wait('outage', lambda s: s['ws_sessions'] > s0['ws_sessions'] and s['account_events_lost'] >= 1, 60)
wait('outage', lambda s: s['fills'] > s0['fills'], 30)
time.sleep(1)                      # the re-subscription's back-fill
s = mark('outage')
note(f"outage: {s['account_events_lost']} account events lost, {s['fills'] - s0['fills']} executions, reconnected")
# the venue drops every order connection (WS API and REST) right after an execution whose fill is
# in flight (delayed 0.5 s wall) and refuses the WS API for 1.2 s: the fill is lost with the session.
# The venue disconnects in the same pass that makes the execution (`disconnect_on_fill`): when this
# process reacted to the execution itself, a loaded CI box (ASan) sometimes sent the disconnect after
# the fill had gone out on the WS, and nothing was lost.
s0 = stats()
ctl('delay_fills_ms', ms_per_s // 2)
ctl('disconnect_on_fill', ms_per_s * 6 // 5)
wait('disconnect', lambda s: s['disconnects'] > s0['disconnects'], 30)
ctl('delay_fills_ms', 0)
wait('disconnect', lambda s: s['ws_sessions'] > s0['ws_sessions'], 30)
time.sleep(1)
s = mark('disconnect')
note(f"disconnect: WS API refused {s['ws_refused']} times, {s['fills'] - s0['fills']} executions, reconnected")
EOF

"$B" ctl pause --instance "$INST" --timeout 60 > "$T/ctl.log" 2>&1 || die "ctl pause: $(cat "$T/ctl.log")"
"$B" ctl flatten --instance "$INST" --timeout 60 > "$T/ctl.log" 2>&1 || die "ctl flatten: $(cat "$T/ctl.log")"
sleep 2
"$B" ctl stop --instance "$INST" --timeout 60 > /dev/null 2>&1 || true
wait "$RUN" || die "ringside run failed"
RUN=""
note "run finished"
"$B" venue-sim ctl --port "$OPORT" --ca "$T/certs/ca.pem" stats > "$T/stats.json"
kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""
J=$(ls -d "$T"/journal/$INST/*/ | head -1)
"$B" journal verify "$J" > "$T/jverify.log" || die "journal verify failed: $(cat "$T/jverify.log")"
grep -q "verdict: identical (0 divergences)" "$T/run.log" || die "replay verify: not 0 divergences"
"$B" journal cat "$J" --json --type exec_report,risk,venue_msg,position,intent > "$T/j.jsonl"

python3 - "$T/j.jsonl" "$T/stats.json" "$T/run.yml" "$T/phases" "$SPEED" <<'EOF' || die "fill-side checks failed"
import json, re, sys
jl, stats, cfg, phases, speed = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read(), sys.argv[4], int(sys.argv[5])
syms = re.findall(r'symbol: (\w+)', cfg)
recon_ms = int(re.search(r'reconcile_interval_ms: (\d+)', cfg).group(1))
errs = []
def check(ok, msg):
    print(("  ok   " if ok else "  FAIL ") + msg)
    if not ok: errs.append(msg)

xr, risk, pos, intents = [], [], {}, []
ws_trades = {}       # trade id -> times it came as an executionReport TRADE on the WS
listed = {}          # trade id -> times a REST myTrades answer listed it
trade_time = {}      # trade id -> venue time (ms)
for line in open(jl):
    r = json.loads(line)
    t = r['type']
    if t == 'exec_report': xr.append(r)
    elif t == 'risk': risk.append(r)
    elif t == 'intent': intents.append(r)
    elif t == 'position': pos[r['sym']] = r['qty']
    elif t == 'venue_msg':
        d, ch = r['data'], r['conn'] >> 28
        if ch == 1 and '"executionReport"' in d and '"x":"TRADE"' in d:
            tid = int(re.search(r'"t":(\d+)', d).group(1))
            ws_trades[tid] = ws_trades.get(tid, 0) + 1
            trade_time[tid] = int(re.search(r'"T":(\d+)', d).group(1))
        elif ch == 2:
            for m in re.finditer(r'"id":(\d+),"orderId":\d+,.*?"time":(\d+)', d):
                trade_time[int(m.group(1))] = int(m.group(2))
                listed[int(m.group(1))] = listed.get(int(m.group(1)), 0) + 1

fills = [r for r in xr if r['is_fill'] == 1]
first = {}           # (sym, trade id) -> the exec report that applied it
for r in fills:
    first.setdefault((r['sym'], r['trade_id']), r)
by_tid = {t: r for (_, t), r in first.items()}   # the venue's trade ids are unique across symbols
tids = sorted(by_tid)

# ---- the whole session --------------------------------------------------------------
eng = {}
for r in fills:
    eng[r['sym']] = eng.get(r['sym'], 0) + r['last_qty'] * (1 if r['side'] == 'buy' else -1)
venue = stats['positions']
check(all(eng.get(i, 0) == venue[s] for i, s in enumerate(syms)),
      f"positions from exec reports == venue: engine {[eng.get(i, 0) for i in range(len(syms))]} venue {venue}")
check(all(pos.get(i, 0) == venue[s] for i, s in enumerate(syms)),
      f"gate's last position records == venue: {[pos.get(i, 0) for i in range(len(syms))]}")
check(len(first) == stats['fills'], f"distinct executions applied {len(first)} == venue executions {stats['fills']}")
check(len(fills) == len(first), f"no execution reported twice ({len(fills)} fill reports)")
check(stats['duplicate_client_ids'] == 0 and stats['bad_signatures'] == 0 and stats['bad_requests'] == 0,
      "venue: no duplicate client id, bad signature or bad request")
last, unknown = {}, set()
for r in xr:
    if r['state'] == 9: unknown.add(r['client_id'])
    last[r['client_id']] = r['state']
check(not [c for c in unknown if last[c] == 9], f"no order left UNKNOWN ({len(unknown)} went UNKNOWN)")
# fill health (gate, circuit 8): every stale position resolved, no escalation; while a symbol's
# position is stale the gate sends no ENTRY/EXIT order for it
stale, bad, nstale, opened = {}, 0, 0, {}
ev = sorted([(r['gseq'], 'r', r) for r in risk if r['circuit'] == 8] + [(r['gseq'], 'i', r) for r in intents])
for _, k, r in ev:
    if k == 'r' and r['action'] == 0: stale[r['sym']] = stale.get(r['sym'], 0) + 1; nstale += 1
    elif k == 'r' and r['action'] == 4: stale[r['sym']] = max(0, stale.get(r['sym'], 0) - 1)
    elif k == 'r' and r['action'] == 5: bad += 1
    elif k == 'i' and r['kind'] == 1 and r['purpose'] in (1, 2) and stale.get(r['sym'], 0): opened[r['sym']] = 1
check(bad == 0 and not any(stale.values()),
      f"fill health: {nstale} stale position(s), all resolved, {bad} escalations")
check(not opened, "no ENTRY/EXIT order on a symbol while its position was stale")

# ---- per phase: trade ids in the venue's order of execution ----------------------------
bounds, prev = [], 0
for line in open(phases):
    name, n = line.split(); bounds.append((name, prev, int(n))); prev = int(n)
bounds.append(('end', prev, len(tids)))
P = {name: tids[a:b] for name, a, b in bounds}
def lag_ms(t):   # venue execution -> the engine's report applying it, market ms
    return by_tid[t]['ts'] / 1e6 - trade_time[t] if t in trade_time else None
def src(t): return by_tid[t]['source']
def lags(ts):
    v = [x for x in (lag_ms(t) for t in ts) if x is not None]
    return f"max {max(v):.0f} market ms = {max(v) / speed:.1f} ms wall (reconcile interval {recon_ms} = {recon_ms / speed:.0f} ms wall)" if v else "n/a"

missed = [t for t in P['drop'] if t not in ws_trades]
check(len(missed) == 3, f"drop: {len(missed)} executions never came as a TRADE event (3 dropped by the venue)")
check(all(src(t) == 1 for t in missed), "drop: each back-filled from REST myTrades (source=1)")
gap_syms = {r['sym'] for r in risk if r['circuit'] == 107}
drift = sum(abs(r['value']) for r in risk if r['circuit'] == 101)
check(bool(gap_syms) and drift > 0, f"drop: FILL_GAP (107) on {sorted(gap_syms)}, DRIFT (101) back-filled {drift:g} units")
print(f"  drop: back-fill delay {lags(missed)}")
silent = [t for t in P['silent'] if t not in ws_trades]
check(len(silent) == 2 and all(src(t) == 1 for t in silent),
      f"silent drop: {len(silent)} executions with no account event at all (2 dropped), back-filled from REST")
check(all(last[by_tid[t]['client_id']] == 4 for t in silent), "silent drop: their orders end FILLED")
print(f"  silent drop: back-fill delay {lags(silent)}")

dups = [t for t in P['dup'] if ws_trades.get(t, 0) >= 2]
check(len(dups) == 3, f"dup: {len(dups)} executions delivered twice on the WS, each reported once")
print(f"  dup across channels: {sum(1 for t in tids if t in ws_trades and t in listed)} executions came both as a "
      f"WS event and in a REST myTrades answer, {sum(1 for t in tids if t in ws_trades and src(t) == 1)} of them "
      f"applied from REST first")
# back-fills start after the last trade id the venue listed (the journaled watermark), never from
# the session start again: no trade is listed by two myTrades answers
check(not [t for t, n in listed.items() if n > 1], f"myTrades answers never re-list a trade ({len(listed)} listed)")

late = P['delay']
polled = [t for t in late if src(t) == 1]
check(len(late) >= 4 and all(t in ws_trades for t in late),
      f"delay: {len(late)} executions, every late TRADE event arrived, {len(polled)} applied first from a REST poll")
print(f"  delay: application lag {lags(late)}")

out = [t for t in P['outage'] if t not in ws_trades]
check(len(out) >= 1 and all(src(t) == 1 for t in out),
      f"outage: {len(out)} of {len(P['outage'])} executions lost on the account stream, back-filled over REST")
sd = [r for r in risk if r['circuit'] == 105 and r['action'] == 1]
su = [r for r in risk if r['circuit'] == 105 and r['action'] == 4 and sd and r['gseq'] > sd[-1]['gseq']]
check(bool(sd) and bool(su), f"outage: account stream down (105/1) then re-subscribed (105/4) x{len(su)}")
print(f"  outage: back-fill delay {lags(out)}")
lost = [t for t in P['disconnect'] if t not in ws_trades]
check(len(lost) >= 1 and all(src(t) == 1 for t in lost),
      f"disconnect: {len(lost)} of {len(P['disconnect'])} executions never came on the WS, back-filled over REST")
if errs:
    sys.exit(1)
EOF
opens=$(grep -o "opens [0-9]*" "$T/run.log" | awk '{print $2}')
[ "${opens:-0}" -ge 2 ] || die "the WS API session did not reconnect after the outage"
echo "$(grep 'records compared' "$T/run.log" | sed 's/^ *//'), 0 divergences; WS API opens $opens"
echo "1 passed, 0 failed"
