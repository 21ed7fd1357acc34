#!/usr/bin/env bash
# Model hot swap and recorder restart, end to end (docs/runtime.md):
#  1. `ctl reload-model` of invalid models (truncated file, feature layout
#     mismatch) mid-run is refused and journaled, trading goes on; a valid
#     retrained model (h3 with another base score) is swapped in: the swap
#     and the model bytes are journaled, predictions after it carry the new
#     hash and other values, `replay --verify` finds 0 divergences.
#  2. The recorder is killed (SIGKILL) mid-run: the supervisor pauses trading,
#     restarts it on the same journal (resume), and the journal verifies and
#     replays with 0 divergences -- the rings held every record meanwhile, so
#     nothing is lost and no gap is journaled.
set -euo pipefail
B=${RINGSIDE:?}
SRC=${RS_SOURCE_DIR:?}
T=$(mktemp -d)
SIM=""
cleanup() { [ -n "$SIM" ] && kill "$SIM" 2>/dev/null; wait 2>/dev/null || true; [ -n "${RS_ITEST_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"; }
trap cleanup EXIT
cd "$SRC"
bash tools/make-certs.sh "$T/certs" >/dev/null
SECS=${RS_ITEST_SECONDS:-16}
# a fast market clock so that the features warm up (48 bars) within seconds
SPEED=2304

# a second valid h3 (same features, another base score) and two bad ones
python3 - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
d = json.load(open("models/h3.json"))
p = d["learner"]["learner_model_param"]
p["base_score"] = repr(float(p["base_score"]) + 0.75)
json.dump(d, open(t + "/h3b.json", "w"))
d["learner"]["feature_names"][0] = "no_such_feature"
json.dump(d, open(t + "/h3_badlayout.json", "w"))
open(t + "/h3_trunc.json", "w").write(open("models/h3.json").read()[:5000])
EOF

start() {   # name -> starts venue-sim and run in the background (RUN pid), INST
  local name=$1
  local origin=$(( $(date +%s%3N) + 1000 ))
  rm -f "$T/port"
  "$B" venue-sim --port 0 --port-file "$T/port" --cert "$T/certs/server.pem" --key "$T/certs/server.key" \
      --speed $SPEED --start-ms "$origin" --origin-ms "$origin" --seed 11 --symbols 4 --rate-scale 0.025 \
      --duration 60 >"$T/sim-$name.log" 2>&1 &
  SIM=$!
  for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
  local port; port=$(cat "$T/port")
  INST=itest-$name-$$
  sed -e "s#127.0.0.1:9443#127.0.0.1:$port#g" -e "s#certs/ca.pem#$T/certs/ca.pem#g" \
      -e "s#^instance: demo#instance: $INST#" -e "s#journal_dir: var/journal#journal_dir: $T/journal#" \
      configs/demo.yml > "$T/$name.yml"
  "$B" run -c "$T/$name.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration "${2:-$SECS}" \
      --progress 0 --summary-json "$T/$name.json" > "$T/run-$name.log" 2>&1 &
  RUN=$!
}

finish() {  # name -> waits, verifies, replays; sets J
  local name=$1
  wait $RUN || { echo "$name: run failed"; cat "$T/run-$name.log"; exit 1; }
  kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""
  J=$(ls -d "$T"/journal/$INST/*/ | head -1)
  grep -q '"bars":[1-9]' "$T/$name.json" || { echo "$name: no bars"; cat "$T/run-$name.log"; exit 1; }
  "$B" journal verify "$J" > "$T/verify-$name.log" || { cat "$T/verify-$name.log"; exit 1; }
  "$B" replay "$J" --verify > "$T/replay-$name.log" 2>&1 || { cat "$T/replay-$name.log"; exit 1; }
  grep -q "divergences       0" "$T/replay-$name.log" || { cat "$T/replay-$name.log"; exit 1; }
  echo "$name: $(grep -o '"records":[0-9]*' "$T/$name.json"), replay: $(grep 'records compared' "$T/replay-$name.log")"
}

ctl() { "$B" ctl "$@" --instance "$INST" --timeout 20; }

count_preds() {   # predictions journaled so far (the journal is open: read up to its tail)
  local j; j=$(ls -d "$T"/journal/$INST/*/ 2>/dev/null | head -1)
  [ -n "$j" ] || { echo 0; return; }
  "$B" journal cat "$j" --type prediction --stream pred 2>/dev/null | wc -l
}

wait_preds() {    # until at least N predictions are journaled (features warm up first)
  for _ in $(seq 1 120); do
    [ "$(count_preds)" -ge "$1" ] && return 0
    kill -0 $RUN 2>/dev/null || break
    sleep 0.5
  done
  echo "no predictions after waiting"; cat "$T/run-$INST.log" 2>/dev/null; exit 1
}

# ---- 1. hot swap, refused reloads --------------------------------------------------
start swap 90
wait_preds 8
ctl reload-model "$T/h3_trunc.json" > "$T/ctl1.log"
ctl reload-model "h3=$T/h3_badlayout.json" > "$T/ctl2.log"
N0=$(count_preds)
ctl reload-model "h3=$T/h3b.json" > "$T/ctl3.log"
wait_preds $((N0 + 12))
"$B" ctl status --instance "$INST" > "$T/status-swap.txt"
ctl stop > /dev/null
finish swap
# ctl status / top show the ensemble in use and the reload counts
NEW=$("$B" journal cat "$J" --type model_swap --stream pred --json | sed -n 's/.*"new_sha256":"\([0-9a-f]\{16\}\).*/\1/p')
grep -q "model  *$NEW" "$T/status-swap.txt" || { echo "ctl status does not show model $NEW"; cat "$T/status-swap.txt"; exit 1; }
grep -q "model_swaps  *1" "$T/status-swap.txt" && grep -q "model_refused  *2" "$T/status-swap.txt" ||
  { echo "ctl status reload counts"; cat "$T/status-swap.txt"; exit 1; }
L="$T/run-swap.log"
grep -q "model reload refused: .*h3_trunc.json" "$L" || { echo "truncated model not refused"; cat "$L"; exit 1; }
grep -q "model reload refused: .*no_such_feature" "$L" || { echo "layout mismatch not refused"; cat "$L"; exit 1; }
grep -q "model swapped:" "$L" || { echo "no swap applied"; cat "$L"; exit 1; }
grep -q "model reloads: 3 requested, 1 applied, 2 refused" "$L" || { echo "reload summary"; cat "$L"; exit 1; }
"$B" journal cat "$J" --type alarm --json > "$T/alarms.txt"
[ "$(grep -c "model reload refused" "$T/alarms.txt")" = 2 ] || { echo "refusals not journaled"; cat "$T/alarms.txt"; exit 1; }
"$B" journal cat "$J" --type model_swap > "$T/swaps.txt"
[ "$(grep -c model_swap "$T/swaps.txt")" = 2 ] || { echo "want the swap on ctl_model and pred"; cat "$T/swaps.txt"; exit 1; }
"$B" journal cat "$J" --type blob | grep -q blob || { echo "model bytes not journaled"; exit 1; }
# predictions before and after the swap carry different model hashes and values
"$B" journal cat "$J" --type prediction,model_swap --stream pred --json > "$T/pred.txt"
python3 - "$T/pred.txt" <<'EOF' || exit 1
import sys, json
recs = [json.loads(l) for l in open(sys.argv[1])]
swap = [i for i, r in enumerate(recs) if r["type"] == "model_swap"]
if len(swap) != 1:
    sys.exit("want one swap on pred, got %d" % len(swap))
s = swap[0]
before, after = recs[:s], recs[s + 1:]
if not before or not after:
    sys.exit("want predictions before (%d) and after (%d) the swap" % (len(before), len(after)))
old, new = recs[s]["old_sha256"], recs[s]["new_sha256"]
if any(r["model_sha256"] != old for r in before) or any(r["model_sha256"] != new for r in after):
    sys.exit("predictions carry the wrong model hash around the swap")
# h3 (horizon index 1) changed: its raw output differs from the old model's range of values
oldv = {round(r["raw"][1], 6) for r in before}
if all(round(r["raw"][1], 6) in oldv for r in after):
    sys.exit("h3 outputs after the swap look like the old model's")
print("predictions: %d before, %d after the swap %s -> %s" % (len(before), len(after), old[:12], new[:12]))
EOF
# the swapped model is needed: without its bytes replay must diverge at the swap
echo "hot swap: ok"

# ---- 2. recorder killed and restarted ------------------------------------------
start rec 90
sleep 3
st() { "$B" ctl status --instance "$INST"; }
RP=$(st | sed -n 's/.*recorder pid \([0-9][0-9]*\).*/\1/p' | head -1)
[ -n "$RP" ] && [ "$RP" != 0 ] || { echo "no recorder pid in ctl status"; st; exit 1; }
kill -9 "$RP"
# the supervisor pauses trading, restarts the recorder on the same journal
for _ in $(seq 1 100); do
  S=$(st | grep "recorder pid")
  P=$(echo "$S" | sed -n 's/.*recorder pid \([0-9][0-9]*\) state \([0-9]\).*/\1 \2/p')
  [ "${P#* }" = 2 ] && [ "${P% *}" != "$RP" ] && echo "$S" | grep -q "journal_unhealthy=0" && break
  sleep 0.2
done
echo "$S" | grep -q "journal_unhealthy=0" || { echo "recorder not back: $S"; cat "$T/run-rec.log"; exit 1; }
# trading stays paused until the operator resumes it
ctl resume > /dev/null
sleep 3
ctl stop > /dev/null
finish rec
L="$T/run-rec.log"
grep -q "ALARM: the recorder exited" "$L" || { echo "no alarm"; cat "$L"; exit 1; }
grep -q "resumed the journal: journal healthy again" "$L" || { echo "recorder not restarted"; cat "$L"; exit 1; }
grep -q "0 gaps (0 lost)" "$L" || { echo "the restarted recorder lost records"; cat "$L"; exit 1; }
"$B" journal cat "$J" --type control --json > "$T/control.txt"
grep -q '"cmd":2,.*"recorder exited: journal unhealthy"' "$T/control.txt" || { echo "pause not journaled"; cat "$T/control.txt"; exit 1; }
grep -q '"cmd":3,' "$T/control.txt" || { echo "resume not journaled"; cat "$T/control.txt"; exit 1; }
"$B" journal cat "$J" --type alarm --json | grep -q '"code":5,.*resumed the journal' || { echo "restart not journaled"; exit 1; }
"$B" journal stat "$J" > "$T/stat-rec.txt"
grep -q "seg-000002" "$T/stat-rec.txt" || grep -q "segments *2\|2 segments" "$T/stat-rec.txt" "$T/verify-rec.log" || { echo "no second segment"; cat "$T/stat-rec.txt"; exit 1; }
echo "recorder restart: ok ($(grep -o '[0-9]* duplicates skipped' "$L"))"
echo "1 passed, 0 failed"
