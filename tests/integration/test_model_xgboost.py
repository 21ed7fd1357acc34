#!/usr/bin/python3
"""ringside model predict agrees with XGBoost's own predict, on every ISA path.

Trains models with python3-xgboost (Debian) at test time: several objectives,
depths 2..10, 1..1000 trees, NaNs in training and test rows, and test rows
whose values sit exactly on split thresholds (and one float32 ulp either
side). For each model and each ISA path (scalar, avx2, avx512 where the CPU
has it), batch and single-row, compares:
  - margins (--margin) with predict(output_margin=True), printed %.9g: must
    be identical strings (the float32 values are equal);
  - outputs with predict(): identical, allowing only the last printed digit.
Exit 77 (skip) when xgboost is not importable.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import xgboost as xgb
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

RINGSIDE = os.environ.get("RINGSIDE", "build/release/ringside")
BT = os.environ.get("RS_BUILD_TYPE", "release")
SLOW = BT in ("asan", "tsan", "debug")


def cpu_has(flag):
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return flag in line.split()
    except OSError:
        pass
    return False


ISAS = ["scalar"] + (["avx2"] if cpu_has("avx2") else []) + (["avx512"] if cpu_has("avx512f") else [])


def thresholds(path):
    with open(path) as f:
        m = json.load(f)
    out = {}
    for t in m["learner"]["gradient_booster"]["model"]["trees"]:
        for i, l in enumerate(t["left_children"]):
            if l != -1:
                out.setdefault(t["split_indices"][i], []).append(np.float32(t["split_conditions"][i]))
    return out


def make_rows(rng, n, nf, thr):
    X = rng.normal(0, 1, (n, nf)).astype(np.float32)
    X[rng.random(X.shape) < 0.08] = np.nan
    # rows exactly on thresholds, and one ulp below / above
    k = 0
    for f, vals in thr.items():
        for v in vals[:40]:
            for w in (v, np.nextafter(v, np.float32(-np.inf)), np.nextafter(v, np.float32(np.inf))):
                X[k % n, f] = w
                k += 1
    return X


def write_csv(path, X, names):
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for r in X:
            f.write(",".join("" if np.isnan(v) else "%.9g" % v for v in r) + "\n")


def run(args):
    p = subprocess.run([RINGSIDE] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: ringside {' '.join(args)} -> {p.returncode}: {p.stderr}")
    return p.stdout.split("\n")[:-1]


def close_9g(a, b):
    if a == b:
        return True
    fa, fb = float(a), float(b)
    if fa == fb:
        return True
    # allow only the last of 9 significant digits to differ
    return abs(fa - fb) <= abs(fb) * 2e-8 + 1e-45


CASES = [
    # objective, depth, trees, extra params
    ("reg:squarederror", 2, 1, {}),
    ("reg:squarederror", 6, 300, {}),
    ("reg:squarederror", 10, 60, {}),
    ("reg:squarederror", 4, 1000, {"eta": 0.05}),
    ("reg:pseudohubererror", 5, 80, {}),
    ("reg:logistic", 4, 50, {}),
    ("binary:logistic", 3, 200, {"base_score": 0.3}),
    ("binary:logistic", 8, 100, {}),
    ("binary:logitraw", 5, 100, {"base_score": 0.7}),
    ("count:poisson", 4, 60, {}),
    ("reg:gamma", 3, 40, {}),
    ("reg:tweedie", 4, 40, {}),
    ("reg:absoluteerror", 5, 40, {}),
    ("reg:squarederror", 7, 50, {"grow_policy": "lossguide", "max_leaves": 40, "max_depth": 0,
                                 "tree_method": "hist"}),
    ("reg:squarederror", 6, 20, {"num_parallel_tree": 3, "subsample": 0.8, "colsample_bynode": 0.8}),
]


def main():
    if not os.path.exists(RINGSIDE):
        print(f"skip: {RINGSIDE} not built")
        return 77
    rng = np.random.default_rng(20261122)
    nf = 7
    names = [f"f{i}" for i in range(nf)]
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as td:
        for ci, (obj, depth, ntrees, extra) in enumerate(CASES):
            if SLOW and ntrees > 100:
                ntrees = 100   # sanitizer builds: same coverage of semantics, less time
            X = rng.normal(0, 1, (1500, nf)).astype(np.float32)
            X[rng.random(X.shape) < 0.1] = np.nan
            z = np.nan_to_num(X[:, 0]) * 1.5 - np.nan_to_num(X[:, 1]) + 0.5 * np.sin(np.nan_to_num(X[:, 2]) * 3)
            if obj in ("reg:logistic", "binary:logistic", "binary:logitraw"):
                y = (z + rng.normal(0, 0.5, len(z)) > 0).astype(np.float32)
            elif obj in ("count:poisson",):
                y = rng.poisson(np.exp(np.clip(z, -3, 2))).astype(np.float32)
            elif obj in ("reg:gamma", "reg:tweedie"):
                y = np.exp(np.clip(z, -3, 2) + rng.normal(0, 0.2, len(z))).astype(np.float32)
            else:
                y = (z + rng.normal(0, 0.3, len(z))).astype(np.float32)
            params = {"objective": obj, "max_depth": depth, "eta": 0.3, "seed": ci, "nthread": 1}
            params.update(extra)
            d = xgb.DMatrix(X, label=y, feature_names=names)
            b = xgb.train(params, d, ntrees)
            mpath = os.path.join(td, f"m{ci}.json")
            b.save_model(mpath)
            T = make_rows(rng, 250 if SLOW else 700, nf, thresholds(mpath))
            cpath = os.path.join(td, f"r{ci}.csv")
            # shuffle the column order in the CSV: features are matched by name
            perm = list(rng.permutation(nf))
            write_csv(cpath, T[:, perm], [names[i] for i in perm])
            dt = xgb.DMatrix(T, feature_names=names)
            exp_m = ["%.9g" % v for v in b.predict(dt, output_margin=True)]
            exp_p = ["%.9g" % v for v in b.predict(dt)]
            for isa in ISAS:
                for single in ([], ["--single"]):
                    if SLOW and single and isa != ISAS[-1]:
                        continue   # sanitizer builds: row-by-row only on the best path
                    got_m = run(["model", "predict", "--model", mpath, "--csv", cpath, "--margin", "--isa", isa]
                                + single)
                    if SLOW and (single or isa != ISAS[-1]):
                        got_p = exp_p   # sanitizer builds: the transform is checked once per model
                    else:
                        got_p = run(["model", "predict", "--model", mpath, "--csv", cpath, "--isa", isa] + single)
                    tag = f"{obj} depth={depth} trees={ntrees} {extra} isa={isa}{' single' if single else ''}"
                    if got_m != exp_m:
                        bad = [i for i in range(len(exp_m)) if got_m[i] != exp_m[i]]
                        print(f"FAIL margin {tag}: {len(bad)} rows differ, e.g. row {bad[0]}: "
                              f"ringside {got_m[bad[0]]} xgboost {exp_m[bad[0]]}")
                        failures += 1
                    badp = [i for i in range(len(exp_p)) if not close_9g(got_p[i], exp_p[i])]
                    if badp:
                        print(f"FAIL output {tag}: {len(badp)} rows differ, e.g. row {badp[0]}: "
                              f"ringside {got_p[badp[0]]} xgboost {exp_p[badp[0]]}")
                        failures += 1
                    exact = sum(1 for i in range(len(exp_p)) if got_p[i] == exp_p[i])
                    checked += len(exp_m)
            # the AVX-512 single-row block kernel's variants (all the same
            # float32 bits; the default one was checked above)
            if "avx512" in ISAS and not SLOW:
                for kern in ("store", "perm", "gather"):
                    got_m = run(["model", "predict", "--model", mpath, "--csv", cpath, "--margin", "--isa", "avx512",
                                 "--single", "--kernel", kern])
                    if got_m != exp_m:
                        bad = [i for i in range(len(exp_m)) if got_m[i] != exp_m[i]]
                        print(f"FAIL margin {obj} depth={depth} trees={ntrees} kernel={kern}: {len(bad)} rows differ, "
                              f"e.g. row {bad[0]}: ringside {got_m[bad[0]]} xgboost {exp_m[bad[0]]}")
                        failures += 1
                    checked += len(exp_m)
            print(f"ok {obj} depth={depth} trees={ntrees} {extra}: {len(exp_m)} rows x {len(ISAS)} isas "
                  f"(outputs printed identically: {exact}/{len(exp_p)})")
    print(f"{checked} predictions compared, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
