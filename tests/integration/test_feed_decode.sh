#!/usr/bin/env bash
# ringside feed decode: the CLI over real venue samples and malformed lines.
set -euo pipefail
R=${RINGSIDE:?RINGSIDE not set}
SRC=${RS_SOURCE_DIR:?}
C=$SRC/tests/fuzz/corpus
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. Binance: raw trade, combined trade, aggTrade, bookTicker, depthUpdate, a bad line, a control line.
{
  cat $C/fuzz_decode_binance/ws_trade.json; echo
  cat $C/fuzz_decode_binance/thirdparty_nautilus_recorded_ws_combined_trade_ethusdt_2021.json; echo
  cat $C/fuzz_decode_binance/ws_aggTrade.json; echo
  cat $C/fuzz_decode_binance/ws_bookTicker.json; echo
  cat $C/fuzz_decode_binance/ws_depthUpdate.json; echo
  echo '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"NaN","q":"1","T":1,"m":true}'
  echo '{"result":null,"id":1}'
  echo 'not json'
} > $T/in.txt
"$R" feed decode --venue binance < $T/in.txt > $T/out.txt || fail "exit status $?"
cat $T/out.txt
[ "$(wc -l < $T/out.txt)" -eq 8 ] || fail "want 8 output lines"
/usr/bin/python3 - "$T/out.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def chk(c, m):
    if not c:
        print("FAIL:", m, file=sys.stderr); sys.exit(1)
t = rows[0]
chk(t["type"] == "trade" and t["symbol"] == "BNBBTC" and t["price"] == "0.001" and t["qty"] == "100", t)
chk(t["side"] == "sell" and t["trade_id"] == 12345 and t["event_ms"] == 1672515782136 and t["trade_ms"] == 1672515782136, t)
e = rows[1]
chk(e["symbol"] == "ETHUSDT" and e["price"] == "4149.74" and e["qty"] == "0.4387" and e["trade_ms"] == 1639351062243, e)
a = rows[2]
chk(a["agg"] is True and a["trade_id"] == 12345 and a["first_trade_id"] == 100 and a["last_trade_id"] == 105, a)
b = rows[3]
chk(b["type"] == "bbo" and b["bid_price"] == "25.3519" and b["ask_qty"] == "40.66" and b["update_id"] == 400900217, b)
d = rows[4]
chk(d["type"] == "depth" and d["bids"] == [["0.0024", "10"]] and d["asks"] == [["0.0026", "100"]], d)
chk(d["first_update_id"] == 157 and d["final_update_id"] == 160, d)
chk(rows[5] == {"error": "bad_number", "line": 6, "field": "p", "offset": rows[5]["offset"]}, rows[5])
chk(rows[6]["type"] == "control" and rows[6]["line"] == 7, rows[6])
chk(rows[7]["error"] == "syntax" and rows[7]["line"] == 8, rows[7])
PY

# 2. --symbols restricts; precision beyond the scale is rejected, never rounded.
printf '%s\n' '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"50000.123","q":"1","T":1,"m":false}' \
              '{"e":"trade","E":1,"s":"ETHUSDT","t":1,"p":"1","q":"1","T":1,"m":false}' \
              '{"e":"trade","E":1,"s":"BTCUSDT","t":2,"p":"50000.12","q":"0.5","T":1,"m":false}' \
  | "$R" feed decode --venue binance --symbols BTCUSDT --px-exp 2 > $T/out2.txt
cat $T/out2.txt
grep -q '"error":"out_of_range","line":1,"field":"p"' $T/out2.txt || fail "precision not rejected"
grep -q '"error":"unknown_symbol","line":2' $T/out2.txt || fail "symbol filter"
grep -q '"price":"50000.12","qty":"0.5","side":"buy"' $T/out2.txt || fail "trade line 3"

# 3. OKX trades push (multiple trades per message) and pong.
{ cat $C/fuzz_decode_okx/multi.json; echo; cat $C/fuzz_decode_okx/ws_trades_push.json; echo; echo pong; } \
  | "$R" feed decode --venue okx > $T/out3.txt
cat $T/out3.txt
[ "$(grep -c '"type":"trade"' $T/out3.txt)" -eq 3 ] || fail "okx: want 3 trades"
grep -q '"symbol":"BTC-USDT","price":"42219.9","qty":"0.12060306","side":"buy","trade_id":130639474' $T/out3.txt || fail "okx trade"
grep -q '"type":"control","venue":"okx","line":3' $T/out3.txt || fail "okx pong"

# 4. usage errors exit 2
if "$R" feed decode --venue nope < /dev/null 2>/dev/null; then fail "bad venue accepted"; fi
"$R" feed decode --venue nope < /dev/null 2>/dev/null || [ $? -eq 2 ] || fail "bad venue: want exit 2"
echo OK
