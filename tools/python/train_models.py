#!/usr/bin/python3
"""Train ringside's multi-horizon XGBoost models from a `ringside features` CSV.

Input CSV (the output of `ringside features`): columns
    bar_end_ms,symbol,ready,<feature names...>[,bar_open,...,bar_close,...]
one row per closed bar and symbol.

Targets: the forward log return in bps over each horizon h (in bars),
    y_h[t] = 1e4 * (log p[t+h] - log p[t])
where p is the bar close (`bar_close` when the CSV has it, from
`ringside features --with-bar`), else exp(cumulative sum of `ret_1`, which is
ln(c_t / c_{t-1})). Features at row t only describe bars up to t; the target
only uses bars t+1..t+h, and it is dropped (not trained on) when those bars
are not all present (end of data, gaps in bar_end_ms).

Split: time-ordered. The last --valid-frac of the time span is validation;
training rows are only those whose whole target window ends at or before the
first validation bar (purged, so no training label overlaps the validation
period). Early stopping on the validation set; the model is cut to its best
iteration before it is saved, so every tree in the file is used.

Outputs in --out DIR:
    h<H>.json          one XGBoost model per horizon (Booster.save_model)
    calibration.json   ringside calibration file (docs/model.md): per model an
                       isotonic map from the model's prediction to the mean
                       forward return (bps) on the validation set
    ensemble.json      manifest: models, horizons, weights, calibration keys,
                       feature names, validation metrics, provenance

Subcommands:
    synth  write a synthetic features CSV (for demos and tests, until the
           simulator's data is used: see docs/model.md)
    train  train from a features CSV
    demo   synth + train with the bundled demo settings (models/)
"""
import argparse
import fnmatch
import json
import math
import os
import sys

import numpy as np

try:
    import pandas as pd
    import xgboost as xgb
except ImportError as e:  # pragma: no cover
    print(f"train_models: {e} (needs Debian python3-pandas and python3-xgboost)", file=sys.stderr)
    sys.exit(77)

# Layout of `ringside features` with default parameters (docs/features.md).
DEFAULT_FEATURES = (
    "ema_10 sma_10 rsi_14 bb_upper_20 bb_mid_20 bb_lower_20 bb_width_20 bb_pctb_20 "
    "macd macd_signal macd_hist atr_14 ret_1 ret_2 ret_3 ret_4 ret_5 rv_12 rv_48 "
    "vol_z_20 vwap vwap_dist bar_ret day_vwap day_vwap_dist day_rv trade_rate "
    "vol_rate tod_frac tod_sin tod_cos beta_48 resid_48 corr_avg_48 mom_12 mom_48 "
    "mom_z_12 mom_z_48").split()

# Features in price units (not comparable across time or symbols): left out
# of training unless --exclude says otherwise.
DEFAULT_EXCLUDE = ["ema_*", "sma_*", "bb_upper_*", "bb_mid_*", "bb_lower_*", "macd*", "atr_*", "vwap",
                   "day_vwap", "bar_*"]

META = ["bar_end_ms", "symbol", "ready"]


# ---- synthetic data --------------------------------------------------------------

