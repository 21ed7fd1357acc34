#!/usr/bin/env python3
"""ringside features CLI: Binance trade and kline CSVs (with/without header,
ms and us timestamps, several files), bad rows and late trades reported by
line, --strict, and the tick-by-tick (trades) vs bar-by-bar (klines) output
being textually identical. Also runs the real BTCUSDT trade sample from
shared/vectors."""
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from decimal import Decimal

RINGSIDE = os.environ.get("RINGSIDE")
SHARED = os.environ.get("RS_SHARED_DIR", "")
if not RINGSIDE or not os.path.exists(RINGSIDE):
    print("RINGSIDE binary not found; skipping")
    sys.exit(77)

BAR_MS = 300_000
T0 = 1_700_000_100_000 // BAR_MS * BAR_MS
NBARS = int(os.environ.get("RS_FEAT_CLI_BARS", "400"))
EMPTY_BAR = 100
tmp = tempfile.mkdtemp(prefix="rs_feat_cli_")
fail = []


def check(cond, msg):
    if not cond:
        fail.append(msg)
        print("FAIL:", msg)


def run(*args, ok=True):
    r = subprocess.run([RINGSIDE, "features", *args], capture_output=True, text=True)
    if ok and r.returncode != 0:
        print(r.stderr)
        raise SystemExit(f"ringside features {' '.join(args)} -> {r.returncode}")
    return r


rnd = random.Random(11)
trades = []  # (id, price Decimal, qty Decimal, time_ms, buyer_maker)
px = 2500.0
tid = 1000
for b in range(NBARS):
    if b == EMPTY_BAR:
        continue
    n = rnd.randint(1, 40)
    times = sorted(T0 + b * BAR_MS + rnd.randrange(BAR_MS) for _ in range(n))
    for t in times:
        px *= math.exp(rnd.gauss(0, 0.0015))
        trades.append((tid, Decimal(f"{px:.2f}"), Decimal(f"{rnd.uniform(0.001, 3):.5f}"), t, rnd.random() < 0.5))
        tid += 1

half = len(trades) // 2
f1 = os.path.join(tmp, "ETHUSDT-trades-part1.csv")
f2 = os.path.join(tmp, "ETHUSDT-trades-part2.csv")
bad_line = late_line = None
with open(f1, "w") as fh:
    fh.write("id,price,qty,quote_qty,time,is_buyer_maker,is_best_match\n")
    line = 1
    for i, (i_, p, q, t, m) in enumerate(trades[:half]):
        fh.write(f"{i_},{p:.8f},{q:.8f},{p * q:.8f},{t},{'True' if m else 'False'},True\n")
        line += 1
        if i == 500:
            fh.write("999,abc,1.0,1.0,1700000000000,True,True\n")
            line += 1
            bad_line = line
with open(f2, "w") as fh:   # no header, microsecond timestamps (Binance spot 2025+)
    line = 0
    for i, (i_, p, q, t, m) in enumerate(trades[half:]):
        fh.write(f"{i_},{p:.8f},{q:.8f},{p * q:.8f},{t * 1000},{'true' if m else 'false'},True\n")
        line += 1
        if i == 300:
            # a trade 20 minutes in the past: late, must not be folded in
            fh.write(f"1,{p:.8f},5.00000000,1,{(t - 1_200_000) * 1000},true,True\n")
            line += 1
            late_line = line

out_t = os.path.join(tmp, "from_trades.csv")
r = run("--trades", f1, "--trades", f2, "--out", out_t, "--with-bar")
check(f"{f1}:{bad_line}:" in r.stderr, f"bad row reported with its line ({bad_line}): {r.stderr}")
check(f"{f2}:{late_line}: late trade" in r.stderr, f"late trade reported with its line ({late_line}): {r.stderr}")
rows = open(out_t).read().splitlines()
hdr = rows[0].split(",")
check(hdr[:4] == ["bar_end_ms", "symbol", "ready", "ema_10"], f"header {hdr[:4]}")
names = run("--names").stdout.split()
check(hdr[3:3 + len(names)] == names, "header lists every feature by name")
check(len(rows) - 1 == NBARS, f"one row per bar: {len(rows) - 1} vs {NBARS}")
body = [x.split(",") for x in rows[1:]]
check(all(x[1] == "ETHUSDT" for x in body), "symbol from the file name")
check(int(body[-1][0]) == T0 + NBARS * BAR_MS, "last bar flushed at end of input")
check(body[94][2] == "0" and body[95][2] == "1", "ready from the 96th bar (warm-up)")
check(all(math.isfinite(float(v)) for x in body for v in x[3:]), "all values finite")
ib = hdr.index("bar_flags")
check(int(body[EMPTY_BAR][ib]) & 1 == 1, "empty bar flagged")
check(float(body[EMPTY_BAR][hdr.index("bar_volume")]) == 0.0, "empty bar has volume 0")

