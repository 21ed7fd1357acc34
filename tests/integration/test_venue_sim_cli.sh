#!/usr/bin/env bash
# `ringside venue-sim` as a process: --help, start on an ephemeral port with
# throw-away certificates, stream with `venue-sim client`, control with
# `venue-sim ctl`, bad options rejected with usage (exit 2).
set -euo pipefail
R="${RINGSIDE:?RINGSIDE not set}"
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
command -v openssl >/dev/null || { echo "SKIPPED: openssl missing"; exit 77; }

"$R" venue-sim --help | grep -q -- "--fault-dup"
set +e
"$R" venue-sim --speed -3 >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || { echo "bad --speed: exit $rc, want 2"; exit 1; }

bash "$RS_SOURCE_DIR/tools/make-certs.sh" "$work/certs" >/dev/null
"$R" venue-sim --port 0 --port-file "$work/port" --cert "$work/certs/server.pem" --key "$work/certs/server.key" \
  --speed 100 --seed 3 >"$work/sim.log" 2>&1 &
pid=$!
for _ in $(seq 400); do [ -s "$work/port" ] && break; sleep 0.05; done
port="$(cat "$work/port")"

"$R" venue-sim client --ca "$work/certs/ca.pem" --count 20 --timeout 10 \
  "wss://localhost:$port/stream?streams=btcusdt@trade/ethusdt@bookTicker" >"$work/out.txt" 2>"$work/client.log"
[ "$(wc -l <"$work/out.txt")" -eq 20 ]
grep -q '"stream":"btcusdt@trade","data":{"e":"trade"' "$work/out.txt"
# every line: conn id, kernel rx stamp (ns since epoch), message
awk '{ if ($2 < 1600000000000000000) exit 1 }' "$work/out.txt"

"$R" venue-sim ctl --port "$port" --ca "$work/certs/ca.pem" stats | grep -q "\"conns_total\":2,"
"$R" venue-sim ctl --port "$port" --ca "$work/certs/ca.pem" stall btcusdt 1000 | grep -q '^ok'
set +e
"$R" venue-sim ctl --port "$port" --ca "$work/certs/ca.pem" frobnicate >/dev/null; rc=$?
set -e
[ $rc -ne 0 ]
# a client that does not trust the CA fails with the X509 reason
set +e
"$R" venue-sim client --count 1 --timeout 2 "wss://localhost:$port/ws/btcusdt@trade" >/dev/null 2>"$work/untrusted.log"; rc=$?
set -e
[ $rc -ne 0 ]
grep -q "certificate verification failed" "$work/untrusted.log"
kill "$pid"; wait "$pid" || true; pid=""
grep -q "stopping" "$work/sim.log"
echo "venue-sim CLI ok (port $port)"