def synth(path, symbols=("BTCUSDT", "ETHUSDT"), bars=20000, seed=1, bar_ms=300_000,
          start_ms=1_704_067_200_000):
    """A features CSV with the default layout, from a synthetic price process
    with a weak, learnable structure (short-term momentum that decays, and
    mean reversion after large moves). Values are simple stand-ins computed
    from the synthetic closes, not the features stage's exact formulas."""
    rng = np.random.default_rng(seed)
    frames = []
    ref_r = None
    for si, sym in enumerate(symbols):
        n = bars
        vol = np.exp(np.cumsum(rng.normal(0, 0.02, n)) * 0.2) * 0.0015
        r = np.zeros(n)
        eps = rng.standard_t(5, n) * vol
        for t in range(2, n):
            mom = r[t - 1] + 0.5 * r[t - 2]
            r[t] = 0.18 * mom - 0.5 * max(min(r[t - 1], 0.01), -0.01) * (abs(r[t - 1]) > 2.5 * vol[t]) + eps[t]
        if ref_r is None:
            ref_r = r.copy()
        else:
            r = 0.6 * ref_r + 0.8 * r
        close = (30000.0 / (si + 1)) * np.exp(np.cumsum(r))
        s = pd.Series(close)
        lr = pd.Series(r)
        df = pd.DataFrame({"bar_end_ms": start_ms + bar_ms * np.arange(1, n + 1, dtype=np.int64),
                           "symbol": sym})
        ema = s.ewm(span=10, adjust=False).mean()
        sma = s.rolling(10).mean()
        up = lr.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
        dn = (-lr.clip(upper=0)).ewm(alpha=1 / 14, adjust=False).mean()
        mid = s.rolling(20).mean()
        sd = s.rolling(20).std(ddof=0)
        macd = s.ewm(span=12, adjust=False).mean() - s.ewm(span=26, adjust=False).mean()
        sig = macd.ewm(span=9, adjust=False).mean()
        volu = np.exp(rng.normal(0, 0.5, n)) * (1 + 200 * np.abs(r))
        vz = (pd.Series(volu) - pd.Series(volu).rolling(20).mean()) / pd.Series(volu).rolling(20).std()
        vwap = close * (1 + rng.normal(0, 0.0002, n))
        tod = ((df["bar_end_ms"] // 1000) % 86400) / 86400.0
        day = df["bar_end_ms"] // 86_400_000
        rr = pd.Series(ref_r)
        beta = (lr.rolling(48).cov(rr) / rr.rolling(48).var()).fillna(0)
        feats = {
            "ema_10": ema, "sma_10": sma, "rsi_14": 100 * up / (up + dn + 1e-300),
            "bb_upper_20": mid + 2 * sd, "bb_mid_20": mid, "bb_lower_20": mid - 2 * sd,
            "bb_width_20": (4 * sd / mid), "bb_pctb_20": ((s - (mid - 2 * sd)) / (4 * sd + 1e-300)),
            "macd": macd, "macd_signal": sig, "macd_hist": macd - sig,
            "atr_14": (s * lr.abs()).ewm(alpha=1 / 14, adjust=False).mean(),
            "ret_1": lr, "ret_2": lr.shift(1), "ret_3": lr.shift(2), "ret_4": lr.shift(3), "ret_5": lr.shift(4),
            "rv_12": np.sqrt((lr ** 2).rolling(12).sum()), "rv_48": np.sqrt((lr ** 2).rolling(48).sum()),
            "vol_z_20": vz, "vwap": pd.Series(vwap), "vwap_dist": pd.Series(np.log(close / vwap)),
            "bar_ret": lr * 0.8, "day_vwap": s.groupby(day).transform(lambda x: x.expanding().mean()),
            "day_vwap_dist": np.log(s / s.groupby(day).transform(lambda x: x.expanding().mean())),
            "day_rv": np.sqrt((lr ** 2).groupby(day).cumsum()),
            "trade_rate": pd.Series(volu * 3.0), "vol_rate": pd.Series(volu),
            "tod_frac": tod, "tod_sin": np.sin(2 * math.pi * tod), "tod_cos": np.cos(2 * math.pi * tod),
            "beta_48": beta, "resid_48": lr - beta * rr, "corr_avg_48": lr.rolling(48).corr(rr).fillna(0),
            "mom_12": lr.rolling(12).sum(), "mom_48": lr.rolling(48).sum(),
            "mom_z_12": (lr.rolling(12).sum() / (lr.rolling(48).std() * math.sqrt(12))),
            "mom_z_48": (lr.rolling(48).sum() / (lr.rolling(96).std() * math.sqrt(48))),
        }
        for k in DEFAULT_FEATURES:
            df[k] = pd.Series(feats[k]).to_numpy(dtype=np.float64)
        warm = df[DEFAULT_FEATURES].isna().any(axis=1) | (np.arange(n) < 100)
        df.insert(2, "ready", (~warm).astype(int))
        df[DEFAULT_FEATURES] = df[DEFAULT_FEATURES].fillna(0.0)
        frames.append(df)
    out = pd.concat(frames).sort_values(["bar_end_ms", "symbol"], kind="stable")
    out.to_csv(path, index=False, float_format="%.17g")
    return path


# ---- targets -------------------------------------------------------------------------

def bar_ms_of(df):
    d = np.diff(np.sort(df["bar_end_ms"].unique()))
    if len(d) == 0:
        raise SystemExit("train_models: need at least two bars")
    vals, counts = np.unique(d, return_counts=True)
    return int(vals[np.argmax(counts)])


def add_targets(df, horizons, bar_ms=None):
    """Adds y_<h> columns (bps; NaN where the forward window is incomplete).
    Rows are grouped by symbol and ordered by bar_end_ms; only later rows of
    the same symbol enter a row's target."""
    if bar_ms is None:
        bar_ms = bar_ms_of(df)
    df = df.sort_values(["symbol", "bar_end_ms"], kind="stable").reset_index(drop=True)
    if "bar_close" in df.columns:
        logp = np.log(df["bar_close"].to_numpy(dtype=np.float64))
    elif "ret_1" in df.columns:
        logp = df.groupby("symbol", sort=False)["ret_1"].cumsum().to_numpy(dtype=np.float64)
    else:
        raise SystemExit("train_models: the CSV has neither bar_close (--with-bar) nor ret_1: no price path")
    t = df["bar_end_ms"].to_numpy(dtype=np.int64)
    sym = df["symbol"].to_numpy()
    n = len(df)
    for h in horizons:
        y = np.full(n, np.nan)
        if h < n:
            same = sym[h:] == sym[:-h]
            contiguous = (t[h:] - t[:-h]) == h * bar_ms
            ok = same & contiguous
            fwd = 1e4 * (logp[h:] - logp[:-h])
            y[:-h][ok] = fwd[ok]
        df[f"y_{h}"] = y
    return df, bar_ms


# ---- isotonic calibration ---------------------------------------------------------------

def pav(y, w):
    """Pool-adjacent-violators: the non-decreasing fit of y with weights w."""
    vals, wts, lens = [], [], []
    for yi, wi in zip(y, w):
        vals.append(yi)
        wts.append(wi)
        lens.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w2 = wts[-2] + wts[-1]
            v2 = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w2
            l2 = lens[-2] + lens[-1]
            vals[-2:] = [v2]
            wts[-2:] = [w2]
            lens[-2:] = [l2]
    out = []
    for v, l in zip(vals, lens):
        out += [v] * l
    return np.array(out)


def isotonic(pred, y, max_knots=40):
    order = np.argsort(pred, kind="stable")
    p, t = np.asarray(pred, dtype=np.float64)[order], np.asarray(y, dtype=np.float64)[order]
    nb = max(2, min(max_knots, len(p) // 50))
    edges = np.linspace(0, len(p), nb + 1).astype(int)
    xs, ys, ws = [], [], []
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        x = float(np.mean(p[a:b]))
        if xs and x <= xs[-1]:       # ties in the predictions: merge into the previous bin
            k = len(xs) - 1
            ys[k] = (ys[k] * ws[k] + float(np.sum(t[a:b]))) / (ws[k] + (b - a))
            ws[k] += b - a
            continue
        xs.append(x)
        ys.append(float(np.mean(t[a:b])))
        ws.append(b - a)
    fy = pav(ys, ws)
    return {"type": "isotonic", "x": [float(v) for v in xs], "y": [float(v) for v in fy]}


# ---- training ------------------------------------------------------------------------------

def pick_features(cols, exclude):
    feats = [c for c in cols if c not in META and not c.startswith("y_") and not c.startswith("bar_")]
    return [c for c in feats if not any(fnmatch.fnmatch(c, pat) for pat in exclude)]


def train(csv, out, horizons, weights=None, trees=400, depth=4, eta=0.05, valid_frac=0.2,
          exclude=None, objective="reg:pseudohubererror", seed=0, early=40, source=None, synthetic=False):
    os.makedirs(out, exist_ok=True)
    df = pd.read_csv(csv)
    for c in META:
        if c not in df.columns:
            raise SystemExit(f"train_models: {csv}: missing column {c}")
    df, bar_ms = add_targets(df, horizons)
    exclude = DEFAULT_EXCLUDE if exclude is None else exclude
    feats = pick_features(df.columns, exclude)
    if not feats:
        raise SystemExit("train_models: no features left after --exclude")
    ready = df["ready"].to_numpy() == 1
    times = np.sort(df["bar_end_ms"].unique())
    cut = int(times[int(len(times) * (1 - valid_frac))])
    weights = weights or [1.0] * len(horizons)
    manifest = {"format": "ringside-ensemble", "version": 1, "feature_names": feats, "bar_ms": bar_ms,
                "valid_from_ms": cut, "source": source or os.path.basename(csv), "synthetic": synthetic,
                "xgboost": xgb.__version__, "objective": objective, "calibration": "calibration.json",
                "models": []}
    cal = {"format": "ringside-calibration", "version": 1, "models": {}}
    t = df["bar_end_ms"].to_numpy(dtype=np.int64)
    for h, w in zip(horizons, weights):
        y = df[f"y_{h}"].to_numpy()
        has = ready & ~np.isnan(y)
        tr = has & (t + h * bar_ms <= cut)       # purged: the whole label window ends before validation
        va = has & (t > cut)
        if tr.sum() < 100 or va.sum() < 50:
            raise SystemExit(f"train_models: horizon {h}: too few rows (train {tr.sum()}, valid {va.sum()})")
        X = df[feats].to_numpy(dtype=np.float64)
        dtr = xgb.DMatrix(X[tr], label=y[tr], feature_names=feats)
        dva = xgb.DMatrix(X[va], label=y[va], feature_names=feats)
        params = {"objective": objective, "max_depth": depth, "eta": eta, "subsample": 0.8,
                  "colsample_bytree": 0.8, "min_child_weight": 20, "seed": seed, "nthread": 1,
                  "tree_method": "hist", "eval_metric": "rmse"}
        if objective == "reg:pseudohubererror":
            params["huber_slope"] = float(np.nanstd(y[tr]))
        b = xgb.train(params, dtr, trees, evals=[(dva, "valid")], early_stopping_rounds=early, verbose_eval=False)
        best = getattr(b, "best_iteration", None)
        if best is not None and best + 1 < b.num_boosted_rounds():
            b = b[: best + 1]
        name = f"h{h}"
        b.save_model(os.path.join(out, f"{name}.json"))
        pv = b.predict(dva)
        ic = float(np.corrcoef(pv, y[va])[0, 1]) if np.std(pv) > 0 else 0.0
        hit = float(np.mean(np.sign(pv) == np.sign(y[va])))
        cal["models"][name] = isotonic(pv, y[va])
        manifest["models"].append({"name": name, "path": f"{name}.json", "horizon_bars": h, "weight": w,
                                   "calib_key": name, "trees": b.num_boosted_rounds(),
                                   "train_rows": int(tr.sum()), "valid_rows": int(va.sum()),
                                   "valid_ic": ic, "valid_hit_rate": hit})
        print(f"h{h}: {b.num_boosted_rounds()} trees, train {tr.sum()} rows, valid {va.sum()} rows, "
              f"IC {ic:.4f}, hit {hit:.3f}")
    with open(os.path.join(out, "calibration.json"), "w") as f:
        json.dump(cal, f, indent=1)
    with open(os.path.join(out, "ensemble.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("synth", help="write a synthetic features CSV")
    s.add_argument("--out", required=True)
    s.add_argument("--symbols", default="BTCUSDT,ETHUSDT")
    s.add_argument("--bars", type=int, default=20000)
    s.add_argument("--seed", type=int, default=1)
    for name in ("train", "demo"):
        t = sub.add_parser(name, help="train from a features CSV" if name == "train" else
                           "synthetic data + training with the bundled demo settings")
        if name == "train":
            t.add_argument("--csv", required=True, help="`ringside features` output")
        t.add_argument("--out", required=True, help="output directory")
        t.add_argument("--horizons", default="1,3,12", help="bars, comma separated")
        t.add_argument("--weights", default=None, help="one per horizon (default 1 each)")
        t.add_argument("--trees", type=int, default=400)
        t.add_argument("--depth", type=int, default=4)
        t.add_argument("--eta", type=float, default=0.05)
        t.add_argument("--valid-frac", type=float, default=0.2)
        t.add_argument("--objective", default="reg:pseudohubererror")
        t.add_argument("--exclude", default=None,
                       help="comma-separated glob patterns of features to leave out "
                            f"(default: price-level features {','.join(DEFAULT_EXCLUDE)}; '' keeps all)")
        t.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.cmd == "synth":
        synth(a.out, symbols=a.symbols.split(","), bars=a.bars, seed=a.seed)
        print(f"wrote {a.out}")
        return 0
    horizons = [int(x) for x in a.horizons.split(",")]
    weights = [float(x) for x in a.weights.split(",")] if a.weights else None
    if weights and len(weights) != len(horizons):
        raise SystemExit("train_models: --weights needs one weight per horizon")
    exclude = None if a.exclude is None else [p for p in a.exclude.split(",") if p]
    if a.cmd == "demo":
        os.makedirs(a.out, exist_ok=True)
        csv = os.path.join(a.out, "synthetic_features.csv")
        synth(csv, bars=12000, seed=a.seed + 1)
        train(csv, a.out, horizons, weights, a.trees, a.depth, a.eta, a.valid_frac, exclude, a.objective,
              a.seed, source="synthetic (train_models.py demo)", synthetic=True)
        os.remove(csv)
        return 0
    train(a.csv, a.out, horizons, weights, a.trees, a.depth, a.eta, a.valid_frac, exclude, a.objective, a.seed,
          source=os.path.basename(a.csv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
