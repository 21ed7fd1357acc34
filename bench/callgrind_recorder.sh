#!/bin/bash
# Instructions per record of the recorder loop (round_all: poll, checks,
# framing, CRC, batching, release), measured with callgrind -- repeatable,
# unlike timings on a shared machine.
#
#   bench/callgrind_recorder.sh [N [SIZE]]      (default 200000 records of 64 B)
#
# A native `ringside bench journal -- --drain-prefill` creates the region and
# fills one recorder-gated ring (valgrind cannot run the TSC calibration in
# rs_region_create), then `ringside record` under callgrind journals it with
# collection switched on only inside round_all.
set -euo pipefail
N=${1:-200000}
SIZE=${2:-64}
BIN=${RINGSIDE:-./build/release/ringside}
INST=cgrec$$
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BIN" bench journal -- --drain-prefill "$N" --size "$SIZE" --instance "$INST" > "$TMP/prefill.log" 2>&1 &
PF=$!
for _ in $(seq 100); do grep -q ready "$TMP/prefill.log" 2>/dev/null && break; sleep 0.1; done
valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" --toggle-collect='round_all*' \
    "$BIN" record --instance "$INST" --dir "$TMP/j" --quiet > "$TMP/rec.log" 2>&1 || { cat "$TMP/rec.log"; exit 1; }
wait $PF
IR=$(callgrind_annotate "$TMP/cg.out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "records $N x ${SIZE} B: round_all $IR instructions, $(( IR / N )) per record"
callgrind_annotate --inclusive=no "$TMP/cg.out" | sed -n '/^Ir/,$p' | head -20
