/* Synthetic journals for the report's tests and docs: several UTC days of a
 * two-symbol session with trades, fees, slippage, incidents and per-stage
 * local stamps, in a few hundred milliseconds. Deterministic from the seed.
 *
 * The trading logic is a toy (enter with the last half hour's direction
 * 60 % of the time, hold 3..36 bars): the point is a journal whose every
 * figure can be recomputed independently, not a strategy. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/journal.h"
#include "ringside/portfolio.h"
#include "ringside/report.h"
#include "ringside/risk.h"

static const char synth_cfg[] =
    "# synthetic session (ringside report --synth-journal)\n"
    "instance: synth-report\n"
    "feed:\n"
    "  venue: binance\n"
    "  url: wss://127.0.0.1:9443/stream\n"
    "instruments:\n"
    "  - {symbol: BTCUSDT, px_exp: 2, qty_exp: 5, tick: \"0.01\", lot: \"0.00001\", min_notional: 5}\n"
    "  - {symbol: ETHUSDT, px_exp: 2, qty_exp: 4, tick: \"0.01\", lot: \"0.0001\", min_notional: 5}\n"
    "model:\n"
    "  models:\n"
    "    - {name: h1, path: models/h1.json, horizon_bars: 1, weight: 1}\n"
    "gate:\n"
    "  capital: 10000\n"
    "exec:\n"
    "  mode: paper\n";

#define NSYM 2
#define MIN_NS 60000000000ll
#define BAR_NS 300000000000ll
#define HOUR_NS 3600000000000ll

typedef struct syn {
    rs_journal_writer *w;
    int rc;
    uint64_t seq[RS_STREAM_MAX];
    uint64_t rng;
    union {
        rs_rec h;
        uint8_t b[1024];
    } u;
    rs_universe uv;
    rs_portfolio pf;
    double px[NSYM];
    int64_t last_fx[NSYM];     /* last mark, fixed point */
    int hold[NSYM];            /* bars left; 0 flat */
    uint64_t cid;
    int killed, paused;
} syn;

