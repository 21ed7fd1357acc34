#!/usr/bin/python3
"""report_plots -- plots and the offline HTML page of `ringside report`.

    /usr/bin/python3 tools/python/report_plots.py DIR

DIR is what `ringside report ... --out DIR` wrote: evaluation_summary.csv,
runs.csv and data/runN/*.csv (definitions: docs/report.md). Every number in
the page comes from those CSV files (computed in C); this script only draws
them. Writes DIR/img/*.png and DIR/index.html (relative image paths, inline
CSS, no scripts, nothing fetched: readable offline).

Debian python3-matplotlib and python3-pandas only.
"""

import html
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = ["#1f77b4", "#d62728"]
STAGES = ["features", "model", "gate", "exec", "tick_to_order", "venue_ack", "md_age"]
STRIP_MAX = 3000   # points per stage and run in the latency-over-time strip
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def read_csv(path):
    if not os.path.exists(path):
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def load(dirpath):
    runs = read_csv(os.path.join(dirpath, "runs.csv"))
    if runs.empty:
        raise SystemExit(f"report_plots: {dirpath}/runs.csv is missing or empty (run `ringside report` first)")
    summary = read_csv(os.path.join(dirpath, "evaluation_summary.csv"))
    out = []
    for _, r in runs.iterrows():
        d = os.path.join(dirpath, "data", str(r["id"]))
        run = {"id": r["id"], "label": str(r["label"]), "meta": r}
        for name in ("equity_curve", "symbol_pnl", "trades", "incidents", "latency", "latency_counts"):
            run[name] = read_csv(os.path.join(d, name + ".csv"))
        run["summary"] = summary[summary["run"].astype(str) == str(r["label"])] if not summary.empty else summary
        out.append(run)
    return out, summary


def to_time(ns):
    return pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True)


