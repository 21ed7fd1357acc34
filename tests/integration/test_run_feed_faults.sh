#!/usr/bin/env bash
# Venue faults against the whole engine: venue simulator (TLS, trades +
# bookTicker + diff depth + REST depth snapshots) -> ringside run with the
# recorder. In each session one fault is injected mid-session through
# `venue-sim ctl`; the test then asserts on the journal only (never on
# timing): the engine detected it (freshness / bad-input records), the gate
# saw it (freshness on its mark stream; decisions blocked by fresh_md while it
# lasted), it recovered (reconnect, REST resync, every symbol OK at the end),
# and `replay --verify` reproduces the session with 0 divergences.
#
# Sessions: stall (one symbol silent), half-open (stall_all), gap (trade-id
# gap + depth update-id gap), disconnect. The market runs at 2880x so the
# bundled models warm up (~100 five-minute bars) within ~12 s of wall time.
#
# Two sessions run at a time (each its own simulator, ports, engine and
# journal): the script re-invokes itself with `--scenario NAME DIR`.
set -euo pipefail
# sim_start, sim_config (this script does its own set-up, not session_begin)
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
B=${RINGSIDE:?}
SRC=${RS_SOURCE_DIR:?}
cd "$SRC"
# Market speed and wall-time scale. ThreadSanitizer builds run the engine
# several times slower: a slower market (720x), thresholds of 3 s of wall
# time, faults of 6 s, and no wait for the models (their ~100 bars would
# take minutes there): the fault mechanics and replay are checked, the
# gate's decisions only where they exist.
case "${RS_BUILD_TYPE:-release}" in
  tsan|TSAN|*tsan*) SPEED=720; WALL_STALE_MS=3000; FAULT_MS=6000; WARM_BARS=40; NEED_DEC=0 ;;
  *) SPEED=2880; WALL_STALE_MS=1250; FAULT_MS=3000; WARM_BARS=480; NEED_DEC=1 ;;
esac
STALE_MS=$(( SPEED * WALL_STALE_MS ))
AFTER_S=$(( FAULT_MS / 1000 + 3 ))
SIM=""
RUN=""
if [ "${1:-}" != "--scenario" ]; then
  T=$(mktemp -d)
  PIDS=""
  cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${RS_ITEST_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
  }
  trap cleanup EXIT
  bash tools/make-certs.sh "$T/certs" >/dev/null
  pair() {
    PIDS=""
    for sc in "$@"; do
      bash "$0" --scenario "$sc" "$T" > "$T/out-$sc.log" 2>&1 &
      PIDS="$PIDS $!"
    done
    local rc=0
    for p in $PIDS; do wait "$p" || rc=1; done
    PIDS=""
    for sc in "$@"; do cat "$T/out-$sc.log"; done
    [ $rc -eq 0 ] || exit 1
  }
  pair stall halfopen
  pair gap disconnect
  echo "1 passed, 0 failed"
  exit 0
fi
SCENARIO=$2
T=$3
cleanup() {
  [ -n "$RUN" ] && kill "$RUN" 2>/dev/null
  [ -n "$SIM" ] && kill "$SIM" 2>/dev/null
  wait 2>/dev/null || true
}
trap cleanup EXIT

fail() { echo "FAIL $NAME: $*"; [ -f "$T/run-$NAME.log" ] && tail -30 "$T/run-$NAME.log"; exit 1; }
ctl() {   # a loaded machine can make the simulator's TLS accept time out: retry
  for _ in 1 2 3; do
    "$B" venue-sim ctl --port "$PORT" --ca "$T/certs/ca.pem" "$@" >> "$T/ctl-$NAME.log" 2>&1 && return 0
    sleep 1
  done
  fail "ctl $*"
}
jcat() { "$B" journal cat "$J" "$@"; }

# session NAME: simulator + engine; the caller waits for warm-up, injects
# faults, and ends the session (SIGTERM: the engine drains, the recorder seals)
session_start() {
  NAME=$1
  local origin=$(( $(date +%s%3N) + 1000 ))
  mkdir -p "$T/ports-$NAME"   # two sessions run at a time in this $T
  sim_start "$T/ports-$NAME" "$T/sim-$NAME.log" --speed $SPEED --start-ms "$origin" --origin-ms "$origin" --seed 11 \
      --symbols 4 --rate-scale 0.01 --duration 120
  # thresholds are market time: STALE_MS = WALL_STALE_MS of wall time
  sim_config configs/demo.yml "$T/$NAME.yml" "ffault-$NAME-$$" "$T/journal" \
      -e "s#streams: \[trade, book_ticker\]#streams: [trade, book_ticker, depth]#" \
      -e "s#stale_symbol_ms: 300000#stale_symbol_ms: $STALE_MS#" -e "s#stale_conn_ms: 120000#stale_conn_ms: $STALE_MS#" \
      -e "s#md_stale_ms: 300000#md_stale_ms: $STALE_MS#" -e "s#timer_ms: 1000#timer_ms: 5000#" \
      -e "s#timer_grace_ms: 30000 .*#timer_grace_ms: 200000#"
  grep -q "streams: \[trade, book_ticker, depth\]" "$T/$NAME.yml" || fail "config rewrite"
  "$B" run -c "$T/$NAME.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration 150 \
      --progress 0.5 --summary-json "$T/$NAME.json" > "$T/run-$NAME.log" 2>&1 &
  RUN=$!
}