# klines from the same trades (exact decimals), the late/bad rows left out
kl = os.path.join(tmp, "ETHUSDT-5m-klines.csv")
with open(kl, "w") as fh:
    prev_close = None
    by_bar = {}
    for (i_, p, q, t, m) in trades:
        by_bar.setdefault((t - T0) // BAR_MS, []).append((p, q, m))
    for b in range(NBARS):
        ts = by_bar.get(b, [])
        ot = T0 + b * BAR_MS
        if ts:
            o, h, l, c = ts[0][0], max(x[0] for x in ts), min(x[0] for x in ts), ts[-1][0]
            v = sum(x[1] for x in ts)
            qv = sum(x[0] * x[1] for x in ts)
            tb = sum(x[1] for x in ts if not x[2])
            tbq = sum(x[0] * x[1] for x in ts if not x[2])
            prev_close = c
        else:
            o = h = l = c = prev_close
            v = qv = tb = tbq = Decimal(0)
        fh.write(f"{ot},{o:.8f},{h:.8f},{l:.8f},{c:.8f},{v:.8f},{ot + BAR_MS - 1},{qv:.8f},{len(ts)},"
                 f"{tb:.8f},{tbq:.8f},0\n")
out_k = os.path.join(tmp, "from_klines.csv")
run("--klines", kl, "--out", out_k, "--with-bar")
krows = open(out_k).read().splitlines()
check(len(krows) == len(rows), f"klines rows {len(krows)} == trades rows {len(rows)}")
nfeat = 3 + len(names)
diff = [i for i, (a, b) in enumerate(zip(rows, krows)) if a.split(",")[:nfeat] != b.split(",")[:nfeat]]
check(not diff, f"klines output == trades output, feature for feature, as text (first diff row {diff[:1]})")

# --strict stops at the bad row
r = run("--trades", f1, "--out", os.path.join(tmp, "strict.csv"), "--strict", ok=False)
check(r.returncode == 1 and f":{bad_line}:" in r.stderr and "stopped" in r.stderr, f"--strict: rc {r.returncode}")
# usage errors
r = run("--bar", "7x", "--trades", f1, ok=False)
check(r.returncode == 2, "bad --bar is a usage error")
r = run("--trades", f1, "--klines", kl, ok=False)
check(r.returncode == 2, "mixing --trades and --klines is a usage error")

# two symbols merged in time order: cross-asset features against BTCUSDT
btc = os.path.join(tmp, "BTCUSDT-trades-x.csv")
with open(btc, "w") as fh:
    rb = random.Random(5)
    bp = 40000.0
    for b in range(NBARS):
        for t in sorted(T0 + b * BAR_MS + rb.randrange(BAR_MS) for _ in range(rb.randint(1, 30))):
            bp *= math.exp(rb.gauss(0, 0.001))
            fh.write(f"{t},{bp:.2f},0.01000000,1,{t},false,True\n")
out_m = os.path.join(tmp, "multi.csv")
r = run("--trades", f1, "--trades", btc, "--trades", f2, "--out", out_m)
check("2 symbol(s), reference BTCUSDT" in r.stderr, f"BTCUSDT is the default reference: {r.stderr}")
mrows = [x.split(",") for x in open(out_m).read().splitlines()[1:]]
check(len(mrows) == 2 * NBARS, f"one row per symbol per bar: {len(mrows)}")
check([x[1] for x in mrows[:2]] == ["ETHUSDT", "BTCUSDT"], "symbols in order of appearance at each bar")
ib = hdr.index("beta_48")
ready_btc = [x for x in mrows if x[1] == "BTCUSDT" and x[2] == "1"]
check(ready_btc and all(abs(float(x[ib]) - 1.0) < 1e-12 for x in ready_btc), "beta of the reference is 1")
ready_eth = [x for x in mrows if x[1] == "ETHUSDT" and x[2] == "1"]
check(ready_eth and any(abs(float(x[ib])) > 1e-6 for x in ready_eth), "ETHUSDT beta is computed")
# ETH's own (non cross-asset) features do not depend on BTC being there
own = [i for i, n in enumerate(hdr) if i >= 3 and not n.startswith(("beta_", "resid_", "corr_avg_"))
       and n in names]
eth_m = [x for x in mrows if x[1] == "ETHUSDT"]
check(len(eth_m) == NBARS and all([a[k] for k in own] == [b.split(",")[k] for k in own]
                                  for a, b in zip(eth_m, rows[1:])),
      "ETHUSDT's own features unchanged by adding BTCUSDT")
r = run("--trades", f1, "--trades", btc, "--ref", "ETHUSDT", ok=False)
check(r.returncode == 0 and "reference ETHUSDT" in r.stderr, "--ref picks the reference")

# the real Binance trade sample (REST JSON -> public-data CSV layout)
src = os.path.join(SHARED, "vectors/exchange/binance/thirdparty_nautilus_recorded_rest_trades_btcusdt_2021.json")
if os.path.exists(src):
    d = json.load(open(src))
    real = os.path.join(tmp, "BTCUSDT-trades-2021-10-22.csv")
    with open(real, "w") as fh:
        for x in d:
            fh.write(f"{x['id']},{x['price']},{x['qty']},{x['quoteQty']},{x['time']},{x['isBuyerMaker']},True\n")
    o = run("--trades", real, "--with-bar").stdout.splitlines()
    check(len(o) == 2, "one bar from the real sample")
    h2 = o[0].split(",")
    v = o[1].split(",")
    check(v[1] == "BTCUSDT", "symbol BTCUSDT")
    qv = sum(Decimal(x["price"]) * Decimal(x["qty"]) for x in d)
    vol = sum(Decimal(x["qty"]) for x in d)
    got = float(v[h2.index("bar_vwap")])
    check(abs(got - float(qv / vol)) <= 1e-12 * got, f"real sample VWAP {got} vs {qv / vol}")
    check(int(v[h2.index("bar_count")]) == len(d), "real sample trade count")

if fail:
    print(f"{len(fail)} check(s) failed; files in {tmp}")
    sys.exit(1)
print("ok")
