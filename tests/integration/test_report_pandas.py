#!/usr/bin/python3
"""Cross-check of `ringside report`: every number of evaluation_summary.csv
(computed in C, core/report.c) recomputed independently here with pandas from
the journal itself (tools/python/rsjournal.py; fills also compared with
`ringside journal export --type fills`), on a synthetic multi-day journal with
fees, slippage, partial and duplicate fills and incidents. Definitions:
docs/report.md. Agreement to 1e-9 (relative) is required.
"""

import io
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

SRC = os.environ.get("RS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
RINGSIDE = os.environ.get("RINGSIDE", os.path.join(SRC, "build", "release", "ringside"))
sys.path.insert(0, os.path.join(SRC, "tools", "python"))
import rsjournal  # noqa: E402

DAY = 86400 * 10**9
NOSYM = 0xFFFF
SQ365 = math.sqrt(365.0)
RTOL = 1e-9


def run(*args, check=True):
    p = subprocess.run([RINGSIDE, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise SystemExit(f"FAIL: ringside {' '.join(args)} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def config_of(j):
    cfg = j.blob("config").decode()
    ins = []
    for m in re.finditer(r"\{symbol:\s*(\w+),\s*px_exp:\s*(\d+),\s*qty_exp:\s*(\d+)", cfg):
        ins.append((m.group(1), int(m.group(2)), int(m.group(3))))
    cap = float(re.search(r"^\s+capital:\s*([0-9.]+)", cfg, re.M).group(1))
    assert ins, "no instruments in the embedded config"
    return ins, cap


def events(j):
    """marks (mark stream), fills, risk and control records with gseq."""
    rows = []
    for g, tname, sname, b in j.records():
        ln, typ, stream, seq, ts, tsl = struct.unpack_from("<IHHQqq", b, 0)
        if tname == "mark" and sname == "mark":
            sym, = struct.unpack_from("<H", b, 32)
            last, bid, ask = struct.unpack_from("<qqq", b, 40)
            rows.append(dict(gseq=g, ts=ts, kind="mark", sym=sym, last=last, bid=bid, ask=ask))
        elif tname == "risk":
            circ, sym, act = struct.unpack_from("<HHB", b, 32)
            rows.append(dict(gseq=g, ts=ts, kind="risk", sym=sym, circuit=circ, action=act))
        elif tname == "control":
            cmd, sym = struct.unpack_from("<HH", b, 32)
            rows.append(dict(gseq=g, ts=ts, kind="ctl", sym=sym, cmd=cmd))
    ev = pd.DataFrame(rows)
    fills = j.frame("fills")
    f = fills.assign(kind="fill")[["gseq", "ts", "kind", "sym", "side", "client_id", "last_px", "last_qty",
                                   "cum_qty", "fee"]]
    ev = pd.concat([ev, f], ignore_index=True)
    return ev.sort_values(["ts", "gseq"], kind="mergesort").reset_index(drop=True), fills


class Book:
    """Positions with the documented arithmetic: weighted average entry,
    realised on reducing fills, a flip reopens at the fill price, marks."""

    def __init__(self, ins, cap):
        self.ins, self.cap, n = ins, cap, len(ins)
        self.qty, self.avg, self.real, self.fees, self.mark, self.unr = ([0] * n, [0.0] * n, [0.0] * n, [0.0] * n,
                                                                         [0.0] * n, [0.0] * n)
        self.nfills = [0] * n

    def units(self, s, q):
        return q / 10.0 ** self.ins[s][2]

    def _unr(self, s):
        q = self.qty[s]
        self.unr[s] = 0.0 if q == 0 or self.mark[s] <= 0 else self.units(s, q) * (self.mark[s] - self.avg[s])

    def fill(self, s, side, px, q, fee):
        fpx = px / 10.0 ** self.ins[s][1]
        f = q if side == 1 else -q
        old = self.qty[s]
        if old == 0 or (old > 0) == (f > 0):
            a, b = abs(self.units(s, old)), self.units(s, q)
            self.avg[s] = (self.avg[s] * a + fpx * b) / (a + b)
            self.qty[s] = old + f
        else:
            closed = min(abs(old), q)
            self.real[s] += self.units(s, closed) * (fpx - self.avg[s]) * (1.0 if old > 0 else -1.0)
            self.qty[s] = old + f
            if self.qty[s] == 0:
                self.avg[s] = 0.0
            elif (self.qty[s] > 0) != (old > 0):
                self.avg[s] = fpx
        self.fees[s] += fee
        self.nfills[s] += 1
        if self.mark[s] <= 0:
            self.mark[s] = fpx
        self._unr(s)

    def do_mark(self, s, px):
        self.mark[s] = px
        self._unr(s)

    def net(self, s):
        return self.real[s] - self.fees[s] + self.unr[s]

    def equity(self):
        r = un = f = 0.0
        for i in range(len(self.ins)):
            r += self.real[i]
            un += self.unr[i]
            f += self.fees[i]
        return self.cap + r - f + un


def replay(ev, ins, cap):
    """Walk the events in (ts, gseq) order: curve points, fills, trades,
    incidents (rules of docs/report.md)."""
    bk = Book(ins, cap)
    applied = {}
    bidask = {}
    curve, fl, trades = [], [], []
    open_tr = {}
    incs = []          # dicts: scope, kill, circuit, open, pnl
    inc_cum = 0.0

    def covering(s):
        for k, inc in enumerate(incs):
            if inc["open"] and (inc["scope"] == NOSYM or inc["scope"] == s):
                return k
        return None

    def flat(scope):
        return all(q == 0 for q in bk.qty) if scope == NOSYM else bk.qty[scope] == 0

    def open_inc(ts, scope, kill, circuit):
        for inc in incs:
            if inc["open"] and inc["scope"] == scope:
                inc["kill"] |= kill
                return
        incs.append(dict(scope=scope, kill=kill, circuit=circuit, open=True, pnl=0.0, start=ts))
        for t in open_tr.values():
            if scope == NOSYM or t["sym"] == scope:
                t["incident"] = True
        if flat(scope):
            incs[-1]["open"] = False

    def resume(scope, circuit):
        for inc in incs:
            if not inc["open"] or inc["kill"] or (scope != NOSYM and inc["scope"] != scope):
                continue
            if circuit:
                if inc["circuit"] != circuit:
                    continue
            elif inc["circuit"] == 9:
                continue
            inc["open"] = False

    def attribute(s, d):
        nonlocal inc_cum
        k = covering(s)
        if d != 0 and k is not None:
            incs[k]["pnl"] += d
            inc_cum += d
            return d
        return 0.0

    for e in ev.itertuples(index=False):
        if e.kind == "risk":
            if e.action in (1, 2, 3, 5):
                open_inc(e.ts, e.sym, e.action == 2, e.circuit or 0xFFFE)
            elif e.action == 4:
                resume(e.sym, e.circuit or 0xFFFE)
            continue
        if e.kind == "ctl":
            if e.cmd in (1, 2, 4):
                open_inc(e.ts, NOSYM if e.cmd == 1 else e.sym, e.cmd in (1, 4), 0xFFFD)
            elif e.cmd == 3:
                resume(e.sym, 0)
            continue
        s = int(e.sym)
        px_div = 10.0 ** ins[s][1]
        if e.kind == "mark":
            bidask[s] = (e.bid / px_div if e.bid > 0 else 0.0, e.ask / px_div if e.ask > 0 else 0.0,
                         e.last / px_div)
            n0 = bk.net(s)
            bk.do_mark(s, e.last / px_div)
            inc = attribute(s, bk.net(s) - n0)
            curve.append((e.ts, bk.equity(), inc))
            continue
        cid = int(e.client_id)
        a = applied.get(cid, 0)
        add = int(e.cum_qty) - a if e.cum_qty > 0 else int(e.last_qty)
        if add <= 0:
            continue
        applied[cid] = a + add
        before = bk.qty[s]
        incident = covering(s) is not None
        rf0 = bk.real[s] - bk.fees[s]
        n0 = bk.net(s)
        bk.fill(s, int(e.side), int(e.last_px), add, float(e.fee))
        inc = attribute(s, bk.net(s) - n0)
        px = e.last_px / px_div
        u = add / 10.0 ** ins[s][2]
        b, k_, last = bidask.get(s, (0.0, 0.0, 0.0))
        ref = (b + k_) / 2 if b > 0 and k_ > 0 else last
        slip = ((px - ref) if e.side == 1 else (ref - px)) * u if ref > 0 else 0.0
        fl.append(dict(ts=e.ts, fee=float(e.fee), notional=px * u, slip=slip, incident=incident))
        after = bk.qty[s]
        rf = bk.real[s] - bk.fees[s]
        if before == 0:
            open_tr[s] = dict(sym=s, open_ts=e.ts, base=rf0, incident=covering(s) is not None)
        elif after == 0 or (after > 0) != (before > 0):
            assert after == 0, "the synthetic journal has no position flips"
            t = open_tr.pop(s)
            trades.append(dict(close_ts=e.ts, hold=e.ts - t["open_ts"], pnl=rf - t["base"],
                               incident=t["incident"]))
        curve.append((e.ts, bk.equity(), inc))
        for inc_ in incs:
            if inc_["open"] and flat(inc_["scope"]):
                inc_["open"] = False
    return (pd.DataFrame(curve, columns=["ts", "equity", "inc"]), pd.DataFrame(fl), pd.DataFrame(trades), incs,
            bk)


def dd_stats(ts, eq, cap):
    """Running max drawdown and max under-water duration after every point."""
    ts = np.asarray(ts, dtype=np.int64)
    eq = np.asarray(eq, dtype=float)
    prevmax = np.maximum.accumulate(np.concatenate([[cap], eq]))[:-1]
    atpeak = eq >= prevmax
    peak = np.maximum(prevmax, eq)
    dd = np.where(atpeak, 0.0, (prevmax - eq) / prevmax)
    idx = np.where(atpeak, np.arange(len(eq)), -1)
    idx = np.maximum.accumulate(idx)
    peak_ts = np.where(idx >= 0, ts[np.maximum(idx, 0)], ts[0])
    under = ~atpeak
    cur = np.where(under, ts - peak_ts, 0)
    prev_peak_ts = np.concatenate([[ts[0]], peak_ts[:-1]])
    prev_under = np.concatenate([[False], under[:-1]])
    rec = np.where(atpeak & prev_under, ts - prev_peak_ts, 0)
    del peak
    return np.maximum.accumulate(dd), np.maximum.accumulate(np.maximum(cur, rec))


def perf(r):
    r = pd.Series(r, dtype=float)
    n = len(r)
    mean = r.mean() if n else float("nan")
    if n < 2:
        return float("nan"), float("nan"), float("nan"), mean * 365
    sd = r.std(ddof=1)
    dn = math.sqrt((np.minimum(r, 0.0) ** 2).sum() / n)
    return (sd * SQ365, mean / sd * SQ365 if sd > 0 else float("nan"),
            mean / dn * SQ365 if dn > 0 else float("nan"), mean * 365)


def expected(ev, ins, cap):
    curve, fl, tr, incs, bk = replay(ev, ins, cap)
    curve["day"] = curve["ts"] // DAY
    curve["strat"] = curve["equity"] - curve["inc"].cumsum()
    days = np.arange(curve["day"].min(), curve["day"].max() + 1)
    dd, dur = dd_stats(curve["ts"], curve["equity"], cap)
    sdd, sdur = dd_stats(curve["ts"], curve["strat"], cap)
    curve["dd"], curve["dur"], curve["sdd"], curve["sdur"] = dd, dur, sdd, sdur
    last = curve.groupby("day").last().reindex(days).ffill()
    eod = last["equity"]
    pnl = eod.diff()
    pnl.iloc[0] = eod.iloc[0] - cap
    inc_day = curve.groupby("day")["inc"].sum().reindex(days, fill_value=0.0)
    ret = pnl / cap
    sret = (pnl - inc_day) / cap
    for df in (fl, tr):
        if len(df):
            df["day"] = df[df.columns[0]] // DAY
    rows = []
    for i, d in enumerate(days):
        f = fl[fl["day"] == d] if len(fl) else fl
        t = tr[tr["day"] == d] if len(tr) else tr
        vol, sh, so, ann = perf(ret.iloc[:i + 1])
        mdd = last["dd"].iloc[i]
        nt = len(t)
        rows.append(dict(
            date=pd.Timestamp(d * DAY, unit="ns").strftime("%Y-%m-%d"), equity=eod.iloc[i], pnl=pnl.iloc[i],
            ret=ret.iloc[i], cum_return=(eod.iloc[i] - cap) / cap, vol_ann=vol, sharpe=sh, sortino=so, max_dd=mdd,
            max_dd_days=last["dur"].iloc[i] / DAY, calmar=ann / mdd if mdd > 0 else float("nan"),
            hit_rate=(t["pnl"] > 0).sum() / nt if nt else float("nan"),
            turnover=f["notional"].sum() / cap if len(f) else 0.0,
            gross_pnl=pnl.iloc[i] + (f["fee"].sum() if len(f) else 0.0), fees=f["fee"].sum() if len(f) else 0.0,
            slippage=f["slip"].sum() if len(f) else 0.0, trades=nt, fills=len(f),
            avg_hold_s=t["hold"].mean() / 1e9 if nt else float("nan"),
            strategy_pnl=pnl.iloc[i] - inc_day.iloc[i], incident_pnl=inc_day.iloc[i]))
    exp = pd.DataFrame(rows).rename(columns={"ret": "return"})

    def total(rets, equity, mdd, mdur, f, t, inc):
        vol, sh, so, ann = perf(rets)
        nt = len(t)
        p = equity - cap
        return dict(date=np.nan, equity=equity, pnl=p, ret=p / cap, cum_return=p / cap, vol_ann=vol, sharpe=sh,
                    sortino=so, max_dd=mdd, max_dd_days=mdur / DAY, calmar=ann / mdd if mdd > 0 else float("nan"),
                    hit_rate=(t["pnl"] > 0).sum() / nt if nt else float("nan"),
                    turnover=f["notional"].sum() / cap if len(f) else 0.0,
                    gross_pnl=p + (f["fee"].sum() if len(f) else 0.0), fees=f["fee"].sum() if len(f) else 0.0,
                    slippage=f["slip"].sum() if len(f) else 0.0, trades=nt, fills=len(f),
                    avg_hold_s=t["hold"].mean() / 1e9 if nt else float("nan"), strategy_pnl=p - inc,
                    incident_pnl=inc)

    inc_total = inc_day.sum()
    tot = total(ret, eod.iloc[-1], dd[-1], dur[-1], fl, tr, inc_total)
    fs = fl[~fl["incident"]] if len(fl) else fl
    ts_ = tr[~tr["incident"]] if len(tr) else tr
    strat = total(sret, cap + (eod.iloc[-1] - cap - inc_total), sdd[-1], sdur[-1], fs, ts_, 0.0)
    exp = pd.concat([exp, pd.DataFrame([tot, strat]).rename(columns={"ret": "return"})], ignore_index=True)
    exp.insert(0, "row", ["day"] * len(rows) + ["total", "strategy"])
    return exp, incs, tr


def close(a, b):
    if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (isinstance(a, float) and math.isnan(a)) and (isinstance(b, float) and math.isnan(b))
    return abs(a - b) <= RTOL * max(1.0, abs(a), abs(b))


def compare(got, exp, what):
    assert len(got) == len(exp), f"{what}: {len(got)} rows from C, {len(exp)} recomputed"
    cols = [c for c in exp.columns if c not in ("row", "date")]
    bad = 0
    for i in range(len(exp)):
        assert got["row"].iloc[i] == exp["row"].iloc[i], f"{what}: row {i} kind"
        if exp["row"].iloc[i] == "day":
            assert got["date"].iloc[i] == exp["date"].iloc[i], f"{what}: row {i}: date {got['date'].iloc[i]}"
        for c in cols:
            a, b = float(got[c].iloc[i]), float(exp[c].iloc[i])
            if not close(a, b):
                bad += 1
                print(f"MISMATCH {what} row {i} ({got['row'].iloc[i]} {got['date'].iloc[i]}) {c}: C {a!r} pandas {b!r}")
    assert bad == 0, f"{what}: {bad} mismatches"
    print(f"{what}: {len(exp)} rows x {len(cols)} columns agree to {RTOL}")


def main():
    if not os.path.exists(RINGSIDE):
        print(f"SKIP: {RINGSIDE} not built")
        return 77
    tmp = tempfile.mkdtemp(prefix="rs-report-pandas-")
    try:
        jdir, out = os.path.join(tmp, "j"), os.path.join(tmp, "out")
        run("report", "--synth-journal", jdir, "--days", "9", "--seed", "5")
        p = run("report", jdir, "--out", out, "--no-plots")
        print(p.stdout)
        got = pd.read_csv(os.path.join(out, "evaluation_summary.csv"), keep_default_na=False, float_precision="round_trip",
                          na_values=[""])
        got["date"] = got["date"].astype(str).replace("nan", np.nan)
        j = rsjournal.open_journal(jdir, verify_crc=False)
        ins, cap = config_of(j)
        ev, fills = events(j)
        # the fills the reader sees are the ones `ringside journal export` prints
        exp_csv = run("journal", "export", jdir, "--type", "fills").stdout
        ex = pd.read_csv(io.StringIO(exp_csv), float_precision="round_trip")
        assert len(ex) == len(fills) and (ex["gseq"].to_numpy() == fills["gseq"].to_numpy()).all()
        assert (ex["cum_qty"].to_numpy() == fills["cum_qty"].to_numpy()).all()
        assert np.allclose(ex["fee"].to_numpy(), fills["fee"].to_numpy(), rtol=0, atol=0)
        exp, incs, tr = expected(ev, ins, cap)
        assert len(exp) - 2 == 9, "9 UTC days expected"
        assert (exp["row"] == "day").sum() == 9
        compare(got, exp, "evaluation_summary.csv")
        # the synthetic session has three incidents and duplicate fill reports
        inc_csv = pd.read_csv(os.path.join(out, "data", "run1", "incidents.csv"), float_precision="round_trip")
        assert len(inc_csv) == len(incs) == 3, f"incidents: C {len(inc_csv)}, pandas {len(incs)}"
        for k in range(3):
            assert close(float(inc_csv["pnl"].iloc[k]), incs[k]["pnl"]), f"incident {k + 1} pnl"
        trades_csv = pd.read_csv(os.path.join(out, "data", "run1", "trades.csv"), float_precision="round_trip")
        closed = trades_csv[trades_csv["status"] == "closed"]
        assert len(closed) == len(tr), f"closed trades: C {len(closed)}, pandas {len(tr)}"
        c_sorted = closed.sort_values(["close_ts", "pnl"], kind="mergesort")
        p_sorted = tr.sort_values(["close_ts", "pnl"], kind="mergesort")
        assert (c_sorted["close_ts"].to_numpy() == p_sorted["close_ts"].to_numpy()).all(), "trade close times"
        assert all(close(a, b) for a, b in zip(c_sorted["pnl"], p_sorted["pnl"])), "trade pnl"
        assert all(int(a) == int(b) for a, b in zip(c_sorted["close_ts"] - c_sorted["open_ts"], p_sorted["hold"]))
        runs = pd.read_csv(os.path.join(out, "runs.csv"))
        assert runs["dup_fills"].iloc[0] > 0, "duplicate fill reports were exercised"
        assert abs(runs["gate_check_realized"].iloc[0]) < 1e-6 and abs(runs["gate_check_fees"].iloc[0]) < 1e-6
        print("incidents, trades, gate cross-check agree")
        # latency samples: the same pairs as `ringside journal latency`
        import json
        lj = [json.loads(x) for x in run("journal", "latency", jdir, "--json").stdout.splitlines() if x.strip()]
        lc = pd.read_csv(os.path.join(out, "data", "run1", "latency_counts.csv")).set_index("stage")
        lat = pd.read_csv(os.path.join(out, "data", "run1", "latency.csv"))
        for o in lj:
            st = o["stage"]
            assert lc.loc[st, "matched"] == o["n"] and lc.loc[st, "unmatched"] == o["unmatched"], (st, o)
            assert (lat["stage"] == st).sum() == o["n"], st
            if o["n"]:
                v = lat[lat["stage"] == st]["latency_ns"] / 1e3
                assert abs(v.max() - o["max"]) < 1e-3 + 1e-9 * o["max"], (st, v.max(), o["max"])
        print("latency samples: same pairs and counts as `ringside journal latency`")

        # no trades: zero returns, undefined ratios, and it says so
        jn, on = os.path.join(tmp, "jn"), os.path.join(tmp, "on")
        run("report", "--synth-journal", jn, "--days", "3", "--no-trades", "--no-incidents")
        p = run("report", jn, "--out", on, "--no-plots")
        assert "no trades" in p.stdout, p.stdout
        g = pd.read_csv(os.path.join(on, "evaluation_summary.csv"))
        assert (g["trades"] == 0).all() and (g["fills"] == 0).all() and (g["pnl"] == 0).all()
        assert g["sharpe"].isna().all() and g["sortino"].isna().all() and g["calmar"].isna().all()
        assert g["hit_rate"].isna().all() and g["avg_hold_s"].isna().all()
        assert (g[g["row"] == "total"]["vol_ann"] == 0).all()
        print("no-trades journal: zero returns, NaN ratios, 'no trades' said")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