# Wait (in market terms, not wall time) until the models are deciding: the
# first decisions come after ~100 closed bars per symbol.
wait_warm() {
  for _ in $(seq 1 300); do
    local bars; bars=$({ grep -o "bars [0-9]*" "$T/run-$NAME.log" || true; } | tail -1 | cut -d' ' -f2)
    [ "${bars:-0}" -ge $WARM_BARS ] && return 0
    kill -0 "$RUN" 2>/dev/null || return 1
    sleep 0.5
  done
  fail "no warm-up after 150 s"
}

# start a session and wait for warm-up; an engine that stops before it
# (seen once under ASan on a loaded machine) is reported and retried once
start_warm() {
  session_start "$1"
  wait_warm && return 0
  echo "$1: the engine stopped before warm-up, retrying once:"
  { grep -E "stopping|rror|FAIL|ALARM|FATAL|Sanitizer|Killed|fault" "$T/run-$1.log" | head -5; tail -3 "$T/run-$1.log"; } || true
  kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""
  rm -rf "$T/journal/ffault-$1-$$"
  session_start "$1"
  wait_warm || fail "run exited early"
}

# let the session run SECONDS more (recovery), then stop it
session_stop() {
  sleep "$1"
  kill -TERM "$RUN" 2>/dev/null || true
}

