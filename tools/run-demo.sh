#!/usr/bin/env bash
# `make run`: the main job. Starts the bundled venue simulator (synthetic
# market, 4 symbols, an accelerated day), runs the engine with the recorder
# on the bundled models against it, prints the summary, then replay-verifies
# the journal. Unattended; a few minutes.
#   RS_DEMO_SECONDS  wall seconds of trading (default 240 = 19 market hours)
#   RS_DEMO_SPEED    market seconds per wall second (default 288)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/release/ringside
CFG=configs/demo.yml
SECS=${RS_DEMO_SECONDS:-240}
SPEED=${RS_DEMO_SPEED:-288}
PORT=9443

[ -x "$BIN" ] || { echo "make run: $BIN is missing (make release)"; exit 1; }
if [ ! -f certs/ca.pem ] || [ ! -f certs/server.pem ]; then
  echo "make run: creating the simulator's throw-away CA and localhost certificate (certs/)"
  bash tools/make-certs.sh >/dev/null
fi
if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
  echo "make run: port $PORT is already in use (another venue-sim?); stop it first"; exit 1
fi

# One market clock for simulator and engine: market = origin + (wall - origin) * speed
ORIGIN=$(date +%s%3N)
mkdir -p var/demo
SIMLOG=var/demo/venue-sim.log
echo "make run: venue simulator on 127.0.0.1:$PORT (TLS), ${SPEED}x market clock, log $SIMLOG"
$BIN venue-sim --port $PORT --speed "$SPEED" --start-ms "$ORIGIN" --origin-ms "$ORIGIN" --seed 7 --symbols 4 \
    --rate-scale 0.3 --duration $(( SECS + 60 )) --port-file var/demo/port >"$SIMLOG" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null || true; wait $SIM 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s var/demo/port ] && break; sleep 0.1; done
[ -s var/demo/port ] || { echo "make run: the simulator did not start:"; cat "$SIMLOG"; exit 1; }
rm -f var/demo/port

echo "make run: engine + recorder, ${SECS}s of wall time; progress every 15s"
set +e
$BIN run -c "$CFG" --clock-speed "$SPEED" --clock-origin-ms "$ORIGIN" --duration "$SECS" --progress 15 --verify
rc=$?
set -e
# every demo adds a session to var/journal and nothing removes them on its own
if [ -d var/journal ]; then
  used=$(du -sh var/journal 2>/dev/null | cut -f1)
  n=$(ls -d var/journal/*/*/ 2>/dev/null | wc -l)
  echo "make run: var/journal holds $n session(s), $used; to bound it: $BIN journal prune var/journal --keep-bytes 2G"
fi
exit $rc