def no_data(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=12, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def save(fig, dirpath, name):
    path = os.path.join(dirpath, "img", name)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "img/" + name


def plot_curves(runs, dirpath):
    imgs = {}
    for key, col, title, ylabel in (("cum_return", "cum_return", "Cumulative net return (fixed capital base)",
                                     "return %"),
                                    ("drawdown", "drawdown", "Drawdown from the running peak", "drawdown %")):
        fig, ax = plt.subplots(figsize=(10, 3.6))
        any_data = False
        for i, run in enumerate(runs):
            c = run["equity_curve"]
            if c.empty:
                continue
            any_data = True
            y = c[col] * 100.0 * (-1 if key == "drawdown" else 1)
            ax.plot(to_time(c["ts"]), y, color=COLORS[i % 2], lw=1.2, label=run["label"])
            if key == "cum_return":
                inc = c["incident"].astype(bool).to_numpy()
                if inc.any():
                    ax.fill_between(to_time(c["ts"]), y.min(), y.max(), where=inc, color=COLORS[i % 2], alpha=0.12,
                                    step="post", label=f"{run['label']}: incident periods")
        if any_data:
            ax.axhline(0, color="#888", lw=0.6)
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
            ax.legend(loc="best", fontsize=8)
            fig.autofmt_xdate()
        else:
            no_data(ax, "no marks or fills in the journal")
        ax.set_title(title)
        imgs[key] = save(fig, dirpath, key + ".png")
    return imgs


def plot_heatmap(run, dirpath):
    s = run["summary"]
    days = s[s["row"] == "day"] if not s.empty else s
    fig, ax = plt.subplots(figsize=(10, 1.4 + 0.5 * max(1, days["date"].str[:4].nunique() if not days.empty else 1)))
    if days.empty:
        no_data(ax, "no days")
    else:
        d = days.assign(year=days["date"].str[:4].astype(int), month=days["date"].str[5:7].astype(int))
        # returns on a fixed capital base add up: a month's return is the sum of its days
        m = d.groupby(["year", "month"])["return"].sum()
        years = sorted(d["year"].unique())
        grid = np.full((len(years), 12), np.nan)
        for (y, mo), v in m.items():
            grid[years.index(y), mo - 1] = v * 100.0
        lim = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1.0
        lim = lim if lim > 0 else 1.0
        im = ax.imshow(grid, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(12))
        ax.set_xticklabels(MONTHS)
        ax.set_yticks(range(len(years)))
        ax.set_yticklabels([str(y) for y in years])
        for yi in range(len(years)):
            for mi in range(12):
                if np.isfinite(grid[yi, mi]):
                    ax.text(mi, yi, f"{grid[yi, mi]:+.2f}%", ha="center", va="center", fontsize=8)
        fig.colorbar(im, ax=ax, label="month return %", fraction=0.03)
    ax.set_title(f"Monthly net returns: {run['label']}")
    return save(fig, dirpath, f"monthly_{run['id']}.png")


def plot_symbols(runs, dirpath):
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    ax, bx = axes
    finals = {}
    for i, run in enumerate(runs):
        sp = run["symbol_pnl"]
        if sp.empty:
            continue
        for j, (sym, g) in enumerate(sp.groupby("symbol")):
            ls = ["-", "--", ":", "-."][j % 4]
            ax.plot(pd.to_datetime(g["date"]), g["net"], ls, color=COLORS[i % 2], label=f"{run['label']} {sym}")
        last = sp[sp["date"] == sp["date"].max()].set_index("symbol")["net"]
        finals[run["label"]] = last
    if finals:
        ax.set_title("Per-symbol net PnL at each day's end (quote)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.autofmt_xdate()
        syms = sorted(set().union(*[set(v.index) for v in finals.values()]))
        w = 0.8 / len(finals)
        for i, (lab, v) in enumerate(finals.items()):
            vals = [v.get(s, 0.0) for s in syms]
            bx.bar(np.arange(len(syms)) + i * w, vals, w, color=COLORS[i % 2], label=lab)
        bx.set_xticks(np.arange(len(syms)) + w * (len(finals) - 1) / 2)
        bx.set_xticklabels(syms)
        bx.axhline(0, color="#888", lw=0.6)
        bx.set_title("Attribution: total net PnL by symbol")
        bx.legend(fontsize=7)
    else:
        no_data(ax, "no trades: nothing to attribute")
        no_data(bx, "")
    return save(fig, dirpath, "symbol_pnl.png")


def plot_trades(runs, dirpath):
    fig, ax = plt.subplots(figsize=(10, 3.4))
    rets = []
    for i, run in enumerate(runs):
        t = run["trades"]
        if t.empty:
            continue
        t = t[t["status"] == "closed"]
        if len(t):
            rets.append((run["label"], t["return"].to_numpy() * 1e4, COLORS[i % 2]))
    if rets:
        allv = np.concatenate([r for _, r, _ in rets])
        bins = np.linspace(allv.min(), allv.max(), 40) if allv.max() > allv.min() else 10
        for lab, r, col in rets:
            ax.hist(r, bins=bins, alpha=0.5, color=col, label=f"{lab} (n={len(r)}, mean {r.mean():+.1f} bps)")
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_xlabel("trade net return on entry notional, bps")
        ax.set_ylabel("trades")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    else:
        no_data(ax, "no closed trades")
    ax.set_title("Distribution of trade returns (net of fees and slippage)")
    return save(fig, dirpath, "trade_returns.png")


def plot_latency(runs, dirpath):
    stages = []
    for st in STAGES:
        if any((not r["latency"].empty) and (r["latency"]["stage"] == st).any() for r in runs):
            stages.append(st)
    if not stages:
        fig, ax = plt.subplots(figsize=(10, 2))
        no_data(ax, "no per-stage latency samples (no local stamps matched in the journal)")
        return save(fig, dirpath, "latency_hist.png"), save_strip_empty(dirpath)
    ncol = 3
    nrow = (len(stages) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 2.8 * nrow), squeeze=False)
    for k, st in enumerate(stages):
        ax = axes[k // ncol][k % ncol]
        vals = [(r["label"], r["latency"][r["latency"]["stage"] == st]["latency_ns"].to_numpy() / 1e3, COLORS[i % 2])
                for i, r in enumerate(runs) if not r["latency"].empty]
        vals = [v for v in vals if len(v[1])]
        pos = np.concatenate([v[1] for v in vals])
        pos = pos[pos > 0]
        if len(pos) == 0:
            no_data(ax, "no positive samples")
        else:
            lo, hi = max(pos.min(), 1e-3), pos.max()
            bins = np.logspace(np.log10(lo), np.log10(hi * 1.0001 if hi > lo else lo * 10), 40)
            for lab, v, col in vals:
                v = v[v > 0]
                ax.hist(v, bins=bins, alpha=0.5, color=col,
                        label=f"{lab}: p50 {np.percentile(v, 50):.1f} p99 {np.percentile(v, 99):.1f} us")
            ax.set_xscale("log")
            ax.legend(fontsize=6)
        ax.set_title(st, fontsize=10)
        ax.set_xlabel("us (log)", fontsize=8)
    for k in range(len(stages), nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    fig.suptitle("Per-stage latency from local stamps (log scale)")
    fig.tight_layout()
    hist = save(fig, dirpath, "latency_hist.png")

    fig, axes = plt.subplots(len(stages), 1, figsize=(12, 1.3 * len(stages) + 0.8), sharex=True, squeeze=False)
    for k, st in enumerate(stages):
        ax = axes[k][0]
        for i, r in enumerate(runs):
            lat = r["latency"]
            if lat.empty:
                continue
            g = lat[(lat["stage"] == st) & (lat["latency_ns"] > 0)]
            g = g.iloc[::max(1, len(g) // STRIP_MAX)]   # drawing cost, not information: evenly thinned
            if len(g):
                ax.scatter(to_time(g["ts"]), g["latency_ns"] / 1e3, s=2, color=COLORS[i % 2], alpha=0.5,
                           label=r["label"], rasterized=True)
        ax.set_yscale("log")
        ax.set_ylabel(st, fontsize=8, rotation=0, ha="right")
        ax.grid(alpha=0.3)
    axes[0][0].set_title(f"Latency over time (us, log scale; x = market clock; at most {STRIP_MAX} evenly spaced "
                        "points per stage and run)")
    axes[0][0].legend(fontsize=7, loc="upper right", markerscale=4)
    fig.autofmt_xdate()
    strip = save(fig, dirpath, "latency_strip.png")
    return hist, strip


def save_strip_empty(dirpath):
    fig, ax = plt.subplots(figsize=(10, 2))
    no_data(ax, "no latency samples")
    return save(fig, dirpath, "latency_strip.png")


# ---- HTML ----------------------------------------------------------------------

METRICS = [("equity", "final equity", "{:,.2f}"), ("pnl", "net PnL", "{:+,.2f}"), ("return", "return", "pct"),
           ("vol_ann", "volatility (ann.)", "pct"), ("sharpe", "Sharpe (ann. sqrt 365)", "{:.2f}"),
           ("sortino", "Sortino", "{:.2f}"), ("max_dd", "max drawdown", "pct"),
           ("max_dd_days", "max drawdown duration (days)", "{:.2f}"), ("calmar", "Calmar", "{:.2f}"),
           ("hit_rate", "hit rate", "pct"), ("trades", "trades (closed)", "{:.0f}"), ("fills", "fills", "{:.0f}"),
           ("avg_hold_s", "average hold (min)", "min"), ("turnover", "turnover (x capital)", "{:.2f}"),
           ("gross_pnl", "gross PnL (before fees)", "{:+,.2f}"), ("fees", "fees", "{:,.2f}"),
           ("slippage", "slippage vs mid (in PnL)", "{:,.2f}"), ("strategy_pnl", "strategy PnL", "{:+,.2f}"),
           ("incident_pnl", "incident PnL", "{:+,.2f}")]


def fmt(v, f):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    if f == "pct":
        return f"{v * 100:.2f}%"
    if f == "min":
        return f"{v / 60:.1f}"
    return f.format(v)


def row_of(run, kind):
    s = run["summary"]
    r = s[s["row"] == kind] if not s.empty else s
    return None if r.empty else r.iloc[0]


def summary_table(runs):
    h = ["<table class='sum'><tr><th>metric</th>"]
    for r in runs:
        h.append(f"<th>{html.escape(r['label'])}<br><small>total</small></th>"
                 f"<th>{html.escape(r['label'])}<br><small>strategy only</small></th>")
    if len(runs) == 2:
        h.append("<th>difference<br><small>total, 2nd - 1st</small></th>")
    h.append("</tr>")
    for key, name, f in METRICS:
        h.append(f"<tr><td>{name}</td>")
        vals = []
        for r in runs:
            for kind in ("total", "strategy"):
                row = row_of(r, kind)
                v = None if row is None else row[key]
                if kind == "total":
                    vals.append(v)
                h.append(f"<td>{fmt(v, f)}</td>")
        if len(runs) == 2:
            a, b = vals
            d = (b - a) if a is not None and b is not None and np.isfinite(a) and np.isfinite(b) else None
            h.append(f"<td>{fmt(d, f)}</td>")
        h.append("</tr>")
    h.append("</table>")
    return "".join(h)


def df_table(df, cols, fmts):
    if df.empty:
        return "<p class='none'>none</p>"
    h = ["<table class='rows'><tr>"] + [f"<th>{html.escape(c)}</th>" for c in cols] + ["</tr>"]
    for _, r in df.iterrows():
        h.append("<tr>")
        for c in cols:
            v = r[c]
            f = fmts.get(c)
            if f and isinstance(v, (int, float, np.floating, np.integer)):
                h.append(f"<td>{fmt(float(v), f)}</td>")
            else:
                h.append(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>")
        h.append("</tr>")
    h.append("</table>")
    return "".join(h)


CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1300px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f2f2f2}td:first-child{text-align:left}
.none{color:#666;font-style:italic}.warn{background:#fff3cd;padding:0.6em;border:1px solid #e0c36c}
img{max-width:100%;border:1px solid #eee;margin:0.4em 0}
small{color:#555}
"""


def write_html(dirpath, runs, imgs):
    o = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>ringside report</title>",
         f"<style>{CSS}</style></head><body>", "<h1>ringside performance report</h1>"]
    o.append("<table class='rows'><tr><th>run</th><th>journal</th><th>instance</th><th>capital</th><th>records</th>"
             "<th>fills</th><th>trades (incl. open)</th><th>incidents</th><th>journal tail</th></tr>")
    for r in runs:
        m = r["meta"]
        o.append(f"<tr><td>{html.escape(r['label'])}</td><td>{html.escape(str(m['journal']))}</td>"
                 f"<td>{html.escape(str(m['instance']))}</td><td>{m['capital']:,.2f}</td><td>{m['records']}</td>"
                 f"<td>{m['fills']}</td><td>{m['trades']}</td><td>{m['incidents']}</td>"
                 f"<td>{html.escape(str(m['tail']))}</td></tr>")
    o.append("</table>")
    for r in runs:
        if int(r["meta"]["fills"]) == 0:
            o.append(f"<p class='warn'><b>{html.escape(r['label'])}: no trades.</b> The journal has no fills, so "
                     "returns are zero and the ratios are undefined (n/a).</p>")
    o.append("<h2>Summary</h2>")
    o.append("<p>Returns are net PnL (fees and slippage included) over the fixed capital base; ratios annualised "
             "with sqrt(365), zero risk-free rate; n/a = undefined (fewer than 2 days, zero volatility, no losing "
             "day, no drawdown, no trades). <i>Strategy only</i> removes the PnL of incident periods (risk trip, "
             "kill or operator pause until resume or flat) and the trades/fills touched by them. Definitions: "
             "docs/report.md.</p>")
    o.append(summary_table(runs))
    o.append("<h2>Cumulative net return</h2>" f"<img src='{imgs['cum_return']}' alt='cumulative return'>")
    o.append("<h2>Drawdown</h2>" f"<img src='{imgs['drawdown']}' alt='drawdown'>")
    o.append("<h2>Monthly returns</h2>")
    for r in runs:
        o.append(f"<img src='{imgs['monthly_' + str(r['id'])]}' alt='monthly returns {html.escape(r['label'])}'>")
    o.append("<h2>Per-symbol PnL attribution</h2>" f"<img src='{imgs['symbols']}' alt='per-symbol PnL'>")
    o.append("<h2>Trade returns</h2>" f"<img src='{imgs['trades']}' alt='trade returns'>")
    o.append("<h2>Latency per stage</h2>" f"<img src='{imgs['lat_hist']}' alt='latency histograms'>")
    o.append(f"<img src='{imgs['lat_strip']}' alt='latency over time'>")
    for r in runs:
        lc = r["latency_counts"]
        if not lc.empty:
            o.append(f"<p><small>{html.escape(r['label'])}: samples per stage (matched / kept in the CSV / "
                     "unmatched / negative skipped):</small></p>")
            o.append(df_table(lc, ["stage", "matched", "kept", "unmatched", "negative"], {}))
    o.append("<h2>Incidents</h2>")
    for r in runs:
        o.append(f"<h3>{html.escape(r['label'])}</h3>")
        o.append(df_table(r["incidents"], ["id", "start_time", "end_time", "scope", "trigger", "end_reason",
                                           "duration_s", "pnl"], {"duration_s": "{:.0f}", "pnl": "{:+,.2f}"}))
    o.append("<h2>End-of-day rows</h2>")
    for r in runs:
        s = r["summary"]
        days = s[s["row"] == "day"] if not s.empty else s
        o.append(f"<h3>{html.escape(r['label'])}</h3>")
        o.append(df_table(days, ["date", "equity", "pnl", "return", "cum_return", "sharpe", "max_dd", "hit_rate",
                                 "trades", "fees", "turnover", "incident_pnl"],
                          {"equity": "{:,.2f}", "pnl": "{:+,.2f}", "return": "pct", "cum_return": "pct",
                           "sharpe": "{:.2f}", "max_dd": "pct", "hit_rate": "pct", "trades": "{:.0f}",
                           "fees": "{:,.2f}", "turnover": "{:.2f}", "incident_pnl": "{:+,.2f}"}))
    o.append("<h2>Trades (worst and best 10)</h2>")
    for r in runs:
        t = r["trades"]
        o.append(f"<h3>{html.escape(r['label'])}</h3>")
        if t.empty:
            o.append("<p class='none'>no trades</p>")
            continue
        t = t.sort_values("pnl")
        sel = pd.concat([t.head(10), t.tail(10)]).drop_duplicates("id")
        o.append(df_table(sel, ["id", "symbol", "side", "status", "open_time", "hold_s", "entry_px", "exit_px",
                                "pnl", "fees", "return", "incident"],
                          {"hold_s": "{:.0f}", "entry_px": "{:,.2f}", "exit_px": "{:,.2f}", "pnl": "{:+,.2f}",
                           "fees": "{:,.2f}", "return": "pct"}))
    o.append("<p><small>Data: evaluation_summary.csv, runs.csv, data/run*/ (equity_curve, symbol_pnl, trades, "
             "incidents, latency).</small></p></body></html>")
    with open(os.path.join(dirpath, "index.html"), "w", encoding="utf-8") as f:
        f.write("\n".join(o))


def main(argv):
    if len(argv) != 2:
        print("usage: report_plots.py DIR", file=sys.stderr)
        return 2
    d = argv[1]
    runs, _ = load(d)
    os.makedirs(os.path.join(d, "img"), exist_ok=True)
    imgs = plot_curves(runs, d)
    for r in runs:
        imgs["monthly_" + str(r["id"])] = plot_heatmap(r, d)
    imgs["symbols"] = plot_symbols(runs, d)
    imgs["trades"] = plot_trades(runs, d)
    imgs["lat_hist"], imgs["lat_strip"] = plot_latency(runs, d)
    write_html(d, runs, imgs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
