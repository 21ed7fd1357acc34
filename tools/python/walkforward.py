#!/usr/bin/python3
"""Walk-forward evaluation of ringside's models on a recorded journal.

For consecutive segments of the journal's feature export, train the models on
a training window, then measure them out of sample on the test window that
follows it:

    |---- train (N bars) ----|-- test (M bars) --|
              |---- train (N bars) ----|-- test (M bars) --|      (step = M)

Per segment:
  * IC and hit rate: the freshly trained model of each horizon predicts the
    test window's feature rows (python3-xgboost); IC is the Pearson
    correlation with the realised forward return over that horizon (bps, from
    the journal's bar closes), hit rate the share of rows where the signs agree.
    `ic_ens`/`hit_ens` use the config-weighted sum of the horizon predictions
    against the longest horizon's forward return.
  * PnL and Sharpe: `ringside replay JOURNAL --what-if -c SEGMENT.yml` re-runs
    the whole engine on the journal's market data with the segment's models
    (the simulated venue answers the orders); PnL is the change of the
    portfolio equity (the gate's RS_EV_POSITION portfolio records, net of fees)
    from the start to the end of the test window, Sharpe the mean over the
    standard deviation of the per-bar equity changes in the window, annualised
    with sqrt(bars per 365-day year) (zero risk-free rate, as the reports do).
    The what-if runs over the whole journal so indicators are warm at the test
    window; positions opened before the window carry into it and their
    mark-to-market inside the window counts (they were opened by the same
    models, trained before the window).

Inputs: a journal made by `ringside run` (or a what-if). The feature layout
comes from the journal's embedded config (`ringside features --names -c`),
the model set (names, horizons, weights) from its `model.models` list.

Outputs in --out DIR: walkforward.csv (one row per segment), walkforward.png
(PnL per segment and IC per horizon), and seg-NN/ with each segment's
models, config, what-if journal and summary.

    tools/python/walkforward.py --journal var/journal/demo/<start> --out var/wf \\
        --train-bars 400 --test-bars 100

Needs Debian python3-pandas, python3-xgboost, python3-yaml, python3-matplotlib.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import xgboost as xgb
    import yaml
except ImportError as e:  # pragma: no cover
    print(f"walkforward: {e} (needs Debian python3-pandas, python3-xgboost, python3-yaml, python3-matplotlib)",
          file=sys.stderr)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_models  # noqa: E402


def die(msg):
    print(f"walkforward: {msg}", file=sys.stderr)
    sys.exit(1)


class Ringside:
    def __init__(self, path):
        self.path = path

    def run(self, *args, check=True, out=None):
        cmd = [self.path, *map(str, args)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE if out is None else out, stderr=subprocess.PIPE, text=True)
        if check and p.returncode != 0:
            die(f"`{' '.join(cmd)}` failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}")
        return p

    def csv(self, *args):
        with tempfile.NamedTemporaryFile("w+", suffix=".csv") as f:
            self.run(*args, "-o", f.name)
            return pd.read_csv(f.name)


def embedded_config(rs, journal, work):
    d = os.path.join(work, "embedded")
    os.makedirs(d, exist_ok=True)
    rs.run("journal", "blobs", journal, "--extract", d)
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            if f.endswith((".yml", ".yaml")):
                return p
    die(f"{journal}: no embedded config (journal blobs lists none)")


def feature_frame(rs, journal, cfg_path, cfg):
    names = rs.run("features", "--names", "-c", cfg_path).stdout.split()
    syms = [i["symbol"] for i in cfg.get("instruments", [])]
    if not syms:
        die(f"{cfg_path}: no instruments")
    f = rs.csv("journal", "export", journal, "--type", "features")
    f = f[f["kind"] == 0]                      # bar-close vectors, not intrabar updates
    if f.empty:
        die(f"{journal}: no bar-close feature records (was the run long enough for a bar?)")
    n = int(f["n"].iloc[0])
    if n != len(names):
        die(f"{journal}: feature vectors have {n} values, the config's layout has {len(names)} "
            "(journal and config disagree)")
    out = pd.DataFrame({"bar_end_ms": (f["bar_end_ns"] // 1_000_000).astype(np.int64),
                        "symbol": [syms[s] if s < len(syms) else f"sym{s}" for s in f["sym"]],
                        "ready": f["ready"].astype(int)})
    for i, nm in enumerate(names):
        out[nm] = f[f"f{i}"].to_numpy(dtype=np.float64)
    b = rs.csv("journal", "export", journal, "--type", "bars")
    closes = pd.DataFrame({"bar_end_ms": (b["end_ns"] // 1_000_000).astype(np.int64),
                           "symbol": [syms[s] if s < len(syms) else f"sym{s}" for s in b["sym"]],
                           "bar_close": b["close"].astype(np.float64)})
    out = out.merge(closes.drop_duplicates(["bar_end_ms", "symbol"], keep="last"),
                    on=["bar_end_ms", "symbol"], how="left")
    return out.sort_values(["bar_end_ms", "symbol"], kind="stable").reset_index(drop=True)


def equity_curve(rs, journal):
    p = rs.run("journal", "cat", journal, "--type", "position", "--json")
    ts, eq = [], []
    for line in p.stdout.splitlines():
        r = json.loads(line)
        if r.get("sym") == 65535:              # the portfolio record
            ts.append(int(r["ts"]))
            eq.append(float(r["equity"]))
    return np.array(ts, dtype=np.int64), np.array(eq, dtype=np.float64)


def equity_at(ts, eq, t_ns):
    i = np.searchsorted(ts, t_ns, side="right") - 1
    return float(eq[i]) if i >= 0 else (float(eq[0]) if len(eq) else float("nan"))


def segment_config(cfg, seg_dir, manifest):
    c = json.loads(json.dumps(cfg))            # deep copy
    by_name = {m["name"]: m for m in manifest["models"]}
    for m in c["model"]["models"]:
        m["path"] = os.path.join(seg_dir, by_name[m["name"]]["path"])
        m["calibration"] = os.path.join(seg_dir, "calibration.json")
        m["calibration_key"] = m["name"]
    p = os.path.join(seg_dir, "segment.yml")
    with open(p, "w") as f:
        f.write("# written by tools/python/walkforward.py: the journal's config with this segment's models\n")
        yaml.safe_dump(c, f, sort_keys=False)
    return p


def corr(a, b):
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def main(argv=None):
    np.seterr(invalid="ignore", divide="ignore")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--journal", required=True, help="journal directory (market data and config)")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--config", help="base config (default: the journal's embedded config)")
    ap.add_argument("--train-bars", type=int, default=400, help="bars per training window (default 400)")
    ap.add_argument("--test-bars", type=int, default=100, help="bars per test window (default 100)")
    ap.add_argument("--step", type=int, default=0, help="bars between segment starts (default: --test-bars)")
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--eta", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-segments", type=int, default=0, help="stop after this many (0: all)")
    ap.add_argument("--ringside", default=os.environ.get("RINGSIDE", "build/release/ringside"))
    a = ap.parse_args(argv)
    if a.train_bars < 20 or a.test_bars < 2:
        die("--train-bars must be >= 20 and --test-bars >= 2")
    step = a.step or a.test_bars
    rs = Ringside(a.ringside)
    if not os.path.exists(a.ringside):
        die(f"{a.ringside}: no ringside binary (build it, or pass --ringside / RINGSIDE)")
    if not os.path.isdir(a.journal):
        die(f"{a.journal}: not a journal directory")
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rs_wf.")
    try:
        cfg_path = os.path.abspath(a.config or embedded_config(rs, a.journal, work))
        with open(cfg_path) as f:
            cfg = yaml.safe_load(f)
        models = cfg.get("model", {}).get("models") or die(f"{cfg_path}: no model.models list")
        horizons = [int(m["horizon_bars"]) for m in models]
        weights = [float(m.get("weight", 1.0)) for m in models]
        names = [m["name"] for m in models]
        if names != [f"h{h}" for h in horizons]:
            die(f"{cfg_path}: walkforward names retrained models h<horizon>; the config's are {names}")
        df = feature_frame(rs, a.journal, cfg_path, cfg)
        df_t, bar_ms = train_models.add_targets(df.copy(), horizons)
        times = np.sort(df["bar_end_ms"].unique())
        bar_s = bar_ms / 1000.0
        print(f"walkforward: {a.journal}: {len(times)} bars x {df['symbol'].nunique()} symbols "
              f"({bar_s:.0f} s bars), train {a.train_bars}, test {a.test_bars}, step {step}", flush=True)
        starts = list(range(0, len(times) - a.train_bars - a.test_bars + 1, step))
        if a.max_segments:
            starts = starts[:a.max_segments]
        if not starts:
            die(f"{a.journal}: {len(times)} bars, need at least train+test = {a.train_bars + a.test_bars}")
        rows = []
        for k, s in enumerate(starts):
            tr_t, te_t = times[s:s + a.train_bars], times[s + a.train_bars:s + a.train_bars + a.test_bars]
            seg_dir = os.path.abspath(os.path.join(a.out, f"seg-{k:02d}"))
            shutil.rmtree(seg_dir, ignore_errors=True)
            os.makedirs(seg_dir)
            train_csv = os.path.join(seg_dir, "train.csv")
            df[(df["bar_end_ms"] >= tr_t[0]) & (df["bar_end_ms"] <= tr_t[-1])].to_csv(
                train_csv, index=False, float_format="%.17g")
            row = {"segment": k, "train_from_ms": int(tr_t[0]), "train_to_ms": int(tr_t[-1]),
                   "test_from_ms": int(te_t[0]), "test_to_ms": int(te_t[-1])}
            try:
                man = train_models.train(train_csv, seg_dir, horizons, weights, a.trees, a.depth, a.eta,
                                         seed=a.seed, source=f"walkforward segment {k}")
            except SystemExit as e:
                print(f"segment {k}: not trained: {e}", flush=True)
                row["note"] = f"not trained: {e}"
                rows.append(row)
                continue
            # out of sample IC / hit rate on the test window
            te = df_t[(df_t["bar_end_ms"] >= te_t[0]) & (df_t["bar_end_ms"] <= te_t[-1]) & (df_t["ready"] == 1)]
            X = xgb.DMatrix(te[man["feature_names"]].to_numpy(dtype=np.float64), feature_names=man["feature_names"])
            ens = np.zeros(len(te))
            for h, w in zip(horizons, weights):
                b = xgb.Booster(model_file=os.path.join(seg_dir, f"h{h}.json"))
                pv = b.predict(X)
                y = te[f"y_{h}"].to_numpy()
                row[f"ic_h{h}"] = corr(pv, y)
                ok = ~np.isnan(y)
                row[f"hit_h{h}"] = float(np.mean(np.sign(pv[ok]) == np.sign(y[ok]))) if ok.any() else float("nan")
                ens += w * pv
            yl = te[f"y_{max(horizons)}"].to_numpy()
            row["ic_ens"] = corr(ens, yl)
            ok = ~np.isnan(yl)
            row["hit_ens"] = float(np.mean(np.sign(ens[ok]) == np.sign(yl[ok]))) if ok.any() else float("nan")
            row["test_rows"] = int(len(te))
            # PnL / Sharpe through the engine itself
            seg_cfg = segment_config(cfg, seg_dir, man)
            wj = os.path.join(seg_dir, "whatif")
            summ = os.path.join(seg_dir, "whatif.json")
            p = rs.run("replay", a.journal, "--what-if", "-c", seg_cfg, "--out", wj, "--summary-json", summ,
                       check=False)
            if p.returncode != 0:
                die(f"segment {k}: ringside replay --what-if failed (exit {p.returncode}): "
                    f"{p.stderr.strip()[-2000:]}")
            ts, eq = equity_curve(rs, wj)
            t0, t1 = (int(te_t[0]) - int(bar_ms)) * 1_000_000, int(te_t[-1]) * 1_000_000
            e0, e1 = equity_at(ts, eq, t0), equity_at(ts, eq, t1)
            grid = np.arange(t0, t1 + 1, int(bar_ms) * 1_000_000, dtype=np.int64)
            eg = np.array([equity_at(ts, eq, t) for t in grid])
            d = np.diff(eg) / e0 if len(eg) > 1 and e0 else np.array([])
            per_year = 365 * 86400 / bar_s
            row["pnl"] = e1 - e0
            row["return"] = (e1 - e0) / e0 if e0 else float("nan")
            row["sharpe"] = float(np.mean(d) / np.std(d) * np.sqrt(per_year)) if len(d) > 1 and np.std(d) > 0 \
                else float("nan")
            fills = rs.csv("journal", "export", wj, "--type", "fills")
            if len(fills):
                in_win = (fills["ts"] > t0) & (fills["ts"] <= t1)
                row["fills"] = int(in_win.sum())
            else:
                row["fills"] = 0
            rows.append(row)
            print(f"segment {k}: test {pd.to_datetime(te_t[0], unit='ms')} .. {pd.to_datetime(te_t[-1], unit='ms')}"
                  f"  IC(ens) {row['ic_ens']:+.3f}  hit {row['hit_ens']:.3f}  PnL {row['pnl']:+.2f}"
                  f"  Sharpe {row['sharpe']:+.2f}  fills {row['fills']}", flush=True)
        table = pd.DataFrame(rows)
        table.to_csv(os.path.join(a.out, "walkforward.csv"), index=False, float_format="%.10g")
        plot(table, horizons, os.path.join(a.out, "walkforward.png"))
        print(f"walkforward: {len(table)} segments -> {os.path.join(a.out, 'walkforward.csv')}, walkforward.png")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def plot(table, horizons, path):
    fig, ax = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    seg = table["segment"].to_numpy()
    pnl = table["pnl"].to_numpy(dtype=float) if "pnl" in table else np.zeros(len(seg))
    ax[0].bar(seg, np.nan_to_num(pnl), color=["tab:green" if v >= 0 else "tab:red" for v in np.nan_to_num(pnl)])
    ax[0].set_ylabel("test-window PnL (quote)")
    ax[0].axhline(0, color="black", lw=0.5)
    ax[0].set_title("walk-forward: out-of-sample PnL and IC per segment")
    for h in horizons:
        if f"ic_h{h}" in table:
            ax[1].plot(seg, table[f"ic_h{h}"].to_numpy(dtype=float), marker="o", label=f"IC h{h}")
    if "ic_ens" in table:
        ax[1].plot(seg, table["ic_ens"].to_numpy(dtype=float), marker="s", color="black", label="IC ensemble")
    ax[1].axhline(0, color="black", lw=0.5)
    ax[1].set_xlabel("segment")
    ax[1].set_ylabel("IC")
    ax[1].legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
