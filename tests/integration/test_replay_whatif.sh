#!/usr/bin/env bash
# `ringside replay --what-if` end to end: record a short accelerated session
# (venue-sim + run, free port, temp dirs), then
#   1. a what-if with the journal's own config and models reproduces every
#      record of the single-input stages and the model (bars, features,
#      predictions: identical payloads and timestamps) and the number of
#      decisions; gate/exec outputs may differ (docs/replay.md says why)
#   2. a what-if with a higher z_threshold gives a different summary (more
#      zedge refusals, no more intents), through the interface the
#      walk-forward tool uses (-c CFG --out J2 --summary-json F)
#   3. every what-if journal replay-verifies with 0 divergences, and two
#      what-ifs of the same inputs are identical record for record
#   4. --out onto an existing journal is refused (and --force replaces it;
#      the source journal is never a valid --out)
#   5. a missing or corrupt journal, a bad config, a missing model, an
#      unknown model entry: exit 1 with a message naming the problem
set -euo pipefail
B=${RINGSIDE:?}
SRC=${RS_SOURCE_DIR:?}
T=$(mktemp -d)
SIM=""
cleanup() { [ -n "$SIM" ] && kill "$SIM" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
cd "$SRC"
bash tools/make-certs.sh "$T/certs" >/dev/null

# ---- a short session: 2880x market clock, 16 market hours in 20 s (the
# bundled models need ~100 bars of warm-up before they predict)
SPEED=2880
origin=$(( $(date +%s%3N) + 1000 ))
"$B" venue-sim --port 0 --port-file "$T/port" --cert "$T/certs/server.pem" --key "$T/certs/server.key" \
    --speed $SPEED --start-ms "$origin" --origin-ms "$origin" --seed 11 --symbols 4 --rate-scale 0.02 \
    --duration 90 >"$T/sim.log" 2>&1 &
SIM=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")
sed -e "s#127.0.0.1:9443#127.0.0.1:$port#g" -e "s#certs/ca.pem#$T/certs/ca.pem#g" \
    -e "s#^instance: demo#instance: itest-whatif-$$#" -e "s#journal_dir: var/journal#journal_dir: $T/journal#" \
    configs/demo.yml > "$T/run.yml"
"$B" run -c "$T/run.yml" --clock-speed $SPEED --clock-origin-ms "$origin" --duration "${RS_ITEST_SECONDS:-20}" \
    --progress 0 > "$T/run.log" 2>&1 || { cat "$T/run.log"; exit 1; }
kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; SIM=""
J=$(ls -d "$T"/journal/itest-whatif-$$/*/ | head -1); J=${J%/}
echo "source: $(grep '^bars' "$T/run.log")"

jget() {   # file, python expression over the JSON document d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
# records of some types with the fields that may differ (global position,
# local stamp) removed, sorted: the recorder interleaves streams in its own
# order, so compare stream by stream (stream and seq are in each line)
content() { "$B" journal cat "$1" --type "$2" | sed -E 's/^gseq=[0-9]+ //; s/ ts_local=[0-9]+//' | LC_ALL=C sort; }

# ---- 1. the same config and models (embedded): default --out name
"$B" replay "$J" --what-if --summary-json "$T/same.json" --progress 0 > "$T/same.log" 2>&1 \
    || { cat "$T/same.log"; exit 1; }
W1="$J-whatif-embedded"
[ -d "$W1" ] || { echo "default --out $W1 missing"; cat "$T/same.log"; exit 1; }
for k in bars predictions decisions; do
  a=$(jget "$T/same.json" "d['source']['$k']"); b=$(jget "$T/same.json" "d['whatif']['$k']")
  [ "$a" = "$b" ] || { echo "same config: $k $a != $b"; cat "$T/same.log"; exit 1; }
done
[ "$(jget "$T/same.json" "d['whatif']['predictions']")" -gt 0 ] || { echo "no predictions in the session"; cat "$T/run.log"; exit 1; }
for t in bar features prediction; do
  cmp <(content "$J" $t) <(content "$W1" $t) >/dev/null || { echo "same config: $t records differ"; exit 1; }
done
echo "same config: $(jget "$T/same.json" "'bars %d, predictions %d, decisions %d (identical); intents %d -> %d, fills %d -> %d, pnl %.2f -> %.2f' % (d['source']['bars'], d['source']['predictions'], d['source']['decisions'], d['source']['intents'], d['whatif']['intents'], d['source']['fills'], d['whatif']['fills'], d['source']['pnl'], d['whatif']['pnl'])")"

# ---- 3. it replay-verifies with 0 divergences; a second what-if is identical
"$B" replay "$W1" --verify > "$T/verify1.log" || { cat "$T/verify1.log"; exit 1; }
grep -q "divergences       0" "$T/verify1.log"
"$B" replay "$J" --what-if --out "$T/again" --quiet --progress 0 > /dev/null
# (the unit test compares every byte; here the gate's and exec's records,
# the ones that depend on the scheduling order, in journal order)
T_ORD=decision,intent,risk,position,order,exec_report
cmp <("$B" journal cat "$W1" --type $T_ORD) <("$B" journal cat "$T/again" --type $T_ORD) > /dev/null \
    || { echo "two what-ifs of the same inputs differ"; exit 1; }
"$B" journal verify "$W1" > /dev/null

# ---- 2. a higher z_threshold: the walk-forward tool's interface
sed -e 's/^  z_threshold: 1.0/  z_threshold: 3.0/' "$T/run.yml" > "$T/z3.yml"
grep -q "z_threshold: 3.0" "$T/z3.yml"
"$B" replay "$J" --what-if -c "$T/z3.yml" --out "$T/z3" --summary-json "$T/z3.json" --verify --progress 0 \
    > "$T/z3.log" 2>&1 || { cat "$T/z3.log"; exit 1; }
grep -q "divergences       0" "$T/z3.log" || { cat "$T/z3.log"; exit 1; }
python3 - "$T/same.json" "$T/z3.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))['whatif']; d = json.load(open(sys.argv[2])); b = d['whatif']
assert a != b, "z_threshold 3.0 gave the same summary"
za, zb = a['decisions_by_reason'].get('zedge', 0), b['decisions_by_reason'].get('zedge', 0)
assert zb > za, f"zedge refusals {za} -> {zb}"
assert b['intents'] <= a['intents'], (a['intents'], b['intents'])
assert a['bars'] == b['bars'] and a['predictions'] == b['predictions']
for k in ('pnl', 'fills', 'trades', 'fees', 'orders', 'decisions'):   # top-level copies for scripts
    assert d[k] == b[k], k
assert d['journal'].endswith('/z3') and d['config'].endswith('z3.yml')
print(f"z_threshold 3.0: zedge refusals {za} -> {zb}, intents {a['intents']} -> {b['intents']}, "
      f"pnl {a['pnl']:.2f} -> {b['pnl']:.2f}")
EOF
# a model-only change: model h1 read from another file, config embedded
"$B" replay "$J" --what-if --model h1=models/h3.json --out "$T/m1" --verify --progress 0 > "$T/m1.log" 2>&1 \
    || { cat "$T/m1.log"; exit 1; }
grep -q "models/h1.json <- models/h3.json (--model h1)" "$T/m1.log"
grep -q "divergences       0" "$T/m1.log"
cmp <(content "$J" prediction) <(content "$T/m1" prediction) > /dev/null && { echo "--model h1 changed no prediction"; exit 1; }
# ---- 4. an existing journal is never overwritten without --force
if "$B" replay "$J" --what-if -c "$T/z3.yml" --out "$T/z3" --progress 0 > "$T/refuse.log" 2>&1; then
  echo "--out onto an existing journal was not refused"; exit 1
fi
grep -q "already holds a journal" "$T/refuse.log" || { cat "$T/refuse.log"; exit 1; }
# --force replaces it; and --model-dir: files looked up by config path, then by base name
mkdir -p "$T/mdir" && cp models/h1.json models/h3.json models/h12.json models/calibration.json "$T/mdir/"
"$B" replay "$J" --what-if -c "$T/z3.yml" --model-dir "$T/mdir" --out "$T/z3" --force --progress 0 > "$T/force.log" 2>&1 \
    || { cat "$T/force.log"; exit 1; }
grep -q "removed the 1 segment file" "$T/force.log" || { cat "$T/force.log"; exit 1; }
grep -q "models/h12.json <- $T/mdir/h12.json (--model-dir)" "$T/force.log" || { cat "$T/force.log"; exit 1; }
"$B" replay "$T/z3" --verify > /dev/null
if "$B" replay "$J" --what-if --out "$J" --force --progress 0 > "$T/self.log" 2>&1; then
  echo "--out onto the source journal was accepted"; exit 1
fi
grep -q "is the source journal" "$T/self.log" || { cat "$T/self.log"; exit 1; }
"$B" journal verify "$J" > /dev/null

# ---- 5. bad inputs: exit 1 and a message that names the problem
expect_fail() {   # pattern, args...
  local pat=$1; shift
  local rc=0
  "$B" replay "$@" > "$T/bad.log" 2>&1 || rc=$?
  [ $rc -eq 1 ] || { echo "expected exit 1, got $rc: replay $*"; cat "$T/bad.log"; exit 1; }
  grep -q -- "$pat" "$T/bad.log" || { echo "expected '$pat': replay $*"; cat "$T/bad.log"; exit 1; }
}
expect_fail "No such file" "$T/nope" --what-if --out "$T/x1"
mkdir -p "$T/corrupt" && cp "$J"/seg-*.rsj "$T/corrupt/"
printf 'garbage!' | dd of="$(ls "$T"/corrupt/seg-*.rsj | head -1)" bs=1 seek=0 conv=notrunc 2>/dev/null
expect_fail "corrupt\|magic\|not a ringside journal\|header" "$T/corrupt" --what-if --out "$T/x2"
sed -e 's/^  z_threshold: 1.0/  z_threshold: [oops]/' "$T/run.yml" > "$T/bad.yml"
expect_fail "bad.yml:[0-9]*: gate.z_threshold" "$J" --what-if -c "$T/bad.yml" --out "$T/x3"
expect_fail "cannot read model file $T/missing.json (--model h1)" "$J" --what-if --model h1="$T/missing.json" --out "$T/x4"
expect_fail "no model entry named h7" "$J" --what-if --model h7=models/h1.json --out "$T/x5"
echo '{"learner": "not a model"}' > "$T/junk.json"
expect_fail "building the stages" "$J" --what-if --model h1="$T/junk.json" --out "$T/x6"
[ ! -e "$T/x3" ] && [ ! -e "$T/x4" ] || { echo "a failed what-if left a journal behind"; exit 1; }
rc=0; "$B" replay "$J" --what-if --model h1 > /dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || { echo "--model without NAME=FILE: exit $rc, expected 2"; exit 1; }
echo "1 passed, 0 failed"