session_end() {
  wait "$RUN" || fail "run exited $?"
  RUN=""
  ctl stats
  kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""
  J=$(ls -d "$T"/journal/ffault-$NAME-$$/*/ | head -1)
  "$B" journal verify "$J" > "$T/verify-$NAME.log" || { cat "$T/verify-$NAME.log"; fail "journal verify"; }
  "$B" replay "$J" --verify > "$T/replay-$NAME.log" 2>&1 || { cat "$T/replay-$NAME.log"; fail "replay --verify"; }
  grep -q "divergences       0" "$T/replay-$NAME.log" || fail "replay diverged"
  # two passes over the journal, split here
  jcat --type freshness,decision,bad_input,bar,features,intent > "$T/all-$NAME.txt"
  grep " type=decision " "$T/all-$NAME.txt" > "$T/dec-$NAME.txt" || true
  # what happened after warm-up (the first decision): start-up syncs and a
  # slow first connect under load are not the fault under test
  TWARM=$({ grep -o " ts=[0-9]*" "$T/dec-$NAME.txt" || true; } | head -1 | cut -d= -f2)
  if [ -z "$TWARM" ]; then
    [ "$NEED_DEC" = 1 ] && fail "no decisions: the session never warmed up"
    # no models yet (tsan): from the moment every symbol's book was first live
    TWARM=$(grep " stream=md .*type=freshness .* sym=[0-3] state=0 " "$T/all-$NAME.txt" \
            | awk '{ for (i = 1; i <= NF; i++) { if ($i ~ /^ts=/) t = substr($i, 4); if ($i ~ /^sym=/) s = $i }
                     if (!(s in seen)) { seen[s] = 1; n++; if (n == 4) { print t; exit } } }')
    [ -n "$TWARM" ] || fail "the books never synced"
  fi
  after() { awk -v t="$TWARM" '{ if (match($0, / ts=[0-9]+ /)) { v = substr($0, RSTART + 4, RLENGTH - 5); if (length(v) > length(t) || (length(v) == length(t) && v >= t)) print } }'; }
  grep " stream=md .*type=freshness " "$T/all-$NAME.txt" > "$T/fresh-$NAME.txt" || true
  after < "$T/fresh-$NAME.txt" > "$T/freshw-$NAME.txt"
  grep " stream=mark .*type=freshness " "$T/all-$NAME.txt" > "$T/markfresh-$NAME.txt" || true
  grep " stream=raw .*type=freshness " "$T/all-$NAME.txt" | after > "$T/conn-$NAME.txt" || true
  grep " stream=md .*type=bad_input " "$T/all-$NAME.txt" | after > "$T/bad-$NAME.txt" || true
  grep -E " stream=feat .*type=(bar|features) " "$T/all-$NAME.txt" > "$T/feat-$NAME.txt" || true
  grep " type=intent " "$T/all-$NAME.txt" > "$T/intent-$NAME.txt" || true
  # after warm-up: snapshots taken (raw frames on the snapshot pseudo-
  # connections RS_FEED_SNAP_CONN + sym) and applied (md depth records with
  # first_update_id 0: "replace the book")
  jcat --type raw,depth --from "$TWARM" > "$T/depth-$NAME.txt"
  SNAPS=$(grep -c " type=raw .* conn=655[3-9][0-9] " "$T/depth-$NAME.txt" || true)
  APPLIED=$(grep -c " type=depth .*first_update_id=0 " "$T/depth-$NAME.txt" || true)
  [ "$APPLIED" -le "$SNAPS" ] || fail "more books replaced ($APPLIED) than snapshots ($SNAPS)"
  rm -f "$T/all-$NAME.txt" "$T/depth-$NAME.txt"
}

count() { grep -cE "$1" "$2" || true; }

# every symbol's last freshness record is OK: the engine recovered
all_ok_at_end() {
  for s in 0 1 2 3; do
    local last; last=$(grep -E " sym=$s state=" "$T/fresh-$NAME.txt" | tail -1)
    echo "$last" | grep -q "state=0" || fail "sym $s did not recover: $last"
  done
}

# The gate's side of an outage, from the journal: the window runs from the
# first non-OK freshness record of the faulted symbol(s) (or connection) after
# the session warmed up to the record that made them OK again. In it: the
# gate's own input (mark stream) carried the state; bars touched are flagged
# GAP and their features are not ready (so no prediction); no entry was
# decided or sent for those symbols; and (one-symbol faults) the other
# symbols kept being decided.
gate_window() {   # SYMS(regex of sym ids) START_PATTERN
  GATE=$(python3 - "$T" "$NAME" "$1" "$2" <<'PY'
import re, sys
T, name, syms, startpat = sys.argv[1:5]
symre = re.compile(r" sym=(%s) " % syms)
def recs(f):
    for line in open("%s/%s-%s.txt" % (T, f, name)):
        m = re.search(r" ts=(\d+) ", line)
        if m:
            yield int(m.group(1)), line
fresh = list(recs("fresh"))
# the fault: first record matching START after the first decision
dec = list(recs("dec"))
# after the start-up book syncs (and the first decision, when the models
# warmed up in time: sanitizer builds may not get there)
oks = [ts for ts, l in fresh if re.search(r" sym=[0-3] state=0 ", l)]
t_warm = max(dec[0][0] if dec else 0, oks[3] if len(oks) > 3 else 0)
start = next((ts for ts, l in fresh if ts > t_warm and re.search(startpat, l)), None)
if start is None:
    print("ERR fault not found in freshness records"); sys.exit()
# end, per faulted symbol: its first OK after the fault
ends = {}
for s in range(4):
    if not re.fullmatch(syms, str(s)): continue
    ok = next((ts for ts, l in fresh if ts >= start and " sym=%d state=0 " % s in l), None)
    if ok is None:
        print("ERR sym %d never OK after the fault" % s); sys.exit()
    ends[s] = ok
end = max(ends.values())
marks = [l for ts, l in recs("markfresh") if start <= ts <= end and " state=0 " not in l]
if not marks:
    print("ERR the gate's mark stream did not carry the outage"); sys.exit()
def sym_of(l):
    m = re.search(r" sym=(\d+) ", l)
    return int(m.group(1)) if m else -1
def faulted(ts, l):   # in the outage of its own symbol
    k = sym_of(l)
    return k in ends and start <= ts <= ends[k]
feat = list(recs("feat"))
bad_bar = [l for ts, l in feat if faulted(ts, l) and " type=bar " in l and " flags=0 " in l]
ready = [l for ts, l in feat if faulted(ts, l) and " type=features " in l and " ready=1 " in l]
dwin = [l for ts, l in dec if faulted(ts, l)]
entries = [l for l in dwin if re.search(r" action=(1|2) ", l)]
ient = [l for ts, l in recs("intent") if faulted(ts, l) and " purpose=1 " in l]
others = [l for ts, l in dec if start <= ts <= end and sym_of(l) not in ends]
if bad_bar: print("ERR unflagged bar in the outage: " + bad_bar[0][:200]); sys.exit()
if ready: print("ERR ready features in the outage: " + ready[0][:200]); sys.exit()
if entries or ient: print("ERR entry during the outage: " + (entries + ient)[0][:200]); sys.exit()
print("outage %.0f s market, gate inputs %d, decisions for the faulted symbol(s) %d (entries 0), other symbols %d"
      % ((end - start) / 1e9, len(marks), len(dwin), len(others)))
PY
)
  case "$GATE" in ERR*) fail "$GATE" ;; esac
}

case $SCENARIO in
# ---- 1. one symbol stalls (its messages stop, the rest flows), then resumes
stall)
start_warm stall
ctl stall BTCUSDT $FAULT_MS
session_stop $AFTER_S
session_end
[ "$(count ' sym=0 state=1 ' "$T/freshw-$NAME.txt")" -ge 1 ] || fail "BTCUSDT never became STALE"
[ "$(count ' sym=[123] state=1 ' "$T/freshw-$NAME.txt")" -eq 0 ] || fail "another symbol became STALE"
grep -q "reason=8 .*btcusdt@trade" "$T/bad-$NAME.txt" || fail "no trade-id gap after the stall"
[ "$APPLIED" -ge 1 ] || fail "no depth resync after the stall ($SNAPS snapshots)"
all_ok_at_end
gate_window 0 ' sym=0 state=1 '
# the other symbols were not held up by the one that stalled
[ -z "$(jcat --type decision --limit 1)" ] || echo "$GATE" | grep -q "other symbols [1-9]" || fail "other symbols stopped: $GATE"
echo "stall: STALE $(count ' sym=0 state=1 ' "$T/freshw-$NAME.txt"), trade gaps $(count 'reason=8 ' "$T/bad-$NAME.txt"), snapshots $SNAPS (applied $APPLIED), $GATE"
  ;;
# ---- 2. the connection goes half-open (TCP up, nothing sent or read)
halfopen)
start_warm halfopen
ctl stall_all $FAULT_MS
session_stop $AFTER_S
session_end
[ "$(count ' sym=65535 state=1 ' "$T/freshw-$NAME.txt")" -ge 1 ] || fail "half-open connection not detected"
[ "$(count ' state=3 ' "$T/conn-$NAME.txt")" -ge 1 ] || fail "the silent connection was not closed"
[ "$(count ' state=0 ' "$T/conn-$NAME.txt")" -ge 1 ] || fail "no reconnect"
[ "$APPLIED" -ge 1 ] || fail "no depth resync after the reconnect ($SNAPS snapshots)"
all_ok_at_end
gate_window '[0-3]' ' sym=65535 state=1 '
echo "half-open: conn STALE $(count ' sym=65535 state=1 ' "$T/freshw-$NAME.txt"), connections opened $(count ' state=0 ' "$T/conn-$NAME.txt"), snapshots $SNAPS (applied $APPLIED), $GATE"
  ;;
# ---- 3. sequence gaps: messages dropped (trade ids), then depth diffs dropped (update ids)
gap)
start_warm gap
ctl gap 40
sleep 1.5
ctl depth_gap 4
session_stop $(( AFTER_S - 3 ))
session_end
[ "$(count 'reason=8 .*field=trade_id' "$T/bad-$NAME.txt")" -ge 1 ] || fail "no trade-id gap detected"
[ "$(count ' sym=[0-3] state=2 ' "$T/freshw-$NAME.txt")" -ge 1 ] || fail "no GAP published"
[ "$APPLIED" -ge 1 ] || fail "no depth resync after the depth gap ($SNAPS snapshots)"
grep -q '"depth_gap":4' "$T/ctl-$NAME.log" || fail "the simulator did not drop 4 depth diffs"
all_ok_at_end
echo "gap: trade gaps $(count 'reason=8 ' "$T/bad-$NAME.txt"), GAP records $(count ' sym=[0-3] state=2 ' "$T/freshw-$NAME.txt"), snapshots $SNAPS (applied $APPLIED)"
  ;;
# ---- 4. the venue drops the connection (TCP close, no close frame)
disconnect)
start_warm disconnect
ctl disconnect
session_stop $(( AFTER_S - 2 ))
session_end
[ "$(count ' state=3 ' "$T/conn-$NAME.txt")" -ge 1 ] || fail "disconnect not seen"
[ "$(count ' state=0 ' "$T/conn-$NAME.txt")" -ge 1 ] || fail "no reconnect"
[ "$APPLIED" -ge 1 ] || fail "no depth resync after the reconnect ($SNAPS snapshots)"
all_ok_at_end
echo "disconnect: connections opened $(count ' state=0 ' "$T/conn-$NAME.txt"), trade gaps $(count 'reason=8 ' "$T/bad-$NAME.txt"), snapshots $SNAPS (applied $APPLIED)"
  ;;
*) echo "unknown scenario $SCENARIO"; exit 2 ;;
esac
