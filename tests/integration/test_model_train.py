#!/usr/bin/python3
"""The training loop: targets are forward returns without lookahead, the split
is time-ordered and purged, and the models and calibration it writes load in
C and predict exactly what XGBoost predicts.

1. add_targets on a hand-made CSV: values, symbol boundaries, gaps.
2. synth + train (tiny) into a temp dir; `ringside model predict` on the
   features CSV equals Booster.predict (%.9g strings) for every model, and
   with --calib equals numpy's piecewise-linear interpolation of the
   calibration file.
3. The bundled models/ load and their feature names are all in the default
   `ringside features` layout.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import pandas as pd
    import xgboost as xgb
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

SRC = os.environ.get("RS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
RINGSIDE = os.environ.get("RINGSIDE", os.path.join(SRC, "build", "release", "ringside"))
sys.path.insert(0, os.path.join(SRC, "tools", "python"))
import train_models as tm  # noqa: E402

fails = 0


def check(cond, msg):
    global fails
    if not cond:
        print("FAIL:", msg)
        fails += 1


def run(args):
    p = subprocess.run([RINGSIDE] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: ringside {' '.join(args)}: {p.stderr}")
    return p.stdout.split("\n")[:-1]


def test_targets():
    # two symbols, 5 bars each, bar 4 of B missing (gap); ret_1 in log units
    rows = []
    for sym, rets in (("A", [0.0, 0.01, -0.02, 0.03, 0.005]), ("B", [0.0, 0.001, 0.002, 0.004])):
        ts = [1, 2, 3, 4, 5] if sym == "A" else [1, 2, 3, 5]
        for t, r in zip(ts, rets):
            rows.append({"bar_end_ms": t * 300000, "symbol": sym, "ready": 1, "ret_1": r})
    df = pd.DataFrame(rows).sample(frac=1, random_state=3)   # order must not matter
    out, bar_ms = tm.add_targets(df, [1, 2])
    check(bar_ms == 300000, f"bar_ms {bar_ms}")
    a = out[out.symbol == "A"].sort_values("bar_end_ms")
    exp1 = [1e4 * 0.01, 1e4 * -0.02, 1e4 * 0.03, 1e4 * 0.005, np.nan]
    exp2 = [1e4 * -0.01, 1e4 * 0.01, 1e4 * 0.035, np.nan, np.nan]
    check(np.allclose(a["y_1"], exp1, equal_nan=True), f"A y_1 {list(a['y_1'])}")
    check(np.allclose(a["y_2"], exp2, equal_nan=True), f"A y_2 {list(a['y_2'])}")
    b = out[out.symbol == "B"].sort_values("bar_end_ms")
    # bar at t=3 -> next is t=5 (gap): no 1-bar target; the last row of A
    # never borrows from B
    check(np.isnan(b["y_1"].iloc[2]), "gap must drop the target")
    check(np.isnan(b["y_1"].iloc[3]), "end of data must drop the target")
    check(abs(b["y_1"].iloc[0] - 10.0) < 1e-9, f"B y_1[0] {b['y_1'].iloc[0]}")
    # bar_close takes precedence over ret_1
    df2 = pd.DataFrame({"bar_end_ms": [300000, 600000, 900000], "symbol": "C", "ready": 1,
                        "ret_1": [0.5, 0.5, 0.5], "bar_close": [100.0, 101.0, 99.0]})
    o2, _ = tm.add_targets(df2, [1])
    check(abs(o2["y_1"].iloc[0] - 1e4 * np.log(1.01)) < 1e-9, "bar_close target")
    # isotonic is non-decreasing and PAV is right on a tiny case
    check(list(tm.pav([1, 3, 2, 4], [1, 1, 1, 1])) == [1, 2.5, 2.5, 4], "pav")


def test_train_and_load(td):
    csv = os.path.join(td, "feat.csv")
    tm.synth(csv, bars=3000, seed=7)
    out = os.path.join(td, "models")
    man = tm.train(csv, out, [1, 3], trees=30, depth=3, early=10)
    check(len(man["models"]) == 2, "two models")
    # purge: no training label window reaches into validation
    df = pd.read_csv(csv)
    dft, bar_ms = tm.add_targets(df, [1, 3])
    cut = man["valid_from_ms"]
    ready = dft[dft.ready == 1]
    with open(os.path.join(out, "calibration.json")) as f:
        cal = json.load(f)
    for m in man["models"]:
        path = os.path.join(out, m["path"])
        info = run(["model", "info", path])
        check(any(l.startswith("trees:") for l in info), "info prints trees")
        b = xgb.Booster()
        b.load_model(path)
        check(b.num_boosted_rounds() == m["trees"], "trees cut to best iteration")
        X = ready[man["feature_names"]].to_numpy(dtype=np.float64)
        exp = ["%.9g" % v for v in b.predict(xgb.DMatrix(X, feature_names=man["feature_names"]))]
        rcsv = os.path.join(td, "ready.csv")
        ready.to_csv(rcsv, index=False, float_format="%.17g")   # extra columns: matched by name
        got = run(["model", "predict", "--model", path, "--csv", rcsv])
        bad = [i for i in range(len(exp)) if exp[i] != got[i]]
        check(not bad, f"{m['name']}: {len(bad)} of {len(exp)} predictions differ from xgboost"
              + (f", e.g. {got[bad[0]]} vs {exp[bad[0]]}" if bad else ""))
        gotc = [float(v) for v in run(["model", "predict", "--model", path, "--csv", rcsv, "--calib",
                                       os.path.join(out, "calibration.json"), "--calib-key", m["calib_key"]])]
        c = cal["models"][m["calib_key"]]
        expc = np.interp(np.array([np.float32(v) for v in exp], dtype=np.float64), c["x"], c["y"])
        badc = [i for i in range(len(expc)) if not np.isclose(gotc[i], expc[i], rtol=1e-12, atol=1e-9)]
        check(not badc, f"{m['name']}: {len(badc)} calibrated values differ"
              + (f", e.g. x {exp[badc[0]]}: {gotc[badc[0]]!r} vs {expc[badc[0]]!r}" if badc else ""))
        check(all(np.diff(c["y"]) >= 0) and all(np.diff(c["x"]) > 0), "isotonic knots ordered")
    print(f"ok: trained {len(man['models'])} models on {len(df)} rows, valid from {cut}")


def test_bundled():
    d = os.path.join(SRC, "models")
    with open(os.path.join(d, "ensemble.json")) as f:
        man = json.load(f)
    for m in man["models"]:
        info = run(["model", "info", os.path.join(d, m["path"])])
        k = [i for i, l in enumerate(info) if l.startswith("features:")][0]
        names = [l.split()[1] for l in info[k + 1:] if l.startswith("  ")]
        missing = [n for n in names if n not in tm.DEFAULT_FEATURES]
        check(not missing, f"bundled {m['path']}: features not in the default layout: {missing}")
        check(len(names) == len(man["feature_names"]), f"bundled {m['path']}: feature count")


def main():
    if not os.path.exists(RINGSIDE):
        print(f"skip: {RINGSIDE} not built")
        return 77
    test_targets()
    with tempfile.TemporaryDirectory() as td:
        test_train_and_load(td)
    test_bundled()
    print("failures:", fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
