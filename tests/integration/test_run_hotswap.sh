#!/usr/bin/env bash
# Model hot swap and recorder restart, end to end (docs/runtime.md):
#  1. `ctl reload-model` of invalid models (truncated file, feature layout
#     mismatch) mid-run is refused and journaled, trading goes on with the old
#     model; a valid retrained model (h3 with another base score) is swapped
#     in: the model bytes and the swap are journaled, predictions after it
#     carry the new hash and other h3 outputs, `ctl status` shows the new
#     model, `replay --verify` finds 0 divergences.
#  2. The recorder is killed (SIGKILL) mid-run: the supervisor pauses trading
#     (journaled), restarts the recorder on the same journal (resume), trading
#     resumes on `ctl resume`; the journal verifies (2 segments, no gap) and
#     replays with 0 divergences -- the rings held every record meanwhile.
. "$(dirname "${BASH_SOURCE[0]}")/session_lib.sh"
session_begin
# a fast market clock (a 5-minute bar every 0.13 s) and a thin market, so the
# features warm up (48 bars) within seconds even on a loaded machine or under
# a sanitizer; the feed's silence limits (market time) are raised to match
# (2 s of wall time), or a slow build would see a "silent" connection
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

start() {   # name -> venue-sim and run in the background (RUN pid), INST; stopped by `ctl stop`
  local name=$1
  local origin=$(( $(date +%s%3N) + 1000 ))
  sim_start "$T" "$T/sim-$name.log" --speed $SPEED --start-ms "$origin" --origin-ms "$origin" --seed 11 \
      --symbols 4 --rate-scale 0.01 --duration 300
  INST=itest-$name-$$
  sim_config configs/demo.yml "$T/$name.yml" "$INST" "$T/journal" \
      -e "s#stale_symbol_ms: 300000#stale_symbol_ms: 6000000#" -e "s#stale_conn_ms: 120000#stale_conn_ms: 4800000#"
  "$B" run -c "$T/$name.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration 240 \
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

ctl() { "$B" ctl "$@" --instance "$INST" --timeout 30; }
status() { "$B" ctl status --instance "$INST" 2>/dev/null || true; }

count_preds() {   # records published on the pred ring: predictions, plus a few step/swap records
  status | awk '$1 == "pred" { print $3; f = 1 } END { if (!f) print 0 }'
}

wait_preds() {    # until the pred ring has N records (the features warm up first)
  for _ in $(seq 1 600); do
    [ "$(count_preds)" -ge "$1" ] && return 0
    kill -0 $RUN 2>/dev/null || break
    sleep 0.25
  done
  echo "no predictions after waiting"; cat "$T"/run-*.log; exit 1
}

# ---- 1. hot swap, refused reloads --------------------------------------------------
start swap
wait_preds 8
# ctl waits for the outcome: refused -> exit 1, swapped -> exit 0
if ctl reload-model "$T/h3_trunc.json" > "$T/ctl1.log" 2>&1; then echo "ctl: refusal not reported"; exit 1; fi
grep -q "refused" "$T/ctl1.log" || { cat "$T/ctl1.log"; exit 1; }
if ctl reload-model "h3=$T/h3_badlayout.json" > "$T/ctl2.log" 2>&1; then echo "ctl: refusal not reported"; exit 1; fi
wait_preds $(($(count_preds) + 8))     # refused: the old model goes on
ctl reload-model "h3=$T/h3b.json" > "$T/ctl3.log"
grep -q "model swapped" "$T/ctl3.log" || { cat "$T/ctl3.log"; exit 1; }
wait_preds $(($(count_preds) + 12))
status > "$T/status-swap.txt"
ctl stop > /dev/null
finish swap
L="$T/run-swap.log"
grep -q "model reload refused: .*h3_trunc.json" "$L" || { echo "truncated model not refused"; cat "$L"; exit 1; }
grep -q "model reload refused: .*no_such_feature" "$L" || { echo "layout mismatch not refused"; cat "$L"; exit 1; }
grep -q "model swapped:" "$L" || { echo "no swap applied"; cat "$L"; exit 1; }
grep -q "model reloads: 3 requested, 1 applied, 2 refused" "$L" || { echo "reload summary"; cat "$L"; exit 1; }
# one pass over the journal: refusals, model bytes, the swap, predictions around it
"$B" journal cat "$J" --type alarm,blob,model_swap,prediction --json > "$T/recs.txt"
cat > "$T/check.py" <<'EOF'
import sys, json, re
recs = [json.loads(l) for l in open(sys.argv[1])]
alarms = [r for r in recs if r["type"] == "alarm" and "model reload refused" in r["text"]]
if len(alarms) != 2 or any(r["stream"] != "ctl_model" or r["code"] != 16 for r in alarms):
    sys.exit("want 2 refusals journaled on ctl_model, got %s" % alarms)
swaps = [r for r in recs if r["type"] == "model_swap"]
if sorted(r["stream"] for r in swaps) != ["ctl_model", "pred"]:
    sys.exit("want the swap on ctl_model (input) and pred (applied), got %s" % swaps)
sw_in = [r for r in swaps if r["stream"] == "ctl_model"][0]
blobs = [r for r in recs if r["type"] == "blob"]
if not blobs or any(r["gseq"] > sw_in["gseq"] for r in blobs) or not any(r["kind"] == 4 for r in blobs):
    sys.exit("model bytes and description must be journaled before the swap")
pred = [r for r in recs if r["stream"] == "pred" and r["type"] in ("prediction", "model_swap")]
s = [i for i, r in enumerate(pred) if r["type"] == "model_swap"][0]
before, after = pred[:s], pred[s + 1:]
if not before or not after:
    sys.exit("want predictions before (%d) and after (%d) the swap" % (len(before), len(after)))
old, new = pred[s]["old_sha256"], pred[s]["new_sha256"]
if any(r["model_sha256"] != old for r in before) or any(r["model_sha256"] != new for r in after):
    sys.exit("predictions carry the wrong model hash around the swap")
refused_at = max(r["gseq"] for r in alarms)
between = [r for r in before if r["gseq"] > refused_at]
if len(between) < 4:
    sys.exit("only %d predictions between the refused reloads and the swap" % len(between))
# h3 (horizon index 1) was replaced: its outputs are not the old model's
oldv = {round(r["raw"][1], 6) for r in before}
if all(round(r["raw"][1], 6) in oldv for r in after):
    sys.exit("h3 outputs after the swap look like the old model's")
# ctl status / top show the ensemble in use and the reload counts
st = open(sys.argv[2]).read()
if not re.search(r"\bmodel +%s\b" % new[:16], st) or not re.search(r"model_swaps +1\b", st) \
        or not re.search(r"model_refused +2\b", st):
    sys.exit("ctl status does not show model %s, 1 swap, 2 refused:\n%s" % (new[:16], st))
print("predictions: %d before (%d after the refusals), %d after the swap %s -> %s"
      % (len(before), len(between), len(after), old[:12], new[:12]))
EOF
python3 "$T/check.py" "$T/recs.txt" "$T/status-swap.txt"
echo "hot swap: ok"

# ---- 2. recorder killed and restarted ------------------------------------------
start rec
for _ in $(seq 1 300); do status | grep -q "recorder pid [1-9][0-9]* state 2" && break; sleep 0.1; done
wait_preds 1
RP=$(status | sed -n 's/.*recorder pid \([0-9][0-9]*\).*/\1/p' | head -1)
[ -n "$RP" ] && [ "$RP" != 0 ] || { echo "no recorder pid in ctl status"; status; exit 1; }
kill -9 "$RP"
# the supervisor pauses trading and restarts the recorder on the same journal
S=""
for _ in $(seq 1 300); do
  S=$(status | grep "recorder pid" || true)
  P=$(echo "$S" | sed -n 's/.*recorder pid \([0-9][0-9]*\) state \([0-9]\).*/\1 \2/p')
  [ "${P#* }" = 2 ] && [ "${P% *}" != "$RP" ] && echo "$S" | grep -q "journal_unhealthy=0" && break
  sleep 0.1
done
echo "$S" | grep -q "journal_unhealthy=0" || { echo "recorder not back: $S"; cat "$T/run-rec.log"; exit 1; }
# trading stays paused until the operator resumes it
ctl resume > /dev/null
wait_preds $(($(count_preds) + 4))
ctl stop > /dev/null
finish rec
L="$T/run-rec.log"
grep -q "ALARM: the recorder exited" "$L" || { echo "no alarm"; cat "$L"; exit 1; }
grep -q "resumed the journal: journal healthy again" "$L" || { echo "recorder not restarted"; cat "$L"; exit 1; }
grep -q "0 gaps (0 lost)" "$L" || { echo "the restarted recorder lost records"; cat "$L"; exit 1; }
"$B" journal cat "$J" --type control,alarm --json > "$T/control.txt"
grep -q '"cmd":2,.*"recorder exited: journal unhealthy"' "$T/control.txt" || { echo "pause not journaled"; cat "$T/control.txt"; exit 1; }
grep -q '"cmd":3,' "$T/control.txt" || { echo "resume not journaled"; cat "$T/control.txt"; exit 1; }
grep -q '"code":5,.*resumed the journal' "$T/control.txt" || { echo "restart not journaled"; cat "$T/control.txt"; exit 1; }
grep -q "2 segments" "$T/verify-rec.log" || { echo "want the resumed journal in a second segment"; cat "$T/verify-rec.log"; exit 1; }
echo "recorder restart: ok ($(grep -o '[0-9]* duplicates skipped' "$L"))"
echo "1 passed, 0 failed"