static uint64_t rnd(syn *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static double unif(syn *s)
{
    return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

/* a rough normal: sum of four uniforms, scaled to unit variance */
static double gauss(syn *s)
{
    return (unif(s) + unif(s) + unif(s) + unif(s) - 2.0) * 1.7320508075688772;
}

/* local-stamp delay: mostly near `base`, with a tail */
static int64_t delay(syn *s, int64_t base)
{
    double u = unif(s);
    return base + (int64_t)((double)base * 0.3 * gauss(s)) / 2 + (u > 0.97 ? base * 8 : 0) + 1;
}

static void *claim(syn *s, uint16_t type, uint32_t len)
{
    memset(&s->u, 0, len);
    s->u.h.len = len;
    s->u.h.type = type;
    return &s->u;
}

static void emit(syn *s, uint16_t stream, int64_t ts, int64_t tl)
{
    s->u.h.stream = stream;
    s->u.h.seq = ++s->seq[stream];
    s->u.h.ts = ts;
    s->u.h.ts_local = tl;
    if (!s->rc)
        s->rc = rs_journal_append(s->w, &s->u.h);
}

static void position(syn *s, uint16_t sym, int64_t ts)
{
    rs_ev_position *p = claim(s, RS_EV_POSITION, sizeof *p);
    rs_portfolio_record(&s->pf, sym, p);
    emit(s, RS_STREAM_INTENT, ts, ts + 3000);
}

/* An order for sym: intent, order, ack, one or two fills (sometimes a
 * duplicate of the last), position record. side 1 buy / 2 sell. */
static void trade(syn *s, uint16_t sym, uint8_t side, int64_t qty, uint8_t purpose, int64_t ts, int64_t tl)
{
    const rs_instrument *ins = &s->uv.ins[sym];
    uint64_t id = (3ull << 40) | ++s->cid;
    rs_ev_intent *in = claim(s, RS_EV_INTENT, sizeof *in);
    in->sym = sym, in->kind = RS_INT_NEW, in->side = side, in->ord_type = RS_ORD_MARKET, in->purpose = purpose;
    const uint8_t ro = purpose != RS_PUR_ENTRY;
    in->reduce_only = ro, in->client_id = id, in->qty = qty;
    int64_t t_int = tl + delay(s, 2000);
    emit(s, RS_STREAM_INTENT, ts, t_int);
    rs_ev_order *od = claim(s, RS_EV_ORDER, sizeof *od);
    od->sym = sym, od->side = side, od->ord_type = RS_ORD_MARKET, od->kind = RS_INT_NEW, od->client_id = id;
    od->qty = qty, od->wire_bytes = 380, od->attempt = 1, od->reduce_only = ro;
    int64_t t_ord = t_int + delay(s, 12000);
    emit(s, RS_STREAM_EXEC, ts, t_ord);
    /* the venue answers 20-70 ms later on the market clock */
    int64_t t_ack = ts + 20000000 + (int64_t)(rnd(s) % 50000000), tl_ack = t_ord + delay(s, 800000);
    rs_ev_exec_report *er = claim(s, RS_EV_EXEC_REPORT, sizeof *er);
    er->sym = sym, er->state = RS_OS_ACKED, er->side = side, er->source = 2, er->client_id = id;
    er->venue_order_id = 100000 + s->cid, er->leaves_qty = qty;
    emit(s, RS_STREAM_EXEC, t_ack, tl_ack);
    /* executed beyond the touch by 0..3 bps: slippage the report must see */
    int64_t spread = s->last_fx[sym] / 20000 + 1;
    double slip = 1.0 + (side == 1 ? 1 : -1) * (double)(rnd(s) % 4) * 1e-4;
    int64_t touch = side == 1 ? s->last_fx[sym] + spread : s->last_fx[sym] - spread;
    int64_t fpx = (int64_t)llround((double)touch * slip);
    int parts = rnd(s) % 7 == 0 ? 2 : 1, dup = rnd(s) % 10 == 0;
    int64_t cum = 0;
    for (int k = 0; k < parts + dup; k++) {
        /* k == parts: a duplicate of the last report (same cum_qty) */
        int64_t q = parts == 1 ? qty : k == 0 ? qty / 2 : qty - qty / 2;
        if (k < parts)
            cum += q;
        int64_t px = k >= 1 && parts == 2 ? fpx + (side == 1 ? 1 : -1) * spread : fpx;
        double fee = rs_px_to_double(ins, px) * rs_qty_to_double(ins, q) * 0.0005;
        er = claim(s, RS_EV_EXEC_REPORT, sizeof *er);
        er->sym = sym, er->state = cum == qty ? RS_OS_FILLED : RS_OS_PARTIAL, er->side = side, er->is_fill = 1;
        er->liquidity = 2, er->source = 2, er->client_id = id, er->venue_order_id = 100000 + s->cid;
        er->trade_id = 500000 + s->cid * 4 + (uint64_t)k, er->last_px = px;
        er->last_qty = q, er->cum_qty = cum, er->leaves_qty = qty - cum, er->fee = fee;
        int64_t tf = t_ack + 5000000 * (k + 1);
        emit(s, RS_STREAM_EXEC, tf, tl_ack + 300000 * (k + 1));
        if (k < parts) {
            rs_portfolio_fill(&s->pf, sym, side, px, q, fee);
            position(s, sym, tf);
        }
    }
}

static int64_t entry_qty(syn *s, uint16_t sym)
{
    const rs_instrument *ins = &s->uv.ins[sym];
    double units = 2000.0 / rs_px_to_double(ins, s->last_fx[sym]);
    return (int64_t)floor(units * rs_pow10_tab[ins->qty_exp]);
}

static void close_sym(syn *s, uint16_t sym, uint8_t purpose, int64_t ts, int64_t tl)
{
    int64_t q = s->pf.pos[sym].qty;
    if (q != 0)
        trade(s, sym, q > 0 ? 2 : 1, q > 0 ? q : -q, purpose, ts, tl);
    s->hold[sym] = 0;
}

static void risk_rec(syn *s, uint16_t circ, uint8_t action, int64_t ts, const char *text)
{
    rs_ev_risk *k = claim(s, RS_EV_RISK, sizeof *k);
    k->circuit = circ, k->sym = 0xffff, k->action = action;
    snprintf(k->text, sizeof k->text, "%s", text);
    emit(s, RS_STREAM_INTENT, ts, ts + 4000);
}

static void ctl_rec(syn *s, uint16_t cmd, int64_t ts)
{
    rs_ev_control *c = claim(s, RS_EV_CONTROL, sizeof *c);
    c->cmd = cmd, c->sym = 0xffff;
    snprintf(c->arg, sizeof c->arg, "synthetic operator");
    emit(s, RS_STREAM_CTL, ts, ts + 1000);
}

int rs_report_synth(const rs_report_synth_opts *o)
{
    static syn S;
    syn *s = &S;
    memset(s, 0, sizeof *s);
    int days = o->days > 0 ? o->days : 14;
    int64_t t0 = o->start_ns ? o->start_ns : 1769299200ll * 1000000000ll;   /* 2026-01-25T00:00:00Z */
    rs_instrument btc = {"BTCUSDT", RS_VENUE_BINANCE, 2, 5, {0}, 1, 1, 1, 5.0};
    rs_instrument eth = {"ETHUSDT", RS_VENUE_BINANCE, 2, 4, {0}, 1, 1, 1, 5.0};
    if (rs_universe_add(&s->uv, &btc) < 0 || rs_universe_add(&s->uv, &eth) < 0)
        return -RS_EBADCFG;
    rs_portfolio_init(&s->pf, &s->uv, 10000.0);
    rs_journal_blob blob = {RS_JBLOB_CONFIG, "synth-report.yml", synth_cfg, sizeof synth_cfg - 1};
    rs_journal_opts jo = {.dir = o->dir, .instance = "synth-report", .start_ns = t0, .blobs = &blob, .n_blobs = 1,
                          .io = RS_JIO_WRITE};
    int rc = rs_journal_writer_create(&s->w, &jo);
    if (rc)
        return rc;
    s->rng = (o->seed ? o->seed : 1) * 0x9E3779B97F4A7C15ull + 12345;
    s->px[0] = 90000.0, s->px[1] = 3000.0;
    double hist[NSYM][8] = {{0}};   /* last closes at bar ends, for the entry direction */
    const int64_t minutes = (int64_t)days * 1440;
    /* incidents: an operator pause (day 2 10:00-14:00), a reject pause (day 4
     * 12:00, resumed 13:30) and a kill on the last day at 20:00 */
    const int64_t t_pause = t0 + 2 * RS_REPORT_DAY_NS + 10 * HOUR_NS, t_resume = t_pause + 4 * HOUR_NS;
    const int64_t t_rej = t0 + 4 * RS_REPORT_DAY_NS + 12 * HOUR_NS, t_rej_res = t_rej + 90 * MIN_NS;
    const int64_t t_kill = t0 + (int64_t)(days - 1) * RS_REPORT_DAY_NS + 20 * HOUR_NS;
    double drift[NSYM] = {0};
    for (int64_t m = 0; m < minutes && !s->rc; m++) {
        int64_t ts = t0 + m * MIN_NS;
        if (m % 1440 == 0)   /* a new market regime each day */
            for (int k = 0; k < NSYM; k++)
                drift[k] = gauss(s) * 0.00012;
        for (uint16_t k = 0; k < NSYM; k++) {
            s->px[k] *= exp(drift[k] + gauss(s) * (k ? 0.0011 : 0.0008));
            int64_t fx = (int64_t)llround(s->px[k] * 100.0);
            s->last_fx[k] = fx;
            int64_t spread = fx / 20000 + 1, tk = ts + k * 1000;
            rs_ev_mark *mk = claim(s, RS_EV_MARK, sizeof *mk);
            mk->sym = k, mk->last_px = fx, mk->bid_px = fx - spread, mk->ask_px = fx + spread, mk->md_ts = tk;
            emit(s, RS_STREAM_MARK, tk, tk + delay(s, 260000));
            rs_portfolio_mark(&s->pf, k, (double)fx / 100.0);
            if (m % 5 == 4) {
                rs_ev_trade *t = claim(s, RS_EV_TRADE, sizeof *t);
                t->sym = k, t->venue = RS_VENUE_BINANCE, t->side = 1 + (rnd(s) & 1), t->trade_id = s->seq[1] + 1;
                t->px = fx, t->qty = 1000 + (int64_t)(rnd(s) % 100000), t->event_ms = t->trade_ms = tk / 1000000;
                emit(s, RS_STREAM_MD, tk, tk + delay(s, 250000));
            }
        }
        if (o->incidents && ts == t_pause - 30 * MIN_NS && s->pf.pos[0].qty == 0 && !s->paused) {
            trade(s, 0, 1, entry_qty(s, 0), RS_PUR_ENTRY, ts + 1000000, ts + 2000000);
            s->hold[0] = 60;   /* held through the pause */
        }
        if (o->incidents && ts == t_kill - 30 * MIN_NS && s->pf.pos[1].qty == 0 && !s->killed) {
            trade(s, 1, 2, entry_qty(s, 1), RS_PUR_ENTRY, ts + 1000000, ts + 2000000);
            s->hold[1] = 100;
        }
        if (o->incidents && ts == t_pause) {
            ctl_rec(s, RS_CTL_PAUSE, ts + 500000000);
            risk_rec(s, RS_CIRC_PAUSE, RS_RISK_PAUSE, ts + 500000000, "paused: operator");
            s->paused = 1;
        }
        if (o->incidents && ts == t_resume) {
            ctl_rec(s, RS_CTL_RESUME, ts + 500000000);
            risk_rec(s, RS_CIRC_PAUSE, RS_RISK_RESUME, ts + 500000000, "resumed: operator");
            s->paused = 0;
        }
        if (o->incidents && ts == t_rej) {
            risk_rec(s, RS_CIRC_REJECTS, RS_RISK_PAUSE, ts + 700000000, "consecutive rejects: paused until resume");
            s->paused = 1;
        }
        if (o->incidents && ts == t_rej_res) {
            ctl_rec(s, RS_CTL_RESUME, ts + 500000000);
            s->paused = 0;
        }
        if (o->incidents && ts == t_kill && !s->killed) {
            ctl_rec(s, RS_CTL_KILL, ts + 500000000);
            risk_rec(s, RS_CIRC_KILL, RS_RISK_KILL, ts + 500000000, "kill switch: operator");
            s->killed = 1;
            for (uint16_t k = 0; k < NSYM; k++)
                close_sym(s, k, RS_PUR_KILL, ts + 90 * 1000000000ll, ts + 90 * 1000000000ll + 1000);
        }
        if (m % 60 == 59) {   /* periodic portfolio-wide position record */
            for (uint16_t k = 0; k < NSYM; k++)
                if (s->pf.pos[k].n_fills)
                    position(s, k, ts + 2000);
            position(s, 0xffff, ts + 2000);
        }
        if (m % 5 != 4)
            continue;
        /* bar close: timer, then features -> prediction -> decision per symbol */
        int64_t bend = ts + MIN_NS, tl = bend + delay(s, 100000);
        rs_ev_timer *tm = claim(s, RS_EV_TIMER, sizeof *tm);
        tm->tick = (uint64_t)(m / 5) + 1, tm->period_ns = BAR_NS;
        emit(s, RS_STREAM_MD, bend, tl);
        for (uint16_t k = 0; k < NSYM && !s->rc; k++) {
            memmove(&hist[k][1], &hist[k][0], 7 * sizeof(double));
            hist[k][0] = s->px[k];
            int64_t tf = tl + delay(s, 20000);
            rs_ev_features *fe = claim(s, RS_EV_FEATURES, sizeof *fe + 2 * sizeof(double));
            fe->sym = k, fe->ready = 1, fe->n = 2, fe->bar_end_ns = bend, fe->layout_hash = 0x5eed;
            const double v0 = hist[k][6] > 0 ? log(hist[k][0] / hist[k][6]) : 0;
            fe->v[0] = v0, fe->v[1] = s->px[k];
            emit(s, RS_STREAM_FEAT, bend, tf);
            int64_t tp = tf + delay(s, 35000);
            rs_ev_prediction *pr = claim(s, RS_EV_PREDICTION, sizeof *pr);
            pr->sym = k, pr->n_horizons = 1, pr->ready = 1, pr->bar_end_ns = bend;
            pr->weighted_bps = v0 * 1e4, pr->z_edge = gauss(s);
            double zedge = pr->z_edge;
            emit(s, RS_STREAM_PRED, bend, tp);
            int64_t td = tp + delay(s, 5000);
            int enter = 0, exitp = 0;
            if (s->hold[k] > 0 && --s->hold[k] == 0)
                exitp = 1;
            else if (!o->no_trades && !s->paused && !s->killed && s->pf.pos[k].qty == 0 && s->hold[k] == 0 &&
                     unif(s) < 0.05)
                enter = 1;
            rs_ev_decision *de = claim(s, RS_EV_DECISION, sizeof *de);
            de->sym = k, de->bar_end_ns = bend, de->z_edge = zedge, de->weighted_bps = v0 * 1e4;
            de->action = enter ? RS_ACT_ENTER_LONG : exitp ? RS_ACT_EXIT : RS_ACT_NONE;
            emit(s, RS_STREAM_INTENT, bend, td);
            if (exitp && !s->killed) {
                close_sym(s, k, RS_PUR_TIMED_EXIT, bend, td);
            } else if (enter) {
                double mom = hist[k][6] > 0 ? hist[k][0] - hist[k][6] : 0;
                int up = (mom >= 0) == (unif(s) < 0.6);
                trade(s, k, up ? 1 : 2, entry_qty(s, k), RS_PUR_ENTRY, bend, td);
                s->hold[k] = 3 + (int)(rnd(s) % 34);
            }
        }
    }
    if (!s->rc)
        s->rc = rs_journal_writer_close(s->w);
    rc = s->rc;
    rs_journal_writer_destroy(s->w);
    return rc;
}
